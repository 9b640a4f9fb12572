"""Skill 8: the book's Pix2Pix networks, black-and-white -> colour (E1) and aerial photo -> map (E2).

Both are the U-Net generator and conditional PatchGAN of ``unet.py`` (encoder: Conv 4x4/2 -> LeakyReLU(0.2) ->
norm; decoder: ConvTranspose 4x4/2 -> ReLU -> norm -> skip concatenation; no dropout). The discriminator sees
the source and the target (real or generated) concatenated along channels and returns a 16x16 map of patch
logits at 256x256 (linear, as in the book, which trains it with MSE against 1/0 patches).

``width`` scales every hidden channel count (1.0: the book's). ``image_size`` (a power of two in practice)
lets both networks run on smaller images: the discriminator is fully convolutional, and the generator drops
its innermost levels when the image cannot halve eight times (``unet.unet_levels_to_drop``).
"""

from __future__ import annotations

import keras

from gancore.models.unet import patchgan_discriminator, unet_generator

BOOK_PIX2PIX_COLOUR_GENERATOR_PARAMS = 3_684_099
BOOK_PIX2PIX_COLOUR_GENERATOR_TRAINABLE = 3_681_411
BOOK_PIX2PIX_COLOUR_DISCRIMINATOR_PARAMS = 731_393
BOOK_PIX2PIX_COLOUR_DISCRIMINATOR_TRAINABLE = 730_497
BOOK_PIX2PIX_MAPS_GENERATOR_PARAMS = 54_419_459
BOOK_PIX2PIX_MAPS_DISCRIMINATOR_PARAMS = 2_769_601


def build_colour_generator(image_size: int = 256, width: float = 1.0) -> keras.Model:
    """E1 U-Net, grey 256x256x1 -> colour 256x256x3, BatchNormalization (momentum 0.8).

    Encoder 64 (no norm), 64, 64, 128, 128, 128, 128; bottleneck 128 (1x1 at 256); decoder 128 x 4, 64 x 3.
    3,684,099 parameters (3,681,411 trainable) at width 1, as in the book's summary."""
    return unet_generator(image_size, 1, encoder=(64, 64, 64, 128, 128, 128, 128), bottleneck=128,
                          decoder=(128, 128, 128, 128, 64, 64, 64), norm="batch", width=width,
                          name="pix2pix_colour_generator")


def build_colour_discriminator(image_size: int = 256, width: float = 1.0) -> keras.Model:
    """E1 conditional PatchGAN on grey source (1 channel) + colour target (3): 64 (no norm), 64, 128, 256, all
    stride 2 with batchnorm (momentum 0.8), then the linear patch conv: 16x16x1 logits at 256.
    731,393 parameters (730,497 trainable) at width 1."""
    return patchgan_discriminator(image_size, (1, 3), blocks=((64, 2), (64, 2), (128, 2), (256, 2)),
                                  norm="batch", width=width, name="pix2pix_colour_discriminator")


def build_maps_generator(image_size: int = 256, width: float = 1.0) -> keras.Model:
    """E2 U-Net, aerial 256x256x3 -> map 256x256x3, instance normalisation (the standard pix2pix widths).

    Encoder 64 (no norm), 128, 256, 512 x 4; bottleneck 512; decoder 512 x 4, 256, 128, 64.
    54,419,459 parameters (all trainable) at width 1."""
    return unet_generator(image_size, 3, encoder=(64, 128, 256, 512, 512, 512, 512), bottleneck=512,
                          decoder=(512, 512, 512, 512, 256, 128, 64), norm="instance", width=width,
                          name="pix2pix_maps_generator")


def build_maps_discriminator(image_size: int = 256, width: float = 1.0) -> keras.Model:
    """E2 conditional PatchGAN on aerial (3 channels) + map (3): 64 (no norm), 128, 256, 512, all stride 2 with
    instance normalisation, then the linear patch conv: 16x16x1 logits at 256. 2,769,601 parameters at width 1."""
    return patchgan_discriminator(image_size, (3, 3), blocks=((64, 2), (128, 2), (256, 2), (512, 2)),
                                  norm="instance", width=width, name="pix2pix_maps_discriminator")
