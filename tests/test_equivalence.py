"""The notebooks' shown-step checks: a written-out train_step equal to gancore's passes, a wrong one fails."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from gancore import losses
from gancore.training.equivalence import assert_same_training, clone_network, compare_training
from gancore.training.gan import GAN
from gancore.training.two_player import TwoPlayerModel


class ShownGAN(TwoPlayerModel):
    """The non-saturating GAN step as a chapter writes it out (optionally with a mistake)."""

    NOISE_STREAMS = GAN.NOISE_STREAMS

    def __init__(self, generator, discriminator, latent_dim, seed=0, mistake=None):
        super().__init__()
        self.generator, self.discriminator, self.latent_dim = generator, discriminator, latent_dim
        self.noise_seed, self.mistake = seed, mistake
        self.track("d_loss", "g_loss")

    def train_step(self, real):
        n = tf.shape(real)[0]
        z = self.step_normal((n, self.latent_dim), self.stream("d_noise"))
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(self.generator(z, training=True), training=True)
            d_loss = (tf.reduce_mean(losses.sigmoid_cross_entropy(real_logits, 1.0))
                      + tf.reduce_mean(losses.sigmoid_cross_entropy(fake_logits, 0.0)))
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, variables), variables))

        z = self.step_normal((n, self.latent_dim), self.stream("g_noise"))
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(self.generator(z, training=True), training=True)
            if self.mistake == "minimax":
                g_loss = -tf.reduce_mean(losses.sigmoid_cross_entropy(fake_logits, 0.0))
            else:
                g_loss = tf.reduce_mean(losses.sigmoid_cross_entropy(fake_logits, 1.0))
        variables = self.generator.trainable_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, variables), variables))
        return self.report({"d_loss": d_loss, "g_loss": g_loss})


def _pair(mistake=None):
    keras.utils.set_random_seed(0)
    g = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(4)])
    d = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    reference = GAN(g, d, latent_dim=3, seed=5)
    shown = ShownGAN(clone_network(g), clone_network(d), latent_dim=3, seed=5, mistake=mistake)
    for model in (reference, shown):
        model.compile(keras.optimizers.Adam(1e-2, beta_1=0.5), keras.optimizers.Adam(1e-2, beta_1=0.5))
    batches = [tf.constant(np.random.default_rng(i).normal(size=(6, 4)), tf.float32) for i in range(3)]
    return shown, reference, batches


NETWORKS = lambda model: (model.generator, model.discriminator)  # noqa: E731


def test_a_faithful_step_trains_like_gancore():
    shown, reference, batches = _pair()
    result = assert_same_training(shown, reference, batches, NETWORKS)
    assert result.steps == 3 and result.variables == 8  # two Dense layers per network, kernel and bias
    assert result.max_difference <= 1e-6
    if result.max_difference == 0:
        assert str(result).endswith("(every weight equal)")
    # the weights did move (Adam at 1e-2 for three steps), so agreeing is not trivial
    assert shown.generator.weights[0].numpy().std() > 0
    assert result.shown_logs["d_loss"] == pytest.approx(result.reference_logs["d_loss"], rel=1e-5)


def test_a_wrong_generator_loss_is_caught_with_the_variable_named():
    shown, reference, batches = _pair(mistake="minimax")
    with pytest.raises(AssertionError, match=r"does not train like gancore's.*largest difference .* \(in "):
        assert_same_training(shown, reference, batches, NETWORKS)
    shown, reference, batches = _pair(mistake="minimax")
    result = compare_training(shown, reference, batches, NETWORKS)
    assert result.max_difference > 1e-4 and "dense" in result.worst  # a generator weight differs


def test_different_starting_weights_are_refused():
    shown, reference, batches = _pair()
    shown.generator.layers[0].kernel.assign(shown.generator.layers[0].kernel + 1.0)
    with pytest.raises(ValueError, match="start from different weights"):
        compare_training(shown, reference, batches, NETWORKS)


def test_a_clone_drops_the_same_units_as_its_original():
    # Keras keeps a dropout layer's seed in a variable that is not a weight; the clone must copy it too
    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((400,)), keras.layers.Dense(400), keras.layers.Dropout(0.5)])
    copy = clone_network(net)
    x = tf.ones((2, 400))
    for _ in range(2):  # the two seed generators also advance alike
        original, cloned = net(x, training=True).numpy(), copy(x, training=True).numpy()
        np.testing.assert_array_equal(cloned, original)
        assert 0.4 < np.mean(original == 0.0) < 0.6  # dropout at 0.5 did drop about half the units
    np.testing.assert_array_equal(copy(x).numpy(), net(x).numpy())  # and the weights are equal



def test_a_check_inside_python_random_kept_leaves_later_networks_unchanged():
    import random

    from gancore.training.equivalence import python_random_kept

    random.seed(7)
    expected = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)]).get_weights()[0]
    random.seed(7)
    with python_random_kept():
        keras.Sequential([keras.Input((2,)), keras.layers.Dense(5)])  # the check's own network
    after = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)]).get_weights()[0]
    np.testing.assert_array_equal(after, expected)
    with pytest.raises(RuntimeError), python_random_kept():
        random.random()
        raise RuntimeError("a failing check")
