"""Skill 9: the book's SRGAN networks, 4x face super-resolution (64x64 -> 256x256).

The book's generator code is cut off; the structure below is the one its printed summary implies (and the
author's repository uses), and it reproduces the summary's counts exactly: 2,040,643 parameters, 2,038,467
trainable, 2,176 non-trainable (the moving statistics of 17 batchnorms of 64 channels). It is not the paper's
network: ReLU instead of PReLU, UpSampling2D + conv instead of sub-pixel convolution, and each residual block
mixes a batchnorm (after the first conv) with an instance norm (after the second).

The discriminator returns linear logits where the book ends on a sigmoid (the count is unchanged); its two
Dense layers act on every position of the 16x16x512 feature map, so the output is a 16x16x1 patch map.
``width`` scales every hidden channel count (1.0: the book's); ``image_size`` is the low-resolution size for the
generator and the high-resolution size for the discriminator (both networks are fully convolutional).
"""

from __future__ import annotations

import keras
from keras import layers

from gancore.models.layers import scaled_channels, zero_layer
from gancore.models.norm_pad import InstanceNormalization

BOOK_SRGAN_GENERATOR_PARAMS = 2_040_643
BOOK_SRGAN_GENERATOR_TRAINABLE = 2_038_467
BOOK_SRGAN_DISCRIMINATOR_PARAMS = 5_215_425
BOOK_RESIDUAL_BLOCKS = 16


def _bn():
    return layers.BatchNormalization(momentum=0.8)


def build_generator(image_size: int = 64, width: float = 1.0,
                    residual_blocks: int = BOOK_RESIDUAL_BLOCKS) -> keras.Model:
    """Low-resolution ``image_size`` RGB -> 4x larger RGB (tanh).

    Conv 9x9 64 -> ReLU; ``residual_blocks`` x [Conv 3x3 64 -> ReLU -> BN(0.8) -> Conv 3x3 64 -> IN -> add the
    block input]; Conv 3x3 64 -> BN(0.8) -> add the first conv's output (long skip); two x [UpSampling2D(2)
    (nearest) -> Conv 3x3 256 -> ReLU]; Conv 9x9 3 -> tanh. 2,040,643 parameters at width 1 (16 blocks)."""
    c64, c256 = scaled_channels(64, width), scaled_channels(256, width)
    low = keras.Input((image_size, image_size, 3), name="low_resolution")
    first = layers.Conv2D(c64, 9, padding="same", activation="relu")(low)
    x = first
    for _ in range(residual_blocks):
        y = _bn()(layers.Conv2D(c64, 3, padding="same", activation="relu")(x))
        y = InstanceNormalization()(layers.Conv2D(c64, 3, padding="same")(y))
        x = layers.Add()([x, y])
    x = _bn()(layers.Conv2D(c64, 3, padding="same")(x))
    x = layers.Add()([x, first])
    for _ in range(2):
        x = layers.UpSampling2D(2)(x)
        x = layers.Conv2D(c256, 3, padding="same", activation="relu")(x)
    high = layers.Conv2D(3, 9, padding="same", activation="tanh", name="image")(x)
    return keras.Model(low, high, name="srgan_generator")


def build_discriminator(image_size: int = 256, width: float = 1.0) -> keras.Model:
    """High-resolution RGB -> patch logits (16x16x1 at 256).

    Eight Conv 3x3 blocks (filters/stride 64/1 without norm, 64/2, 128/1, 128/2, 256/1, 256/2, 512/1, 512/2),
    each Conv -> LeakyReLU(0.2) -> instance norm; then Dense(1024) -> LeakyReLU(0.2) -> Dense(1) per position
    (linear: the book's sigmoid moves into the loss). 5,215,425 parameters at width 1, all trainable."""
    image = keras.Input((image_size, image_size, 3), name="image")
    x = image
    plan = ((64, 1), (64, 2), (128, 1), (128, 2), (256, 1), (256, 2), (512, 1), (512, 2))
    for i, (filters, stride) in enumerate(plan):
        x = layers.Conv2D(scaled_channels(filters, width), 3, strides=stride, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
        if i:
            x = InstanceNormalization()(x)
    x = layers.LeakyReLU(0.2)(layers.Dense(scaled_channels(1024, width))(x))
    logits = layers.Dense(1, name="patch_logits")(x)
    return keras.Model(image, logits, name="srgan_discriminator")


class BicubicUpsample(layers.Layer):
    """Bicubic ``scale``x upsampling of an image batch (``keras.ops.image.resize``), no weights."""

    def __init__(self, scale: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, images):
        height, width = images.shape[1], images.shape[2]
        return keras.ops.image.resize(images, (height * self.scale, width * self.scale), interpolation="bicubic")

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def with_bicubic_skip(generator: keras.Model, scale: int = 4, zero_output: bool = True) -> keras.Model:
    """The working variant: ``bicubic(low) + generator(low)``, so the generator only learns what bicubic
    interpolation misses (a global residual, as in VDSR and the paper's successors). ``zero_output`` sets the
    generator's last convolution ("image") to zero, so training starts exactly at bicubic. The generator's
    layers and parameter count are unchanged; the wrapper adds no weights."""
    if zero_output:
        zero_layer(generator, "image")
    low = keras.Input(generator.input.shape[1:], name="low_resolution")
    high = layers.Add(name="bicubic_plus_residual")([BicubicUpsample(scale, name="bicubic")(low), generator(low)])
    return keras.Model(low, high, name=f"{generator.name}_bicubic_skip")
