"""A VAE as a ``keras.Model`` with its loss in ``train_step`` (no graph-mode tricks needed).

Its two losses, the book's and the negative ELBO, are in :mod:`gancore.losses`.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from gancore.losses import bernoulli_elbo_loss, book_vae_loss
from gancore.training.distribute import global_draw
from gancore.training.two_player import apply_update

LOSSES = {"book": book_vae_loss, "elbo": bernoulli_elbo_loss}


class VAE(keras.Model):
    """Encoder -> reparameterised sample -> decoder, trained on ``loss`` ("book" or "elbo")."""

    def __init__(self, encoder: keras.Model, decoder: keras.Model, loss: str = "elbo", seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        if loss not in LOSSES:
            raise ValueError(f"Unknown VAE loss {loss!r}; choose one of {', '.join(LOSSES)}")
        self.encoder = encoder
        self.decoder = decoder
        self.loss_name = loss
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = [keras.metrics.Mean(name=n) for n in ("loss", "reconstruction", "kl")]

    @property
    def metrics(self):
        return list(self.trackers)

    def sample_latent(self, z_mean, z_log_var):
        """z = mean + exp(log_var / 2) * eps: the reparameterisation trick."""
        # one draw for the global batch, sliced per replica: otherwise every replica would draw the same eps
        eps = global_draw(lambda shape: keras.random.normal(shape, dtype=z_mean.dtype, seed=self.seed_generator),
                          ops.shape(z_mean))
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def call(self, images, training: bool = False):
        z_mean, z_log_var = self.encoder(images, training=training)
        return self.decoder(self.sample_latent(z_mean, z_log_var), training=training)

    def vae_losses(self, images, training: bool):
        z_mean, z_log_var = self.encoder(images, training=training)
        reconstruction = self.decoder(self.sample_latent(z_mean, z_log_var), training=training)
        # losses in float32 even when the networks compute in float16 (mixed precision)
        as32 = lambda t: ops.cast(t, "float32")
        return LOSSES[self.loss_name](as32(images), as32(reconstruction), as32(z_mean), as32(z_log_var))

    def _report(self, values):
        for tracker, value in zip(self.trackers, values):
            tracker.update_state(value)
        return {t.name: t.result() for t in self.trackers}

    def train_step(self, data):
        images = data[0] if isinstance(data, (tuple, list)) else data
        with tf.GradientTape() as tape:
            values = self.vae_losses(images, training=True)
        apply_update(self.optimizer, tape, values[0], self.trainable_variables)
        return self._report(values)

    def test_step(self, data):
        images = data[0] if isinstance(data, (tuple, list)) else data
        return self._report(self.vae_losses(images, training=False))
