"""DCGAN-style generators and critics for square colour images of any size s0 * 2^k (used by ``gancore train``)."""

from __future__ import annotations

import keras
from keras import layers

NORMS = ("batch", "layer", "none")


def upsampling_plan(image_size: int) -> tuple[int, int]:
    """(start size, number of doublings) with start size in 3..7 and at least two doublings.

    32 -> (4, 3), 48 -> (3, 4), 56 -> (7, 3), 64 -> (4, 4), 96 -> (3, 5), 128 -> (4, 5).
    """
    for doublings in range(6, 1, -1):
        start, rest = divmod(image_size, 2**doublings)
        if rest == 0 and 3 <= start <= 7:
            return start, doublings
    raise ValueError(f"image size {image_size} is not s * 2^k with s in 3..7 and k >= 2: "
                     "use for example 24, 28, 32, 48, 56, 64, 96 or 128")


def _normalise(x, norm: str, name: str):
    if norm == "batch":
        return layers.BatchNormalization(name=name)(x)
    if norm == "layer":
        return layers.LayerNormalization(axis=[1, 2, 3], name=name)(x)
    if norm == "none":
        return x
    raise ValueError(f"Unknown normalisation {norm!r}; choose one of {', '.join(NORMS)}")


def build_image_generator(image_size: int, latent_dim: int = 128, channels: int = 3, width: int = 64,
                          output_activation: str = "tanh") -> keras.Model:
    """Dense to a small map, then stride-2 5x5 transposed convolutions with batchnorm and ReLU.

    Filters halve at every doubling, from ``width * 2^(k-1)`` down to ``width``; a final 5x5
    convolution gives ``channels`` with ``output_activation`` (tanh for [-1, 1] data).
    """
    start, doublings = upsampling_plan(image_size)
    init = keras.initializers.RandomNormal(stddev=0.02)
    z = keras.Input((latent_dim,), name="z")
    filters = width * 2 ** (doublings - 1)
    x = layers.Dense(start * start * filters, use_bias=False, kernel_initializer=init)(z)
    x = layers.Reshape((start, start, filters))(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    for i in range(doublings):
        filters = max(width, filters // 2) if i else filters
        x = layers.Conv2DTranspose(filters, 5, strides=2, padding="same", use_bias=False, kernel_initializer=init)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    image = layers.Conv2D(channels, 5, padding="same", activation=output_activation, kernel_initializer=init,
                          name="image")(x)
    return keras.Model(z, image, name=f"generator_{image_size}")


def build_image_critic(image_size: int, channels: int = 3, width: int = 64, norm: str = "layer") -> keras.Model:
    """Stride-2 5x5 convolutions with LeakyReLU(0.2), doubling filters, then one linear output.

    ``norm="layer"`` suits WGAN-GP (its penalty is per example, which batchnorm breaks);
    ``"batch"`` is DCGAN's choice; ``"none"`` for the original WGAN's critic.
    """
    if norm not in NORMS:
        raise ValueError(f"Unknown normalisation {norm!r}; choose one of {', '.join(NORMS)}")
    _, doublings = upsampling_plan(image_size)
    init = keras.initializers.RandomNormal(stddev=0.02)
    image = keras.Input((image_size, image_size, channels), name="image")
    x = image
    filters = width
    for i in range(doublings):
        x = layers.Conv2D(filters, 5, strides=2, padding="same", kernel_initializer=init)(x)
        if i:  # DCGAN leaves the first layer unnormalised
            x = _normalise(x, norm, name=f"norm_{i}")
        x = layers.LeakyReLU(0.2)(x)
        filters *= 2
    x = layers.Flatten()(x)
    score = layers.Dense(1, kernel_initializer=init, name="score")(x)
    return keras.Model(image, score, name=f"critic_{image_size}")
