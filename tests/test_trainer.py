"""``gancore train`` end to end on a small folder of real images: outputs, interruption and exact resume, errors."""

import csv

import imageio.v3 as iio
import keras
import numpy as np
import pytest

from gancore.app import cli, train_command
from tests.helpers import real_mnist

from .conftest import StopAfter


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    """48 real Fashion-MNIST images as PNG files, one corrupt JPEG and one text file."""
    folder = tmp_path_factory.mktemp("images")
    for i, image in enumerate(real_mnist("fashion_mnist").x_train[:48]):
        iio.imwrite(folder / f"{i:03d}.png", image)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    (folder / "notes.txt").write_text("not an image")
    return folder


def config(folder, out, **overrides):
    settings = dict(data=folder, out=out, model="wgan-gp", image_size=24, latent_dim=8, batch_size=8, steps=6,
                    steps_per_epoch=2, width=8, critic_steps=2, samples=4, verbose=0, seed=3)
    settings.update(overrides)
    return train_command.TrainConfig(**settings)


def generator_weights(out):
    model = keras.models.load_model(out / "generator.keras")
    return [w.numpy() for w in model.weights]


@pytest.fixture(scope="module")
def runs(image_folder, tmp_path_factory):
    from tensorflow.python.framework import config as tf_config

    tf_config.enable_op_determinism()
    try:
        base = tmp_path_factory.mktemp("runs")
        whole = train_command.train(config(image_folder, base / "whole"))
        with pytest.raises(KeyboardInterrupt):
            train_command.train(config(image_folder, base / "resumed"), callbacks=[StopAfter(1)])
        resumed = train_command.train(config(image_folder, base / "resumed"))
    finally:
        tf_config.disable_op_determinism()
    return base, whole, resumed


def test_interrupted_and_resumed_run_equals_the_uninterrupted_one(runs):
    base, whole, resumed = runs
    assert (whole.start_step, whole.end_step) == (0, 6)
    assert (resumed.start_step, resumed.end_step) == (2, 6)
    for a, b in zip(generator_weights(base / "whole"), generator_weights(base / "resumed")):
        np.testing.assert_array_equal(a, b)


def test_run_writes_samples_gif_losses_and_weights(runs):
    base, whole, _ = runs
    assert whole.images == 48 and whole.skipped == 2
    out = base / "resumed"
    assert sorted(p.name for p in (out / "samples").glob("*.png")) == [f"epoch_000{i}.png" for i in range(4)]
    assert iio.imread(out / "samples.gif", index=None).shape[0] == 4
    with open(out / "losses.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]  # both sessions, one row per epoch
    assert all(np.isfinite(float(r["d_loss"])) and float(r["d_lr"]) == pytest.approx(1e-4) for r in rows)
    assert (out / "losses.png").stat().st_size > 1000
    assert sorted(p.name for p in (out / "weights").iterdir()) == [f"generator_step{s}.weights.h5" for s in (2, 4, 6)]


def test_a_finished_run_continues_with_more_steps(runs, image_folder):
    base, _, _ = runs
    more = train_command.train(config(image_folder, base / "whole", steps=8))
    assert (more.start_step, more.end_step) == (6, 8)
    with pytest.raises(train_command.TrainError, match="already at step 8"):
        train_command.train(config(image_folder, base / "whole", steps=4))


def test_wgan_clipping_and_dcgan_variants_train(image_folder, tmp_path):
    clipped = train_command.train(config(image_folder, tmp_path / "wgan", model="wgan", steps=2))
    assert clipped.end_step == 2
    gan = train_command.build_gan(config(image_folder, tmp_path / "x", model="wgan"))
    assert gan.clip_value == 0.01 and isinstance(gan.d_optimizer, keras.optimizers.RMSprop)
    dcgan = train_command.build_gan(config(image_folder, tmp_path / "y", model="dcgan", critic_steps=None))
    assert dcgan.d_steps == 1 and dcgan.loss_name == "non_saturating"
    assert dcgan.d_optimizer is not dcgan.g_optimizer


def test_schedules_count_each_optimizers_own_updates():
    step = train_command.parse_schedule("step:0.1:2", 1.0, updates_per_epoch=5)  # x0.1 every 2 epochs of 5 updates
    np.testing.assert_allclose([float(step(i)) for i in (0, 9, 10, 20)], [1.0, 1.0, 0.1, 0.01], rtol=1e-6)
    linear = train_command.parse_schedule("linear:2", 0.5, updates_per_epoch=10, total_epochs=4)  # hold 20, zero at 40
    np.testing.assert_allclose([float(linear(i)) for i in (0, 20, 30, 40, 50)], [0.5, 0.5, 0.25, 0.0, 0.0])
    assert train_command.parse_schedule("constant", 0.3, 1) == 0.3
    with pytest.raises(train_command.TrainError, match="Bad learning-rate schedule"):
        train_command.parse_schedule("cosine", 1.0, 1)


@pytest.mark.parametrize(("options", "message"), [
    (["--image-size", "50"], "--image-size: image size 50 is not"),
    (["--steps", "5", "--steps-per-epoch", "2"], "must be a multiple"),
    (["--critic-norm", "batch"], "WGAN-GP penalises each example"),
    (["--g-schedule", "step:0.1"], "Bad learning-rate schedule"),
])
def test_bad_options_exit_2_with_a_message(image_folder, tmp_path, capsys, options, message):
    assert cli.main(["train", "--data", str(image_folder), "--out", str(tmp_path), *options]) == 2
    assert message in capsys.readouterr().err


def test_missing_and_empty_folders_exit_2_with_a_message(tmp_path, capsys):
    assert cli.main(["train", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no images here")
    assert cli.main(["train", "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 2
    assert "No usable images" in capsys.readouterr().err


def test_one_linear_decay_schedule_for_cyclegan_and_gancore_train():
    """gancore train's ``linear`` is CycleGAN's LinearDecayAfterHalf (one schedule, one home); hand-checked values."""
    from gancore.training import cyclegan, schedules

    assert cyclegan.LinearDecayAfterHalf is schedules.LinearDecayAfterHalf
    paper = schedules.LinearDecayAfterHalf(2e-4, total_steps=1000)  # hold 500, then down to 0 at 1000
    np.testing.assert_allclose([float(paper(s)) for s in (0, 500, 750, 1000, 1200)], [2e-4, 2e-4, 1e-4, 0, 0])
    linear = train_command.parse_schedule("linear", 0.5, updates_per_epoch=10, total_epochs=4)  # hold 2 epochs
    assert isinstance(linear, schedules.LinearDecayAfterHalf)
    np.testing.assert_allclose([float(linear(i)) for i in (0, 20, 30, 40)], [0.5, 0.5, 0.25, 0.0])
    assert train_command.parse_schedule("linear:4", 0.5, updates_per_epoch=10, total_epochs=4) == 0.5  # held to the end
