"""The chapters' image data: training and held-out test images, where they came from, and whether they stand in.

Every chapter's data container is an :class:`ImageSplit`. One domain (inpainting, colourisation) uses
:class:`OneDomainSplit`; two domains, paired (aerial photo -> map) or unpaired (CycleGAN's trainA / trainB),
use :class:`TwoDomainSplit`. A chapter that needs more fields subclasses one of them. Images are uint8
(N, H, W, C) arrays. Fields are keyword-only, so a subclass can add its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(kw_only=True)
class ImageSplit:
    """``source``: one line saying where the images came from (the chapters print it); ``standin``: True when
    they are an offline substitute for the book's data set."""

    source: str
    standin: bool


@dataclass(kw_only=True)
class OneDomainSplit(ImageSplit):
    """``train`` and ``test`` images of one domain; on the photo-pool stand-ins, the names of the photos each
    side was cropped from (whole photos are held out, so the two never share one)."""

    train: np.ndarray
    test: np.ndarray
    train_photos: tuple[str, ...] = ()
    test_photos: tuple[str, ...] = ()


@dataclass(kw_only=True)
class TwoDomainSplit(ImageSplit):
    """Images of domains A and B for training and testing (row i of A and B belong together when the data is
    paired); ``folder`` they were read from (None when built in memory) and the stand-in's record ``info``."""

    train_a: np.ndarray
    train_b: np.ndarray
    test_a: np.ndarray
    test_b: np.ndarray
    folder: Path | None = None
    info: dict | None = None
