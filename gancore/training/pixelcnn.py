"""PixelCNN likelihoods and the pixel-by-pixel sampler."""

from __future__ import annotations

import math
import time

import keras
import numpy as np
import tensorflow as tf

from gancore.models.pixelcnn import MaskedConv2D


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


def any_size_copy(model: keras.Model) -> keras.Model:
    """The same functional network (same weights) accepting images of any height and width."""
    config = model.get_config()
    for layer in config["layers"]:
        if layer["class_name"] == "InputLayer":
            shape = layer["config"]["batch_shape"]
            layer["config"]["batch_shape"] = (shape[0], None, None, shape[-1])
    copy = keras.Model.from_config(config)
    copy.set_weights(model.get_weights())
    return copy


def receptive_reach(model: keras.Model) -> int:
    """How many rows up (and columns to either side) a PixelCNN's output at one pixel can see.

    Each masked k x k convolution adds ``k // 2``; the book's network (7x7, then five 3x3) reaches 8.
    """

    reach = 0
    for layer in model.layers:
        if isinstance(layer, MaskedConv2D):
            reach += layer.kernel_size[0] // 2
        elif isinstance(layer, keras.layers.Conv2D) and max(layer.kernel_size) > 1:
            raise ValueError(f"{layer.name} is an unmasked {layer.kernel_size} convolution: not a PixelCNN")
    return reach


def sample(model: keras.Model, num_images: int, seed: int = 0, shape=(28, 28, 1),
           window: bool = True) -> tuple[np.ndarray, float]:
    """Draw a batch of images one pixel at a time in raster order; returns (images, seconds).

    The output at pixel (r, c) depends only on the pixels at most ``reach`` rows above and ``reach``
    columns to either side (:func:`receptive_reach`), so with ``window`` the network sees just that
    window: 9 x 17 pixels for the book's network instead of up to the whole image, the same
    probabilities at a fraction of the cost. ``window=False`` feeds every row drawn so far (slower;
    kept to check the window against). All images of the batch are drawn together.
    """
    rows, cols, channels = shape
    rng = np.random.default_rng(seed)
    images = np.zeros((num_images, *shape), dtype="float32")
    net = any_size_copy(model)
    predict = tf.function(lambda x: net(x, training=False),
                          input_signature=[tf.TensorSpec([None, None, None, channels], tf.float32)])
    reach = receptive_reach(model) if window else max(rows, cols)
    started = time.perf_counter()
    for r in range(rows):
        r0 = max(0, r - reach)
        for c in range(cols):
            c0, c1 = (max(0, c - reach), min(cols, c + reach + 1)) if window else (0, cols)
            probs = predict(tf.constant(images[:, r0 : r + 1, c0:c1])).numpy()[:, r - r0, c - c0]
            for ch in range(channels):
                images[:, r, c, ch] = (rng.random(num_images) < probs[:, ch]).astype("float32")
    return images, time.perf_counter() - started
