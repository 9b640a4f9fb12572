"""A GAN as a ``keras.Model``: two networks, two optimizers, one ``train_step`` per iteration."""

from __future__ import annotations

import keras
import tensorflow as tf

from gancore import latent_priors
from gancore import losses as gan_losses
from gancore.training.distribute import split_global_batch
from gancore.training.two_player import TwoPlayerModel
from gancore.training.weight_average import averaged_copy, update_average


class GAN(TwoPlayerModel):
    """Unconditional GAN trained with ``fit()``.

    Each ``train_step`` runs ``d_steps`` discriminator updates (on the same real batch, fresh
    noise each time) and then one generator update on ``g_batch_factor`` x batch noise vectors.
    The noise is a pure function of ``(seed, step)``, so a resumed run matches an uninterrupted one.

    Options for the failure-mode and stability chapters:
    ``label_smoothing`` (real target 1 - s), ``real_label_flip`` (each real image is labelled fake
    with this probability: "random false labels"), ``gradient_penalty_weight`` (WGAN-GP's lambda),
    ``mixed_batches`` (the book's single D batch of fakes and reals, so batchnorm statistics mix
    both; the default shows D separate real and fake batches), and ``clip_value`` (the original
    WGAN's weight clipping: after each critic update every trainable critic weight is clipped to
    [-c, c]; batchnorm moving statistics are not trainable and are left alone), and
    ``frozen_d_in_g_step`` (the book's combined model: D was frozen there, so in the generator
    update its batchnorm layers used their moving averages; by default D runs in training mode), and
    ``fresh_real_per_d_step`` (the WGAN papers' algorithm: each of the ``d_steps`` updates sees its own
    real images; the dataset then yields ``d_steps`` x batch images per step, split in order (the global
    batch's parts, also on several replicas), and the generator's batch is ``g_batch_factor`` x one part), and
    ``latent`` (``"normal"``, ``"uniform"`` or ``"spheric"``: the distribution of the generator's input, see
    :mod:`gancore.latent_priors`; each is a fixed map of the same normal draw, and ``"normal"`` returns that
    draw unchanged), and ``ema_decay`` (when > 0, ``self.ema_generator`` is a frozen copy of the generator whose
    weights are an exponential moving average of the generator's, updated after every generator step: see
    :mod:`gancore.training.weight_average`; ``ema_warmup`` lowers the decay over the first steps, see
    :meth:`average_decay`).
    """

    # Discriminator update i draws its noise, label-flip coins, penalty mixing weights and fake conditions from
    # streams 4 i .. 4 i + 3; the generator update its noise and conditions from 4 d_steps and 4 d_steps + 1.
    NOISE_STREAMS = (("d_step", ("d_noise", "label_flip", "penalty", "d_condition")),
                     ("step", ("g_noise", "g_condition")))

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 loss: str = "non_saturating", d_steps: int = 1, g_batch_factor: int = 1,
                 label_smoothing: float = 0.0, real_label_flip: float = 0.0, gradient_penalty_weight: float = 0.0,
                 mixed_batches: bool = False, clip_value: float | None = None, frozen_d_in_g_step: bool = False,
                 fresh_real_per_d_step: bool = False, latent: str = "normal", ema_decay: float = 0.0,
                 ema_warmup: bool = False, seed: int = 0,
                 **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.loss_name = loss
        self.d_loss_fn, self.g_loss_fn = gan_losses.get_losses(loss)
        self.d_steps = d_steps
        self.g_batch_factor = g_batch_factor
        self.label_smoothing = label_smoothing
        self.real_label_flip = real_label_flip
        self.gradient_penalty_weight = gradient_penalty_weight
        self.mixed_batches = mixed_batches
        self.clip_value = clip_value
        self.frozen_d_in_g_step = frozen_d_in_g_step
        self.fresh_real_per_d_step = fresh_real_per_d_step
        self.latent = latent_priors.check_latent(latent)
        if not 0.0 <= ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), got {ema_decay}")
        self.ema_decay = float(ema_decay)
        self.ema_warmup = ema_warmup
        self.ema_generator = averaged_copy(generator) if ema_decay else None
        if (label_smoothing or real_label_flip) and loss not in ("minimax", "non_saturating"):
            raise ValueError(f"label_smoothing and real_label_flip need a cross-entropy loss, not {loss!r}")
        self.noise_seed = seed
        self.track("d_loss", "g_loss", "d_acc")

    def call(self, z, training: bool = False):
        return self.generator(z, training=training)

    def noise(self, batch_size, stream: int) -> tf.Tensor:
        """The generator's input for ``stream`` (see :meth:`stream`) in this step."""
        z = self.step_normal((batch_size, self.latent_dim), stream)
        return z if self.latent == "normal" else latent_priors.to_latent(z, self.latent)

    def _uniform(self, batch_size, stream: int) -> tf.Tensor:
        """U(0, 1) per example from the same stateless stream as the noise (a function of the step)."""
        z = self.step_normal((batch_size, 1), stream)
        return 0.5 * (1.0 + tf.math.erf(z / tf.sqrt(2.0)))

    def discriminator_loss(self, real_logits, fake_logits, uniform=None):
        if self.loss_name not in ("minimax", "non_saturating"):
            return self.d_loss_fn(real_logits, fake_logits)
        if not self.real_label_flip:
            return self.d_loss_fn(real_logits, fake_logits, label_smoothing=self.label_smoothing)
        keep = tf.cast(uniform >= self.real_label_flip, tf.float32)  # 0: this real image is labelled fake
        targets = keep * (1.0 - self.label_smoothing)
        return gan_losses.cross_entropy_discriminator_loss(real_logits, fake_logits, targets)

    # Hooks for conditional models (ConditionalGAN overrides them); the plain GAN has no condition.
    def split_batch(self, data):
        """(real images, their condition) from one dataset element."""
        return (data[0] if isinstance(data, (tuple, list)) else data), None

    def fake_condition(self, batch_size, stream: int):
        """The condition the generator is asked for (None for an unconditional GAN)."""
        return None

    def generate_from(self, z, condition, training: bool = True):
        return self.generator(z, training=training)

    def discriminate(self, images, condition, training: bool = True):
        return tf.cast(self.discriminator(images, training=training), tf.float32)

    def _discriminate(self, real, fake, real_condition=None, fake_condition=None):
        """D's logits on real and fake images: two batches, or one mixed batch as in the book."""
        if not self.mixed_batches:
            return self.discriminate(real, real_condition), self.discriminate(fake, fake_condition)
        n = tf.shape(real)[0]
        images = tf.concat([fake, tf.cast(real, fake.dtype)], 0)
        condition = None if real_condition is None else tf.concat([fake_condition, real_condition], 0)
        logits = self.discriminate(images, condition)
        return logits[n:], logits[:n]

    def _real_parts(self, real, condition):
        """The real images (and conditions) for each discriminator update."""
        if not self.fresh_real_per_d_step:
            return [real] * self.d_steps, [condition] * self.d_steps
        parts = split_global_batch(real, self.d_steps)  # part i of the global batch, also on several replicas
        return parts, (split_global_batch(condition, self.d_steps) if condition is not None
                       else [None] * self.d_steps)

    def train_step(self, data):
        all_real, all_real_condition = self.split_batch(data)
        real_parts, condition_parts = self._real_parts(all_real, all_real_condition)
        batch_size = tf.shape(real_parts[0])[0]

        # 1. Discriminator: push real logits up and fake logits down, `d_steps` times.
        for i in range(self.d_steps):
            real, real_condition = real_parts[i], condition_parts[i]
            fake_condition = self.fake_condition(batch_size, self.stream("d_condition", i))
            fake = self.generate_from(self.noise(batch_size, self.stream("d_noise", i)), fake_condition)
            with tf.GradientTape() as tape:
                real_logits, fake_logits = self._discriminate(real, fake, real_condition, fake_condition)
                d_loss = self.discriminator_loss(real_logits, fake_logits,
                                                 self._uniform(batch_size, self.stream("label_flip", i)))
                if self.gradient_penalty_weight:
                    alpha = tf.reshape(self._uniform(batch_size, self.stream("penalty", i)),
                                       [-1] + [1] * (len(real.shape) - 1))
                    critic = lambda x, training=True, c=real_condition: self.discriminate(x, c, training)  # noqa: E731
                    d_loss += self.gradient_penalty_weight * gan_losses.gradient_penalty(critic, real, fake, alpha)
            self._apply(self.d_optimizer, tape, d_loss, self.d_variables())
            if self.clip_value:
                for weight in self.discriminator.trainable_variables:
                    weight.assign(tf.clip_by_value(weight, -self.clip_value, self.clip_value))

        # 2. Generator: make the (now updated) discriminator call its samples real.
        z = self.noise(batch_size * self.g_batch_factor, self.stream("g_noise"))
        condition = self.fake_condition(batch_size * self.g_batch_factor, self.stream("g_condition"))
        with tf.GradientTape() as tape:
            fake_logits_g = self.discriminate(self.generate_from(z, condition), condition,
                                              training=not self.frozen_d_in_g_step)
            g_loss = self.g_loss_fn(fake_logits_g)
        self._apply(self.g_optimizer, tape, g_loss, self.g_variables())
        if self.ema_generator is not None:
            update_average(self.ema_generator, self.generator, self.average_decay())

        # 3. Report running means for the progress bar and History.
        threshold = 0.5 if self.loss_name == "least_squares" else 0.0  # LSGAN regresses to 1 (real) and 0 (fake)
        return self.report({"d_loss": d_loss, "g_loss": g_loss,
                            "d_acc": gan_losses.discriminator_accuracy(real_logits, fake_logits, threshold)})

    def average_decay(self):
        """The EMA decay for the update after the step just taken: ``ema_decay``, or with ``ema_warmup``
        ``min(ema_decay, (1 + t) / (10 + t))`` at the ``t``-th update (from 0), as ``tf.train.ExponentialMovingAverage``
        does with ``num_updates``: early on the average follows the weights instead of the initialisation."""
        if not self.ema_warmup:
            return self.ema_decay
        t = tf.cast(self.step_counter(), tf.float32) - 1.0
        return tf.minimum(self.ema_decay, (1.0 + t) / (10.0 + t))

    def generate(self, z) -> tf.Tensor:
        """Samples for latent vectors ``z`` in inference mode."""
        return self.generator(z, training=False)
