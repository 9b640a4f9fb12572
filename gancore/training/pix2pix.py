"""Pix2Pix (Isola et al., 2016) as the book trains it: U-Net G, conditional PatchGAN D, least squares + 100 x L1."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from gancore import losses as gan_losses
from gancore.data.images import rgb_to_grey
from gancore.training.two_player import TwoPlayerModel

BOOK_L1_WEIGHT = 100.0
BOOK_ADVERSARIAL_WEIGHT = 1.0


def discriminator_loss(real_patches, fake_patches):
    """The book's D loss: MSE of real patches against 1 and of fake patches against 0, averaged over the two
    (its two ``train_on_batch`` losses were averaged): 0.5 E[(D(x, y) - 1)^2] + 0.5 E[D(x, G(x))^2]
    (:func:`gancore.losses.least_squares_discriminator_loss` in float32)."""
    return gan_losses.least_squares_discriminator_loss(tf.cast(real_patches, tf.float32),
                                                       tf.cast(fake_patches, tf.float32))


def generator_loss(predicted, target, fake_patches, adversarial_weight=BOOK_ADVERSARIAL_WEIGHT,
                   l1_weight=BOOK_L1_WEIGHT):
    """(total, l1, adversarial): the book's combined model, ``loss=['mse', 'mae']``, ``loss_weights=[1, 100]``.

    adversarial = E[(D(x, G(x)) - 1)^2] (Keras 'mse' against all-ones patches: no factor 1/2),
    l1 = E|G(x) - y| in [-1, 1] units."""
    l1 = gan_losses.mean_absolute_error(tf.cast(predicted, tf.float32), tf.cast(target, tf.float32))
    adv = gan_losses.real_target_mse(tf.cast(fake_patches, tf.float32))
    return adversarial_weight * adv + l1_weight * l1, l1, adv


class Pix2Pix(TwoPlayerModel):
    """Conditional GAN on (source, target) pairs. The PatchGAN takes ``[source, image]`` (two inputs, concatenated
    along channels inside the book's D) and returns a map of linear patch scores.

    The dataset yields either ``(source, target)`` pairs or colour images alone; for the latter the source is
    their BT.601 grey (:func:`gancore.chapters.colourise.rgb_to_grey`), as the book makes its pairs on the fly. Each
    ``train_step``:

    1. discriminator (skipped when ``adversarial_weight == 0``): real pairs -> 1, generated pairs -> 0, least
       squares, one update on the two halves (the book's two ``train_on_batch`` calls were two updates);
    2. generator: ``adversarial_weight`` x E[(D(x, G(x)) - 1)^2] + ``l1_weight`` x E|G(x) - y|. With
       ``frozen_d_in_g_step`` D runs in inference mode there, as the book's combined model with the frozen D.

    ``adversarial_weight=0`` is the L1-only baseline of the pix2pix paper's ablation: the same U-Net, and the
    discriminator is **neither updated nor called** (its weights stay at their initial values); ``d_loss``,
    ``g_adv`` and ``d_acc`` are logged as 0. Logged otherwise: ``d_loss``, ``g_loss`` (weighted total), ``g_l1``
    ([-1, 1] units), ``g_adv`` and ``d_acc`` (share of patch scores on the right side of 0.5, like the book's
    Keras binary accuracy).
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model,
                 adversarial_weight: float = BOOK_ADVERSARIAL_WEIGHT, l1_weight: float = BOOK_L1_WEIGHT,
                 frozen_d_in_g_step: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.adversarial_weight = float(adversarial_weight)
        self.l1_weight = float(l1_weight)
        self.frozen_d_in_g_step = frozen_d_in_g_step
        self.track("d_loss", "g_loss", "g_l1", "g_adv", "d_acc")

    def call(self, source, training: bool = False):
        return self.generator(source, training=training)

    @staticmethod
    def split_batch(data):
        if isinstance(data, (tuple, list)) and len(data) == 2:
            return tf.cast(data[0], tf.float32), tf.cast(data[1], tf.float32)
        target = tf.cast(data[0] if isinstance(data, (tuple, list)) else data, tf.float32)
        return rgb_to_grey(target), target

    def train_step(self, data):
        source, target = self.split_batch(data)
        zero = tf.constant(0.0)
        d_loss, d_acc = zero, zero
        if self.adversarial_weight != 0:
            # 1. Discriminator: (source, real colour) -> 1, (source, generated colour) -> 0.
            fake = self.generator(source, training=True)
            with tf.GradientTape() as tape:
                real_patches = tf.cast(self.discriminator([source, target], training=True), tf.float32)
                fake_patches = tf.cast(self.discriminator([source, fake], training=True), tf.float32)
                d_loss = discriminator_loss(real_patches, fake_patches)
            self._apply(self.d_optimizer, tape, d_loss, self.d_variables())
            d_acc = gan_losses.discriminator_accuracy(real_patches, fake_patches, threshold=0.5)

        # 2. Generator: close to the true colours (L1) and, if weighted, called real by the discriminator.
        with tf.GradientTape() as tape:
            predicted = self.generator(source, training=True)
            if self.adversarial_weight != 0:
                patches = self.discriminator([source, predicted], training=not self.frozen_d_in_g_step)
                g_loss, l1, adv = generator_loss(predicted, target, patches, self.adversarial_weight, self.l1_weight)
            else:
                l1 = gan_losses.mean_absolute_error(tf.cast(predicted, tf.float32), target)
                adv = zero
                g_loss = self.l1_weight * l1
        self._apply(self.g_optimizer, tape, g_loss, self.g_variables())

        # 3. Report running means for the progress bar and History.
        return self.report({"d_loss": d_loss, "g_loss": g_loss, "g_l1": l1, "g_adv": adv, "d_acc": d_acc})

    def colourise(self, grey, batch_size: int = 64) -> np.ndarray:
        """Generator outputs (inference mode) for grey sources (N, S, S, 1) in [-1, 1]."""
        out = [self.generator(tf.convert_to_tensor(grey[i : i + batch_size], tf.float32), training=False).numpy()
               for i in range(0, len(grey), batch_size)]
        return np.concatenate(out) if out else np.zeros((0,) + tuple(grey.shape[1:3]) + (3,), "float32")
