"""SRGAN (Ledig et al., 2017) as the book trains it: content loss on VGG19 features + 0.001 x adversarial.

The book's set-up, and what this module does about each of its quirks:

- D ends on a sigmoid and is trained with **MSE** against 1 (real) and 0 (generated) on its 16x16 patch map;
  here the discriminator returns logits and :func:`discriminator_loss` applies the sigmoid, then the book's MSE;
- the generator's adversarial term is **binary cross-entropy** (``loss=['binary_crossentropy', 'mse']``), so G and
  D optimise different objectives. ``adversarial="book"`` keeps that; ``adversarial="least_squares"`` gives G the
  objective D was trained with, E[(sigmoid(D(G(x))) - 1)^2];
- the content loss is the MSE between VGG19 ``block3_conv4`` features of G(x) and of the true image, with the
  [-1, 1] images fed to VGG as they are (no ``preprocess_input``). :func:`vgg19_content_extractor` builds the
  feature network with the correct preprocessing (``preprocess=True``) or the book's (``False``), and with the
  ImageNet weights when they are on this machine, else an honest stand-in that says what it is;
- one Adam shared by D and the combined model: here two optimizers
  (:meth:`~gancore.training.two_player.TwoPlayerModel.compile`).

``pixel_loss_only=True`` is the SRResNet-style baseline: the same generator trained on pixel MSE alone; the
discriminator is neither called nor updated and ``d_loss``/``g_adv``/``d_acc`` are logged as 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from gancore import losses as gan_losses
from gancore.models import vgg_features
from gancore.training.two_player import TwoPlayerModel

BOOK_ADVERSARIAL_WEIGHT = 1e-3
BOOK_CONTENT_LAYER = "block3_conv4"
BOOK_VGG_TRUNK_PARAMS = 2_325_568  # VGG19 up to block3_conv4
ADVERSARIAL_FORMS = ("book", "least_squares")


# --------------------------------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------------------------------
def discriminator_loss(real_logits, fake_logits):
    """The book's D loss: MSE of sigmoid(D) against 1 on real and 0 on generated patches, averaged over the two
    (its two ``train_on_batch`` losses): 0.5 E[(s(D(y)) - 1)^2] + 0.5 E[s(D(G(x)))^2], i.e.
    :func:`gancore.losses.least_squares_discriminator_loss` on the sigmoid outputs."""
    return gan_losses.least_squares_discriminator_loss(ops.sigmoid(tf.cast(real_logits, tf.float32)),
                                                       ops.sigmoid(tf.cast(fake_logits, tf.float32)))


def adversarial_loss(fake_logits, form: str = "book"):
    """G's adversarial term on D's patch logits for generated images.

    ``"book"``: BCE against 1, -E[log s(D(G(x)))] (Keras ``binary_crossentropy`` on the sigmoid output; D was
    trained with MSE, so the two objectives differ). ``"least_squares"``: E[(s(D(G(x))) - 1)^2], the objective D
    was trained with (Keras ``'mse'`` against the all-ones patch)."""
    fake = tf.cast(fake_logits, tf.float32)
    if form == "book":
        return gan_losses.non_saturating_generator_loss(fake)
    if form == "least_squares":
        return gan_losses.real_target_mse(ops.sigmoid(fake))
    raise ValueError(f"adversarial form must be one of {ADVERSARIAL_FORMS}, not {form!r}")


def feature_mse(a, b):
    """Mean squared difference in float32 (Keras ``'mse'``: mean over positions and channels, no rescaling)."""
    return gan_losses.mean_squared_error(tf.cast(a, tf.float32), tf.cast(b, tf.float32))


# --------------------------------------------------------------------------------------------------------------
# The content network
# --------------------------------------------------------------------------------------------------------------
class VGGPreprocess(layers.Layer):
    """[-1, 1] RGB -> what ImageNet VGG expects (``keras.applications.vgg19.preprocess_input``, "caffe" mode):
    0..255, channels reversed to BGR, the ImageNet mean per channel subtracted (:func:`vgg_features.to_vgg_input`)."""

    def call(self, x):
        return vgg_features.to_vgg_input(x, preprocess=True)


@dataclass
class ContentExtractor:
    """The feature network used by the content loss, and what it really is."""

    model: keras.Model | None  # None: pixel space (the content loss is pixel MSE)
    kind: str  # "imagenet", "random", "pixels"
    layer: str
    preprocess: bool
    description: str

    def __call__(self, images, training: bool = False):
        return images if self.model is None else self.model(images, training=training)


def find_vgg19_weights(weights: str | Path | None = "imagenet") -> Path | None:
    """The ImageNet VGG19 (no top) weights file: ``weights`` itself if it is a path to a file, else the copy on this
    machine (:func:`vgg_features.find_vgg19_weights`: ``$GANCORE_VGG19_WEIGHTS`` or the Keras cache, ``models/`` +
    the file name Keras downloads); None if absent."""
    if weights is None:
        return None
    if str(weights) != "imagenet":
        path = Path(weights).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"VGG19 weights file {path} does not exist")
        return path
    return vgg_features.find_vgg19_weights()


def _vgg19_trunk(layer: str, weights_file: Path | None, seed: int) -> keras.Model:
    if weights_file is None:
        return vgg_features.random_vgg19_trunk(layer, seed=seed)
    base = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
    base.load_weights(str(weights_file))
    return keras.Model(base.input, base.get_layer(layer).output, name=f"vgg19_{layer}")


def vgg19_content_extractor(layer: str = BOOK_CONTENT_LAYER, weights: str | Path | None = "imagenet",
                            preprocess: bool = True, fallback: str = "random", seed: int = 0) -> ContentExtractor:
    """VGG19 features of [-1, 1] RGB images at ``layer`` (the book's ``block3_conv4``), frozen.

    ``weights="imagenet"`` uses the real ImageNet weights if the file is on this machine or Keras can download it
    (:func:`gancore.models.pretrained.imagenet_weights`); a path uses that file. If they are not available,
    ``fallback`` decides:
    ``"random"`` the same VGG19 trunk with seeded He-normal weights (a random-feature perceptual loss, much weaker
    than ImageNet features), ``"pixels"`` pixel space (the content loss becomes pixel MSE), ``"error"`` raise.
    ``preprocess=True`` applies ``vgg19.preprocess_input`` to the [-1, 1] input (the fix); ``False`` feeds the
    [-1, 1] RGB as the book does."""
    weights_file = find_vgg19_weights(weights)
    if weights_file is not None:
        kind, what = "imagenet", f"ImageNet VGG19 weights from {weights_file}"
    elif weights is not None and fallback == "error":
        raise FileNotFoundError(f"No ImageNet VGG19 weights ({vgg_features.VGG19_NOTOP_FILE} in ~/.keras/models); "
                                "pass a path")
    elif fallback == "pixels":
        return ContentExtractor(None, "pixels", "pixels", False,
                                "PIXEL-SPACE content loss (no ImageNet VGG19 weights here): the content term is "
                                "pixel MSE, so SRGAN differs from the MSE baseline only by 0.001 x adversarial")
    elif fallback == "random" or weights is None:
        kind = "random"
        what = (f"RANDOM He-normal VGG19 weights (seed {seed}): the ImageNet weights are not on this machine, so "
                "this is a random-feature perceptual loss, far weaker than the paper's and the book's")
    else:
        raise ValueError(f"fallback must be 'random', 'pixels' or 'error', not {fallback!r}")
    trunk = _vgg19_trunk(layer, weights_file, seed)
    trunk.trainable = False
    image = keras.Input((None, None, 3), name="image_pm1")
    x = VGGPreprocess(name="vgg19_preprocess")(image) if preprocess else image
    model = keras.Model(image, trunk(x), name=f"content_{layer}")
    model.trainable = False
    prep = "with vgg19.preprocess_input" if preprocess else "on raw [-1, 1] RGB (the book: no preprocess_input)"
    return ContentExtractor(model, kind, layer, preprocess, f"{layer} features, {what}, {prep}")


def pixel_extractor() -> ContentExtractor:
    """Pixel space: the content loss becomes pixel MSE."""
    return ContentExtractor(None, "pixels", "pixels", False, "pixel space (content loss = pixel MSE)")


# --------------------------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------------------------
class SRGAN(TwoPlayerModel):
    """Generator: low-resolution [-1, 1] RGB -> 4x larger; discriminator: high-resolution image -> patch logits.

    The dataset yields ``(low_res, high_res)`` pairs in [-1, 1]. Each ``train_step``:

    1. discriminator (skipped with ``pixel_loss_only``): real images -> 1, G's outputs -> 0, MSE on the sigmoid of
       its patch map (:func:`discriminator_loss`), one update on the two halves (the book: two updates);
    2. generator: content + ``adversarial_weight`` x adversarial. Content = MSE of ``content`` features of G(x)
       and of the true image (pixel MSE when ``content`` is None or pixel space); adversarial per
       ``adversarial`` (:func:`adversarial_loss`). With ``frozen_d_in_g_step`` D runs in inference mode there,
       as in the book's combined model with the frozen D.

    Logged: ``d_loss``, ``g_loss`` (weighted total), ``g_content``, ``g_adv``, ``g_pixel_mse`` (pixel MSE in
    [-1, 1] units, for reference) and ``d_acc`` (share of patch probabilities on the right side of 0.5).
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, content: ContentExtractor | None = None,
                 adversarial: str = "book", adversarial_weight: float = BOOK_ADVERSARIAL_WEIGHT,
                 pixel_loss_only: bool = False, frozen_d_in_g_step: bool = True, **kwargs):
        super().__init__(**kwargs)
        if adversarial not in ADVERSARIAL_FORMS:
            raise ValueError(f"adversarial must be one of {ADVERSARIAL_FORMS}, not {adversarial!r}")
        self.generator = generator
        self.discriminator = discriminator
        self.content = content if content is not None else pixel_extractor()
        if pixel_loss_only:
            self.content = pixel_extractor()
        self.adversarial = adversarial
        self.adversarial_weight = float(adversarial_weight)
        self.pixel_loss_only = pixel_loss_only
        self.frozen_d_in_g_step = frozen_d_in_g_step
        self.track("d_loss", "g_loss", "g_content", "g_adv", "g_pixel_mse", "d_acc")

    def call(self, low_res, training: bool = False):
        return self.generator(low_res, training=training)

    def generator_loss(self, predicted, target, fake_logits=None):
        """(total, content, adversarial) for a batch of G outputs and true images."""
        content = feature_mse(self.content(predicted), self.content(target))
        if self.pixel_loss_only or fake_logits is None:
            return content, content, tf.constant(0.0)
        adv = adversarial_loss(fake_logits, self.adversarial)
        return content + self.adversarial_weight * adv, content, adv

    def train_step(self, data):
        low, high = data
        low, high = tf.cast(low, tf.float32), tf.cast(high, tf.float32)
        zero = tf.constant(0.0)
        d_loss, d_acc = zero, zero
        if not self.pixel_loss_only:
            # 1. Discriminator: true images -> 1, generated -> 0 (MSE on the sigmoid of the patch map).
            fake = self.generator(low, training=True)
            with tf.GradientTape() as tape:
                real_logits = tf.cast(self.discriminator(high, training=True), tf.float32)
                fake_logits = tf.cast(self.discriminator(fake, training=True), tf.float32)
                d_loss = discriminator_loss(real_logits, fake_logits)
            self._apply(self.d_optimizer, tape, d_loss, self.d_variables())
            d_acc = gan_losses.discriminator_accuracy(real_logits, fake_logits, threshold=0.0)

        # 2. Generator: content loss (+ 0.001 x adversarial through the frozen D).
        with tf.GradientTape() as tape:
            predicted = self.generator(low, training=True)
            logits = None
            if not self.pixel_loss_only:
                logits = self.discriminator(predicted, training=not self.frozen_d_in_g_step)
            g_loss, content, adv = self.generator_loss(predicted, high, logits)
        self._apply(self.g_optimizer, tape, g_loss, self.g_variables())

        # 3. Report running means for the progress bar and History.
        return self.report({"d_loss": d_loss, "g_loss": g_loss, "g_content": content, "g_adv": adv,
                            "g_pixel_mse": feature_mse(predicted, high), "d_acc": d_acc})

    def upscale(self, low_res, batch_size: int = 32) -> np.ndarray:
        """Generator outputs (inference mode) in [-1, 1] for low-resolution images in [-1, 1]."""
        out = [self.generator(tf.convert_to_tensor(low_res[i : i + batch_size], tf.float32), training=False).numpy()
               for i in range(0, len(low_res), batch_size)]
        if out:
            return np.concatenate(out)
        return np.zeros((0, *self.generator.output.shape[1:]), "float32")
