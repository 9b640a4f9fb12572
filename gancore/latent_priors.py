"""Latent distributions a generator can be fed: normal, uniform or spheric (seed S4's three latent types).

Each is a fixed transform of a standard normal draw, so :class:`gancore.training.gan.GAN` keeps its
stateless per-step noise (a pure function of seed and step) and only reshapes it:

- ``normal``: N(0, I), the draw itself (the default: unchanged, bit for bit);
- ``uniform``: U(0, 1) in every coordinate (the assignment's ``tf.random.uniform``, not U(-1, 1)), by the
  probability integral transform Phi(z) = (1 + erf(z / sqrt 2)) / 2;
- ``spheric``: z / sqrt(|z|^2 + 1e-8), a point on the unit sphere S^(d-1), uniform in direction (the
  assignment's ``spheric_generator``; the 1e-8 is its guard against a zero vector). In one dimension the
  "sphere" is the two points -1 and +1: a 1-D spheric latent can only make two distinct samples.

``to_latent`` works on TensorFlow tensors (inside ``train_step``), ``to_latent_numpy`` on arrays, and
``sample_latent`` draws NumPy latents for evaluation from the same definitions.
"""

from __future__ import annotations

import math

import numpy as np

LATENT_TYPES = ("normal", "uniform", "spheric")
SPHERE_EPS = 1e-8


def check_latent(kind: str) -> str:
    if kind not in LATENT_TYPES:
        raise ValueError(f"Unknown latent type {kind!r}; choose one of {', '.join(LATENT_TYPES)}")
    return kind


def to_latent(z, kind: str):
    """Map standard normal draws ``z`` (batch, d) to the chosen latent distribution (TensorFlow ops)."""
    import tensorflow as tf

    check_latent(kind)
    if kind == "normal":
        return z
    if kind == "uniform":
        return 0.5 * (1.0 + tf.math.erf(z / math.sqrt(2.0)))
    return z / tf.sqrt(tf.reduce_sum(tf.square(z), axis=-1, keepdims=True) + SPHERE_EPS)


def to_latent_numpy(z: np.ndarray, kind: str) -> np.ndarray:
    """The same maps as :func:`to_latent` on NumPy arrays (float32 out)."""
    from scipy.special import erf

    check_latent(kind)
    z = np.asarray(z, "float64")
    if kind == "uniform":
        z = 0.5 * (1.0 + erf(z / math.sqrt(2.0)))
    elif kind == "spheric":
        z = z / np.sqrt(np.sum(z**2, axis=-1, keepdims=True) + SPHERE_EPS)
    return z.astype("float32")


def sample_latent(kind: str, n: int, dim: int, seed: int = 0) -> np.ndarray:
    """``n`` latents of dimension ``dim`` (float32) from a NumPy generator seeded by ``seed``."""
    z = np.random.default_rng(seed).standard_normal((n, dim))
    return to_latent_numpy(z, kind)
