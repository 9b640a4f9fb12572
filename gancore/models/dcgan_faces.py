"""Skill 4: the book's DCGANs for 56x56 colour images (anime faces, Experiment 4.2; human faces, 4.3).

Every network is rebuilt layer by layer as the book prints it: batchnorm with momentum 0.8 placed
*after* the activation, LeakyReLU(0.2) in the discriminators, tanh output for data in [-1, 1],
Keras' default initialisers. The discriminators return a logit instead of the book's sigmoid output
(the sigmoid sits in the loss, the same function computed stably); the parameter counts are unchanged.

The human-face generator: the book's code and its printed summary disagree. The summary (1,768,387
parameters) has four transposed convolutions, batchnorm after the first three only; the code as
printed has five and would give 2,178,627. :func:`build_faces_generator` builds the summary's
network (the one the book actually trained and reported); :func:`build_faces_generator_as_printed`
builds the code's, for the comparison.
"""

from __future__ import annotations

import keras
from keras import layers

from gancore.models.layers import scaled_channels

LATENT_DIM = 100
IMAGE_SHAPE = (56, 56, 3)

ANIME_GENERATOR_PARAMS = 1_866_499
ANIME_GENERATOR_NON_TRAINABLE = 7_680
ANIME_DISCRIMINATOR_PARAMS = 517_441
ANIME_DISCRIMINATOR_NON_TRAINABLE = 512

FACES_GENERATOR_PARAMS = 1_768_387  # the book's printed summary (four Conv2DTranspose)
FACES_GENERATOR_NON_TRAINABLE = 7_040
FACES_GENERATOR_AS_PRINTED_PARAMS = 2_178_627  # the book's code (five Conv2DTranspose), never summarised
FACES_DISCRIMINATOR_PARAMS = 904_961
FACES_DISCRIMINATOR_NON_TRAINABLE = 896


def _bn(x):
    return layers.BatchNormalization(momentum=0.8)(x)


def build_anime_generator(latent_dim: int = LATENT_DIM, width: float = 1.0) -> keras.Model:
    """Experiment 4.2 generator: Dense 3200 -> 5x5x128, three stride-2 3x3 and three stride-1 transposed
    convolutions (4x4, 5x5, 5x5; 'valid'), each ReLU then batchnorm (none after the last), a 3x3 convolution
    to 56x56x3 and tanh. 1,866,499 parameters. ``width`` scales every channel count (same layers, shapes
    and activations; a CPU-sized variant for short runs)."""
    c = scaled_channels(128, width)
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(5 * 5 * c)(z)
    x = _bn(layers.Activation("relu")(x))
    x = layers.Reshape((5, 5, c))(x)
    for kernel, stride in ((3, 2), (3, 2), (3, 2), (4, 1), (5, 1)):
        x = layers.Conv2DTranspose(c, kernel, strides=stride, padding="valid")(x)
        x = _bn(layers.Activation("relu")(x))
    x = layers.Conv2DTranspose(c, 5, padding="valid")(x)  # 54 -> 58
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(3, 3, padding="valid")(x)  # 58 -> 56
    image = layers.Activation("tanh", name="image")(x)
    return keras.Model(z, image, name="anime_generator")


def build_anime_discriminator(width: float = 1.0) -> keras.Model:
    """Experiment 4.2 discriminator: five 'valid' convolutions (3x3x128, then 5x5x64 with strides 2, 2, 1, 1),
    LeakyReLU(0.2), batchnorm after all but the first, Dense(1) logit. 517,441 parameters. ``width`` scales
    every channel count."""
    image = keras.Input(IMAGE_SHAPE, name="image")
    x = layers.LeakyReLU(negative_slope=0.2)(layers.Conv2D(scaled_channels(128, width), 3, padding="valid")(image))
    for stride in (2, 2, 1, 1):
        x = layers.Conv2D(scaled_channels(64, width), 5, strides=stride, padding="valid")(x)
        x = _bn(layers.LeakyReLU(negative_slope=0.2)(x))
    x = layers.Flatten()(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(image, logit, name="anime_discriminator")


def _faces_generator(latent_dim: int, stride1_blocks: tuple[bool, ...], name: str, width: float = 1.0) -> keras.Model:
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(7 * 7 * scaled_channels(64, width))(z)
    x = _bn(layers.Activation("relu")(x))
    x = layers.Reshape((7, 7, scaled_channels(64, width)))(x)
    for _ in range(3):  # 7 -> 14 -> 28 -> 56
        x = layers.Conv2DTranspose(scaled_channels(128, width), 5, strides=2, padding="same")(x)
        x = _bn(layers.Activation("relu")(x))
    for with_bn in stride1_blocks:
        x = layers.Activation("relu")(layers.Conv2DTranspose(scaled_channels(128, width), 5, padding="same")(x))
        if with_bn:
            x = _bn(x)
    x = layers.Conv2D(3, 3, padding="same")(x)
    image = layers.Activation("tanh", name="image")(x)
    return keras.Model(z, image, name=name)


def build_faces_generator(latent_dim: int = LATENT_DIM, width: float = 1.0) -> keras.Model:
    """Experiment 4.3 generator as the book's *summary* prints it (1,768,387 parameters).

    Dense 3136 -> 7x7x64, three stride-2 5x5 transposed convolutions to 56x56 (ReLU, batchnorm), one
    stride-1 5x5 transposed convolution (ReLU, no batchnorm), a 3x3 convolution to 3 channels and tanh.
    ``width`` scales every channel count.
    """
    return _faces_generator(latent_dim, (False,), "faces_generator", width)


def build_faces_generator_as_printed(latent_dim: int = LATENT_DIM) -> keras.Model:
    """Experiment 4.3 generator as the book's *code* reads (2,178,627 parameters): one more stride-1
    transposed convolution with batchnorm before the last one. Built only to show the mismatch."""
    return _faces_generator(latent_dim, (True, False), "faces_generator_as_printed")


def build_faces_discriminator(width: float = 1.0) -> keras.Model:
    """Experiment 4.3 discriminator: 5x5 convolutions 128/64/128 (stride 2, 'same'), 64 ('same'), 128 ('valid'),
    a 3x3x64 'valid' convolution to 1x1, LeakyReLU(0.2), batchnorm after all but the first, Dense(1) logit.
    904,961 parameters. ``width`` scales every channel count."""
    image = keras.Input(IMAGE_SHAPE, name="image")
    x = layers.Conv2D(scaled_channels(128, width), 5, strides=2, padding="same")(image)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    for filters, kernel, stride, padding in ((64, 5, 2, "same"), (128, 5, 2, "same"), (64, 5, 1, "same"),
                                             (128, 5, 1, "valid"), (64, 3, 1, "valid")):
        x = layers.Conv2D(scaled_channels(filters, width), kernel, strides=stride, padding=padding)(x)
        x = _bn(layers.LeakyReLU(negative_slope=0.2)(x))
    x = layers.Flatten()(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(image, logit, name="faces_discriminator")


def non_trainable_params(model: keras.Model) -> int:
    """Parameters that are not trained (the batchnorm moving means and variances)."""
    return int(sum(int(keras.ops.size(w)) for w in model.non_trainable_weights))


def generator_width(generator: keras.Model) -> float:
    """The channel scale ``width`` a generator from this module was built with (1.0: the book's network),
    read from the size of its first dense layer (5x5x128 x width for anime, 7x7x64 x width for faces)."""
    units = next(layer.units for layer in generator.layers if isinstance(layer, layers.Dense))
    cells, channels = (25, 128) if generator.name.startswith("anime") else (49, 64)
    return units / cells / channels


def rebuild_generator(generator: keras.Model) -> keras.Model:
    """A freshly initialised generator with the same architecture and width as ``generator`` (anime or faces)."""
    build = build_anime_generator if generator.name.startswith("anime") else build_faces_generator
    return build(latent_dim=generator.input_shape[-1], width=generator_width(generator))
