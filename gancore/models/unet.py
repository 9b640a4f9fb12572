"""The U-Net generator and PatchGAN discriminator shared by the book's Skill 8-9 translation networks.

Pix2Pix (``pix2pix.py``), the apple<->orange CycleGAN (``cyclegan.py``), DiscoGAN (``discogan.py``) and the
custom CartoonGAN (``cartoongan.py``) all use the same two helpers of the book with different widths,
depths and normalisations:

* encoder block: Conv2D(f, 4x4, stride 2, 'same') -> LeakyReLU(0.2) -> norm (none on the first block);
* bottleneck: Conv2D(f, 4x4, stride 2, 'same') -> ReLU, no norm;
* decoder block: Conv2DTranspose(f, 4x4, stride 2, 'same') -> ReLU -> norm -> concatenate with the mirrored
  encoder output (the activation comes *before* the norm everywhere, as in the book);
* output: Conv2DTranspose(channels, 4x4, stride 2, 'same') -> tanh;
* PatchGAN block: Conv2D(f, 4x4, stride s, 'same') -> LeakyReLU(0.2) -> norm (none on the first), then a
  linear Conv2D(1, 4x4, stride 1, 'same'): one logit per patch (the book trains it with MSE, LSGAN style).

``norm`` is ``"batch"`` (BatchNormalization, momentum 0.8: Pix2Pix colour) or ``"instance"`` (the book's
``tfa`` InstanceNormalization with default arguments, 2 parameters per channel). No dropout anywhere (the book
has none). ``width`` scales every hidden channel count (``scaled_channels``); image and patch channels stay.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from gancore.models.layers import scaled_channels
from gancore.models.norm_pad import InstanceNormalization


def normalisation(kind: str | None):
    """A fresh normalisation layer: ``"batch"`` (momentum 0.8, the book's), ``"instance"`` or ``None`` (identity)."""
    if kind == "batch":
        return layers.BatchNormalization(momentum=0.8)
    if kind == "instance":
        return InstanceNormalization()
    if kind is None:
        return layers.Identity()
    raise ValueError(f"norm must be 'batch', 'instance' or None, got {kind!r}")


def _power_of_two_in(n: int) -> int:
    """The exponent of the largest power of two dividing ``n`` (how often ``n`` halves exactly)."""
    k = 0
    while n % 2 == 0:
        n //= 2
        k += 1
    return k


def unet_levels_to_drop(encoder_blocks: int, image_size: int) -> int:
    """How many innermost U-Net levels to drop so that ``image_size`` halves exactly at every stride-2 layer.

    The book's U-Nets halve the image ``encoder_blocks + 1`` times (the bottleneck is 1x1 at the book's size).
    A smaller image that cannot halve that often loses its innermost levels (encoder block and mirrored decoder
    block); a larger one keeps them all and ends on a bottleneck wider than 1x1.
    """
    if image_size < 2:
        raise ValueError(f"image_size must be >= 2, got {image_size}")
    drop = max(0, encoder_blocks + 1 - _power_of_two_in(image_size))
    if drop >= encoder_blocks:
        raise ValueError(f"image_size {image_size} halves too few times for a U-Net (needs a multiple of 4)")
    return drop


def unet_generator(
    image_size: int,
    in_channels: int,
    encoder: Sequence[int],
    bottleneck: int,
    decoder: Sequence[int],
    norm: str,
    out_channels: int = 3,
    width: float = 1.0,
    style_channels: int | None = None,
    style_before_last: int = 2,
    name: str = "unet_generator",
) -> keras.Model:
    """The book's U-Net: ``encoder`` filters (first block without norm), ``bottleneck`` filters, then ``decoder``
    filters; decoder block ``i`` is concatenated with encoder block ``len(encoder) - 1 - i``.

    ``style_channels`` adds a second input (CartoonGAN's VGG style features) concatenated to the decoder path
    just before the ``style_before_last``-th last decoder block, at resolution
    ``image_size / 2**(style_before_last + 1)``.
    Innermost levels are dropped when ``image_size`` is too small (``unet_levels_to_drop``).
    """
    if len(encoder) != len(decoder):
        raise ValueError("the U-Net needs as many decoder blocks as encoder blocks")
    drop = unet_levels_to_drop(len(encoder), image_size)
    encoder = list(encoder)[: len(encoder) - drop]
    decoder = list(decoder)[drop:]
    if style_channels is not None and not 1 <= style_before_last <= len(decoder):
        raise ValueError(f"no decoder block to take the style before (have {len(decoder)} blocks)")

    source = keras.Input((image_size, image_size, in_channels), name="source")
    inputs = [source]
    skips = []
    x = source
    for i, filters in enumerate(encoder):
        x = layers.Conv2D(scaled_channels(filters, width), 4, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
        if i:
            x = normalisation(norm)(x)
        skips.append(x)
    x = layers.Conv2D(scaled_channels(bottleneck, width), 4, strides=2, padding="same", activation="relu",
                      name="bottleneck")(x)
    for i, filters in enumerate(decoder):
        if style_channels is not None and i == len(decoder) - style_before_last:
            side = image_size // 2 ** (style_before_last + 1)
            style = keras.Input((side, side, style_channels), name="style")
            inputs.append(style)
            x = layers.Concatenate(name="with_style")([x, style])
        x = layers.Conv2DTranspose(scaled_channels(filters, width), 4, strides=2, padding="same", activation="relu")(x)
        x = normalisation(norm)(x)
        x = layers.Concatenate()([x, skips[len(skips) - 1 - i]])
    image = layers.Conv2DTranspose(out_channels, 4, strides=2, padding="same", activation="tanh", name="image")(x)
    return keras.Model(inputs if len(inputs) > 1 else source, image, name=name)


def patchgan_discriminator(
    image_size: int,
    in_channels: Sequence[int],
    blocks: Sequence[tuple[int, int]],
    norm: str,
    width: float = 1.0,
    kernel_initializer="glorot_uniform",
    input_names: Sequence[str] = ("source", "target"),
    name: str = "patchgan_discriminator",
) -> keras.Model:
    """PatchGAN: ``blocks`` of ``(filters, stride)`` (the first without norm), then a linear 4x4 Conv2D to one
    logit per patch. ``in_channels`` has one entry per input image: two for Pix2Pix's conditional D (source and
    target, concatenated along channels), one for the unconditional CycleGAN/DiscoGAN D. ``kernel_initializer``
    applies to the blocks (the book's ResNet-CycleGAN D uses N(0, 0.02) there, the default for the last conv)."""
    if len(in_channels) == 1:
        input_names = ("image",)
    inputs = [keras.Input((image_size, image_size, c), name=n) for c, n in zip(in_channels, input_names)]
    x = inputs[0] if len(inputs) == 1 else layers.Concatenate()(inputs)
    for i, (filters, stride) in enumerate(blocks):
        x = layers.Conv2D(scaled_channels(filters, width), 4, strides=stride, padding="same",
                          kernel_initializer=kernel_initializer)(x)
        x = layers.LeakyReLU(0.2)(x)
        if i:
            x = normalisation(norm)(x)
    patches = layers.Conv2D(1, 4, padding="same", name="patch_logits")(x)
    return keras.Model(inputs[0] if len(inputs) == 1 else inputs, patches, name=name)
