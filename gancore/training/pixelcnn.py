"""PixelCNN likelihoods and the pixel-by-pixel sampler."""

from __future__ import annotations

import math
import time

import keras
import numpy as np
import tensorflow as tf


def binarise(images_uint8: np.ndarray, threshold: float = 0.33 * 256) -> np.ndarray:
    """The book's binarisation: pixel values below 0.33 x 256 become 0, others 1 (float32, N x 28 x 28 x 1)."""
    return (images_uint8 >= threshold).astype("float32")[..., None]


def bce_to_bits_per_dim(mean_bce_nats: float) -> float:
    """Mean per-pixel binary cross-entropy (nats) -> negative log-likelihood in bits per dimension."""
    return mean_bce_nats / math.log(2.0)


def evaluate_nll(model: keras.Model, images: np.ndarray, batch_size: int = 256) -> dict[str, float]:
    """Exact test NLL of binarised images: mean per-pixel BCE, bits/dim and nats per image."""
    total, count = 0.0, 0
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size]
        p = np.clip(model(x, training=False).numpy().astype("float64"), 1e-7, 1 - 1e-7)
        nll = -(x * np.log(p) + (1 - x) * np.log(1 - p))
        total += float(nll.sum())
        count += x.size
    bce = total / count
    return {"bce": bce, "bits_per_dim": bce_to_bits_per_dim(bce), "nats_per_image": bce * images[0].size}


def sample(model: keras.Model, num_images: int, seed: int = 0, shape=(28, 28, 1)) -> tuple[np.ndarray, float]:
    """Draw images one pixel at a time in raster order; returns (images, seconds).

    For row ``r`` only rows ``0..r`` are fed to the network: masked convolutions never look
    below, so the cropped input gives the same probabilities at row ``r`` at lower cost.
    """
    from gancore.models.pixelcnn import build_pixelcnn

    rows, cols, channels = shape
    rng = np.random.default_rng(seed)
    images = np.zeros((num_images, *shape), dtype="float32")
    any_height = build_pixelcnn(input_shape=(None, cols, channels))
    any_height.set_weights(model.get_weights())
    predict = tf.function(lambda x: any_height(x, training=False), reduce_retracing=True)
    started = time.perf_counter()
    for r in range(rows):
        for c in range(cols):
            probs = predict(tf.constant(images[:, : r + 1])).numpy()
            for ch in range(channels):
                images[:, r, c, ch] = (rng.random(num_images) < probs[:, r, c, ch]).astype("float32")
    return images, time.perf_counter() - started
