"""Seeding, determinism and a printable report of versions and devices."""

from __future__ import annotations

import os
import platform
import random

import numpy as np


def seed_everything(seed: int, deterministic: bool = False) -> None:
    """Seed Python, NumPy, TensorFlow and Keras; optionally make TF ops deterministic (slower)."""
    import keras
    import tensorflow as tf

    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def environment_report() -> str:
    """Python, TensorFlow, Keras and NumPy versions and the visible devices, one line each."""
    import keras
    import tensorflow as tf

    devices = ", ".join(f"{d.device_type}:{d.name.split(':')[-1]}" for d in tf.config.list_logical_devices())
    return "\n".join([
        f"Python {platform.python_version()} | TensorFlow {tf.__version__} | Keras {keras.__version__} "
        f"| NumPy {np.__version__}",
        f"Devices: {devices or 'none'} | mixed precision policy: {keras.mixed_precision.global_policy().name}",
    ])
