"""The two-player base: named noise streams, the one update helper, compile, trackers; every trainer uses it."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from gancore.training.acgan import ACGAN
from gancore.training.cartoongan import CartoonGAN
from gancore.training.conditional import ConditionalGAN
from gancore.training.context_encoder import ContextEncoder
from gancore.training.cyclegan import CycleGAN
from gancore.training.gan import GAN
from gancore.training.infogan import InfoGAN
from gancore.training.pix2pix import Pix2Pix
from gancore.training.semi_supervised import SemiSupervisedGAN
from gancore.training.srgan import SRGAN
from gancore.training.two_player import TwoPlayerModel, apply_update, stream_count, stream_index


@pytest.mark.parametrize("trainer", [GAN, ConditionalGAN, InfoGAN, ACGAN, SemiSupervisedGAN, CycleGAN, Pix2Pix,
                                     SRGAN, CartoonGAN, ContextEncoder])
def test_every_two_network_trainer_has_the_one_base(trainer):
    assert issubclass(trainer, TwoPlayerModel)
    assert "compile" not in vars(trainer) and "step_counter" not in vars(trainer) and "metrics" not in vars(trainer)


# --- named noise streams: the integers the trainers have always used --------------------------------------------------
def test_gan_streams_for_one_and_two_discriminator_updates():
    layout = GAN.NOISE_STREAMS
    # one D update: its noise, flip coins, penalty weights, conditions 0..3; G's noise and conditions 4, 5
    assert [stream_index(layout, n, 1) for n in ("d_noise", "label_flip", "penalty", "d_condition")] == [0, 1, 2, 3]
    assert (stream_index(layout, "g_noise", 1), stream_index(layout, "g_condition", 1), stream_count(layout, 1)) == \
        (4, 5, 6)
    # two D updates: 4 i + k for update i, then 8 and 9
    assert stream_index(layout, "d_noise", 2, 1) == 4 and stream_index(layout, "d_condition", 2, 1) == 7
    assert (stream_index(layout, "g_noise", 2), stream_index(layout, "g_condition", 2), stream_count(layout, 2)) == \
        (8, 9, 10)


def test_infogan_adds_its_continuous_streams_after_the_gan_ones():
    layout = InfoGAN.NOISE_STREAMS
    # d_steps = 2: the GAN's 10 streams, then one per D update (10, 11) and one for G (12)
    assert [stream_index(layout, "d_continuous", 2, i) for i in (0, 1)] == [10, 11]
    assert stream_index(layout, "g_continuous", 2) == 12 and stream_count(layout, 2) == 13
    assert stream_index(layout, "d_condition", 1) == 3 and stream_index(layout, "g_continuous", 1) == 7


def test_stream_names_are_checked():
    with pytest.raises(KeyError, match="no noise stream"):
        stream_index(GAN.NOISE_STREAMS, "z", 1)
    with pytest.raises(ValueError, match="once per step"):
        stream_index(GAN.NOISE_STREAMS, "g_noise", 2, 1)
    with pytest.raises(ValueError, match="outside"):
        stream_index(GAN.NOISE_STREAMS, "d_noise", 2, 2)


# --- the update helper ------------------------------------------------------------------------------------------------
def _weight(value):
    return keras.Variable(np.array(value, "float32"))


def test_apply_update_takes_one_sgd_step_on_the_loss():
    # loss = mean(w * x) with x = (1, 3): gradient x / 2 = (0.5, 1.5); SGD(0.1) from w = (1, 1) -> (0.95, 0.85)
    w = _weight([1.0, 1.0])
    optimizer = keras.optimizers.SGD(0.1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(w * tf.constant([1.0, 3.0]))
    apply_update(optimizer, tape, loss, [w])
    np.testing.assert_allclose(w.numpy(), [0.95, 0.85], rtol=1e-6)
    assert int(optimizer.iterations.numpy()) == 1


def test_apply_update_with_loss_scaling_gives_the_same_step():
    # LossScaleOptimizer multiplies the loss by its scale (2^15) and divides the gradients by it again: same step
    w = _weight([1.0, 1.0])
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(w * tf.constant([1.0, 3.0]))
    apply_update(optimizer, tape, loss, [w])
    np.testing.assert_allclose(w.numpy(), [0.95, 0.85], rtol=1e-6)


def test_apply_update_can_skip_variables_the_loss_does_not_reach():
    used, unused = _weight([2.0]), _weight([5.0])
    optimizer = keras.optimizers.SGD(0.5)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(used * used)  # gradient 2 w = 4: 2 - 0.5 x 4 = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Gradients do not exist" warning from Keras
        apply_update(optimizer, tape, loss, [used, unused], skip_unconnected=True)
    np.testing.assert_allclose([used.numpy()[0], unused.numpy()[0]], [0.0, 5.0], atol=1e-7)


# --- compile, step counter, trackers ----------------------------------------------------------------------------------
class _Pair(TwoPlayerModel):
    def __init__(self):
        super().__init__()
        self.generator = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        self.discriminator = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        self.track("d_loss", "g_loss")

    def train_step(self, data):
        x = tf.reshape(tf.cast(data, tf.float32), (-1, 1))
        return self.report({"d_loss": tf.reduce_mean(x), "g_loss": 2.0 * tf.reduce_mean(x), "unlogged": 0.0})


def test_compile_builds_two_optimizers_and_refuses_a_shared_one():
    model = _Pair()
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two optimizer instances"):
        model.compile(shared, shared)
    model.compile(keras.optimizers.Adam(), keras.optimizers.SGD())
    assert model.d_optimizer.built and model.g_optimizer.built and model.built
    assert model.optimizer is model.g_optimizer and model.step_counter() is model.g_optimizer.iterations
    assert len(model.d_optimizer.variables) > len(model.g_optimizer.variables)  # Adam's slots vs SGD's counter


def test_report_gives_running_means_over_the_epoch():
    model = _Pair()
    model.compile(keras.optimizers.SGD(), keras.optimizers.SGD())
    history = model.fit(np.array([1.0, 3.0], "float32"), batch_size=1, epochs=1, verbose=0, shuffle=False).history
    assert set(history) == {"d_loss", "g_loss"}  # a value without a tracker is not logged
    np.testing.assert_allclose([history["d_loss"][0], history["g_loss"][0]], [2.0, 4.0], rtol=1e-6)  # (1 + 3) / 2
