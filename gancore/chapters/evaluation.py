"""Evaluating generators (Skill 10): saved generators from the chapters, FD/KID against sample size,
nearest-neighbour memorisation checks, degraded real sets as metric sanity checks, and Inception features
when the ImageNet weights are on disk.

Distances and features are plain numpy so they work for any feature extractor (the domain classifiers of
:mod:`gancore.models.classifiers`, Inception, or raw pixels).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gancore import metrics, paths
from gancore.models import pretrained
from gancore.models.pretrained import keras_cache_dir

GENERATOR_FILE = "generator.keras"
GENERATOR_RECORD = "generator.json"
INCEPTION_NOTOP_FILE = pretrained.IMAGENET_NOTOP["inception_v3"][0]


# --- generators saved by the chapters ---

@dataclass
class SavedGenerator:
    """A chapter's trained generator and what is needed to sample it."""

    chapter: str
    model: object  # keras.Model
    domain: str
    value_range: tuple[float, float]
    latent_dim: int
    label: str
    steps: int
    profile: str

    def sample(self, count: int, seed: int = 0, batch_size: int = 500) -> np.ndarray:
        """``count`` images in ``value_range`` from seeded standard-normal codes."""
        z = np.random.default_rng(seed).normal(size=(count, self.latent_dim)).astype("float32")
        batches = [np.asarray(self.model(z[s:s + batch_size], training=False)) for s in range(0, count, batch_size)]
        return np.concatenate(batches) if batches else np.zeros((0, *self.model.output_shape[1:]), "float32")


def save_generator(generator, folder: str | Path, *, domain: str, value_range: tuple[float, float], label: str,
                   steps: int, profile: str) -> Path:
    """Save ``generator.keras`` and a ``generator.json`` record (domain, value range, latent size, label, training
    steps, profile) into a chapter's output folder, for the evaluation chapter to load. Returns the record's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    latent_dim = int(generator.input_shape[-1])
    generator.save(folder / GENERATOR_FILE)
    record = {"domain": domain, "value_range": [float(v) for v in value_range], "latent_dim": latent_dim,
              "label": label, "steps": int(steps), "profile": profile}
    path = folder / GENERATOR_RECORD
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=2))
    os.replace(tmp, path)
    return path


def load_saved_generator(chapter: str, outputs: str | Path | None = None) -> SavedGenerator | None:
    """The generator a chapter saved with :func:`save_generator`, or None if that chapter has not been run."""
    import keras

    folder = Path(outputs) / chapter if outputs is not None else paths.outputs_dir(chapter)
    model_path, record_path = folder / GENERATOR_FILE, folder / GENERATOR_RECORD
    if not (model_path.is_file() and record_path.is_file()):
        return None
    record = json.loads(record_path.read_text())
    model = keras.models.load_model(model_path, compile=False)
    return SavedGenerator(chapter, model, record["domain"], tuple(record["value_range"]), int(record["latent_dim"]),
                          record["label"], int(record["steps"]), record.get("profile", "unknown"))


# --- how the scores depend on the sample size ---

def scores_by_sample_size(features: np.ndarray, reference: np.ndarray, sizes, repeats: int = 3,
                          seed: int = 0) -> list[dict]:
    """FD and KID of ``size`` rows drawn (without replacement) from ``features`` against the whole
    ``reference``, for each size: mean and std over ``repeats`` draws.

    FD is biased upwards at small sizes (the covariance of a small sample is noisy and the trace term
    grows), KID is unbiased: this table shows both."""
    features, reference = np.asarray(features, "float64"), np.asarray(reference, "float64")
    ref_stats = metrics.feature_statistics(reference)
    rng = np.random.default_rng(seed)
    rows = []
    for size in sizes:
        if size > len(features):
            raise ValueError(f"sample size {size} is larger than the {len(features)} feature rows given")
        fds, kids = [], []
        for _ in range(repeats):
            chosen = features[rng.choice(len(features), size, replace=False)]
            fds.append(metrics.frechet_distance(*metrics.feature_statistics(chosen), *ref_stats))
            kids.append(metrics.kernel_distance(chosen, reference, num_subsets=5, subset_size=size,
                                                seed=int(rng.integers(1 << 31)))[0])
        rows.append({"n": int(size), "fd_mean": float(np.mean(fds)), "fd_std": float(np.std(fds)),
                     "kid_mean": float(np.mean(kids)), "kid_std": float(np.std(kids))})
    return rows


# --- nearest neighbours: memorised training images ---

def nearest_neighbours(queries: np.ndarray, references: np.ndarray, chunk: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Index of and Euclidean distance to the nearest reference row, for each query row (rows flattened)."""
    q = np.asarray(queries, "float64").reshape(len(queries), -1)
    r = np.asarray(references, "float64").reshape(len(references), -1)
    if q.shape[1] != r.shape[1]:
        raise ValueError(f"queries have {q.shape[1]} values per row, references {r.shape[1]}")
    r_sq = (r**2).sum(1)
    index = np.empty(len(q), "int64")
    distance = np.empty(len(q), "float64")
    for start in range(0, len(q), chunk):
        block = q[start:start + chunk]
        d2 = (block**2).sum(1)[:, None] + r_sq[None, :] - 2.0 * block @ r.T
        best = d2.argmin(1)
        index[start:start + chunk] = best
        distance[start:start + chunk] = np.sqrt(np.maximum(d2[np.arange(len(block)), best], 0.0))
    return index, distance


def memorisation_report(generated: np.ndarray, train: np.ndarray, held_out: np.ndarray,
                        quantile: float = 0.01) -> dict:
    """Compare how close generated images come to the training set with how close *unseen real* images do.

    ``threshold`` is the ``quantile`` of the held-out images' nearest-training-image distances: only that share
    of real unseen images sits so close to a training image. ``share_below`` is the share of generated images
    closer than that (about ``quantile`` for a generator that does not copy; near 1 for one that does), and
    ``median_ratio`` their median distance over the held-out median (about 1, or more for a poor generator;
    near 0 for copies)."""
    _, gen_distance = nearest_neighbours(generated, train)
    _, real_distance = nearest_neighbours(held_out, train)
    threshold = float(np.quantile(real_distance, quantile))
    return {"share_below": float((gen_distance < threshold).mean()), "threshold": threshold,
            "quantile": quantile, "median_ratio": float(np.median(gen_distance) / np.median(real_distance)),
            "generated_median": float(np.median(gen_distance)), "held_out_median": float(np.median(real_distance))}


def score_sample_set(evaluator, images: np.ndarray, value_range: tuple[float, float], train_features: np.ndarray,
                     nn_queries: int, quantile: float = 0.01, drawn_share: float = 0.01) -> dict:
    """One row of the evaluation table for a set of images, from one pass of ``evaluator``'s classifier
    (a :class:`gancore.metrics.DomainEvaluator`): FD, KID, classifier score, the number of classes that get at
    least ``drawn_share`` of the samples, the largest class's share, and the feature-space memorisation check of
    the first ``nn_queries`` samples against ``train_features`` (held out: the evaluator's real test features)."""
    features, logits = evaluator.features(images, value_range)
    kid, kid_std = metrics.kernel_distance(features, evaluator.reference_features)
    shares = metrics.class_histogram(logits, logits.shape[-1]) / len(logits)
    nn = memorisation_report(features[:nn_queries], train_features, evaluator.reference_features[:nn_queries],
                             quantile=quantile)
    return {"fd": metrics.frechet_distance(*metrics.feature_statistics(features), *evaluator.reference_statistics),
            "kid": kid, "kid_std": kid_std, "classifier_score": metrics.classifier_score(logits),
            "classes_drawn": int((shares >= drawn_share).sum()), "largest_class_share": float(shares.max()),
            "memorised_share": nn["share_below"], "nn_median_ratio": nn["median_ratio"], "samples": len(features)}


# --- degraded real sets: what each score should say about known faults ---

def gaussian_blur(images: np.ndarray, sigma: float) -> np.ndarray:
    """Blur each (H, W) or (H, W, C) image with a Gaussian of ``sigma`` pixels (same range and dtype float32)."""
    from scipy.ndimage import gaussian_filter

    x = np.asarray(images, "float32")
    spatial = (0, sigma, sigma) + (0,) * (x.ndim - 3)
    return gaussian_filter(x, sigma=spatial, mode="nearest").astype("float32")


def drop_classes(images: np.ndarray, labels: np.ndarray, keep, count: int, seed: int = 0) -> np.ndarray:
    """``count`` images drawn only from the classes in ``keep`` (a mode-dropping 'generator')."""
    pool = np.flatnonzero(np.isin(labels, list(keep)))
    return np.asarray(images)[np.random.default_rng(seed).choice(pool, count, replace=count > len(pool))]


def noisy_copies(images: np.ndarray, distinct: int, count: int, noise: float, seed: int = 0,
                 value_range: tuple[float, float] = (0.0, 255.0)) -> np.ndarray:
    """``count`` images that are copies of only ``distinct`` of ``images`` plus Gaussian noise of std ``noise``
    (in the images' units), clipped to ``value_range``: a generator that memorised a small training subset."""
    rng = np.random.default_rng(seed)
    chosen = np.asarray(images, "float32")[rng.choice(len(images), distinct, replace=False)]
    copies = chosen[rng.integers(0, distinct, count)]
    return np.clip(copies + rng.normal(0.0, noise, copies.shape), *value_range).astype("float32")


# --- Inception features, only when ImageNet weights are present (they cannot be downloaded offline) ---

def inception_weights_path(download: bool = True) -> Path | None:
    """The no-top InceptionV3 ImageNet weights: on disk ($GANCORE_INCEPTION_WEIGHTS, the Keras cache) or from Keras'
    hash-checked download; None when neither works (offline)."""
    return pretrained.imagenet_weights("inception_v3", download=download)


def inception_features(images01: np.ndarray, weights: str | Path | None = "cached", batch_size: int = 50,
                       size: int = 299) -> np.ndarray:
    """2048-d pool features of InceptionV3 (the FID network) for images in [0, 1], grey or RGB.

    ``weights="cached"`` uses the ImageNet file (on disk or downloaded by Keras) and raises FileNotFoundError with
    the file name if it cannot be had; ``weights=None`` builds the same network with random weights (tests only:
    such features give a number, not an FID)."""
    import keras
    import tensorflow as tf

    if weights == "cached":
        weights = inception_weights_path()
        if weights is None:
            raise FileNotFoundError(f"No InceptionV3 weights at {keras_cache_dir() / INCEPTION_NOTOP_FILE} and no "
                                    "download possible; copy the file there or set GANCORE_INCEPTION_WEIGHTS.")
    net = keras.applications.InceptionV3(include_top=False, pooling="avg", weights=None,
                                         input_shape=(size, size, 3))
    if weights is not None:
        net.load_weights(str(weights))
    x = np.asarray(images01, "float32")
    if x.ndim == 3:
        x = x[..., None]
    out = []
    for start in range(0, len(x), batch_size):
        batch = tf.image.resize(x[start:start + batch_size], (size, size), method="bilinear")
        if batch.shape[-1] == 1:
            batch = tf.repeat(batch, 3, axis=-1)
        out.append(np.asarray(net(batch * 2.0 - 1.0, training=False)))  # InceptionV3 expects [-1, 1]
    return np.concatenate(out) if out else np.zeros((0, 2048), "float32")
