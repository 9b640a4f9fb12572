"""TensorBoard logs: fit_steps under $GANCORE_TENSORBOARD and `gancore train --tensorboard`."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from gancore.training.callbacks import TENSORBOARD_ENV
from gancore.training.fitting import train_and_track
from gancore.training.gan import GAN


def _events(folder: Path) -> EventAccumulator:
    files = sorted(folder.glob("events.out.tfevents.*"))
    assert files, f"no event file in {folder}: {sorted(p.name for p in folder.rglob('*'))}"
    accumulator = EventAccumulator(str(folder), size_guidance={"tensors": 0, "images": 0})
    accumulator.Reload()
    return accumulator


def _scalar(accumulator: EventAccumulator, tag: str) -> list[float]:
    return [float(tf.make_ndarray(event.tensor_proto)) for event in accumulator.Tensors(tag)]


def test_fit_steps_logs_losses_and_sample_grids_when_asked(tmp_path, monkeypatch):
    monkeypatch.setenv(TENSORBOARD_ENV, str(tmp_path / "tb"))
    keras.utils.set_random_seed(0)
    g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(16, activation="sigmoid"),
                          keras.layers.Reshape((4, 4))])
    d = keras.Sequential([keras.Input((4, 4)), keras.layers.Flatten(), keras.layers.Dense(1)])
    gan = GAN(g, d, latent_dim=2, name="tiny_gan")
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    real = tf.data.Dataset.from_tensors(tf.ones((4, 4, 4)) * 0.5)
    run = train_and_track(gan, lambda start, n: real.repeat(n), total_steps=6, steps_per_epoch=2,
                          sample=lambda: g(np.zeros((4, 2), "float32")).numpy(), verbose=0)
    (log_dir,) = (tmp_path / "tb").iterdir()
    assert log_dir.name.startswith("tiny_gan-")
    train = _events(log_dir / "train")
    d_losses = _scalar(train, "epoch_d_loss")
    np.testing.assert_allclose(d_losses, run.history.history["d_loss"], rtol=1e-6)  # one point per epoch
    samples = _events(log_dir / "samples")
    images = samples.Tensors("samples")  # TF2 image summaries: [width, height, PNG] strings
    assert [event.step for event in images] == [0, 2, 4, 6]  # before the first step, then every epoch
    width, height, png = tf.make_ndarray(images[0].tensor_proto)
    assert int(width) == int(height) == 2 * 4 + 1  # a 2 x 2 grid of 4 x 4 images, one pixel between them
    assert tf.io.decode_png(png).shape == (9, 9, 1)


def test_no_logs_without_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv(TENSORBOARD_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    data = tf.data.Dataset.from_tensors((tf.ones((2, 3)), tf.ones((2, 1))))
    train_and_track(model, lambda start, n: data.repeat(n), total_steps=2, steps_per_epoch=1, verbose=0)
    assert not any(tmp_path.rglob("events.out.tfevents.*"))


def test_gancore_train_tensorboard_option_logs_each_session(tmp_path):
    import imageio.v3 as iio

    from gancore.app import train_command
    from tests.helpers import real_mnist

    images = tmp_path / "images"
    images.mkdir()
    for i, image in enumerate(real_mnist("fashion_mnist").x_train[:16]):
        iio.imwrite(images / f"{i:02d}.png", image)
    config = train_command.TrainConfig(data=images, out=tmp_path / "run", model="wgan-gp", image_size=16,
                                       latent_dim=4, batch_size=4, steps=4, steps_per_epoch=2, width=4, critic_steps=1,
                                       samples=4, verbose=0, seed=0, tensorboard=True, channels=1)
    result = train_command.train(config)
    folder = tmp_path / "run" / "tensorboard" / "from-step-0"
    losses = _scalar(_events(folder / "train"), "epoch_d_loss")
    np.testing.assert_allclose(losses, result.history["d_loss"], rtol=1e-6)
    assert [e.step for e in _events(folder / "samples").Tensors("samples")] == [0, 2, 4]
