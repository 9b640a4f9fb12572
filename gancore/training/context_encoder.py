"""Context encoder (Pathak et al., 2016): fill a hole from its surroundings with an L2 + adversarial loss."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from gancore import losses as gan_losses
from gancore.data.holes import crop_hole, mask_hole, paste_hole, random_offsets
from gancore.training.distribute import replica_count, replica_slice
from gancore.training.two_player import TwoPlayerModel

BOOK_LOSS_WEIGHTS = (0.999, 0.001)  # reconstruction (MSE on the hole), adversarial


def discriminator_loss(real_logits, fake_logits):
    """The book's D loss: the mean of BCE(real patches -> 1) and BCE(generated patches -> 0), i.e. half the
    minimax loss (the book averaged its two ``train_on_batch`` losses)."""
    return 0.5 * gan_losses.minimax_discriminator_loss(real_logits, fake_logits)


def generator_loss(predicted, target, fake_logits, weights=BOOK_LOSS_WEIGHTS):
    """(total, mse, adversarial): ``weights[0]`` x MSE(hole) + ``weights[1]`` x BCE(D(G(x)) -> real); the MSE
    is over the hole's pixels and channels (the book's ``'mse'``, in [-1, 1] units)."""
    mse = gan_losses.mean_squared_error(tf.cast(predicted, tf.float32), tf.cast(target, tf.float32))
    adv = gan_losses.non_saturating_generator_loss(fake_logits)
    return weights[0] * mse + weights[1] * adv, mse, adv


class ContextEncoder(TwoPlayerModel):
    """Generator: masked image -> the hole's content; discriminator: a hole-sized patch -> a real/fake logit.

    The dataset yields whole images in [-1, 1]; each ``train_step`` cuts the hole itself:

    1. the hole (``hole`` x ``hole``) is at the centre (``position="centre"``) or, as in the book, at a random
       place per image (``position="random"``, top-left uniform in 0..size - hole, a pure function of the seed and
       the step, so a resumed run draws the same holes); the masked input holds 0 (mid-grey) there;
    2. discriminator update: real hole contents -> real, the generator's patches -> fake (separate batches),
       loss the mean of the two BCEs as the book's two ``train_on_batch`` calls reported it;
    3. generator update: ``loss_weights[0]`` x MSE(patch, true content) + ``loss_weights[1]`` x BCE(D(patch) ->
       real), the book's 0.999 / 0.001. ``frozen_d_in_g_step`` runs D in inference mode there, as the book's
       combined model with the frozen D (its batchnorm used moving statistics).

    Logged: ``d_loss``, ``g_loss`` (the weighted total), ``g_mse``, ``g_adv`` and ``d_acc`` (real/fake accuracy of
    D on the step's patches). A NaN or inf in any of them stops :func:`~gancore.training.fitting.fit_steps` via
    its :class:`~gancore.training.callbacks.NaNGuard`, naming the step and the loss.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, hole: int = 16, position: str = "centre",
                 loss_weights: tuple[float, float] = BOOK_LOSS_WEIGHTS, frozen_d_in_g_step: bool = False,
                 seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        if position not in ("centre", "random"):
            raise ValueError(f"position must be 'centre' or 'random', not {position!r}")
        out_shape = tuple(generator.output.shape[1:3])
        if out_shape != (hole, hole) or tuple(discriminator.input.shape[1:3]) != (hole, hole):
            raise ValueError(f"hole {hole}: the generator returns {out_shape} patches and the discriminator reads "
                             f"{tuple(discriminator.input.shape[1:3])}")
        self.generator = generator
        self.discriminator = discriminator
        self.hole = hole
        self.image_size = int(generator.input.shape[1])
        self.position = position
        self.loss_weights = tuple(float(w) for w in loss_weights)
        self.frozen_d_in_g_step = frozen_d_in_g_step
        self.seed = seed
        self.track("d_loss", "g_loss", "g_mse", "g_adv", "d_acc")

    def offsets(self, batch_size):
        """(top, left) of each image's hole in this step: None, None for the centre."""
        if self.position == "centre":
            return None, None
        seed = tf.stack([tf.constant(self.seed, tf.int64), tf.cast(self.step_counter(), tf.int64)])
        top, left = random_offsets(batch_size * replica_count(), self.image_size, self.hole, seed)
        return replica_slice(top, batch_size), replica_slice(left, batch_size)

    def call(self, masked, training: bool = False):
        return self.generator(masked, training=training)

    def train_step(self, data):
        real = tf.cast(data[0] if isinstance(data, (tuple, list)) else data, tf.float32)
        top, left = self.offsets(tf.shape(real)[0])
        masked = mask_hole(real, self.hole, top, left)
        target = crop_hole(real, self.hole, top, left)

        # 1. Discriminator: true hole contents -> real, generated patches -> fake.
        fake = self.generator(masked, training=True)
        with tf.GradientTape() as tape:
            real_logits = tf.cast(self.discriminator(target, training=True), tf.float32)
            fake_logits = tf.cast(self.discriminator(fake, training=True), tf.float32)
            d_loss = discriminator_loss(real_logits, fake_logits)
        self._apply(self.d_optimizer, tape, d_loss, self.d_variables())

        # 2. Generator: close to the true content (MSE) and called real by the discriminator.
        with tf.GradientTape() as tape:
            predicted = self.generator(masked, training=True)
            logits = tf.cast(self.discriminator(predicted, training=not self.frozen_d_in_g_step), tf.float32)
            g_loss, mse, adv = generator_loss(predicted, target, logits, self.loss_weights)
        self._apply(self.g_optimizer, tape, g_loss, self.g_variables())

        # 3. Report running means for the progress bar and History.
        return self.report({"d_loss": d_loss, "g_loss": g_loss, "g_mse": mse, "g_adv": adv,
                            "d_acc": gan_losses.discriminator_accuracy(real_logits, fake_logits)})

    def predict_patches(self, images, batch_size: int = 256) -> np.ndarray:
        """The generator's patches for the centred hole of ``images`` in [-1, 1] (inference mode)."""
        out = []
        for start in range(0, len(images), batch_size):
            masked = mask_hole(tf.convert_to_tensor(images[start : start + batch_size], tf.float32), self.hole)
            out.append(self.generator(masked, training=False).numpy())
        return np.concatenate(out) if out else np.zeros((0, self.hole, self.hole, 3), "float32")

    def inpaint(self, images, batch_size: int = 256) -> np.ndarray:
        """``images`` in [-1, 1] with their centred hole replaced by the generator's patch."""
        patches = self.predict_patches(images, batch_size)
        return paste_hole(tf.convert_to_tensor(images, tf.float32), patches).numpy()
