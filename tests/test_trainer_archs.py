"""``gancore train`` for the WGAN seed projects: --arch s1/s2/s3, per-optimizer schedules in the log, full
checkpoints every --save-every epochs, per-step frames, in-memory decoding, Adam betas, fresh real batches
per critic update, the progress bar, and clear errors."""

from __future__ import annotations

import csv

import imageio.v3 as iio
import keras
import numpy as np
import pytest

from gancore.app import cli, train_command
from gancore.data.folders import scan_folder, step_indexed_folder_dataset


@pytest.fixture(scope="module")
def colour_folder(tmp_path_factory):
    """40 real colour photo crops (56x56 PNG, the anime stand-in's recipe) and one text file."""
    from gancore.data.standins import photo_pool, random_crops

    crops, _ = random_crops(photo_pool(), 40, 56, seed=0)
    folder = tmp_path_factory.mktemp("colour")
    for i, crop in enumerate(crops):
        iio.imwrite(folder / f"{i:03d}.png", crop)
    (folder / "readme.txt").write_text("not an image")
    return folder


def config(folder, out, **overrides):
    settings = dict(data=folder, out=out, batch_size=4, steps=2, steps_per_epoch=2, width=8, critic_steps=2,
                    samples=4, verbose=0, seed=1)
    settings.update(overrides)
    return train_command.TrainConfig(**settings)


@pytest.mark.parametrize(("arch", "model", "size", "latent", "low"), [
    ("s1", "wgan-gp", 48, 15, -1.0), ("s2", "wgan", 64, 128, 0.0), ("s3", "wgan-gp", 64, 100, 0.0)])
def test_seed_architectures_train_at_their_size_latent_and_range(colour_folder, tmp_path, arch, model, size, latent,
                                                                 low):
    result = train_command.train(config(colour_folder, tmp_path, arch=arch, model=model, frame_every=1))
    gan = result.model
    assert gan.generator.name.startswith(arch) and gan.discriminator.name.startswith(arch)
    assert gan.generator.output_shape == (None, size, size, 3) and gan.latent_dim == latent
    assert config(colour_folder, tmp_path, arch=arch).value_range == (low, 1.0)
    assert result.end_step == 2 and gan.fresh_real_per_d_step
    assert int(gan.d_optimizer.iterations.numpy()) == 4  # 2 critic updates per step
    grid = iio.imread(tmp_path / "samples" / "epoch_0001.png")
    assert grid.shape == (2 * size + 1, 2 * size + 1, 3)  # 2x2 samples with a 1-pixel gap
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == ["step_000001.png", "step_000002.png"]
    assert iio.imread(tmp_path / "frames.gif", index=None).shape[0] == 2
    assert (tmp_path / "critic.keras").is_file() and (tmp_path / "checkpoints" / "step2.weights.h5").is_file()


def test_arch_and_option_errors_name_the_fix(colour_folder, tmp_path):
    def error(**overrides):
        with pytest.raises(train_command.TrainError) as info:
            config(colour_folder, tmp_path, **overrides).check()
        return str(info.value)

    assert "makes 48x48 images: use --image-size 48" in error(arch="s1", image_size=64)
    assert "has no normalisation layers" in error(arch="s2", critic_norm="batch")
    assert "--allow-batchnorm-critic" in error(arch="s3", critic_norm="batch")
    assert "uses rmsprop" in error(model="wgan", beta_1=0.5)
    assert "must be in [0, 1)" in error(beta_2=1.0)
    assert "Unknown --arch" in error(arch="s9")
    gan = train_command.build_gan(config(colour_folder, tmp_path, arch="s3", critic_norm="batch",
                                         allow_batchnorm_critic=True, beta_1=0.5, beta_2=0.9, d_lr=2e-4))
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in gan.discriminator.layers)
    assert (float(gan.d_optimizer.beta_1), float(gan.d_optimizer.beta_2)) == (0.5, 0.9)
    assert train_command.current_rate(gan.d_optimizer) == pytest.approx(2e-4)
    layer = train_command.build_gan(config(colour_folder, tmp_path, arch="s3"))  # wgan-gp's default: layer norm
    assert any(isinstance(lay, keras.layers.GroupNormalization) for lay in layer.discriminator.layers)
    streamed = train_command.build_gan(config(colour_folder, tmp_path, fresh_real=False, image_size=24))
    assert not streamed.fresh_real_per_d_step


def test_in_memory_batches_equal_the_streamed_ones(colour_folder):
    files = scan_folder(colour_folder).files
    table = train_command.decode_folder(files, 24, (0.0, 1.0), 3)
    assert table.shape == (40, 24, 24, 3)
    cached = [b.numpy() for b in train_command.step_indexed_cached_dataset(table, 6, 5, start_step=3, num_steps=2)]
    streamed = [b.numpy() for b in step_indexed_folder_dataset(files, (24, 24), 6, 5, 3, 2, value_range=(0.0, 1.0))]
    assert len(cached) == 2
    for a, b in zip(cached, streamed):
        np.testing.assert_array_equal(a, b)


def test_each_optimizers_schedule_is_logged_per_epoch_and_checkpoints_restore_everything(colour_folder, tmp_path):
    settings = config(colour_folder, tmp_path, image_size=24, latent_dim=8, steps=8, save_every=2, d_lr=1e-3,
                      g_lr=1e-3, d_schedule="step:0.5:1", g_schedule="step:0.1:2")
    result = train_command.train(settings)
    with open(tmp_path / "losses.csv") as handle:
        rows = list(csv.DictReader(handle))
    # the rate each optimizer used during the epoch: critic x0.5 every epoch, generator x0.1 every 2 epochs
    np.testing.assert_allclose([float(r["d_lr"]) for r in rows], [1e-3, 5e-4, 2.5e-4, 1.25e-4], rtol=1e-5)
    np.testing.assert_allclose([float(r["g_lr"]) for r in rows], [1e-3, 1e-3, 1e-4, 1e-4], rtol=1e-5)
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["step4.weights.h5", "step8.weights.h5"]
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == [f"epoch_000{i}.png" for i in (0, 2, 4)]
    final, halfway = (train_command.load_checkpoint(settings, tmp_path / "checkpoints" / f"step{s}.weights.h5")
                      for s in (8, 4))
    assert (int(halfway.g_optimizer.iterations.numpy()), int(halfway.d_optimizer.iterations.numpy())) == (4, 8)
    for mine, loaded in ((result.model.generator, final.generator), (result.model.discriminator, final.discriminator),
                         (result.model.g_optimizer, final.g_optimizer), (result.model.d_optimizer, final.d_optimizer)):
        assert len(mine.variables) == len(loaded.variables)
        for a, b in zip(mine.variables, loaded.variables):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_cli_end_to_end_with_seed_options_progress_bar_and_resume(colour_folder, tmp_path, capsys):
    out = tmp_path / "run"
    options = ["train", "--data", str(colour_folder), "--out", str(out), "--arch", "s3", "--model", "wgan-gp",
               "--critic-norm", "layer", "--beta-1", "0.5", "--beta-2", "0.9", "--d-lr", "2e-4", "--g-lr", "2e-4",
               "--d-schedule", "step:0.1:1", "--critic-steps", "2", "--batch-size", "4", "--width", "8",
               "--steps-per-epoch", "2", "--frame-every", "2", "--seed", "2"]
    assert cli.main([*options, "--steps", "2"]) == 0
    printed = capsys.readouterr().out
    assert "2/2" in printed and "━" in printed and "d_lr: 2.0000e-04" in printed  # Keras' bar with both rates
    assert "Trained steps 0-2 on 40 images (1 skipped)" in printed
    assert cli.main([*options, "--steps", "4", "--progress", "none"]) == 0
    printed = capsys.readouterr().out
    assert "Resuming from step 2" in printed and "━" not in printed and "Trained steps 2-4" in printed
    with open(out / "losses.csv") as handle:
        np.testing.assert_allclose([float(r["d_lr"]) for r in csv.DictReader(handle)], [2e-4, 2e-5], rtol=1e-5)
    assert sorted(p.name for p in (out / "frames").iterdir()) == ["step_000002.png", "step_000004.png"]
    assert (out / "samples.gif").is_file() and (out / "losses.png").is_file() and (out / "generator.keras").is_file()
    wrong_size = ["train", "--data", str(colour_folder), "--out", str(out), "--arch", "s1", "--image-size", "64"]
    assert cli.main(wrong_size) == 2
    assert "use --image-size 48" in capsys.readouterr().err


def test_printed_command_line_parses_back_to_the_same_config(tmp_path):
    import shlex

    settings = train_command.TrainConfig(data=tmp_path / "my images", out=tmp_path / "out", arch="s3", model="wgan-gp",
                                   critic_norm="batch", allow_batchnorm_critic=True, beta_1=0.5, beta_2=0.9,
                                   d_lr=2e-4, g_schedule="step:0.1:50", fresh_real=False, frame_every=3, verbose=2,
                                   latent_dim=64, cache_mb=0)
    line = cli.train_command_line(settings)
    assert line.startswith("gancore train --data ") and "'" in line  # the space in the path is quoted
    assert "--progress epoch" in line and "--no-fresh-real" in line and "--allow-batchnorm-critic" in line
    assert cli.config_from_args(cli.build_parser().parse_args(shlex.split(line)[1:])) == settings
    plain = train_command.TrainConfig(data=tmp_path, out=tmp_path / "o", verbose=1)
    assert cli.train_command_line(plain) == f"gancore train --data {tmp_path} --out {tmp_path / 'o'} --progress bar"
