"""Golden values for every function of gancore.losses (TF-GAN's fixtures and small examples, worked out by hand)."""

import inspect
from pathlib import Path

import numpy as np
import pytest

from gancore import losses

REAL = np.array([-5.0, 1.4, 12.5, 2.7], dtype="float32")
FAKE = np.array([10.0, 4.4, -5.5, 3.6], dtype="float32")


def close(value, expected, tol=1e-4):
    np.testing.assert_allclose(float(value), expected, rtol=tol, atol=tol)


def test_wasserstein_golden():
    close(losses.wasserstein_generator_loss(FAKE), -3.125)
    close(losses.wasserstein_critic_loss(REAL, FAKE), 0.225)


def test_hinge_golden():
    close(losses.hinge_discriminator_loss(REAL, FAKE), 6.75)


def test_least_squares_golden():
    close(losses.least_squares_generator_loss(FAKE), 17.69625)
    close(losses.least_squares_discriminator_loss(REAL, FAKE), 41.73375)


def test_non_saturating_golden():
    close(losses.non_saturating_generator_loss(FAKE), 1.38582)
    # TF-GAN's smoothing 0.25 moves the real target to 1 - 0.25 / 2; ours states the target as 1 - s.
    close(losses.minimax_discriminator_loss(REAL, FAKE, label_smoothing=0.125), 6.19637)


def test_minimax_generator_golden_without_constant():
    close(losses.minimax_generator_loss(FAKE), -4.51082)


def test_discriminator_loss_at_equilibrium_is_two_ln_two():
    zeros = np.zeros(8, dtype="float32")
    close(losses.minimax_discriminator_loss(zeros, zeros), 2 * np.log(2))
    close(losses.non_saturating_generator_loss(zeros), np.log(2))


def test_losses_are_stable_for_huge_logits():
    big = np.array([1e4, -1e4], dtype="float32")
    assert np.isfinite(float(losses.minimax_discriminator_loss(big, -big)))
    close(losses.non_saturating_generator_loss(np.array([1e4], "float32")), 0.0)


def test_accuracy_counts_both_halves():
    close(losses.discriminator_accuracy(REAL, FAKE), (3 + 1) / 8)


def test_unknown_loss_name_is_a_clear_error():
    with pytest.raises(ValueError, match="choose one of"):
        losses.get_losses("wgan-typo")


def test_gradient_penalty_of_a_linear_critic():
    import keras

    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False)])
    critic.layers[0].kernel.assign(np.array([[3.0], [4.0]], "float32"))  # gradient (3, 4) everywhere: norm 5
    real, fake = np.ones((3, 2), "float32"), np.zeros((3, 2), "float32")
    alpha = np.array([[0.1], [0.5], [0.9]], "float32")
    close(losses.gradient_penalty(critic, real, fake, alpha), (5.0 - 1.0) ** 2)


def test_gradient_penalty_uses_one_alpha_per_example():
    import tensorflow as tf

    critic = lambda x, training=False: tf.reduce_sum(x * x, axis=1, keepdims=True)
    real, fake = np.ones((2, 1), "float32"), np.zeros((2, 1), "float32")
    # x_hat = alpha, gradient 2 x_hat: norms 1.0 and 0.5, penalty mean(0, 0.25)
    close(losses.gradient_penalty(critic, real, fake, np.array([[0.5], [0.25]], "float32")), 0.125)


def test_gradient_penalty_of_a_flat_critic_is_finite():
    import tensorflow as tf

    flat = lambda x, training=False: tf.zeros((tf.shape(x)[0], 1)) + 0.0 * tf.reduce_sum(x, axis=1, keepdims=True)
    value = float(losses.gradient_penalty(flat, np.ones((2, 3), "float32"), np.zeros((2, 3), "float32"),
                                          np.full((2, 1), 0.5, "float32")))
    assert np.isfinite(value) and abs(value - 1.0) < 1e-4  # (sqrt(1e-10) - 1)^2, no NaN from sqrt(0)


# --- the building blocks ---------------------------------------------------------------------------------------------
LN2, LN3 = np.log(2.0), np.log(3.0)


def test_sigmoid_cross_entropy_per_element():
    # softplus(l) - t l: logit 0 -> ln 2 whatever the target; logit 2, target 1 -> ln(1 + e^-2); target 0 -> ln(1 + e^2)
    got = np.asarray(losses.sigmoid_cross_entropy(np.array([0.0, 2.0, 2.0], "float32"),
                                                  np.array([1.0, 1.0, 0.0], "float32")))
    np.testing.assert_allclose(got, [LN2, np.log1p(np.exp(-2.0)), np.log1p(np.exp(2.0))], rtol=1e-6, atol=1e-6)


def test_cross_entropy_discriminator_loss_with_per_example_targets():
    # reals at logit 2 with targets (1, 0): mean(ln(1 + e^-2), ln(1 + e^2)) = mean(0.126928, 2.126928) = 1.126928;
    # one fake at logit 0: ln 2. Total 1.820075.
    real, fake = np.array([2.0, 2.0], "float32"), np.zeros(1, "float32")
    close(losses.cross_entropy_discriminator_loss(real, fake, np.array([1.0, 0.0], "float32")), 1.820075, 1e-5)
    # a number as the target is label smoothing: the same as minimax_discriminator_loss
    close(losses.cross_entropy_discriminator_loss(REAL, FAKE, 0.875), 6.19637)


def test_least_squares_pm1_golden():
    # real (1, 0) against +1: (0 + 1) / 2; fake (-1, 0) against -1: (0 + 1) / 2; no 1/2 in front
    close(losses.least_squares_pm1_discriminator_loss(np.array([1.0, 0.0], "float32"),
                                                      np.array([-1.0, 0.0], "float32")), 1.0)
    close(losses.least_squares_pm1_generator_loss(np.array([0.0, 3.0], "float32")), (1.0 + 4.0) / 2)


def test_real_target_mse_is_keras_mse_against_ones():
    # 2x2 patch map (0, 0.5; 3, 1): ((0 - 1)^2 + (0.5 - 1)^2 + (3 - 1)^2 + 0) / 4 = 5.25 / 4, no factor 1/2
    patches = np.array([0.0, 0.5, 3.0, 1.0], "float32").reshape(1, 2, 2, 1)
    close(losses.real_target_mse(patches), 1.3125, 1e-6)


def test_least_squares_discriminator_loss_on_patches():
    ones, zeros = np.ones((2, 4, 4, 1), "float32"), np.zeros((2, 4, 4, 1), "float32")
    close(losses.least_squares_discriminator_loss(ones, zeros), 0.0, 1e-7)  # a perfect PatchGAN
    close(losses.least_squares_discriminator_loss(zeros, ones), 1.0, 1e-6)  # 0.5 x 1 + 0.5 x 1
    close(losses.least_squares_discriminator_loss(ones / 2, ones / 2), 0.25, 1e-6)  # 0.5 x 0.25 + 0.5 x 0.25


def test_edge_smoothed_discriminator_loss():
    # real 1 -> 0, smoothed 0.5 -> 0.25, fake 0.25 -> 0.0625: the mean of the three MSEs
    full = lambda v: np.full((1, 2, 2, 1), v, "float32")  # noqa: E731
    close(losses.edge_smoothed_discriminator_loss(full(1.0), full(0.5), full(0.25)), (0 + 0.25 + 0.0625) / 3, 1e-6)
    close(losses.edge_smoothed_discriminator_loss(full(0.5), full(0.5), full(0.5)), 0.25, 1e-6)


def test_mean_absolute_and_squared_error_on_a_2x2_example():
    # x = (1, -2; 0.5, 0), y = 0: |x| = (1, 2, 0.5, 0) -> 3.5 / 4; x^2 = (1, 4, 0.25, 0) -> 5.25 / 4
    x, y = np.array([[1.0, -2.0], [0.5, 0.0]], "float32"), np.zeros((2, 2), "float32")
    close(losses.mean_absolute_error(x, y), 0.875, 1e-6)
    close(losses.mean_squared_error(x, y), 1.3125, 1e-6)
    close(losses.mean_absolute_error(y, x), 0.875, 1e-6)  # symmetric


def test_cycle_consistency_loss_sums_both_directions():
    # a = 0 comes back as 0.2, b = 0.5 comes back as 0.3: 0.2 + 0.2
    full = lambda v: np.full((2, 4, 4, 3), v, "float32")  # noqa: E731
    close(losses.cycle_consistency_loss(full(0.0), full(0.5), full(0.2), full(0.3)), 0.4, 1e-6)
    close(losses.cycle_consistency_loss(full(0.0), full(0.5), full(0.0), full(0.5)), 0.0, 1e-7)


# --- classes, codes, SGAN ---------------------------------------------------------------------------------------------
CLASS_LOGITS = np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 3.0], [1.0, 0.0, 0.0]], "float32")


def test_class_cross_entropy_and_accuracy():
    one_hot = np.eye(4, dtype="float32")[[1, 3]]
    np.testing.assert_allclose(np.asarray(losses.class_cross_entropy(np.zeros((2, 4), "float32"), one_hot)),
                               [np.log(4)] * 2, rtol=1e-6)
    # argmax (0, 2, 0) against classes (0, 1, 0): 2 of 3
    close(losses.class_accuracy(CLASS_LOGITS, np.eye(3, dtype="float32")[[0, 1, 0]]), 2 / 3, 1e-6)
    close(losses.sparse_class_accuracy(CLASS_LOGITS, np.array([0, 1, 0])), 2 / 3, 1e-6)
    close(losses.sparse_class_accuracy(CLASS_LOGITS, np.array([0, 2, 0])), 1.0, 1e-6)


def test_sparse_softmax_cross_entropy_and_its_mean():
    # logits (0, ln 3): softmax (1/4, 3/4); label 1 -> -ln(3/4) = 0.287682, label 0 -> ln 4 = 1.386294
    logits = np.array([[0.0, LN3], [0.0, LN3]], "float32")
    np.testing.assert_allclose(np.asarray(losses.sparse_softmax_cross_entropy(logits, np.array([1, 0]))),
                               [np.log(4 / 3), np.log(4)], rtol=1e-5)
    close(losses.sparse_classification_loss(logits, np.array([1, 0])), 0.5 * (np.log(4 / 3) + np.log(4)), 1e-5)
    close(losses.sparse_classification_loss(np.zeros((3, 10), "float32"), np.array([0, 4, 9])), np.log(10), 1e-6)


def test_two_head_discriminator_loss_at_zero_logits():
    # every logit 0: BCE = ln 2 whatever the target, CE over 3 classes = ln 3
    source, targets = np.zeros(4, "float32"), np.array([0.0, 0.0, 1.0, 1.0], "float32")
    classes, labels = np.zeros((4, 3), "float32"), np.array([2, 2, 0, 1])
    close(losses.two_head_discriminator_loss(source, targets, classes, labels), 0.5 * LN2 + 0.5 * LN3, 1e-6)
    close(losses.two_head_discriminator_loss(source, targets, classes, labels, 1.0, 0.0), LN2, 1e-6)
    # source logits 2 on targets (1, 0) only: 0.5 x mean(0.126928, 2.126928) + 0.5 x ln 3
    close(losses.two_head_discriminator_loss(np.array([2.0, 2.0], "float32"), np.array([1.0, 0.0], "float32"),
                                             np.zeros((2, 3), "float32"), np.array([0, 1])),
          0.5 * 1.126928 + 0.5 * LN3, 1e-5)


def test_real_logit_from_class_logits():
    # logsumexp(l_0..l_{K-1}) - l_K: (0, 0, 0) -> ln 2; (1, 2, 3) -> 2 + ln(1 + e^-1) - 3 = -0.686738
    got = np.asarray(losses.real_logit_from_class_logits(np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]], "float32")))
    np.testing.assert_allclose(got, [LN2, -0.686738], rtol=1e-5, atol=1e-6)


def test_sgan_unsupervised_loss_at_zero_logits():
    # r = ln 2 for both batches: BCE(ln 2, 1) = ln 3 - ln 2, BCE(ln 2, 0) = ln 3; half their sum = 0.752039
    zeros = np.zeros((4, 3), "float32")
    close(losses.sgan_unsupervised_loss(zeros, zeros), 0.5 * ((LN3 - LN2) + LN3), 1e-6)


def test_feature_matching_loss_compares_batch_means():
    # real features (0, 2; 2, 2) -> mean (1, 2); fakes all 0: ((1 - 0)^2 + (2 - 0)^2) / 2
    real = np.array([[0.0, 2.0], [2.0, 2.0]], "float32")
    close(losses.feature_matching_loss(real, np.zeros((2, 2), "float32")), 2.5, 1e-6)
    close(losses.feature_matching_loss(real, real[::-1]), 0.0, 1e-7)  # same mean, different examples


def test_infogan_code_losses():
    # uniform Q over 10 categories: ln 10; a Gaussian code (1, -1) predicted as (0, 0): 0.5 (1 + 1)
    one_hot = np.eye(10, dtype="float32")[[3, 7]]
    close(losses.categorical_code_loss(one_hot, np.zeros((2, 10), "float32")), np.log(10), 1e-6)
    close(losses.gaussian_code_loss(np.array([[1.0, -1.0]], "float32"), np.zeros((1, 2), "float32")), 1.0, 1e-6)


def test_acgan_losses_at_zero_logits():
    # D: 0.5 BCE(0) + 0.5 CE over 10 classes; G: BCE(0, real) + CE, weights 1 and 1
    zero, zero_k, classes = np.zeros((2, 1), "float32"), np.zeros((2, 10), "float32"), np.eye(10, dtype="float32")[:2]
    close(losses.acgan_discriminator_loss(zero, zero, zero_k, zero_k, classes, classes),
          0.5 * LN2 + 0.5 * np.log(10), 1e-6)
    close(losses.acgan_generator_loss(zero, zero_k, classes), LN2 + np.log(10), 1e-6)


# --- the VAE -------------------------------------------------------------------------------------------------------
def test_vae_losses_on_a_2x2_example():
    # KL(N((1, 0), I) || N(0, I)) = 0.5 (1^2 + 0) = 0.5; log variance ln 2 in one dimension: 0.5 (2 - 1 - ln 2)
    np.testing.assert_allclose(np.asarray(losses.gaussian_kl(np.array([[1.0, 0.0], [0.0, 0.0]], "float32"),
                                                             np.array([[0.0, 0.0], [LN2, 0.0]], "float32"))),
                               [0.5, 0.5 * (1.0 - LN2)], rtol=1e-5)
    images = np.array([1.0, 0.0, 1.0, 0.0], "float32").reshape(1, 2, 2, 1)
    mean, log_var = np.array([[1.0, 0.0]], "float32"), np.zeros((1, 2), "float32")
    # book: 784 x mean((0.5)^2) = 196, KL averaged over the 2 dimensions: 0.5 / 2 = 0.25
    total, recon, kl = (float(v) for v in losses.book_vae_loss(images, np.full_like(images, 0.5), mean, log_var))
    np.testing.assert_allclose([total, recon, kl], [196.25, 196.0, 0.25], rtol=1e-6)
    # ELBO: 4 pixels at p = 0.5 -> 4 ln 2 nats, full KL 0.5
    total, recon, kl = (float(v) for v in losses.bernoulli_elbo_loss(images, np.full_like(images, 0.5), mean, log_var))
    np.testing.assert_allclose([total, recon, kl], [4 * LN2 + 0.5, 4 * LN2, 0.5], rtol=1e-6)


def test_loss_families_by_name():
    assert losses.get_losses("least_squares") == (losses.least_squares_discriminator_loss,
                                                  losses.least_squares_generator_loss)
    assert losses.get_losses("non_saturating")[1] is losses.non_saturating_generator_loss


def test_every_loss_function_has_a_golden_test_here():
    source = Path(__file__).read_text()
    public = [name for name, fn in inspect.getmembers(losses, inspect.isfunction)
              if fn.__module__ == losses.__name__ and not name.startswith("_")]
    assert len(public) > 30
    untested = [name for name in public if f"losses.{name}(" not in source]
    assert not untested, f"functions of gancore.losses without a golden test in {Path(__file__).name}: {untested}"
