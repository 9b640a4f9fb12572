"""Skill 4 and 5: the book's Fashion-MNIST DCGAN, and a DCGAN-guideline network for 28x28 images.

The book's networks (Experiment 4.1) upsample with stride-1 'valid' transposed convolutions and large
kernels, use swish in G, batchnorm (momentum 0.8) *after* the activation and a sigmoid output for
[0, 1] data. The guideline network follows Radford et al. (2015): stride-2 5x5 (transposed)
convolutions, batchnorm, ReLU in G with a tanh output for [-1, 1] data, LeakyReLU(0.2) in D and
N(0, 0.02) weights. Its options switch single practices off for the Skill 5 ablations.
"""

from __future__ import annotations

import keras
from keras import layers

BOOK_GENERATOR_PARAMS = 2_360_833
BOOK_GENERATOR_TRAINABLE = 2_353_921
BOOK_DISCRIMINATOR_PARAMS = 1_223_553
BOOK_DISCRIMINATOR_TRAINABLE = 1_222_913

BN_POSITIONS = ("before", "after", "none")
INITS = ("dcgan", "default")
D_ACTIVATIONS = ("leaky_relu", "relu")


def build_book_generator(latent_dim: int = 100) -> keras.Model:
    """The book's Fashion-MNIST generator (2,360,833 parameters): 5x5 -> 9 -> 15 -> 21 -> 28, sigmoid output."""
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(128 * 5 * 5)(z)
    x = layers.Activation("swish")(x)
    x = layers.BatchNormalization(momentum=0.8)(x)
    x = layers.Reshape((5, 5, 128))(x)
    for kernel, batchnorm in ((5, True), (7, True), (7, False)):  # 9x9, 15x15, 21x21 ('valid', stride 1)
        x = layers.Conv2DTranspose(128, kernel)(x)
        x = layers.Activation("swish")(x)
        if batchnorm:
            x = layers.BatchNormalization(momentum=0.8)(x)
    x = layers.Conv2DTranspose(1, 8)(x)  # 28x28
    image = layers.Activation("sigmoid", name="image")(x)
    return keras.Model(z, image, name="book_dcgan_generator")


def build_book_discriminator() -> keras.Model:
    """The book's Fashion-MNIST discriminator (1,223,553 parameters), ending in one logit.

    The book ends with a sigmoid; the loss applies it here (same function, numerically stable),
    which does not change the parameter count.
    """
    image = keras.Input((28, 28, 1), name="image")
    x = layers.Conv2D(128, 3)(image)  # 26x26
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    for filters, kernel, strides in ((128, 5, 2), (128, 5, 1), (64, 7, 1)):  # 11x11, 7x7, 1x1
        x = layers.Conv2D(filters, kernel, strides=strides)(x)
        x = layers.LeakyReLU(negative_slope=0.2)(x)
        x = layers.BatchNormalization(momentum=0.8)(x)
    x = layers.Flatten()(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(image, logit, name="book_dcgan_discriminator")


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"Unknown {what} {value!r}; choose one of {', '.join(allowed)}")


def _initializer(init: str):
    _check(init, INITS, "init")
    return keras.initializers.RandomNormal(stddev=0.02) if init == "dcgan" else "glorot_uniform"


def _norm_act(x, activation, bn_position: str, name: str):
    """Batchnorm before or after ``activation`` (a layer factory), or none."""
    if bn_position == "before":
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
    x = activation()(x)
    if bn_position == "after":
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return x


def build_guideline_generator(latent_dim: int = 100, width: int = 64, bn_position: str = "before",
                              init: str = "dcgan", output_activation: str = "tanh") -> keras.Model:
    """DCGAN-guideline generator for 28x28x1: project and reshape to 7x7x(2w), then stride-2 5x5 transposed convs.

    z -> Dense(7*7*2w) -> [BN] ReLU -> ConvT(w, 5, s2) 14x14 -> [BN] ReLU -> ConvT(1, 5, s2) 28x28
    -> ``output_activation`` (tanh for [-1, 1] data). The dense projection is the paper's first
    layer (a matrix multiply reshaped to a small map), not a fully connected hidden layer.
    ``bn_position`` is "before" the ReLU (the paper and Skill 5), "after" it (the book's code) or "none".
    """
    _check(bn_position, BN_POSITIONS, "bn_position")
    kinit = _initializer(init)
    use_bias = bn_position != "before"  # a bias right before batchnorm is cancelled by its mean
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(7 * 7 * 2 * width, use_bias=use_bias, kernel_initializer=kinit, name="project")(z)
    x = layers.Reshape((7, 7, 2 * width))(x)
    x = _norm_act(x, layers.ReLU, bn_position, "project")
    x = layers.Conv2DTranspose(width, 5, strides=2, padding="same", use_bias=use_bias, kernel_initializer=kinit,
                               name="up")(x)
    x = _norm_act(x, layers.ReLU, bn_position, "up")
    x = layers.Conv2DTranspose(1, 5, strides=2, padding="same", kernel_initializer=kinit, name="to_image")(x)
    image = layers.Activation(output_activation, name="image")(x)
    return keras.Model(z, image, name="guideline_generator")


def build_guideline_discriminator(width: int = 64, bn_position: str = "before", init: str = "dcgan",
                                  activation: str = "leaky_relu") -> keras.Model:
    """DCGAN-guideline discriminator for 28x28x1: two stride-2 5x5 convs (w, 2w), then one logit.

    Conv(w, s2) 14x14 -> act (no batchnorm on the first layer, as in the paper) -> Conv(2w, s2) 7x7
    -> [BN] act -> Flatten -> Dense(1). ``activation`` is "leaky_relu" (slope 0.2, the guideline) or "relu".
    """
    _check(bn_position, BN_POSITIONS, "bn_position")
    _check(activation, D_ACTIVATIONS, "activation")
    kinit = _initializer(init)

    def act():
        return layers.LeakyReLU(negative_slope=0.2) if activation == "leaky_relu" else layers.ReLU()

    image = keras.Input((28, 28, 1), name="image")
    x = layers.Conv2D(width, 5, strides=2, padding="same", kernel_initializer=kinit, name="down0")(image)
    x = act()(x)
    x = layers.Conv2D(2 * width, 5, strides=2, padding="same", use_bias=bn_position != "before",
                      kernel_initializer=kinit, name="down1")(x)
    x = _norm_act(x, act, bn_position, "down1")
    x = layers.Flatten()(x)
    logit = layers.Dense(1, kernel_initializer=kinit, name="logit")(x)
    return keras.Model(image, logit, name="guideline_discriminator")


def guideline_generator_params(latent_dim: int = 100, width: int = 64, bn_position: str = "before") -> int:
    """Parameter count of :func:`build_guideline_generator`, by hand (for tests and the notebook)."""
    bias = 0 if bn_position == "before" else 1
    bn = 0 if bn_position == "none" else 4  # gamma, beta, moving mean, moving variance per channel
    c0, c1 = 2 * width, width
    project = latent_dim * 49 * c0 + bias * 49 * c0 + bn * c0
    up = 25 * c0 * c1 + bias * c1 + bn * c1
    return project + up + 25 * c1 + 1


def guideline_discriminator_params(width: int = 64, bn_position: str = "before") -> int:
    """Parameter count of :func:`build_guideline_discriminator`, by hand."""
    bias = 0 if bn_position == "before" else 1
    bn = 0 if bn_position == "none" else 4
    c0, c1 = width, 2 * width
    down1 = 25 * c0 * c1 + bias * c1 + bn * c1
    return 25 * c0 + c0 + down1 + 49 * c1 + 1


# Skill 5: each practice switched off (or on) alone, against the guideline baseline.
PRACTICES = {
    "baseline": {},
    "label_smoothing": {"label_smoothing": 0.1},
    "default_init": {"init": "default"},
    "bn_after_activation": {"bn_position": "after"},
    "mixed_batches": {"mixed_batches": True},
    "adam_beta1_0.9": {"beta_1": 0.9},
    "relu_in_d": {"d_activation": "relu"},
}
PRACTICE_LABELS = {
    "baseline": "baseline: all guidelines",
    "label_smoothing": "+ one-sided label smoothing (real target 0.9)",
    "default_init": "default init (glorot) instead of N(0, 0.02)",
    "bn_after_activation": "batchnorm after the activation",
    "mixed_batches": "one mixed real+fake D batch",
    "adam_beta1_0.9": "Adam beta_1 0.9 instead of 0.5",
    "relu_in_d": "ReLU instead of LeakyReLU in D",
}


def practice_settings(name: str) -> dict:
    """Full settings of one Skill 5 configuration: the baseline's values with ``PRACTICES[name]`` applied.

    Keys: ``bn_position``, ``init``, ``d_activation`` (network builders), ``label_smoothing``,
    ``mixed_batches`` (the ``GAN``) and ``beta_1`` (both Adam optimizers).
    """
    if name not in PRACTICES:
        raise ValueError(f"Unknown practice {name!r}; choose one of {', '.join(PRACTICES)}")
    settings = {"bn_position": "before", "init": "dcgan", "d_activation": "leaky_relu", "label_smoothing": 0.0,
                "mixed_batches": False, "beta_1": 0.5}
    settings.update(PRACTICES[name])
    return settings
