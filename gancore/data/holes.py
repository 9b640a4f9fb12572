"""Rectangular holes in image batches: where they are, masking, cropping and pasting (TensorFlow, exact).

Used by the context encoder's trainer and the inpainting chapter. A hole is ``hole`` x ``hole`` pixels at
per-image (top, left) offsets; ``None`` means centred.
"""

from __future__ import annotations

import tensorflow as tf


def centre_offset(image_size: int, hole: int) -> int:
    """Top (= left) coordinate of a centred hole."""
    if not 0 < hole <= image_size:
        raise ValueError(f"hole {hole} must be in 1..{image_size}")
    return (image_size - hole) // 2


def _offsets(images, hole, top, left):
    """Per-image (top, left) as int32 [N] tensors; None means the centre."""
    images = tf.convert_to_tensor(images)
    n = tf.shape(images)[0]
    centre = centre_offset(int(images.shape[1]), hole)
    top = tf.fill([n], centre) if top is None else tf.cast(tf.broadcast_to(top, [n]), tf.int32)
    left = tf.fill([n], centre) if left is None else tf.cast(tf.broadcast_to(left, [n]), tf.int32)
    return images, top, left


def hole_mask(images, hole: int, top=None, left=None) -> tf.Tensor:
    """Boolean [N, H, W, 1]: True inside each image's hole (centred unless ``top``/``left`` are given)."""
    images, top, left = _offsets(images, hole, top, left)
    rows = tf.range(tf.shape(images)[1])[None, :]  # [1, H]
    cols = tf.range(tf.shape(images)[2])[None, :]
    in_rows = (rows >= top[:, None]) & (rows < top[:, None] + hole)  # [N, H]
    in_cols = (cols >= left[:, None]) & (cols < left[:, None] + hole)  # [N, W]
    return (in_rows[:, :, None] & in_cols[:, None, :])[..., None]


def mask_hole(images, hole: int, top=None, left=None, fill: float = 0.0) -> tf.Tensor:
    """The images with the hole set to ``fill`` (the generator's input)."""
    images = tf.convert_to_tensor(images)
    mask = hole_mask(images, hole, top, left)
    return tf.where(mask, tf.cast(fill, images.dtype), images)


def mask_centre(images, hole: int, fill: float = 0.0) -> tf.Tensor:
    """The images with a centred ``hole`` x ``hole`` square set to ``fill``."""
    return mask_hole(images, hole, fill=fill)


def crop_hole(images, hole: int, top=None, left=None) -> tf.Tensor:
    """The [N, hole, hole, C] content of each image's hole (the generator's target)."""
    images, top, left = _offsets(images, hole, top, left)
    rows = top[:, None] + tf.range(hole)[None, :]  # [N, hole]
    cols = left[:, None] + tf.range(hole)[None, :]
    return tf.gather(tf.gather(images, rows, axis=1, batch_dims=1), cols, axis=2, batch_dims=1)


def paste_hole(images, patch, top=None, left=None) -> tf.Tensor:
    """The images with ``patch`` [N, hole, hole, C] written into the hole; every other pixel is unchanged."""
    images = tf.convert_to_tensor(images)
    patch = tf.cast(tf.convert_to_tensor(patch), images.dtype)
    hole = int(patch.shape[1])
    images, top, left = _offsets(images, hole, top, left)
    # for every pixel, the patch pixel that would land there (clipped outside the hole, where it is not used)
    rows = tf.clip_by_value(tf.range(tf.shape(images)[1])[None, :] - top[:, None], 0, hole - 1)  # [N, H]
    cols = tf.clip_by_value(tf.range(tf.shape(images)[2])[None, :] - left[:, None], 0, hole - 1)  # [N, W]
    canvas = tf.gather(tf.gather(patch, rows, axis=1, batch_dims=1), cols, axis=2, batch_dims=1)
    return tf.where(hole_mask(images, hole, top, left), canvas, images)


def random_offsets(batch_size, image_size: int, hole: int, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """The book's random hole: top and left uniform in 0..image_size - hole (inclusive), a pure function of ``seed``
    (a shape-[2] int64 tensor, e.g. ``[seed, step]``)."""
    corners = tf.random.stateless_uniform([batch_size, 2], seed=seed, minval=0, maxval=image_size - hole + 1,
                                          dtype=tf.int32, alg="philox")
    return corners[:, 0], corners[:, 1]
