"""Skill 9: the book's context encoder, inpainting a 16x16 hole in a 64x64 anime face.

The generator sees the masked image (the hole set to 0, no mask channel) and predicts only the missing
16x16x3 patch; the discriminator judges such patches. The book's network is simpler than the paper's: a
1x1 stride-2 convolution stands where the paper has a channel-wise fully connected layer.

The discriminator returns a linear logit where the book ends on a sigmoid (the count is unchanged).
``width`` scales every hidden channel count (1.0: the book's). The generator is fully convolutional:
``image_size`` (a multiple of 16) gives a hole of ``image_size / 4``; ``hole_size`` sets the discriminator's
input (its Flatten + Dense head depends on it).
"""

from __future__ import annotations

import keras
from keras import layers

from gancore.models.layers import scaled_channels

BOOK_CONTEXT_ENCODER_GENERATOR_PARAMS = 826_435
BOOK_CONTEXT_ENCODER_GENERATOR_TRAINABLE = 825_603
BOOK_CONTEXT_ENCODER_DISCRIMINATOR_PARAMS = 376_705
BOOK_CONTEXT_ENCODER_DISCRIMINATOR_TRAINABLE = 375_809
BOOK_IMAGE_SIZE = 64
BOOK_HOLE_SIZE = 16


def _bn():
    return layers.BatchNormalization(momentum=0.8)


def build_generator(image_size: int = BOOK_IMAGE_SIZE, width: float = 1.0, dropout: float = 0.5) -> keras.Model:
    """Masked 64x64x3 -> missing 16x16x3 patch (tanh).

    Conv 3x3/2 32, 64, 128 (-> LeakyReLU(0.2) -> BN(0.8)), 32 -> 8x8; Conv 1x1/2 512 -> LeakyReLU -> Dropout(0.5),
    4x4; ConvTranspose 3x3/2 128, 64 (-> ReLU -> BN(0.8)), 16x16; Conv 3x3 3 -> tanh. All 'same'.
    826,435 parameters (825,603 trainable) at width 1. ``dropout`` is the rate on the 4x4 code (the book's 0.5;
    it has no parameters, so the count does not depend on it)."""
    if image_size % 16:
        raise ValueError(f"image_size must be a multiple of 16, got {image_size}")
    masked = keras.Input((image_size, image_size, 3), name="masked_image")
    x = masked
    for filters in (32, 64, 128):
        x = layers.Conv2D(scaled_channels(filters, width), 3, strides=2, padding="same")(x)
        x = _bn()(layers.LeakyReLU(0.2)(x))
    x = layers.Conv2D(scaled_channels(512, width), 1, strides=2, padding="same")(x)
    x = layers.Dropout(dropout)(layers.LeakyReLU(0.2)(x))
    for filters in (128, 64):
        x = layers.Conv2DTranspose(scaled_channels(filters, width), 3, strides=2, padding="same", activation="relu")(x)
        x = _bn()(x)
    patch = layers.Conv2D(3, 3, padding="same", activation="tanh", name="patch")(x)
    return keras.Model(masked, patch, name="context_encoder_generator")


def build_discriminator(hole_size: int = BOOK_HOLE_SIZE, width: float = 1.0) -> keras.Model:
    """16x16x3 patch -> one logit.

    Conv 3x3/2 64 -> 8x8, Conv 3x3/2 128 -> 4x4, Conv 3x3 256 (each -> LeakyReLU(0.2) -> BN(0.8), 'same'), Flatten
    (4,096) -> Dense(1), linear. 376,705 parameters (375,809 trainable) at width 1."""
    patch = keras.Input((hole_size, hole_size, 3), name="patch")
    x = patch
    for filters, stride in ((64, 2), (128, 2), (256, 1)):
        x = layers.Conv2D(scaled_channels(filters, width), 3, strides=stride, padding="same")(x)
        x = _bn()(layers.LeakyReLU(0.2)(x))
    logit = layers.Dense(1, name="real_fake")(layers.Flatten()(x))
    return keras.Model(patch, logit, name="context_encoder_discriminator")
