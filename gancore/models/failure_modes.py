"""Skill 3: the book's networks for mode collapse and convergence failure, and small 2-D benchmark MLPs.

``build_collapse_*`` rebuild Experiment 3.1 (a 2-d latent space and one hidden layer of 64 units on
each side); ``build_convergence_*`` rebuild Experiment 3.2 (a one-layer generator with ReLU then
sigmoid against a three-layer discriminator). Discriminators return a logit: the book's final
sigmoid sits in the loss, which leaves the parameter count unchanged.

``build_toy_generator`` / ``build_toy_discriminator`` are the small MLPs of the 2-D mixture
benchmark, with the remedies of the chapter as options (minibatch standard deviation, packing).
"""

from __future__ import annotations

import keras
from keras import layers

from gancore.models.layers import MinibatchStdDev, Pack

# Experiment 3.1 (mode collapse), from the book's model summaries.
BOOK_COLLAPSE_GENERATOR_PARAMS = 51_152
BOOK_COLLAPSE_DISCRIMINATOR_PARAMS = 50_305
# Experiment 3.2 (convergence failure).
BOOK_CONVERGENCE_GENERATOR_PARAMS = 39_984
BOOK_CONVERGENCE_DISCRIMINATOR_PARAMS = 566_273

TOY_REMEDIES = ("none", "minibatch_std", "pack")


def build_collapse_generator(latent_dim: int = 2) -> keras.Model:
    """z (2-d) -> Dense 64 ReLU -> Dense 784 (linear) -> 28x28x1 -> sigmoid: 51,152 parameters."""
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(64, activation="relu")(z)
    x = layers.Dense(28 * 28)(x)
    x = layers.Reshape((28, 28, 1))(x)
    image = layers.Activation("sigmoid", name="image")(x)
    return keras.Model(z, image, name="collapse_generator")


def build_collapse_discriminator() -> keras.Model:
    """Flatten -> Dense 64 ReLU -> one logit: 50,305 parameters (the book's sigmoid is in the loss)."""
    image = keras.Input((28, 28, 1), name="image")
    x = layers.Flatten()(image)
    x = layers.Dense(64, activation="relu")(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(image, logit, name="collapse_discriminator")


def build_convergence_generator(latent_dim: int = 50, hidden_activation: str | None = "relu") -> keras.Model:
    """z (50-d) -> Dense 784 with ``hidden_activation`` -> 28x28x1 -> sigmoid: 39,984 parameters.

    The book uses ``"relu"``: ReLU outputs are >= 0, so after the sigmoid every pixel is in
    [0.5, 1) and a black background is impossible. ``hidden_activation=None`` is the control with
    a linear Dense layer (same parameters, full (0, 1) range).
    """
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(28 * 28, activation=hidden_activation)(z)
    x = layers.Reshape((28, 28, 1))(x)
    image = layers.Activation("sigmoid", name="image")(x)
    name = "convergence_generator" if hidden_activation else "convergence_generator_linear"
    return keras.Model(z, image, name=name)


def build_convergence_discriminator(hidden: tuple[int, ...] = (512, 256, 128), dropout: float = 0.0) -> keras.Model:
    """Flatten -> Dense ``hidden`` with ReLU (optional dropout after each) -> one logit.

    The default is the book's 566,273-parameter discriminator; ``dropout`` (no parameters) and a
    shorter ``hidden`` are the chapter's fixes for a dominating D.
    """
    image = keras.Input((28, 28, 1), name="image")
    x = layers.Flatten()(image)
    for units in hidden:
        x = layers.Dense(units, activation="relu")(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(image, logit, name="convergence_discriminator")


def build_toy_generator(latent_dim: int = 2, hidden: int = 128, depth: int = 3) -> keras.Model:
    """A ReLU MLP from ``latent_dim`` noise to a 2-D point (linear output)."""
    z = keras.Input((latent_dim,), name="z")
    x = z
    for _ in range(depth):
        x = layers.Dense(hidden, activation="relu")(x)
    point = layers.Dense(2, name="point")(x)
    return keras.Model(z, point, name="toy_generator")


def build_toy_discriminator(hidden: int = 128, depth: int = 2, remedy: str = "none", pack: int = 2,
                            group_size: int | None = None) -> keras.Model:
    """A ReLU MLP from a 2-D point to one logit, optionally with a remedy against mode collapse.

    ``remedy="minibatch_std"`` appends the minibatch standard deviation after the first hidden layer;
    ``remedy="pack"`` packs ``pack`` points into one input (the batch must be a multiple of ``pack``,
    and D returns one logit per pack).
    """
    if remedy not in TOY_REMEDIES:
        raise ValueError(f"Unknown remedy {remedy!r}; choose one of {TOY_REMEDIES}")
    point = keras.Input((2,), name="point")
    x = Pack(pack)(point) if remedy == "pack" else point
    for i in range(depth):
        x = layers.Dense(hidden, activation="relu")(x)
        if i == 0 and remedy == "minibatch_std":
            x = MinibatchStdDev(group_size)(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(point, logit, name=f"toy_discriminator_{remedy}")
