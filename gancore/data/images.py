"""Value ranges and colour conversions of image batches: the one home of "to [0, 1]" and "to [-1, 1]".

NumPy only, unless given TensorFlow tensors: importing this module does not import TensorFlow.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import tensorflow as tf

GREY_WEIGHTS = (0.299, 0.587, 0.114)  # BT.601, as cv2.COLOR_RGB2GRAY
UINT8_RANGE = (0.0, 255.0)


def rgb_to_grey(images) -> tf.Tensor:
    """(..., 3) RGB -> (..., 1) BT.601 luma, in the same range as the input (float32 tensor)."""
    import tensorflow as tf

    images = tf.cast(images, tf.float32)
    return tf.reduce_sum(images * tf.constant(GREY_WEIGHTS, tf.float32), axis=-1, keepdims=True)


def to_unit_range(images, value_range: tuple[float, float], clip: bool = True, dtype: str = "float32") -> np.ndarray:
    """Images in ``value_range`` -> [0, 1]: ``(x - lo) / (hi - lo)`` computed in ``dtype`` (numpy), then clipped
    to [0, 1] unless ``clip=False``. Shapes are kept. For [-1, 1] this is the book's ``(x + 1) / 2`` to the bit."""
    lo, hi = value_range
    x = (np.asarray(images, dtype=dtype) - lo) / (hi - lo)
    return np.clip(x, 0.0, 1.0) if clip else x


def to_tanh_range(images, value_range: tuple[float, float] = UINT8_RANGE, centred: bool = True):
    """Images in ``value_range`` (uint8 by default) -> float32 in [-1, 1], the range of tanh generators.

    ``centred=True``: ``(x - c) / h`` with c the centre and h the half-width of the range: the book's
    ``(x - 127.5) / 127.5``. ``centred=False``: ``(x - lo) / h - 1`` (``x / 127.5 - 1`` for uint8). The two differ
    by one float32 ulp on half of the 256 uint8 values; each chapter keeps the form it was trained with. A
    TensorFlow tensor (e.g. inside a ``tf.data`` map) gives a float32 tensor, anything else a numpy array; both
    hold the same numbers."""
    lo, hi = value_range
    half = (hi - lo) / 2.0
    tf = sys.modules.get("tensorflow")  # a TensorFlow tensor implies TensorFlow is loaded
    if tf is not None and tf.is_tensor(images):
        x = tf.cast(images, tf.float32)
    else:
        x = np.asarray(images, dtype="float32")
    return (x - (lo + half)) / half if centred else (x - lo) / half - 1.0
