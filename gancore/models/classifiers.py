"""Small domain classifiers for MNIST and Fashion-MNIST: the feature space of the course's metrics.

Inception features fit 28x28 grey digits poorly, so (as the FID authors suggest for such data) the
course measures generated images with a CNN trained on the data set itself. The weights are trained
once by ``data_scripts/train_domain_classifiers.py``, committed under ``gancore/weights/`` with their
SHA-256 and test accuracy, and checked on load.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import keras
import numpy as np
from keras import layers

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
REGISTRY = WEIGHTS_DIR / "classifiers.json"
DOMAINS = ("mnist", "fashion_mnist")
FEATURE_LAYER = "features"
#: Accuracy on the 10,000 official test images that the committed weights must reach.
REQUIRED_ACCURACY = {"mnist": 0.990, "fashion_mnist": 0.910}


def build_domain_classifier(num_classes: int = 10, feature_dim: int = 128) -> keras.Model:
    """Two conv blocks (two 3x3 convs of 32, then 64 filters, max-pooled), 128 features, 10 logits.

    Input: 28x28x1 images in [0, 1]. The ``features`` layer (after ReLU) feeds the Frechet
    distance and KID; the logits feed the classifier score and class histograms.
    """
    image = keras.Input((28, 28, 1), name="image")
    x = image
    for filters in (32, 64):
        for _ in range(2):
            x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    features = layers.Dense(feature_dim, activation="relu", name=FEATURE_LAYER)(x)
    x = layers.Dropout(0.3)(features)
    logits = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(image, logits, name="domain_classifier")


def weights_path(domain: str) -> Path:
    return WEIGHTS_DIR / f"{domain}_classifier.weights.h5"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def registry() -> dict:
    """The committed record of each classifier: weights file, SHA-256, test accuracy, training settings."""
    return json.loads(REGISTRY.read_text()) if REGISTRY.exists() else {}


def _check_domain(domain: str) -> None:
    if domain not in DOMAINS:
        raise ValueError(f"No domain classifier for {domain!r}; available: {', '.join(DOMAINS)}")


@dataclass(frozen=True)
class DomainClassifier:
    """A trained classifier; ``two_heads`` maps images to (features N x 128, logits N x 10) in one pass."""

    domain: str
    model: keras.Model
    sha256: str
    two_heads: keras.Model

    def features_and_logits(self, images01: np.ndarray, batch_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
        """Features and logits of images in [0, 1] shaped (N, 28, 28[, 1]), in inference mode."""
        x = np.asarray(images01, dtype="float32")
        if x.ndim == 3:
            x = x[..., None]
        if x.shape[1:] != (28, 28, 1):
            raise ValueError(f"Domain classifiers take 28x28x1 images, got shape {x.shape}")
        feats, logits = [], []
        for start in range(0, len(x), batch_size):
            f, lg = self.two_heads(x[start : start + batch_size], training=False)
            feats.append(np.asarray(f))
            logits.append(np.asarray(lg))
        if not feats:
            return np.zeros((0, 128), "float32"), np.zeros((0, 10), "float32")
        return np.concatenate(feats), np.concatenate(logits)

    def predict_classes(self, images01: np.ndarray) -> np.ndarray:
        return self.features_and_logits(images01)[1].argmax(-1)


@cache
def load_domain_classifier(domain: str) -> DomainClassifier:
    """Load the committed weights after checking their SHA-256 against ``classifiers.json``."""
    _check_domain(domain)
    path = weights_path(domain)
    record = registry().get(domain)
    if record is None or not path.exists():
        raise FileNotFoundError(
            f"No trained {domain} classifier at {path}. Train it with "
            f"`python data_scripts/train_domain_classifiers.py {domain}` (a few minutes on a CPU).")
    digest = file_sha256(path)
    if digest != record["sha256"]:
        raise ValueError(f"{path.name} has SHA-256 {digest}, but classifiers.json records {record['sha256']}: "
                         "the weights file is damaged or was retrained without updating the record.")
    model = build_domain_classifier()
    model.load_weights(path)
    two_heads = keras.Model(model.input, [model.get_layer(FEATURE_LAYER).output, model.output])
    return DomainClassifier(domain, model, digest, two_heads)


def train_domain_classifier(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
                            epochs: int, batch_size: int = 128, seed: int = 0,
                            learning_rate: float = 1e-3) -> tuple[keras.Model, float]:
    """Train on uint8 images (N, 28, 28) and return the model and its test accuracy.

    Light augmentation (shifts of up to 2 pixels) and a cosine learning-rate decay. ``seed`` fixes the
    augmentation and the shuffling; for a run that is deterministic on one machine the caller also seeds the
    initial weights with ``keras.utils.set_random_seed(seed)`` first (the training script does; the library
    never reseeds the global state itself).
    """
    import tensorflow as tf

    model = build_domain_classifier()
    steps = epochs * (len(x_train) // batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    shift = layers.RandomTranslation(2 / 28, 2 / 28, fill_mode="constant", seed=seed)

    def augment(x, y):
        x = tf.cast(x, tf.float32)[..., None] / 255.0
        return shift(x, training=True), y

    train = (tf.data.Dataset.from_tensor_slices((x_train, y_train.astype("int32")))
             .shuffle(len(x_train), seed=seed).batch(batch_size, drop_remainder=True)
             .map(augment, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE))
    model.fit(train, epochs=epochs, verbose=2)
    accuracy = float((model.predict(x_test[..., None] / 255.0, batch_size=500, verbose=0).argmax(-1)
                      == y_test).mean())
    return model, accuracy
