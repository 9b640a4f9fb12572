"""Skill 6: the book's SGAN, InfoGAN and ACGAN networks (the CGAN pair lives in ``cgan.py``).

The three share one generator trunk (Dense 1600 -> 5x5x64; transposed convolutions 3x3/2 to 11 and 23,
3x3 to 25, 4x4 to 28x28x1, tanh; all 'valid'; ReLU *then* batchnorm with momentum 0.8) and one
discriminator trunk (four 3x3/2, 3x3/2, 3x3, 4x4 convolutions down to 1x1, LeakyReLU(0.2) then
batchnorm). They differ in what goes in (noise only, noise + code, noise + class) and in the heads.
Every head returns logits: the book's sigmoid and softmax move into the losses, which leaves the
parameter counts unchanged. ``width`` scales every convolution's channel count (1.0: the book's).

Also here: the InfoGAN paper's own MNIST networks (a smaller generator and discriminator with batchnorm and a
hidden layer in ``Q``), the course's working InfoGAN variant.
"""

from __future__ import annotations

import keras
from keras import layers

from gancore.models.layers import book_batchnorm as _bn
from gancore.models.layers import scaled_channels

SGAN_GENERATOR_PARAMS = 540_097
SGAN_DISCRIMINATOR_PARAMS = 562_316
INFOGAN_GENERATOR_PARAMS = 531_425
INFOGAN_DISCRIMINATOR_PARAMS = 428_929
INFOGAN_Q_NETWORK_PARAMS = 429_514
ACGAN_GENERATOR_PARAMS = 649_377
ACGAN_DISCRIMINATOR_PARAMS = 561_675


def _generator_trunk(x, width: float, batchnorm_after_dense: bool, batchnorm_at_25: bool):
    """Dense 1600 -> 5x5x64 -> 11 -> 23 -> 25 -> 28x28x1 (tanh)."""
    c64, c128 = scaled_channels(64, width), scaled_channels(128, width)
    x = layers.Dense(5 * 5 * c64, activation="relu")(x)
    if batchnorm_after_dense:
        x = _bn(x)
    x = layers.Reshape((5, 5, c64))(x)
    for _ in range(2):
        x = _bn(layers.Conv2DTranspose(c128, 3, strides=2, activation="relu")(x))
    x = layers.Conv2DTranspose(c128, 3, activation="relu")(x)
    if batchnorm_at_25:
        x = _bn(x)
    return layers.Conv2DTranspose(1, 4, activation="tanh", name="image")(x)


def _discriminator_trunk(image, width: float, last_filters: int, batchnorm_first: bool, batchnorm: bool = True,
                         dropout: float = 0.0):
    """28 -> 13 -> 6 -> 4 -> 1x1 convolutions, LeakyReLU(0.2) then batchnorm (``batchnorm=False``: none), and
    dropout at rate ``dropout`` after each of the first three; returns the flat features."""
    x = image
    plan = ((128, 3, 2), (128, 3, 2), (128, 3, 1), (last_filters, 4, 1))
    for i, (filters, kernel, stride) in enumerate(plan):
        x = layers.LeakyReLU(0.2)(layers.Conv2D(scaled_channels(filters, width), kernel, strides=stride)(x))
        if batchnorm and (i or batchnorm_first):
            x = _bn(x)
        if dropout and i < len(plan) - 1:
            x = layers.Dropout(dropout)(x)
    return layers.Flatten(name="features")(x)


def build_sgan_generator(latent_dim: int = 100, width: float = 1.0) -> keras.Model:
    """Experiment 6.2 (unconditional): 540,097 parameters at width 1."""
    z = keras.Input((latent_dim,), name="z")
    image = _generator_trunk(z, width, batchnorm_after_dense=True, batchnorm_at_25=False)
    return keras.Model(z, image, name="sgan_generator")


def build_sgan_discriminator(num_classes: int = 10, width: float = 1.0, batchnorm: bool = True,
                             input_noise: float = 0.0, dropout: float = 0.0) -> keras.Model:
    """Experiment 6.2: one trunk, two heads: a real/fake logit and ``num_classes + 1`` class logits
    (the extra class is 'fake'). 562,316 parameters at width 1.

    The defaults give the book's network. The regularised variant of the semi-supervised runs (after
    Salimans et al. 2016) drops the batchnorm layers (``batchnorm=False``), adds Gaussian noise of standard
    deviation ``input_noise`` to the image and applies dropout at rate ``dropout`` after each of the first
    three convolutions and to the flat features; noise and dropout act only in training mode and have no
    parameters.
    """
    image = keras.Input((28, 28, 1), name="image")
    x = layers.GaussianNoise(input_noise, name="input_noise")(image) if input_noise else image
    features = _discriminator_trunk(x, width, last_filters=128, batchnorm_first=True, batchnorm=batchnorm,
                                    dropout=dropout)
    head_input = layers.Dropout(dropout)(features) if dropout else features
    real_fake = layers.Dense(1, name="real_fake")(head_input)
    classes = layers.Dense(num_classes + 1, name="classes")(head_input)
    return keras.Model(image, [real_fake, classes], name="sgan_discriminator")


def build_infogan_generator(noise_dim: int = 50, categories: int = 10, continuous: int = 0,
                            width: float = 1.0) -> keras.Model:
    """Experiment 6.3: noise -> Dense 64 and code -> Dense 32 (both linear), concatenated, then the trunk
    (no batchnorm after the first dense layer, batchnorm at 25x25). The code is a one-hot of
    ``categories`` followed by ``continuous`` uniform codes (0 in the book, 2 in the paper's MNIST run).
    531,425 parameters for the book's inputs at width 1."""
    z = keras.Input((noise_dim,), name="z")
    code = keras.Input((categories + continuous,), name="code")
    x = layers.Concatenate()([layers.Dense(64)(z), layers.Dense(32)(code)])
    image = _generator_trunk(x, width, batchnorm_after_dense=False, batchnorm_at_25=True)
    return keras.Model([z, code], image, name="infogan_generator")


def build_infogan_discriminator(categories: int = 10, continuous: int = 0, width: float = 1.0) -> keras.Model:
    """Experiment 6.3: one trunk with two outputs, D's real/fake logit and Q's code prediction:
    ``categories`` logits followed by ``continuous`` means (the paper's Gaussian Q with fixed variance).
    The book builds D (428,929 parameters) and Q (429,514) as two models sharing layers; this is one
    model with both heads (429,579 parameters at width 1 for the book's code)."""
    image = keras.Input((28, 28, 1), name="image")
    features = _discriminator_trunk(image, width, last_filters=64, batchnorm_first=False)
    real_fake = layers.Dense(1, name="real_fake")(features)
    code = layers.Dense(categories + continuous, name="code")(features)
    return keras.Model(image, [real_fake, code], name="infogan_discriminator")


def build_paper_infogan_generator(noise_dim: int = 62, categories: int = 10, continuous: int = 2,
                                  width: float = 1.0) -> keras.Model:
    """The InfoGAN paper's MNIST generator (Chen et al., 2016, appendix C.1): noise and code concatenated, Dense
    1024 and Dense 7x7x128 (ReLU, batchnorm), a 4x4/2 transposed convolution to 14x14x64 (ReLU, batchnorm) and
    a 4x4/2 one to 28x28x1 with tanh ([-1, 1] images; the paper used a sigmoid). ``width`` scales every layer's
    size (Dense units and channels): 0.5 is the course's CPU-sized version."""
    z = keras.Input((noise_dim,), name="z")
    code = keras.Input((categories + continuous,), name="code")
    hidden, c128, c64 = (scaled_channels(n, width) for n in (1024, 128, 64))
    x = layers.Concatenate()([z, code])
    x = layers.BatchNormalization()(layers.Dense(hidden, activation="relu")(x))
    x = layers.BatchNormalization()(layers.Dense(7 * 7 * c128, activation="relu")(x))
    x = layers.Reshape((7, 7, c128))(x)
    x = layers.BatchNormalization()(layers.Conv2DTranspose(c64, 4, strides=2, padding="same", activation="relu")(x))
    image = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh", name="image")(x)
    return keras.Model([z, code], image, name="paper_infogan_generator")


def build_paper_infogan_discriminator(categories: int = 10, continuous: int = 2, width: float = 1.0) -> keras.Model:
    """The InfoGAN paper's MNIST discriminator with ``Q`` on its trunk (appendix C.1): 4x4/2 convolutions to
    14x14x64 (LeakyReLU 0.1) and 7x7x128 (batchnorm, LeakyReLU 0.1), Dense 1024 (batchnorm, LeakyReLU 0.1);
    D's head is one logit, ``Q``'s head a hidden Dense 128 (LeakyReLU 0.1; the paper adds batchnorm) and
    ``categories`` logits followed by ``continuous`` means. Same layout as :func:`build_infogan_discriminator`
    (outputs ``[real_fake, code]``), so :class:`gancore.training.infogan.InfoGAN` trains either."""
    image = keras.Input((28, 28, 1), name="image")
    c64, c128, hidden, q_hidden = (scaled_channels(n, width) for n in (64, 128, 1024, 128))
    x = layers.LeakyReLU(0.1)(layers.Conv2D(c64, 4, strides=2, padding="same")(image))
    x = layers.LeakyReLU(0.1)(layers.BatchNormalization()(layers.Conv2D(c128, 4, strides=2, padding="same")(x)))
    x = layers.LeakyReLU(0.1)(layers.BatchNormalization()(layers.Dense(hidden)(layers.Flatten()(x))))
    real_fake = layers.Dense(1, name="real_fake")(x)
    q = layers.LeakyReLU(0.1)(layers.Dense(q_hidden, name="q_hidden")(x))
    code = layers.Dense(categories + continuous, name="code")(q)
    return keras.Model(image, [real_fake, code], name="paper_infogan_discriminator")


def build_acgan_generator(latent_dim: int = 100, num_classes: int = 10, width: float = 1.0) -> keras.Model:
    """Experiment 6.4: noise -> Dense 128 and class -> Dense 32 (linear), concatenated, then the trunk
    (batchnorm after the first dense layer). 649,377 parameters at width 1."""
    z = keras.Input((latent_dim,), name="z")
    label = keras.Input((num_classes,), name="class_one_hot")
    x = layers.Concatenate()([layers.Dense(128)(z), layers.Dense(32)(label)])
    image = _generator_trunk(x, width, batchnorm_after_dense=True, batchnorm_at_25=False)
    return keras.Model([z, label], image, name="acgan_generator")


def build_acgan_discriminator(num_classes: int = 10, width: float = 1.0) -> keras.Model:
    """Experiment 6.4: a real/fake logit and ``num_classes`` class logits. 561,675 parameters at width 1."""
    image = keras.Input((28, 28, 1), name="image")
    features = _discriminator_trunk(image, width, last_filters=128, batchnorm_first=False)
    real_fake = layers.Dense(1, name="real_fake")(features)
    classes = layers.Dense(num_classes, name="classes")(features)
    return keras.Model(image, [real_fake, classes], name="acgan_discriminator")
