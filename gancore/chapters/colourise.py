"""Skill 8 colourisation (Pix2Pix E1): grey conversion, the grey-copy baseline, held-out metrics and the data.

Grey is ITU-R BT.601 luma, ``0.299 R + 0.587 G + 0.114 B``: the weights of OpenCV's ``COLOR_RGB2GRAY`` that the
book calls. They sum to 1, so the conversion maps [-1, 1] to [-1, 1] and [0, 1] to [0, 1] (OpenCV also rounds to
uint8; here it stays float). Metrics take images in [0, 1] and return the mean over images of per-image scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from gancore import metrics
from gancore.data import standins
from gancore.data.images import rgb_to_grey
from gancore.data.splits import OneDomainSplit

TEST_PHOTOS = ("chelsea", "coffee")  # never cropped for training


def grey_copy(grey) -> np.ndarray:
    """The no-learning baseline: the grey channel copied into R, G and B."""
    grey = np.asarray(grey, "float32")
    return np.repeat(grey, 3, axis=-1) if grey.shape[-1] == 1 else np.repeat(grey[..., None], 3, axis=-1)


def colour_scores(predicted, target) -> dict[str, float]:
    """Mean per-image L1, PSNR (dB, peak 1) and SSIM (colour, mean over channels) of ``predicted`` against
    ``target``, both in [0, 1]."""
    return {"l1": float(metrics.mean_absolute_error(predicted, target).mean()),
            "psnr": float(metrics.psnr(predicted, target).mean()),
            "ssim": float(metrics.ssim(predicted, target, channel_axis=-1).mean())}


def mean_chroma(images) -> float:
    """Colourfulness: the mean over images and pixels of the CIELAB chroma sqrt(a*^2 + b*^2), RGB in [0, 1]
    (0 for a grey image; about 10-30 for muted natural photos)."""
    from skimage.color import rgb2lab

    lab = rgb2lab(np.clip(np.asarray(images, "float64"), 0.0, 1.0))
    return float(np.hypot(lab[..., 1], lab[..., 2]).mean())


class KeepLuma(keras.layers.Layer):
    """``[colour, grey] -> colour - luma(colour) + grey``: replace a colour image's BT.601 luma with the given
    grey, keeping its chroma. On top of a colouriser, the output's brightness is the input's exactly, so the
    network only has to choose colours (every range works: the weights sum to 1)."""

    def call(self, inputs):
        colour, grey = inputs
        return colour - rgb_to_grey(colour) + tf.cast(grey, colour.dtype)


def keep_luma(generator: keras.Model) -> keras.Model:
    """``generator`` (grey -> RGB) with :class:`KeepLuma` on its output: the same weights, chroma only."""
    grey = keras.Input(generator.input.shape[1:], name="grey")
    colour = KeepLuma(name="keep_luma")([generator(grey), grey])
    return keras.Model(grey, colour, name=f"{generator.name}_keep_luma")


@dataclass(kw_only=True)
class ColourData(OneDomainSplit):
    """uint8 (N, S, S, 3) colour train and test images (:class:`~gancore.data.splits.OneDomainSplit`), plus
    ``validation`` crops of other training-side photos, for choosing when to stop (None when not asked for)."""

    validation: np.ndarray | None = None
    validation_photos: tuple[str, ...] = ()


def photo_colour_split(train_count: int, test_count: int, size: int = 64, seed: int = 0,
                       test_photos: tuple[str, ...] = TEST_PHOTOS, validation_photos: tuple[str, ...] = (),
                       validation_count: int = 0) -> ColourData:
    """Colour crops (+ mirror) of the photo pool; whole photos (``test_photos``) are held out for testing, and
    ``validation_photos`` (if any) are taken out of training for ``validation_count`` validation crops."""

    train_pool, test_pool = standins.split_photo_pool(test_photos)
    unknown = set(validation_photos) - set(train_pool)
    if unknown:
        raise ValueError(f"validation photos {sorted(unknown)} are not training-side photos of the pool")
    validation_pool = {k: train_pool.pop(k) for k in validation_photos}
    train, _ = standins.random_crops(train_pool, train_count, size, seed)
    test, _ = standins.random_crops(test_pool, test_count, size, seed + 1)
    validation = None
    if validation_pool:
        validation = standins.random_crops(validation_pool, validation_count, size, seed + 2)[0]
    source = (f"STAND-IN for the book's apple2orange colour images: {train_count} {size}x{size} crops for training, "
              f"{test_count} for testing; {standins.describe_split(train_pool, test_pool)}"
              + (f"; {validation_count} validation crops of {len(validation_pool)} more photos "
                 f"({', '.join(sorted(validation_pool))})" if validation_pool else "")
              + ". apple2orange cannot be downloaded offline.")
    return ColourData(train=train, test=test, source=source, standin=True, train_photos=tuple(sorted(train_pool)),
                      test_photos=tuple(sorted(test_pool)), validation=validation,
                      validation_photos=tuple(sorted(validation_pool)))
