"""The networks of the three WGAN seed projects (S1-S3), clean Keras 3 equivalents the trainer can pick.

The published code of S1 is truncated and reuses layer names; S2 and S3 describe their networks in prose.
These builders follow the descriptions (see each docstring) with every layer named once. ``width``
scales every convolutional channel count (1.0: the seed's size; the trainer passes ``--width / 64``),
so a CPU run can train the same layers, shapes and activations at a fraction of the cost.

- **S1** (WGAN-GP, 48x48 anime faces, z = 15): critic = a plain stack of 3x3 convolutions with ReLU
  (512, 256, 128, 64, 64 filters; the first four with stride 2, 48 -> 3), Flatten, Dense 150 and 50 (ReLU),
  one linear output; generator = Dense 576 -> 3x3x64 -> four stride-2 4x4 transposed convolutions
  (256, 128, 64 with batchnorm and ReLU, then 3 with tanh) to 48x48x3. Data in [-1, 1].
- **S2** (WGAN with clipping, 64x64, noise 128): generator = Dense to 4x4x512, four blocks
  BatchNorm-ReLU-Conv2DTranspose(4x4, stride 2) halving the depth to 64x64x32, two more blocks
  (3x3, stride 1) down to 16 and 3 channels, sigmoid; critic = the mirror image, six blocks
  LeakyReLU-Conv2D (3, 16 -> 32 at stride 1, then 4x4 stride 2 up to 4x4x512), Flatten, Dense(1). Data in [0, 1].
- **S3** (WGAN-GP, 64x64 faces, DCGAN style): generator = Dense to 4x4x512, batchnorm and LeakyReLU(0.2),
  stride-2 4x4 transposed convolutions 256, 128, 64 (batchnorm, LeakyReLU) and 3 (sigmoid); critic =
  stride-2 4x4 convolutions 64, 128, 256, 512 with LeakyReLU(0.2), a normalisation on all but the first
  (``"batch"``: the seed's batchnorm; ``"layer"``: per-example normalisation over H, W and C with a scale
  and offset per channel, as in the WGAN-GP authors' code), Flatten, Dense(1). Data in [0, 1].
"""

from __future__ import annotations

import keras
from keras import layers

from gancore.models.layers import scaled_channels

S1_LATENT_DIM = 15
S2_LATENT_DIM = 128
S3_LATENT_DIM = 100
S3_CRITIC_NORMS = ("batch", "layer", "none")

# Parameter counts at width 1 (total, non-trainable), counted by hand in tests/test_wgan_projects.py
S1_GENERATOR_PARAMS = (931_267, 1_024)
S1_CRITIC_PARAMS = (1_694_151, 0)
S2_GENERATOR_PARAMS = (3_851_619, 2_016)
S2_CRITIC_PARAMS = (2_799_521, 0)
S3_GENERATOR_PARAMS = (3_578_627, 1_920)
S3_CRITIC_PARAMS = {"batch": (2_767_425, 1_792), "layer": (2_765_633, 0), "none": (2_763_841, 0)}


def build_s1_generator(latent_dim: int = S1_LATENT_DIM, width: float = 1.0) -> keras.Model:
    """S1: Dense 576 (no bias) -> 3x3x64, batchnorm, ReLU -> ConvT 4x4/2 to 6x6x256, 12x12x128, 24x24x64 (batchnorm,
    ReLU) -> ConvT 4x4/2 to 48x48x3, tanh. 931,267 parameters at width 1 (1,024 non-trainable)."""
    c64, c128, c256 = (scaled_channels(c, width) for c in (64, 128, 256))
    z = keras.Input((latent_dim,), name="z")
    x = layers.Reshape((3, 3, c64), name="to_3x3")(layers.Dense(3 * 3 * c64, use_bias=False, name="dense_576")(z))
    x = layers.ReLU(name="dense_relu")(layers.BatchNormalization(name="dense_bn")(x))
    for i, filters in enumerate((c256, c128, c64)):
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False, name=f"up{i + 1}")(x)
        x = layers.ReLU(name=f"up{i + 1}_relu")(layers.BatchNormalization(name=f"up{i + 1}_bn")(x))
    image = layers.Conv2DTranspose(3, 4, strides=2, padding="same", activation="tanh", name="image")(x)
    return keras.Model(z, image, name="s1_generator")


def build_s1_critic(width: float = 1.0) -> keras.Model:
    """S1: 3x3 Conv2D + ReLU with 512, 256, 128, 64 filters at stride 2 (48 -> 24 -> 12 -> 6 -> 3) and 64 at
    stride 1, Flatten, Dense 150 and 50 (ReLU), Dense 1 linear. 1,694,151 parameters at width 1."""
    image = keras.Input((48, 48, 3), name="image")
    x = image
    for i, (filters, stride) in enumerate(((512, 2), (256, 2), (128, 2), (64, 2), (64, 1))):
        x = layers.Conv2D(scaled_channels(filters, width), 3, strides=stride, padding="same", activation="relu",
                          name=f"conv{i + 1}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(150, activation="relu", name="dense_150")(x)
    x = layers.Dense(50, activation="relu", name="dense_50")(x)
    score = layers.Dense(1, name="score")(x)
    return keras.Model(image, score, name="s1_critic")


def build_s2_generator(latent_dim: int = S2_LATENT_DIM, width: float = 1.0) -> keras.Model:
    """S2: Dense to 4x4x512, blocks BatchNorm-ReLU-ConvT(4x4/2) to 8x8x256, 16x16x128, 32x32x64, 64x64x32,
    then BatchNorm-ReLU-ConvT(3x3/1) to 16 and to 3 channels, sigmoid. 3,851,619 parameters at width 1."""
    c = [scaled_channels(f, width) for f in (512, 256, 128, 64, 32, 16)]
    z = keras.Input((latent_dim,), name="z")
    x = layers.Reshape((4, 4, c[0]), name="to_4x4")(layers.Dense(4 * 4 * c[0], name="dense")(z))
    plan = [(f, 4, 2) for f in c[1:5]] + [(c[5], 3, 1), (3, 3, 1)]
    for i, (filters, kernel, stride) in enumerate(plan):
        x = layers.ReLU(name=f"block{i + 1}_relu")(layers.BatchNormalization(name=f"block{i + 1}_bn")(x))
        x = layers.Conv2DTranspose(filters, kernel, strides=stride, padding="same", name=f"block{i + 1}_convt")(x)
    image = layers.Activation("sigmoid", name="image")(x)
    return keras.Model(z, image, name="s2_generator")


def build_s2_critic(width: float = 1.0) -> keras.Model:
    """S2: the generator's mirror, six blocks LeakyReLU(0.2)-Conv2D: 3x3/1 to 16 and 32 channels at 64x64,
    then 4x4/2 to 32x32x64, 16x16x128, 8x8x256, 4x4x512; Flatten, Dense 1. 2,799,521 parameters at width 1.

    The first LeakyReLU sees images in [0, 1], so it passes them unchanged; the last convolution and the
    dense layer meet without an activation between them (two linear maps in a row), as described."""
    c = [scaled_channels(f, width) for f in (16, 32, 64, 128, 256, 512)]
    image = keras.Input((64, 64, 3), name="image")
    x = image
    for i, filters in enumerate(c):
        kernel, stride = (3, 1) if i < 2 else (4, 2)
        x = layers.LeakyReLU(0.2, name=f"block{i + 1}_lrelu")(x)
        x = layers.Conv2D(filters, kernel, strides=stride, padding="same", name=f"block{i + 1}_conv")(x)
    score = layers.Dense(1, name="score")(layers.Flatten(name="flatten")(x))
    return keras.Model(image, score, name="s2_critic")


def build_s3_generator(latent_dim: int = S3_LATENT_DIM, width: float = 1.0) -> keras.Model:
    """S3: Dense to 4x4x512 (no bias), batchnorm, LeakyReLU(0.2); ConvT 4x4/2 to 8x8x256, 16x16x128,
    32x32x64 (no bias, batchnorm, LeakyReLU); ConvT 4x4/2 to 64x64x3, sigmoid. 3,578,627 parameters at width 1."""
    c = [scaled_channels(f, width) for f in (512, 256, 128, 64)]
    z = keras.Input((latent_dim,), name="z")
    x = layers.Reshape((4, 4, c[0]), name="to_4x4")(layers.Dense(4 * 4 * c[0], use_bias=False, name="dense")(z))
    x = layers.LeakyReLU(0.2, name="dense_lrelu")(layers.BatchNormalization(name="dense_bn")(x))
    for i, filters in enumerate(c[1:]):
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False, name=f"up{i + 1}")(x)
        x = layers.LeakyReLU(0.2, name=f"up{i + 1}_lrelu")(layers.BatchNormalization(name=f"up{i + 1}_bn")(x))
    image = layers.Conv2DTranspose(3, 4, strides=2, padding="same", activation="sigmoid", name="image")(x)
    return keras.Model(z, image, name="s3_generator")


def _norm(x, norm: str, name: str):
    if norm == "batch":
        return layers.BatchNormalization(name=name)(x)
    if norm == "layer":  # one mean and variance per example over (H, W, C); scale and offset per channel
        return layers.GroupNormalization(groups=1, name=name)(x)
    return x


def build_s3_critic(norm: str = "batch", width: float = 1.0) -> keras.Model:
    """S3: Conv 4x4/2 to 32x32x64 (LeakyReLU 0.2), then 16x16x128, 8x8x256, 4x4x512 (no bias, ``norm``,
    LeakyReLU), Flatten, Dense 1. ``norm``: "batch" (the seed, 2,767,425 parameters at width 1, 1,792 of
    them moving statistics), "layer" (2,765,633, all trainable) or "none" (2,763,841)."""
    if norm not in S3_CRITIC_NORMS:
        raise ValueError(f"Unknown critic normalisation {norm!r}; choose one of {', '.join(S3_CRITIC_NORMS)}")
    c = [scaled_channels(f, width) for f in (64, 128, 256, 512)]
    image = keras.Input((64, 64, 3), name="image")
    x = layers.Conv2D(c[0], 4, strides=2, padding="same", name="down1")(image)
    x = layers.LeakyReLU(0.2, name="down1_lrelu")(x)
    for i, filters in enumerate(c[1:], start=2):
        x = layers.Conv2D(filters, 4, strides=2, padding="same", use_bias=False, name=f"down{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"down{i}_lrelu")(_norm(x, norm, f"down{i}_{norm}norm"))
    score = layers.Dense(1, name="score")(layers.Flatten(name="flatten")(x))
    return keras.Model(image, score, name=f"s3_critic_{norm}")


# What the trainer needs to know about each architecture: native image size, data range and builders.
ARCHITECTURES = {
    "s1": {"image_size": 48, "value_range": (-1.0, 1.0), "norms": ("none",), "latent_dim": S1_LATENT_DIM,
           "generator": build_s1_generator, "critic": lambda norm, width: build_s1_critic(width)},
    "s2": {"image_size": 64, "value_range": (0.0, 1.0), "norms": ("none",), "latent_dim": S2_LATENT_DIM,
           "generator": build_s2_generator, "critic": lambda norm, width: build_s2_critic(width)},
    "s3": {"image_size": 64, "value_range": (0.0, 1.0), "norms": S3_CRITIC_NORMS, "latent_dim": S3_LATENT_DIM,
           "generator": build_s3_generator, "critic": lambda norm, width: build_s3_critic(norm, width)},
}
