"""Callbacks: sample grids and GIFs, resumable backups, a NaN/inf guard, periodic metrics, step timings and
TensorBoard logs."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from gancore import plots

#: A folder: when set, every :func:`gancore.training.fitting.fit_steps` run also writes TensorBoard logs below it
#: (``gancore run --tensorboard DIR`` sets it per chapter; set it yourself before starting JupyterLab).
TENSORBOARD_ENV = "GANCORE_TENSORBOARD"


class NonFiniteLossError(FloatingPointError):
    """Training produced NaN or inf; the message names the step and the loss."""


def _global_step(model: keras.Model, fallback: int) -> int:
    counter = getattr(model, "step_counter", None)
    if callable(counter):
        return int(counter().numpy())
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        return int(optimizer.iterations.numpy())
    return fallback


class NaNGuard(keras.callbacks.Callback):
    """Stop training at the first NaN or inf in the logged losses, naming the step and the loss."""

    def __init__(self):
        super().__init__()
        self._batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self._batches += 1
        for name, value in (logs or {}).items():
            value = float(value)
            if not math.isfinite(value):
                self.model.stop_training = True
                step = _global_step(self.model, self._batches)
                raise NonFiniteLossError(
                    f"Training stopped at step {step}: {name} = {value}. Try a lower learning rate, "
                    "check the input range of the data, or resume from the last checkpoint."
                )


class SampleGrid(keras.callbacks.Callback):
    """Every ``every`` epochs, generate images from fixed inputs and keep/save the grid.

    ``generate`` maps the fixed inputs to images in [0, 1]; frames are kept in ``self.frames``
    (epoch, grid) and written as PNGs (and a GIF at the end) when ``folder`` is given.
    """

    def __init__(self, generate: Callable[[], np.ndarray], every: int = 1, folder: str | Path | None = None,
                 rows: int | None = None, gif_name: str | None = "training.gif", fps: float = 4.0,
                 at_start: bool = True):
        super().__init__()
        self.generate = generate
        self.every = max(1, int(every))
        self.folder = Path(folder) if folder else None
        self.rows = rows
        self.gif_name = gif_name
        self.fps = fps
        self.at_start = at_start
        self.frames: list[tuple[int, np.ndarray]] = []

    def _capture(self, epoch: int) -> None:

        grid = plots.image_grid(np.asarray(self.generate()), rows=self.rows)
        self.frames.append((epoch, grid))
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)
            plots.save_image(grid, self.folder / f"epoch_{epoch:04d}.png")

    def on_train_begin(self, logs=None):
        if self.at_start and not self.frames:
            # after a resume (BackupAndRestore runs first) label the frame with the epoch reached
            self._capture(int(getattr(self.model, "_initial_epoch", 0) or 0))

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self._capture(epoch + 1)

    def on_train_end(self, logs=None):
        if self.folder and self.gif_name and len(self.frames) > 1:

            plots.save_gif([g for _, g in self.frames], self.folder / self.gif_name, fps=self.fps,
                           labels=[f"epoch {e}" for e, _ in self.frames])


class PeriodicMetrics(keras.callbacks.Callback):
    """Every ``every`` epochs, compute ``{name: value}`` with ``evaluate()`` and add it to the logs.

    Values land in ``History`` (as keys of the logs) and in ``self.records`` as (epoch, step, values).
    """

    def __init__(self, evaluate: Callable[[], dict[str, float]], every: int = 1, at_start: bool = True):
        super().__init__()
        self.evaluate = evaluate
        self.every = max(1, int(every))
        self.at_start = at_start
        self.records: list[tuple[int, int, dict[str, float]]] = []

    def on_train_begin(self, logs=None):
        if self.at_start and not self.records:
            self.records.append((0, _global_step(self.model, 0), self.evaluate()))

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            values = self.evaluate()
            self.records.append((epoch + 1, _global_step(self.model, 0), values))
            if logs is not None:
                logs.update(values)


#: The key of the training metadata under which :class:`ResumableBackup` keeps the variables that are not weights
OTHER_STATE_KEY = "gancore_other_state"


def state_outside_weights(model: keras.Model) -> list:
    """The model's variables that ``save_weights`` leaves out: those that are not weights, i.e. the states of the
    seed generators of its dropout and noise layers (and of a trainer's own, such as the VAE's)."""
    weights = {id(w) for w in model.weights}
    return [v for v in model.variables if id(v) not in weights]


class ResumableBackup(keras.callbacks.BackupAndRestore):
    """``BackupAndRestore`` that also tells, before ``fit``, from which epoch training will resume.

    Saved state: the weights of every network (weight averages and CycleGAN's image pools included), both
    optimizers (their slots and iteration counters, which are also the step, so learning-rate schedules too) and the
    epoch; and, in the training metadata, the variables that are not weights (:func:`state_outside_weights`: the
    seed generators of dropout layers draw other masks after a resume without them). Noise drawn from the step
    counter and data batches drawn from the step make the resumed run identical to an uninterrupted one.
    """

    def __init__(self, backup_dir: str | Path, delete_checkpoint: bool = True):
        super().__init__(str(backup_dir), save_freq="epoch", double_checkpoint=True,
                         delete_checkpoint=delete_checkpoint)

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)  # restores the weights (and, after a failed write, the previous backup)
        path = Path(self._training_metadata_path)
        saved = json.loads(path.read_text()).get(OTHER_STATE_KEY) if path.exists() else None
        if saved is None:
            return
        variables = state_outside_weights(self.model)
        if len(saved) != len(variables):
            raise ValueError(f"the backup in {self.backup_dir} holds {len(saved)} variables outside the weights, "
                             f"the model has {len(variables)}")
        for variable, value in zip(variables, saved):
            variable.assign(np.asarray(value, dtype=variable.dtype).reshape(variable.shape))

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)  # writes the weights and the metadata (the old ones kept as .bkp)
        path = Path(self._training_metadata_path)
        metadata = json.loads(path.read_text())
        metadata[OTHER_STATE_KEY] = [np.asarray(v).tolist() for v in state_outside_weights(self.model)]
        path.write_text(json.dumps(metadata))

    def resume_epoch(self) -> int:
        path = Path(self._training_metadata_path)
        if not path.exists():
            return 0
        return int(json.loads(path.read_text())["epoch"])


STEP_LOG_ENV = "GANCORE_STEP_LOG"  # a file: fit_steps appends one JSON line of step timings per fit() call


class StepTimeLog(keras.callbacks.Callback):
    """Times every batch of a ``fit()`` and appends ``{"model", "batches", "first_seconds", "median_seconds"}`` as
    one JSON line to ``path`` at the end (the first batch includes tracing; the median of the others is the steady
    cost of a call: one step when ``steps_per_execution`` is 1)."""

    def __init__(self, path: str | Path):
        super().__init__()
        self.path = Path(path)
        self.times: list[float] = []
        self._start = 0.0

    def on_train_batch_begin(self, batch, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter() - self._start)

    def on_train_end(self, logs=None):
        if not self.times:
            return
        rest = sorted(self.times[1:])
        record = {"model": self.model.name, "batches": len(self.times), "first_seconds": round(self.times[0], 3),
                  "median_seconds": round(rest[len(rest) // 2], 3) if rest else None}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as handle:
            handle.write(json.dumps(record) + "\n")


class TensorBoardSamples(keras.callbacks.Callback):
    """Every ``every`` epochs (and before the first step), a grid of ``generate()``'s images (in [0, 1]) as a
    TensorBoard image summary at the model's training step."""

    def __init__(self, generate: Callable[[], np.ndarray], log_dir: str | Path, every: int = 1,
                 rows: int | None = None, name: str = "samples"):
        super().__init__()
        self.generate, self.every, self.rows, self.name = generate, max(1, int(every)), rows, name
        self.writer = tf.summary.create_file_writer(str(log_dir))
        self._epochs = 0

    def _write(self) -> None:
        grid = plots.image_grid(np.asarray(self.generate()), rows=self.rows)
        grid = grid[..., None] if grid.ndim == 2 else grid
        with self.writer.as_default():
            tf.summary.image(self.name, grid[None].astype("float32"), step=_global_step(self.model, self._epochs))
        self.writer.flush()

    def on_train_begin(self, logs=None):
        self._write()

    def on_epoch_end(self, epoch, logs=None):
        self._epochs = epoch + 1
        if (epoch + 1) % self.every == 0:
            self._write()

    def on_train_end(self, logs=None):
        self.writer.close()


def tensorboard_callbacks(log_dir: str | Path, generate: Callable[[], np.ndarray] | None = None, every: int = 1,
                          rows: int | None = None) -> list[keras.callbacks.Callback]:
    """Keras' ``TensorBoard`` callback (every logged loss and metric, once per epoch) and, with ``generate``, the
    sample grids (:class:`TensorBoardSamples`) in ``log_dir``. View with ``tensorboard --logdir <its parent>``."""
    callbacks: list[keras.callbacks.Callback] = [
        keras.callbacks.TensorBoard(log_dir=str(log_dir), write_graph=False, update_freq="epoch")]
    if generate is not None:
        callbacks.append(TensorBoardSamples(generate, Path(log_dir) / "samples", every=every, rows=rows))
    return callbacks


def run_log_dir(base: str | Path, name: str) -> Path:
    """``base/<name>-<date-time>``: one folder per run, so runs sit side by side in TensorBoard."""
    return Path(base) / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
