"""Step-counted training with ``fit()``: data drawn per step, exact resume after interruption."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from gancore.training.callbacks import STEP_LOG_ENV, NaNGuard, ResumableBackup, StepTimeLog


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
              keep_backup: bool = False) -> keras.callbacks.History:
    """Train for ``total_steps`` steps with ``fit()``, ``steps_per_epoch`` steps per Keras epoch.

    ``make_dataset(start_step, num_steps)`` builds the data for the remaining steps. With
    ``backup_dir`` a :class:`ResumableBackup` saves state at every epoch end, and a later call with
    the same folder resumes where the last one stopped; ``keep_backup`` keeps it after a completed
    run, so a later call with more ``total_steps`` continues training. A :class:`NaNGuard` is always
    attached.
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
    start_step = start_epoch * steps_per_epoch
    dataset = make_dataset(start_step, total_steps - start_step)
    return model.fit(dataset, epochs=epochs, steps_per_epoch=steps_per_epoch, callbacks=callbacks, verbose=verbose,
                     shuffle=False)
