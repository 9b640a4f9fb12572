"""Skill 2: the book's fully connected GAN for MNIST."""

from __future__ import annotations

import keras
from keras import layers

BOOK_GENERATOR_PARAMS = 2_055_784
BOOK_DISCRIMINATOR_PARAMS = 233_985


def build_mlp_generator(latent_dim: int = 50) -> keras.Model:
    """Dense 1200 and 1000 with ReLU and batchnorm (momentum 0.8, after the activation), sigmoid output."""
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(1200, activation="relu")(z)
    x = layers.BatchNormalization(momentum=0.8)(x)
    x = layers.Dense(1000, activation="relu")(x)
    x = layers.BatchNormalization(momentum=0.8)(x)
    x = layers.Dense(28 * 28)(x)
    x = layers.Reshape((28, 28, 1))(x)
    image = layers.Activation("sigmoid", name="image")(x)
    return keras.Model(z, image, name="mlp_generator")


def build_mlp_discriminator() -> keras.Model:
    """Flatten, Dense 256 ReLU, dropout .3, Dense 128 ReLU, dropout .5, one logit.

    The book ends with a sigmoid; we return the logit and let the loss apply the sigmoid
    (the same function, computed stably). The parameter count is unchanged.
    """
    image = keras.Input((28, 28, 1), name="image")
    x = layers.Flatten()(image)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(image, logit, name="mlp_discriminator")
