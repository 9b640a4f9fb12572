"""Skill 9: the book's custom CartoonGAN networks (Selfie2Sketch; Selfie2Anime and Selfie2Bitmoji share them).

The generator is the DiscoGAN U-Net (``discogan.py``) with a second input: "style" features, VGG19
``block4_conv4`` of a cartoon (16x16x512 at 128x128), concatenated to the decoder path after d5 (its 16x16x512
output, skip included) and before d6, so d6 reads 1,024 channels. That adds 16 x 512 x 128 = 1,048,576 weights
to DiscoGAN's 41,833,475: 42,882,051, the book's count. The discriminator is DiscoGAN's PatchGAN (8x8x1 linear
logits at 128). ``width`` scales the hidden channels but not ``style_channels`` (set by the feature extractor);
``image_size`` runs both on smaller images, with the style input at ``image_size / 8``.
"""

from __future__ import annotations

import keras

from gancore.models.discogan import BOTTLENECK, DECODER, DISCRIMINATOR_BLOCKS, ENCODER
from gancore.models.unet import patchgan_discriminator, unet_generator

BOOK_CARTOONGAN_GENERATOR_PARAMS = 42_882_051
BOOK_CARTOONGAN_DISCRIMINATOR_PARAMS = 2_766_529
BOOK_STYLE_CHANNELS = 512  # VGG19 block4_conv4


def build_generator(image_size: int = 128, width: float = 1.0,
                    style_channels: int = BOOK_STYLE_CHANNELS) -> keras.Model:
    """Inputs ``[source (image_size, image_size, 3), style (image_size/8, image_size/8, style_channels)]`` ->
    128x128x3 (tanh). 42,882,051 parameters at width 1 with the book's 16x16x512 style input."""
    if image_size % 8:
        raise ValueError(f"image_size must be a multiple of 8, got {image_size}")
    return unet_generator(image_size, 3, encoder=ENCODER, bottleneck=BOTTLENECK, decoder=DECODER,
                          norm="instance", width=width, style_channels=style_channels, style_before_last=2,
                          name="cartoongan_generator")


def build_discriminator(image_size: int = 128, width: float = 1.0) -> keras.Model:
    """DiscoGAN's PatchGAN: 8x8x1 linear logits at 128. 2,766,529 parameters at width 1."""
    return patchgan_discriminator(image_size, (3,), blocks=DISCRIMINATOR_BLOCKS, norm="instance", width=width,
                                  name="cartoongan_discriminator")
