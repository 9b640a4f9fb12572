"""InfoGAN (Chen et al., 2016): a GAN whose discriminator also predicts the generator's latent code.

The generator receives noise ``z`` and a code ``c`` (a one-hot categorical part and, optionally,
continuous parts drawn from U(-1, 1)). A second head ``Q`` on the discriminator's trunk predicts ``c``
from the generated image; the information loss (cross-entropy for the categorical part, squared error
for the continuous means of a fixed-variance Gaussian) is a variational bound on the mutual
information I(c; G(z, c)), and both players minimise it, so the code has to stay readable in the image.

Also here: :func:`best_matching_accuracy`, the agreement between an unsupervised code and a labelling
(each code value matched to one class, one-to-one, so that the most samples agree).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from gancore import losses as gan_losses
from gancore.training.gan import GAN


class InfoGAN(GAN):
    """InfoGAN trained with ``fit()`` on unlabelled images.

    ``discriminator`` is one model ``image -> [real/fake logit, code output]`` (the layout of
    :func:`gancore.models.sgan_infogan_acgan.build_infogan_discriminator`): the code output holds ``categories``
    logits followed by ``continuous`` predicted means. ``generator`` maps ``[z, code] -> image``.

    ``info_weight`` is lambda for the categorical code (1 in the book and the paper), ``continuous_weight``
    multiplies the Gaussian (squared-error) term of the continuous codes.

    ``info_updates_trunk`` chooses who learns from the information loss:

    - ``True`` (the paper): G minimises ``adversarial + info`` and the discriminator's optimizer
      minimises ``adversarial + info``, the info term on the fakes of its own batch, so the Q head *and the
      shared trunk* learn to read the code; the real/fake head is untouched by it.
    - ``False`` (the book): the info loss is a second output of the combined model in which the
      discriminator was frozen, so only G and the Q Dense head (updated by the generator's optimizer)
      learn from it; the trunk is trained by the real/fake loss alone.

    Logged: ``d_loss`` (the discriminator's real/fake cross-entropy), ``g_loss`` (the generator's total,
    the book's "G-Loss"), ``info_loss`` (the categorical cross-entropy in the generator step, unweighted),
    ``continuous_loss`` (the Gaussian term, with continuous codes), ``book_info_loss`` (what the book
    printed as "Info-Loss": index 1 of the combined model's losses, which is the generator's *adversarial*
    cross-entropy) and ``d_acc``.

    The codes, like the noise, are a pure function of (seed, step, stream), so a resumed run matches an
    uninterrupted one; the streams are laid out so that runs with and without continuous codes, and with
    either ``info_updates_trunk``, draw the same noise and categorical codes at every step.
    """

    # the GAN's streams (the categorical codes use its condition streams), then the continuous codes: one stream
    # per discriminator update and one for the generator
    NOISE_STREAMS = GAN.NOISE_STREAMS + (("d_step", ("d_continuous",)), ("step", ("g_continuous",)))

    def __init__(self, generator: keras.Model, discriminator: keras.Model, noise_dim: int, categories: int = 10,
                 continuous: int = 0, info_weight: float = 1.0, continuous_weight: float = 1.0,
                 info_updates_trunk: bool = True, real_fake_head: str = "real_fake", code_head: str = "code",
                 **kwargs):
        for option in ("gradient_penalty_weight", "clip_value", "fresh_real_per_d_step", "real_label_flip"):
            if kwargs.get(option):
                raise ValueError(f"InfoGAN does not support the GAN option {option!r}")
        super().__init__(generator, discriminator, noise_dim, **kwargs)
        if self.loss_name not in ("minimax", "non_saturating", "least_squares"):
            raise ValueError(f"InfoGAN needs a real/fake loss with a bounded discriminator, not {self.loss_name!r}")
        self.categories = categories
        self.continuous = continuous
        self.info_weight = info_weight
        self.continuous_weight = continuous_weight
        self.info_updates_trunk = info_updates_trunk
        self.q_head = discriminator.get_layer(code_head)
        self.real_fake_head = discriminator.get_layer(real_fake_head)
        if self.q_head.units != categories + continuous:
            raise ValueError(f"the code head has {self.q_head.units} outputs, expected {categories} + {continuous}")
        self.track("info_loss", "book_info_loss", *(["continuous_loss"] if continuous else []))

    # --- which variables each optimizer trains -------------------------------------------------------
    def _is_q_head(self, variable) -> bool:
        return any(variable is v for v in self.q_head.trainable_variables)

    def d_variables(self) -> list:
        """The discriminator optimizer's variables: the trunk and the real/fake head, plus the Q head
        when the information loss trains the discriminator side (the paper)."""
        return [v for v in self.discriminator.trainable_variables
                if self.info_updates_trunk or not self._is_q_head(v)]

    def g_variables(self) -> list:
        """The generator optimizer's variables: G, plus the Q head in the book's combined model."""
        extra = [] if self.info_updates_trunk else list(self.q_head.trainable_variables)
        return list(self.generator.trainable_variables) + extra

    def trunk_variables(self) -> list:
        heads = list(self.q_head.trainable_variables) + list(self.real_fake_head.trainable_variables)
        return [v for v in self.discriminator.trainable_variables if not any(v is h for h in heads)]

    # --- codes ----------------------------------------------------------------------------------------
    def sample_codes(self, batch_size, categorical_stream: int, continuous_stream: int) -> tf.Tensor:
        """One-hot codes, uniform over the categories, then ``continuous`` values from U(-1, 1)."""
        uniform = self._uniform(batch_size, categorical_stream)[:, 0]
        index = tf.minimum(tf.cast(uniform * self.categories, tf.int32), self.categories - 1)
        one_hot = tf.one_hot(index, self.categories)
        if not self.continuous:
            return one_hot
        normal = self.step_normal((batch_size, self.continuous), continuous_stream)
        return tf.concat([one_hot, tf.math.erf(normal / np.sqrt(2.0))], 1)  # 2 Phi(n) - 1 ~ U(-1, 1)

    def codes(self, categories, continuous=None) -> tf.Tensor:
        """The generator's code input for integer categories and (optionally) continuous values."""
        one_hot = tf.one_hot(tf.cast(categories, tf.int32), self.categories)
        if not self.continuous:
            return one_hot
        if continuous is None:
            continuous = tf.zeros((tf.shape(one_hot)[0], self.continuous))
        return tf.concat([one_hot, tf.cast(continuous, tf.float32)], 1)

    # --- losses -------------------------------------------------------------------------------------
    def info_terms(self, codes, q_output):
        """(categorical cross-entropy, Gaussian squared-error term), both unweighted."""
        q_output = tf.cast(q_output, tf.float32)
        categorical = gan_losses.categorical_code_loss(codes[:, : self.categories], q_output[:, : self.categories])
        if not self.continuous:
            return categorical, tf.constant(0.0)
        gaussian = gan_losses.gaussian_code_loss(codes[:, self.categories:], q_output[:, self.categories:])
        return categorical, gaussian

    def info_loss(self, codes, q_output) -> tf.Tensor:
        """lambda * categorical + continuous_weight * Gaussian: the term added to the players' losses."""
        categorical, gaussian = self.info_terms(codes, q_output)
        return self.info_weight * categorical + self.continuous_weight * gaussian

    def generate_from(self, z, condition, training: bool = True):
        return self.generator([z, condition], training=training)

    def discriminate(self, images, condition=None, training: bool = True):
        logit, code = self.discriminator(images, training=training)
        return tf.cast(logit, tf.float32), tf.cast(code, tf.float32)

    # --- one iteration --------------------------------------------------------------------------------
    def train_step(self, data):
        real, _ = self.split_batch(data)
        batch_size = tf.shape(real)[0]

        # 1. Discriminator (and, in the paper's version, Q with the shared trunk).
        for i in range(self.d_steps):
            codes = self.sample_codes(batch_size, self.stream("d_condition", i), self.stream("d_continuous", i))
            fake = self.generate_from(self.noise(batch_size, self.stream("d_noise", i)), codes)
            with tf.GradientTape() as tape:
                if self.mixed_batches:  # the book: one batch of fakes then reals, so batchnorm mixes both
                    logits, q_all = self.discriminate(tf.concat([fake, tf.cast(real, fake.dtype)], 0))
                    fake_logits, real_logits, q_fake = logits[:batch_size], logits[batch_size:], q_all[:batch_size]
                else:
                    real_logits, _ = self.discriminate(real)
                    fake_logits, q_fake = self.discriminate(fake)
                d_loss = self.discriminator_loss(real_logits, fake_logits)
                total = d_loss + self.info_loss(codes, q_fake) if self.info_updates_trunk else d_loss
            self._apply(self.d_optimizer, tape, total, self.d_variables())

        # 2. Generator: fool the discriminator and keep the code readable. In the book's combined model
        #    the discriminator is frozen (batchnorm on moving statistics with frozen_d_in_g_step) and the
        #    Q head is trained here by the generator's optimizer.
        n = batch_size * self.g_batch_factor
        z = self.noise(n, self.stream("g_noise"))
        codes = self.sample_codes(n, self.stream("g_condition"), self.stream("g_continuous"))
        with tf.GradientTape() as tape:
            fake_logits_g, q_g = self.discriminate(self.generate_from(z, codes), training=not self.frozen_d_in_g_step)
            adversarial = self.g_loss_fn(fake_logits_g)
            categorical, gaussian = self.info_terms(codes, q_g)
            g_loss = adversarial + self.info_weight * categorical + self.continuous_weight * gaussian
        self._apply(self.g_optimizer, tape, g_loss, self.g_variables())

        # 3. Report running means for the progress bar and History.
        threshold = 0.5 if self.loss_name == "least_squares" else 0.0
        return self.report({"d_loss": d_loss, "g_loss": g_loss, "info_loss": categorical,
                            "book_info_loss": adversarial, "continuous_loss": gaussian,
                            "d_acc": gan_losses.discriminator_accuracy(real_logits, fake_logits, threshold)})

    def generate(self, z, categories=None, continuous=None) -> tf.Tensor:
        """Samples in inference mode for noise ``z`` and integer ``categories`` (or a full code matrix as
        ``categories`` when it is 2-D)."""
        categories = np.asarray(categories)
        code = categories.astype("float32") if categories.ndim == 2 else self.codes(categories, continuous)
        return self.generator([tf.convert_to_tensor(z, tf.float32), code], training=False)

    def predict_codes(self, images, batch_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
        """Q's reading of images (inference mode): (most likely category, predicted continuous means)."""
        outputs = [self.discriminator(images[i: i + batch_size], training=False)[1].numpy()
                   for i in range(0, len(images), batch_size)]
        q = np.concatenate(outputs)
        return q[:, : self.categories].argmax(1), q[:, self.categories:]


def contingency(codes, labels, num_codes: int, num_labels: int) -> np.ndarray:
    """Counts ``[code, label]`` of how often each code value goes with each label."""
    codes, labels = np.asarray(codes, int).ravel(), np.asarray(labels, int).ravel()
    if codes.shape != labels.shape:
        raise ValueError(f"codes and labels need the same length, got {codes.size} and {labels.size}")
    table = np.zeros((num_codes, num_labels), np.int64)
    np.add.at(table, (codes, labels), 1)
    return table


def _exact_assignment(table: np.ndarray) -> list[int]:
    """Maximum-weight one-to-one matching of rows to columns (rows <= columns) by dynamic programming
    over subsets of columns: O(rows * 2^columns), exact; fine for 10 x 10."""
    rows, cols = table.shape
    best = {0: (0, [])}  # used-column mask -> (weight, columns chosen for rows so far)
    for r in range(rows):
        nxt: dict[int, tuple[int, list[int]]] = {}
        for mask, (weight, chosen) in best.items():
            for c in range(cols):
                if mask >> c & 1:
                    continue
                key, value = mask | 1 << c, weight + int(table[r, c])
                if key not in nxt or value > nxt[key][0]:
                    nxt[key] = (value, chosen + [c])
        best = nxt
    return max(best.values(), key=lambda item: item[0])[1]


def best_matching_accuracy(codes, labels, num_codes: int = 10, num_labels: int = 10,
                           use_scipy: bool = True) -> tuple[float, dict[int, int]]:
    """Share of samples whose code value maps to their label under the best one-to-one mapping.

    The unsupervised-clustering accuracy: each code value is matched to a different label so that the
    matched counts are as large as possible (the Hungarian algorithm via
    ``scipy.optimize.linear_sum_assignment`` when scipy is importable, else an exact dynamic programme).
    Returns (accuracy, {code value: label}). Needs ``num_codes <= num_labels``.
    """
    table = contingency(codes, labels, num_codes, num_labels)
    if num_codes > num_labels:
        raise ValueError("best_matching_accuracy needs num_codes <= num_labels")
    columns = None
    if use_scipy:
        try:
            from scipy.optimize import linear_sum_assignment
        except ImportError:  # pragma: no cover - scipy comes with scikit-image
            pass
        else:
            rows, columns = linear_sum_assignment(table, maximize=True)
            columns = [int(c) for _, c in sorted(zip(rows, columns))]
    if columns is None:
        columns = _exact_assignment(table)
    matched = sum(int(table[r, c]) for r, c in enumerate(columns))
    return matched / max(1, int(table.sum())), dict(enumerate(columns))

