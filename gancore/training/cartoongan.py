"""The book's custom CartoonGAN (Skill 9): U-Net G with a VGG "style" input, PatchGAN D, edge-smoothed negatives.

Generator loss, the book's ``compile(loss=['mse', content, content], loss_weights=[1, 1, 0.1])``:

    1 x E[(D(G(x, s)) - 1)^2]                        adversarial (LSGAN, all-ones 8x8 patches)
  + 1 x E|VGG(G(x, s)) - VGG(sharp(x))|              content: keep the (unsharp-masked) selfie
  + 0.1 x E|VGG(G(x, s)) - VGG(cartoon)|             "style": look like the cartoon whose features are s

with ``s = VGG(cartoon)`` (block4_conv4). The CartoonGAN paper has ``L_adv + w L_con``, w = 10, and no third term:
``loss_weights=(1, 10, 0)`` (:data:`PAPER_LOSS_WEIGHTS`). The discriminator loss is the mean of three MSEs:
real (sharpened) cartoons -> 1, edge-smoothed cartoons -> 0, generated images -> 0.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from gancore import losses as gan_losses
from gancore.models.vgg_features import VGGFeatures
from gancore.training.two_player import TwoPlayerModel

BOOK_LOSS_WEIGHTS = (1.0, 1.0, 0.1)  # adversarial, content (vs the sharpened selfie), style (vs the cartoon)
PAPER_LOSS_WEIGHTS = (1.0, 10.0, 0.0)  # Chen et al. 2018: L_adv + 10 L_con


def discriminator_loss(real_patches, smooth_patches, fake_patches) -> tf.Tensor:
    """The book's D loss: the mean of its three ``train_on_batch`` MSE losses, real cartoons against 1 and
    edge-smoothed cartoons and generated images against 0 (:func:`gancore.losses.edge_smoothed_discriminator_loss`
    in float32)."""
    return gan_losses.edge_smoothed_discriminator_loss(*(tf.cast(p, tf.float32)
                                                         for p in (real_patches, smooth_patches, fake_patches)))


def generator_loss(fake_patches, fake_features, content_features, style_features,
                   loss_weights=BOOK_LOSS_WEIGHTS) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
    """(total, adversarial, content, style): ``w_adv E[(D - 1)^2] + w_content E|F(G) - F(photo)|
    + w_style E|F(G) - F(cartoon)|`` (Keras 'mse' and 'mean_absolute_error': plain means, no 1/2)."""
    w_adv, w_content, w_style = (float(w) for w in loss_weights)
    fake_features = tf.cast(fake_features, tf.float32)
    adv = gan_losses.real_target_mse(tf.cast(fake_patches, tf.float32))
    content = gan_losses.mean_absolute_error(fake_features, tf.cast(content_features, tf.float32))
    style = gan_losses.mean_absolute_error(fake_features, tf.cast(style_features, tf.float32))
    return w_adv * adv + w_content * content + w_style * style, adv, content, style


class CartoonGAN(TwoPlayerModel):
    """Unpaired photo -> cartoon translation as the book trains it.

    Each dataset element is ``(photo, photo_target, cartoon, smooth_cartoon)`` in [-1, 1] (batches of photos
    and cartoons drawn independently), optionally with a fifth item, the style input; without it the style is
    ``features(cartoon)``, as the book computes it every step. ``photo_target`` is the unsharp-masked photo in the
    book (the content target); ``cartoon`` the unsharp-masked cartoon; ``smooth_cartoon`` its edge-smoothed,
    unsharpened version. Each ``train_step``:

    1. discriminator: cartoons -> 1, smoothed cartoons -> 0, G's outputs -> 0; the mean of the three MSEs, one
       update (the book: three ``train_on_batch`` calls, three updates);
    2. generator: :func:`generator_loss` with ``loss_weights``, D frozen (inference mode) as in the book's
       combined model. The feature extractor is frozen and never trained. ``loss_space="pixels"`` takes the
       content and style L1s on the images instead of their features (the style input stays features).

    Logged: ``d_loss``, ``g_loss`` (weighted total), ``g_adv``, ``g_content``, ``g_style`` and ``d_acc`` (share of
    the three patch maps on the right side of 0.5, like the book's Keras accuracy).
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, features: VGGFeatures,
                 loss_weights=BOOK_LOSS_WEIGHTS, loss_space: str = "features", **kwargs):
        super().__init__(**kwargs)
        if loss_space not in ("features", "pixels"):
            raise ValueError(f"loss_space must be 'features' or 'pixels', got {loss_space!r}")
        self.generator = generator
        self.discriminator = discriminator
        self.features = features
        self.loss_space = loss_space
        self.loss_weights = tuple(float(w) for w in loss_weights)
        if len(self.loss_weights) != 3:
            raise ValueError("loss_weights = (adversarial, content, style)")
        self.track("d_loss", "g_loss", "g_adv", "g_content", "g_style", "d_acc")

    def call(self, inputs, training: bool = False):
        photo, style = inputs
        return self.generator([photo, style], training=training)

    def train_step(self, data):
        photo, photo_target, cartoon, smooth = (tf.cast(x, tf.float32) for x in data[:4])
        n = tf.shape(photo)[0]
        both = tf.stop_gradient(self.features(tf.concat([cartoon, photo_target], 0)))  # one pass, frozen
        cartoon_features, target_features = both[:n], both[n:]
        style = tf.cast(data[4], tf.float32) if len(data) > 4 else cartoon_features

        # 1. Discriminator: sharpened cartoons -> 1, edge-smoothed cartoons -> 0, generated -> 0.
        fake = tf.cast(self.generator([photo, style], training=True), tf.float32)  # float16 under mixed precision
        with tf.GradientTape() as tape:
            # one call on the three batches: instance norm is per image, so this equals three separate calls
            patches = tf.cast(self.discriminator(tf.concat([cartoon, smooth, fake], 0), training=True), tf.float32)
            real_p, smooth_p, fake_p = patches[:n], patches[n : 2 * n], patches[2 * n :]
            d_loss = discriminator_loss(real_p, smooth_p, fake_p)
        self._apply(self.d_optimizer, tape, d_loss, self.d_variables())
        d_acc = (tf.reduce_mean(tf.cast(real_p > 0.5, tf.float32)) + tf.reduce_mean(tf.cast(smooth_p < 0.5, tf.float32))
                 + tf.reduce_mean(tf.cast(fake_p < 0.5, tf.float32))) / 3.0

        # 2. Generator through the frozen D and the frozen feature extractor.
        with tf.GradientTape() as tape:
            fake = self.generator([photo, style], training=True)
            patches = self.discriminator(fake, training=False)
            if self.loss_space == "features":
                g_loss, adv, content, style_term = generator_loss(patches, self.features(fake), target_features,
                                                                  cartoon_features, self.loss_weights)
            else:  # the L1s on the images themselves (an offline substitute for the perceptual loss)
                g_loss, adv, content, style_term = generator_loss(patches, fake, photo_target, cartoon,
                                                                  self.loss_weights)
        self._apply(self.g_optimizer, tape, g_loss, self.g_variables())

        # 3. Report running means for the progress bar and History.
        return self.report({"d_loss": d_loss, "g_loss": g_loss, "g_adv": adv, "g_content": content,
                            "g_style": style_term, "d_acc": d_acc})

    def style_of(self, cartoons, batch_size: int = 64) -> np.ndarray:
        """Style inputs (feature maps) of cartoons in [-1, 1]."""
        out = [self.features(tf.convert_to_tensor(cartoons[i : i + batch_size], tf.float32)).numpy()
               for i in range(0, len(cartoons), batch_size)]
        return np.concatenate(out)

    def translate(self, photos, styles, batch_size: int = 64) -> np.ndarray:
        """Generator outputs (inference mode, [-1, 1]) for photos in [-1, 1] and one style map per photo."""
        out = [self.generator([tf.convert_to_tensor(photos[i : i + batch_size], tf.float32),
                               tf.convert_to_tensor(styles[i : i + batch_size], tf.float32)], training=False).numpy()
               for i in range(0, len(photos), batch_size)]
        return np.concatenate(out)
