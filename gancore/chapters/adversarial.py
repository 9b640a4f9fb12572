"""Adversarial examples (Skill 11): the fast gradient sign method (FGSM) and its iterated form against a classifier.

FGSM (Goodfellow et al., 2015) moves every pixel by ``epsilon`` in the direction that increases the classifier's
loss on the true label: x' = clip(x + epsilon * sign(grad_x L(f(x), y)), 0, 1). The iterated version (basic
iterative method / PGD with a sign step) takes several smaller steps and projects back into the epsilon box.
A random-sign perturbation of the same size is the control: it shows the damage comes from the direction.
"""

from __future__ import annotations

import weakref

import keras
import numpy as np
import tensorflow as tf

from gancore.training.two_player import apply_update


def _loss_gradient(model, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
    with tf.GradientTape() as tape:
        tape.watch(x)
        logits = model(x, training=False)
        loss = tf.keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)
    return tape.gradient(loss, x)


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _sign_of_gradient(model):
    """sign(grad_x L) as one compiled graph per model (eager gradients are several times slower)."""
    if model not in _COMPILED:
        _COMPILED[model] = tf.function(lambda x, y: tf.sign(_loss_gradient(model, x, y)), reduce_retracing=True)
    return _COMPILED[model]


def fgsm(model, images01: np.ndarray, labels: np.ndarray, epsilon: float, batch_size: int = 500) -> np.ndarray:
    """One signed-gradient step of size ``epsilon`` on images in [0, 1] (model returns logits), clipped to [0, 1]."""
    out = []
    for start in range(0, len(images01), batch_size):
        x = tf.constant(images01[start:start + batch_size], tf.float32)
        y = tf.constant(labels[start:start + batch_size], tf.int32)
        out.append(tf.clip_by_value(x + epsilon * _sign_of_gradient(model)(x, y), 0.0, 1.0).numpy())
    return np.concatenate(out) if out else np.asarray(images01, "float32")


def iterative_fgsm(model, images01: np.ndarray, labels: np.ndarray, epsilon: float, steps: int = 10,
                   step_size: float | None = None, batch_size: int = 500) -> np.ndarray:
    """``steps`` signed-gradient steps of ``step_size`` (default 2.5 epsilon / steps), each followed by projection
    onto the L-infinity ball of radius ``epsilon`` around the original and onto [0, 1]."""
    step_size = 2.5 * epsilon / steps if step_size is None else step_size
    out = []
    for start in range(0, len(images01), batch_size):
        x0 = tf.constant(images01[start:start + batch_size], tf.float32)
        y = tf.constant(labels[start:start + batch_size], tf.int32)
        x = x0
        for _ in range(steps):
            x = x + step_size * _sign_of_gradient(model)(x, y)
            x = tf.clip_by_value(tf.clip_by_value(x, x0 - epsilon, x0 + epsilon), 0.0, 1.0)
        out.append(x.numpy())
    return np.concatenate(out) if out else np.asarray(images01, "float32")


def random_sign(images01: np.ndarray, epsilon: float, seed: int = 0) -> np.ndarray:
    """The control: every pixel moved by +-epsilon at random, clipped to [0, 1]."""
    signs = np.random.default_rng(seed).choice([-1.0, 1.0], size=np.shape(images01))
    return np.clip(np.asarray(images01, "float32") + epsilon * signs, 0.0, 1.0).astype("float32")


def accuracy(model, images01: np.ndarray, labels: np.ndarray, batch_size: int = 500) -> float:
    """Share of images whose arg-max logit is the label."""
    return float((logits_of(model, images01, batch_size).argmax(-1) == np.asarray(labels)).mean())



class AdversarialTraining(keras.Model):
    """Fine-tune a classifier on a mix of clean and FGSM images made on the fly from the current weights
    (Goodfellow et al.'s adversarial training): loss = (1 - share) CE(x) + share CE(x_fgsm). The wrapped
    classifier returns logits; ``compile(optimizer=...)`` and ``fit()`` on (images in [0, 1], labels) as usual.
    Logged (running means over the epoch, like the other trainers): ``loss``, ``clean_loss``, ``fgsm_loss`` and
    ``fgsm_accuracy`` (accuracy on the FGSM images made from the weights before each update)."""

    def __init__(self, classifier: keras.Model, epsilon: float, adversarial_share: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self.classifier = classifier
        self.epsilon = float(epsilon)
        self.adversarial_share = float(adversarial_share)
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ("loss", "clean_loss", "fgsm_loss", "fgsm_accuracy")}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, images, training=False):
        return self.classifier(images, training=training)

    def train_step(self, data):
        x, y = data
        x = tf.cast(x, tf.float32)
        # 1. The attack: FGSM images from the current weights (no gradient flows through them).
        x_adv = tf.stop_gradient(tf.clip_by_value(x + self.epsilon * tf.sign(_loss_gradient(self.classifier, x, y)),
                                                  0.0, 1.0))
        # 2. The classifier: one update on the mix of clean and attacked cross-entropies.
        with tf.GradientTape() as tape:
            clean = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
                y, self.classifier(x, training=True), from_logits=True))
            attacked_logits = self.classifier(x_adv, training=True)
            attacked = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, attacked_logits,
                                                                                   from_logits=True))
            loss = (1.0 - self.adversarial_share) * clean + self.adversarial_share * attacked
        apply_update(self.optimizer, tape, loss, self.classifier.trainable_variables)
        # 3. Report running means for the progress bar and History.
        hit = tf.cast(tf.equal(tf.argmax(attacked_logits, -1, output_type=tf.int32), tf.cast(y, tf.int32)), tf.float32)
        values = {"loss": loss, "clean_loss": clean, "fgsm_loss": attacked, "fgsm_accuracy": tf.reduce_mean(hit)}
        for name, tracker in self.trackers.items():
            tracker.update_state(values[name])
        return {name: tracker.result() for name, tracker in self.trackers.items()}


def logits_of(model, images01: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """The model's logits in inference mode, batched."""
    return np.concatenate([np.asarray(model(images01[s:s + batch_size], training=False))
                           for s in range(0, len(images01), batch_size)])
