"""A GAN as a ``keras.Model``: two networks, two optimizers, one ``train_step`` per iteration."""

from __future__ import annotations

import keras
import tensorflow as tf

from gancore import losses as gan_losses
from gancore.training.distribute import scale_loss, step_noise, with_loss_scaling


class GAN(keras.Model):
    """Unconditional GAN trained with ``fit()``.

    Each ``train_step`` runs ``d_steps`` discriminator updates (on the same real batch, fresh
    noise each time) and then one generator update on ``g_batch_factor`` x batch noise vectors.
    The noise is a pure function of ``(seed, step)``, so a resumed run matches an uninterrupted one.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 loss: str = "non_saturating", d_steps: int = 1, g_batch_factor: int = 1,
                 label_smoothing: float = 0.0, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.loss_name = loss
        self.d_loss_fn, self.g_loss_fn = gan_losses.get_losses(loss)
        self.d_steps = d_steps
        self.g_batch_factor = g_batch_factor
        self.label_smoothing = label_smoothing
        self.noise_seed = seed
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_acc_tracker = keras.metrics.Mean(name="d_acc")

    def compile(self, d_optimizer: keras.optimizers.Optimizer, g_optimizer: keras.optimizers.Optimizer,
                **kwargs) -> None:
        """Attach one optimizer per network and build both now (inside the strategy scope).

        Building them before ``fit`` creates their slot variables, so checkpoints save and restore
        them and MirroredStrategy does not meet lazily created variables.
        """
        if d_optimizer is g_optimizer:
            raise ValueError("Pass two optimizer instances: the discriminator and generator must not share one.")
        # Keras' own `optimizer` slot is unused; give it the generator's so it is not a stray RMSprop.
        d_optimizer, g_optimizer = with_loss_scaling(d_optimizer), with_loss_scaling(g_optimizer)
        super().compile(optimizer=g_optimizer, **kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        self.built = True  # both networks are built; callbacks such as BackupAndRestore require it

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_acc_tracker]

    def call(self, z, training: bool = False):
        return self.generator(z, training=training)

    def step_counter(self) -> tf.Variable:
        """The training step: the number of generator updates so far (restored with checkpoints)."""
        return self.g_optimizer.iterations

    def noise(self, batch_size, stream: int) -> tf.Tensor:
        streams = self.d_steps + 1
        return step_noise((batch_size, self.latent_dim), self.noise_seed, self.step_counter(), stream, streams)

    def discriminator_loss(self, real_logits, fake_logits):
        if self.loss_name in ("minimax", "non_saturating"):
            return self.d_loss_fn(real_logits, fake_logits, label_smoothing=self.label_smoothing)
        return self.d_loss_fn(real_logits, fake_logits)

    def train_step(self, data):
        real = data[0] if isinstance(data, (tuple, list)) else data
        batch_size = tf.shape(real)[0]

        # 1. Discriminator: push real logits up and fake logits down, `d_steps` times.
        for i in range(self.d_steps):
            fake = self.generator(self.noise(batch_size, i), training=True)
            with tf.GradientTape() as tape:
                real_logits = tf.cast(self.discriminator(real, training=True), tf.float32)
                fake_logits = tf.cast(self.discriminator(fake, training=True), tf.float32)
                d_loss = self.discriminator_loss(real_logits, fake_logits)
                scaled = self.d_optimizer.scale_loss(scale_loss(d_loss))
            grads = tape.gradient(scaled, self.discriminator.trainable_variables)
            self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_variables))

        # 2. Generator: make the (now updated) discriminator call its samples real.
        z = self.noise(batch_size * self.g_batch_factor, self.d_steps)
        with tf.GradientTape() as tape:
            fake_logits_g = tf.cast(self.discriminator(self.generator(z, training=True), training=True), tf.float32)
            g_loss = self.g_loss_fn(fake_logits_g)
            scaled = self.g_optimizer.scale_loss(scale_loss(g_loss))
        grads = tape.gradient(scaled, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables))

        # 3. Report running means for the progress bar and History.
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_acc_tracker.update_state(gan_losses.discriminator_accuracy(real_logits, fake_logits))
        return {m.name: m.result() for m in self.metrics}

    def generate(self, z) -> tf.Tensor:
        """Samples for latent vectors ``z`` in inference mode."""
        return self.generator(z, training=False)
