"""Skill 4 part II: interpolation, rule-based attribute groups, arithmetic and the perturbation aliasing bug."""

from __future__ import annotations

import numpy as np
import pytest

from gancore.chapters import latent_space


def test_lerp_and_slerp_between_orthogonal_unit_vectors():
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    np.testing.assert_allclose(latent_space.lerp(a, b, 0.5), [0.5, 0.5])
    np.testing.assert_allclose(latent_space.slerp(a, b, 0.5), [np.sqrt(0.5), np.sqrt(0.5)])
    path = latent_space.slerp(a, b, np.linspace(0, 1, 4))  # 0, 30, 60, 90 degrees
    np.testing.assert_allclose(path[1], [np.cos(np.pi / 6), np.sin(np.pi / 6)])
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 1.0)
    np.testing.assert_allclose(path[[0, -1]], [a, b], atol=1e-12)


def test_slerp_of_parallel_vectors_falls_back_to_lerp():
    a = np.array([1.0, 2.0])
    np.testing.assert_allclose(latent_space.slerp(a, 2 * a, 0.5), 1.5 * a)


def test_interpolation_grid_shape_and_rows():
    rng = np.random.default_rng(0)
    s, e = rng.normal(size=(3, 100)), rng.normal(size=(3, 100))
    grid = latent_space.interpolation_grid(s, e, 5, "lerp")
    assert grid.shape == (15, 100)
    np.testing.assert_allclose(grid[5], s[1])
    np.testing.assert_allclose(grid[7], (s[1] + e[1]) / 2)
    with pytest.raises(ValueError):
        latent_space.interpolation_grid(s, e, 5, "cubic")


def test_region_colour_and_hue_rule():
    images = np.full((3, 8, 8, 3), -1.0)  # black in [-1, 1]
    images[0, :2] = [1.0, -1.0, -1.0]  # red hair rows
    images[1, :2] = [1.0, 1.0, -1.0]  # yellow hair rows
    images[2, 2:] = [1.0, 1.0, 1.0]  # white below the hair region only
    colours = latent_space.region_colour(images, top_fraction=0.25)
    np.testing.assert_allclose(colours, [[1, 0, 0], [1, 1, 0], [0, 0, 0]])
    groups = latent_space.group_by_hue(colours, {"red": 0.0, "yellow": 1 / 6, "blue": 2 / 3})
    assert groups["red"].tolist() == [0] and groups["yellow"].tolist() == [1] and groups["blue"].tolist() == []
    np.testing.assert_allclose(latent_space.brightness(colours), [0.299, 0.886, 0.0])


def test_quantile_groups_and_attribute_means():
    values = np.array([5.0, 1.0, 9.0, 3.0, 7.0])
    g = latent_space.group_by_quantile(values, fraction=0.4)
    assert g["low"].tolist() == [1, 3] and g["high"].tolist() == [2, 4]
    z = np.arange(10.0).reshape(5, 2)
    means = latent_space.attribute_means(z, {**g, "none": np.array([], int)})
    np.testing.assert_allclose(means["low"], [4.0, 5.0])
    assert "none" not in means
    np.testing.assert_allclose(latent_space.midpoint(means["low"], means["high"]), [5.0, 6.0])


def test_mean_of_k_gaussians_is_short_and_rescaling_restores_the_typical_norm():
    z = np.random.default_rng(0).normal(size=(16, 400))
    mean = z.mean(axis=0)
    assert np.linalg.norm(mean) == pytest.approx(np.sqrt(400 / 16), rel=0.15)
    assert np.linalg.norm(latent_space.rescale_to_typical_norm(mean)) == pytest.approx(20.0)


def test_windowed_edits_copy_fixes_the_books_aliasing_bug():
    base = np.zeros(30)
    values = np.ones((3, 10)) * np.array([1.0, 2.0, 3.0])[:, None]
    fixed = latent_space.windowed_edits(base, values, copy=True)
    assert (fixed != 0).sum(axis=1).tolist() == [10, 10, 10]
    assert not base.any()  # the base code is untouched
    buggy = latent_space.windowed_edits(base, values, copy=False)
    assert (buggy != 0).sum(axis=1).tolist() == [10, 20, 30]  # edits accumulate
    np.testing.assert_allclose(base, buggy[-1])  # and the "average" code itself was overwritten


def test_overlapping_windows_like_the_face_study():
    base = np.zeros(100)
    codes = latent_space.windowed_edits(base, np.ones((9, 20)), width=20, stride=10)
    assert codes[-1, 80:].all() and not codes[-1, :80].any()
    assert (codes != 0).sum(axis=1).tolist() == [20] * 9


def test_edit_report_measures_pixel_and_latent_moves():
    base_z, edited_z = np.zeros(4), np.array([[0, 0, 0, 0], [3.0, 4.0, 0, 0]])
    base_img = -np.ones((2, 2, 3))
    edited = np.stack([base_img, base_img * 0])  # second: every pixel moves by 0.5 in [0, 1] units
    r = latent_space.edit_report(base_z, edited_z, base_img, edited)
    np.testing.assert_allclose(r["latent_l2"], [0.0, 5.0])
    np.testing.assert_allclose(r["pixel_rms"], [0.0, 0.5])
    assert r["entries_changed"].tolist() == [0, 2]
