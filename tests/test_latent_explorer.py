"""The latent explorer's callbacks without a browser: codes, conditions, images, widget events, static strip."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from gancore.chapters.latent_explorer import LatentExplorer, png_bytes, show


def fake_generate(z, labels, continuous):
    """A 'generator' whose 2 x 2 images spell out its inputs: pixel values are tanh of code sums, so the tests can
    read back which code, class and continuous code produced an image."""
    n = len(z)
    values = np.stack([z[:, 0], z[:, 1], np.zeros(n) if labels is None else labels / 10.0,
                       np.zeros(n) if continuous is None else continuous[:, 0]], axis=1)
    return np.tanh(values).reshape(n, 2, 2, 1)


def test_interpolation_ends_at_the_two_codes_and_slerp_keeps_the_norm():
    explorer = LatentExplorer(fake_generate, latent_dim=64, seed=3)
    np.testing.assert_allclose(explorer.latent(0.0), explorer.start, atol=1e-6)
    np.testing.assert_allclose(explorer.latent(1.0, "lerp"), explorer.end, atol=1e-6)
    norms = np.linalg.norm([explorer.start, explorer.end], axis=1)
    mid_slerp, mid_lerp = (np.linalg.norm(explorer.latent(0.5, mode)) for mode in ("slerp", "lerp"))
    assert mid_slerp == pytest.approx(norms.mean(), rel=0.05)  # the arc keeps a typical norm (about 8)
    assert mid_lerp < 0.85 * norms.mean()  # the chord's middle is shorter (about 1/sqrt(2) for independent codes)
    with pytest.raises(ValueError, match="lerp' or 'slerp"):
        explorer.latent(0.5, "cubic")


def test_walk_moves_along_a_unit_direction_and_new_pair_is_seeded():
    explorer = LatentExplorer(fake_generate, latent_dim=8, seed=0)
    assert np.linalg.norm(explorer.direction) == pytest.approx(1.0, abs=1e-6)
    step = explorer.latent(0.3, walk=2.0) - explorer.latent(0.3)
    np.testing.assert_allclose(step, 2.0 * explorer.direction, atol=1e-6)
    first = explorer.start.copy()
    explorer.new_pair()
    assert not np.allclose(first, explorer.start)
    again = LatentExplorer(fake_generate, latent_dim=8, seed=0)
    again.new_pair()
    np.testing.assert_array_equal(again.start, explorer.start)  # same seed, same sequence of draws


def test_render_passes_class_and_continuous_codes_and_maps_to_unit_range():
    explorer = LatentExplorer(fake_generate, latent_dim=4, seed=1, class_names=list("abcde"), continuous=2)
    image = explorer.render(t=0.0, label=3, continuous=[0.5, -1.0])
    assert image.shape == (2, 2)
    expected = (np.tanh([explorer.start[0], explorer.start[1], 0.3, 0.5]) + 1) / 2  # [-1, 1] -> [0, 1]
    np.testing.assert_allclose(image.ravel(), expected, atol=1e-6)
    with pytest.raises(ValueError, match="label must be in 0..4"):
        explorer.render(label=5)
    with pytest.raises(ValueError, match="expected 2 continuous codes"):
        explorer.render(continuous=[1.0])


def test_widget_events_update_the_image():
    explorer = LatentExplorer(fake_generate, latent_dim=4, seed=2, class_names=["zero", "one"], continuous=1)
    explorer.widget()
    decoded = lambda: np.asarray(Image.open(io.BytesIO(explorer.image_widget.value)))  # noqa: E731
    np.testing.assert_array_equal(decoded(), np.asarray(Image.open(io.BytesIO(png_bytes(explorer.render())))))
    explorer.controls["label"].value = 1
    explorer.controls["c1"].value = 1.5
    explorer.controls["t"].value = 0.5
    shown = explorer.render(t=0.5, label=1, continuous=[1.5])
    np.testing.assert_array_equal(decoded(), np.rint(shown * 255).astype("uint8"))
    before = explorer.start.copy()
    explorer.new_pair_button.click()
    assert not np.allclose(before, explorer.start)
    np.testing.assert_array_equal(decoded(), np.rint(explorer.render(t=0.5, label=1, continuous=[1.5]) * 255))


def test_static_strip_has_a_row_per_control(tmp_path):
    explorer = LatentExplorer(fake_generate, latent_dim=4, seed=0, class_names=["zero", "one"], continuous=2)
    rows = explorer.strip(steps=5)
    assert list(rows) == ["lerp", "slerp", "walk one direction", "each class", "continuous code 1",
                          "continuous code 2"]
    assert rows["lerp"].shape == (5, 2, 2) and rows["each class"].shape == (2, 2, 2)
    sweep = rows["continuous code 1"][:, 1, 1]  # the pixel that shows continuous code 1
    assert np.all(np.diff(sweep) > 0)  # swept from -limit to +limit
    show(explorer, interactive=False, steps=5, path=tmp_path / "strip.png")
    assert (tmp_path / "strip.png").stat().st_size > 1000
