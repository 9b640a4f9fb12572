"""Step-counted training with ``fit()``: data drawn per step, exact resume after interruption, a tracked run
(metrics and sample grids along the way), one optimizer per network."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf

from gancore.training.callbacks import (
    STEP_LOG_ENV,
    TENSORBOARD_ENV,
    NaNGuard,
    PeriodicMetrics,
    ResumableBackup,
    SampleGrid,
    StepTimeLog,
    run_log_dir,
    tensorboard_callbacks,
)
from gancore.training.strategies import check_global_batch, one_device, prepare_for_replicas


def step_indexed_dataset(images: np.ndarray, batch_size: int, seed: int, start_step: int, num_steps: int,
                         preprocess: Callable[[tf.Tensor], tf.Tensor],
                         labels: np.ndarray | None = None) -> tf.data.Dataset:
    """Batches drawn with replacement from an in-memory array; batch ``s`` depends only on (seed, s).

    Like the book's ``np.random.choice`` sampling, but a pure function of the step, so a run that
    resumes at step ``k`` sees exactly the batches ``k, k+1, ...`` of an uninterrupted run. With
    ``labels`` each element is ``(images, labels)``.
    """
    table = tf.constant(images)
    label_table = None if labels is None else tf.constant(np.asarray(labels), tf.int32)
    n = len(images)

    def batch_for_step(step):
        idx = tf.random.stateless_uniform([batch_size], seed=tf.stack([tf.constant(seed, tf.int64), step]),
                                          minval=0, maxval=n, dtype=tf.int64, alg="philox")
        batch = preprocess(tf.gather(table, idx))
        return batch if label_table is None else (batch, tf.gather(label_table, idx))

    steps = tf.data.Dataset.range(start_step, start_step + num_steps)
    return steps.map(batch_for_step, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def fit_steps(model: keras.Model, make_dataset: Callable[[int, int], tf.data.Dataset], total_steps: int,
              steps_per_epoch: int, callbacks: Sequence[keras.callbacks.Callback] = (),
              backup_dir: str | Path | None = None, verbose: int | str = "auto",
              keep_backup: bool = False, tensorboard_samples: Callable[[], np.ndarray] | None = None
              ) -> keras.callbacks.History:
    """Train for ``total_steps`` steps with ``fit()``, ``steps_per_epoch`` steps per Keras epoch.

    ``make_dataset(start_step, num_steps)`` builds the data for the remaining steps. With
    ``backup_dir`` a :class:`ResumableBackup` saves state at every epoch end, and a later call with
    the same folder resumes where the last one stopped; ``keep_backup`` keeps it after a completed
    run, so a later call with more ``total_steps`` continues training. A :class:`NaNGuard` is always
    attached. When ``$GANCORE_TENSORBOARD`` names a folder, the run also writes TensorBoard logs there (losses and
    metrics per epoch, and ``tensorboard_samples()``'s images in [0, 1] if given). When the model was built under a
    strategy with several replicas it is made ready first (:func:`~gancore.training.strategies.prepare_for_replicas`).
    """
    if total_steps % steps_per_epoch:
        raise ValueError(f"total_steps={total_steps} must be a multiple of steps_per_epoch={steps_per_epoch}")
    epochs = total_steps // steps_per_epoch
    callbacks = list(callbacks)
    start_epoch = 0
    if backup_dir is not None:
        backup = ResumableBackup(backup_dir, delete_checkpoint=not keep_backup)
        start_epoch = backup.resume_epoch()
        callbacks.insert(0, backup)
    if not any(isinstance(c, NaNGuard) for c in callbacks):
        callbacks.append(NaNGuard())
    if os.environ.get(STEP_LOG_ENV):  # the runner's dry run of `full` asks for step timings
        callbacks.append(StepTimeLog(os.environ[STEP_LOG_ENV]))
    if os.environ.get(TENSORBOARD_ENV):
        callbacks += tensorboard_callbacks(run_log_dir(os.environ[TENSORBOARD_ENV], model.name), tensorboard_samples)
    replicas = model.distribute_strategy.num_replicas_in_sync  # the strategy the model was built under
    if replicas > 1:
        prepare_for_replicas(model)
    start_step = start_epoch * steps_per_epoch
    dataset = make_dataset(start_step, total_steps - start_step)
    if replicas > 1:
        check_global_batch(dataset, replicas)
    return model.fit(dataset, epochs=epochs, steps_per_epoch=steps_per_epoch, callbacks=callbacks, verbose=verbose,
                     shuffle=False)


class TrackedRun(NamedTuple):
    """What :func:`train_and_track` returns: the ``fit()`` history, the metrics tracker and the sample grids
    (``None`` when not asked for) and the wall seconds of the whole ``fit()``, evaluations included."""

    history: keras.callbacks.History
    tracker: PeriodicMetrics | None
    grids: SampleGrid | None
    seconds: float


def train_and_track(model: keras.Model, make_dataset: Callable[[int, int], tf.data.Dataset], total_steps: int,
                    steps_per_epoch: int, evaluate: Callable[[], dict[str, float]] | None = None,
                    sample: Callable[[], np.ndarray] | None = None, every: int = 1, at_start: bool = True,
                    samples_dir: str | Path | None = None, rows: int | None = None,
                    backup_dir: str | Path | None = None, callbacks: Sequence[keras.callbacks.Callback] = (),
                    verbose: int | str = 2) -> TrackedRun:
    """:func:`fit_steps` with the usual companions: every ``every`` epochs a :class:`PeriodicMetrics` runs
    ``evaluate`` (``at_start``: also before the first step) and a :class:`SampleGrid` keeps ``sample()``'s images
    in [0, 1] (PNGs and a GIF in ``samples_dir``, ``rows`` rows). Callbacks run in the order tracker, grids,
    ``callbacks``; ``backup_dir`` makes the run resumable."""
    tracker = PeriodicMetrics(evaluate, every=every, at_start=at_start) if evaluate is not None else None
    grids = SampleGrid(sample, every=every, folder=samples_dir, rows=rows) if sample is not None else None
    companions = [c for c in (tracker, grids) if c is not None] + list(callbacks)
    started = time.perf_counter()
    history = fit_steps(model, make_dataset, total_steps=total_steps, steps_per_epoch=steps_per_epoch,
                        callbacks=companions, backup_dir=backup_dir, verbose=verbose, tensorboard_samples=sample)
    return TrackedRun(history, tracker, grids, time.perf_counter() - started)


def last_logged(history: keras.callbacks.History | Mapping[str, Sequence[float]],
                keys: Sequence[str] | None = None) -> dict[str, float]:
    """The last logged value of each series of a ``fit()`` history (``keys``: only these, in the history's order),
    e.g. the losses of the final interval of ``steps_per_epoch`` steps."""
    logs = getattr(history, "history", history)
    return {k: float(v[-1]) for k, v in logs.items() if keys is None or k in keys}


def adam_pair(learning_rate, g_learning_rate=None, **options) -> dict[str, keras.optimizers.Optimizer]:
    """``{"d_optimizer": Adam(learning_rate, **options), "g_optimizer": Adam(g_learning_rate or learning_rate,
    **options)}``: one optimizer per network, for ``compile(**adam_pair(...))``. A learning-rate schedule is
    shared by the two (it is a pure function of the step)."""
    g_rate = learning_rate if g_learning_rate is None else g_learning_rate
    return {"d_optimizer": keras.optimizers.Adam(learning_rate, **options),
            "g_optimizer": keras.optimizers.Adam(g_rate, **options)}


def try_shared_optimizer(optimizer: keras.optimizers.Optimizer) -> list[str]:
    """Apply one optimizer to two small models in turn, as the book did with one Adam for D and G, and report each
    attempt: the first builds the optimizer for its variables, Keras 3 refuses the second with a ``ValueError``.
    Runs on one device; under a chapter's strategy on a copy of ``optimizer`` made there."""
    lines = []
    copy = tf.distribute.has_strategy()  # a chapter on several replicas: a one-device copy with the same settings
    with one_device():  # an eager demonstration: plain variables, also when the chapter trains on several replicas
        if copy:
            optimizer = type(optimizer).from_config(optimizer.get_config())
        for model in (keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)], name="d_like"),
                      keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)], name="g_like")):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(model(tf.ones((2, 3))))
            try:
                optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                              model.trainable_variables))
                lines.append(f"{model.name}: updated")
            except ValueError as err:
                lines.append(f"{model.name}: ValueError: {str(err).split(':')[0]}")
    return lines
