"""Seed S4 (a GAN course assignment): its fully connected and 16x16 convolutional generator/discriminator pairs.

``fully_connected_gen_discr(gen_shape)``: for ``gen_shape = [k, h1, ..., hm, n]`` a generator
k -> h1 -> ... -> hm -> n (tanh hidden layers, sigmoid output, so samples live in [0, 1]^n) and a
discriminator n -> hm -> ... -> h1 -> 1 (tanh hidden layers, tanh output). The two are mirror images
except at the ends. ``[1, 100, 100, 2]`` gives 10,502 and 10,501 parameters, as the assignment prints.

``convolutional_gen_discr()``: the 16x16x1 face pair, latent 16, tanh everywhere, padding 'same':
generator Dense 2048 -> 2x2x512 -> three times (upsample x2, 3x3 conv, batchnorm, tanh) with 64, 16 and 1
channels (339,493 parameters, 339,331 trainable); discriminator four times (3x3 conv, 2x2 max-pool, tanh)
with 32, 64, 128, 256 channels, flatten, Dense 1 (388,097 parameters).

``critic_output``: ``"tanh"`` is the assignment's discriminator head, used by all three of its GANs.
For a Wasserstein critic that is a bug: the critic's values are confined to [-1, 1], so the largest gap
E C(x) - E C(G(z)) it can show is 2, however far apart the two distributions are, and a saturated tanh
passes almost no gradient to the generator. ``"linear"`` (a raw score) is the fix; the parameter count is
the same.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from gancore.models.layers import scaled_channels

FC_EXAMPLE_SHAPE = (1, 100, 100, 2)
FC_EXAMPLE_GENERATOR_PARAMS = 10_502
FC_EXAMPLE_DISCRIMINATOR_PARAMS = 10_501
CONV_GENERATOR_PARAMS = 339_493
CONV_GENERATOR_TRAINABLE = 339_331
CONV_DISCRIMINATOR_PARAMS = 388_097
FACE_LATENT_DIM = 16
CRITIC_OUTPUTS = ("tanh", "linear")


def _head(critic_output: str) -> str | None:
    if critic_output not in CRITIC_OUTPUTS:
        raise ValueError(f"critic_output must be one of {CRITIC_OUTPUTS}, got {critic_output!r}")
    return "tanh" if critic_output == "tanh" else None


def fc_param_counts(gen_shape: Sequence[int]) -> tuple[int, int]:
    """(generator, discriminator) parameter counts of :func:`fully_connected_gen_discr`, by formula.

    Generator: sum over consecutive widths (a, b) of a*b + b. Discriminator: the same over the reversed
    hidden widths, starting from the data dimension, plus the last hidden width + 1 for the score.
    """
    s = list(gen_shape)
    generator = sum(a * b + b for a, b in zip(s[:-1], s[1:]))
    widths = [s[-1]] + s[-2:0:-1]  # n, hm, ..., h1
    discriminator = sum(a * b + b for a, b in zip(widths[:-1], widths[1:])) + widths[-1] + 1
    return generator, discriminator


def fully_connected_gen_discr(gen_shape: Sequence[int], critic_output: str = "tanh",
                              name: str = "") -> tuple[keras.Model, keras.Model]:
    """The assignment's MLP pair for ``gen_shape = [latent, hidden..., data]`` (at least one hidden layer)."""
    s = [int(v) for v in gen_shape]
    if len(s) < 3:
        raise ValueError(f"gen_shape needs a latent size, at least one hidden width and a data size, got {s}")
    head = _head(critic_output)
    z = keras.Input((s[0],), name="z")
    x = z
    for width in s[1:-1]:
        x = layers.Dense(width, activation="tanh")(x)
    sample = layers.Dense(s[-1], activation="sigmoid", name="sample")(x)
    generator = keras.Model(z, sample, name=f"{name}fc_generator")

    data = keras.Input((s[-1],), name="sample")
    x = data
    for width in s[-2:0:-1]:
        x = layers.Dense(width, activation="tanh")(x)
    score = layers.Dense(1, activation=head, name="score")(x)
    discriminator = keras.Model(data, score, name=f"{name}fc_discriminator")
    return generator, discriminator


def build_face_generator(latent_dim: int = FACE_LATENT_DIM, width: float = 1.0) -> keras.Model:
    """16-d latent -> Dense 2048 (tanh) -> 2x2x512 -> (upsample, conv 3x3, batchnorm, tanh) x 3 -> 16x16x1."""
    c = [scaled_channels(f, width) for f in (512, 64, 16)]
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(4 * c[0], activation="tanh")(z)
    x = layers.Reshape((2, 2, c[0]))(x)
    for filters in (c[1], c[2], 1):
        x = layers.UpSampling2D()(x)
        x = layers.Conv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("tanh")(x)
    return keras.Model(z, x, name="face_generator")


def build_face_discriminator(critic_output: str = "tanh", width: float = 1.0) -> keras.Model:
    """16x16x1 -> (conv 3x3, max-pool 2, tanh) x 4 with 32, 64, 128, 256 channels -> flatten -> Dense 1."""
    head = _head(critic_output)
    image = keras.Input((16, 16, 1), name="image")
    x = image
    for filters in (32, 64, 128, 256):
        x = layers.Conv2D(scaled_channels(filters, width), 3, padding="same")(x)
        x = layers.MaxPooling2D()(x)
        x = layers.Activation("tanh")(x)
    score = layers.Dense(1, activation=head, name="score")(layers.Flatten()(x))
    return keras.Model(image, score, name="face_discriminator")


def convolutional_gen_discr(critic_output: str = "tanh", width: float = 1.0) -> tuple[keras.Model, keras.Model]:
    """The assignment's 16x16 face pair (generator, discriminator)."""
    return build_face_generator(width=width), build_face_discriminator(critic_output, width=width)
