"""Skill 7: the book's networks for the loss-function experiments (WGAN, LSGAN, WGAN-GP).

Rebuilt as the book prints them. Differences from Skill 6: batchnorm comes *before* the activation in the
convolutional generators, and the critics use batchnorm and dropout (the WGAN-GP paper advises against
batchnorm in a critic; the chapter shows the alternative). Every critic or discriminator returns an
unbounded score or logit.
"""

from __future__ import annotations

import keras
from keras import layers

from gancore.models.layers import book_batchnorm as _bn
from gancore.models.layers import scaled_channels

WGAN_GENERATOR_PARAMS = 1_079_297
WGAN_CRITIC_PARAMS = 523_393
LSGAN_GENERATOR_PARAMS = 1_493_520
LSGAN_DISCRIMINATOR_PARAMS = 533_505
WGAN_GP_GENERATOR_PARAMS = 1_028_673
WGAN_GP_CRITIC_PARAMS = 100_097


def build_wgan_generator(latent_dim: int = 100, width: float = 1.0) -> keras.Model:
    """Experiment 7.1: Dense 6272 -> 7x7x128; transposed convolutions 3x3/2 to 14 and 28 (batchnorm, ReLU),
    3x3 at 28 (ReLU), 4x4 to one channel, tanh; all 'same'. 1,079,297 parameters at width 1."""
    c = scaled_channels(128, width)
    z = keras.Input((latent_dim,), name="z")
    x = layers.Reshape((7, 7, c))(layers.Dense(7 * 7 * c)(z))
    for _ in range(2):
        x = layers.Activation("relu")(_bn(layers.Conv2DTranspose(c, 3, strides=2, padding="same")(x)))
    x = layers.Conv2DTranspose(c, 3, padding="same", activation="relu")(x)
    image = layers.Conv2DTranspose(1, 4, padding="same", activation="tanh", name="image")(x)
    return keras.Model(z, image, name="wgan_generator")


def _conv_critic(filters: tuple[int, ...], width: float, name: str) -> keras.Model:
    image = keras.Input((28, 28, 1), name="image")
    x = image
    for i, f in enumerate(filters):
        x = layers.Conv2D(scaled_channels(f, width), 3, strides=2 if i < 3 else 1, padding="same")(x)
        if i:
            x = _bn(x)
        x = layers.Dropout(0.25)(layers.LeakyReLU(0.2)(x))
    score = layers.Dense(1, name="score")(layers.Flatten()(x))
    return keras.Model(image, score, name=name)


def build_wgan_critic(width: float = 1.0) -> keras.Model:
    """Experiment 7.1 critic: 3x3 convolutions 64, 128, 128 (stride 2) and 256 (stride 1), 'same', batchnorm
    (not on the first) then LeakyReLU(0.2) and dropout 0.25, Dense(1) linear. 523,393 parameters at width 1."""
    return _conv_critic((64, 128, 128, 256), width, "wgan_critic")


def build_lsgan_generator(latent_dim: int = 100) -> keras.Model:
    """Experiment 7.2: an MLP, Dense 256, 512, 1024 each LeakyReLU(0.2) then batchnorm, Dense 784 tanh
    reshaped to 28x28x1. 1,493,520 parameters."""
    z = keras.Input((latent_dim,), name="z")
    x = z
    for units in (256, 512, 1024):
        x = _bn(layers.LeakyReLU(0.2)(layers.Dense(units)(x)))
    image = layers.Reshape((28, 28, 1), name="image")(layers.Dense(784, activation="tanh")(x))
    return keras.Model(z, image, name="lsgan_generator")


def build_lsgan_discriminator() -> keras.Model:
    """Experiment 7.2 discriminator: Flatten, Dense 512 and 256 with LeakyReLU(0.2), Dense(1) linear.
    533,505 parameters."""
    image = keras.Input((28, 28, 1), name="image")
    x = layers.Flatten()(image)
    for units in (512, 256):
        x = layers.LeakyReLU(0.2)(layers.Dense(units)(x))
    return keras.Model(image, layers.Dense(1, name="score")(x), name="lsgan_discriminator")


def build_wgan_gp_generator(latent_dim: int = 100, width: float = 1.0) -> keras.Model:
    """Experiment 7.3: Dense 6272 -> 7x7x128; transposed convolutions 4x4/2 to 14x14x128 and 28x28x64
    (batchnorm, ReLU), 4x4 to one channel, tanh; 'same'. 1,028,673 parameters at width 1."""
    c = scaled_channels(128, width)
    z = keras.Input((latent_dim,), name="z")
    x = layers.Reshape((7, 7, c))(layers.Dense(7 * 7 * c)(z))
    for filters in (c, scaled_channels(64, width)):
        x = layers.Activation("relu")(_bn(layers.Conv2DTranspose(filters, 4, strides=2, padding="same")(x)))
    image = layers.Conv2DTranspose(1, 4, padding="same", activation="tanh", name="image")(x)
    return keras.Model(z, image, name="wgan_gp_generator")


def build_wgan_gp_critic(width: float = 1.0, norm: str = "batch") -> keras.Model:
    """Experiment 7.3 critic: 3x3 convolutions 16, 32, 64 (stride 2) and 128, as the 7.1 critic. 100,097
    parameters at width 1 with the book's batchnorm; ``norm="layer"`` puts layer normalisation in its place
    (the WGAN-GP paper's advice: the penalty is per example, batchnorm couples the examples of a batch)."""
    if norm == "batch":
        return _conv_critic((16, 32, 64, 128), width, "wgan_gp_critic")
    image = keras.Input((28, 28, 1), name="image")
    x = image
    for i, f in enumerate((16, 32, 64, 128)):
        x = layers.Conv2D(scaled_channels(f, width), 3, strides=2 if i < 3 else 1, padding="same")(x)
        if i:
            x = layers.LayerNormalization(axis=[1, 2, 3])(x)
        x = layers.Dropout(0.25)(layers.LeakyReLU(0.2)(x))
    score = layers.Dense(1, name="score")(layers.Flatten()(x))
    return keras.Model(image, score, name="wgan_gp_critic_layernorm")
