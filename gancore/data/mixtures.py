"""2-D Gaussian mixtures for the mode-collapse benchmark (VEEGAN / PacGAN protocol).

``ring()``: 8 Gaussians on the unit circle at angles 2*pi*k/8 (k = 0..7), sigma 0.01. A popular
demo uses ``linspace(0, 2*pi, 8)``, whose first and last angles coincide, so it has only 7 distinct
modes; ``ring`` builds 8 distinct ones. ``grid()``: 25 Gaussians at {-4,-2,0,2,4}^2, sigma 0.05.
Samples are a pure function of (seed, step), so ``mixture_dataset`` works with ``fit_steps`` and resumes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GaussianMixture:
    """Equal-weight isotropic Gaussians: ``centres`` (K, 2) and one standard deviation ``sigma``."""

    name: str
    centres: np.ndarray
    sigma: float

    @property
    def num_modes(self) -> int:
        return len(self.centres)

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` points (float32) with a NumPy generator seeded by ``seed``; modes chosen uniformly."""
        rng = np.random.default_rng(seed)
        modes = rng.integers(0, self.num_modes, size=n)
        return (self.centres[modes] + self.sigma * rng.normal(size=(n, 2))).astype("float32")


def ring(num_modes: int = 8, radius: float = 1.0, sigma: float = 0.01) -> GaussianMixture:
    """``num_modes`` distinct centres at angles 2*pi*k/num_modes on a circle of ``radius``."""
    angles = 2 * np.pi * np.arange(num_modes) / num_modes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return GaussianMixture(f"ring{num_modes}", centres.astype("float32"), float(sigma))


def grid(side: int = 5, spacing: float = 2.0, sigma: float = 0.05) -> GaussianMixture:
    """``side`` x ``side`` centres spaced ``spacing`` apart and centred on 0 ({-4,...,4}^2 by default)."""
    coords = (np.arange(side) - (side - 1) / 2) * spacing
    xx, yy = np.meshgrid(coords, coords, indexing="ij")
    centres = np.stack([xx.ravel(), yy.ravel()], axis=1)
    return GaussianMixture(f"grid{side * side}", centres.astype("float32"), float(sigma))


MIXTURES = {"ring": ring, "grid": grid}


def get_mixture(name: str) -> GaussianMixture:
    try:
        return MIXTURES[name]()
    except KeyError:
        raise ValueError(f"Unknown mixture {name!r}; choose one of {', '.join(MIXTURES)}") from None


def mixture_batch(mixture: GaussianMixture, batch_size: int, seed: int, step):
    """One batch (float32 tensor) that depends only on (seed, step): stateless Philox draws."""
    import tensorflow as tf

    key = tf.stack([tf.constant(seed, tf.int64), tf.cast(step, tf.int64)])
    modes = tf.random.stateless_uniform([batch_size], seed=key, minval=0, maxval=mixture.num_modes,
                                        dtype=tf.int64, alg="philox")
    noise = tf.random.stateless_normal([batch_size, 2], seed=key + tf.constant([0, 1 << 40], tf.int64), alg="philox")
    return tf.gather(tf.constant(mixture.centres), modes) + mixture.sigma * noise


def mixture_dataset(mixture: GaussianMixture, batch_size: int, seed: int, start_step: int, num_steps: int):
    """``tf.data`` batches for steps ``start_step .. start_step + num_steps - 1`` (a ``fit_steps`` factory)."""
    import tensorflow as tf

    steps = tf.data.Dataset.range(start_step, start_step + num_steps)
    return steps.map(lambda s: mixture_batch(mixture, batch_size, seed, s),
                     num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
