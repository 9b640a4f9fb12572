"""Single-image super-resolution: the book's degradation, the bicubic baseline, PSNR/SSIM on Y, and the data.

Conventions (those of the SR papers, e.g. SRCNN, EDSR and SRGAN's own tables):

- images are uint8 RGB (N, H, W, 3) or floats in a stated ``value_range``; the networks work in [-1, 1];
- scores are on the **luma channel Y of ITU-R BT.601** in its studio range, as MATLAB's ``rgb2ycbcr`` computes it:
  ``Y = 16 + (65.481 R + 128.553 G + 24.966 B)`` for R, G, B in [0, 1], so Y is in [16, 235] on a 0-255 scale;
  PSNR uses a peak of 255 on that scale and SSIM the Gaussian-window version of Wang et al. (sigma 1.5,
  ``data_range`` 255, population covariances), computed on the unrounded Y;
- before scoring, ``border`` pixels (the scale factor, 4) are cut from every side of both images: the
  networks and the interpolation see no context there, and SR papers leave them out;
- per-image PSNR and SSIM are averaged over the test images (the usual convention in SR tables).

The book's degradation (``make_pair``): the low- and high-resolution images are two ``cv2.resize`` calls on the
*same* source image (OpenCV's default bilinear interpolation), with no blur kernel: a bilinear shrink by a large
factor samples the source sparsely, so the low-resolution image is aliased. That is the book's set-up, and the
bicubic baseline and the networks are all scored on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from gancore import metrics, paths
from gancore.data import standins
from gancore.data.faces import resolve_faces
from gancore.data.images import to_tanh_range, to_unit_range
from gancore.data.splits import ImageSplit

BT601_Y = np.array([65.481, 128.553, 24.966])  # weights on R, G, B in [0, 1], giving Y - 16 on 0..255
Y_OFFSET = 16.0


# --------------------------------------------------------------------------------------------------------------
# Colour, borders, metrics
# --------------------------------------------------------------------------------------------------------------
def to_uint8_range(images, value_range: tuple[float, float] = (0.0, 255.0)) -> np.ndarray:
    """Float64 images on the 0..255 scale (clipped), from ``value_range``."""
    return to_unit_range(images, value_range, dtype="float64") * 255.0


def rgb_to_y(images, value_range: tuple[float, float] = (0.0, 255.0)) -> np.ndarray:
    """BT.601 studio-range luma of RGB images (..., 3) -> (...) float64 in [16, 235] (0..255 scale)."""
    unit = to_uint8_range(images, value_range) / 255.0
    return Y_OFFSET + unit @ BT601_Y


def shave(images, border: int) -> np.ndarray:
    """Cut ``border`` pixels from every side of a batch: (N, H, W) luma or (N, H, W, C) images."""
    images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"expected a batch (N, H, W[, C]), got shape {images.shape}")
    if border < 0:
        raise ValueError(f"border must be >= 0, not {border}")
    h, w = images.shape[1:3]
    if 2 * border >= min(h, w):
        raise ValueError(f"border {border} leaves nothing of a {h}x{w} image")
    return images[:, border : h - border, border : w - border]


def _y_batches(estimate, reference, border: int, value_range) -> tuple[np.ndarray, np.ndarray]:
    est, ref = np.asarray(estimate), np.asarray(reference)
    if est.shape != ref.shape or est.ndim != 4 or est.shape[-1] != 3:
        raise ValueError(f"expected two (N, H, W, 3) batches of one shape, got {est.shape} and {ref.shape}")
    return shave(rgb_to_y(est, value_range), border), shave(rgb_to_y(ref, value_range), border)


def psnr_y(estimate, reference, border: int = 4, value_range: tuple[float, float] = (0.0, 255.0)) -> np.ndarray:
    """Per-image PSNR (dB) on BT.601 Y, 0..255 scale, ``border`` pixels shaved from each side."""
    est, ref = _y_batches(estimate, reference, border, value_range)
    return metrics.psnr(est, ref, peak=255.0)


def ssim_y(estimate, reference, border: int = 4, value_range: tuple[float, float] = (0.0, 255.0)) -> np.ndarray:
    """Per-image SSIM on BT.601 Y (Gaussian window sigma 1.5, data range 255), ``border`` shaved."""
    est, ref = _y_batches(estimate, reference, border, value_range)
    return metrics.ssim(est, ref, data_range=255.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)


def sr_scores(estimate, reference, border: int = 4, value_range: tuple[float, float] = (0.0, 255.0)) -> dict:
    """Mean (and spread) of per-image PSNR and SSIM on Y with ``border`` shaved, and the image count."""
    p, s = psnr_y(estimate, reference, border, value_range), ssim_y(estimate, reference, border, value_range)
    return {"psnr": float(p.mean()), "ssim": float(s.mean()), "psnr_std": float(p.std()), "ssim_std": float(s.std()),
            "images": int(len(p))}


# --------------------------------------------------------------------------------------------------------------
# Degradation and the bicubic baseline (uint8 in, uint8 out)
# --------------------------------------------------------------------------------------------------------------
DEGRADATIONS = ("book", "bicubic")


def make_pair(image: np.ndarray, lr_size: int, scale: int = 4,
              degradation: str = "book") -> tuple[np.ndarray, np.ndarray]:
    """A (low, high) uint8 pair from one RGB source image.

    ``"book"``: ``cv2.resize(image, lr_size)`` and ``cv2.resize(image, lr_size * scale)``, both bilinear (OpenCV's
    default, no anti-aliasing): two independent samplings of the source, no blur. ``"bicubic"``: the SRGAN paper's
    (and the usual benchmarks') degradation: the high-resolution image is the source shrunk with an anti-aliased
    bicubic filter (Pillow's, like MATLAB's ``imresize``), and the low-resolution image is *that* image shrunk the
    same way, so the input is a blurred, subsampled copy of the target."""
    image = np.ascontiguousarray(image)
    hr_size = lr_size * scale
    if degradation == "book":
        import cv2

        return cv2.resize(image, (lr_size, lr_size)), cv2.resize(image, (hr_size, hr_size))
    if degradation == "bicubic":
        bicubic = Image.Resampling.BICUBIC
        high = Image.fromarray(image).resize((hr_size, hr_size), bicubic)
        return np.asarray(high.resize((lr_size, lr_size), bicubic)), np.asarray(high)
    raise ValueError(f"degradation must be one of {DEGRADATIONS}, not {degradation!r}")


def bicubic_upscale(images: np.ndarray, scale: int = 4) -> np.ndarray:
    """``cv2.resize(..., INTER_CUBIC)`` of every uint8 (N, h, w, 3) image to (h*scale, w*scale): the baseline."""
    import cv2

    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(f"bicubic_upscale takes uint8 images, got {images.dtype}")
    n, h, w = images.shape[:3]
    out = np.empty((n, h * scale, w * scale, images.shape[3]), dtype="uint8")
    for i, image in enumerate(images):
        out[i] = cv2.resize(np.ascontiguousarray(image), (w * scale, h * scale), interpolation=cv2.INTER_CUBIC)
    return out


def from_tanh(images) -> np.ndarray:
    """[-1, 1] -> uint8, rounded and clipped (what a saved image would hold)."""
    return np.round(np.clip((np.asarray(images, dtype="float64") + 1.0) * 127.5, 0, 255)).astype("uint8")


# --------------------------------------------------------------------------------------------------------------
# Data: a real face folder, or crops of the photo pool with whole photos held out
# --------------------------------------------------------------------------------------------------------------
TEST_PHOTOS = ("chelsea", "coffee")  # never cropped for training


@dataclass(kw_only=True)
class SRData(ImageSplit):
    """uint8 (N, s, s, 3) low-resolution and (N, 4s, 4s, 3) high-resolution train and test pairs (row i of the
    low- and high-resolution arrays is one image), and on the stand-in the photos each side was cropped from."""

    train_lr: np.ndarray
    train_hr: np.ndarray
    test_lr: np.ndarray
    test_hr: np.ndarray
    train_photos: tuple[str, ...] = ()
    test_photos: tuple[str, ...] = ()


def native_crops(pool: dict[str, np.ndarray], count: int, seed: int, min_side: int,
                 fractions: tuple[float, float] = (0.3, 0.8)) -> tuple[list[np.ndarray], list[str]]:
    """``count`` square crops at the photos' own resolution (side a random fraction of the shorter edge, at least
    ``min_side`` pixels: the book's "good quality" filter), mirrored half the time; photos taken in turn."""
    return standins.square_crops(pool, count, seed, fractions, min_side=min_side)


def _pairs(images, lr_size: int, scale: int, degradation: str = "book") -> tuple[np.ndarray, np.ndarray]:
    pairs = [make_pair(image, lr_size, scale, degradation) for image in images]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def photo_pool_pairs(train_count: int, test_count: int, lr_size: int = 32, scale: int = 4, seed: int = 0,
                     test_photos: tuple[str, ...] = TEST_PHOTOS, degradation: str = "book") -> SRData:
    """The offline stand-in: native-resolution crops of the real photos on this machine, each made into a pair
    with :func:`make_pair` (``degradation``); training crops from every photo except ``test_photos``, test crops
    only from those."""

    train_pool, test_pool = standins.split_photo_pool(test_photos)
    hr_size = lr_size * scale
    train, _ = native_crops(train_pool, train_count, seed, hr_size)
    test, _ = native_crops(test_pool, test_count, seed + 1, hr_size)
    train_lr, train_hr = _pairs(train, lr_size, scale, degradation)
    test_lr, test_hr = _pairs(test, lr_size, scale, degradation)
    how = ("bilinear resize to both sizes, the book's" if degradation == "book" else
           f"anti-aliased bicubic shrink to {hr_size}, then of that to {lr_size}, the paper's")
    source = (f"STAND-IN for the book's FaceScrub faces: {train_count} crops for training, {test_count} crops of "
              f"held-out photos for testing; {standins.describe_split(train_pool, test_pool)} (crop side >= "
              f"{hr_size} px; {how}). FaceScrub and CelebA are not reachable offline.")
    return SRData(train_lr=train_lr, train_hr=train_hr, test_lr=test_lr, test_hr=test_hr, source=source, standin=True,
                  train_photos=tuple(sorted(train_pool)), test_photos=tuple(sorted(test_pool)))


CELEBA_SHORT_SIDE = 178  # CelebA's aligned crops are 178 wide, 218 high


def facescrub_files(root: str | Path | None = None) -> list[Path]:
    """The book's FaceScrub layout, ``<root>/*_faces/*/*.jpeg`` (actor_faces / actress_faces), sorted; default
    root ``data/facescrub``. Empty if absent."""

    root = Path(root) if root is not None else paths.data_dir() / "facescrub"
    return sorted(root.glob("*_faces/*/*.jpeg")) if root.is_dir() else []


def folder_pairs(files, train_count: int, test_count: int, lr_size: int = 32, scale: int = 4,
                 min_side: int | None = None, degradation: str = "book") -> SRData:
    """A real image folder as the book splits it: the first files (in sorted order) for training, the next
    ``test_count`` for testing, keeping only images whose shorter side is at least ``min_side`` (default the
    high-resolution size; the book kept FaceScrub images of height >= 256), each made into a pair with
    :func:`make_pair` (bilinear, no blur)."""
    import cv2

    min_side = lr_size * scale if min_side is None else min_side
    kept, skipped = [], 0
    for path in files:
        if len(kept) >= train_count + test_count:
            break
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None or min(image.shape[:2]) < min_side:
            skipped += 1
            continue
        kept.append(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    if len(kept) < train_count + test_count:
        raise ValueError(f"only {len(kept)} images of at least {min_side} px ({skipped} skipped); "
                         f"{train_count + test_count} needed")
    train_lr, train_hr = _pairs(kept[:train_count], lr_size, scale, degradation)
    test_lr, test_hr = _pairs(kept[train_count:], lr_size, scale, degradation)
    return SRData(train_lr=train_lr, train_hr=train_hr, test_lr=test_lr, test_hr=test_hr,
                  source=f"{train_count} training and {test_count} test images (shorter side >= {min_side} px; "
                         f"{skipped} smaller or unreadable files skipped)", standin=False)


def resolve_sr_data(train_count: int, test_count: int, lr_size: int = 32, scale: int = 4, seed: int = 0,
                    test_photos: tuple[str, ...] = TEST_PHOTOS, degradation: str = "book") -> SRData:
    """The book's FaceScrub in ``data/facescrub`` if present, else CelebA in ``data/celeba`` (the documented
    public substitute), else the photo-pool stand-in."""

    files = facescrub_files()
    name = "FaceScrub (data/facescrub)"
    if not files:
        try:
            faces = resolve_faces("celeba", allow_standin=False)
            files, name = faces.files, faces.source
        except FileNotFoundError:
            files = []
    if files:
        hr_size = lr_size * scale
        min_side = hr_size
        note = ""
        if name != "FaceScrub (data/facescrub)" and hr_size > CELEBA_SHORT_SIDE:
            # CelebA's aligned crops are 178x218: the book's "at least the HR size" filter would drop every one
            min_side = CELEBA_SHORT_SIDE
            note = (f"; CelebA's faces are 178x218, below the {hr_size}-px high-resolution size, so the filter keeps "
                    f">= {CELEBA_SHORT_SIDE} px and the {hr_size}x{hr_size} targets are upsampled from them (finer "
                    f"detail than the source is not real)")
        data = folder_pairs(files, train_count, test_count, lr_size, scale, min_side=min_side,
                            degradation=degradation)
        data.source = f"real faces, {name}: {data.source}{note}"
        return data
    return photo_pool_pairs(train_count, test_count, lr_size, scale, seed, test_photos, degradation)


def step_indexed_pairs(low: np.ndarray, high: np.ndarray, batch_size: int, seed: int, start_step: int,
                       num_steps: int):
    """``(low, high)`` batches in [-1, 1], drawn with replacement; batch ``s`` depends only on (seed, s), so a
    resumed run sees the batches of an uninterrupted one (the paired form of ``step_indexed_dataset``)."""
    import tensorflow as tf

    if len(low) != len(high):
        raise ValueError(f"{len(low)} low- and {len(high)} high-resolution images")
    low_table, high_table, n = tf.constant(low), tf.constant(high), len(low)

    def batch_for_step(step):
        idx = tf.random.stateless_uniform([batch_size], seed=tf.stack([tf.constant(seed, tf.int64), step]),
                                          minval=0, maxval=n, dtype=tf.int64, alg="philox")
        return (to_tanh_range(tf.gather(low_table, idx), centred=False),
                to_tanh_range(tf.gather(high_table, idx), centred=False))

    steps = tf.data.Dataset.range(start_step, start_step + num_steps)
    return steps.map(batch_for_step, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
