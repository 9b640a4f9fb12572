"""Skill 6: the book's conditional GAN for MNIST (class one-hot into both networks)."""

from __future__ import annotations

import keras
from keras import layers

from gancore.models.layers import scaled_channels

BOOK_CGAN_GENERATOR_PARAMS = 629_448
BOOK_CGAN_DISCRIMINATOR_PARAMS = 270_641


def build_cgan_generator(latent_dim: int = 100, num_classes: int = 10, width: float = 1.0,
                         noise_activation: str | None = "relu") -> keras.Model:
    """Noise -> Dense 100 -> 5x5x4 and class -> Dense 25 -> 5x5x1, concatenated, then four unpadded
    stride-1 transposed convolutions (5, 7, 7, 8) growing 5 -> 9 -> 15 -> 21 -> 28; ReLU then batchnorm
    (momentum 0.8) as the book orders them; tanh output for [-1, 1] images. ``width`` scales the
    convolutions' channel counts (1.0: the book's network). ``noise_activation`` is the activation of the
    noise projection (the book's ReLU; ``None`` leaves it linear, an ablation with the same parameters)."""
    z = keras.Input((latent_dim,), name="z")
    label = keras.Input((num_classes,), name="class_one_hot")
    noise_map = layers.Reshape((5, 5, 4))(layers.Dense(100, activation=noise_activation, name="noise_projection")(z))
    label_map = layers.Reshape((5, 5, 1))(layers.Dense(25, activation="relu")(label))
    x = layers.Concatenate()([noise_map, label_map])
    for filters, kernel in ((64, 5), (64, 7)):
        x = layers.Conv2DTranspose(scaled_channels(filters, width), kernel, activation="relu")(x)
        x = layers.BatchNormalization(momentum=0.8)(x)
    x = layers.Conv2DTranspose(scaled_channels(128, width), 7, activation="relu")(x)
    image = layers.Conv2DTranspose(1, 8, activation="tanh", name="image")(x)
    return keras.Model([z, label], image, name="cgan_generator")


def build_cgan_discriminator(num_classes: int = 10, width: float = 1.0) -> keras.Model:
    """Class -> Dense 784 -> a 28x28 'label plane' beside the image, four 3x3 convolutions (two with
    stride 2), LeakyReLU(0.2) then batchnorm, one logit (the book's sigmoid moves into the loss).
    ``width`` scales the convolutions' channel counts."""
    image = keras.Input((28, 28, 1), name="image")
    label = keras.Input((num_classes,), name="class_one_hot")
    plane = layers.Reshape((28, 28, 1))(layers.LeakyReLU(0.2)(layers.Dense(784)(label)))
    x = layers.Concatenate()([image, plane])
    for i, (filters, stride) in enumerate(((128, 2), (128, 2), (64, 1), (64, 1))):
        x = layers.LeakyReLU(0.2)(layers.Conv2D(scaled_channels(filters, width), 3, strides=stride)(x))
        if i:
            x = layers.BatchNormalization(momentum=0.8)(x)
    logit = layers.Dense(1, name="logit")(layers.Flatten()(x))
    return keras.Model([image, label], logit, name="cgan_discriminator")


def build_small_cgan_generator(latent_dim: int = 100, num_classes: int = 10, width: float = 1.0) -> keras.Model:
    """A known-good CGAN generator in the style of keras.io's "Conditional GAN" example (Sayak Paul, 2021).

    The one-hot class is appended to the noise, a Dense layer maps the pair to a 7x7 map with
    ``latent_dim + num_classes`` channels, two 4x4 stride-2 transposed convolutions (128 channels x ``width``)
    grow it to 14x14 and 28x28, and a 7x7 convolution draws the image. LeakyReLU(0.2) everywhere, no
    batchnorm, tanh output for [-1, 1] images (the example used a sigmoid for [0, 1]).
    """
    z = keras.Input((latent_dim,), name="z")
    label = keras.Input((num_classes,), name="class_one_hot")
    channels = latent_dim + num_classes
    x = layers.Dense(7 * 7 * channels)(layers.Concatenate()([z, label]))
    x = layers.Reshape((7, 7, channels))(layers.LeakyReLU(0.2)(x))
    for _ in range(2):
        x = layers.Conv2DTranspose(scaled_channels(128, width), 4, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
    image = layers.Conv2D(1, 7, padding="same", activation="tanh", name="image")(x)
    return keras.Model([z, label], image, name="small_cgan_generator")


def build_small_cgan_discriminator(num_classes: int = 10, width: float = 1.0, projection: bool = False) -> keras.Model:
    """The discriminator of the same keras.io example: the one-hot class broadcast to ``num_classes`` constant
    28x28 planes stacked with the image, two 3x3 stride-2 convolutions (64 and 128 channels x ``width``) with
    LeakyReLU(0.2), global max pooling and one logit. No batchnorm.

    ``projection=True`` adds the projection discriminator's term (Miyato and Koyama, 2018, "cGANs with
    projection discriminator"): the logit gains the inner product of the pooled features with a learned
    embedding of the class (a bias-free Dense on the one-hot), so the class acts on the final score directly
    rather than only through the first convolution's input planes."""
    image = keras.Input((28, 28, 1), name="image")
    label = keras.Input((num_classes,), name="class_one_hot")
    planes = layers.UpSampling2D(28)(layers.Reshape((1, 1, num_classes))(label))
    x = layers.Concatenate()([image, planes])
    for filters in (64, 128):
        x = layers.LeakyReLU(0.2)(layers.Conv2D(scaled_channels(filters, width), 3, strides=2, padding="same")(x))
    features = layers.GlobalMaxPooling2D()(x)
    logit = layers.Dense(1, name="logit" if not projection else "unconditional_logit")(features)
    if projection:
        embedding = layers.Dense(features.shape[-1], use_bias=False, name="class_embedding")(label)
        logit = layers.Add(name="logit")([logit, layers.Dot(axes=1)([features, embedding])])
    return keras.Model([image, label], logit, name="small_cgan_discriminator")


def build_mlp_cgan_generator(latent_dim: int = 50, num_classes: int = 10) -> keras.Model:
    """The course's MLP GAN generator (:func:`gancore.models.mlp_gan.build_mlp_generator`: Dense 1200 and 1000
    with ReLU then batchnorm, momentum 0.8) with the one-hot class appended to the noise, as in Mirza and
    Osindero's fully connected MNIST CGAN; tanh output for [-1, 1] images."""
    z = keras.Input((latent_dim,), name="z")
    label = keras.Input((num_classes,), name="class_one_hot")
    x = layers.Concatenate()([z, label])
    for units in (1200, 1000):
        x = layers.BatchNormalization(momentum=0.8)(layers.Dense(units, activation="relu")(x))
    x = layers.Dense(28 * 28, activation="tanh")(x)
    return keras.Model([z, label], layers.Reshape((28, 28, 1), name="image")(x), name="mlp_cgan_generator")


def build_mlp_cgan_discriminator(num_classes: int = 10, projection: bool = True) -> keras.Model:
    """The MLP GAN discriminator's layers (Dense 256 and 128, one logit) with LeakyReLU(0.2) in place of its
    ReLU and without its dropout, the one-hot class appended to the flattened image, and with ``projection``
    the projection discriminator's term (Miyato and Koyama, 2018): the logit gains the inner product of the
    128 last features with a learned class embedding (a bias-free Dense on the one-hot)."""
    image = keras.Input((28, 28, 1), name="image")
    label = keras.Input((num_classes,), name="class_one_hot")
    x = layers.Concatenate()([layers.Flatten()(image), label])
    for units in (256, 128):
        x = layers.LeakyReLU(0.2)(layers.Dense(units)(x))
    logit = layers.Dense(1, name="logit" if not projection else "unconditional_logit")(x)
    if projection:
        embedding = layers.Dense(x.shape[-1], use_bias=False, name="class_embedding")(label)
        logit = layers.Add(name="logit")([logit, layers.Dot(axes=1)([x, embedding])])
    return keras.Model([image, label], logit, name="mlp_cgan_discriminator")
