"""Golden values for the GAN losses (TF-GAN's fixtures, recomputed by hand)."""

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
