"""ACGAN (Odena, Olah and Shlens, 2017): a class-conditional generator and a discriminator with two heads."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from gancore import losses as gan_losses
from gancore.training.conditional import ConditionalGAN
from gancore.training.weight_average import update_average


class ACGAN(ConditionalGAN):
    """ACGAN: G(z, c) draws class c; D(x) sees the image only and returns a real/fake logit and class logits.

    Each ``train_step`` is one iteration of the book's loop:

    1. D update on ``batch`` real images with their true classes and ``batch`` generated images labelled with the
       class they were asked for: ``d_loss_weights[0]`` x BCE(real/fake) + ``d_loss_weights[1]`` x CCE(class),
       each averaged over the whole batch (the book: 0.5 and 0.5, one mixed batch of 50 + 50);
    2. G update on ``g_batch_factor`` x ``batch`` noise vectors with uniformly drawn classes: BCE(real target)
       + CCE(requested class), weights ``g_loss_weights`` (the book: 1 and 1).

    Options from :class:`~gancore.training.gan.GAN` that apply: ``mixed_batches`` (the book's single D batch of
    fakes and reals), ``frozen_d_in_g_step`` (the book's combined model froze D, so its batchnorm used moving
    statistics in the G update), ``g_batch_factor``, ``label_smoothing`` (real target 1 - s) and ``seed``.
    ``fakes_from_inference_generator`` generates the D step's fakes with G in inference mode, as a Keras
    ``generator.predict`` call would (G's batchnorm then uses its moving statistics there); off by default.

    Logged: ``d_loss``, ``g_loss``, ``d_acc`` (real/fake accuracy on the D batch), ``class_acc`` (class accuracy
    on the whole D batch, the book's "D-Acc-Classification"), ``real_class_acc`` and ``fake_class_acc`` (its two
    halves), and ``g_class_loss`` (the class term of the generator loss).
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int, num_classes: int = 10,
                 d_loss_weights: tuple[float, float] = (0.5, 0.5), g_loss_weights: tuple[float, float] = (1.0, 1.0),
                 fakes_from_inference_generator: bool = False, **kwargs):
        unsupported = {k: kwargs[k] for k in ("loss", "d_steps", "real_label_flip", "gradient_penalty_weight",
                                                "clip_value", "fresh_real_per_d_step")
                       if k in kwargs and kwargs[k] not in ("non_saturating", 1, 0, 0.0, None, False)}
        if unsupported:
            raise ValueError(f"ACGAN trains with the book's cross-entropy losses and one D update per step; "
                             f"unsupported options: {unsupported}")
        super().__init__(generator, discriminator, latent_dim, num_classes=num_classes, **kwargs)
        self.d_loss_weights = tuple(float(w) for w in d_loss_weights)
        self.g_loss_weights = tuple(float(w) for w in g_loss_weights)
        self.fakes_from_inference_generator = fakes_from_inference_generator
        self.track("class_acc", "real_class_acc", "fake_class_acc", "g_class_loss")

    def discriminate(self, images, condition=None, training: bool = True):
        """(real/fake logits [N, 1], class logits [N, K]); D never sees the class it is told."""
        source, classes = self.discriminator(images, training=training)
        return tf.cast(source, tf.float32), tf.cast(classes, tf.float32)

    def _discriminate_both(self, real, fake):
        """D's two heads on reals and on fakes: two batches, or one mixed batch (fakes first) as in the book."""
        if not self.mixed_batches:
            return self.discriminate(real), self.discriminate(fake)
        n = tf.shape(fake)[0]
        source, classes = self.discriminate(tf.concat([fake, tf.cast(real, fake.dtype)], 0))
        return (source[n:], classes[n:]), (source[:n], classes[:n])

    def train_step(self, data):
        real, real_classes = self.split_batch(data)
        batch_size = tf.shape(real)[0]

        # 1. Discriminator: reals (true classes) -> real, fakes (the classes asked for) -> fake.
        fake_classes = self.fake_condition(batch_size, self.stream("d_condition"))
        fake = self.generate_from(self.noise(batch_size, self.stream("d_noise")), fake_classes,
                                  training=not self.fakes_from_inference_generator)
        with tf.GradientTape() as tape:
            (real_logits, real_class_logits), (fake_logits, fake_class_logits) = self._discriminate_both(real, fake)
            d_loss = gan_losses.acgan_discriminator_loss(
                real_logits, fake_logits, real_class_logits, fake_class_logits, real_classes, fake_classes,
                *self.d_loss_weights, label_smoothing=self.label_smoothing)
        self._apply(self.d_optimizer, tape, d_loss, self.d_variables())

        # 2. Generator: images that D calls real *and* assigns to the requested class.
        z = self.noise(batch_size * self.g_batch_factor, self.stream("g_noise"))
        classes = self.fake_condition(batch_size * self.g_batch_factor, self.stream("g_condition"))
        with tf.GradientTape() as tape:
            fake_g = self.generate_from(z, classes)
            logits, class_logits = self.discriminate(fake_g, training=not self.frozen_d_in_g_step)
            g_loss = gan_losses.acgan_generator_loss(logits, class_logits, classes, *self.g_loss_weights)
        self._apply(self.g_optimizer, tape, g_loss, self.g_variables())
        if self.ema_generator is not None:
            update_average(self.ema_generator, self.generator, self.average_decay())

        # 3. Report running means for the progress bar and History.
        real_acc = gan_losses.class_accuracy(real_class_logits, real_classes)
        fake_acc = gan_losses.class_accuracy(fake_class_logits, fake_classes)
        return self.report({
            "d_loss": d_loss, "g_loss": g_loss, "d_acc": gan_losses.discriminator_accuracy(real_logits, fake_logits),
            "class_acc": 0.5 * (real_acc + fake_acc),  # equal halves: the whole batch's accuracy
            "real_class_acc": real_acc, "fake_class_acc": fake_acc,
            "g_class_loss": tf.reduce_mean(gan_losses.class_cross_entropy(class_logits, classes)),
        })

    def classify(self, images, batch_size: int = 500) -> np.ndarray:
        """The auxiliary classifier's predicted class for images in the training range, in inference mode."""
        predictions = []
        for start in range(0, len(images), batch_size):
            _, class_logits = self.discriminate(tf.convert_to_tensor(images[start: start + batch_size], tf.float32),
                                                training=False)
            predictions.append(np.argmax(class_logits.numpy(), axis=-1))
        return np.concatenate(predictions) if predictions else np.zeros((0,), int)
