"""Learning-rate schedules counted in optimizer updates (one home for each shape of decay)."""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="gancore")
class LinearDecayAfterHalf(keras.optimizers.schedules.LearningRateSchedule):
    """The CycleGAN paper's schedule: the initial rate for the first ``decay_start`` steps (half of training by
    default; the paper: 100 epochs of 200), then a straight line down to 0 at ``total_steps``.

    lr(step) = initial x clip((total_steps - step) / (total_steps - decay_start), 0, 1)."""

    def __init__(self, initial_learning_rate: float, total_steps: int, decay_start: int | None = None,
                 name: str = "linear_decay_after_half"):
        super().__init__()
        self.initial_learning_rate = float(initial_learning_rate)
        self.total_steps = int(total_steps)
        self.decay_start = int(self.total_steps // 2 if decay_start is None else decay_start)
        if not 0 <= self.decay_start < self.total_steps:
            raise ValueError(f"Need 0 <= decay_start < total_steps, got {self.decay_start} and {self.total_steps}")
        self.name = name

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        remaining = (self.total_steps - step) / float(self.total_steps - self.decay_start)
        return self.initial_learning_rate * tf.clip_by_value(remaining, 0.0, 1.0)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate, "total_steps": self.total_steps,
                "decay_start": self.decay_start, "name": self.name}
