"""Class-conditional GANs: the generator and the discriminator both receive the class (CGAN)."""

from __future__ import annotations

import tensorflow as tf

from gancore.training.gan import GAN


class ConditionalGAN(GAN):
    """CGAN (Mirza and Osindero, 2014): G(z, y) and D(x, y) with y a one-hot class vector.

    The dataset yields ``(images, integer labels)``; the classes asked of the generator are drawn
    uniformly, as a pure function of the step like the noise. Every option of :class:`GAN` (losses,
    d_steps, label smoothing, mixed batches, gradient penalty) works the same way.
    """

    def __init__(self, generator, discriminator, latent_dim: int, num_classes: int = 10, **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.num_classes = num_classes

    def one_hot(self, labels) -> tf.Tensor:
        return tf.one_hot(tf.cast(labels, tf.int32), self.num_classes)

    def split_batch(self, data):
        images, labels = data
        return images, self.one_hot(tf.reshape(labels, [-1]))

    def fake_condition(self, batch_size, stream: int):
        uniform = self._uniform(batch_size, stream)[:, 0]
        return self.one_hot(tf.minimum(tf.cast(uniform * self.num_classes, tf.int32), self.num_classes - 1))

    def generate_from(self, z, condition, training: bool = True):
        return self.generator([z, condition], training=training)

    def discriminate(self, images, condition, training: bool = True):
        return tf.cast(self.discriminator([images, condition], training=training), tf.float32)

    def generate(self, z, labels, averaged: bool = False) -> tf.Tensor:
        """Samples of the given classes for latent vectors ``z``, in inference mode; ``averaged`` draws them
        with the weight average (``ema_generator``, needs ``ema_decay`` > 0) instead of the last weights."""
        network = self.generator
        if averaged:
            if self.ema_generator is None:
                raise ValueError("averaged=True needs a ConditionalGAN built with ema_decay > 0")
            network = self.ema_generator
        return network([tf.convert_to_tensor(z, tf.float32), self.one_hot(labels)], training=False)
