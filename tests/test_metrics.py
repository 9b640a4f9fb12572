"""Golden and hand-checked values for the Frechet distance, KID, classifier score and PSNR."""

import numpy as np
import pytest

from gancore import metrics


def close(value, expected, tol=1e-9):
    np.testing.assert_allclose(value, expected, rtol=tol, atol=tol)


def test_equal_covariances_give_squared_mean_distance():
    sigma = np.array([[2.0, 0.5], [0.5, 1.0]])
    close(metrics.frechet_distance(np.zeros(2), sigma, np.array([3.0, 4.0]), sigma), 25.0)


def test_diagonal_covariances_by_hand():
    # tr(S1) + tr(S2) - 2 tr(sqrt(S1 S2)) = (4 + 9) + (1 + 1) - 2 (2 + 3) = 5, plus ||mu1 - mu2||^2 = 1
    value = metrics.frechet_distance(np.zeros(2), np.diag([4.0, 9.0]), np.array([1.0, 0.0]), np.eye(2))
    close(value, 6.0)


def test_non_commuting_covariances_match_the_definition():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    s1, s2 = a @ a.T + np.eye(3), b @ b.T + np.eye(3)
    # tr sqrt(S1 S2) from the eigenvalues of S1 S2 (real and positive for SPD matrices)
    expected = np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.linalg.eigvals(s1 @ s2).real).sum()
    close(metrics.frechet_distance(np.zeros(3), s1, np.zeros(3), s2), expected, tol=1e-8)


def test_a_set_against_itself_is_zero_and_order_does_not_matter():
    rng = np.random.default_rng(1)
    f = rng.normal(size=(500, 16))
    assert metrics.frechet_distance_of_features(f, f) == pytest.approx(0.0, abs=1e-8)
    g = rng.normal(size=(500, 16)) + 0.5
    forward = metrics.frechet_distance_of_features(f, g)
    close(metrics.frechet_distance_of_features(f[::-1], g[rng.permutation(500)]), forward, tol=1e-9)
    close(metrics.frechet_distance_of_features(g, f), forward, tol=1e-6)  # symmetric
    assert 16 * 0.25 * 0.8 < forward < 16 * 0.25 * 1.3  # about ||0.5 * 1||^2 = 4 plus sampling noise


def test_rank_deficient_covariance_stays_real_and_finite():
    rng = np.random.default_rng(2)
    few = rng.normal(size=(5, 64))  # 5 samples in 64 dimensions: singular covariance
    value = metrics.frechet_distance_of_features(few, rng.normal(size=(5, 64)))
    assert np.isfinite(value) and value > 0


def test_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="Shapes differ"):
        metrics.frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError, match="N >= 2"):
        metrics.feature_statistics(np.zeros((1, 4)))


def test_kid_by_hand():
    # d = 1, k(a, b) = (a b + 1)^3; X = {0, 1}, Y = {2, 3}
    # mean off-diagonal k_xx = 1, k_yy = 7^3 = 343, mean k_xy = (1 + 1 + 27 + 64) / 4 = 23.25
    mean, std = metrics.kernel_distance(np.array([[0.0], [1.0]]), np.array([[2.0], [3.0]]), num_subsets=3)
    close(mean, 1 + 343 - 2 * 23.25)
    close(std, 0.0)


def test_kid_is_near_zero_for_the_same_distribution_and_grows_with_a_shift():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(1000, 8)), rng.normal(size=(1000, 8))
    same, _ = metrics.kernel_distance(a, b, subset_size=500)
    shifted, _ = metrics.kernel_distance(a, b + 1.0, subset_size=500)
    assert abs(same) < 0.05 and shifted > 1.0


def test_classifier_score_limits():
    close(metrics.classifier_score(np.zeros((20, 10))), 1.0)
    confident = np.full((100, 10), -50.0)
    confident[np.arange(100), np.arange(100) % 10] = 50.0
    close(metrics.classifier_score(confident), 10.0, tol=1e-6)
    one_class = np.full((100, 10), -50.0)
    one_class[:, 3] = 50.0
    close(metrics.classifier_score(one_class), 1.0, tol=1e-6)  # confident but collapsed


def test_class_histogram():
    logits = np.eye(4)[[0, 0, 3, 1]]
    np.testing.assert_array_equal(metrics.class_histogram(logits), [2, 1, 0, 1])


# --- per-image pixel scores, (predicted, target) ---
def test_psnr_by_hand_per_image():
    target = np.zeros((3, 4, 4, 3))
    errors = np.array([0.1, 0.01, 1.0])[:, None, None, None]
    # MSE 0.01 -> 10 log10(1 / 0.01) = 20 dB; MSE 1e-4 -> 40 dB; MSE 1 -> 0 dB
    close(metrics.psnr(target + errors, target), [20.0, 40.0, 0.0])
    close(metrics.psnr(target - errors, target), [20.0, 40.0, 0.0])  # the sign of the error does not matter
    # 0..255 images: an error of 25.5 grey levels is an error of 0.1 at peak 1
    close(metrics.psnr(np.full((1, 2, 2), 25.5), np.zeros((1, 2, 2)), peak=255.0), [20.0])


def test_psnr_of_identical_images_is_the_documented_floor():
    images = np.random.default_rng(0).uniform(0, 1, (2, 5, 5, 3))
    assert metrics.PSNR_MSE_FLOOR == 1e-10
    close(metrics.psnr(images, images), [100.0, 100.0])  # 10 log10(1 / 1e-10)
    close(metrics.psnr(images, images, peak=255.0), [10 * np.log10(255.0**2 / 1e-10)] * 2)  # 148.13 dB
    close(metrics.psnr_from_mse([0.0, 1e-12, 0.01]), [100.0, 100.0, 20.0])


def test_mean_absolute_and_squared_error_by_hand():
    target = np.zeros((2, 2, 2, 1))
    predicted = target.copy()
    predicted[0, 0, 0, 0] = 0.4  # one pixel of four off by 0.4
    predicted[1] = -0.5
    close(metrics.mean_absolute_error(predicted, target), [0.1, 0.5])
    close(metrics.mean_squared_error(predicted, target), [0.04, 0.25])
    # one target image against a batch, in float32
    l1 = metrics.mean_absolute_error(np.ones((3, 2, 2), "float32"), np.full((1, 2, 2), 0.75), dtype="float32")
    assert l1.dtype == np.float32
    close(l1, [0.25] * 3)


def test_ssim_of_identical_images_is_one_and_noise_lowers_it():
    rng = np.random.default_rng(2)
    colour = rng.uniform(0, 1, (2, 16, 16, 3))
    close(metrics.ssim(colour, colour, channel_axis=-1), [1.0, 1.0])
    noisy = np.clip(colour + rng.normal(0, 0.2, colour.shape), 0, 1)
    lowered = metrics.ssim(noisy, colour, channel_axis=-1)
    assert np.all((0.0 < lowered) & (lowered < 0.9))
    grey = colour[..., 0]
    # SSIM of a constant shift c with an otherwise identical image: luminance term only,
    # (2 mu (mu + c) + C1) / (mu^2 + (mu + c)^2 + C1) per window, below 1 and above 0.9 for c = 0.05
    shifted = metrics.ssim(np.clip(grey + 0.05, 0, 2), grey, data_range=1.0)
    assert np.all((0.9 < shifted) & (shifted < 1.0))
    close(metrics.ssim(grey, noisy[..., 0]), metrics.ssim(noisy[..., 0], grey))  # symmetric


def test_sample_diversity_is_the_mean_pixel_std_on_the_unit_scale():
    from gancore.metrics import sample_diversity

    black, white = np.zeros((1, 4, 4)), np.ones((1, 4, 4))
    # one black and one white image: every pixel has std 0.5 across the two samples
    assert sample_diversity(np.concatenate([black, white])) == pytest.approx(0.5, abs=1e-12)
    # the same pair on the tanh scale, and on the 0-255 scale with a channel axis
    assert sample_diversity(np.concatenate([-white, white]), value_range=(-1, 1)) == pytest.approx(0.5, abs=1e-12)
    assert sample_diversity(np.concatenate([black, white])[..., None] * 255, (0, 255)) == pytest.approx(0.5, abs=1e-6)
    # a collapse: identical samples
    assert sample_diversity(np.full((10, 4, 4), 0.3)) == pytest.approx(0.0, abs=1e-7)
    # only pixel (0, 0) varies, as 0, 0, 1, 1 (std 0.5), among 16 pixels: 0.5 / 16
    images = np.zeros((4, 4, 4))
    images[2:, 0, 0] = 1.0
    assert sample_diversity(images) == pytest.approx(0.5 / 16, abs=1e-7)
    with pytest.raises(ValueError, match="two samples"):
        sample_diversity(black)

def test_confident_share_counts_samples_above_the_threshold():
    # softmax of [l, 0] is sigmoid(l): 0.5, 0.731 (l=1), 0.8808 (l=2), 0.9526 (l=3)
    logits = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [0.0, 3.0]])
    assert metrics.confident_share(logits, 0.9) == 0.25
    assert metrics.confident_share(logits, 0.88) == 0.5
    assert metrics.confident_share(logits, 0.5) == 1.0


def test_reads_as_class_needs_confidence_and_real_looking_features():
    np.testing.assert_allclose(metrics.nearest_distances([[0.0, 0.0], [3.0, 4.0]], [[0.0, 1.0], [3.0, 0.0]]),
                               [1.0, 4.0])
    refs = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    np.testing.assert_allclose(metrics.nearest_distances(refs, refs, exclude_self=True), [1.0] * 4)
    feats = np.array([[0.5, 0.5], [0.5, 0.5], [10.0, 10.0]])  # close, close, far from every real feature
    logits = np.array([[5.0, 0.0], [0.0, 0.0], [5.0, 0.0]])  # confident, unsure, confident
    np.testing.assert_array_equal(metrics.reads_as_class(logits, feats, refs, 0.9, 1.0), [True, False, False])


def test_jaccard_nearest_distance_by_hand():
    a = np.array([[1, 1, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]], dtype="float32")
    refs = np.array([[1, 0, 0, 0], [0, 0, 1, 1]], dtype="float32")
    # {0,1} vs {0}: 1 - 1/2; empty vs anything: 1; {0..3} vs {2,3}: 1 - 2/4
    np.testing.assert_allclose(metrics.nearest_distances(a, refs, metric="jaccard"), [0.5, 1.0, 0.5])
    np.testing.assert_allclose(metrics.nearest_distances(refs, refs, exclude_self=True, metric="jaccard"), [1.0, 1.0])
    with pytest.raises(ValueError, match="metric"):
        metrics.nearest_distances(a, refs, metric="cosine")


def _lfw_at(size: int) -> np.ndarray:
    """The 200 images of scikit-image's LFW subset (100 faces, then 100 non-face patches) upsampled to size x size."""
    import cv2
    from skimage import data

    return np.stack([cv2.resize(im.astype("float32"), (size, size), interpolation=cv2.INTER_CUBIC)
                     for im in data.lfw_subset()])


def test_face_detector_finds_real_faces_and_not_other_patches():
    images = _lfw_at(56)
    faces, patches = images[:100], images[100:]
    assert 0.8 <= metrics.face_detection_rate(faces, (0.0, 1.0)) <= 1.0
    assert metrics.face_detection_rate(patches, (0.0, 1.0)) <= 0.05
    assert metrics.face_detection_rate(np.full((4, 56, 56, 3), 128.0)) == 0.0


def test_face_detector_reads_any_value_range_and_colour_images_alike():
    faces = _lfw_at(56)[:40]
    found = metrics.detected_faces(faces, (0.0, 1.0))
    assert found.dtype == bool and found.shape == (40,)
    np.testing.assert_array_equal(metrics.detected_faces(faces * 2.0 - 1.0, (-1.0, 1.0)), found)
    np.testing.assert_array_equal(metrics.detected_faces(np.repeat(faces[..., None] * 255.0, 3, -1)), found)


def test_gradient_energy_by_hand():
    from gancore.metrics import gradient_energy

    ramp = np.tile(np.arange(5, dtype="float64") * 0.1, (4, 1))  # luma steps of 0.1 along each row
    images = np.stack([np.zeros((4, 5)), ramp])[..., None].repeat(3, axis=-1)
    # dx^2 = 0.01 everywhere, dy = 0: the mean of the two directions is 0.005
    np.testing.assert_allclose(gradient_energy(images), [0.0, 0.005], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(gradient_energy(images * 255, (0, 255)), [0.0, 0.005], rtol=1e-5)
    checker = (np.indices((6, 6)).sum(axis=0) % 2).astype("float64")[None, ..., None]  # 0/1 alternating
    np.testing.assert_allclose(gradient_energy(checker), [1.0], rtol=1e-6)
