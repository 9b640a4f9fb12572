"""Train a GAN on any folder of images: the engine behind ``gancore train`` and the WGAN project chapters.

One call of :func:`train` builds the data stream, the networks, two optimizers with their own
learning-rate schedules and the callbacks, then runs ``fit()``. Everything lands in ``out``: sample
grids of fixed latent vectors and their GIF, the loss log and plot, generator weights every few
epochs, the final generator, and a backup from which an interrupted (or finished) run continues.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np

MODELS = {
    # the original WGAN: RMSprop 5e-5, weight clipping 0.01, no normalisation in the critic
    "wgan": {"loss": "wasserstein", "clip_value": 0.01, "critic_steps": 5, "critic_norm": "none",
             "optimizer": "rmsprop", "learning_rate": 5e-5},
    # WGAN-GP: Adam 1e-4 with betas (0, 0.9), penalty weight 10, layer norm in the critic
    "wgan-gp": {"loss": "wasserstein", "gp_weight": 10.0, "critic_steps": 5, "critic_norm": "layer",
                "optimizer": "adam", "learning_rate": 1e-4, "beta_1": 0.0, "beta_2": 0.9},
    # DCGAN: non-saturating loss, Adam 2e-4 with beta_1 0.5, batchnorm in both networks
    "dcgan": {"loss": "non_saturating", "critic_steps": 1, "critic_norm": "batch", "optimizer": "adam",
              "learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999},
}


class TrainError(ValueError):
    """A bad option or data folder for ``gancore train``; the message says what to change."""


@dataclass
class TrainConfig:
    """Options of one training run (``None`` means the model's default from :data:`MODELS`)."""

    data: Path
    out: Path
    model: str = "wgan-gp"
    image_size: int = 64
    channels: int = 3
    latent_dim: int = 128
    batch_size: int = 64
    steps: int = 2000
    steps_per_epoch: int = 100
    critic_steps: int | None = None
    gp_weight: float | None = None
    clip_value: float | None = None
    g_lr: float | None = None
    d_lr: float | None = None
    g_schedule: str = "constant"
    d_schedule: str = "constant"
    critic_norm: str | None = None
    width: int = 64
    save_every: int = 1
    samples: int = 36
    seed: int = 0
    verbose: int | str = "auto"
    extra: dict = field(default_factory=dict)

    def resolved(self, key: str):
        value = getattr(self, key)
        return MODELS[self.model].get(key) if value is None else value

    def check(self) -> None:
        if self.model not in MODELS:
            raise TrainError(f"Unknown model {self.model!r}; choose one of {', '.join(MODELS)}")
        for name in ("steps", "steps_per_epoch", "batch_size", "latent_dim", "save_every", "width", "samples"):
            if getattr(self, name) < 1:
                raise TrainError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.steps % self.steps_per_epoch:
            raise TrainError(f"--steps {self.steps} must be a multiple of --steps-per-epoch {self.steps_per_epoch}")
        if self.channels not in (1, 3):
            raise TrainError(f"--channels must be 1 or 3, got {self.channels}")
        if self.model == "wgan-gp" and self.resolved("critic_norm") == "batch":
            raise TrainError("WGAN-GP penalises each example's gradient, which batchnorm mixes across the batch: "
                             "use --critic-norm layer or none")
        from gancore.models.image_gan import upsampling_plan

        try:
            upsampling_plan(self.image_size)
        except ValueError as err:
            raise TrainError(f"--image-size: {err}") from None
        for which in ("g_schedule", "d_schedule"):
            parse_schedule(getattr(self, which), 1.0, 1)


def parse_schedule(spec: str, learning_rate: float, updates_per_epoch: int, total_epochs: int | None = None):
    """A learning rate or a Keras schedule counted in this optimizer's own updates.

    ``constant``; ``step:F:E`` multiplies the rate by F every E epochs (staircase, e.g. ``step:0.1:50``);
    ``linear`` or ``linear:E`` keeps the rate for E epochs (default half the run), then decays it
    linearly to 0 at the end, as in CycleGAN.
    """
    kind, *args = spec.split(":")
    try:
        if kind == "constant" and not args:
            return learning_rate
        if kind == "step" and len(args) == 2:
            factor, every = float(args[0]), int(args[1])
            return keras.optimizers.schedules.ExponentialDecay(learning_rate, every * updates_per_epoch, factor,
                                                               staircase=True)
        if kind == "linear" and len(args) <= 1:
            if total_epochs is None:
                return learning_rate
            hold = int(args[0]) if args else total_epochs // 2
            return HoldThenLinearDecay(learning_rate, hold * updates_per_epoch, total_epochs * updates_per_epoch)
    except ValueError:
        pass
    raise TrainError(f"Bad learning-rate schedule {spec!r}: use constant, step:FACTOR:EPOCHS or linear[:EPOCHS]")


@keras.saving.register_keras_serializable(package="gancore")
class HoldThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """The rate stays at ``initial`` for ``hold`` updates, then falls linearly to 0 at ``total``."""

    def __init__(self, initial: float, hold: int, total: int):
        self.initial, self.hold, self.total = float(initial), int(hold), int(total)

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        fraction = keras.ops.clip((step - self.hold) / max(1, self.total - self.hold), 0.0, 1.0)
        return self.initial * (1.0 - fraction)

    def get_config(self):
        return {"initial": self.initial, "hold": self.hold, "total": self.total}


def current_rate(optimizer) -> float:
    rate = optimizer.learning_rate
    return float(rate.numpy() if hasattr(rate, "numpy") else rate)


class LearningRateLog(keras.callbacks.Callback):
    """Adds both optimizers' current learning rates to the logs (and so to History and the CSV log)."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["d_lr"] = current_rate(self.model.d_optimizer)
            logs["g_lr"] = current_rate(self.model.g_optimizer)


class GeneratorSnapshots(keras.callbacks.Callback):
    """Saves the generator's weights every ``every`` epochs as ``generator_step<N>.weights.h5``."""

    def __init__(self, folder: Path, every: int, steps_per_epoch: int):
        super().__init__()
        self.folder, self.every, self.steps_per_epoch = folder, every, steps_per_epoch

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.model.generator.save_weights(self.folder / f"generator_step{(epoch + 1) * self.steps_per_epoch}"
                                              ".weights.h5")


def make_optimizer(config: TrainConfig, rate, which: str):
    settings = MODELS[config.model]
    if settings["optimizer"] == "rmsprop":
        return keras.optimizers.RMSprop(rate, name=f"{which}_rmsprop")
    return keras.optimizers.Adam(rate, beta_1=settings["beta_1"], beta_2=settings["beta_2"], name=f"{which}_adam")


def build_gan(config: TrainConfig):
    """The networks, the ``GAN`` model and its two optimizers (schedules counted per optimizer)."""
    from gancore.models.image_gan import build_image_critic, build_image_generator
    from gancore.training.gan import GAN

    settings = MODELS[config.model]
    keras.utils.set_random_seed(config.seed)
    generator = build_image_generator(config.image_size, config.latent_dim, config.channels, config.width)
    critic = build_image_critic(config.image_size, config.channels, config.width, config.resolved("critic_norm"))
    critic_steps = config.resolved("critic_steps")
    gan = GAN(generator, critic, latent_dim=config.latent_dim, loss=settings["loss"], d_steps=critic_steps,
              gradient_penalty_weight=config.resolved("gp_weight") or 0.0, clip_value=config.resolved("clip_value"),
              seed=config.seed)
    epochs = config.steps // config.steps_per_epoch
    d_rate = parse_schedule(config.d_schedule, config.d_lr or settings["learning_rate"],
                            config.steps_per_epoch * critic_steps, epochs)
    g_rate = parse_schedule(config.g_schedule, config.g_lr or settings["learning_rate"], config.steps_per_epoch,
                            epochs)
    gan.compile(d_optimizer=make_optimizer(config, d_rate, "critic"),
                g_optimizer=make_optimizer(config, g_rate, "generator"))
    return gan


@dataclass
class TrainResult:
    """What a run did and where its files are."""

    out: Path
    start_step: int
    end_step: int
    images: int
    skipped: int
    history: dict


def train(config: TrainConfig, callbacks: list | None = None) -> TrainResult:
    """Run (or continue) training as configured; see the module docstring for what is written."""
    import tensorflow as tf

    from gancore import plots
    from gancore.data.folders import scan_folder, step_indexed_folder_dataset
    from gancore.training.callbacks import SampleGrid
    from gancore.training.fitting import fit_steps

    config.check()
    try:
        report = scan_folder(config.data)
    except FileNotFoundError as err:
        raise TrainError(str(err)) from None
    if report.usable == 0:
        raise TrainError(f"No usable images in {config.data}: {report.summary()}. "
                         "Point --data at a folder of .jpg/.png/.gif/.bmp files (subfolders are fine).")
    print(report.summary())
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps({k: str(v) if isinstance(v, Path) else v
                                                 for k, v in asdict(config).items()}, indent=2))
    gan = build_gan(config)
    backup = out / "backup"
    from gancore.training.callbacks import ResumableBackup

    resume_epoch = ResumableBackup(backup).resume_epoch()
    start_step = resume_epoch * config.steps_per_epoch
    if start_step > config.steps:
        raise TrainError(f"{out} holds a run already at step {start_step}, beyond --steps {config.steps}: "
                         "raise --steps to continue it, or choose another --out")
    if start_step:
        print(f"Resuming from step {start_step} (backup in {backup})")

    def make_dataset(start, n):
        return step_indexed_folder_dataset(report.files, (config.image_size, config.image_size), config.batch_size,
                                           config.seed, start, n, value_range=(-1.0, 1.0), channels=config.channels)

    fixed_z = tf.constant(np.random.default_rng(config.seed).normal(size=(config.samples, config.latent_dim)),
                          tf.float32)
    samples = out / "samples"
    grid = SampleGrid(lambda: (gan.generator(fixed_z, training=False).numpy() + 1.0) / 2.0, every=config.save_every,
                      folder=samples, gif_name=None, at_start=not start_step)  # the GIF covers all sessions
    csv = keras.callbacks.CSVLogger(str(out / "losses.csv"), append=bool(start_step))
    history = fit_steps(gan, make_dataset, config.steps, config.steps_per_epoch,
                        callbacks=[LearningRateLog(), grid, GeneratorSnapshots(out / "weights", config.save_every,
                                                                               config.steps_per_epoch), csv,
                                   *(callbacks or [])],
                        backup_dir=backup, verbose=config.verbose, keep_backup=True)
    gan.generator.save(out / "generator.keras")
    write_run_figures(out, config.steps_per_epoch, plots)
    return TrainResult(out, start_step, int(gan.g_optimizer.iterations.numpy()), report.usable, len(report.skipped),
                       history.history)


def write_run_figures(out: Path, steps_per_epoch: int, plots) -> None:
    """The loss plot of the whole run (all sessions, from losses.csv) and the GIF of all sample grids."""
    import csv

    import imageio.v3 as iio
    import matplotlib

    matplotlib.use("Agg")
    with open(out / "losses.csv") as handle:
        rows = list(csv.DictReader(handle))
    if rows:
        series = {key: [float(r[key]) for r in rows] for key in ("d_loss", "g_loss") if key in rows[0]}
        plots.plot_losses(series, list(series), steps_per_point=steps_per_epoch, path=out / "losses.png",
                          title="Critic and generator losses over the whole run")
    frames = sorted((out / "samples").glob("epoch_*.png"))
    if len(frames) > 1:
        plots.save_gif([iio.imread(f) / 255.0 for f in frames], out / "samples.gif", scale=1,
                       labels=[f.stem for f in frames])
