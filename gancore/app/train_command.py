"""Train a GAN on any folder of images: the engine behind ``gancore train`` and the WGAN project chapters.

One call of :func:`train` builds the data stream, the networks, two optimizers with their own
learning-rate schedules and the callbacks, then runs ``fit()``. Everything lands in ``out``: sample
grids of fixed latent vectors and their GIF, the loss log and plot, generator weights and a full
checkpoint (both networks, both optimizers, the step) every few epochs, the final generator and critic,
and a backup from which an interrupted (or finished) run continues.

``strategy`` runs it on one device, on every GPU of a machine or on several machines, ``--batch-size`` being the
global batch (see :mod:`gancore.training.strategies`); ``mixed_precision`` and ``xla`` choose how each step computes.

``arch`` picks the networks: ``default`` (DCGAN-style, any size ``s * 2^k``, data in [-1, 1]) or the
seed projects' own (``s1``: 48x48, ``s2`` and ``s3``: 64x64; see :mod:`gancore.models.wgan_projects`).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import keras
import numpy as np

from gancore import plots
from gancore.data.folders import _scaler, scan_folder, step_indexed_folder_dataset
from gancore.errors import UserError
from gancore.models.image_gan import build_image_critic, build_image_generator, upsampling_plan
from gancore.models.wgan_projects import ARCHITECTURES
from gancore.training import strategies
from gancore.training.callbacks import ResumableBackup, SampleGrid, tensorboard_callbacks
from gancore.training.fitting import fit_steps
from gancore.training.gan import GAN
from gancore.training.schedules import LinearDecayAfterHalf

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


ARCHS = ("default", "s1", "s2", "s3")
DEFAULT_IMAGE_SIZE = 64
DEFAULT_LATENT_DIM = 128


class TrainError(UserError):
    """A bad option, data or output folder for ``gancore train``; the message says what to change."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`train`: ``step`` is where training stopped, ``resume_step`` where the same
    command continues (the last backup, written at every epoch end)."""

    def __init__(self, step: int, resume_step: int, out: Path):
        super().__init__(f"interrupted at step {step}; run the same command to resume")
        self.step, self.resume_step, self.out = step, resume_step, out


@dataclass
class TrainConfig:
    """Options of one training run (``None`` means the model's default from :data:`MODELS`)."""

    data: Path
    out: Path
    model: str = "wgan-gp"
    image_size: int | None = None
    channels: int = 3
    latent_dim: int | None = None
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
    arch: str = "default"
    beta_1: float | None = None
    beta_2: float | None = None
    fresh_real: bool = True
    allow_batchnorm_critic: bool = False
    frame_every: int = 0
    cache_mb: int = 512
    tensorboard: bool = False
    strategy: str = "one"
    mixed_precision: bool = False
    xla: bool = False

    def resolved(self, key: str):
        value = getattr(self, key)
        return MODELS[self.model].get(key) if value is None else value

    def arch_info(self) -> dict:
        """The seed architecture's entry (native size, data range, builders); {} for ``default``."""

        return ARCHITECTURES.get(self.arch, {})

    @property
    def size(self) -> int:
        """The image size: ``image_size``, else the architecture's native size, else 64."""
        return self.image_size or self.arch_info().get("image_size", DEFAULT_IMAGE_SIZE)

    @property
    def latent(self) -> int:
        """The latent size: ``latent_dim``, else the seed architecture's, else 128."""
        return self.latent_dim or self.arch_info().get("latent_dim", DEFAULT_LATENT_DIM)

    @property
    def value_range(self) -> tuple[float, float]:
        """The range of the data and of the generator's output: [-1, 1] (tanh) or [0, 1] (sigmoid)."""
        return self.arch_info().get("value_range", (-1.0, 1.0))

    @property
    def critic_norm_used(self) -> str:
        """The critic's normalisation actually built (the seed S1/S2 critics have none)."""
        norms = self.arch_info().get("norms")
        return "none" if norms == ("none",) else self.resolved("critic_norm")

    def check(self) -> None:
        if self.model not in MODELS:
            raise TrainError(f"Unknown model {self.model!r}; choose one of {', '.join(MODELS)}")
        if self.strategy not in strategies.STRATEGIES:
            raise TrainError(f"Unknown --strategy {self.strategy!r}; choose one of {', '.join(strategies.STRATEGIES)}")
        if self.xla and self.strategy != "one":
            raise TrainError(f"--xla works with --strategy one only: under --strategy {self.strategy} Keras compiles "
                             "no step with XLA (it turns XLA off itself under a tf.distribute strategy, and forcing "
                             "it fails on replicas' variables here); leave out --xla")
        if self.arch not in ARCHS:
            raise TrainError(f"Unknown --arch {self.arch!r}; choose one of {', '.join(ARCHS)}")
        if self.cache_mb < 0:
            raise TrainError(f"--cache-mb must be 0 (always stream) or more, got {self.cache_mb}")
        for name in ("steps", "steps_per_epoch", "batch_size", "save_every", "width", "samples"):
            if getattr(self, name) < 1:
                raise TrainError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        for name in ("image_size", "latent_dim"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise TrainError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.frame_every < 0:
            raise TrainError(f"--frame-every must be 0 (off) or a number of steps, got {self.frame_every}")
        if self.steps % self.steps_per_epoch:
            raise TrainError(f"--steps {self.steps} must be a multiple of --steps-per-epoch {self.steps_per_epoch}")
        if self.channels not in (1, 3):
            raise TrainError(f"--channels must be 1 or 3, got {self.channels}")
        info = self.arch_info()
        if info:
            if self.image_size is not None and self.image_size != info["image_size"]:
                raise TrainError(f"--arch {self.arch} makes {info['image_size']}x{info['image_size']} images: "
                                 f"use --image-size {info['image_size']} (or leave it out); the images are "
                                 "resized to it on the fly")
            if self.channels != 3:
                raise TrainError(f"--arch {self.arch} makes colour images: use --channels 3")
            if self.critic_norm is not None and self.critic_norm not in info["norms"]:
                raise TrainError(f"--arch {self.arch}'s critic has no normalisation layers to choose: "
                                 f"leave out --critic-norm (allowed: {', '.join(info['norms'])})")
        if (self.model == "wgan-gp" and self.critic_norm_used == "batch" and not self.allow_batchnorm_critic):
            raise TrainError("WGAN-GP penalises each example's gradient, which batchnorm mixes across the batch: "
                             "use --critic-norm layer or none (or --allow-batchnorm-critic to train it anyway, "
                             "e.g. to compare with a project that did)")
        if MODELS[self.model]["optimizer"] != "adam" and (self.beta_1 is not None or self.beta_2 is not None):
            raise TrainError(f"--beta-1/--beta-2 set Adam's betas, but --model {self.model} uses "
                             f"{MODELS[self.model]['optimizer']}")
        for name in ("beta_1", "beta_2"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value < 1.0:
                raise TrainError(f"--{name.replace('_', '-')} must be in [0, 1), got {value}")
        if not info:

            try:
                upsampling_plan(self.size)
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
            if hold >= total_epochs:  # held for the whole run: no decay within it
                return learning_rate
            return LinearDecayAfterHalf(learning_rate, total_epochs * updates_per_epoch, hold * updates_per_epoch)
    except ValueError:
        pass
    raise TrainError(f"Bad learning-rate schedule {spec!r}: use constant, step:FACTOR:EPOCHS or linear[:EPOCHS]")


@keras.saving.register_keras_serializable(package="gancore")
def current_rate(optimizer) -> float:
    rate = optimizer.learning_rate
    return float(rate.numpy() if hasattr(rate, "numpy") else rate)


class LearningRateLog(keras.callbacks.Callback):
    """Adds both optimizers' learning rates during the epoch to the logs (so to History, CSV and the progress line).

    The rates are read when the epoch begins: at its end a staircase schedule may already show the next
    epoch's rate (its boundary falls on the last update), which would label the epoch wrongly.
    """

    def on_epoch_begin(self, epoch, logs=None):
        self._rates = {"d_lr": current_rate(self.model.d_optimizer), "g_lr": current_rate(self.model.g_optimizer)}

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs.update(self._rates)


class GeneratorSnapshots(keras.callbacks.Callback):
    """Every ``every`` epochs: the generator's weights as ``generator_step<N>.weights.h5`` and, with
    ``checkpoints``, a full checkpoint ``step<N>.weights.h5`` there (both networks, both optimizers with
    their slots and iteration counters, so the step; load it with :func:`load_checkpoint`)."""

    def __init__(self, folder: Path, every: int, steps_per_epoch: int, checkpoints: Path | None = None):
        super().__init__()
        self.folder, self.every, self.steps_per_epoch = folder, every, steps_per_epoch
        self.checkpoints = checkpoints

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            step = (epoch + 1) * self.steps_per_epoch
            self.folder.mkdir(parents=True, exist_ok=True)
            self.model.generator.save_weights(self.folder / f"generator_step{step}.weights.h5")
            if self.checkpoints is not None:
                self.checkpoints.mkdir(parents=True, exist_ok=True)
                self.model.save_weights(self.checkpoints / f"step{step}.weights.h5")


class StepFrames(keras.callbacks.Callback):
    """Every ``every`` training steps, render fixed latent vectors and save ``step_<N>.png`` in ``folder``
    (for a GIF of one noise vector over training, as seed S2 promised)."""

    def __init__(self, render, folder: Path, every: int):
        super().__init__()
        self.render, self.folder, self.every = render, Path(folder), every

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.step_counter().numpy())
        if step % self.every == 0:

            self.folder.mkdir(parents=True, exist_ok=True)
            plots.save_image(plots.image_grid(self.render()), self.folder / f"step_{step:06d}.png")


def make_optimizer(config: TrainConfig, rate, which: str):
    settings = MODELS[config.model]
    if settings["optimizer"] == "rmsprop":
        return keras.optimizers.RMSprop(rate, name=f"{which}_rmsprop")
    return keras.optimizers.Adam(rate, beta_1=config.resolved("beta_1"), beta_2=config.resolved("beta_2"),
                                 name=f"{which}_adam")


def build_networks(config: TrainConfig) -> tuple[keras.Model, keras.Model]:
    """(generator, critic) for ``config.arch``; seed architectures scale their channels by ``width / 64``."""
    info = config.arch_info()
    if info:
        scale = config.width / 64
        return info["generator"](config.latent, scale), info["critic"](config.critic_norm_used, scale)

    return (build_image_generator(config.size, config.latent, config.channels, config.width),
            build_image_critic(config.size, config.channels, config.width, config.resolved("critic_norm")))


def build_gan(config: TrainConfig):
    """The networks, the ``GAN`` model and its two optimizers (schedules counted per optimizer); under a
    ``tf.distribute`` strategy call it inside ``strategy.scope()``. ``--xla`` compiles the step with XLA
    (``jit_compile=True``); otherwise Keras decides (XLA on a GPU without a strategy, not on the CPU)."""

    settings = MODELS[config.model]
    keras.utils.set_random_seed(config.seed)
    generator, critic = build_networks(config)
    critic_steps = config.resolved("critic_steps")
    gan = GAN(generator, critic, latent_dim=config.latent, loss=settings["loss"], d_steps=critic_steps,
              gradient_penalty_weight=config.resolved("gp_weight") or 0.0, clip_value=config.resolved("clip_value"),
              fresh_real_per_d_step=config.fresh_real and critic_steps > 1, seed=config.seed)
    epochs = config.steps // config.steps_per_epoch
    d_rate = parse_schedule(config.d_schedule, config.d_lr or settings["learning_rate"],
                            config.steps_per_epoch * critic_steps, epochs)
    g_rate = parse_schedule(config.g_schedule, config.g_lr or settings["learning_rate"], config.steps_per_epoch,
                            epochs)
    gan.compile(d_optimizer=make_optimizer(config, d_rate, "critic"),
                g_optimizer=make_optimizer(config, g_rate, "generator"),
                **({"jit_compile": True} if config.xla else {}))
    return gan


def load_checkpoint(config: TrainConfig, path: str | Path):
    """A GAN built for ``config`` with a saved checkpoint loaded: both networks, both optimizers, the step.

    Keras 3 optimizers create their slots when built (``GAN.compile`` builds both), so the saved slots
    load directly; no zero-gradient step is needed first (the trick seed S1 relied on).
    """
    gan = build_gan(config)
    gan.load_weights(path)
    return gan


def decode_folder(files: list[Path], size: int, value_range: tuple[float, float], channels: int):
    """All images decoded, resized and scaled exactly as the streaming pipeline does: (N, size, size, channels)."""
    import tensorflow as tf


    scale = _scaler(value_range)

    def load(path):
        image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
        image.set_shape([None, None, channels])
        return scale(tf.image.resize(tf.cast(image, tf.float32), (size, size), antialias=True))

    paths = tf.data.Dataset.from_tensor_slices([str(f) for f in files])
    batches = paths.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).batch(256)
    return tf.concat(list(batches), axis=0)


def step_indexed_cached_dataset(table, batch_size: int, seed: int, start_step: int, num_steps: int):
    """The batches of :func:`gancore.data.folders.step_indexed_folder_dataset` drawn from decoded images in memory.

    Item ``i`` (the i-th image of the run) is image ``stateless_uniform(seed=(seed, i))`` in both, so
    a run gives the same batches whichever way the images are read (decoding once is much faster
    for a small folder, where every image is drawn many times).
    """
    import tensorflow as tf

    count = int(table.shape[0])

    def pick(item):
        index = tf.random.stateless_uniform([], seed=tf.stack([tf.constant(seed, tf.int64), item]), minval=0,
                                            maxval=count, dtype=tf.int64, alg="philox")
        return tf.gather(table, index)

    items = tf.data.Dataset.range(start_step * batch_size, (start_step + num_steps) * batch_size)
    images = items.map(pick, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return images.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


@dataclass
class TrainResult:
    """What a run did and where its files are."""

    out: Path
    start_step: int
    end_step: int
    images: int
    skipped: int
    history: dict
    model: object = None  # the trained GAN (generator, discriminator, both optimizers)


def train(config: TrainConfig, callbacks: list | None = None) -> TrainResult:
    """Run (or continue) training as configured; see the module docstring for what is written.

    With ``--strategy multiworker`` every worker runs this; only the chief writes to ``out``, the others write
    the same files to a temporary folder (deleted at the end) and resume from the chief's backup.
    """
    config.check()
    strategies.split_cpu()  # before any TensorFlow work, as is the strategy
    strategy = strategies.make_strategy(config.strategy)
    worker = strategies.worker_role(strategy)
    check_replicas(config, strategy.num_replicas_in_sync)
    policy = keras.mixed_precision.global_policy()
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    scratch = None if worker.chief else Path(tempfile.mkdtemp(prefix="gancore-worker-"))
    try:
        return _train(config, callbacks, strategy, worker, scratch)
    finally:
        keras.mixed_precision.set_global_policy(policy)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def check_replicas(config: TrainConfig, replicas: int) -> None:
    """--batch-size is the global batch: it must split evenly over the replicas."""
    if config.batch_size % replicas:
        raise TrainError(f"--batch-size {config.batch_size} is the global batch, split over the {replicas} replicas "
                         f"of --strategy {config.strategy}: use a multiple of {replicas} (e.g. "
                         f"{replicas * max(1, round(config.batch_size / replicas))})")


def _everyone(worker: strategies.Worker, strategy, check) -> None:
    """Run ``check()`` (raising a ``TrainError``) on every worker; with several, fail on all when one fails."""
    problem = None
    try:
        check()
    except TrainError as error:
        problem = error
    if worker.workers > 1:
        _, failed = strategies.agreed(strategy, int(problem is not None))
        if failed and problem is None:
            problem = TrainError("another worker stopped with an error (see its output)")
    if problem is not None:
        raise problem


def _train(config: TrainConfig, callbacks, strategy, worker: strategies.Worker, scratch: Path | None) -> TrainResult:
    import tensorflow as tf

    out = Path(config.out)
    files = out if worker.chief else scratch  # where this worker writes
    report = None

    def check_inputs():
        nonlocal report
        check_out_folder(config)
        try:
            report = scan_folder(config.data)
        except FileNotFoundError as err:
            raise TrainError(str(err)) from None
        if report.usable == 0:
            raise TrainError(f"No usable images in {config.data}: {report.summary()}. "
                             "Point --data at a folder of .jpg/.png/.gif/.bmp files (subfolders are fine).")
        print(report.summary())
        if backup_files(out / "backup"):
            check_resume_options(config, out)  # before config.json is rewritten

    _everyone(worker, strategy, check_inputs)
    if worker.workers > 1:
        print(f"{worker.name} of {worker.workers} workers: " + (f"the chief, writing {out}" if worker.chief else
              f"the chief writes {out}; this worker resumes from the chief's backup and writes its own copies to a "
              f"temporary folder ({scratch}), deleted at the end"))
    backup = out / "backup"
    if worker.chief:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise TrainError(f"--out {out}: cannot create the folder ({err.strerror or err}); choose another "
                             "--out") from None
        (out / "config.json").write_text(json.dumps({k: str(v) if isinstance(v, Path) else v
                                                     for k, v in asdict(config).items()}, indent=2))
    replicas = strategy.num_replicas_in_sync
    if config.strategy == "mirrored" and replicas == 1:
        print(f"--strategy mirrored found one device, so one replica (no GPU; {strategies.CPU_DEVICES_ENV}=2 in the "
              "environment splits the CPU into two logical devices, to try it)")
    with strategy.scope():
        gan = build_gan(config)
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        strategies.multiworker_step(gan)
    resume_epoch = 0

    def restore():
        nonlocal resume_epoch
        resume_epoch = restore_backup(gan, backup, config.steps_per_epoch, repair=worker.chief)

    _everyone(worker, strategy, restore)
    if not worker.chief:  # this worker's own backup starts as the chief's state
        backup = files / "backup"
        save_backup(gan, backup, resume_epoch)
    if worker.workers > 1:
        low, high = strategies.agreed(strategy, resume_epoch)
        if low != high:
            raise TrainError(f"the workers found backups at different steps ({low * config.steps_per_epoch} to "
                             f"{high * config.steps_per_epoch}) in {out / 'backup'}: --out must be one folder "
                             "that every worker reads (a shared file system), the chief writing it")
    start_step = resume_epoch * config.steps_per_epoch
    if start_step > config.steps:
        raise TrainError(f"{out} holds a run already at step {start_step}, beyond --steps {config.steps}: "
                         "raise --steps to continue it, or choose another --out")
    if start_step:
        print(f"Resuming from step {start_step} (backup in {out / 'backup'})")
        if worker.chief:
            cut_losses(out / "losses.csv", resume_epoch)

    # each step draws critic_steps batches when every critic update sees its own real images
    real_per_step = config.batch_size * (gan.d_steps if gan.fresh_real_per_d_step else 1)

    decoded_mb = report.usable * config.size**2 * config.channels * 4 / 2**20
    table = None
    if decoded_mb <= config.cache_mb:  # small folder: decode every image once and draw from memory
        table = decode_folder(report.files, config.size, config.value_range, config.channels)
        print(f"Decoded {report.usable} images into memory ({decoded_mb:.0f} MB <= --cache-mb {config.cache_mb})")

    def make_dataset(start, n):
        if table is not None:
            dataset = step_indexed_cached_dataset(table, real_per_step, config.seed, start, n)
        else:
            dataset = step_indexed_folder_dataset(report.files, (config.size, config.size), real_per_step,
                                                  config.seed, start, n, value_range=config.value_range,
                                                  channels=config.channels)
        return dataset if replicas == 1 else strategies.distribute_options(dataset)

    fixed_z = tf.constant(np.random.default_rng(config.seed).normal(size=(config.samples, config.latent)),
                          tf.float32)
    low, high = config.value_range

    def render(z=fixed_z):
        images = np.asarray(gan.generator(z, training=False).numpy(), np.float32)  # float16 under mixed precision
        return (images - low) / (high - low)

    samples = files / "samples"
    grid = SampleGrid(render, every=config.save_every, folder=samples, gif_name=None,
                      at_start=not start_step)  # the GIF covers all sessions
    csv = keras.callbacks.CSVLogger(str(files / "losses.csv"), append=bool(start_step) and worker.chief)
    extra = [StepFrames(lambda: render(fixed_z[:1]), files / "frames", config.frame_every)] if config.frame_every \
        else []
    if config.tensorboard:  # a subfolder per session (from-step-N); the curves continue where the last one stopped
        extra += tensorboard_callbacks(files / "tensorboard" / f"from-step-{start_step}", render,
                                       every=config.save_every)
    snapshots = GeneratorSnapshots(files / "weights", config.save_every, config.steps_per_epoch, files / "checkpoints")
    print(cost_summary(config, gan, start_step, replicas), flush=True)
    timer = StepTimer(config.steps - start_step, newline=config.verbose not in (0, 2))
    try:
        history = fit_steps(gan, make_dataset, config.steps, config.steps_per_epoch,
                            callbacks=[LearningRateLog(), grid, snapshots, csv, timer, *extra, *(callbacks or [])],
                            backup_dir=backup, verbose=config.verbose, keep_backup=True)
    except KeyboardInterrupt as stop:

        resume_step = ResumableBackup(backup).resume_epoch() * config.steps_per_epoch
        raise TrainingInterrupted(int(gan.g_optimizer.iterations.numpy()), resume_step, out) from stop
    except (tf.errors.UnavailableError, tf.errors.AbortedError, tf.errors.DeadlineExceededError) as lost:
        if worker.workers == 1:
            raise
        resume_step = ResumableBackup(backup).resume_epoch() * config.steps_per_epoch
        reason = " ".join(str(lost.message).split())[:300]
        raise TrainError(f"{worker.name} lost contact with another worker ({type(lost).__name__}: {reason}). Run "
                         f"the same command on every worker again: training resumes from the last backup, step "
                         f"{resume_step}") from None
    gan.generator.save(files / "generator.keras")
    gan.discriminator.save(files / "critic.keras")
    write_run_figures(files, config.steps_per_epoch, plots)
    return TrainResult(out, start_step, int(gan.g_optimizer.iterations.numpy()), report.usable, len(report.skipped),
                       history.history, gan)


def check_out_folder(config: TrainConfig) -> None:
    """--out must be a folder (or not exist yet) outside --data, whose images would include the run's own."""
    out, data = Path(config.out), Path(config.data)
    if out.exists() and not out.is_dir():
        raise TrainError(f"--out {out} is a file, not a folder: choose a folder for the run (it is created)")
    out_abs, data_abs = out.resolve(), data.resolve()
    if out_abs == data_abs or data_abs in out_abs.parents:
        raise TrainError(f"--out {out} is inside --data {data}: the run's sample grids would be read back as "
                         "training images on the next run; choose an --out outside the image folder")


# options that may differ when a run resumes: more --steps, and what only changes how it is read or shown
# and where it runs: --strategy and --xla compute the same steps on the same global batches (equal to float
# rounding), while --mixed-precision changes the arithmetic and the optimizers' saved state (their loss scale)
RESUMABLE_OPTIONS = {"out", "steps", "verbose", "cache_mb", "save_every", "frame_every", "extra", "tensorboard",
                     "allow_batchnorm_critic", "strategy", "xla"}


def backup_files(backup: Path) -> list[Path]:
    """The files of a ``BackupAndRestore`` backup present in ``backup`` (the latest state and its previous copy)."""
    names = ("latest.weights.h5", "training_metadata.json", "latest.weights.h5.bkp", "training_metadata.json.bkp")
    return [backup / name for name in names if (backup / name).exists()]


def saved_config(out: Path) -> TrainConfig | None:
    """The options of the run in ``out`` (its config.json), or None when there is none or it cannot be read."""
    try:
        raw = json.loads((Path(out) / "config.json").read_text())
        known = {f.name for f in fields(TrainConfig)}
        options = {k: v for k, v in raw.items() if k in known}
        return TrainConfig(**{**options, "data": Path(options["data"]), "out": Path(options["out"])})
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _effective(config: TrainConfig, name: str):
    """The value an option takes in training (its model or architecture default when left unset)."""
    if name == "image_size":
        return config.size
    if name == "latent_dim":
        return config.latent
    if name == "critic_norm":
        return config.critic_norm_used
    if name in ("g_lr", "d_lr"):
        return getattr(config, name) or MODELS[config.model]["learning_rate"]
    if name == "data":
        return Path(config.data).resolve()
    return config.resolved(name) if name in ("critic_steps", "gp_weight", "clip_value", "beta_1", "beta_2") \
        else getattr(config, name)


def _option(name: str, value) -> str:
    if name == "fresh_real":
        return "--no-fresh-real " + ("off" if value else "on")
    return f"--{name.replace('_', '-')} {'unset' if value is None else value}"


def option_changes(old: TrainConfig, new: TrainConfig) -> list[str]:
    """``"--width 8 -> 16"`` for each option that changes the networks or the training (an option that
    only changes because its default follows another change, such as --critic-norm after --model, is left out)."""
    changes = []
    for item in fields(TrainConfig):
        name = item.name
        if name in RESUMABLE_OPTIONS or _effective(old, name) == _effective(new, name):
            continue
        if getattr(old, name) == getattr(new, name):  # same choice: the default moved with --model or --arch
            continue
        was, now = _option(name, getattr(old, name)), _option(name, getattr(new, name))
        changes.append(f"{was} -> {now.split(' ', 1)[1]}")
    return changes


def check_resume_options(config: TrainConfig, out: Path) -> None:
    """Refuse to continue the run in ``out`` with options that change what it trains (a mixed run)."""
    old = saved_config(out)
    if old is None:  # a run without a readable config.json: the checks of the backup itself still apply
        return
    changes = option_changes(old, config)
    if changes:
        raise TrainError(f"{out} holds a run trained with other options: {'; '.join(changes)}. To resume it, "
                         f"run the command again with the same options as before (saved in {out / 'config.json'}); "
                         "to train with the new ones, choose another --out")
    if old.steps != config.steps and "linear" in (config.g_schedule.split(":")[0], config.d_schedule.split(":")[0]):
        print(f"Note: --steps {old.steps} -> {config.steps} moves the end of the linear learning-rate decay "
              f"to step {config.steps}")


def _read_epoch(meta: Path) -> int:
    if not meta.exists():
        raise ValueError(f"{meta.name} is missing")
    try:
        epoch = json.loads(meta.read_text())["epoch"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{meta.name} is damaged ({type(err).__name__})") from None
    if not isinstance(epoch, int) or epoch < 0:
        raise ValueError(f"{meta.name} is damaged (epoch {epoch!r})")
    return epoch


def restore_backup(gan, backup: Path, steps_per_epoch: int, repair: bool = True) -> int:
    """The epoch to resume from, with ``gan`` holding the backup's state; 0 when there is no backup.

    The backup is the latest state (``latest.weights.h5`` and ``training_metadata.json``) and its copy from
    the epoch before (``.bkp``). A state is used only when its metadata reads and its weights load at the
    step the metadata says. When the latest state is damaged its previous copy replaces it (so that Keras'
    ``BackupAndRestore`` resumes from the same step as the data and the logs); when both are damaged
    nothing is resumed and the error says what to do. ``repair=False`` only reads (the workers other than the
    chief of a multi-worker run, which must not write to the chief's folder).
    """
    if not backup_files(backup):
        return 0
    problems = []
    pairs = [(backup / "latest.weights.h5", backup / "training_metadata.json"),
             (backup / "latest.weights.h5.bkp", backup / "training_metadata.json.bkp")]
    for index, (weights, meta) in enumerate(pairs):
        try:
            epoch = _read_epoch(meta)
            if not weights.exists():
                raise ValueError(f"{weights.name} is missing")
            try:
                load_weights_file(gan, weights)
            except Exception as err:  # noqa: BLE001 - h5py and Keras raise many kinds for a damaged file
                reason = " ".join(str(err).split())
                reason = "truncated" if "truncated" in reason else f"{type(err).__name__}: {reason[:100]}"
                raise ValueError(f"{weights.name} is damaged ({reason})") from None
            step = int(gan.g_optimizer.iterations.numpy())
            if step != epoch * steps_per_epoch:
                raise ValueError(f"{weights.name} holds step {step} but {meta.name} says step "
                                 f"{epoch * steps_per_epoch}")
        except ValueError as problem:
            problems.append(str(problem))
            continue
        if index and repair:
            shutil.copyfile(weights, pairs[0][0])
            shutil.copyfile(meta, pairs[0][1])
        if index:
            print(f"warning: {'; '.join(problems)} (in {backup}); resuming from the previous copy at step "
                  f"{epoch * steps_per_epoch}, the epoch before, with losses.csv cut back to it", file=sys.stderr)
        return epoch
    out = backup.parent
    raise TrainError(f"cannot resume from the backup in {backup}: {'; '.join(problems)}. To go on, delete {backup} "
                     f"to train from step 0 again, or choose another --out; what the run saved so far stays: "
                     f"generator weights in {out / 'weights'}, full checkpoints in {out / 'checkpoints'} (load one "
                     "with gancore.app.train_command.load_checkpoint)")


def save_backup(gan, backup: Path, epoch: int) -> None:
    """Write ``gan``'s state as a ``BackupAndRestore`` backup at ``epoch`` (what Keras' callback writes)."""
    backup.mkdir(parents=True, exist_ok=True)
    gan.save_weights(backup / "latest.weights.h5")
    (backup / "training_metadata.json").write_text(json.dumps({"epoch": epoch, "batch": 0}))


def load_weights_file(model, path: Path) -> None:
    """``model.load_weights(path)`` for a file of any name (Keras wants ``.weights.h5``; the backup's
    previous copy ends in ``.bkp``)."""
    if path.name.endswith(".weights.h5"):
        model.load_weights(path)
        return
    import tempfile

    with tempfile.TemporaryDirectory(dir=path.parent) as folder:
        copy = Path(folder) / "copy.weights.h5"
        shutil.copyfile(path, copy)
        model.load_weights(copy)


def cut_losses(path: Path, epochs: int) -> None:
    """Keep the rows of losses.csv for the first ``epochs`` epochs (the ones a resumed run does not repeat)."""
    import csv

    if not path.exists():
        return
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows or "epoch" not in rows[0]:
        return
    column = rows[0].index("epoch")
    kept = [rows[0]] + [r for r in rows[1:] if len(r) > column and r[column].isdigit() and int(r[column]) < epochs]
    if len(kept) != len(rows):
        with open(path, "w", newline="") as handle:
            csv.writer(handle).writerows(kept)


def cost_summary(config: TrainConfig, gan, start_step: int, replicas: int = 1) -> str:
    """One line, printed before training: the networks' size and how many steps of what are ahead."""
    g, d = gan.generator.count_params(), gan.discriminator.count_params()
    remaining = config.steps - start_step
    size = config.size
    split = f" (global batch: {config.batch_size // replicas} per replica on {replicas} replicas)" if replicas > 1 \
        else ""
    return (f"Cost: {g + d:,} parameters (generator {g:,}, critic {d:,}); {remaining} steps to train "
            f"(steps {start_step}-{config.steps}), each {gan.d_steps} critic update(s) and 1 generator update "
            f"on batches of {config.batch_size} {size}x{size} images{split}. The time per step is measured on the "
            "first steps and printed next; it grows with --batch-size, --image-size squared and --width squared, so "
            "for a quick try use e.g. --image-size 32 --width 16 (or fewer --steps).")


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class StepTimer(keras.callbacks.Callback):
    """Times the first training steps and prints the measured seconds per step and the run's projected time.

    The first step includes tracing the graph, so the rate is taken from the second (from the first
    when the run has only one step left).
    """

    def __init__(self, steps: int, newline: bool = False):
        super().__init__()
        self.steps, self.newline, self.times, self._began = steps, newline, [], 0.0

    def on_train_batch_begin(self, batch, logs=None):
        self._began = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if len(self.times) >= 2:
            return
        self.times.append(time.perf_counter() - self._began)
        if len(self.times) == 2 or self.steps == 1:
            per_step = self.times[-1]
            first = (f"; the first took {self.times[0]:.1f} s with tracing" if len(self.times) == 2
                     else ", including tracing")
            print(f"{chr(10) if self.newline else ''}Measured: {per_step:.2f} s per step (step {len(self.times)} "
                  f"of this session{first}), so about {_duration(per_step * self.steps)} for its {self.steps} "
                  "steps on this machine at its current load. Ctrl-C stops; the same command resumes.", flush=True)


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
    for folder, pattern, gif in (("samples", "epoch_*.png", "samples.gif"), ("frames", "step_*.png", "frames.gif")):
        frames = sorted((out / folder).glob(pattern))
        if len(frames) > 1:
            plots.save_gif([iio.imread(f) / 255.0 for f in frames], out / gif, scale=1 if folder == "samples" else 2,
                           labels=[f.stem for f in frames])
