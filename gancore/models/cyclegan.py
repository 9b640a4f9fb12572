"""Skill 8: the book's CycleGAN networks, apples <-> oranges (E3, U-Net) and horses <-> zebras (E4, ResNet-9).

Each experiment builds two identical generators (A->B, B->A) and two identical discriminators; call the
builder twice. Discriminators are unconditional PatchGANs returning linear patch logits (the book trains them
with MSE against 1/0 patches). Normalisation is instance normalisation throughout (the book's ``tfa`` layer with
default arguments: 2 parameters per channel). ``width`` scales every hidden channel count (1.0: the book's);
``image_size`` runs the networks on smaller images (all four are fully convolutional; the U-Net drops its
innermost levels when the image cannot halve eight times).
"""

from __future__ import annotations

import keras
from keras import layers

from gancore.models.layers import scaled_channels
from gancore.models.norm_pad import InstanceNormalization, ReflectionPadding2D
from gancore.models.unet import patchgan_discriminator, unet_generator

BOOK_CYCLEGAN_UNET_GENERATOR_PARAMS = 16_888_451
BOOK_CYCLEGAN_UNET_DISCRIMINATOR_PARAMS = 6_962_369
BOOK_CYCLEGAN_RESNET_GENERATOR_PARAMS = 11_388_617
BOOK_CYCLEGAN_RESNET_DISCRIMINATOR_PARAMS = 2_766_529
BOOK_RESIDUAL_BLOCKS = 9
RESIDUAL_BLOCK_PARAMS = 1_181_184  # two 3x3 256->256 convs with bias (2 x 590,080) and two instance norms (2 x 512)


# the keras.io CycleGAN example's ``kernel_init``, N(0, 0.02); a config, so every layer gets its own initializer
BOOK_KERNEL_INIT = {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 0.02}}


def _book_init():
    return keras.initializers.get(dict(BOOK_KERNEL_INIT, config=dict(BOOK_KERNEL_INIT["config"])))


def build_unet_generator(image_size: int = 256, width: float = 1.0) -> keras.Model:
    """E3 U-Net generator, 256x256x3 -> 256x256x3, instance normalisation.

    Encoder 32 (no norm), 64, 128, 256 x 4; bottleneck 512; decoder 256 x 5, 64, 32. The book's decoder is
    asymmetric (d5 has 256 filters over e3's 128, giving 384 channels after the skip); kept as printed.
    16,888,451 parameters at width 1 (per generator; CycleGAN has two)."""
    return unet_generator(image_size, 3, encoder=(32, 64, 128, 256, 256, 256, 256), bottleneck=512,
                          decoder=(256, 256, 256, 256, 256, 64, 32), norm="instance", width=width,
                          name="cyclegan_unet_generator")


def build_unet_discriminator(image_size: int = 256, width: float = 1.0) -> keras.Model:
    """E3 PatchGAN: 64 (no norm), 128, 256, 512, 512, all 4x4 stride 2 with instance norm, then the linear
    patch conv: 8x8x1 logits at 256 (about 190 px receptive field). 6,962,369 parameters at width 1."""
    return patchgan_discriminator(image_size, (3,), blocks=((64, 2), (128, 2), (256, 2), (512, 2), (512, 2)),
                                  norm="instance", width=width, name="cyclegan_unet_discriminator")


def _residual_block(x, filters: int):
    """ReflectPad(1) -> Conv 3x3 -> IN -> ReLU -> ReflectPad(1) -> Conv 3x3 -> IN -> add the input (no ReLU after)."""
    y = ReflectionPadding2D((1, 1))(x)
    y = layers.Conv2D(filters, 3, kernel_initializer=_book_init())(y)
    y = layers.ReLU()(InstanceNormalization()(y))
    y = ReflectionPadding2D((1, 1))(y)
    y = layers.Conv2D(filters, 3, kernel_initializer=_book_init())(y)
    y = InstanceNormalization()(y)
    return layers.Add()([x, y])


def build_resnet_generator(image_size: int = 256, width: float = 1.0,
                           residual_blocks: int = BOOK_RESIDUAL_BLOCKS) -> keras.Model:
    """E4 ResNet generator (from the keras.io CycleGAN example), 256x256x3 -> 256x256x3.

    ReflectPad(3) -> Conv 7x7 64 (no bias) -> IN -> ReLU; Conv 3x3/2 128 and 256 -> IN -> ReLU;
    ``residual_blocks`` residual blocks at 256 channels; ConvTranspose 3x3/2 128 and 64 -> IN -> ReLU;
    ReflectPad(3) -> Conv 7x7 3 -> IN -> tanh (the book's extra instance norm before tanh is kept: it holds
    6 of the parameters). Kernels N(0, 0.02) except the head's. The book's printed ``make_generator`` calls the
    residual block once, but its summary (add ... add_8) and its 11,388,617 parameters are nine blocks:
    757,961 + 9 x 1,181,184. The default is nine; ``image_size`` must be a multiple of 4."""
    if image_size % 4:
        raise ValueError(f"image_size must be a multiple of 4, got {image_size}")
    c64, c128, c256 = (scaled_channels(c, width) for c in (64, 128, 256))
    image = keras.Input((image_size, image_size, 3), name="source")
    x = ReflectionPadding2D((3, 3))(image)
    x = layers.Conv2D(c64, 7, kernel_initializer=_book_init(), use_bias=False)(x)
    x = layers.ReLU()(InstanceNormalization()(x))
    for filters in (c128, c256):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", kernel_initializer=_book_init())(x)
        x = layers.ReLU()(InstanceNormalization()(x))
    for _ in range(residual_blocks):
        x = _residual_block(x, c256)
    for filters in (c128, c64):
        x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", kernel_initializer=_book_init())(x)
        x = layers.ReLU()(InstanceNormalization()(x))
    x = ReflectionPadding2D((3, 3))(x)
    x = layers.Conv2D(3, 7)(x)
    x = InstanceNormalization()(x)
    out = layers.Activation("tanh", name="image")(x)
    return keras.Model(image, out, name="cyclegan_resnet_generator")


def build_resnet_discriminator(image_size: int = 256, width: float = 1.0) -> keras.Model:
    """E4 70x70 PatchGAN: 64 (no norm), 128, 256 with stride 2, 512 with stride 1 (4x4, N(0, 0.02) kernels,
    LeakyReLU(0.2), instance norm), then the linear patch conv: 32x32x1 logits at 256. 2,766,529 parameters."""
    return patchgan_discriminator(image_size, (3,), blocks=((64, 2), (128, 2), (256, 2), (512, 1)),
                                  norm="instance", width=width, kernel_initializer=BOOK_KERNEL_INIT,
                                  name="cyclegan_resnet_discriminator")
