"""Seed S4's small faces: 16x16 grey faces, their centring and scaling, and the PCA face generator baseline.

The assignment trains on 10,000 16x16 grey faces (not available offline). :func:`small_faces` builds the
offline stand-in: the 100 real LFW faces shipped with scikit-image, resized from 25x25 to 16x16 (area
averaging); :func:`with_mirrors` adds their mirror images.

Scaling (:func:`centre_and_scale`): the assignment subtracts the mean face and divides by a per-pixel
``multiplier`` so that the values "spread over [-1, 1]". Its multiplier is the largest absolute value of
the *uncentred* images (``"seed"``), so the centred values do not reach +-1; the fix (``"centred"``)
takes the largest absolute value of the centred images, which does give a per-pixel range touching -1 or 1.

:class:`PCAGenerator`: the pre-GAN way of making fake faces. Fit principal components to the centred,
flattened faces, keep ``depth`` of them, draw each principal coordinate from an independent normal with
that coordinate's standard deviation, and map back to pixels. Its weakness, shown by
:func:`standardised_square_sums`: principal coordinates are uncorrelated but not independent, so the
product of independent normals is the wrong joint distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gancore.data import standins

FACE_SIZE = 16


def small_faces(size: int = FACE_SIZE) -> np.ndarray:
    """The 100 real LFW faces of ``skimage.data.lfw_subset()``, resized to size x size: (100, size, size) in [0, 1]."""

    faces = np.stack([standins.resize(face, size) for face in standins.lfw_faces()])
    return faces.astype("float32") / 255.0


def with_mirrors(images: np.ndarray) -> np.ndarray:
    """The images followed by their left-right mirror images (axis 2 reversed)."""
    images = np.asarray(images)
    return np.concatenate([images, images[:, :, ::-1]])


def split_indices(n: int, test_count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices: ``test_count`` of ``range(n)`` held out at random, both sorted."""
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[test_count:]), np.sort(order[:test_count])


@dataclass(frozen=True)
class FaceScaling:
    """``normalised = (image - mean_face) / multiplier`` and back; both arrays are per pixel."""

    mean_face: np.ndarray
    multiplier: np.ndarray
    rule: str

    def apply(self, images: np.ndarray) -> np.ndarray:
        return ((np.asarray(images, "float32") - self.mean_face) / self.multiplier).astype("float32")

    def recover(self, normalised: np.ndarray) -> np.ndarray:
        return (np.asarray(normalised, "float32") * self.multiplier + self.mean_face).astype("float32")


def centre_and_scale(images: np.ndarray, rule: str = "centred", eps: float = 1e-8) -> FaceScaling:
    """The per-pixel scaling of the assignment, fitted on ``images`` (N, H, W) in [0, 1].

    ``rule="seed"``: multiplier = max |image| over the set (the assignment's code: the uncentred images);
    ``rule="centred"``: multiplier = max |image - mean face| (the fix: the stated aim, values over [-1, 1]).
    """
    x = np.asarray(images, "float32")
    mean_face = x.mean(axis=0)
    if rule == "seed":
        multiplier = np.abs(x).max(axis=0)
    elif rule == "centred":
        multiplier = np.abs(x - mean_face).max(axis=0)
    else:
        raise ValueError(f"rule must be 'seed' or 'centred', got {rule!r}")
    return FaceScaling(mean_face, np.maximum(multiplier, eps).astype("float32"), rule)


class PCAGenerator:
    """Fake images from a Gaussian in PCA space: fit on (N, ...) images, sample, reconstruct.

    ``depth`` principal components of the centred, flattened images (via an SVD; at most N - 1 carry
    variance). ``stds`` are the standard deviations of the training images' principal coordinates
    (population, ddof 0, as the assignment's ``np.std``).
    """

    def __init__(self, images: np.ndarray, depth: int):
        x = np.asarray(images, "float64")
        self.image_shape = x.shape[1:]
        flat = x.reshape(len(x), -1)
        self.mean = flat.mean(axis=0)
        _, singular, vt = np.linalg.svd(flat - self.mean, full_matrices=False)
        self.depth = int(min(depth, len(singular)))
        self.components = vt[: self.depth]  # (depth, pixels), orthonormal rows
        self.explained_variance = singular[: self.depth] ** 2 / len(x)
        self.coords = self.encode(x)
        self.stds = self.coords.std(axis=0)

    def encode(self, images: np.ndarray) -> np.ndarray:
        """Principal coordinates (N, depth) of images."""
        flat = np.asarray(images, "float64").reshape(len(images), -1)
        return (flat - self.mean) @ self.components.T

    def decode(self, coords: np.ndarray) -> np.ndarray:
        """Images from principal coordinates: mean + coords @ components."""
        coords = np.asarray(coords, "float64")
        return (self.mean + coords @ self.components).reshape((len(coords), *self.image_shape))

    def reconstruct(self, images: np.ndarray) -> np.ndarray:
        """Projection onto the kept components and back."""
        return self.decode(self.encode(images))

    def standardised(self, images: np.ndarray) -> np.ndarray:
        """Principal coordinates of ``images`` divided by the training coordinates' standard deviations."""
        return self.encode(images) / self.stds

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` fake images: independent N(0, std_k^2) principal coordinates, decoded."""
        z = np.random.default_rng(seed).standard_normal((n, self.depth))
        return self.decode(z * self.stds)


def standardised_square_sums(coords: np.ndarray, shuffle_seed: int | None = None,
                             standardise: bool = True) -> np.ndarray:
    """Per row, the sum of squares of the coordinates, each column first centred and divided by its std.

    For k *independent* standard normal columns this follows chi-square with k degrees of freedom
    (mean k, variance 2k). With ``shuffle_seed`` each column is permuted on its own first, which keeps
    every column's distribution but destroys any dependence between columns. ``standardise=False``
    uses the coordinates as given (already scaled by some reference set's statistics).
    """
    c = np.array(coords, "float64")
    if standardise:
        c = (c - c.mean(axis=0)) / c.std(axis=0)
    if shuffle_seed is not None:
        rng = np.random.default_rng(shuffle_seed)
        c = np.stack([rng.permutation(col) for col in c.T], axis=1)
    return (c**2).sum(axis=1)


def chi_square_dispersion(sums: np.ndarray, k: int) -> float:
    """k var(S) / (2 mean(S)^2): 1 when S / mean(S) * k is chi-square with k degrees of freedom.

    Scale-free: multiplying every coordinate by the same factor leaves it unchanged, so it separates the
    *shape* of the distribution of sums of squares (dependence between coordinates, heavy tails) from a
    mere mismatch of overall scale. Independent normal coordinates give 1; 0 for a constant sum.
    """
    s = np.asarray(sums, "float64")
    return float(k * s.var() / (2.0 * s.mean() ** 2))
