"""Inpainting a square hole: masking and pasting, hole metrics, classical baselines, and the offline data split.

Conventions:

- images are (N, H, W, C); the networks work in [-1, 1] (the book's ``(x - 127.5) / 127.5``), the metrics in
  **[0, 1]** (``to_unit_range(x, (-1, 1), dtype="float64")`` of :mod:`gancore.data.images`, clipped): an L1 of
  0.1 is a mean error of 25.5 grey levels, and PSNR uses a peak of 1;
- the hole is ``hole`` x ``hole`` pixels with its top-left corner at ``(top, left)``; "centre" means
  ``top = left = (H - hole) // 2`` (24 for the book's 16-pixel hole in a 64x64 image). Inside the hole the
  masked image holds ``fill`` (0 in [-1, 1]: mid-grey, as in the book); there is no mask channel;
- the masking, cropping and pasting helpers are TensorFlow ops (they accept numpy arrays too) and are exact:
  they select pixels, they never blend them;
- the metrics and baselines are numpy/OpenCV and score only the hole: pixels outside it are copied from the
  original by every method, so counting them would only dilute the differences.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from gancore import metrics
from gancore.data import standins
from gancore.data.faces import load_images
from gancore.data.holes import centre_offset, hole_mask
from gancore.data.splits import OneDomainSplit
from gancore.models.layers import zero_layer


def harmonic_fill(masked, hole: int, iterations: int = 64) -> tf.Tensor:
    """The smoothest fill of a centred ``hole`` from the pixels around it: Jacobi iterations of Laplace's
    equation (every hole pixel becomes the mean of its four neighbours; the known pixels stay fixed), started
    from the mean of the one-pixel ring around the hole. Returns the [N, hole, hole, C] patch. A classical
    baseline of the same family as Telea's fast marching; no weights, differentiable, runs inside a model."""
    masked = tf.convert_to_tensor(masked)
    top = centre_offset(int(masked.shape[1]), hole)
    window = masked[:, top - 1 : top + hole + 1, top - 1 : top + hole + 1, :]  # the hole and its 1-pixel ring
    inside = tf.pad(tf.ones((1, hole, hole, 1), bool), [[0, 0], [1, 1], [1, 1], [0, 0]])
    ring = tf.logical_not(inside)
    ring_mean = tf.reduce_sum(tf.where(ring, window, 0.0), axis=[1, 2], keepdims=True) / tf.cast(
        4 * hole + 4, window.dtype)
    x = tf.where(inside, ring_mean, window)
    for _ in range(iterations):
        padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="SYMMETRIC")
        neighbours = (padded[:, :-2, 1:-1] + padded[:, 2:, 1:-1] + padded[:, 1:-1, :-2] + padded[:, 1:-1, 2:]) / 4
        x = tf.where(inside, neighbours, window)
    return x[:, 1:-1, 1:-1, :]


class HarmonicFill(keras.layers.Layer):
    """:func:`harmonic_fill` as a layer: masked image -> the centred hole's smooth fill."""

    def __init__(self, hole: int, iterations: int = 64, **kwargs):
        super().__init__(**kwargs)
        self.hole, self.iterations = hole, iterations

    def call(self, masked):
        return harmonic_fill(masked, self.hole, self.iterations)

    def get_config(self):
        return {**super().get_config(), "hole": self.hole, "iterations": self.iterations}


def with_smooth_fill(generator: keras.Model, hole: int, iterations: int = 64) -> keras.Model:
    """The working variant: the patch is ``harmonic_fill(masked) + generator(masked)``, so the network only
    adds what a smooth fill misses (texture, edges). The generator's last convolution ("patch") starts at zero,
    so training starts exactly at the smooth fill; no weights are added. Centred holes only."""

    zero_layer(generator, "patch")
    masked = keras.Input(generator.input.shape[1:], name="masked_image")
    base = HarmonicFill(hole, iterations, name="smooth_fill")(masked)
    patch = keras.layers.Add(name="smooth_fill_plus_detail")([base, generator(masked)])
    return keras.Model(masked, patch, name=f"{generator.name}_smooth_fill")


# --------------------------------------------------------------------------------------------------------------
# Metrics on the hole, in [0, 1]
# --------------------------------------------------------------------------------------------------------------
def _hole_pixels(images, hole: int, top: int | None = None, left: int | None = None) -> np.ndarray:
    images = np.asarray(images, dtype="float64")
    if images.shape[1] == hole and images.shape[2] == hole:  # already the hole's content
        return images
    t = centre_offset(images.shape[1], hole) if top is None else top
    l_ = centre_offset(images.shape[2], hole) if left is None else left
    return images[:, t : t + hole, l_ : l_ + hole]


def hole_l1(predicted, target, hole: int = 16) -> np.ndarray:
    """Per-image mean absolute error over the hole's pixels and channels, inputs in [0, 1] (whole images with a
    centred hole, or the hole patches themselves)."""
    return metrics.mean_absolute_error(_hole_pixels(predicted, hole), _hole_pixels(target, hole))


def hole_mse(predicted, target, hole: int = 16) -> np.ndarray:
    """Per-image mean squared error over the hole, inputs in [0, 1]."""
    return metrics.mean_squared_error(_hole_pixels(predicted, hole), _hole_pixels(target, hole))


def hole_psnr(predicted, target, hole: int = 16) -> np.ndarray:
    """Per-image PSNR of the hole in dB, inputs in [0, 1] (peak 1; an exact fill gives 100 dB). Average these over
    images for a data set (the mean of per-image PSNRs, the usual convention in inpainting papers)."""
    return metrics.psnr(_hole_pixels(predicted, hole), _hole_pixels(target, hole))


def hole_scores(predicted, target, hole: int = 16) -> dict[str, float]:
    """Mean per-image L1 and PSNR of the hole (inputs in [0, 1]), their spread, and ``psnr_pooled``: the PSNR of
    the MSE pooled over all images. The pooled figure follows what a squared-error loss optimises (hard, textured
    images dominate it); the mean of per-image PSNRs weighs every image alike and rewards near-exact fills of
    easy, smooth holes."""
    l1, mse = hole_l1(predicted, target, hole), hole_mse(predicted, target, hole)
    psnr = metrics.psnr_from_mse(mse)
    pooled = metrics.psnr_from_mse(mse.mean())
    return {"l1": float(l1.mean()), "psnr": float(psnr.mean()), "psnr_pooled": float(pooled),
            "l1_std": float(l1.std()), "psnr_std": float(psnr.std()), "images": int(len(l1))}


# --------------------------------------------------------------------------------------------------------------
# Baselines: OpenCV's classical inpainting and a mean-colour fill (uint8 RGB in, uint8 RGB out)
# --------------------------------------------------------------------------------------------------------------
def _uint8(images) -> np.ndarray:
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(f"baselines take uint8 images, got {images.dtype}")
    return images


def opencv_inpaint(images, hole: int = 16, method: str = "telea", radius: float = 3.0) -> np.ndarray:
    """``cv2.inpaint`` of the centred hole in every image: ``method`` "telea" (fast marching, Telea 2004) or
    "ns" (Navier-Stokes, Bertalmio et al. 2001), neighbourhood ``radius`` in pixels (3, as OpenCV's example).
    The hole's original content is never read: OpenCV fills every pixel under the mask."""
    import cv2

    flags = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}[method]
    images = _uint8(images)
    mask = np.asarray(hole_mask(np.zeros((1, *images.shape[1:3], 1), "float32"), hole)[0, ..., 0], "uint8")
    out = np.empty_like(images)
    for i, image in enumerate(images):
        out[i] = cv2.inpaint(np.ascontiguousarray(image), mask, radius, flags)
    return out


def mean_fill(images, hole: int = 16, border: int | None = 4) -> np.ndarray:
    """Fill the centred hole with the mean colour of the known pixels: those in a ``border``-pixel ring around
    the hole, or (``border=None``) all pixels outside it. Rounded to uint8."""
    images = _uint8(images)
    n, h, w, c = images.shape
    inside = np.asarray(hole_mask(np.zeros((1, h, w, 1), "float32"), hole)[0, ..., 0])
    if border is None:
        known = ~inside
    else:
        t = centre_offset(h, hole)
        ring = np.zeros((h, w), bool)
        ring[max(t - border, 0) : t + hole + border, max(t - border, 0) : t + hole + border] = True
        known = ring & ~inside
    means = images[:, known].astype("float64").mean(axis=1)  # [N, C]
    out = images.copy()
    out[:, inside] = np.round(means)[:, None, :].astype("uint8")
    return out


# --------------------------------------------------------------------------------------------------------------
# Data: 64x64 crops of the photo pool, whole photos held out for testing
# --------------------------------------------------------------------------------------------------------------
TEST_PHOTOS = ("chelsea", "coffee")  # never cropped for training


def photo_crop_split(train_count: int, test_count: int, size: int = 64, seed: int = 0,
                     test_photos: tuple[str, ...] = TEST_PHOTOS) -> OneDomainSplit:
    """Square crops (+ mirror) of the bundled photo pool: training crops from every photo except ``test_photos``,
    test crops only from ``test_photos``, so the test images come from photos the network never saw."""

    train_pool, test_pool = standins.split_photo_pool(test_photos)
    train, _ = standins.random_crops(train_pool, train_count, size, seed)
    test, _ = standins.random_crops(test_pool, test_count, size, seed + 1)
    source = (f"STAND-IN for the book's anime faces: {train_count} crops for training, {test_count} for testing; "
              f"{standins.describe_split(train_pool, test_pool)}. The anime faces are not reachable offline.")
    return OneDomainSplit(train=train, test=test, source=source, standin=True, train_photos=tuple(sorted(train_pool)),
                          test_photos=tuple(sorted(test_pool)))


def split_image_files(files, test_count: int, size: int = 64, seed: int = 0) -> OneDomainSplit:
    """A real image folder (e.g. the anime faces): a seeded random ``test_count`` files held out, the rest for
    training, read and resized like the book (OpenCV, bilinear)."""

    files = sorted(files)
    order = np.random.default_rng(seed).permutation(len(files))
    test_files = [files[i] for i in order[:test_count]]
    train_files = [files[i] for i in order[test_count:]]
    return OneDomainSplit(train=load_images(train_files, size), test=load_images(test_files, size),
                          source=f"{len(train_files)} training and {len(test_files)} held-out images", standin=False)
