"""Seed S4 (a GAN course assignment) on top of :class:`gancore.training.gan.GAN`.

The assignment writes three ``keras.Model`` classes with one constructor
``(generator, discriminator, latent_generator, real_examples, batch_size=200, disc_iter=2, learning_rate=0.005)``.
They differ only in the loss, one weight operation and Adam's beta_1, so here they are three option sets
of the course's single GAN class (:data:`SEED_MODELS`, :func:`build_seed_gan`):

| assignment class | GAN options | Adam |
|---|---|---|
| ``Simple_GAN`` | ``loss="least_squares_pm1"`` (D: targets +1 real / -1 fake, G: +1) | lr, beta_1 0.5, beta_2 0.9 |
| ``WGAN_clip``  | ``loss="wasserstein", clip_value=1.0`` (D weights clipped to [-1, 1]) | lr, 0.5, 0.9 |
| ``WGAN_GP``    | ``loss="wasserstein", gradient_penalty_weight=10.0`` | lr, 0.3, 0.9 |

all with ``d_steps=disc_iter`` (2), ``fresh_real_per_d_step=True`` (the assignment draws a new real sample
for every discriminator update) and the batch size set by the data pipeline (200).

Also here: the assignment's synthetic targets (:func:`corner_cloud`, :func:`circle_example`), its two
quality indicators for the cloud (:func:`cloud_indicators`: mean squared distance to the centre and squared
distance of the sample mean to the centre), the Frechet distance to the known target Gaussian, and a
sliced Wasserstein distance between two point sets.
"""

from __future__ import annotations

import numpy as np

from gancore.latent_priors import sample_latent
from gancore.metrics import feature_statistics, frechet_distance
from gancore.training.gan import GAN

SEED_MODELS = {
    "simple_gan": {"loss": "least_squares_pm1", "options": {}, "beta_1": 0.5},
    "wgan_clip": {"loss": "wasserstein", "options": {"clip_value": 1.0}, "beta_1": 0.5},
    "wgan_gp": {"loss": "wasserstein", "options": {"gradient_penalty_weight": 10.0}, "beta_1": 0.3},
}
SEED_CLASS_NAMES = {"simple_gan": "Simple_GAN", "wgan_clip": "WGAN_clip", "wgan_gp": "WGAN_GP"}
SEED_BETA_2 = 0.9
SEED_LEARNING_RATE = 0.005
SEED_DISC_ITER = 2
SEED_BATCH = 200
GP_LAMBDA = 10.0


def build_seed_gan(kind: str, generator, discriminator, latent_dim: int, latent: str = "normal",
                   learning_rate: float = SEED_LEARNING_RATE, disc_iter: int = SEED_DISC_ITER, seed: int = 0,
                   steps_per_execution: int = 1, jit_compile: bool | str = "auto", **overrides):
    """A compiled :class:`GAN` configured as the assignment's ``Simple_GAN``, ``WGAN_clip`` or ``WGAN_GP``.

    Two Adam optimizers (one per network) with the class's betas. ``overrides`` replace GAN options
    (for example ``clip_value=0.01`` for the WGAN paper's clipping).
    """
    import keras


    if kind not in SEED_MODELS:
        raise ValueError(f"Unknown model {kind!r}; choose one of {', '.join(SEED_MODELS)}")
    spec = SEED_MODELS[kind]
    options = {**spec["options"], **overrides}
    gan = GAN(generator, discriminator, latent_dim=latent_dim, loss=spec["loss"], d_steps=disc_iter,
              fresh_real_per_d_step=disc_iter > 1, latent=latent, seed=seed, **options)

    def adam():
        return keras.optimizers.Adam(learning_rate, beta_1=spec["beta_1"], beta_2=SEED_BETA_2)

    gan.compile(d_optimizer=adam(), g_optimizer=adam(), steps_per_execution=steps_per_execution,
                jit_compile=jit_compile)
    return gan


def corner_cloud(n: int, dim: int, sigma: float = 0.05, centre: float = 0.8, seed: int = 0) -> np.ndarray:
    """The assignment's "cloud in the corner": ``n`` draws of N(centre * 1, sigma^2 I) in ``dim`` dimensions."""
    rng = np.random.default_rng(seed)
    return (centre + sigma * rng.standard_normal((n, dim))).astype("float32")


def circle_example(n: int, seed: int = 0, radius: float = 0.3, centre: float = 0.5) -> np.ndarray:
    """The assignment's 2-D toy target: points uniform on a circle of ``radius`` around (centre, centre)."""
    return (centre + radius * sample_latent("spheric", n, 2, seed)).astype("float32")


def cloud_indicators(samples: np.ndarray, sigma: float = 0.05, centre: float = 0.8) -> dict[str, float]:
    """How well samples match N(centre * 1, sigma^2 I) in d dimensions.

    - ``msd``: mean over samples of |x - c|^2 (expected d sigma^2 for the target: ``msd_expected``);
    - ``dbc``: |mean(x) - c|^2 (expected d sigma^2 / S for S target samples: ``dbc_expected``);
    - ``std_ratio``: mean per-coordinate standard deviation / sigma (1 for the target, 0 for a collapse);
    - ``fd``: Frechet distance between the Gaussian fitted to the samples and the target Gaussian itself.
    """

    x = np.asarray(samples, "float64")
    s, d = x.shape
    mu, cov = feature_statistics(x)
    return {
        "msd": float(np.mean(np.sum((x - centre) ** 2, axis=1))),
        "msd_expected": float(d * sigma**2),
        "dbc": float(np.sum((mu - centre) ** 2)),
        "dbc_expected": float(d * sigma**2 / s),
        "std_ratio": float(np.mean(x.std(axis=0)) / sigma),
        "fd": frechet_distance(mu, cov, np.full(d, centre), sigma**2 * np.eye(d)),
    }


def sliced_wasserstein(x: np.ndarray, y: np.ndarray, projections: int = 256, seed: int = 0) -> float:
    """Sliced 1-Wasserstein distance between two equal-size point sets (N, d).

    Average over ``projections`` random unit directions of the 1-D W1 distance between the projected
    sets, computed exactly by sorting (the mean absolute difference of matched order statistics).
    """
    x, y = np.asarray(x, "float64"), np.asarray(y, "float64")
    if x.shape != y.shape:
        raise ValueError(f"Need two sets of the same shape, got {x.shape} and {y.shape}")
    directions = np.random.default_rng(seed).standard_normal((x.shape[1], projections))
    directions /= np.linalg.norm(directions, axis=0, keepdims=True)
    px, py = np.sort(x @ directions, axis=0), np.sort(y @ directions, axis=0)
    return float(np.mean(np.abs(px - py)))
