"""The generator's weight average (EMA): the update rule, the GAN trainer option, resume, batchnorm recalibration."""

import keras
import numpy as np
import pytest

from gancore.training.fitting import fit_steps
from gancore.training.gan import GAN
from gancore.training.weight_average import averaged_copy, recalibrate_batchnorm, update_average

from .conftest import StopAfter
from .test_training import make_data


def dense_net(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])


def test_update_average_follows_the_recurrence_by_hand():
    net = dense_net()
    average = averaged_copy(net)
    assert not average.trainable and average.name.endswith("_ema")
    for w in average.weights:
        w.assign(np.zeros(w.shape, "float32"))
    for w in net.weights:
        w.assign(np.ones(w.shape, "float32"))
    update_average(average, net, 0.9)  # 0.9 * 0 + 0.1 * 1
    for w in average.weights:
        np.testing.assert_allclose(w.numpy(), 0.1, rtol=1e-6)
    update_average(average, net, 0.9)  # 0.9 * 0.1 + 0.1 * 1 = 0.19
    for w in average.weights:
        np.testing.assert_allclose(w.numpy(), 0.19, rtol=1e-6)
    for w in net.weights:  # the source is untouched
        np.testing.assert_array_equal(w.numpy(), 1.0)


def ema_gan(decay, seed=1, init_seed=None, steps_per_execution=2):
    keras.utils.set_random_seed(seed if init_seed is None else init_seed)
    g = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.BatchNormalization(momentum=0.8),
                          keras.layers.Dense(64 * 8, activation="sigmoid"), keras.layers.Reshape((64, 8, 1))])
    d = keras.Sequential([keras.Input((64, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(1)])
    gan = GAN(g, d, latent_dim=4, ema_decay=decay, seed=seed)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2),
                steps_per_execution=steps_per_execution)
    return gan


def test_gan_keeps_a_per_step_average_of_the_generator():
    gan = ema_gan(0.5, steps_per_execution=1)  # the callback below then sees every step's weights
    start = [w.numpy().copy() for w in gan.generator.weights]
    for a, b in zip(gan.ema_generator.weights, start):
        np.testing.assert_array_equal(a.numpy(), b)  # the average starts at the initial weights
    snapshots = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            snapshots.append([w.numpy().copy() for w in gan.generator.weights])

    fit_steps(gan, make_data, total_steps=3, steps_per_epoch=3, callbacks=[Record()], verbose=0)
    assert len(snapshots) == 3
    # decay 0.5 after steps 1, 2, 3: 1/8 start + 1/8 w1 + 1/4 w2 + 1/2 w3
    for i, a in enumerate(gan.ema_generator.weights):
        expected = start[i] / 8 + snapshots[0][i] / 8 + snapshots[1][i] / 4 + snapshots[2][i] / 2
        np.testing.assert_allclose(a.numpy(), expected, rtol=1e-5, atol=1e-6)
    moved = [not np.allclose(a, b) for a, b in zip(snapshots[2], start)]
    assert sum(moved) >= 4  # the generator did change, so the check above is not trivial


def test_ema_decay_is_checked_and_off_by_default():
    assert ema_gan(0.0).ema_generator is None
    with pytest.raises(ValueError, match="ema_decay"):
        ema_gan(1.0)


def test_the_average_is_restored_when_training_resumes(tmp_path):
    reference = ema_gan(0.9)
    fit_steps(reference, make_data, total_steps=8, steps_per_epoch=2, verbose=0)
    interrupted = ema_gan(0.9)
    with pytest.raises(KeyboardInterrupt):
        fit_steps(interrupted, make_data, total_steps=8, steps_per_epoch=2, callbacks=[StopAfter(2)],
                  backup_dir=tmp_path / "backup", verbose=0)
    resumed = ema_gan(0.9, init_seed=99)
    fit_steps(resumed, make_data, total_steps=8, steps_per_epoch=2, backup_dir=tmp_path / "backup", verbose=0)
    for a, b in zip(reference.ema_generator.weights, resumed.ema_generator.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_recalibrate_batchnorm_gives_the_mean_of_the_batch_statistics():
    x = keras.Input((2,))
    net = keras.Model(x, keras.layers.BatchNormalization(momentum=0.8)(x))
    net.trainable = False  # frozen like an averaged copy: must still be recalibrated
    # batch 1: column 0 is 0, 2 (mean 1, variance 1); batch 2: 4, 6 (mean 5, variance 1); column 1 is 10 * column 0
    inputs = np.array([[0, 0], [2, 20], [4, 40], [6, 60]], "float32")
    assert recalibrate_batchnorm(net, inputs, batch_size=2) == 1
    norm = net.layers[-1]
    np.testing.assert_allclose(norm.moving_mean.numpy(), [3.0, 30.0], rtol=1e-6)
    np.testing.assert_allclose(norm.moving_variance.numpy(), [1.0, 100.0], rtol=1e-5)  # not the pooled 5 / 500
    assert norm.momentum == 0.8 and not norm.trainable
    np.testing.assert_array_equal(norm.gamma.numpy(), [1.0, 1.0])  # only the statistics change
    assert recalibrate_batchnorm(dense_net(), inputs[:, :1].repeat(3, 1)) == 0
