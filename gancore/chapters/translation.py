"""Scoring unpaired image-to-image translation (CycleGAN, DiscoGAN) with numbers instead of eyes.

The book judges its translations by eye only. Here a small CNN learns to tell real domain-A images from real
domain-B images (:class:`DomainJudge`); a translation A -> B is then scored by

- the share of translated images the classifier calls domain B (the *verdict*), and
- the Frechet distance between the classifier's penultimate features of the translated images and of real
  held-out B images (an FID in this tiny network's feature space: comparable between runs of one chapter, not
  with published FIDs),

plus the cycle-reconstruction L1 ||G_BA(G_AB(a)) - a||. :func:`evaluate_translation` also scores the
"untranslated input" baseline (the identity map), so a reader sees how far a translation moved anything, and a
"real" reference row (held-out real target images) for what a perfect translation would reach.
"""

from __future__ import annotations

import random

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from gancore.metrics import frechet_distance_of_features


# --- seeding without touching the global random state ---------------------------------------------------------
def initialiser_seeds(seed: int, count: int) -> list[int]:
    """``count`` integer seeds for ``count`` Keras initialisers: the ones unseeded initialisers would draw, in order,
    right after ``keras.utils.set_random_seed(seed)`` (Python's ``random.randint(1, 10**9)`` each), drawn here from
    a private generator. The judges' weights are the same as when they reseeded the whole notebook."""
    rng = random.Random(seed)
    return [rng.randint(1, int(1e9)) for _ in range(count)]


def shuffled_order(n: int, seed: int) -> np.ndarray:
    """A seeded permutation of ``range(n)``: the order in which ``fit(shuffle=True)`` visits an array's rows in
    every epoch after ``keras.utils.set_random_seed(seed)`` (TensorFlow's RandomShuffle, seeds (seed, 0), with
    TensorFlow's (0, 0) -> (0, 2^31 - 1) rule), computed without a global seed."""
    seeds = (seed, 0) if seed != 0 else (0, 2**31 - 1)
    return tf.raw_ops.RandomShuffle(value=tf.range(n, dtype=tf.int64), seed=seeds[0], seed2=seeds[1]).numpy()


def fit_seeded(model: keras.Model, x: np.ndarray, y: np.ndarray, seed: int, **fit_options) -> keras.callbacks.History:
    """``model.fit(x, y)`` on the rows in a seeded random order (the same every epoch, :func:`shuffled_order`),
    with Keras' own shuffling off: the batches depend on ``seed`` only, never on the global random state."""
    order = shuffled_order(len(x), seed)
    return model.fit(x[order], y[order], shuffle=False, **fit_options)


# --- the judge of a translation -------------------------------------------------------------------------------
def build_domain_judge(image_size: int, channels: int = 3, width: int = 16, feature_dim: int = 32, seed: int = 0,
                       name: str = "domain_judge") -> keras.Model:
    """Tiny CNN for images in [-1, 1]: three 3x3 stride-2 convs (width, 2 width, 4 width, ReLU), global average
    pooling, a ``feature_dim`` ReLU layer named ``features`` (the FD feature space) and one logit for "domain B".
    Glorot-uniform kernels seeded from ``seed`` (:func:`initialiser_seeds`), zero biases."""
    seeds = iter(initialiser_seeds(seed, 5))
    init = lambda: keras.initializers.GlorotUniform(seed=next(seeds))  # noqa: E731
    image = keras.Input((image_size, image_size, channels), name="image")
    x = image
    for filters in (width, 2 * width, 4 * width):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu", kernel_initializer=init())(x)
    x = layers.GlobalAveragePooling2D()(x)
    features = layers.Dense(feature_dim, activation="relu", name="features", kernel_initializer=init())(x)
    logit = layers.Dense(1, name="logit", kernel_initializer=init())(features)
    return keras.Model(image, [logit, features], name=name)


class DomainJudge:
    """Real A (label 0) vs real B (label 1), trained with ``fit()`` on real images only. ``seed`` fixes the
    initial weights and the batch order; the notebook's global random state is neither read nor changed."""

    def __init__(self, image_size: int, channels: int = 3, width: int = 16, feature_dim: int = 32, seed: int = 0):
        self.network = build_domain_judge(image_size, channels, width, feature_dim, seed)
        self.logit_model = keras.Model(self.network.input, self.network.output[0])
        self.logit_model.compile(optimizer=keras.optimizers.Adam(1e-3),
                                 loss=keras.losses.BinaryCrossentropy(from_logits=True),
                                 metrics=[keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")])
        self.seed = seed

    def fit(self, images_a: np.ndarray, images_b: np.ndarray, epochs: int = 5, batch_size: int = 32,
            verbose: int = 0) -> keras.callbacks.History:
        """Fit on real images of both domains ([-1, 1]), shuffled together."""
        x = np.concatenate([images_a, images_b]).astype("float32")
        y = np.concatenate([np.zeros(len(images_a)), np.ones(len(images_b))]).astype("float32")[:, None]
        order = np.random.default_rng(self.seed).permutation(len(x))
        return fit_seeded(self.logit_model, x[order], y[order], self.seed, epochs=epochs, batch_size=batch_size,
                          verbose=verbose)

    def _outputs(self, images: np.ndarray, batch_size: int = 128) -> tuple[np.ndarray, np.ndarray]:
        images = np.asarray(images, "float32")
        logits, features = [], []
        for i in range(0, len(images), batch_size):
            logit, feature = self.network(tf.constant(images[i : i + batch_size]), training=False)
            logits.append(np.asarray(logit)[:, 0])
            features.append(np.asarray(feature))
        return np.concatenate(logits), np.concatenate(features)

    def probability_b(self, images: np.ndarray) -> np.ndarray:
        """P(domain B) for each image."""
        return 1.0 / (1.0 + np.exp(-self._outputs(images)[0]))

    def features(self, images: np.ndarray) -> np.ndarray:
        """The penultimate (``features``) activations, (N, feature_dim)."""
        return self._outputs(images)[1]

    def share_classified_as(self, images: np.ndarray, domain: str) -> float:
        """Share of ``images`` the classifier assigns to ``domain`` ("a" or "b")."""
        if domain not in ("a", "b"):
            raise ValueError(f"domain must be 'a' or 'b', got {domain!r}")
        logits = self._outputs(images)[0]
        return float(np.mean(logits > 0 if domain == "b" else logits <= 0))

    def accuracy(self, images_a: np.ndarray, images_b: np.ndarray) -> float:
        """Accuracy on a labelled pair of real sets (both classes weighted by their counts)."""
        right = (self.share_classified_as(images_a, "a") * len(images_a)
                 + self.share_classified_as(images_b, "b") * len(images_b))
        return float(right / (len(images_a) + len(images_b)))


def apply_generator(generator, images: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """``generator`` (a Keras model, called in inference mode, or any callable on float32 batches) over
    ``images`` in batches."""
    images = np.asarray(images, "float32")
    if isinstance(generator, keras.layers.Layer):
        def call(x):
            return generator(x, training=False)
    else:
        call = generator
    out = [np.asarray(call(tf.constant(images[i : i + batch_size])))
           for i in range(0, len(images), batch_size)]
    return np.concatenate(out)


def cycle_l1(forward, backward, images: np.ndarray, batch_size: int = 32) -> float:
    """Mean |backward(forward(x)) - x| over pixels and channels, in [-1, 1] units (half of it in [0, 1] units).
    ``forward``/``backward``: Keras generators (inference mode) or any callables on float32 batches."""
    images = np.asarray(images, "float32")
    return float(np.mean(np.abs(apply_generator(backward, apply_generator(forward, images, batch_size),
                                                batch_size) - images)))


def translation_scores(classifier: DomainJudge, translated: np.ndarray, real_target: np.ndarray,
                       target_domain: str) -> dict:
    """``share_target``: share of ``translated`` classified as ``target_domain``; ``fd``: Frechet distance between
    their features and those of ``real_target``."""
    return {"share_target": classifier.share_classified_as(translated, target_domain),
            "fd": frechet_distance_of_features(classifier.features(translated), classifier.features(real_target))}


def evaluate_translation(classifier: DomainJudge, generator_ab, generator_ba, test_a: np.ndarray,
                         test_b: np.ndarray, reference_a: np.ndarray | None = None,
                         reference_b: np.ndarray | None = None, batch_size: int = 32) -> dict:
    """Scores of both directions on held-out images ([-1, 1]), flat keys for ``save_metrics``:

    - ``a2b_share_b``, ``a2b_fd``: G_AB(test A) against real test B; ``b2a_share_a``, ``b2a_fd`` likewise;
    - ``cycle_l1_a`` = |G_BA(G_AB(a)) - a|, ``cycle_l1_b`` = |G_AB(G_BA(b)) - b| ([-1, 1] units);
    - ``identity_a2b_share_b``, ``identity_a2b_fd`` (and ``b2a``): the untranslated input as the "translation";
    - with ``reference_a``/``reference_b`` (real images of the target domain not in the test set, e.g. training
      images): ``real_b_share_b``, ``real_b_fd`` = the same scores for real B, i.e. what a perfect A -> B reaches.
    """
    fake_b = apply_generator(generator_ab, test_a, batch_size)
    fake_a = apply_generator(generator_ba, test_b, batch_size)
    out = {}
    for key, value in translation_scores(classifier, fake_b, test_b, "b").items():
        out[f"a2b_{'share_b' if key == 'share_target' else key}"] = value
    for key, value in translation_scores(classifier, fake_a, test_a, "a").items():
        out[f"b2a_{'share_a' if key == 'share_target' else key}"] = value
    out["cycle_l1_a"] = float(np.mean(np.abs(apply_generator(generator_ba, fake_b, batch_size) - test_a)))
    out["cycle_l1_b"] = float(np.mean(np.abs(apply_generator(generator_ab, fake_a, batch_size) - test_b)))
    identity_b = translation_scores(classifier, test_a, test_b, "b")
    identity_a = translation_scores(classifier, test_b, test_a, "a")
    out["identity_a2b_share_b"], out["identity_a2b_fd"] = identity_b["share_target"], identity_b["fd"]
    out["identity_b2a_share_a"], out["identity_b2a_fd"] = identity_a["share_target"], identity_a["fd"]
    if reference_b is not None:
        real = translation_scores(classifier, reference_b, test_b, "b")
        out["real_b_share_b"], out["real_b_fd"] = real["share_target"], real["fd"]
    if reference_a is not None:
        real = translation_scores(classifier, reference_a, test_a, "a")
        out["real_a_share_a"], out["real_a_fd"] = real["share_target"], real["fd"]
    out["test_a"], out["test_b"] = len(test_a), len(test_b)
    return out


def results_table(scores: dict, model_name: str = "CycleGAN") -> list[dict]:
    """Rows (method, direction, share classified as target, FD, cycle L1) for a printed table."""
    rows = [
        {"method": model_name, "direction": "A->B", "share_target": scores["a2b_share_b"], "fd": scores["a2b_fd"],
         "cycle_l1": scores["cycle_l1_a"]},
        {"method": model_name, "direction": "B->A", "share_target": scores["b2a_share_a"], "fd": scores["b2a_fd"],
         "cycle_l1": scores["cycle_l1_b"]},
        {"method": "untranslated input", "direction": "A->B", "share_target": scores["identity_a2b_share_b"],
         "fd": scores["identity_a2b_fd"], "cycle_l1": 0.0},
        {"method": "untranslated input", "direction": "B->A", "share_target": scores["identity_b2a_share_a"],
         "fd": scores["identity_b2a_fd"], "cycle_l1": 0.0},
    ]
    if "real_b_fd" in scores:
        rows.append({"method": "real target images", "direction": "A->B", "share_target": scores["real_b_share_b"],
                     "fd": scores["real_b_fd"], "cycle_l1": float("nan")})
    if "real_a_fd" in scores:
        rows.append({"method": "real target images", "direction": "B->A", "share_target": scores["real_a_share_a"],
                     "fd": scores["real_a_fd"], "cycle_l1": float("nan")})
    return rows
