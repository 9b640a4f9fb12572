"""The exercises: every check passes the reference solution, reports a stub as "not written yet" and names a
typical mistake; the learner notebooks are a fresh nbgrader release of the sources; the sources run clean and every
learner check cell fails on the blank stubs (both executed in one kernel, namespaces reset between notebooks)."""

from __future__ import annotations

import copy
import io
import re
from contextlib import redirect_stdout
from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from gancore import losses
from gancore.chapters import assignment_checks
from gancore.chapters import exercises as checks
from gancore.course import exercises as release

ROOT = Path(__file__).resolve().parent.parent
SOURCES = release.source_notebooks(ROOT)
CHECK_CALL = re.compile(r"(?:exercises|assignment_checks)\.(check_\w+)\((\w+)\)")
CHECK_MODULES = (checks, assignment_checks)  # the skills' function checks and the S4 assignment's class checks


def grade_cells(nb) -> list:
    return [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")]


def exercise_list() -> list[tuple[str, str, str]]:
    """(notebook, check function, learner function) for every graded check cell of the sources."""
    found = []
    for path in SOURCES:
        for cell in grade_cells(nbformat.read(path, as_version=4)):
            match = CHECK_CALL.search(cell.source)
            assert match, f"{path.name}: a graded cell without an exercises.check_...(...) call: {cell.source[:80]}"
            found.append((path.name, match.group(1), match.group(2)))
    return found


EXERCISES = exercise_list()


@pytest.fixture(scope="module")
def solutions() -> dict:
    """The reference solutions: every non-graded code cell of every source notebook, run in this process."""
    functions: dict = {}
    for path in SOURCES:
        namespace: dict = {}
        with redirect_stdout(io.StringIO()):
            for cell in nbformat.read(path, as_version=4).cells:
                if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade"):
                    exec(compile(cell.source, str(path), "exec"), namespace)
        for _, _, name in (e for e in EXERCISES if e[0] == path.name):
            assert name not in functions, f"{name} is defined by two notebooks"
            functions[name] = namespace[name]
    return functions


def check_function(check: str):
    (found,) = [getattr(module, check) for module in CHECK_MODULES if hasattr(module, check)]
    return found


def run_check(check: str, fn) -> str:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        assert check_function(check)(fn) is None
    return buffer.getvalue()


# --- the checks, in process ---------------------------------------------------------------------------------------
def test_there_are_at_least_43_exercises_each_with_its_own_check():
    assert len(EXERCISES) >= 43
    used = [check for _, check, _ in EXERCISES]
    assert len(set(used)) == len(used), "a check is used twice"
    defined = {name for module in CHECK_MODULES for name in dir(module) if name.startswith("check_")}
    assert set(used) == defined, f"checks without an exercise: {defined - set(used)}"
    tested = set(MISTAKES) | set(MODEL_MISTAKES)
    assert set(used) == tested, f"checks without a mistake test: {set(used) - tested}"


@pytest.mark.parametrize("check, name", [(c, n) for _, c, n in EXERCISES], ids=[c for _, c, _ in EXERCISES])
def test_check_passes_the_reference_solution(solutions, check, name):
    printed = run_check(check, solutions[name])
    assert printed.startswith(f"passed: {name}") and printed.count("\n") == 1, printed
    if check in MODEL_OF:  # the S4 classes' training run: from (0.5, 0.5), about 0.44 away, to near (0.8, 0.8)
        before, after = map(float, re.search(r"mean from ([\d.]+) to ([\d.]+)", printed).groups())
        assert 0.4 < before < 0.48 and 0.01 < after < 0.2, printed


@pytest.mark.parametrize("check, name", [(c, n) for _, c, n in EXERCISES], ids=[c for _, c, _ in EXERCISES])
def test_check_says_a_stub_is_not_written_yet(check, name):
    def stub(*args, **kwargs):
        raise NotImplementedError()

    stub.__name__ = name
    with pytest.raises(AssertionError) as error:
        run_check(check, stub)
    assert str(error.value) == (f"{name}: not written yet: replace `raise NotImplementedError()` in {name} with "
                                "your code")


def _swapped_mask(k, kind):
    mask = np.zeros((k, k))
    mask[: k // 2] = 1
    mask[k // 2, : k // 2] = 1
    if kind == "A":
        mask[k // 2, k // 2] = 1
    return mask


def _kl_without_skipping_zeros(counts):
    p = np.asarray(counts, "float64") / np.sum(counts)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum(p * np.log(p * len(p))))


def _modes_all_samples(samples, centres, sigma, threshold=3.0):
    distances = np.linalg.norm(samples[:, None] - centres[None], axis=-1)
    return int(len(np.unique(distances.argmin(1))))


def _slerp_without_fallback(z0, z1, t):
    with np.errstate(divide="ignore", invalid="ignore"):
        omega = np.arccos(np.clip(np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1)), -1, 1))
        return (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)


def _clip_returning_copies(model, c):
    return [np.clip(w, -c, c) for w in model.get_weights()]


def _clip_kernels_only(model, c):
    for w in model.trainable_weights:
        if "kernel" in w.path:
            w.assign(ops.clip(w, -c, c))


def _clip_everything(model, c):
    for w in model.weights:
        w.assign(ops.clip(w, -c, c))


def _penalty(norm_axes, sqrt=True):
    def penalty(critic, real, fake, alpha):
        x_hat = alpha * real + (1.0 - alpha) * fake
        with tf.GradientTape() as tape:
            tape.watch(x_hat)
            scores = critic(x_hat)
        squares = tf.reduce_sum(tf.square(tape.gradient(scores, x_hat)), axis=norm_axes)
        norms = tf.sqrt(squares + 1e-10) if sqrt else squares
        return tf.reduce_mean(tf.square(norms - 1.0))
    return penalty


def _pool_returning_the_new_image(pool, image, size, coin, slot):
    if len(pool) < size:
        pool.append(image)
    elif coin > 0.5:
        pool[slot] = image
    return image


def _paste_in_place(images, patch):
    h = patch.shape[1]
    start = (images.shape[1] - h) // 2
    images[:, start:start + h, start:start + h] = patch
    return images


def _inclusive_hole(size, hole):
    start = (size - hole) // 2
    mask = np.zeros((size, size), bool)
    mask[start:start + hole + 1, start:start + hole + 1] = True
    return mask


def _biased_kid(x, y):
    d = x.shape[1]
    k = lambda a, b: (a @ b.T / d + 1.0) ** 3
    return float(k(x, x).mean() + k(y, y).mean() - 2 * k(x, y).mean())


def _score_without_exp(logits):
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    marginal = p.mean(0, keepdims=True)
    return float(np.mean(np.sum(p * (np.log(p + 1e-12) - np.log(marginal + 1e-12)), 1)))


def _gradient_of_mean(logits_fn, images, labels):
    with tf.GradientTape() as tape:
        tape.watch(images)
        loss = ops.mean(keras.losses.sparse_categorical_crossentropy(labels, logits_fn(images), from_logits=True))
    return tape.gradient(loss, images)


def _ce(logits, one_hot):
    return ops.logsumexp(logits, axis=-1) - ops.sum(one_hot * logits, axis=-1)


# check -> [(a plausible wrong implementation, a fragment of the message it must get)]
MISTAKES: dict[str, list] = {
    "check_reparameterise": [
        (lambda m, lv, e: m + ops.exp(lv) * e, "scaled epsilon by the variance exp(log_var)"),
        (lambda m, lv, e: np.asarray(m) + np.exp(0.5 * np.asarray(lv)) * np.asarray(e), "the gradient is None"),
    ],
    "check_gaussian_kl": [
        (lambda m, lv: -0.5 * ops.mean(1 + lv - m**2 - ops.exp(lv), axis=-1), "averaged over the latent dimensions"),
        (lambda m, lv: -0.5 * ops.mean(ops.sum(1 + lv - m**2 - ops.exp(lv), axis=-1)), "expected shape (3,), got ()"),
    ],
    "check_bernoulli_negative_elbo": [
        (lambda x, p, m, lv: ops.mean(ops.mean(-(x * ops.log(p) + (1 - x) * ops.log(1 - p)), axis=(1, 2, 3))
                                      - 0.5 * ops.sum(1 + lv - m**2 - ops.exp(lv), -1)),
         "averaged the cross-entropy over pixels"),
        (lambda x, p, m, lv: (1.0, 2.0, 3.0), "returned a tuple of 3 items"),
    ],
    "check_causal_mask": [(_swapped_mask, "A and B are swapped"),
                          (lambda k, kind: _swapped_mask(k, "B" if kind == "A" else "A").T, "transposed")],
    "check_bits_per_dimension": [
        (lambda x, p: ops.mean(-(x * ops.log(p) + (1 - x) * ops.log(1 - p))), "that is in nats"),
    ],
    "check_discriminator_loss": [
        (lambda r, f: ops.mean(ops.softplus(r)) + ops.mean(ops.softplus(-f)), "the labels are swapped"),
        (lambda r, f: ops.softplus(-r) + ops.softplus(f), "expected shape (), got (4, 1)"),
        (lambda r, f: -ops.mean(ops.log(ops.sigmoid(r))) - ops.mean(ops.log(1 - ops.sigmoid(f))),
         "not numerically stable"),
    ],
    "check_non_saturating_generator_loss": [
        (lambda f: -ops.mean(ops.softplus(f)), "that is the minimax loss"),
        (lambda f: ops.sum(ops.softplus(-f)), "you summed over the batch"),
    ],
    "check_minimax_generator_loss": [
        (lambda f: ops.mean(ops.log(1 - ops.sigmoid(f))), "not numerically stable"),
        (lambda f: ops.mean(ops.softplus(-f)), "the non-saturating loss"),
        (lambda f: ops.mean(ops.softplus(f)), "a flipped sign"),
    ],
    "check_kl_to_uniform": [
        (lambda c: _kl_without_skipping_zeros(np.asarray(c) + 1e-300) / np.log(2), "that is in bits"),
        (_kl_without_skipping_zeros, "0 log 0"),
    ],
    "check_modes_captured": [(_modes_all_samples, "only high-quality samples count")],
    "check_conv_transpose_output_size": [
        (lambda n, k, s, p: (n - k) // s + 1, "ordinary (downsampling) convolution"),
        (lambda n, k, s, p: (n - 1) * s + k, "with padding 'same' the output is exactly size * stride"),
    ],
    "check_lerp": [(lambda z0, z1, t: t * z0 + (1 - t) * z1, "reversed")],
    "check_slerp": [
        (lambda z0, z1, t: (1 - t) * z0 + t * z1, "the straight line (lerp)"),
        (_slerp_without_fallback, "fall back to lerp"),
    ],
    "check_real_targets": [(lambda u, s, r: np.where(u >= r, 0.0, 1.0 - s), "reversed")],
    "check_smoothed_discriminator_loss": [
        (lambda r, f, t: ops.mean(ops.softplus(r) - t * r) + ops.mean(ops.softplus(f) - 0.1 * f), "one-sided"),
    ],
    "check_instance_noise": [(lambda x, n, step, total, std: x + std * n, "anneal the std linearly")],
    "check_condition_noise": [
        (lambda z, y, k: np.concatenate([np.eye(k)[y], z], -1), "order: the noise first"),
        (lambda z, y, k: np.concatenate([z, y[:, None]], -1), "one-hot encode the labels"),
    ],
    "check_condition_image": [
        (lambda x, y, k: np.concatenate([np.broadcast_to(np.eye(k)[y][:, None, None], x.shape[:3] + (k,)), x], -1),
         "order: the image channels first"),
    ],
    "check_categorical_code_loss": [
        (lambda c, lg: -ops.mean(ops.sum(c * ops.softmax(lg, axis=-1), axis=-1)), "take the log of the softmax"),
    ],
    "check_gaussian_code_loss": [(lambda c, m: ops.mean(ops.sum(ops.square(c - m), axis=-1)), "missing factor 0.5")],
    "check_acgan_discriminator_loss": [
        (lambda r, f, rc, fc, ry, fy: 0.5 * ops.mean(ops.concatenate([ops.softplus(-r), ops.softplus(f)], 0))
         + 0.5 * ops.mean(_ce(rc, ry)), "the class term covers the fakes too"),
    ],
    "check_real_logit_from_class_logits": [
        (lambda lg: ops.logsumexp(lg, axis=-1) - lg[..., -1], "leave the fake class"),
        (lambda lg: ops.log(ops.sum(ops.exp(lg[..., :-1]), axis=-1)) - lg[..., -1], "exp(1000) overflows"),
    ],
    "check_critic_loss": [(lambda r, f: ops.mean(r) - ops.mean(f), "sign")],
    "check_clip_weights": [(_clip_returning_copies, "did not change"), (_clip_kernels_only, "biases included"),
                           (_clip_everything, "moving statistics")],
    "check_lsgan_discriminator_loss": [
        (lambda r, f: ops.mean(ops.square(r - 1)) + ops.mean(ops.square(f)), "missing the factor 0.5"),
    ],
    "check_lsgan_generator_loss": [(lambda f: 0.5 * ops.mean(ops.square(f)), "target is 1")],
    "check_gradient_penalty": [(_penalty([1, 2, 3], sqrt=False), "take the square root"),
                               (_penalty([0, 1, 2, 3]), "one norm per example")],
    "check_pix2pix_generator_loss": [
        (lambda p, t, d, l1_weight=100.0: ops.mean(ops.square(d - 1)) + l1_weight * ops.mean(ops.square(p - t)),
         "L1 (mean absolute) error"),
    ],
    "check_cycle_consistency_loss": [
        (lambda a, b, ca, cb: ops.mean(ops.square(ca - a)) + ops.mean(ops.square(cb - b)), "not a squared one"),
        (lambda a, b, ca, cb: 0.5 * (ops.mean(ops.abs(ca - a)) + ops.mean(ops.abs(cb - b))),
         "add the two directions"),
    ],
    "check_identity_loss": [
        (lambda g_ab, g_ba, a, b: ops.mean(ops.abs(g_ab(a) - a)) + ops.mean(ops.abs(g_ba(b) - b)),
         "the domain it translates *to*"),
    ],
    "check_image_pool_query": [(_pool_returning_the_new_image, "sees the *old* image")],
    "check_psnr": [
        (lambda p, t, peak=1.0: 10 * np.log10(peak**2 / max(np.mean((p - t) ** 2), 1e-10)), "one PSNR per image"),
        (lambda p, t, peak=1.0: 20 * np.log10(peak**2 / np.maximum(np.mean((p - t) ** 2, axis=(1, 2, 3)), 1e-10)),
         "not 20 log10"),
    ],
    "check_srgan_generator_loss": [
        (lambda s, h, lg, adversarial_weight=1e-3: adversarial_weight * ops.mean(ops.square(s - h))
         + ops.mean(ops.softplus(-lg)), "the weight 1e-3 belongs to the adversarial term"),
    ],
    "check_centre_hole_mask": [(_inclusive_hole, "the hole must hold hole x hole"),
                               (lambda n, h: _inclusive_hole(n + 1, h - 1)[1:, 1:] if n == 6 and h == 3 else
                                _inclusive_hole(n, h - 1), "starts at (image_size - hole) // 2")],
    "check_paste_centre": [(_paste_in_place, "changed its input")],
    "check_frechet_distance": [
        (lambda m1, s1, m2, s2: float(np.sum((m1 - m2) ** 2) + np.trace(s1 + s2) - 2 * np.sqrt(s1 * s2).sum()),
         "element-wise square root"),
        (lambda m1, s1, m2, s2: np.sum((m1 - m2) ** 2) + np.trace(s1 + s2) - 2 * np.trace(
            np.lib.scimath.sqrt(-np.eye(len(m1)))), "keep the real part"),
    ],
    "check_kid": [(_biased_kid, "leave the diagonal")],
    "check_classifier_score": [(_score_without_exp, "exponentiate")],
    "check_input_gradient": [(_gradient_of_mean, "averaged the loss over the batch")],
    "check_fgsm": [(lambda x, g, e: x + e * np.sign(g), "clip the result")],
}


@pytest.mark.parametrize("check, wrong, fragment",
                         [(check, wrong, fragment) for check, cases in MISTAKES.items() for wrong, fragment in cases],
                         ids=[f"{check}-{i}" for check, cases in MISTAKES.items() for i in range(len(cases))])
def test_check_names_the_mistake(check, wrong, fragment):
    with pytest.raises(AssertionError) as error:
        run_check(check, wrong)
    assert fragment in str(error.value)
    assert "not written yet" not in str(error.value)


def test_a_function_without_return_is_told_so():
    with pytest.raises(AssertionError, match="returned None: end it with `return <result>`"):
        run_check("check_gaussian_code_loss", lambda codes, means: None)



# --- the S4 assignment's three classes: plausible wrong implementations --------------------------------------------
def _ls_pm1_zero_one(real, fake):
    return ops.mean(ops.square(real - 1.0)) + ops.mean(ops.square(fake))


def _minimax_pm1(fake):
    return -ops.mean(ops.square(fake + 1.0))


def seed_class(kind: str, beta_1: float | None = None, fixed_lr: float | None = None, shared_optimizer: bool = False,
               d_loss=None, g_loss=None, step_g_loss=None, fixed_disc_iter: int | None = None,
               clip: float | None | str = "default", clip_generator: bool = False, gp_weight: float | None = None,
               one_alpha: bool = False, squared_norm: bool = False, report_total: bool = False,
               stub: str = ""):
    """One of the assignment's classes written in the seed's style, with one knob turned to a mistake."""
    gp = kind == "WGAN_GP"
    beta_1 = beta_1 if beta_1 is not None else (0.3 if gp else 0.5)
    clip = (1.0 if kind == "WGAN_clip" else None) if clip == "default" else clip
    d_loss = d_loss or (losses.least_squares_pm1_discriminator_loss if kind == "Simple_GAN"
                        else losses.wasserstein_critic_loss)
    g_loss = g_loss or (losses.least_squares_pm1_generator_loss if kind == "Simple_GAN"
                        else losses.wasserstein_generator_loss)

    class Model(keras.Model):
        def __init__(self, generator, discriminator, latent_generator, real_examples, batch_size=200, disc_iter=2,
                     learning_rate=0.005, lambda_gp=10):
            super().__init__()
            if stub == "__init__":
                raise NotImplementedError()
            self.generator, self.discriminator = generator, discriminator
            self.latent_generator, self.real_examples = latent_generator, real_examples
            self.batch_size, self.disc_iter, self.learning_rate = batch_size, disc_iter, learning_rate
            self.lambda_gp = lambda_gp
            lr = fixed_lr or learning_rate
            self.generator.optimizer = keras.optimizers.Adam(lr, beta_1=beta_1, beta_2=0.9)
            self.discriminator.optimizer = (self.generator.optimizer if shared_optimizer
                                            else keras.optimizers.Adam(lr, beta_1=beta_1, beta_2=0.9))
            self.generator.loss, self.discriminator.loss = g_loss, d_loss

        def get_fake_sample(self, size=None, training=False):
            return self.generator(self.latent_generator(size or self.batch_size), training=training)

        def get_real_sample(self, size=None):
            indices = tf.random.shuffle(tf.range(tf.shape(self.real_examples)[0]))[: size or self.batch_size]
            return tf.gather(self.real_examples, indices)

        def get_interpolated_sample(self, real_sample, fake_sample):
            if stub == "get_interpolated_sample":
                raise NotImplementedError()
            shape = [1 if one_alpha else tf.shape(real_sample)[0]] + [1] * (len(real_sample.shape) - 1)
            u = tf.random.uniform(shape)
            return u * real_sample + (1.0 - u) * fake_sample

        def gradient_penalty(self, interpolated_sample):
            with tf.GradientTape() as tape:
                tape.watch(interpolated_sample)
                scores = self.discriminator(interpolated_sample, training=True)
            squares = tf.reduce_sum(tf.square(tape.gradient(scores, interpolated_sample)), axis=1)
            return tf.reduce_mean(tf.square((squares if squared_norm else tf.sqrt(squares + 1e-10)) - 1.0))

        def train_step(self, useless_argument):
            if stub == "train_step":
                raise NotImplementedError()
            for _ in range(fixed_disc_iter or self.disc_iter):
                with tf.GradientTape() as tape:
                    real, fake = self.get_real_sample(), self.get_fake_sample(training=True)
                    discr_loss = self.discriminator.loss(self.discriminator(real), self.discriminator(fake))
                    total = discr_loss
                    if gp:
                        penalty = self.gradient_penalty(self.get_interpolated_sample(real, fake))
                        total = discr_loss + (self.lambda_gp if gp_weight is None else gp_weight) * penalty
                variables = self.discriminator.trainable_variables
                self.discriminator.optimizer.apply_gradients(zip(tape.gradient(total, variables), variables))
                for weight in variables if clip else ():
                    weight.assign(tf.clip_by_value(weight, -clip, clip))
            with tf.GradientTape() as tape:
                gen_loss = (step_g_loss or self.generator.loss)(self.discriminator(self.get_fake_sample(training=True)))
            variables = self.generator.trainable_variables
            self.generator.optimizer.apply_gradients(zip(tape.gradient(gen_loss, variables), variables))
            for weight in variables if clip_generator else ():
                weight.assign(tf.clip_by_value(weight, -1.0, 1.0))
            result = {"discr_loss": total if report_total else discr_loss, "gen_loss": gen_loss}
            return {**result, "gp": penalty} if gp else result

    Model.__name__ = Model.__qualname__ = kind
    return Model


# check -> [(the knobs of a wrong class, a fragment of the message it must get)]
MODEL_MISTAKES: dict[str, list] = {
    "check_simple_gan": [
        ({"g_loss": _minimax_pm1}, "that is the minimax form"),
        ({"step_g_loss": _minimax_pm1}, "the minimax form (maximising the discriminator's loss on fakes)"),
        ({"d_loss": _ls_pm1_zero_one}, "the fake target is -1 here, not 0"),
        ({"fixed_disc_iter": 2}, "with disc_iter=3 made 2 discriminator update(s)"),
        ({"shared_optimizer": True}, "share one optimizer"),
        ({"fixed_lr": 0.005}, "use the learning_rate argument"),
        ({"beta_1": 0.9}, "has beta_1 = 0.9; the assignment's Simple_GAN uses beta_1 = 0.5"),
    ],
    "check_wgan_clip": [
        ({"clip": None}, "clip every trainable discriminator weight to [-1, 1] after each critic update"),
        ({"clip": 0.01}, "the WGAN paper's value"),
        ({"clip_generator": True}, "the generator's weights were clipped too"),
        ({"d_loss": lambda r, f: ops.mean(r) - ops.mean(f)}, "sign: the critic minimises E[D(fake)] - E[D(real)]"),
    ],
    "check_wgan_gp": [
        ({"one_alpha": True}, "one interpolation weight for the whole batch"),
        ({"gp_weight": 0.0}, "the critic's update ignores the penalty"),
        ({"gp_weight": 1.0}, "the penalty's weight is 1"),
        ({"squared_norm": True}, "take the square root"),
        ({"beta_1": 0.5}, "uses beta_1 = 0.3"),
        ({"report_total": True}, "report discr_loss without the penalty"),
    ],
}
MODEL_OF = {"check_simple_gan": "Simple_GAN", "check_wgan_clip": "WGAN_clip", "check_wgan_gp": "WGAN_GP"}


@pytest.mark.parametrize("check, knobs, fragment",
                         [(check, knobs, fragment) for check, cases in MODEL_MISTAKES.items()
                          for knobs, fragment in cases],
                         ids=[f"{check}-{next(iter(knobs))}" for check, cases in MODEL_MISTAKES.items()
                              for knobs, _ in cases])
def test_assignment_check_names_the_mistake(check, knobs, fragment):
    with pytest.raises(AssertionError) as error:
        run_check(check, seed_class(MODEL_OF[check], **knobs))
    assert fragment in str(error.value)
    assert "not written yet" not in str(error.value)


def test_the_knob_class_without_mistakes_passes_every_assignment_check(monkeypatch):
    # the training run is left out (the reference solutions go through it): each mistake above is then due to its knob
    monkeypatch.setattr(assignment_checks, "_check_training", lambda cls, name, spec: (0.44, 0.1))
    for check, kind in MODEL_OF.items():
        assert run_check(check, seed_class(kind)).startswith(f"passed: {kind}")


@pytest.mark.parametrize("kind, method", [("Simple_GAN", "train_step"), ("WGAN_GP", "get_interpolated_sample")])
def test_a_method_left_as_a_stub_is_named(kind, method):
    check = {v: k for k, v in MODEL_OF.items()}[kind]
    with pytest.raises(AssertionError) as error:
        run_check(check, seed_class(kind, stub=method))
    assert str(error.value) == (f"{kind}.{method}: not written yet: replace `raise NotImplementedError()` in "
                                f"{kind}.{method} with your code")


def test_the_assignment_losses_at_the_checks_scores_are_the_hand_computed_values():
    specs, real, fake = assignment_checks.SPECS, assignment_checks.REAL_SCORES, assignment_checks.FAKE_SCORES
    # Simple_GAN: mean((0.25, 2.25, 0, 1)) + mean((0, 1, 2.25, 0.25)) = 1.75; G: mean((4, 1, 0.25, 2.25)) = 1.875
    assert float(specs["Simple_GAN"].d_loss(real, fake)) == pytest.approx(1.75, abs=1e-12)
    assert float(specs["Simple_GAN"].g_loss(fake)) == pytest.approx(1.875, abs=1e-12)
    # WGAN: mean(fake) - mean(real) = -0.25 - 0.25 = -0.5; G: -mean(fake) = 0.25
    for kind in ("WGAN_clip", "WGAN_GP"):
        assert float(specs[kind].d_loss(real, fake)) == pytest.approx(-0.5, abs=1e-12)
        assert float(specs[kind].g_loss(fake)) == pytest.approx(0.25, abs=1e-12)


def test_the_clip_fixture_pushes_critic_weights_past_the_bound_unless_clipped():
    fixture = assignment_checks.StepFixture.make(assignment_checks.SPECS["WGAN_clip"])
    unclipped = assignment_checks.reference_step(fixture, assignment_checks.Variant(clip="none"))
    clipped = assignment_checks.reference_step(fixture)
    largest = lambda weights: max(float(np.max(np.abs(w))) for w in weights)
    assert 1.005 < largest(unclipped["critic"]) < 1.1  # 0.995 plus about three Adam steps of 0.02
    assert largest(clipped["critic"]) == pytest.approx(1.0, abs=1e-6)
    assert 1.0 < largest(fixture.generator_weights) <= 1.5  # a generator clipped by mistake shows


@pytest.mark.parametrize("kind", list(MODEL_OF.values()))
def test_every_named_step_mistake_shows_in_the_weights_or_the_reported_loss(kind):
    spec = assignment_checks.SPECS[kind]
    fixture = assignment_checks.StepFixture.make(spec)
    right = assignment_checks.reference_step(fixture)
    reported = {why: value for key in ("discr_loss", "gen_loss")
                for value, why in assignment_checks.loss_mistakes(fixture, right, key)}
    for what, key, variants in (("critic", "discr_loss", assignment_checks._critic_variants(spec)),
                                ("generator", "gen_loss", assignment_checks._generator_variants(spec))):
        for variant in variants:
            wrong = assignment_checks.reference_step(fixture, variant)[what]
            # the checks compare weights to 2e-5 and losses to 1e-4 relative: a variant must end five times further
            by_weights = assignment_checks._largest_gap(wrong, right[what]) > 1e-4
            by_loss = variant.why in reported and abs(reported[variant.why] - right[key]) > 5e-4 * abs(right[key])
            assert by_weights or by_loss, variant.why

FUNCTION_CHECKS = [(c, n) for _, c, n in EXERCISES if c not in MODEL_OF]


@pytest.mark.parametrize("seed", [1, 7])
def test_reference_solutions_pass_for_other_seeds_of_the_random_inputs(solutions, seed):
    """The notebooks' SEED parameter: a correct answer passes whatever the checks' random inputs (the S4 class
    checks, which train, are left out: only their penalty check draws from the seed)."""
    first = checks.random_inputs(0).normal(size=4)
    checks.use_seed(seed)
    try:
        assert not np.array_equal(checks.random_inputs(0).normal(size=4), first)  # other inputs indeed
        for check, name in FUNCTION_CHECKS:
            assert run_check(check, solutions[name]).startswith(f"passed: {name}"), check
    finally:
        checks.use_seed(0)


# --- the notebooks ------------------------------------------------------------------------------------------------
def test_book_yml_lists_every_exercise_notebook_and_its_source():
    from gancore.course import manifest

    listed = manifest.load_manifest(ROOT / "book.yml").exercises
    assert sorted(e.source for e in listed) == [p.relative_to(ROOT).as_posix() for p in SOURCES]
    assert sorted(e.notebook for e in listed) == [release.release_path(p).relative_to(ROOT).as_posix()
                                                  for p in SOURCES]
    assert {e.skill for e in listed} == {"S4", *(str(n) for n in range(1, 12))}


def test_exercise_notebooks_have_one_seed_parameters_cell():
    for source in SOURCES:
        for path in (source, release.release_path(source)):
            cells = nbformat.read(path, as_version=4).cells
            tagged = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
            assert [c.source.split()[:3] for c in tagged] == [["SEED", "=", "0"]], path.name
            assert sum("exercises.use_seed(SEED)" in c.source for c in cells) == 1, path.name


def test_learner_notebooks_are_a_fresh_release_of_the_sources():
    assert release.release(ROOT, check=True) == [], "stale learner notebooks: run `make exercises`"
    learners = sorted(p.name for p in (ROOT / release.RELEASE_DIR).glob("*.ipynb"))
    assert learners == [p.name for p in SOURCES]


def test_learner_notebooks_hide_the_answers_and_carry_no_outputs():
    for source in SOURCES:
        learner = nbformat.read(release.release_path(source), as_version=4)
        text = "\n".join(c.source for c in learner.cells)
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text, source.name
        for cell in learner.cells:
            assert cell.cell_type != "code" or (not cell.outputs and cell.execution_count is None), source.name
        assert len(grade_cells(learner)) == len(grade_cells(nbformat.read(source, as_version=4)))
        for cell in grade_cells(learner):
            assert cell.metadata["editable"] is False and cell.metadata["deletable"] is False


@pytest.fixture(scope="module")
def executed() -> dict:
    """Every source and every learner notebook executed with nbclient in one kernel (``%reset -f`` between them, so
    TensorFlow is imported once). {(kind, name): the executed cells}."""
    from nbclient import NotebookClient

    combined = nbformat.v4.new_notebook(metadata=nbformat.read(SOURCES[0], as_version=4).metadata)
    spans = {}
    for kind, paths in (("source", SOURCES), ("learner", [release.release_path(p) for p in SOURCES])):
        for path in paths:
            cells = copy.deepcopy(nbformat.read(path, as_version=4).cells)
            combined.cells.append(nbformat.v4.new_code_cell("%reset -f"))
            spans[(kind, path.name)] = (len(combined.cells), len(combined.cells) + len(cells))
            for cell in cells:  # sources and learners share cell ids: make them unique in the combined notebook
                cell["id"] = f"{kind}-{cell['id']}"
            combined.cells.extend(cells)
    NotebookClient(combined, timeout=300, allow_errors=True, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / release.RELEASE_DIR)}}).execute()
    return {key: combined.cells[start:stop] for key, (start, stop) in spans.items()}


def errors_of(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


@pytest.mark.parametrize("name", [p.name for p in SOURCES])
def test_source_notebook_runs_and_every_check_passes(executed, name):
    cells = executed[("source", name)]
    for index, cell in enumerate(cells):
        assert not errors_of(cell), f"{name} cell {index}: {errors_of(cell)[0].get('evalue')}"
    for cell in grade_cells(nbformat.from_dict({"cells": cells})):
        assert printed(cell).startswith("passed: "), f"{name}: {cell.source!r} printed {printed(cell)!r}"


@pytest.mark.parametrize("name", [p.name for p in SOURCES])
def test_every_learner_check_fails_on_the_blank_stubs(executed, name):
    cells = executed[("learner", name)]
    graded = grade_cells(nbformat.from_dict({"cells": cells}))
    assert graded
    for cell in graded:
        errors = errors_of(cell)
        assert errors and errors[0].ename == "AssertionError" and "not written yet" in errors[0].evalue, \
            f"{name}: {cell.source!r} gave {[(e.ename, e.evalue) for e in errors]} {printed(cell)!r}"
    others = [c for c in cells if c.cell_type == "code" and c not in graded and errors_of(c)]
    assert not others, f"{name}: a cell that is not a check failed: {others[0].source[:80]!r}"


def test_every_skill_chapter_links_its_exercise_notebook():
    link = re.compile(r"`chapters/exercises/(\w+)\.ipynb`")
    for chapter in sorted((ROOT / "chapters").glob("skill*/*.ipynb")):
        text = "".join("".join(c.source) for c in nbformat.read(chapter, as_version=4).cells
                       if c.cell_type == "markdown")
        names = link.findall(text)
        assert names, f"{chapter.name} does not point to its exercises"
        for name in names:
            assert (ROOT / "chapters" / "exercises" / f"{name}.ipynb").is_file(), (chapter.name, name)
            assert name.startswith(chapter.parent.name), (chapter.name, name)  # the exercises of its own skill
