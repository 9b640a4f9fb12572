"""The checks of the S4 assignment exercise (``chapters/exercises/s4_write_three_models.ipynb``): the learner writes
seed S4's three ``keras.Model`` classes, ``Simple_GAN``, ``WGAN_clip`` and ``WGAN_GP``, and
``check_<class>(cls)`` tests one class in six stages:

1. the constructor: ``(generator, discriminator, latent_generator, real_examples, batch_size=200, disc_iter=2,
   learning_rate=0.005)`` (``WGAN_GP`` adds ``lambda_gp=10``), every argument stored under its own name;
2. the optimizers: one Adam per network, ``self.generator.optimizer`` and ``self.discriminator.optimizer``, with
   the given learning rate, beta_1 0.5 (0.3 for ``WGAN_GP``) and beta_2 0.9;
3. the losses ``self.discriminator.loss(real_scores, fake_scores)`` and ``self.generator.loss(fake_scores)``
   at hand-chosen scores (the arithmetic is in the comments);
4. for ``WGAN_GP``: ``get_interpolated_sample`` (one weight per example) and ``gradient_penalty`` (against
   :func:`gancore.losses.gradient_penalty` at the same interpolates);
5. one ``train_step`` on tiny fixed networks with the randomness pinned: a ``latent_generator`` that always
   returns the same latent batch, ``get_real_sample`` (and ``get_interpolated_sample``) replaced by fixed draws.
   The step must run ``disc_iter`` critic updates and one generator update (the optimizers' iteration counts),
   leave the same weights as a reference step written with :mod:`gancore.losses`, and report the right losses;
   when the weights differ, the reference is rerun with the usual mistakes to name the one made;
6. a short ``fit()`` on the assignment's 2-D cloud N(0.8, 0.05^2 I): the generator's samples must move from
   about 0.5 towards the cloud.

A class whose constructor still raises ``NotImplementedError`` is reported as "not written yet", as in
:mod:`gancore.chapters.exercises`. On success a check prints one line starting with ``passed:``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from gancore import losses
from gancore.chapters.exercises import _expect, _fmt, _invoke, _name, _passed, random_inputs

PARAMETERS = ("generator", "discriminator", "latent_generator", "real_examples", "batch_size", "disc_iter",
              "learning_rate")
DEFAULTS = {"batch_size": 200, "disc_iter": 2, "learning_rate": 0.005}
BETA_2 = 0.9
CLIP = 1.0
LAMBDA_GP = 10.0
CLOUD_CENTRE, CLOUD_SIGMA = 0.8, 0.05  # the assignment's target N(0.8 * 1, 0.05^2 I)

# the one-step check: batch 8, three critic updates (not the default 2, so a hard-coded 2 shows), a learning rate
# large enough to move weights by about 0.02 per Adam step
STEP_BATCH, STEP_DISC_ITER, STEP_LR = 8, 3, 0.02
# the training run: networks 2 -> 16 -> 2 and 2 -> 16 -> 1, batch 64, 5 critic updates per step (WGAN-GP's usual
# number; with 2 its generator wanders about the cloud at this learning rate); the generator is scored every 10 steps
RUN_BATCH, RUN_DISC_ITER, RUN_STEPS, RUN_LR, RUN_HIDDEN, RUN_EVERY, RUN_TAIL = 64, 5, 200, 0.003, 16, 10, 60


# --- the three classes ---------------------------------------------------------------------------------------------
def _ls_pm1_mistakes(r, f) -> list[tuple[float, str]]:
    return [
        (np.mean((r - 1) ** 2) + np.mean(f**2), "the fake target is -1 here, not 0: the discriminator ends in tanh, "
                                                 "whose range is [-1, 1]"),
        (np.mean((r + 1) ** 2) + np.mean((f - 1) ** 2), "the targets are swapped: +1 for real, -1 for fake"),
        (0.5 * (np.mean((r - 1) ** 2) + np.mean((f + 1) ** 2)), "no factor 1/2 in the assignment's losses"),
        (np.sum((r - 1) ** 2) + np.sum((f + 1) ** 2), "you summed; take the mean of each batch"),
    ]


def _ls_pm1_g_mistakes(f) -> list[tuple[float, str]]:
    return [
        (-np.mean((f + 1) ** 2), "that is the minimax form (the generator maximising the discriminator's loss on "
                                 "fakes); the assignment's generator minimises E[(D(G(z)) - 1)^2]"),
        (np.mean((f + 1) ** 2), "the generator's target is +1 (real), not the fakes' target -1"),
        (np.mean(f**2), "the generator's target is +1, not 0"),
        (0.5 * np.mean((f - 1) ** 2), "no factor 1/2 in the assignment's losses"),
        (np.sum((f - 1) ** 2), "you summed; take the mean"),
    ]


def _w_mistakes(r, f) -> list[tuple[float, str]]:
    return [
        (np.mean(r) - np.mean(f), "sign: the critic minimises E[D(fake)] - E[D(real)] (it wants high scores on "
                                  "real samples)"),
        (np.sum(f) - np.sum(r), "you summed; take the mean of each batch"),
    ]


def _w_g_mistakes(f) -> list[tuple[float, str]]:
    return [(np.mean(f), "sign: the generator minimises -E[D(G(z))] (it wants high critic scores)"),
            (-np.sum(f), "you summed; take the mean")]


@dataclass(frozen=True)
class ModelSpec:
    """What one of the three classes must do."""

    name: str
    beta_1: float
    d_loss: Callable  # (real_scores, fake_scores) -> loss, gancore's
    g_loss: Callable  # fake_scores -> loss
    d_formula: str
    g_formula: str
    d_mistakes: Callable  # (real, fake) -> [(value, why)]
    g_mistakes: Callable
    critic_output: str  # the head of the check's critic: "tanh" for the +-1 targets, "linear" for a WGAN critic
    clip: float | None = None
    gp_weight: float = 0.0
    keys: tuple[str, ...] = ("discr_loss", "gen_loss")
    extra_parameters: dict = field(default_factory=dict)


SPECS = {
    "Simple_GAN": ModelSpec("Simple_GAN", 0.5, losses.least_squares_pm1_discriminator_loss,
                            losses.least_squares_pm1_generator_loss, "E[(D(x) - 1)^2] + E[(D(G(z)) + 1)^2]",
                            "E[(D(G(z)) - 1)^2]", _ls_pm1_mistakes, _ls_pm1_g_mistakes, "tanh"),
    "WGAN_clip": ModelSpec("WGAN_clip", 0.5, losses.wasserstein_critic_loss, losses.wasserstein_generator_loss,
                           "E[D(G(z))] - E[D(x)]", "-E[D(G(z))]", _w_mistakes, _w_g_mistakes, "linear", clip=CLIP),
    "WGAN_GP": ModelSpec("WGAN_GP", 0.3, losses.wasserstein_critic_loss, losses.wasserstein_generator_loss,
                         "E[D(G(z))] - E[D(x)]", "-E[D(G(z))]", _w_mistakes, _w_g_mistakes, "linear",
                         gp_weight=LAMBDA_GP, keys=("discr_loss", "gen_loss", "gp"),
                         extra_parameters={"lambda_gp": LAMBDA_GP}),
}


# --- calling the learner's code ----------------------------------------------------------------------------------
def _value(value, label: str) -> np.ndarray:
    if value is None:
        raise AssertionError(f"{label} returned None: end it with `return <result>`")
    try:
        return np.asarray(ops.convert_to_numpy(value), dtype="float64")
    except Exception as error:
        raise AssertionError(f"{label} returned {type(value).__name__}, not a number or tensor") from error


def _scalar(value, label: str) -> float:
    a = _value(value, label)
    if a.shape != ():
        raise AssertionError(f"{label}: expected a single number, got shape {a.shape}: average over the batch")
    return float(a)


# --- fixed tiny networks and pinned randomness ---------------------------------------------------------------------
def toy_networks(hidden: int = 4, critic_output: str = "linear", seed: int = 0) -> tuple[keras.Model, keras.Model]:
    """A generator 2 -> hidden -> 2 (tanh, then sigmoid: samples in the unit square, as the assignment's) and a
    critic 2 -> hidden -> 1 (tanh, then ``critic_output``: "tanh" or "linear"). Their kernels are Glorot-uniform and
    their biases U(-0.1, 0.1), drawn with NumPy from ``seed`` (no Keras random state involved)."""
    rng = np.random.default_rng(seed)
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(hidden, activation="tanh"),
                                  keras.layers.Dense(2, activation="sigmoid")], name="toy_generator")
    head = "tanh" if critic_output == "tanh" else None
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(hidden, activation="tanh"),
                               keras.layers.Dense(1, activation=head)], name="toy_critic")
    for model in (generator, critic):
        weights = []
        for w in model.get_weights():
            limit = math.sqrt(6.0 / sum(w.shape)) if w.ndim == 2 else 0.1
            weights.append(rng.uniform(-limit, limit, w.shape).astype("float32"))
        model.set_weights(weights)
    return generator, critic


class FixedLatents:
    """A ``latent_generator`` that returns the first ``size`` rows of one fixed batch at every call."""

    def __init__(self, latents: np.ndarray):
        self.latents = tf.constant(np.asarray(latents, "float32"))
        self.calls = 0

    def __call__(self, size):
        self.calls += 1
        return self.latents[:size]


def corner_cloud(n: int, seed: int) -> np.ndarray:
    """n points of the assignment's 2-D target N(0.8 * 1, 0.05^2 I)."""
    return (CLOUD_CENTRE + CLOUD_SIGMA * np.random.default_rng(seed).standard_normal((n, 2))).astype("float32")


@dataclass
class StepFixture:
    """Everything one pinned ``train_step`` depends on."""

    spec: ModelSpec
    generator_weights: list
    critic_weights: list
    latents: np.ndarray
    real: np.ndarray
    alpha: np.ndarray
    disc_iter: int = STEP_DISC_ITER
    learning_rate: float = STEP_LR

    @classmethod
    def make(cls, spec: ModelSpec, seed: int = 0) -> StepFixture:
        generator, critic = toy_networks(critic_output=spec.critic_output, seed=seed)
        rng = np.random.default_rng(seed + 1)
        # generator weights up to 1.5 in size, so that a generator clipped by mistake shows; with clipping, critic
        # weights of size 0.995 with random signs, so that one Adam step (about 0.02) pushes some past 1
        generator_weights = [1.5 * w for w in generator.get_weights()]
        critic_weights = [0.995 * rng.choice([-1.0, 1.0], w.shape).astype("float32") if spec.clip else w
                          for w in critic.get_weights()]
        return cls(spec, generator_weights, critic_weights,
                   rng.standard_normal((STEP_BATCH, 2)).astype("float32"), corner_cloud(STEP_BATCH, seed + 2),
                   rng.uniform(size=(STEP_BATCH, 1)).astype("float32"))

    def networks(self) -> tuple[keras.Model, keras.Model]:
        generator, critic = toy_networks(critic_output=self.spec.critic_output)
        generator.set_weights(self.generator_weights)
        critic.set_weights(self.critic_weights)
        return generator, critic


# --- the reference step and its usual mistakes ---------------------------------------------------------------------
def _penalty_squared_norm(critic, real, fake, alpha):
    mixed = alpha * real + (1.0 - alpha) * fake
    with tf.GradientTape() as tape:
        tape.watch(mixed)
        scores = critic(mixed, training=True)
    return tf.reduce_mean(tf.square(tf.reduce_sum(tf.square(tape.gradient(scores, mixed)), axis=1) - 1.0))


def _penalty_at_real(critic, real, fake, alpha):
    return losses.gradient_penalty(critic, real, real, alpha)


@dataclass(frozen=True)
class Variant:
    """A way to write the step; the default fields are the assignment's."""

    why: str = ""
    d_loss: Callable | None = None
    g_loss: Callable | None = None
    clip: str = "each"  # "each" critic update, "once" after the loop, "none", "tight" (0.01)
    clip_generator: bool = False
    gp_weight: float | None = None
    penalty: Callable = losses.gradient_penalty


def reference_step(fixture: StepFixture, variant: Variant = Variant()) -> dict:
    """One ``train_step`` written with gancore's losses on copies of the fixture's networks: the weights after it,
    the losses it reports (those of the last critic update, and the generator's) and the scores they came from."""
    spec = fixture.spec
    generator, critic = fixture.networks()
    d_loss_fn, g_loss_fn = variant.d_loss or spec.d_loss, variant.g_loss or spec.g_loss
    gp_weight = spec.gp_weight if variant.gp_weight is None else variant.gp_weight
    clip = spec.clip if variant.clip != "tight" else 0.01
    d_opt, g_opt = (keras.optimizers.Adam(fixture.learning_rate, beta_1=spec.beta_1, beta_2=BETA_2) for _ in "dg")
    z, real, alpha = (tf.constant(a) for a in (fixture.latents, fixture.real, fixture.alpha))

    def clip_all(model, c):
        for w in model.trainable_variables:
            w.assign(tf.clip_by_value(w, -c, c))

    gp = tf.constant(0.0)
    for _ in range(fixture.disc_iter):
        with tf.GradientTape() as tape:
            fake = generator(z, training=True)
            d_scores = (critic(real, training=True), critic(fake, training=True))
            d_loss = d_loss_fn(*d_scores)
            total = d_loss
            if spec.gp_weight:
                gp = variant.penalty(critic, real, fake, alpha)
                total = d_loss + gp_weight * gp
        d_opt.apply_gradients(zip(tape.gradient(total, critic.trainable_variables), critic.trainable_variables))
        if clip and variant.clip in ("each", "tight"):
            clip_all(critic, clip)
    if clip and variant.clip == "once":
        clip_all(critic, clip)
    with tf.GradientTape() as tape:
        g_scores = critic(generator(z, training=True), training=True)
        g_loss = g_loss_fn(g_scores)
    g_opt.apply_gradients(zip(tape.gradient(g_loss, generator.trainable_variables), generator.trainable_variables))
    if variant.clip_generator:
        clip_all(generator, clip)
    return {"critic": critic.get_weights(), "generator": generator.get_weights(), "discr_loss": float(d_loss),
            "gen_loss": float(g_loss), "gp": float(gp), "d_scores": d_scores, "g_scores": g_scores}


def loss_mistakes(fixture: StepFixture, reference: dict, key: str) -> list[tuple[float, str]]:
    """The values ``train_step`` would report under ``key`` with each usual mistake in its losses, at the reference's
    scores (after one Adam step the weights alone cannot tell some of them apart: Adam's first step is about
    learning_rate * sign(gradient), and e.g. the simple GAN's minimax generator loss pushes every score the same
    way as the right one)."""
    spec = fixture.spec
    if key == "discr_loss":
        found = [(float(v.d_loss(*reference["d_scores"])), v.why) for v in _critic_variants(spec) if v.d_loss]
        if spec.gp_weight:
            found.append((reference["discr_loss"] + spec.gp_weight * reference["gp"],
                          'report discr_loss without the penalty (the penalty goes under "gp")'))
        return found
    if key == "gen_loss":
        return [(float(v.g_loss(reference["g_scores"])), v.why) for v in _generator_variants(spec) if v.g_loss]
    return []


def _critic_variants(spec: ModelSpec) -> list[Variant]:
    if spec.name == "Simple_GAN":
        return [
            Variant("the fake target is -1, not 0 (the discriminator ends in tanh)",
                    d_loss=lambda r, f: ops.mean(ops.square(r - 1.0)) + ops.mean(ops.square(f))),
            Variant("the targets are swapped: +1 for real samples, -1 for fakes",
                    d_loss=lambda r, f: ops.mean(ops.square(r + 1.0)) + ops.mean(ops.square(f - 1.0))),
        ]
    found = [Variant("the critic's sign is flipped: it minimises E[D(fake)] - E[D(real)]",
                     d_loss=lambda r, f: ops.mean(r) - ops.mean(f))]
    if spec.clip:
        found += [Variant("the critic's weights were not clipped: after each critic update clip every "
                          "discriminator weight to [-1, 1]", clip="none"),
                  Variant("the critic's weights were clipped once after the loop: clip after each critic update",
                          clip="once"),
                  Variant("the weights were clipped to [-0.01, 0.01] (the WGAN paper's value); the assignment clips "
                          "to [-1, 1]", clip="tight")]
    if spec.gp_weight:
        found += [Variant("the critic's update ignores the penalty: minimise discr_loss + lambda_gp * gp, with the "
                          "penalty computed inside the critic's GradientTape", gp_weight=0.0),
                  Variant("the penalty's weight is 1; it is lambda_gp = 10", gp_weight=1.0),
                  Variant("the penalty uses the squared gradient norm; take its square root",
                          penalty=_penalty_squared_norm),
                  Variant("the penalty was taken at the real samples; take it at the interpolated samples",
                          penalty=_penalty_at_real)]
    return found


def _generator_variants(spec: ModelSpec) -> list[Variant]:
    if spec.name == "Simple_GAN":
        return [
            Variant("the generator minimises -E[(D(G(z)) + 1)^2], the minimax form (maximising the "
                    "discriminator's loss on fakes); the assignment's generator minimises E[(D(G(z)) - 1)^2]",
                    g_loss=lambda f: -ops.mean(ops.square(f + 1.0))),
            Variant("the generator's target is the fakes' -1; it wants its samples scored +1 (real)",
                    g_loss=lambda f: ops.mean(ops.square(f + 1.0))),
        ]
    found = [Variant("the generator's sign is flipped: it minimises -E[D(G(z))]", g_loss=lambda f: ops.mean(f))]
    if spec.clip:
        found.append(Variant("the generator's weights were clipped too; clip only the discriminator's",
                             clip_generator=True))
    return found


def _same(a: list, b: list, atol: float = 2e-5) -> bool:
    return len(a) == len(b) and all(np.allclose(x, y, rtol=1e-4, atol=atol) for x, y in zip(a, b))


def _largest_gap(a: list, b: list) -> float:
    return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in zip(a, b))


# --- the stages ----------------------------------------------------------------------------------------------------
def _construct(cls, name: str, *args, **kwargs):
    model = _invoke(name, cls, *args, **kwargs)
    if not isinstance(model, keras.Model):
        raise AssertionError(f"{name} must subclass keras.Model: class {name}(keras.Model): ...")
    return model


def _check_signature(cls, name: str, spec: ModelSpec) -> None:
    try:
        parameters = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        raise AssertionError(f"{name}: cannot read its constructor's signature") from None
    names = [p.name for p in parameters]
    expected = list(PARAMETERS) + list(spec.extra_parameters)
    if names[: len(expected)] != expected:
        raise AssertionError(f"{name}'s constructor takes ({', '.join(names)}); the assignment's is "
                             f"({', '.join(expected)}), in that order")
    defaults = {**DEFAULTS, **spec.extra_parameters}
    for p in parameters:
        if p.name in defaults and (p.default is inspect.Parameter.empty or p.default != defaults[p.name]):
            got = "no default" if p.default is inspect.Parameter.empty else f"default {p.default!r}"
            raise AssertionError(f"{name}: {p.name} has {got}; the assignment's default is {defaults[p.name]!r}")
        if p.name not in expected and p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL,
                                                                                               p.VAR_KEYWORD):
            raise AssertionError(f"{name}: the extra parameter {p.name} needs a default, so the assignment's calls "
                                 "still work")


def _check_attributes(model, name: str, given: dict) -> None:
    for attribute, value in given.items():
        if not hasattr(model, attribute):
            raise AssertionError(f"{name}: model.{attribute} is missing: store each constructor argument under its "
                                 f"own name (self.{attribute} = {attribute})")
        got = getattr(model, attribute)
        if attribute in ("generator", "discriminator", "latent_generator"):
            same = got is value
        else:
            try:
                same = np.shape(got) == np.shape(value) and np.allclose(np.asarray(got, "float64"),
                                                                        np.asarray(value, "float64"))
            except (TypeError, ValueError):
                same = False
        if not same:
            raise AssertionError(f"{name}: model.{attribute} is {got!r:.60}, expected the argument {value!r:.60} "
                                 f"(self.{attribute} = {attribute})")


def _check_optimizers(model, name: str, spec: ModelSpec, learning_rate: float) -> None:
    found = {}
    for player in ("generator", "discriminator"):
        optimizer = getattr(getattr(model, player), "optimizer", None)
        where = f"model.{player}.optimizer"
        if optimizer is None:
            raise AssertionError(f"{name}: {where} is None: create one Adam per network in __init__, "
                                 f"self.{player}.optimizer = keras.optimizers.Adam(...)")
        if not isinstance(optimizer, keras.optimizers.Adam):
            raise AssertionError(f"{name}: {where} is a {type(optimizer).__name__}; the assignment uses "
                                 "keras.optimizers.Adam")
        lr = float(ops.convert_to_numpy(optimizer.learning_rate))
        if not math.isclose(lr, learning_rate, rel_tol=1e-5):
            extra = (": use the learning_rate argument, not the default" if math.isclose(lr, 0.005, rel_tol=1e-5)
                     else "")
            raise AssertionError(f"{name}: {where} has learning rate {lr:.6g} for learning_rate={learning_rate}"
                                 f"{extra}")
        for beta, expected in (("beta_1", spec.beta_1), ("beta_2", BETA_2)):
            got = float(getattr(optimizer, beta))
            if not math.isclose(got, expected, rel_tol=1e-6):
                raise AssertionError(f"{name}: {where} has {beta} = {got:g}; the assignment's {name} uses "
                                     f"beta_1 = {spec.beta_1:g} and beta_2 = {BETA_2:g}")
        found[player] = optimizer
    if found["generator"] is found["discriminator"]:
        raise AssertionError(f"{name}: the generator and the discriminator share one optimizer; give each its own "
                             "Adam (an Adam keeps per-variable moments and a step count)")


# hand-chosen critic outputs for the loss checks
REAL_SCORES = np.array([[0.5], [-0.5], [1.0], [0.0]])
FAKE_SCORES = np.array([[-1.0], [0.0], [0.5], [-0.5]])


def _check_losses(model, name: str, spec: ModelSpec) -> None:
    r, f = REAL_SCORES, FAKE_SCORES
    for player in ("discriminator", "generator"):
        if not callable(getattr(getattr(model, player), "loss", None)):
            args = "real_scores, fake_scores" if player == "discriminator" else "fake_scores"
            raise AssertionError(f"{name}: model.{player}.loss is not a function: set it in __init__, "
                                 f"self.{player}.loss = lambda {args}: ...")
    label = f"{name}: model.discriminator.loss"
    got = _value(_invoke(label, model.discriminator.loss, tf.constant(r, tf.float32), tf.constant(f, tf.float32)),
                 label)
    expected = float(ops.convert_to_numpy(spec.d_loss(r, f)))
    # Simple_GAN: mean((0.25, 2.25, 0, 1)) + mean((0, 1, 2.25, 0.25)) = 0.875 + 0.875 = 1.75
    # WGAN: mean(fake) - mean(real) = -0.25 - 0.25 = -0.5
    _expect(got, expected, f"{label} = {spec.d_formula} at real scores {_fmt(r[:, 0])}, fake scores "
            f"{_fmt(f[:, 0])}", mistakes=spec.d_mistakes(r, f))
    label = f"{name}: model.generator.loss"
    got = _value(_invoke(label, model.generator.loss, tf.constant(f, tf.float32)), label)
    expected = float(ops.convert_to_numpy(spec.g_loss(f)))
    # Simple_GAN: mean((4, 1, 0.25, 2.25)) = 1.875; WGAN: -mean(fake) = 0.25
    _expect(got, expected, f"{label} = {spec.g_formula} at fake scores {_fmt(f[:, 0])}",
            mistakes=spec.g_mistakes(f))


def _check_interpolation(cls, name: str) -> None:
    generator, critic = toy_networks()
    batch = 64
    model = _construct(cls, name, generator, critic, FixedLatents(np.zeros((batch, 2))), corner_cloud(batch, 0),
                       batch_size=batch)
    label = f"{name}.get_interpolated_sample"
    for shape in ((batch, 2), (batch, 3, 3, 1)):
        for low, high in ((0.0, 1.0), (1.0, 3.0)):
            real, fake = tf.fill(shape, high), tf.fill(shape, low)
            got = _value(_invoke(label, model.get_interpolated_sample, real, fake), label)
            if got.shape != shape:
                raise AssertionError(f"{label}: for real and fake samples of shape {shape} it returned shape "
                                     f"{got.shape}: draw u with shape (batch, 1, ..., 1), one 1 per data axis")
            u = (got - low) / (high - low)  # real = high, fake = low everywhere: x_hat = low + u (high - low)
            if np.any(u < -1e-6) or np.any(u > 1 + 1e-6):
                raise AssertionError(f"{label}: with every real value {high:g} and every fake value {low:g} the "
                                     f"result must lie between them; got values in [{got.min():.4g}, "
                                     f"{got.max():.4g}]: x_hat = u * real + (1 - u) * fake with u ~ U(0, 1)")
            per_example = u.reshape(batch, -1)
            if np.ptp(per_example, axis=1).max() > 1e-6:
                raise AssertionError(f"{label}: the weight differs between the coordinates of one example; draw "
                                     "one u per example (shape (batch, 1, ..., 1)), so each x_hat lies on the "
                                     "segment between a real and a fake sample")
            weights = per_example[:, 0]
            if np.ptp(weights) < 1e-6:
                raise AssertionError(f"{label}: every example got the same weight u = {weights[0]:.4g}: one "
                                     "interpolation weight for the whole batch; draw one u ~ U(0, 1) per example")
            # 64 draws of U(0, 1): mean 0.5 +- 0.036, standard deviation 0.289 +- 0.02
            if not (0.3 < weights.mean() < 0.7 and 0.18 < weights.std() < 0.4):
                raise AssertionError(f"{label}: the 64 weights have mean {weights.mean():.3f} and standard deviation "
                                     f"{weights.std():.3f}; U(0, 1) gives about 0.5 and 0.289")


def _check_penalty(cls, name: str) -> None:
    generator, critic = toy_networks(hidden=6, seed=3)
    batch = 6
    model = _construct(cls, name, generator, critic, FixedLatents(np.zeros((batch, 2))), corner_cloud(batch, 0),
                       batch_size=batch)
    rng = random_inputs(4)
    real, fake = corner_cloud(batch, 5), rng.uniform(size=(batch, 2)).astype("float32")
    alpha = rng.uniform(size=(batch, 1)).astype("float32")
    mixed = tf.constant(alpha * real + (1 - alpha) * fake)
    label = f"{name}.gradient_penalty"
    got = _scalar(_invoke(label, model.gradient_penalty, mixed), label)
    expected = float(losses.gradient_penalty(critic, tf.constant(real), tf.constant(fake), tf.constant(alpha)))
    with tf.GradientTape() as tape:
        tape.watch(mixed)
        scores = critic(mixed)
    grads = tape.gradient(scores, mixed).numpy().astype("float64")
    squares = np.sum(grads**2, axis=1)
    _expect(np.asarray(got), expected, f"{label} for a small tanh critic at 6 interpolated points "
            "(gancore.losses.gradient_penalty at the same points)", mistakes=[
                (np.mean((squares - 1) ** 2), "take the square root: the penalty uses the gradient's norm, not its "
                                              "squared norm"),
                ((math.sqrt(squares.sum()) - 1) ** 2, "take one norm per example (sum the squares over the data "
                                                      "axes only), not one over the whole batch"),
                (np.sum((np.sqrt(squares) - 1) ** 2), "you summed over the batch; average the per-example terms"),
                (np.mean(squares), "subtract 1: the penalty is (||grad|| - 1)^2, zero at gradient norm 1"),
            ], hint="E[(||grad_x D(x_hat)||_2 - 1)^2], the gradient taken with respect to the interpolated samples")


def _pinned_model(cls, name: str, fixture: StepFixture):
    """The learner's model on the fixture's networks, with every random draw pinned; returns the model and the
    call counters of the helpers it should use."""
    generator, critic = fixture.networks()
    latents = FixedLatents(fixture.latents)
    model = _construct(cls, name, generator, critic, latents, tf.constant(fixture.real), batch_size=STEP_BATCH,
                       disc_iter=fixture.disc_iter, learning_rate=fixture.learning_rate)
    calls = {"real": 0, "interpolated": 0}
    real = tf.constant(fixture.real)
    alpha = tf.constant(fixture.alpha)

    def fixed_real_sample(size=None):
        calls["real"] += 1
        return real[: size or STEP_BATCH]

    def fixed_interpolated_sample(real_sample, fake_sample):
        calls["interpolated"] += 1
        return alpha * real_sample + (1.0 - alpha) * fake_sample

    model.get_real_sample = fixed_real_sample
    if fixture.spec.gp_weight:
        model.get_interpolated_sample = fixed_interpolated_sample
    return model, calls


def _name_the_mistake(fixture: StepFixture, got: list, what: str, variants: list[Variant]) -> str:
    for variant in variants:
        if _same(got, reference_step(fixture, variant)[what]):
            return variant.why
    return ""


def _check_step(cls, name: str, fixture: StepFixture) -> dict:
    """One pinned train_step against :func:`reference_step`; returns the reference."""
    spec = fixture.spec
    model, calls = _pinned_model(cls, name, fixture)
    label = f"{name}.train_step"
    result = _invoke(label, model.train_step, None)
    if not isinstance(result, dict):
        raise AssertionError(f"{label} returned {type(result).__name__}; return a dict of the losses, "
                             "{" + ", ".join(f'"{k}": ...' for k in spec.keys) + "}")
    missing = [k for k in spec.keys if k not in result]
    if missing:
        raise AssertionError(f"{label} returned the keys {sorted(result)}; the assignment's are {list(spec.keys)}")
    d_steps = int(model.discriminator.optimizer.iterations)
    g_steps = int(model.generator.optimizer.iterations)
    if d_steps != fixture.disc_iter:
        raise AssertionError(f"{label} with disc_iter={fixture.disc_iter} made {d_steps} discriminator update(s); "
                             "it must make disc_iter of them (for _ in range(self.disc_iter): ...)")
    if g_steps != 1:
        raise AssertionError(f"{label} made {g_steps} generator update(s); it must make exactly one, after the "
                             "discriminator's")
    if calls["real"] < fixture.disc_iter:
        raise AssertionError(f"{label} called self.get_real_sample() {calls['real']} time(s) for "
                             f"disc_iter={fixture.disc_iter}: draw a fresh real sample for each critic update (the "
                             "check replaces get_real_sample by a fixed draw)")
    if spec.gp_weight and calls["interpolated"] < fixture.disc_iter:
        raise AssertionError(f"{label} called self.get_interpolated_sample(real, fake) {calls['interpolated']} "
                             f"time(s) for disc_iter={fixture.disc_iter}: build each critic update's interpolates "
                             "with it (the check replaces it by fixed weights)")
    reference = reference_step(fixture)
    critic_weights = model.discriminator.get_weights()
    if spec.clip:
        largest = max(float(np.max(np.abs(w))) for w in critic_weights)
        if largest > spec.clip + 1e-6:
            raise AssertionError(f"{label}: after the step a discriminator weight is {largest:.4f} in size (the "
                                 "check starts them at +-0.995, so one update pushes some past 1): clip every "
                                 "trainable discriminator weight to [-1, 1] after each critic update, "
                                 "w.assign(tf.clip_by_value(w, -1.0, 1.0))")
    if not _same(critic_weights, reference["critic"]):
        why = _name_the_mistake(fixture, critic_weights, "critic", _critic_variants(spec))
        raise AssertionError(f"{label}: after one step the discriminator's weights differ from the reference step's "
                             f"by up to {_largest_gap(critic_weights, reference['critic']):.3g}"
                             + (f": {why}" if why else ": check the discriminator's loss (it is "
                                f"{spec.d_formula}), that its gradient is taken with respect to "
                                "self.discriminator.trainable_variables and applied with its own optimizer"))
    generator_weights = model.generator.get_weights()
    if not _same(generator_weights, reference["generator"]):
        why = _name_the_mistake(fixture, generator_weights, "generator", _generator_variants(spec))
        raise AssertionError(f"{label}: after one step the generator's weights differ from the reference step's by "
                             f"up to {_largest_gap(generator_weights, reference['generator']):.3g}"
                             + (f": {why}" if why else ": the generator minimises "
                                f"{spec.g_formula} on fresh fakes, scored by the discriminator after its updates, "
                                "with respect to self.generator.trainable_variables"))
    for key, what in (("discr_loss", f"the discriminator's loss {spec.d_formula} at the last critic update"),
                      ("gen_loss", f"the generator's loss {spec.g_formula} at its update"),
                      ("gp", "the gradient penalty at the last critic update")):
        if key not in spec.keys:
            continue
        got = _scalar(result[key], f'{label}: result["{key}"]')
        _expect(np.asarray(got), reference[key], f'{label}: result["{key}"], {what}',
                mistakes=loss_mistakes(fixture, reference, key))
    return reference


def train_for(model, steps: int, callbacks: list | tuple = ()) -> None:
    """``model.fit`` for ``steps`` steps on a dummy dataset (the assignment's train_step ignores its argument)."""
    model.compile(jit_compile=False)
    model.fit(tf.data.Dataset.from_tensors(0.0).repeat(), steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False,
              callbacks=list(callbacks))


def _check_training(cls, name: str, spec: ModelSpec, seed: int = 0) -> tuple[float, float]:
    """A short fit() on the 2-D cloud N(0.8 * 1, 0.05^2 I): the distance from the mean of the generator's samples to
    the cloud's centre, averaged over the last RUN_TAIL steps (a GAN's generator keeps moving about the target), must
    be at most half the distance before training. Returns (distance before, average distance at the end)."""
    generator, critic = toy_networks(RUN_HIDDEN, spec.critic_output, seed=seed)
    rng = tf.random.Generator.from_seed(seed)
    latent_generator = lambda size: rng.normal((size, 2))
    cloud = corner_cloud(2000, seed + 10)
    model = _construct(cls, name, generator, critic, latent_generator, tf.constant(cloud), batch_size=RUN_BATCH,
                       disc_iter=RUN_DISC_ITER, learning_rate=RUN_LR)
    picks = tf.random.Generator.from_seed(seed + 1)
    real = tf.constant(cloud)
    model.get_real_sample = lambda size=None: tf.gather(
        real, picks.uniform((size or RUN_BATCH,), 0, len(cloud), dtype=tf.int32))
    z = np.random.default_rng(seed + 2).standard_normal((1000, 2)).astype("float32")
    centre = np.full(2, CLOUD_CENTRE)
    distances: dict[int, float] = {}

    def score(step: int) -> None:
        if step % RUN_EVERY == 0:
            distances[step] = float(np.linalg.norm(generator(z, training=False).numpy().mean(0) - centre))

    score(0)
    scorer = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: score(batch + 1))
    _invoke(f"fit() of {name} (train_step runs inside a tf.function there: no .numpy() or Python floats of "
            "tensors in it)", train_for, model, RUN_STEPS, [scorer])
    before = distances[0]
    after = float(np.mean([d for step, d in distances.items() if step > RUN_STEPS - RUN_TAIL]))
    # the untrained generator's mean sits near (0.5, 0.5), about 0.44 from the centre; the reference solutions end
    # 0.03 to 0.12 from it on average (four seeds), so half the starting distance leaves a margin of two
    if not after < 0.5 * before:
        raise AssertionError(f"{name}: after {RUN_STEPS} fit() steps on the 2-D cloud N(0.8, 0.05^2 I) the mean of "
                             f"the generator's samples is on average {after:.3f} from the cloud's centre over the "
                             f"last {RUN_TAIL} steps (it started {before:.3f} away); a working model halves that "
                             "distance at least")
    return before, after


def _check_model(cls, spec: ModelSpec) -> None:
    name = _name(cls)
    generator, critic = toy_networks(critic_output=spec.critic_output)
    latents, real = FixedLatents(np.zeros((4, 2))), tf.constant(corner_cloud(4, 0))
    model = _construct(cls, name, generator, critic, latents, real)
    _check_signature(cls, name, spec)
    _check_attributes(model, name, {"generator": generator, "discriminator": critic, "latent_generator": latents,
                                    "real_examples": real, **DEFAULTS, **spec.extra_parameters})
    _check_optimizers(model, name, spec, DEFAULTS["learning_rate"])
    generator, critic = toy_networks(critic_output=spec.critic_output)
    model = _construct(cls, name, generator, critic, latents, real, batch_size=5, disc_iter=4, learning_rate=0.02)
    _check_attributes(model, name, {"batch_size": 5, "disc_iter": 4, "learning_rate": 0.02})
    _check_optimizers(model, name, spec, 0.02)
    _check_losses(model, name, spec)
    if spec.gp_weight:
        _check_interpolation(cls, name)
        _check_penalty(cls, name)
    reference = _check_step(cls, name, StepFixture.make(spec))
    before, after = _check_training(cls, name, spec)
    extra = {"Simple_GAN": "", "WGAN_clip": ", critic weights clipped to [-1, 1]",
             "WGAN_GP": ", penalty with one interpolation weight per example"}[spec.name]
    _passed(f"{name}: constructor, Adam(beta_1={spec.beta_1:g}, beta_2={BETA_2:g}), losses; one train_step = "
            f"{STEP_DISC_ITER} critic updates + 1 generator update matching the reference (discr_loss "
            f"{reference['discr_loss']:.4f}){extra}; fit() brought the samples' mean from {before:.3f} to {after:.3f} "
            "of the 2-D cloud's centre")


def check_simple_gan(cls) -> None:
    """``Simple_GAN``: least squares with targets +1 (real) and -1 (fake), Adam(0.5, 0.9)."""
    _check_model(cls, SPECS["Simple_GAN"])


def check_wgan_clip(cls) -> None:
    """``WGAN_clip``: the Wasserstein losses, discriminator weights clipped to [-1, 1], Adam(0.5, 0.9)."""
    _check_model(cls, SPECS["WGAN_clip"])


def check_wgan_gp(cls) -> None:
    """``WGAN_GP``: the Wasserstein losses plus lambda_gp = 10 times the gradient penalty, Adam(0.3, 0.9)."""
    _check_model(cls, SPECS["WGAN_GP"])
