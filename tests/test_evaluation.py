"""Hand-checked values for the evaluation helpers: nearest neighbours, memorisation, sample-size tables,
degradations, saved generators and the Inception feature path."""

import json

import keras
import numpy as np
import pytest

from gancore import metrics
from gancore.chapters import evaluation


def test_nearest_neighbours_by_hand():
    refs = np.array([[0.0, 0.0], [3.0, 4.0], [10.0, 0.0]])
    queries = np.array([[0.0, 1.0], [3.0, 4.0], [7.0, 0.0], [9.0, 1.0]])
    index, distance = evaluation.nearest_neighbours(queries, refs, chunk=3)  # chunk boundary inside the queries
    np.testing.assert_array_equal(index, [0, 1, 2, 2])
    np.testing.assert_allclose(distance, [1.0, 0.0, 3.0, np.sqrt(2.0)], rtol=1e-12, atol=1e-12)


def test_nearest_neighbours_flattens_images_and_checks_widths():
    refs = np.arange(2 * 3 * 3, dtype="float32").reshape(2, 3, 3)
    index, distance = evaluation.nearest_neighbours(refs[::-1] + 0.5, refs)
    np.testing.assert_array_equal(index, [1, 0])
    np.testing.assert_allclose(distance, [1.5, 1.5], rtol=1e-9)  # 0.5 off in each of 9 values: sqrt(9 x 0.25)
    with pytest.raises(ValueError, match="values per row"):
        evaluation.nearest_neighbours(np.zeros((1, 4)), np.zeros((1, 5)))


def test_memorisation_report_separates_copies_from_fresh_samples():
    rng = np.random.default_rng(0)
    train = rng.normal(size=(400, 16))
    held_out = rng.normal(size=(200, 16))
    fresh = rng.normal(size=(200, 16))
    copies = train[:200] + rng.normal(scale=1e-3, size=(200, 16))
    copied = evaluation.memorisation_report(copies, train, held_out, quantile=0.05)
    honest = evaluation.memorisation_report(fresh, train, held_out, quantile=0.05)
    assert copied["share_below"] == 1.0 and copied["median_ratio"] < 0.01
    assert 0.0 <= honest["share_below"] <= 0.15  # same distribution as the held-out set: about 5%
    np.testing.assert_allclose(honest["median_ratio"], 1.0, atol=0.15)


def test_fd_falls_with_sample_size_and_kid_does_not_drift():
    rng = np.random.default_rng(1)
    reference = rng.normal(size=(4000, 8))
    same = rng.normal(size=(4000, 8))
    rows = evaluation.scores_by_sample_size(same, reference, sizes=[20, 200, 2000], repeats=3)
    fds = [r["fd_mean"] for r in rows]
    assert fds[0] > fds[1] > fds[2]
    # for n samples of d-dim unit Gaussians the FD bias is roughly d(d+1)/(2n) (the covariance noise): 8x9/40 = 1.8
    assert 0.8 < fds[0] < 4.0 and fds[2] < 0.05
    assert all(abs(r["kid_mean"]) < 0.05 for r in rows)
    with pytest.raises(ValueError, match="larger than"):
        evaluation.scores_by_sample_size(same[:10], reference, sizes=[20])


def test_scores_by_sample_size_matches_plain_fd_when_all_rows_are_used():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(50, 3)), rng.normal(1.0, size=(80, 3))
    (row,) = evaluation.scores_by_sample_size(a, b, sizes=[50], repeats=2)
    np.testing.assert_allclose(row["fd_mean"], metrics.frechet_distance_of_features(a, b), rtol=1e-9)
    assert row["fd_std"] < 1e-9


def test_gaussian_blur_keeps_flat_images_and_spreads_a_point():
    flat = np.full((2, 9, 9), 7.0)
    np.testing.assert_allclose(evaluation.gaussian_blur(flat, 1.5), flat, rtol=1e-6)
    point = np.zeros((1, 9, 9))
    point[0, 4, 4] = 1.0
    blurred = evaluation.gaussian_blur(point, 1.0)
    np.testing.assert_allclose(blurred.sum(), 1.0, rtol=1e-4)
    assert blurred[0, 4, 4] < 0.2 and blurred[0, 4, 5] > 0.05 and blurred.shape == point.shape


def test_drop_classes_and_noisy_copies():
    labels = np.arange(100) % 10
    images = labels[:, None].astype("float32") * np.ones((100, 4), "float32")
    dropped = evaluation.drop_classes(images, labels, keep=[2, 3], count=30)
    assert set(np.unique(dropped[:, 0])) <= {2.0, 3.0} and len(dropped) == 30
    copies = evaluation.noisy_copies(np.arange(20, dtype="float32")[:, None] * 10.0, distinct=3, count=50,
                                     noise=0.0)
    assert len(np.unique(copies)) <= 3 and copies.shape == (50, 1)
    noisy = evaluation.noisy_copies(np.zeros((5, 2, 2)), distinct=2, count=10, noise=50.0, value_range=(0, 255))
    assert noisy.min() >= 0.0 and noisy.max() <= 255.0 and noisy.max() > 0.0


def test_saved_generator_round_trip(tmp_path):
    keras.utils.set_random_seed(0)
    g = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Reshape((2, 2))])
    record = evaluation.save_generator(g, tmp_path / "toy-chapter", domain="mnist", value_range=(-1, 1),
                                       label="toy", steps=12, profile="smoke")
    assert json.loads(record.read_text()) == {"domain": "mnist", "value_range": [-1.0, 1.0], "latent_dim": 5,
                                              "label": "toy", "steps": 12, "profile": "smoke"}
    saved = evaluation.load_saved_generator("toy-chapter", outputs=tmp_path)
    assert (saved.domain, saved.value_range, saved.latent_dim, saved.steps, saved.profile) == (
        "mnist", (-1.0, 1.0), 5, 12, "smoke")
    z = np.random.default_rng(3).normal(size=(6, 5)).astype("float32")
    np.testing.assert_allclose(saved.sample(6, seed=3), g.predict(z, verbose=0), rtol=1e-5, atol=1e-6)
    assert evaluation.load_saved_generator("never-run", outputs=tmp_path) is None


def test_inception_needs_weights_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert evaluation.inception_weights_path() is None
    with pytest.raises(FileNotFoundError, match=evaluation.INCEPTION_NOTOP_FILE):
        evaluation.inception_features(np.zeros((1, 28, 28)))
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / evaluation.INCEPTION_NOTOP_FILE).write_bytes(b"x")
    assert evaluation.inception_weights_path() == tmp_path / "models" / evaluation.INCEPTION_NOTOP_FILE


def test_inception_features_shape_with_random_weights():
    features = evaluation.inception_features(np.random.default_rng(0).random((2, 28, 28)), weights=None, size=75)
    assert features.shape == (2, 2048) and np.isfinite(features).all()


class _ToyEvaluator:
    """Features = the images themselves (2-d), logits = one-hot of which half-plane x lies in."""

    def __init__(self, reference):
        self.reference_features = reference
        self.reference_statistics = metrics.feature_statistics(reference)

    def features(self, images, value_range):
        x = np.asarray(images, "float64")
        logits = np.stack([np.where(x[:, 0] < 0, 50.0, 0.0), np.where(x[:, 0] >= 0, 50.0, 0.0)], axis=1)
        return x, logits


def test_score_sample_set_row_by_hand():
    rng = np.random.default_rng(4)
    reference = rng.normal(size=(600, 2))
    train = rng.normal(size=(600, 2))
    evaluator = _ToyEvaluator(reference)
    shifted = reference + np.array([3.0, 4.0])  # same covariance, mean moved by (3, 4): FD = 25
    row = evaluation.score_sample_set(evaluator, shifted, (0, 1), train, nn_queries=200)
    np.testing.assert_allclose(row["fd"], 25.0, rtol=1e-9)
    # P(x < -3) = 0.13%: fewer than 1% of the shifted points stay left, so only one class counts as drawn
    assert row["classes_drawn"] == 1 and 0.99 < row["largest_class_share"] <= 1.0
    half = reference[reference[:, 0] < 0]
    row = evaluation.score_sample_set(evaluator, half, (0, 1), train, nn_queries=100)
    assert row["classes_drawn"] == 1 and row["largest_class_share"] == 1.0
    np.testing.assert_allclose(row["classifier_score"], 1.0, atol=1e-6)  # one class only: score 1
    copies = evaluation.score_sample_set(evaluator, train[:300] + 1e-6, (0, 1), train, nn_queries=300)
    assert copies["memorised_share"] == 1.0 and copies["samples"] == 300
