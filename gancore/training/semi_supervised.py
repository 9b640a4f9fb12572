"""Semi-supervised GANs: a discriminator that is also a K-class classifier (SGAN, Odena 2016).

The discriminator of ``gancore.models.sgan_infogan_acgan.build_sgan_discriminator`` has two heads: a real/fake
logit and K+1 class logits whose last class means "fake". :class:`SemiSupervisedGAN` trains it in two ways:

``mode="book"`` (Experiment 6.2 of the book): every real image comes with its label. The discriminator
sees one mixed batch of fakes (class K, real/fake target 0) and reals (their class, target 1) and
minimises 0.5 BCE(real/fake head) + 0.5 CCE(K+1 classes), as the book's ``loss_weights=[0.5, 0.5]``; the
generator is trained through the real/fake head only (non-saturating loss).

``mode="semi_supervised"`` (Salimans et al. 2016; Odena 2016): only a small labelled set has labels.
Each step the discriminator sees a labelled batch, an unlabelled batch and a fake batch, and minimises

    L = CE_K(labelled)  +  w * 0.5 [BCE(r(x_unlabelled), 1) + BCE(r(G(z)), 0)],
    r(x) = logsumexp(l_0..l_{K-1}) - l_K,

i.e. the K+1 softmax of Odena, with its unsupervised part written as a sigmoid cross-entropy on the
"real" logit r (``gancore.losses.real_logit_from_class_logits``): sigmoid(r) = 1 - p(fake | x). The
labelled images are classified among the K real classes only (Salimans' p(y | x, y < K+1)). The separate
real/fake head of the book's network is not used in this mode. The generator minimises either the
non-saturating loss on r(G(z)) or Salimans' feature matching on the discriminator's flattened features.
At test time the prediction is the argmax over the K real-class logits (:func:`predict_real_classes`).

:class:`SupervisedBaseline` trains the same discriminator (trunk + class head) on the labelled images
alone: the "CNN" column of Odena's table.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from gancore import losses as gan_losses
from gancore.training.distribute import global_mean, several_replicas, with_loss_scaling
from gancore.training.fitting import step_indexed_dataset
from gancore.training.gan import GAN
from gancore.training.two_player import apply_update

MODES = ("book", "semi_supervised")
GENERATOR_LOSSES = ("non_saturating", "feature_matching")


# ----------------------------------------------------------------------------------------------------------
# Data: a balanced labelled subset, and batches of labelled + unlabelled images as a function of the step
# ----------------------------------------------------------------------------------------------------------

def balanced_labelled_subset(labels: np.ndarray, num_labelled: int, seed: int, num_classes: int = 10) -> np.ndarray:
    """Indices of ``num_labelled`` examples, ``num_labelled / num_classes`` of each class, drawn without
    replacement with ``numpy.random.default_rng(seed)`` (class by class, in class order); sorted."""
    labels = np.asarray(labels).reshape(-1)
    if num_labelled <= 0 or num_labelled % num_classes:
        raise ValueError(f"num_labelled={num_labelled} must be a positive multiple of num_classes={num_classes}")
    per_class = num_labelled // num_classes
    rng = np.random.default_rng(seed)
    chosen = []
    for c in range(num_classes):
        pool = np.flatnonzero(labels == c)
        if len(pool) < per_class:
            raise ValueError(f"class {c} has {len(pool)} examples, fewer than the {per_class} asked for")
        chosen.append(rng.choice(pool, size=per_class, replace=False))
    return np.sort(np.concatenate(chosen))


def semi_supervised_dataset(labelled_images: np.ndarray, labels: np.ndarray, unlabelled_images: np.ndarray,
                            labelled_batch: int, unlabelled_batch: int, seed: int, start_step: int, num_steps: int,
                            preprocess) -> tf.data.Dataset:
    """Elements ``((labelled images, labels), unlabelled images)``, each batch drawn with replacement and a
    pure function of (seed, step), like :func:`~gancore.training.fitting.step_indexed_dataset`.

    The two draws use different seeds (``seed`` and ``seed + 1_000_003``) so they are independent. The
    unlabelled pool may contain the labelled images (Salimans et al. use the whole training set).
    """
    labelled = step_indexed_dataset(labelled_images, labelled_batch, seed, start_step, num_steps, preprocess,
                                    labels=labels)
    unlabelled = step_indexed_dataset(unlabelled_images, unlabelled_batch, seed + 1_000_003, start_step, num_steps,
                                      preprocess)
    return tf.data.Dataset.zip((labelled, unlabelled))


# ----------------------------------------------------------------------------------------------------------
# Evaluation: the discriminator as a K-class classifier
# ----------------------------------------------------------------------------------------------------------

def predict_real_classes(class_logits, num_classes: int = 10) -> np.ndarray:
    """argmax over the first ``num_classes`` logits: the 'fake' logit (and any after it) is ignored."""
    return np.argmax(np.asarray(class_logits)[..., :num_classes], axis=-1)


def class_logits_of(discriminator: keras.Model, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """The class head's logits for ``images`` (already scaled as in training), in inference mode."""
    parts = []
    for i in range(0, len(images), batch_size):
        out = discriminator(tf.convert_to_tensor(images[i: i + batch_size], tf.float32), training=False)
        parts.append(np.asarray(out[1] if isinstance(out, (list, tuple)) else out))
    return np.concatenate(parts)


def real_class_accuracy(discriminator: keras.Model, images: np.ndarray, labels: np.ndarray, num_classes: int = 10,
                        batch_size: int = 1000) -> float:
    """Share of ``images`` whose argmax over the K real-class logits equals the label."""
    predicted = predict_real_classes(class_logits_of(discriminator, images, batch_size), num_classes)
    return float(np.mean(predicted == np.asarray(labels).reshape(-1)))


# ----------------------------------------------------------------------------------------------------------
# The SGAN
# ----------------------------------------------------------------------------------------------------------

class SemiSupervisedGAN(GAN):
    """SGAN with the book's two-headed discriminator (real/fake logit, K+1 class logits).

    Data: ``mode="book"`` takes ``(images, labels)`` batches; ``mode="semi_supervised"`` takes
    ``((labelled images, labels), unlabelled images)`` (see :func:`semi_supervised_dataset`); the fake batch
    has the size of the real (book) or unlabelled (semi-supervised) batch, the generator's batch is
    ``g_batch_factor`` times that. Options of :class:`GAN` that apply: ``mixed_batches`` (one discriminator
    batch for all images, so batchnorm sees them together: the book's way), ``frozen_d_in_g_step``,
    ``g_batch_factor``, ``seed``. One discriminator update per step. Feature matching compares the batch means of
    the global batch, also under a ``tf.distribute`` strategy (the replicas all-reduce their means).
    """

    def __init__(self, generator, discriminator, latent_dim: int, num_classes: int = 10, mode: str = "book",
                 generator_loss: str = "non_saturating", unsupervised_weight: float = 1.0, **kwargs):
        if kwargs.get("d_steps", 1) != 1:
            raise ValueError("SemiSupervisedGAN makes one discriminator update per step: d_steps must be 1")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"generator_loss must be one of {GENERATOR_LOSSES}, not {generator_loss!r}")
        if mode == "book" and generator_loss != "non_saturating":
            raise ValueError("the book trains the generator with the non-saturating loss on the real/fake head")
        kwargs.setdefault("loss", "non_saturating")
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.num_classes = num_classes
        self.mode = mode
        self.generator_loss = generator_loss
        self.unsupervised_weight = unsupervised_weight
        self._with_features = None
        if generator_loss == "feature_matching":  # the same layers, with the flattened features as a third output
            self._with_features = keras.Model(discriminator.inputs,
                                              [discriminator.get_layer("features").output, *discriminator.outputs])
        self.track("d_class_acc", *(["supervised_loss", "unsupervised_loss"] if mode == "semi_supervised" else []))

    def _d(self, images, training=True):
        """(real/fake logits [B], class logits [B, K+1]) in float32."""
        real_fake, classes = self.discriminator(images, training=training)
        return tf.cast(real_fake[:, 0], tf.float32), tf.cast(classes, tf.float32)

    def _d_joint(self, parts, training=True):
        """Run D on several batches, concatenated into one batch (``mixed_batches``) or one by one."""
        if self.mixed_batches:
            sizes = [tf.shape(p)[0] for p in parts]
            real_fake, classes = self._d(tf.concat([tf.cast(p, tf.float32) for p in parts], 0), training)
            return list(zip(tf.split(real_fake, sizes), tf.split(classes, sizes)))
        return [self._d(p, training) for p in parts]

    # -- book mode ---------------------------------------------------------------------------------------
    def _book_d_loss(self, real, labels, fake):
        (rf_fake, cls_fake), (rf_real, cls_real) = self._d_joint([fake, real])
        n_fake = tf.shape(fake)[0]
        real_fake = tf.concat([rf_fake, rf_real], 0)
        targets = tf.concat([tf.zeros_like(rf_fake), tf.ones_like(rf_real)], 0)
        classes = tf.concat([cls_fake, cls_real], 0)
        class_targets = tf.concat([tf.fill([n_fake], self.num_classes), tf.cast(labels, tf.int32)], 0)
        d_loss = gan_losses.two_head_discriminator_loss(real_fake, targets, classes, class_targets)
        # the book's two logged accuracies, on this mixed batch of fakes and reals
        return d_loss, {"d_acc": gan_losses.discriminator_accuracy(rf_real, rf_fake),
                        "d_class_acc": gan_losses.sparse_class_accuracy(classes, class_targets)}

    # -- semi-supervised mode ----------------------------------------------------------------------------
    def _semi_d_loss(self, labelled, labels, unlabelled, fake):
        (_, cls_l), (_, cls_u), (_, cls_f) = self._d_joint([labelled, unlabelled, fake])
        supervised = gan_losses.sparse_classification_loss(cls_l[:, : self.num_classes], labels)
        unsupervised = gan_losses.sgan_unsupervised_loss(cls_u, cls_f)
        d_loss = supervised + self.unsupervised_weight * unsupervised
        r_u = gan_losses.real_logit_from_class_logits(cls_u)
        r_f = gan_losses.real_logit_from_class_logits(cls_f)
        return d_loss, {
            "d_acc": gan_losses.discriminator_accuracy(r_u, r_f),
            "d_class_acc": gan_losses.sparse_class_accuracy(cls_l[:, : self.num_classes], labels),
            "supervised_loss": supervised, "unsupervised_loss": unsupervised,
        }

    def _generator_loss(self, fake, real):
        training = not self.frozen_d_in_g_step
        if self.mode == "book":
            real_fake, _ = self._d(fake, training)
            return gan_losses.non_saturating_generator_loss(real_fake)
        if self.generator_loss == "non_saturating":
            _, classes = self._d(fake, training)
            return gan_losses.non_saturating_generator_loss(gan_losses.real_logit_from_class_logits(classes))
        # feature matching: real and fake go through D in one batch, because a batchnorm layer in training mode
        # normalises each batch on its own and would make the two batch means equal by construction
        n = tf.shape(real)[0]
        features = self._with_features(tf.concat([tf.cast(real, tf.float32), fake], 0), training=training)[0]
        features = tf.cast(features, tf.float32)
        real_features, fake_features = tf.stop_gradient(features[:n]), features[n:]
        if several_replicas():  # the loss compares batch means: those of the global batch, as on one device
            real_features, fake_features = global_mean(real_features)[None], global_mean(fake_features)[None]
        return gan_losses.feature_matching_loss(real_features, fake_features)

    def train_step(self, data):
        if self.mode == "book":
            real, labels = data
            labels = tf.reshape(labels, [-1])
            unlabelled = real
        else:
            (real, labels), unlabelled = data
            labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
        batch_size = tf.shape(unlabelled)[0]

        # 1. Discriminator: one update on reals (with their labels where known) and one batch of fakes.
        #    The head the loss does not use (the real/fake head in semi-supervised mode) is left alone.
        fake = self.generator(self.noise(batch_size, self.stream("d_noise")), training=True)
        with tf.GradientTape() as tape:
            if self.mode == "book":
                d_loss, logs = self._book_d_loss(real, labels, fake)
            else:
                d_loss, logs = self._semi_d_loss(real, labels, unlabelled, fake)
        self._apply(self.d_optimizer, tape, d_loss, self.d_variables(), skip_unconnected=True)

        # 2. Generator: through the real/fake signal only (the generator is never told about classes).
        z = self.noise(batch_size * self.g_batch_factor, self.stream("g_noise"))
        with tf.GradientTape() as tape:
            g_loss = self._generator_loss(self.generator(z, training=True), unlabelled)
        self._apply(self.g_optimizer, tape, g_loss, self.g_variables(), skip_unconnected=True)

        # 3. Report running means for the progress bar and History.
        return self.report({"d_loss": d_loss, "g_loss": g_loss, **logs})


# ----------------------------------------------------------------------------------------------------------
# The supervised baseline
# ----------------------------------------------------------------------------------------------------------

class SupervisedBaseline(keras.Model):
    """The discriminator's trunk and class head trained on labelled images alone (no generator, no fakes):
    softmax cross-entropy over the K real-class logits. Data: ``(images, labels)`` batches."""

    def __init__(self, discriminator: keras.Model, num_classes: int = 10, **kwargs):
        super().__init__(**kwargs)
        self.discriminator = discriminator
        self.num_classes = num_classes
        self.loss_tracker = keras.metrics.Mean(name="supervised_loss")
        self.acc_tracker = keras.metrics.Mean(name="d_class_acc")

    @property
    def metrics(self):
        return [self.loss_tracker, self.acc_tracker]

    def compile(self, optimizer: keras.optimizers.Optimizer, **kwargs) -> None:
        super().compile(optimizer=with_loss_scaling(optimizer), **kwargs)
        self.optimizer.build(self.discriminator.trainable_variables)
        self.built = True

    def call(self, images, training: bool = False):
        return self.discriminator(images, training=training)[1][:, : self.num_classes]

    def step_counter(self) -> tf.Variable:
        return self.optimizer.iterations

    def train_step(self, data):
        images, labels = data
        labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
        with tf.GradientTape() as tape:
            logits = tf.cast(self(images, training=True), tf.float32)
            loss = gan_losses.sparse_classification_loss(logits, labels)
        # the real/fake head is not reached by this loss: its variables are skipped
        apply_update(self.optimizer, tape, loss, self.discriminator.trainable_variables, skip_unconnected=True)
        self.loss_tracker.update_state(loss)
        self.acc_tracker.update_state(gan_losses.sparse_class_accuracy(logits, labels))
        return {m.name: m.result() for m in self.metrics}
