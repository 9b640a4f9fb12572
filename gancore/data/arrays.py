"""tf.data pipelines over in-memory uint8 image arrays, scaled per batch."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def scale_images(batch_uint8: tf.Tensor) -> tf.Tensor:
    """uint8 images -> float32 in [0, 1], with a trailing channel axis added to (N, H, W) input."""
    images = tf.cast(batch_uint8, tf.float32) / 255.0
    if images.shape.rank == 3:
        images = images[..., tf.newaxis]
    return images


def scale_images_tanh(batch_uint8: tf.Tensor) -> tf.Tensor:
    """uint8 images -> float32 in [-1, 1] ((x - 127.5) / 127.5, the book's scaling for tanh generators), with a
    trailing channel axis added to (N, H, W) input."""
    return scale_images(batch_uint8) * 2.0 - 1.0


def binarise_images(batch_uint8: tf.Tensor, threshold: float) -> tf.Tensor:
    """Pixels ``>= threshold`` (on the 0-255 scale) -> 1.0, others 0.0; float32 with a channel axis."""
    images = tf.cast(tf.cast(batch_uint8, tf.float32) >= threshold, tf.float32)
    if images.shape.rank == 3:
        images = images[..., tf.newaxis]
    return images


def array_dataset(images_uint8: np.ndarray, batch_size: int, shuffle_seed: int | None = None, repeat: bool = False,
                  binarise_threshold: float | None = None, with_targets: bool = False, drop_remainder: bool = False,
                  labels: np.ndarray | None = None) -> tf.data.Dataset:
    """Batches of ``images_uint8`` as float32 in [0, 1] (or binarised) with a channel axis.

    The uint8 array is held once; each batch is gathered and scaled on the fly. ``shuffle_seed``
    shuffles reproducibly (a new order each pass); ``with_targets`` yields ``(x, x)`` for Keras ``fit``
    of autoencoders and PixelCNNs; ``labels`` yields ``(x, y)`` with int32 labels.
    """
    images_uint8 = np.asarray(images_uint8)
    if images_uint8.ndim not in (3, 4):
        raise ValueError(f"images must be (N, H, W) or (N, H, W, C), got shape {images_uint8.shape}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if with_targets and labels is not None:
        raise ValueError("Pass either with_targets=True (yields (x, x)) or labels (yields (x, y)), not both")
    if labels is not None and len(labels) != len(images_uint8):
        raise ValueError(f"labels has {len(labels)} entries for {len(images_uint8)} images")
    count = len(images_uint8)
    table = tf.constant(images_uint8)
    label_table = tf.constant(np.asarray(labels), dtype=tf.int32) if labels is not None else None

    def make_batch(index):
        raw = tf.gather(table, index)
        x = scale_images(raw) if binarise_threshold is None else binarise_images(raw, binarise_threshold)
        if with_targets:
            return x, x
        if label_table is not None:
            return x, tf.gather(label_table, index)
        return x

    dataset = tf.data.Dataset.range(count)
    if shuffle_seed is not None:
        dataset = dataset.shuffle(count, seed=shuffle_seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.map(make_batch, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(tf.data.AUTOTUNE)
