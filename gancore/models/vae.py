"""Skill 1: the book's convolutional VAE for MNIST (2-D latent space)."""

from __future__ import annotations

import keras
from keras import layers

BOOK_ENCODER_PARAMS = 57_652
BOOK_DECODER_PARAMS = 112_577


def build_vae_encoder(latent_dim: int = 2) -> keras.Model:
    """Encoder of the book: three valid convs with max-pooling, then mean and log-variance heads.

    The book's model also samples z inside the encoder (a Lambda with no weights); here sampling
    lives in :class:`gancore.training.vae.VAE`, so the encoder returns ``(z_mean, z_log_var)``.
    """
    image = keras.Input((28, 28, 1), name="image")
    x = layers.Conv2D(64, 5, activation="relu")(image)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16)(x)  # linear, as in the book
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    return keras.Model(image, [z_mean, z_log_var], name="vae_encoder")


def build_vae_decoder(latent_dim: int = 2, output_activation: str = "relu") -> keras.Model:
    """Decoder of the book: dense to 1x1x64, valid transposed convs and upsampling to 28x28x1.

    ``output_activation="relu"`` is the book's choice (unbounded for data in [0, 1]);
    ``"sigmoid"`` is the fix used with the Bernoulli ELBO.
    """
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(64)(z)
    x = layers.Reshape((1, 1, 64))(x)
    x = layers.Conv2DTranspose(64, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(64, 3, activation="relu")(x)
    x = layers.UpSampling2D(2)(x)
    x = layers.Conv2DTranspose(64, 3, activation="relu")(x)
    x = layers.UpSampling2D(2)(x)
    image = layers.Conv2DTranspose(1, 5, activation=output_activation, name="image")(x)
    return keras.Model(z, image, name="vae_decoder")
