"""Skill 9: the book's DiscoGAN networks, male <-> female faces at 128x128 (two generators, two discriminators).

The book's generator is a U-Net (the DiscoGAN paper's has no skip connections) built from the helpers of
``unet.py`` with instance normalisation; its fourth encoder and decoder blocks are commented out in the book,
so it has six of each and halves a 128x128 image seven times to a 1x1 bottleneck. The discriminator is a linear
PatchGAN (8x8x1 logits at 128; the book trains it with MSE). ``width`` scales every hidden channel count (1.0:
the book's); ``image_size`` runs both on smaller images (the U-Net drops its innermost levels when needed).
"""

from __future__ import annotations

import keras

from gancore.models.unet import patchgan_discriminator, unet_generator

BOOK_DISCOGAN_GENERATOR_PARAMS = 41_833_475
BOOK_DISCOGAN_DISCRIMINATOR_PARAMS = 2_766_529

ENCODER = (64, 128, 256, 512, 512, 512)  # e1, e2, e3, (e4 commented out), e5, e6, e7
BOTTLENECK = 512
DECODER = (512, 512, 512, 256, 128, 64)  # d1, d2, d3, (d4 commented out), d5, d6, d7
DISCRIMINATOR_BLOCKS = ((64, 2), (128, 2), (256, 2), (512, 2))  # the book's extra 512 block is commented out


def build_generator(image_size: int = 128, width: float = 1.0) -> keras.Model:
    """U-Net 128x128x3 -> 128x128x3: encoder 64 (no norm), 128, 256, 512, 512, 512; bottleneck 512; decoder
    512, 512, 512, 256, 128, 64 (ConvT -> ReLU -> IN -> skip); ConvT 3 -> tanh. 41,833,475 parameters at width 1."""
    return unet_generator(image_size, 3, encoder=ENCODER, bottleneck=BOTTLENECK, decoder=DECODER,
                          norm="instance", width=width, name="discogan_generator")


def build_discriminator(image_size: int = 128, width: float = 1.0) -> keras.Model:
    """PatchGAN: 64 (no norm), 128, 256, 512, all 4x4 stride 2 with LeakyReLU(0.2) then IN, and the linear patch
    conv: 8x8x1 logits at 128. 2,766,529 parameters at width 1 (the same count as the ResNet-CycleGAN D, whose
    last block has stride 1 instead of 2)."""
    return patchgan_discriminator(image_size, (3,), blocks=DISCRIMINATOR_BLOCKS, norm="instance", width=width,
                                  name="discogan_discriminator")
