"""The checks of the course's exercises (``chapters/exercises``): one ``check_<name>(fn)`` per function to write.

Each check calls the learner's function on small hand-chosen inputs and compares the result with values worked
out by hand (the arithmetic is in the comments) or with gancore's own implementation. When something is off it
raises ``AssertionError`` with a message that says what to fix: a wrong shape, a wrong value (with the usual
mistake behind it when it recognises one: a sum for a mean, a flipped sign, probabilities for logits), a missing
gradient. A function still holding ``raise NotImplementedError()`` is reported as "not written yet". On success a
check prints one line starting with ``passed:`` and returns None.

Loss exercises take logits and follow :mod:`gancore.losses` (mean reduction, ``(predicted, target)`` order); the
metric exercises follow :mod:`gancore.metrics` (NumPy, float64).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from gancore import losses, metrics
from gancore.chapters import latent_space
from gancore.data import holes
from gancore.models import pixelcnn
from gancore.training import pix2pix, srgan

LN2 = math.log(2.0)
NOT_WRITTEN = "not written yet"
_seed = 0  # of the checks' random inputs (use_seed); 0: the inputs the checks were written with


def use_seed(seed: int) -> None:
    """Draw the checks' random inputs from ``seed`` (the notebooks' ``SEED`` parameter). Every check compares with a
    reference on those inputs, so a correct answer passes for every seed: a grader can run a notebook with
    ``papermill -p SEED 7`` to rule out answers fitted to one set of inputs. The hand-worked values do not change."""
    global _seed
    _seed = int(seed)


def random_inputs(check: int) -> np.random.Generator:
    """The random generator of one check (``check`` keeps the checks' inputs apart) under the current seed."""
    return np.random.default_rng(check if _seed == 0 else (_seed, check))


# --- helpers -----------------------------------------------------------------------------------------------------
def _name(fn) -> str:
    return getattr(fn, "__name__", "your function")


def _invoke(label: str, fn, *args, **kwargs):
    """Call the learner's code; a stub or a crash becomes an AssertionError naming ``label``."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise AssertionError(f"{label}: {NOT_WRITTEN}: replace `raise NotImplementedError()` in {label} with your "
                             "code") from None
    except AssertionError:
        raise
    except Exception as error:  # the chained traceback shows the learner's line
        raise AssertionError(f"calling {label} raised {type(error).__name__}: {error}") from error


def _call(fn, *args, **kwargs):
    """Call the learner's function; a stub or a crash becomes an AssertionError that names the function."""
    return _invoke(_name(fn), fn, *args, **kwargs)


def _array(value, name: str) -> np.ndarray:
    """The learner's result as a float64 array (tensors, arrays and numbers alike)."""
    if value is None:
        raise AssertionError(f"{name} returned None: end it with `return <result>`")
    if isinstance(value, (tuple, list)):
        raise AssertionError(f"{name} returned a {type(value).__name__} of {len(value)} items; return one array "
                             "or number")
    if np.iscomplexobj(value):
        raise AssertionError(f"{name} returned a complex number ({value}): keep the real part (np.real)")
    return np.asarray(ops.convert_to_numpy(value), dtype="float64")


def _fmt(value) -> str:
    a = np.asarray(value, dtype="float64")
    if a.ndim == 0:
        return f"{float(a):.6g}"
    return " ".join(np.array2string(a, precision=4, separator=", ", suppress_small=True).split())


def _expect(got: np.ndarray, expected, what: str, mistakes: Sequence[tuple[object, str]] = (), hint: str = "",
            shape_hint: str = "", nan_hint: str = "", rtol: float = 1e-4, atol: float = 1e-5) -> None:
    """Raise an AssertionError that says what differs: the shape, a known mistake, or the value."""
    expected = np.asarray(expected, dtype="float64")
    if got.shape != expected.shape:
        if not shape_hint and expected.ndim == 0:
            shape_hint = "return a single number (average over the batch), not one value per element"
        raise AssertionError(f"{what}: expected shape {expected.shape}, got {got.shape}"
                             + (f": {shape_hint}" if shape_hint else ""))
    if np.allclose(got, expected, rtol=rtol, atol=atol):
        return
    message = f"{what}: expected {_fmt(expected)}, got {_fmt(got)}"
    if not np.all(np.isfinite(got)) and np.all(np.isfinite(expected)):
        raise AssertionError(f"{message}: {nan_hint or 'a NaN or infinity appeared; look for a log or division of 0'}")
    for wrong, why in mistakes:
        wrong = np.asarray(wrong, dtype="float64")
        if wrong.shape == got.shape and np.allclose(got, wrong, rtol=rtol, atol=atol):
            raise AssertionError(f"{message}: {why}")
    raise AssertionError(message + (f": {hint}" if hint else ""))


def _t(values) -> tf.Tensor:
    """A float32 tensor, the way a training step hands values to a loss."""
    return tf.constant(np.asarray(values, dtype="float32"))


def _softplus(x) -> np.ndarray:
    """log(1 + e^x) in float64 without overflow."""
    return np.logaddexp(0.0, np.asarray(x, dtype="float64"))


def _gradients(call: Callable, inputs: Sequence, name: str) -> list[np.ndarray]:
    """Gradients of sum(call(*inputs)) with respect to every input (float32 variables)."""
    variables = [tf.Variable(np.asarray(x, dtype="float32")) for x in inputs]
    with tf.GradientTape() as tape:
        out = call(*variables)
        if out is None:
            raise AssertionError(f"{name} returned None: end it with `return <result>`")
        total = tf.reduce_sum(tf.cast(out, tf.float32))
    grads = tape.gradient(total, variables)
    if any(g is None for g in grads):
        raise AssertionError(f"{name}: TensorFlow cannot follow your result back to its inputs (the gradient is "
                             "None): write it with keras.ops (ops.softplus, ops.mean, ...) or tf, not NumPy or "
                             "Python floats, so that training can differentiate it")
    return [g.numpy().astype("float64") for g in grads]


def _passed(text: str) -> None:
    print(f"passed: {text}")


# --- Skill 1: VAE and PixelCNN -------------------------------------------------------------------------------------
def check_reparameterise(fn) -> None:
    """``fn(z_mean, z_log_var, epsilon)`` -> z = mean + exp(log_var / 2) * epsilon (keras.ops)."""
    name = _name(fn)
    mean = [[0.0, 1.0], [2.0, -1.0]]
    log_var = [[0.0, math.log(4.0)], [math.log(0.25), 0.0]]  # sigma = exp(log_var / 2) = [[1, 2], [0.5, 1]]
    eps = [[1.0, 1.0], [-1.0, 2.0]]
    got = _array(_call(fn, _t(mean), _t(log_var), _t(eps)), name)
    # z = [[0 + 1*1, 1 + 2*1], [2 + 0.5*(-1), -1 + 1*2]] = [[1, 3], [1.5, 1]]
    expected = [[1.0, 3.0], [1.5, 1.0]]
    m, lv, e = (np.asarray(a) for a in (mean, log_var, eps))
    _expect(got, expected, f"{name} at the check's inputs", mistakes=[
        (m + np.exp(lv) * e, "you scaled epsilon by the variance exp(log_var); the standard deviation is "
                             "exp(0.5 * log_var)"),
        (m + lv * e, "log_var is a log-variance, not a standard deviation: use exp(0.5 * log_var)"),
        (np.exp(0.5 * lv) * e, "add the mean: z = mean + sigma * epsilon"),
        (m + np.exp(-0.5 * lv) * e, "sign: sigma = exp(+0.5 * log_var)"),
    ], hint="z = z_mean + exp(0.5 * z_log_var) * epsilon; use the epsilon you are given (do not draw your own)",
        shape_hint="z has the shape of z_mean")
    d_mean, d_log_var, _ = _gradients(lambda a, b, c: fn(a, b, c), [mean, log_var, eps], name)
    _expect(d_mean, np.ones((2, 2)), f"{name}: the gradient of z with respect to z_mean",
            hint="z must depend on the mean with slope 1")
    # dz/dlog_var = 0.5 * sigma * eps = [[0.5, 1], [-0.25, 1]]: the trick lets the gradient reach the variance
    _expect(d_log_var, [[0.5, 1.0], [-0.25, 1.0]], f"{name}: the gradient of z with respect to z_log_var",
            hint="it should be 0.5 * sigma * epsilon")
    _passed(f"{name}: z = mean + sigma * eps, and gradients reach both the mean and the log-variance")


def check_gaussian_kl(fn) -> None:
    """``fn(z_mean, z_log_var)`` -> KL(N(mean, exp(log_var)) || N(0, I)) per example, shape (N,)."""
    name = _name(fn)
    mean = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, -2.0]])
    log_var = np.array([[0.0, 0.0], [0.0, LN2], [0.0, 0.0]])
    got = _array(_call(fn, _t(mean), _t(log_var)), name)
    # per dimension -0.5 (1 + lv - m^2 - e^lv):
    # row 0: 0 + 0 = 0 (q is the prior)
    # row 1: -0.5 (1 + 0 - 1 - 1) = 0.5 and -0.5 (1 + ln 2 - 0 - 2) = 0.5 (1 - ln 2) = 0.153426 -> 0.653426
    # row 2: 0 and -0.5 (1 + 0 - 4 - 1) = 2 -> 2
    expected = [0.0, 0.5 + 0.5 * (1.0 - LN2), 2.0]
    per_dim = -0.5 * (1.0 + log_var - mean**2 - np.exp(log_var))
    _expect(got, expected, f"{name} for rows (mean, log_var) = ([0, 0], [0, 0]), ([1, 0], [0, ln 2]), "
            "([0, -2], [0, 0])", mistakes=[
                (per_dim.mean(-1), "you averaged over the latent dimensions; the KL of independent dimensions is "
                                   "their sum (ops.sum(..., axis=-1))"),
                (-np.asarray(expected), "sign: KL = -0.5 * sum(1 + log_var - mean^2 - exp(log_var)) is never "
                                        "negative"),
                (2 * np.asarray(expected), "missing factor 0.5"),
            ], shape_hint="return one KL per example (shape (N,)): sum over the latent axis (axis=-1) only")
    if abs(got[0]) > 1e-6:
        raise AssertionError(f"{name}: the KL of N(0, I) to itself must be 0, got {got[0]:.6g}")
    np.testing.assert_allclose(got, ops.convert_to_numpy(losses.gaussian_kl(_t(mean), _t(log_var))), rtol=1e-4,
                               atol=1e-5, err_msg=f"{name} differs from gancore.losses.gaussian_kl")
    _passed(f"{name}: 0 for the prior itself, 0.653426 and 2 for the shifted and widened rows")


def check_bernoulli_negative_elbo(fn) -> None:
    """``fn(images, probs, z_mean, z_log_var)`` -> mean over images of (summed pixel BCE + KL), in nats."""
    name = _name(fn)
    images = np.array([[[1, 0], [1, 0]], [[1, 1], [0, 0]]], dtype="float64")[..., None]  # (2, 2, 2, 1)
    probs = np.array([[[0.5, 0.5], [0.5, 0.5]], [[0.9, 0.8], [0.1, 0.2]]])[..., None]
    z_mean = np.array([[0.0, 0.0], [1.0, 0.0]])
    z_log_var = np.zeros((2, 2))
    got = _array(_call(fn, _t(images), _t(probs), _t(z_mean), _t(z_log_var)), name)
    # image 0: 4 pixels at p = 0.5 -> 4 ln 2 = 2.772589; image 1: -2 ln 0.9 - 2 ln 0.8 = 0.657008
    # KL: row 0 is the prior (0); row 1: -0.5 (1 + 0 - 1 - 1) = 0.5
    recon = np.array([4 * LN2, -2 * math.log(0.9) - 2 * math.log(0.8)])
    kl = np.array([0.0, 0.5])
    expected = np.mean(recon + kl)  # (2.772589 + 1.157008) / 2 = 1.964798
    per_pixel = recon / 4
    _expect(got, expected, f"{name} on two 2x2 images", mistakes=[
        (np.mean(per_pixel + kl), "you averaged the cross-entropy over pixels; the ELBO sums it over the pixels of "
                                  "each image (then averages over images)"),
        (np.sum(recon + kl), "you summed over the batch; average over the images"),
        (np.mean(recon), "the KL term is missing"),
        (np.mean(recon - kl), "sign of the KL: the negative ELBO is reconstruction + KL"),
    ], hint="per image: sum over pixels of -[x log p + (1 - x) log(1 - p)], plus the Gaussian KL; then the mean",
        shape_hint="return one number: the mean over images (return only the total, not a tuple)")
    reference = float(ops.convert_to_numpy(losses.bernoulli_elbo_loss(_t(images), _t(probs), _t(z_mean),
                                                                       _t(z_log_var))[0]))
    _expect(got, reference, f"{name} against gancore.losses.bernoulli_elbo_loss")
    _passed(f"{name}: {float(got):.6f} nats per image = mean(4 ln 2 + 0, 0.657008 + 0.5)")


def _grid(mask) -> str:
    return " / ".join(" ".join(str(int(v)) for v in row) for row in np.asarray(mask))


def check_causal_mask(fn) -> None:
    """``fn(kernel_size, mask_type)`` -> (k, k) array of 0/1: 1 above the centre row and left of the centre."""
    name = _name(fn)
    first = _call(fn, 3, "A")
    for k in (3, 5, 7):
        for kind in ("A", "B"):
            got = _array(first if (k, kind) == (3, "A") else _call(fn, k, kind), name)
            expected = pixelcnn.causal_mask(k, 1, 1, kind)[:, :, 0, 0]
            if got.shape != expected.shape:
                raise AssertionError(f"{name}({k}, {kind!r}): expected shape {expected.shape}, got {got.shape}: "
                                     "one 0/1 entry per kernel position")
            if np.array_equal(got, expected):
                continue
            message = (f"{name}({k}, {kind!r}) rows top to bottom: expected {_grid(expected)}, got {_grid(got)}")
            other = pixelcnn.causal_mask(k, 1, 1, "B" if kind == "A" else "A")[:, :, 0, 0]
            c = k // 2
            if np.array_equal(got, other):
                raise AssertionError(f"{message}: A and B are swapped; type A hides the centre (the first layer "
                                     "must not see the pixel it predicts), type B keeps it")
            if np.array_equal(got, expected.T):
                raise AssertionError(f"{message}: transposed; pixels are generated row by row, so the rows above "
                                     "and the pixels to the left in the centre row are visible")
            if got[c, c + 1:].any() or got[c + 1:].any():
                raise AssertionError(f"{message}: the pixels right of the centre and the rows below it come later "
                                     "in the raster order and must be 0")
            raise AssertionError(message)
    _passed(f"{name}: type A 3x3 = {_grid(pixelcnn.causal_mask(3, 1, 1, 'A')[:, :, 0, 0])}; type B also keeps "
            "the centre (k = 3, 5, 7)")


def check_bits_per_dimension(fn) -> None:
    """``fn(images, probs)`` -> mean binary cross-entropy per pixel, in bits."""
    name = _name(fn)
    images = np.array([[[1, 0], [0, 1]]], dtype="float64")[..., None]
    got = _array(_call(fn, _t(images), _t(np.full_like(images, 0.5))), name)
    _expect(got, 1.0, f"{name} with every probability 0.5", mistakes=[
        (LN2, "that is in nats; divide by ln 2 to get bits"),
        (4.0, "you summed over pixels; average over every pixel (bits per dimension)"),
    ], hint="a model that says 0.5 everywhere pays exactly one bit per pixel")
    images = np.array([[[1, 0], [1, 1]]], dtype="float64")[..., None]
    probs = np.array([[[0.9, 0.1], [0.8, 0.5]]])[..., None]
    # nats: -ln 0.9, -ln 0.9, -ln 0.8, -ln 0.5 = 0.105361, 0.105361, 0.223144, 0.693147; mean 0.281753
    nats = np.mean([-math.log(0.9), -math.log(0.9), -math.log(0.8), LN2])
    got = _array(_call(fn, _t(images), _t(probs)), name)
    _expect(got, nats / LN2, f"{name} for pixels [1, 0, 1, 1] at probabilities [0.9, 0.1, 0.8, 0.5]", mistakes=[
        (nats, "that is in nats; divide by ln 2 to get bits"),
        (4 * nats / LN2, "you summed over pixels; average over every pixel"),
        (nats / math.log(10), "log base 10: bits need base 2 (divide nats by ln 2)"),
        (nats * LN2, "multiply by 1 / ln 2, not by ln 2"),
    ])
    _passed(f"{name}: 1 bit at p = 0.5, {nats / LN2:.4f} bits for the second image")


# --- Skill 2: the GAN losses ---------------------------------------------------------------------------------------
LOGITS_HINT = ("the inputs are logits (any real number), not probabilities: -log sigmoid(x) = softplus(-x) and "
               "-log(1 - sigmoid(x)) = softplus(x) stay finite")


def check_discriminator_loss(fn) -> None:
    """``fn(real_logits, fake_logits)`` -> -E[log D(x)] - E[log(1 - D(G(z)))] from logits."""
    name = _name(fn)
    zeros = np.zeros((4, 1))
    got = _array(_call(fn, _t(zeros), _t(zeros)), name)
    _expect(got, 2 * LN2, f"{name} at logits 0 (D undecided: D = 0.5 on everything)", mistakes=[
        (8 * LN2, "you summed over the batch; average each half (ops.mean)"),
        (LN2, "add the real and the fake halves, each a mean"),
    ], hint="each half costs ln 2 = 0.6931, so the loss must be 2 ln 2 = 1.3863", nan_hint=LOGITS_HINT)
    real = np.array([[2.0], [0.0], [-1.0], [4.0]])
    fake = np.array([[-3.0], [0.0], [1.0], [-2.0]])
    # real half: mean softplus(-r) = mean(0.126928, 0.693147, 1.313262, 0.018150) = 0.537872
    # fake half: mean softplus(f) = mean(0.048587, 0.693147, 1.313262, 0.126928) = 0.545481 -> total 1.083353
    expected = _softplus(-real).mean() + _softplus(fake).mean()
    got = _array(_call(fn, _t(real), _t(fake)), name)
    _expect(got, expected, f"{name} at real logits [2, 0, -1, 4], fake logits [-3, 0, 1, -2]", mistakes=[
        (_softplus(real).mean() + _softplus(-fake).mean(), "the labels are swapped: real images have target 1 "
                                                           "(-log D(x)), generated ones target 0"),
        (4 * expected, "you summed over the batch; average each half"),
        (_softplus(-real).mean() - _softplus(fake).mean(), "both halves are costs: add them"),
    ], nan_hint=LOGITS_HINT)
    got = _array(_call(fn, _t([[-100.0]]), _t([[100.0]])), name)
    _expect(got, 200.0, f"{name} at real logit -100, fake logit 100 (D completely wrong)",
            nan_hint="not numerically stable: in float32 sigmoid(100) rounds to 1 and sigmoid(-100) to almost 0, "
                     "so the logs blow up; compute -log sigmoid(x) as softplus(-x) and -log(1 - sigmoid(x)) as "
                     "softplus(x)")
    d_real, d_fake = _gradients(lambda r, f: fn(r, f), [zeros, zeros], name)
    # d/dr mean softplus(-r) = -sigmoid(-r) / N = -0.5 / 4; d/df mean softplus(f) = sigmoid(f) / N = 0.125
    _expect(d_real, np.full((4, 1), -0.125), f"{name}: gradient with respect to the real logits at 0",
            hint="each real logit should be pushed up with -sigmoid(-r) / N")
    _expect(d_fake, np.full((4, 1), 0.125), f"{name}: gradient with respect to the fake logits at 0")
    _passed(f"{name}: 2 ln 2 = {2 * LN2:.4f} when D is undecided, stable for huge logits")


def check_non_saturating_generator_loss(fn) -> None:
    """``fn(fake_logits)`` -> -E[log D(G(z))] = mean softplus(-logits)."""
    name = _name(fn)
    got = _array(_call(fn, _t(np.zeros((4, 1)))), name)
    _expect(got, LN2, f"{name} at logits 0 (D undecided)", mistakes=[
        (-LN2, "that is the minimax loss E[log(1 - D)]; the non-saturating loss is -E[log D(G(z))]"),
        (4 * LN2, "you summed over the batch; average (ops.mean)"),
    ], hint="-log 0.5 = ln 2 = 0.6931", nan_hint=LOGITS_HINT)
    fake = np.array([[-5.0], [-5.0]])  # D is sure these are fake: D = sigmoid(-5) = 0.0067
    got = _array(_call(fn, _t(fake)), name)
    _expect(got, _softplus(5.0), f"{name} at logits -5 (D sure the samples are fake)", mistakes=[
        (-_softplus(-5.0), "that is the minimax loss E[log(1 - D)]; write -E[log D(G(z))] = mean softplus(-x)"),
        (_softplus(-5.0), "sign: -log D(G(z)) = softplus(-logit)"),
    ], nan_hint=LOGITS_HINT)
    (grad,) = _gradients(lambda f: fn(f), [fake], name)
    # d/df mean softplus(-f) = -sigmoid(-f) / N = -sigmoid(5) / 2 = -0.993307 / 2 = -0.496654
    _expect(grad, np.full((2, 1), -0.5 / (1 + math.exp(-5.0))), f"{name}: gradient at logits -5",
            hint="the gradient should stay close to -1/N when D wins")
    _passed(f"{name}: ln 2 at 0; when D wins (logit -5) the gradient per sample is still {grad[0, 0] * 2:.3f}")


def check_minimax_generator_loss(fn) -> None:
    """``fn(fake_logits)`` -> E[log(1 - D(G(z)))] = -mean softplus(logits); its gradient vanishes when D wins."""
    name = _name(fn)
    got = _array(_call(fn, _t(np.zeros((4, 1)))), name)
    _expect(got, -LN2, f"{name} at logits 0 (D undecided)", mistakes=[
        (4 * -LN2, "you summed over the batch; average (ops.mean)"),
        (LN2, "positive: that is the non-saturating loss -E[log D] or a flipped sign; the minimax loss is "
              "E[log(1 - D)] = -mean softplus(x), a negative number"),
    ], hint="log(1 - 0.5) = -ln 2: the generator minimises E[log(1 - D(G(z)))], a negative number",
        nan_hint=LOGITS_HINT)
    fake = np.array([[-5.0], [-5.0]])
    got = _array(_call(fn, _t(fake)), name)
    # log(1 - sigmoid(-5)) = -softplus(-5) = -0.006715
    _expect(got, -_softplus(-5.0), f"{name} at logits -5 (D sure the samples are fake)", mistakes=[
        (_softplus(5.0), "that is the non-saturating loss -E[log D]; write E[log(1 - D)] = -mean softplus(x)"),
    ], nan_hint=LOGITS_HINT)
    got = _array(_call(fn, _t([[30.0]])), name)
    _expect(got, -30.0, f"{name} at logit 30 (D fooled)",
            nan_hint="not numerically stable: sigmoid(30) rounds to 1 in float32 and log(1 - 1) = -inf; compute "
                     "log(1 - sigmoid(x)) as -softplus(x)")
    (grad,) = _gradients(lambda f: fn(f), [fake], name)
    # d/df -mean softplus(f) = -sigmoid(f) / N = -0.006693 / 2 = -0.003346: almost nothing to learn from
    expected = np.full((2, 1), -1.0 / (1 + math.exp(5.0)) / 2)
    _expect(grad, expected, f"{name}: gradient at logits -5")
    strong = 0.5 / (1 + math.exp(-5.0))
    _passed(f"{name}: -ln 2 at 0; when D wins (logit -5) its gradient is {grad[0, 0]:.4f} per sample, "
            f"{strong / abs(grad[0, 0]):.0f}x weaker than the non-saturating loss's")


# --- Skill 3: failure modes ----------------------------------------------------------------------------------------
def check_kl_to_uniform(fn) -> None:
    """``fn(counts)`` -> KL(p || uniform) in nats of a mode histogram (0 log 0 counts as 0)."""
    name = _name(fn)
    cases = [([5, 5, 5, 5], 0.0, "every mode equally covered"),
             ([0, 0, 8, 0], math.log(4), "one mode only: ln 4"),
             ([2, 2, 0, 0], LN2, "two of four modes: sum 0.5 ln(0.5 * 4) = ln 2"),
             # 0.25 ln(0.25 * 2) + 0.75 ln(0.75 * 2) = -0.173287 + 0.304099 = 0.130812
             ([1, 3], 0.25 * math.log(0.5) + 0.75 * math.log(1.5), "p = [0.25, 0.75]")]
    for counts, expected, story in cases:
        got = _array(_call(fn, np.array(counts)), name)
        _expect(got, expected, f"{name}({counts}) ({story})", mistakes=[
            (expected / LN2, "that is in bits; use natural logarithms (nats)"),
            (-expected, "sign: KL(p || u) = sum p log(p / u) = sum p log(p K) >= 0"),
        ], hint="normalise the counts to p = counts / counts.sum(), then sum p log(p K) over the non-empty bins",
            nan_hint="a missing mode gives 0 log 0, which counts as 0: skip the empty bins (and KL(uniform || p) "
                     "would be infinite: compute KL(p || uniform))")
    _passed(f"{name}: 0 when uniform, ln K for a single mode")


def check_modes_captured(fn) -> None:
    """``fn(samples, centres, sigma, threshold)`` -> how many centres are nearest to >= 1 high-quality sample."""
    name = _name(fn)
    centres = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    samples = np.array([[1.05, 0.0],    # nearest (1, 0), 0.05 = 0.5 sigma: high quality
                        [0.98, 0.02],   # nearest (1, 0), 0.028: high quality
                        [0.0, 1.2],     # nearest (0, 1), 0.2 = 2 sigma: high quality
                        [-0.5, 0.0],    # nearest (-1, 0), 0.5 = 5 sigma: low quality
                        [0.0, -0.6]])   # nearest (0, -1), 0.4 = 4 sigma: low quality
    got = _call(fn, samples, centres, 0.1, 3.0)
    value = _array(got, name)
    _expect(value, 2.0, f"{name} with threshold 3 (sigma 0.1)", mistakes=[
        (4.0, "only high-quality samples count: a sample within threshold * sigma of its nearest centre"),
        (3.0, "return the number of modes (centres with at least one high-quality sample), not of samples"),
    ], shape_hint="return one integer")
    value = _array(_call(fn, samples, centres, 0.1, 4.5), name)
    _expect(value, 3.0, f"{name} with threshold 4.5: the sample 4 sigma from (0, -1) now counts", mistakes=[
        (2.0, "use the threshold argument instead of a fixed 3"),
    ])
    rng = random_inputs(3)
    ring = np.stack([np.cos(np.arange(8) * np.pi / 4), np.sin(np.arange(8) * np.pi / 4)], 1) * 2.0
    cloud = ring[rng.integers(0, 5, 200)] + rng.normal(0.0, 0.05, (200, 2)) * rng.choice([1, 8], (200, 1))
    expected = metrics.mode_coverage(cloud, ring, 0.05)["modes"]
    _expect(_array(_call(fn, cloud, ring, 0.05, 3.0), name), expected,
            f"{name} on 200 noisy samples of 5 of 8 ring modes (gancore.metrics.mode_coverage)")
    if not isinstance(got, (int, np.integer)):
        raise AssertionError(f"{name} should return an int (a count), got {type(got).__name__}: wrap it in int()")
    _passed(f"{name}: 2 modes at 3 sigma, 3 at 4.5 sigma, {expected} on the ring sample")


# --- Skill 4: DCGAN and the latent space ---------------------------------------------------------------------------
def check_conv_transpose_output_size(fn) -> None:
    """``fn(size, kernel_size, stride, padding)`` -> the output side of a Conv2DTranspose."""
    name = _name(fn)
    # same: size * stride; valid: (size - 1) * stride + kernel
    cases = [(7, 5, 2, "same", 14), (14, 5, 2, "same", 28), (7, 7, 1, "same", 7), (7, 4, 2, "valid", 16),
             (1, 7, 1, "valid", 7), (4, 3, 2, "valid", 9)]
    for size, kernel, stride, padding, expected in cases:
        layer = keras.layers.Conv2DTranspose(1, kernel, strides=stride, padding=padding)
        keras_size = layer.compute_output_shape((1, size, size, 1))[1]
        assert keras_size == expected, f"internal: Keras gives {keras_size} for {(size, kernel, stride, padding)}"
        got = _call(fn, size, kernel, stride, padding)
        if got is None:
            raise AssertionError(f"{name} returned None: end it with `return <size>`")
        if got == expected:
            continue
        call = f"{name}({size}, kernel_size={kernel}, stride={stride}, padding={padding!r})"
        if padding == "same" and got == (size - 1) * stride + kernel:
            raise AssertionError(f"{call}: expected {expected}, got {got}: with padding 'same' the output is "
                                 "exactly size * stride")
        if padding == "valid" and got == size * stride:
            raise AssertionError(f"{call}: expected {expected}, got {got}: with padding 'valid' nothing is cropped: "
                                 "(size - 1) * stride + kernel_size")
        if got == (size - kernel) // stride + 1 or got == math.ceil(size / stride):
            raise AssertionError(f"{call}: expected {expected}, got {got}: that is the size after an ordinary "
                                 "(downsampling) convolution; a transposed convolution grows the image")
        raise AssertionError(f"{call}: expected {expected} (what Keras builds), got {got}")
    _passed(f"{name}: 7 -> 14 -> 28 with 5x5 stride-2 'same' layers, as Keras builds them")


def check_lerp(fn) -> None:
    """``fn(z0, z1, t)`` -> (1 - t) z0 + t z1 for a scalar t."""
    name = _name(fn)
    z0, z1 = np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, -1.0])
    got = _array(_call(fn, z0, z1, 0.0), name)
    _expect(got, z0, f"{name} at t = 0", mistakes=[(z1, "reversed: t = 0 must give z0 and t = 1 z1")],
            shape_hint="a latent vector of the same shape as z0")
    _expect(_array(_call(fn, z0, z1, 1.0), name), z1, f"{name} at t = 1")
    # 0.75 [1, 2, 3] + 0.25 [3, 2, -1] = [1.5, 2, 2]
    _expect(_array(_call(fn, z0, z1, 0.25), name), [1.5, 2.0, 2.0], f"{name} at t = 0.25",
            mistakes=[([2.5, 2.0, 0.0], "reversed: the weight of z1 is t")])
    _passed(f"{name}: z0 at t = 0, z1 at t = 1, [1.5, 2, 2] at t = 0.25")


def check_slerp(fn) -> None:
    """``fn(z0, z1, t)`` -> spherical interpolation; falls back to lerp for (nearly) parallel vectors."""
    name = _name(fn)
    x, y = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    r = math.sqrt(0.5)
    got = _array(_call(fn, x, y, 0.5), name)
    # omega = 90 degrees: sin(45)/sin(90) [1, 0] + sin(45)/sin(90) [0, 1] = [0.7071, 0.7071]
    _expect(got, [r, r], f"{name}([1, 0], [0, 1], 0.5)", mistakes=[
        ([0.5, 0.5], "that is the straight line (lerp); slerp follows the arc: sin((1-t) w)/sin(w) z0 + "
                     "sin(t w)/sin(w) z1 with w the angle between z0 and z1"),
    ], shape_hint="a latent vector of the same shape as z0")
    # t = 1/3 of 90 degrees = 30 degrees: [cos 30, sin 30]
    _expect(_array(_call(fn, x, y, 1 / 3), name), [math.sqrt(3) / 2, 0.5], f"{name}([1, 0], [0, 1], 1/3)",
            mistakes=[([0.5, math.sqrt(3) / 2], "reversed: t = 0 must give z0")])
    _expect(_array(_call(fn, 2 * x, 2 * y, 0.5), name), [2 * r, 2 * r], f"{name}([2, 0], [0, 2], 0.5)",
            hint="between two vectors of norm 2 the arc keeps norm 2")
    for t, expected in ((0.0, x), (1.0, y)):
        _expect(_array(_call(fn, x, y, t), name), expected, f"{name} at t = {t:g}")
    _expect(_array(_call(fn, x, 2 * x, 0.5), name), [1.5, 0.0], f"{name}([1, 0], [2, 0], 0.5) (parallel vectors)",
            nan_hint="the vectors are parallel, so sin(w) = 0: fall back to lerp when sin(w) is tiny")
    rng = random_inputs(0)
    a, b = rng.normal(size=(2, 16))
    _expect(_array(_call(fn, a, b, 0.3), name), latent_space.slerp(a, b, 0.3),
            f"{name} on two random 16-d vectors at t = 0.3 (gancore.chapters.latent_space.slerp)")
    _passed(f"{name}: follows the arc ([0.7071, 0.7071] halfway between [1, 0] and [0, 1]) and handles parallel "
            "vectors")


# --- Skill 5: stable-GAN practices ---------------------------------------------------------------------------------
def check_real_targets(fn) -> None:
    """``fn(uniform, smoothing, flip_rate)`` -> per-image real targets: 0 where uniform < flip_rate, else 1 - s."""
    name = _name(fn)
    u = np.array([0.01, 0.5, 0.04, 0.99])
    got = _array(_call(fn, u, 0.1, 0.05), name)
    _expect(got, [0.0, 0.9, 0.0, 0.9], f"{name}(uniform={u.tolist()}, smoothing=0.1, flip_rate=0.05)", mistakes=[
        ([0.9, 0.0, 0.9, 0.0], "reversed: an image is relabelled fake when its uniform draw is below flip_rate "
                               "(so about flip_rate of them are)"),
        ([0.1, 0.9, 0.1, 0.9], "a flipped real image gets the fake target 0, not the smoothing value"),
        ([0.0, 0.95, 0.0, 0.95], "one-sided smoothing with s = 0.1 gives the real target 1 - s = 0.9"),
    ], shape_hint="one target per image, the shape of uniform")
    _expect(_array(_call(fn, u, 0.0, 0.0), name), np.ones(4), f"{name} with no smoothing and no flips",
            hint="without smoothing or flips every real target is 1")
    _expect(_array(_call(fn, u, 0.2, 0.5), name), [0.0, 0.8, 0.0, 0.8], f"{name}(smoothing=0.2, flip_rate=0.5)",
            hint="a draw equal to flip_rate (0.5) is not flipped: flip only where uniform < flip_rate")
    _passed(f"{name}: targets 1 - s, and 0 for the flipped images")


def check_smoothed_discriminator_loss(fn) -> None:
    """``fn(real_logits, fake_logits, real_targets)`` -> mean BCE(real, targets) + mean BCE(fake, 0)."""
    name = _name(fn)
    real, fake = np.array([2.0, 0.0, -1.0, 4.0]), np.array([-3.0, 0.0, 1.0, -2.0])
    targets = np.array([0.9, 0.9, 0.0, 0.9])
    got = _array(_call(fn, _t(real), _t(fake), _t(targets)), name)
    expected = float(ops.convert_to_numpy(losses.cross_entropy_discriminator_loss(_t(real), _t(fake),
                                                                                  _t(targets))))
    bce = lambda x, t: _softplus(x) - t * x  # per-element BCE from logits
    _expect(got, expected, f"{name} at targets [0.9, 0.9, 0, 0.9] (gancore.losses.cross_entropy_discriminator_loss)",
            mistakes=[
                (bce(real, targets).mean() + bce(fake, 0.1).mean(), "one-sided: only the real targets are smoothed; "
                                                                    "the fake target stays 0"),
                (bce(real, 1.0).mean() + bce(fake, 0.0).mean(), "use the real_targets you are given instead of 1"),
                (bce(real, 1 - targets).mean() + bce(fake, 1.0).mean(), "the labels are swapped"),
            ], hint="per element BCE(x, t) = softplus(x) - t x; mean over the real half plus mean over the fake half",
            nan_hint=LOGITS_HINT)
    d_real, d_fake = _gradients(lambda r, f: fn(r, f, _t([0.9])), [[math.log(9.0)], [0.0]], name)
    # d/dr (softplus(r) - 0.9 r) = sigmoid(r) - 0.9 = 0 at r = ln 9; d/df softplus(f) = 0.5 at f = 0
    _expect(d_real, [0.0], f"{name}: gradient at the real logit ln 9 = 2.1972 (D(x) = 0.9) with target 0.9",
            hint="with target 0.9 the real half is minimised at D(x) = 0.9, so the gradient there is 0")
    _expect(d_fake, [0.5], f"{name}: gradient at the fake logit 0")
    _passed(f"{name}: matches gancore; with target 0.9 D stops pushing once D(x) = 0.9")


def check_instance_noise(fn) -> None:
    """``fn(images, noise, step, total_steps, initial_std)`` -> images + std(step) * noise, std annealed to 0."""
    name = _name(fn)
    images, noise = np.array([[0.5, -0.5]]), np.array([[1.0, -2.0]])
    cases = [(0, [[0.7, -0.9]], "at step 0 the std is 0.2: [0.5 + 0.2, -0.5 - 0.4]"),
             (50, [[0.6, -0.7]], "halfway the std is 0.1"),
             (100, [[0.5, -0.5]], "at the last step the noise is gone"),
             (150, [[0.5, -0.5]], "after total_steps the std stays 0 (not negative)")]
    for step, expected, story in cases:
        std = 0.2 * (1 - step / 100)
        got = _array(_call(fn, images, noise, step, 100, 0.2), name)
        _expect(got, expected, f"{name} at step {step} of 100, initial std 0.2 ({story})", mistakes=[
            (images + 0.2 * noise, "anneal the std linearly from initial_std to 0 over total_steps"),
            (images + std**2 * noise, "noise * std, not noise * variance"),
            (images + (0.2 - std) * noise, "reversed: the noise is strongest at the start and fades out"),
            (images + std * noise, "clamp the factor 1 - step / total_steps at 0 once training passes total_steps"),
        ], shape_hint="the noisy images have the shape of images")
    _passed(f"{name}: std 0.2 -> 0.1 -> 0 over training, 0 afterwards")


# --- Skill 6: conditional GANs -------------------------------------------------------------------------------------
def check_condition_noise(fn) -> None:
    """``fn(z, labels, num_classes)`` -> concat([z, one_hot(labels)], axis=-1)."""
    name = _name(fn)
    z = np.array([[0.5, -1.0], [2.0, 0.0], [0.0, 0.25]])
    labels = np.array([2, 0, 1])
    got = _array(_call(fn, z, labels, 3), name)
    one_hot = np.eye(3)[labels]
    _expect(got, np.concatenate([z, one_hot], 1), f"{name} for labels [2, 0, 1] of 3 classes", mistakes=[
        (np.concatenate([one_hot, z], 1), "order: the noise first, then the one-hot code"),
    ], shape_hint="(batch, latent_dim + num_classes): one-hot encode the labels and concatenate along the last "
                  "axis")
    _passed(f"{name}: [z | one-hot] rows, shape {got.shape}")


def check_condition_image(fn) -> None:
    """``fn(images, labels, num_classes)`` -> images with num_classes extra channels, the one-hot label planes."""
    name = _name(fn)
    images = np.arange(8, dtype="float64").reshape(2, 2, 2, 1) / 8
    labels = np.array([1, 0])
    got = _array(_call(fn, images, labels, 2), name)
    planes = np.broadcast_to(np.eye(2)[labels][:, None, None, :], (2, 2, 2, 2))
    expected = np.concatenate([images, planes], -1)
    _expect(got, expected, f"{name} for 2x2 grey images with labels [1, 0] of 2 classes", mistakes=[
        (np.concatenate([planes, images], -1), "order: the image channels first, then the label planes"),
    ], shape_hint="(batch, height, width, channels + num_classes): repeat each one-hot code at every pixel and "
                  "concatenate along the channel axis")
    _passed(f"{name}: every pixel carries its image's one-hot label, shape {got.shape}")


def check_categorical_code_loss(fn) -> None:
    """``fn(one_hot, logits)`` -> InfoGAN's E[-log Q(c | x)], the softmax cross-entropy (mean over the batch)."""
    name = _name(fn)
    codes = np.eye(4)[[0, 3]]
    got = _array(_call(fn, _t(codes), _t(np.zeros((2, 4)))), name)
    _expect(got, math.log(4), f"{name} with logits 0 over 4 classes (Q guesses uniformly)", mistakes=[
        (2 * math.log(4), "you summed over the batch; average"),
        (-0.25, "take the log of the softmax probability (log_softmax), not the probability itself"),
    ], hint="a uniform guess over K categories scores ln K = 1.3863")
    codes = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    logits = np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 3.0]])
    # row 0: logsumexp(2, 0, 0) - 2 = ln(9.389056) - 2 = 0.239543
    # row 1: logsumexp(0, 1, 3) - 3 = ln(23.803819) - 3 = 0.169846 -> mean 0.204694
    lse = np.log(np.exp(logits).sum(-1))
    per_row = lse - (codes * logits).sum(-1)
    probs = np.exp(logits - lse[:, None])
    got = _array(_call(fn, _t(codes), _t(logits)), name)
    _expect(got, per_row.mean(), f"{name} for codes [0, 2] at logits [[2, 0, 0], [0, 1, 3]]", mistakes=[
        (per_row.sum(), "you summed over the batch; average"),
        (-(codes * probs).sum(-1).mean(), "take the log of the softmax probability (log_softmax), not the "
                                          "probability itself"),
        ((_softplus(logits) - codes * logits).sum(-1).mean(), "a categorical code needs the softmax cross-entropy, "
                                                              "not a sigmoid (binary) one per category"),
    ], hint="-log softmax(logits)[c] = logsumexp(logits) - logits[c]")
    reference = float(ops.convert_to_numpy(losses.categorical_code_loss(_t(codes), _t(logits))))
    _expect(got, reference, f"{name} against gancore.losses.categorical_code_loss")
    _passed(f"{name}: ln 4 for a uniform guess, {reference:.6f} for the worked example")


def check_gaussian_code_loss(fn) -> None:
    """``fn(codes, means)`` -> mean over the batch of 0.5 sum_j (c_j - mu_j)^2 (unit variance, no constant)."""
    name = _name(fn)
    codes = np.array([[1.0, 2.0], [0.0, 0.0], [1.0, 1.0]])
    means = np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]])
    got = _array(_call(fn, _t(codes), _t(means)), name)
    # rows: 0.5 (1 + 4) = 2.5, 0.5 (1 + 1) = 1, 0 -> mean 3.5 / 3 = 1.166667
    rows = np.array([2.5, 1.0, 0.0])
    _expect(got, rows.mean(), f"{name} for three codes", mistakes=[
        (rows.sum(), "you summed over the batch; average over it"),
        (2 * rows.mean(), "missing factor 0.5 (-log N(c; mu, 1) = 0.5 (c - mu)^2 + const)"),
        (rows.mean() / 2, "sum over the code dimensions, average only over the batch"),
        (rows.mean() + math.log(2 * math.pi), "drop the constant 0.5 ln(2 pi) per code: it has no gradient"),
    ])
    _expect(_array(_call(fn, _t(codes), _t(codes)), name), 0.0, f"{name} when Q recovers every code exactly")
    _passed(f"{name}: 0 for a perfect Q, 1.166667 for the worked example")


def check_acgan_discriminator_loss(fn) -> None:
    """``fn(real_logits, fake_logits, real_class_logits, fake_class_logits, real_classes, fake_classes)``:
    0.5 x BCE(source) + 0.5 x softmax CE(class), each averaged over real and fake images together."""
    name = _name(fn)
    n, k = 2, 10
    zeros, classes = np.zeros((n, 1)), np.eye(k)[[3, 7]]
    got = _array(_call(fn, _t(zeros), _t(zeros), _t(np.zeros((n, k))), _t(np.zeros((n, k))), _t(classes),
                       _t(classes)), name)
    _expect(got, 0.5 * LN2 + 0.5 * math.log(k), f"{name} at logits 0 with 10 classes", mistakes=[
        (LN2 + math.log(k), "weight the source and class terms 0.5 each (the book's loss_weights)"),
        (0.5 * LN2, "the class term is missing"),
        (0.5 * math.log(k), "the real/fake (source) term is missing"),
    ], hint="0.5 ln 2 + 0.5 ln 10 = 1.4979")
    rng = random_inputs(1)
    args = [rng.normal(size=(3, 1)), rng.normal(size=(3, 1)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4)),
            np.eye(4)[[0, 1, 2]], np.eye(4)[[3, 3, 1]]]
    got = _array(_call(fn, *[_t(a) for a in args]), name)
    expected = float(ops.convert_to_numpy(losses.acgan_discriminator_loss(*[_t(a) for a in args])))
    ce = lambda lg, y: np.log(np.exp(lg).sum(-1)) - (y * lg).sum(-1)  # per-example softmax cross-entropy
    source = 0.5 * np.concatenate([_softplus(-args[0]), _softplus(args[1])]).mean()
    _expect(got, expected, f"{name} on random logits (gancore.losses.acgan_discriminator_loss)", mistakes=[
        (source + 0.5 * ce(args[2], args[4]).mean(), "the class term covers the fakes too: their target is the "
                                                     "class the generator was asked for"),
        (0.5 * np.concatenate([_softplus(args[0]), _softplus(-args[1])]).mean()
         + 0.5 * np.concatenate([ce(args[2], args[4]), ce(args[3], args[5])]).mean(), "real/fake labels swapped"),
    ], nan_hint=LOGITS_HINT)
    _passed(f"{name}: 0.5 ln 2 + 0.5 ln 10 at logits 0, matches gancore on random logits")


def check_real_logit_from_class_logits(fn) -> None:
    """``fn(class_logits)`` of shape (N, K + 1), the last class 'fake' -> logsumexp(l[:K]) - l[K], shape (N,)."""
    name = _name(fn)
    got = _array(_call(fn, _t(np.zeros((2, 11)))), name)
    _expect(got, np.full(2, math.log(10)), f"{name} at logits 0 over 10 classes + fake", mistakes=[
        (np.full(2, math.log(11)), "leave the fake class (the last column) out of the logsumexp"),
    ], hint="log p(real) - log p(fake) = log(10 e^0) - 0 = ln 10 = 2.3026",
        shape_hint="one real/fake logit per example, shape (N,)")
    logits = np.array([[0.0, 0.0, LN2], [3.0, -1.0, 3.0]])
    # row 0: ln(e^0 + e^0) - ln 2 = 0 (p(real) = p(fake) = 0.5); row 1: ln(e^3 + e^-1) - 3 = 0.018150
    expected = np.log(np.exp(logits[:, :2]).sum(-1)) - logits[:, 2]
    got = _array(_call(fn, _t(logits)), name)
    _expect(got, expected, f"{name} at logits [[0, 0, ln 2], [3, -1, 3]]", mistakes=[
        (np.log(np.exp(logits[:, :2]).sum(-1)), "subtract the fake class's logit"),
        (logits[:, :2].max(-1) - logits[:, 2], "use logsumexp over the real classes, not their maximum"),
    ])
    got = _array(_call(fn, _t([[1000.0, 1000.0, 0.0]])), name)
    _expect(got, [1000.0 + LN2], f"{name} at logits [1000, 1000, 0]",
            nan_hint="exp(1000) overflows: use ops.logsumexp (it subtracts the maximum first)")
    _passed(f"{name}: ln 10 at logits 0, 0 when p(real) = p(fake), stable for large logits")


# --- Skill 7: Wasserstein and least-squares losses -----------------------------------------------------------------
def check_critic_loss(fn) -> None:
    """``fn(real_scores, fake_scores)`` -> E[f(G(z))] - E[f(x)] (the critic minimises it)."""
    name = _name(fn)
    real, fake = np.array([1.0, 2.0, 3.0, 2.0]), np.array([-1.0, 0.5])
    got = _array(_call(fn, _t(real), _t(fake)), name)
    # mean(fake) - mean(real) = -0.25 - 2 = -2.25
    _expect(got, -2.25, f"{name} at real scores [1, 2, 3, 2], fake scores [-1, 0.5]", mistakes=[
        (2.25, "sign: the critic minimises E[f(fake)] - E[f(real)], i.e. it wants high scores on real images"),
        (-8.5, "you summed; take the mean of each batch"),
    ], nan_hint="the critic's scores are unbounded numbers: no logs or sigmoids in the Wasserstein loss")
    _expect(_array(_call(fn, _t(real), _t(real)), name), 0.0, f"{name} when the critic scores both alike")
    d_real, d_fake = _gradients(lambda r, f: fn(r, f), [real, fake], name)
    _expect(d_real, np.full(4, -0.25), f"{name}: gradient with respect to the real scores", hint="-1/N each")
    _expect(d_fake, np.full(2, 0.5), f"{name}: gradient with respect to the fake scores", hint="+1/N each")
    _passed(f"{name}: E[f(fake)] - E[f(real)] = -2.25 at the check's scores")


def check_clip_weights(fn) -> None:
    """``fn(model, clip_value)`` clips every trainable weight of ``model`` into [-c, c] in place."""
    name = _name(fn)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.BatchNormalization()])
    kernel = np.array([[0.5, -0.005], [0.002, -0.3], [0.01, 0.0]])
    bias = np.array([0.2, -0.001])
    model.layers[0].set_weights([kernel, bias])
    before = [np.array(w) for w in model.get_weights()]
    result = _call(fn, model, 0.01)
    dense, batchnorm = model.layers
    got_kernel, got_bias = (np.asarray(w, "float64") for w in dense.get_weights())
    expected_kernel = np.clip(kernel, -0.01, 0.01)  # [[0.01, -0.005], [0.002, -0.01], [0.01, 0]]
    if np.allclose(got_kernel, kernel) and np.allclose(got_bias, bias):
        extra = " (it returned new values instead)" if result is not None else ""
        raise AssertionError(f"{name}: the model's weights did not change{extra}: assign the clipped values back "
                             "into each variable, w.assign(ops.clip(w, -c, c))")
    if np.allclose(got_kernel, np.clip(kernel, 0, 0.01)):
        raise AssertionError(f"{name}: negative weights became 0: clip into [-c, c], not [0, c]")
    _expect(got_kernel, expected_kernel, f"{name}: the Dense kernel after clipping to 0.01")
    _expect(got_bias, [0.01, -0.001], f"{name}: the Dense bias after clipping", mistakes=[
        (bias, "clip every trainable weight (model.trainable_weights), biases included"),
    ])
    gamma, beta, moving_mean, moving_var = (np.asarray(w) for w in batchnorm.get_weights())
    if not np.allclose(moving_var, before[-1]) or not np.allclose(moving_mean, before[-2]):
        raise AssertionError(f"{name}: the batchnorm moving statistics changed: clip only model.trainable_weights "
                             "(the moving mean and variance are not parameters the critic learns)")
    _expect(np.asarray(gamma, "float64"), np.full(2, 0.01), f"{name}: the batchnorm scale (gamma, initially 1)",
            hint="every trainable weight is clipped, batchnorm's gamma too")
    _passed(f"{name}: every trainable weight in [-0.01, 0.01], the batchnorm statistics untouched")


def check_lsgan_discriminator_loss(fn) -> None:
    """``fn(real, fake)`` -> 0.5 E[(D(x) - 1)^2] + 0.5 E[D(G(z))^2] on raw outputs."""
    name = _name(fn)
    got = _array(_call(fn, _t([1.0, 1.0]), _t([0.0, 0.0])), name)
    _expect(got, 0.0, f"{name} when D hits its targets (1 on real, 0 on fake)", mistakes=[
        (1.0, "the targets are swapped: real outputs should be 1, fake ones 0"),
    ])
    real, fake = np.array([0.5, 2.0, -1.0]), np.array([0.25, 1.0])
    # 0.5 mean(0.25, 1, 4) + 0.5 mean(0.0625, 1) = 0.875 + 0.265625 = 1.140625
    got = _array(_call(fn, _t(real), _t(fake)), name)
    _expect(got, 1.140625, f"{name} at real [0.5, 2, -1], fake [0.25, 1]", mistakes=[
        (2.28125, "missing the factor 0.5 on each half"),
        (0.5 * np.mean(real**2) + 0.5 * np.mean((fake - 1) ** 2), "the targets are swapped"),
        (0.5 * np.sum((real - 1) ** 2) + 0.5 * np.sum(fake**2), "you summed; take the mean of each half"),
        (0.5 * np.mean((real - 1) ** 2) + 0.5 * np.mean((fake + 1) ** 2), "the fake target is 0 here (not -1)"),
    ])
    _passed(f"{name}: 0 at D's targets, 1.140625 at the check's outputs")


def check_lsgan_generator_loss(fn) -> None:
    """``fn(fake)`` -> 0.5 E[(D(G(z)) - 1)^2]."""
    name = _name(fn)
    _expect(_array(_call(fn, _t([1.0, 1.0])), name), 0.0, f"{name} when D calls every fake real",
            mistakes=[(0.5, "the generator's target is 1 (real), not 0")])
    fake = np.array([0.5, -1.0, 2.0])
    # 0.5 mean(0.25, 4, 1) = 0.875
    got = _array(_call(fn, _t(fake)), name)
    _expect(got, 0.875, f"{name} at D outputs [0.5, -1, 2]", mistakes=[
        (1.75, "missing the factor 0.5"),
        (0.5 * np.mean(fake**2), "the generator's target is 1 (real), not 0"),
        (2.625, "you summed; take the mean"),
    ])
    (grad,) = _gradients(lambda f: fn(f), [[-10.0]], name)
    # d/df 0.5 (f - 1)^2 = f - 1 = -11: the further D puts a fake from 1, the harder G is pushed
    _expect(grad, [-11.0], f"{name}: gradient at a fake scored -10")
    _passed(f"{name}: 0.875 at the check's outputs; the gradient at -10 is -11 (no saturation)")


def check_gradient_penalty(fn) -> None:
    """``fn(critic, real, fake, alpha)`` -> E[(||grad critic(x_hat)||_2 - 1)^2], x_hat = a real + (1 - a) fake."""
    name = _name(fn)
    real = np.ones((2, 2, 2, 1))
    fake = np.zeros((2, 2, 2, 1))
    alpha = np.array([0.5, 0.75]).reshape(2, 1, 1, 1)

    def linear_critic(weight):
        w = tf.constant(weight, tf.float32)
        return lambda x, training=False: tf.reduce_sum(x * w, axis=[1, 2, 3])[:, None]

    got = _array(_call(fn, linear_critic(np.ones((2, 2, 1))), _t(real), _t(fake), _t(alpha)), name)
    # a linear critic sum(w x) has gradient w everywhere; ||w|| = sqrt(4 * 1) = 2 -> (2 - 1)^2 = 1
    _expect(got, 1.0, f"{name} for a linear critic with weights 1 (gradient norm 2 everywhere)", mistakes=[
        (9.0, "take the square root: the penalty uses the gradient's norm, not its squared norm"),
        ((math.sqrt(8.0) - 1) ** 2, "take one norm per example (over all axes but the batch axis), not one over "
                                    "the whole batch"),
        (2.0, "you summed over the batch; average the per-example penalties"),
    ], hint="the gradient of sum(w x) is w, whose norm is 2, so the penalty is (2 - 1)^2 = 1 for every example")
    got = _array(_call(fn, linear_critic(np.full((2, 2, 1), 0.5)), _t(real), _t(fake), _t(alpha)), name)
    _expect(got, 0.0, f"{name} for a linear critic with weights 0.5 (gradient norm 1)",
            hint="the penalty must be zero when the gradient norm is exactly 1")

    def quadratic_critic(x, training=False):
        return 0.5 * tf.reduce_sum(x * x, axis=[1, 2, 3])[:, None]  # gradient x_hat

    real = np.stack([np.ones((2, 2, 1)), np.full((2, 2, 1), 2.0)])
    # x_hat = [0.5 everywhere, 1.5 everywhere]: norms sqrt(4 * 0.25) = 1 and sqrt(4 * 2.25) = 3
    # -> ((1 - 1)^2 + (3 - 1)^2) / 2 = 2
    got = _array(_call(fn, quadratic_critic, _t(real), _t(fake), _t(alpha)), name)
    _expect(got, 2.0, f"{name} for the critic 0.5 ||x||^2 (gradient x_hat)", mistakes=[
        (0.0, "alpha weighs the real image: x_hat = alpha * real + (1 - alpha) * fake"),
        (5.0, "evaluate the gradient at the interpolates x_hat, not at the real images"),
        ((math.sqrt(10.0) - 1) ** 2, "take one norm per example (over all axes but the batch axis), not one over "
                                     "the whole batch"),
        (32.0, "take the square root: the penalty uses the gradient's norm, not its squared norm"),
    ])
    critic = keras.Sequential([keras.Input((3, 3, 1)), keras.layers.Conv2D(2, 2, activation="tanh",
                                                                           kernel_initializer=keras.initializers.
                                                                           GlorotUniform(seed=4)),
                               keras.layers.Flatten(), keras.layers.Dense(1, kernel_initializer=keras.initializers.
                                                                           GlorotUniform(seed=5))])
    rng = random_inputs(2)
    real, fake = rng.normal(size=(2, 4, 3, 3, 1))
    alpha = rng.uniform(size=(4, 1, 1, 1))
    got = _array(_call(fn, critic, _t(real), _t(fake), _t(alpha)), name)
    expected = float(losses.gradient_penalty(critic, _t(real), _t(fake), _t(alpha)))
    _expect(got, expected, f"{name} for a small conv critic on random images (gancore.losses.gradient_penalty)")
    _passed(f"{name}: (2 - 1)^2 = 1 for gradient norm 2, 0 for norm 1, per-example norms at the interpolates")


# --- Skill 8: image-to-image translation ---------------------------------------------------------------------------
def check_pix2pix_generator_loss(fn) -> None:
    """``fn(predicted, target, fake_patches, l1_weight=100)`` -> E[(D(x, G(x)) - 1)^2] + l1_weight E|G(x) - y|."""
    name = _name(fn)
    predicted = np.array([0.5, -0.5, 1.0, 0.0]).reshape(1, 2, 2, 1)
    target = np.array([0.5, 0.5, 0.5, 0.0]).reshape(1, 2, 2, 1)
    patches = np.array([1.0, 0.0, 0.5, 1.0]).reshape(1, 2, 2, 1)
    got = _array(_call(fn, _t(predicted), _t(target), _t(patches)), name)
    # L1 = mean(0, 1, 0.5, 0) = 0.375; adversarial = mean(0, 1, 0.25, 0) = 0.3125 -> 0.3125 + 100 * 0.375 = 37.8125
    l1, l2, adv = 0.375, 0.3125, 0.3125
    _expect(got, adv + 100 * l1, f"{name} with the default weight 100", mistakes=[
        (adv + 100 * l2, "the reconstruction term is the L1 (mean absolute) error, not the squared error"),
        (100 * adv + l1, "the weight 100 belongs to the L1 term"),
        (adv + l1, "weight the L1 term by l1_weight (100)"),
        (0.5 * adv + 100 * l1, "the adversarial term is E[(D - 1)^2] without the LSGAN factor 0.5 (Keras 'mse')"),
        (100 * l1, "the adversarial term is missing"),
    ])
    got = _array(_call(fn, _t(predicted), _t(target), _t(patches), l1_weight=10.0), name)
    _expect(got, adv + 10 * l1, f"{name} with l1_weight=10", hint="use the l1_weight argument")
    reference = float(pix2pix.generator_loss(_t(predicted), _t(target), _t(patches))[0])
    _expect(_array(_call(fn, _t(predicted), _t(target), _t(patches)), name), reference,
            f"{name} against gancore.training.pix2pix.generator_loss")
    _passed(f"{name}: 0.3125 + 100 x 0.375 = 37.8125")


def check_cycle_consistency_loss(fn) -> None:
    """``fn(real_a, real_b, cycled_a, cycled_b)`` -> E|F(G(a)) - a| + E|G(F(b)) - b|."""
    name = _name(fn)
    real_a, cycled_a = np.array([0.0, 1.0]).reshape(1, 1, 2, 1), np.array([0.5, 1.0]).reshape(1, 1, 2, 1)
    real_b, cycled_b = np.array([1.0, -1.0]).reshape(1, 1, 2, 1), np.array([0.0, -1.0]).reshape(1, 1, 2, 1)
    got = _array(_call(fn, _t(real_a), _t(real_b), _t(cycled_a), _t(cycled_b)), name)
    # mean(0.5, 0) + mean(1, 0) = 0.25 + 0.5 = 0.75
    _expect(got, 0.75, f"{name} for one-row images", mistakes=[
        (0.625, "the cycle loss is an L1 (mean absolute) error, not a squared one"),
        (0.375, "add the two directions (do not average them)"),
        (np.abs(cycled_a - real_b).mean() + np.abs(cycled_b - real_a).mean(),
         "compare each cycled image with the original of its own domain: F(G(a)) with a, G(F(b)) with b"),
    ])
    _expect(_array(_call(fn, _t(real_a), _t(real_b), _t(real_a), _t(real_b)), name), 0.0,
            f"{name} when both cycles return the original")
    reference = float(losses.cycle_consistency_loss(_t(real_a), _t(real_b), _t(cycled_a), _t(cycled_b)))
    _expect(got, reference, f"{name} against gancore.losses.cycle_consistency_loss")
    _passed(f"{name}: 0.25 + 0.5 = 0.75, and 0 for perfect cycles")


def check_identity_loss(fn) -> None:
    """``fn(g_ab, g_ba, real_a, real_b)`` -> E|G_AB(b) - b| + E|G_BA(a) - a|."""
    name = _name(fn)

    def g_ab(x, training=False):  # a toy A -> B generator: adds 0.5
        return x + 0.5

    def g_ba(x, training=False):  # a toy B -> A generator: doubles
        return 2.0 * x

    real_a = np.array([0.5, -1.0]).reshape(1, 1, 2, 1)
    real_b = np.array([0.0, 0.5]).reshape(1, 1, 2, 1)
    got = _array(_call(fn, g_ab, g_ba, _t(real_a), _t(real_b)), name)
    # G_AB(b) - b = 0.5 everywhere -> 0.5; G_BA(a) - a = a = [0.5, -1] -> mean 0.75; total 1.25
    _expect(got, 1.25, f"{name} with G_AB(x) = x + 0.5 and G_BA(x) = 2x", mistakes=[
        (0.5 + np.abs(real_b).mean(), "each generator gets an image of the domain it translates *to*: G_AB(b) "
                                      "should return b unchanged, G_BA(a) should return a"),
        (np.abs(real_b + 0.5 - real_a).mean() + np.abs(2 * real_a - real_b).mean(),
         "compare G_AB(b) with b and G_BA(a) with a"),
        (0.5**2 + np.mean(real_a**2), "the identity loss is an L1 (mean absolute) error, not a squared one"),
    ])
    same = _array(_call(fn, lambda x, training=False: x, lambda x, training=False: x, _t(real_a), _t(real_b)), name)
    _expect(same, 0.0, f"{name} when both generators return their input")
    _passed(f"{name}: 0.5 + 0.75 = 1.25 for the toy generators, 0 for identities")


def check_image_pool_query(fn) -> None:
    """``fn(pool, image, size, coin, slot)`` -> the image to show D; updates the list ``pool`` in place."""
    name = _name(fn)
    img = {k: np.full((1, 1, 1), float(k)) for k in range(1, 6)}

    def which(value):
        if value is None:
            raise AssertionError(f"{name} returned None: return the image the discriminator should see")
        v = np.asarray(value, "float64").reshape(-1)
        return int(v[0]) if v.size == 1 and float(v[0]) in (1.0, 2.0, 3.0, 4.0, 5.0) else "?"

    pool: list = []
    steps = [  # image, coin, slot, returned, pool afterwards
        (1, 0.9, 0, 1, [1], "the pool has room: store the image and return it"),
        (2, 0.1, 1, 2, [1, 2], "the pool has room: store the image and return it"),
        (3, 0.9, 1, 2, [1, 3], "pool full, coin > 0.5: return the stored image in the slot and put the new one there"),
        (4, 0.2, 0, 4, [1, 3], "pool full, coin <= 0.5: return the new image, the pool stays as it was"),
        (5, 0.7, 0, 1, [5, 3], "pool full, coin > 0.5: swap with slot 0"),
    ]
    for image, coin, slot, returned, after, story in steps:
        got = which(_call(fn, pool, img[image], 2, coin, slot))
        state = [which(p) for p in pool]
        if got != returned or state != after:
            hint = story
            if got == image and returned != image:
                hint = "when you swap, the discriminator sees the *old* image from the pool (that is the point)"
            elif not pool:
                hint = "store the first `size` images in the pool (pool.append(image))"
            raise AssertionError(f"{name}: querying image {image} (coin {coin}, slot {slot}): expected to return "
                                 f"image {returned} with the pool {after}, got image {got} with the pool {state}: "
                                 f"{hint}")
    empty: list = []
    try:
        got = which(fn(empty, img[1], 0, 0.9, 0))
    except Exception as error:
        raise AssertionError(f"{name} with size 0 raised {type(error).__name__}: {error}: size 0 means no pool: "
                             "return the image and store nothing") from error
    if got != 1 or empty:
        raise AssertionError(f"{name} with size 0: expected the image back and an empty pool, got image {got} and "
                             f"{len(empty)} stored: size 0 means no pool")
    _passed(f"{name}: fills the pool first, then swaps old images in with probability 1/2")


# --- Skill 9: super-resolution and inpainting ----------------------------------------------------------------------
def check_psnr(fn) -> None:
    """``fn(predicted, target, peak=1.0)`` -> per-image 10 log10(peak^2 / MSE) in dB, MSE floored at 1e-10."""
    name = _name(fn)
    target = np.zeros((2, 2, 2, 1))
    predicted = np.stack([np.full((2, 2, 1), 0.1), np.zeros((2, 2, 1))])
    got = _array(_call(fn, predicted, target), name)
    # image 0: MSE 0.01 -> 10 log10(1 / 0.01) = 20 dB; image 1: identical -> 10 log10(1 / 1e-10) = 100 dB
    _expect(got, [20.0, 100.0], f"{name}: an image off by 0.1 everywhere, then an exact copy", mistakes=[
        ([40.0, 200.0], "10 log10(peak^2 / MSE), not 20 log10"),
        ([10.0, 50.0], "use the mean squared error, not its square root, inside 10 log10(peak^2 / MSE)"),
    ], shape_hint="one PSNR per image, shape (N,): average the squared error over each image's pixels only",
        nan_hint="an exact copy has MSE 0: floor the MSE at 1e-10 (np.maximum(mse, 1e-10)), giving 100 dB")
    got = _array(_call(fn, np.full((1, 2, 2, 3), 2.55), np.zeros((1, 2, 2, 3)), peak=255.0), name)
    # MSE 6.5025 -> 10 log10(65025 / 6.5025) = 40 dB
    _expect(got, [40.0], f"{name} on a 0..255 image off by 2.55 everywhere, peak 255", mistakes=[
        ([10 * math.log10(255 / 6.5025)], "square the peak: 10 log10(peak^2 / MSE)"),
        ([20.0], "use the peak argument"),
    ])
    rng = random_inputs(5)
    a, b = rng.uniform(size=(2, 3, 4, 4, 1))
    _expect(_array(_call(fn, a, b), name), metrics.psnr(a, b), f"{name} on random images (gancore.metrics.psnr)")
    _passed(f"{name}: 20 dB for an error of 0.1, 100 dB for an exact copy, 40 dB at peak 255")


def check_srgan_generator_loss(fn) -> None:
    """``fn(sr_features, hr_features, fake_logits, adversarial_weight=1e-3)`` -> feature MSE + 1e-3 x -E[log D]."""
    name = _name(fn)
    sr = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 1, 2)
    hr = np.array([[1.0, 0.0], [3.0, 2.0]]).reshape(1, 2, 1, 2)
    logits = np.array([[-5.0], [-5.0]])
    got = _array(_call(fn, _t(sr), _t(hr), _t(logits)), name)
    # content: mean(0, 4, 0, 4) = 2; adversarial: softplus(5) = 5.006715 -> 2 + 0.001 * 5.006715 = 2.005007
    content, adv = 2.0, float(_softplus(5.0))
    _expect(got, content + 1e-3 * adv, f"{name} with feature error [0, 2, 0, 2] and D logits -5", mistakes=[
        (1e-3 * content + adv, "the weight 1e-3 belongs to the adversarial term"),
        (content + adv, "weight the adversarial term by adversarial_weight (1e-3)"),
        (1.0 + 1e-3 * adv, "the content loss is the mean squared feature difference, not the absolute one"),
        (content - 1e-3 * float(_softplus(-5.0)), "use the non-saturating adversarial term -log D = softplus(-x)"),
        (content, "the adversarial term is missing"),
    ], nan_hint=LOGITS_HINT, rtol=1e-6, atol=1e-6)
    got = _array(_call(fn, _t(sr), _t(hr), _t(logits), adversarial_weight=0.1), name)
    _expect(got, content + 0.1 * adv, f"{name} with adversarial_weight=0.1", hint="use the adversarial_weight "
            "argument")
    reference = float(srgan.feature_mse(_t(sr), _t(hr)) + 1e-3 * srgan.adversarial_loss(_t(logits)))
    _expect(_array(_call(fn, _t(sr), _t(hr), _t(logits)), name), reference,
            f"{name} against gancore.training.srgan", rtol=1e-6, atol=1e-6)
    _passed(f"{name}: 2 + 0.001 x {adv:.4f} = {content + 1e-3 * adv:.6f}")


def check_centre_hole_mask(fn) -> None:
    """``fn(image_size, hole)`` -> boolean (image_size, image_size), True in the centred hole x hole square."""
    name = _name(fn)
    for size, hole in ((6, 2), (6, 3), (5, 2), (8, 4)):
        value = _call(fn, size, hole)
        got = _array(value, name)
        expected = np.asarray(holes.hole_mask(np.zeros((1, size, size, 1), "float32"), hole))[0, :, :, 0]
        call = f"{name}({size}, {hole})"
        if got.shape != expected.shape:
            raise AssertionError(f"{call}: expected shape {expected.shape}, got {got.shape}")
        if np.array_equal(got != 0, expected):
            continue
        start = (size - hole) // 2
        rows = np.flatnonzero(got.any(axis=1))
        message = f"{call}: expected rows and columns {start}..{start + hole - 1} to be True, got rows {rows.tolist()}"
        if int((got != 0).sum()) != hole * hole:
            raise AssertionError(f"{message}: the hole must hold hole x hole = {hole * hole} pixels, got "
                                 f"{int((got != 0).sum())} (the end index is exclusive: start:start + hole)")
        raise AssertionError(f"{message}: a centred hole starts at (image_size - hole) // 2")
    if np.asarray(value).dtype != bool:
        raise AssertionError(f"{name} should return a boolean mask, got dtype {np.asarray(value).dtype}")
    _passed(f"{name}: a hole x hole square starting at (size - hole) // 2, as gancore.data.holes builds it")


def check_paste_centre(fn) -> None:
    """``fn(images, patch)`` -> a copy of ``images`` with ``patch`` (N, h, h, C) written into the centred hole."""
    name = _name(fn)
    images = np.arange(2 * 4 * 4, dtype="float64").reshape(2, 4, 4, 1)
    original = images.copy()
    patch = -np.ones((2, 2, 2, 1))
    got = _array(_call(fn, images, patch), name)
    if not np.array_equal(images, original):
        raise AssertionError(f"{name} changed its input: work on a copy (out = images.copy()) so the originals "
                             "survive for the loss and the figures")
    expected = np.asarray(holes.paste_hole(images, patch))
    if got.shape != expected.shape:
        raise AssertionError(f"{name}: expected shape {expected.shape}, got {got.shape}: the result is the whole "
                             "image batch")
    inside = np.zeros((4, 4), bool)
    inside[1:3, 1:3] = True
    if not np.array_equal(got[:, ~inside], original[:, ~inside]):
        raise AssertionError(f"{name}: pixels outside the hole changed: only rows and columns 1..2 of a 4x4 image "
                             "belong to a centred 2x2 hole ((4 - 2) // 2 = 1)")
    _expect(got, expected, f"{name}: the hole's pixels", hint="write patch into [start:start + h, start:start + h] "
            "with start = (image_size - h) // 2")
    _passed(f"{name}: the patch lands in the centre, everything else and the input stay as they were")


# --- Skill 10: evaluation ------------------------------------------------------------------------------------------
def check_frechet_distance(fn) -> None:
    """``fn(mu1, sigma1, mu2, sigma2)`` -> ||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))."""
    name = _name(fn)
    got = _array(_call(fn, np.array([0.0]), np.array([[1.0]]), np.array([3.0]), np.array([[4.0]])), name)
    # (0 - 3)^2 + 1 + 4 - 2 sqrt(1 * 4) = 9 + 5 - 4 = 10
    _expect(got, 10.0, f"{name} between N(0, 1) and N(3, 4)", mistakes=[
        (12.0, "the cross term is 2 tr(sqrt(S1 S2))"),
        (4.0, "the mean term is the squared distance ||mu1 - mu2||^2"),
        (8.0, "use the covariances' traces, not their square roots"),
    ], shape_hint="return one number", rtol=1e-6, atol=1e-6)
    mu1, mu2 = np.zeros(2), np.ones(2)
    s1, s2 = np.diag([1.0, 4.0]), np.diag([4.0, 1.0])
    # ||(1, 1)||^2 + (1 + 4) + (4 + 1) - 2 (sqrt(4) + sqrt(4)) = 2 + 10 - 8 = 4
    _expect(_array(_call(fn, mu1, s1, mu2, s2), name), 4.0, f"{name} for two diagonal 2-d Gaussians",
            rtol=1e-6, atol=1e-6)
    _expect(_array(_call(fn, mu1, s1, mu1, s1), name), 0.0, f"{name} of a Gaussian to itself",
            rtol=1e-6, atol=1e-6)
    s1, s2 = np.array([[2.0, 1.0], [1.0, 2.0]]), np.array([[1.0, 0.0], [0.0, 3.0]])
    expected = metrics.frechet_distance(mu1, s1, mu2, s2)
    got = _array(_call(fn, mu1, s1, mu2, s2), name)
    _expect(got, expected, f"{name} for correlated covariances (gancore.metrics.frechet_distance)", mistakes=[
        (2 + np.trace(s1 + s2) - 2 * np.sqrt(s1 * s2).sum(), "the element-wise square root of S1 * S2 is not the "
                                                              "matrix square root: use scipy.linalg.sqrtm(S1 @ S2)"),
        (2 + np.trace(s1 + s2) - 2 * np.sqrt(np.trace(s1 @ s2)), "tr(sqrt(S1 S2)) is the trace of the matrix "
                                                                  "square root, not the square root of the trace"),
    ], rtol=1e-6, atol=1e-6)
    _passed(f"{name}: 10 for N(0, 1) vs N(3, 4), 0 for identical Gaussians, {expected:.6f} with correlations")


def check_kid(fn) -> None:
    """``fn(x, y)`` -> unbiased MMD^2 with the kernel k(a, b) = (a.b / d + 1)^3 over all rows (equal sizes)."""
    name = _name(fn)
    x, y = np.array([[0.0], [1.0]]), np.array([[0.0], [-1.0]])
    got = _array(_call(fn, x, y), name)
    # k(0, 1) = 1, k(0, -1) = 1 -> within-set terms 2 / (2 * 1) = 1 each
    # cross: k(0, 0) = 1, k(0, -1) = 1, k(1, 0) = 1, k(1, -1) = 0 -> mean 0.75; 1 + 1 - 2 * 0.75 = 0.5
    _expect(got, 0.5, f"{name} for x = [[0], [1]], y = [[0], [-1]] (d = 1)", mistakes=[
        (4.0, "unbiased: leave the diagonal k(x_i, x_i) out of the within-set means (divide the off-diagonal sum "
              "by m (m - 1))"),
        (-0.5, "sign: MMD^2 = mean k(x, x') + mean k(y, y') - 2 mean k(x, y)"),
    ], shape_hint="return one number", rtol=1e-6, atol=1e-6)
    got = _array(_call(fn, x, x), name)
    # within: 1 each; cross: k(0,0) = 1, k(0,1) = 1, k(1,0) = 1, k(1,1) = 8 -> 2.75; 1 + 1 - 5.5 = -3.5
    _expect(got, -3.5, f"{name} of a set with itself", mistakes=[
        (0.0, "unbiased: leave the diagonal out of the within-set terms (the estimate can then be negative)"),
    ], rtol=1e-6, atol=1e-6)
    rng = random_inputs(6)
    a, b = rng.normal(size=(6, 3)), rng.normal(0.5, 1.0, size=(6, 3))
    expected = metrics.kernel_distance(a, b, num_subsets=1, subset_size=6)[0]

    def mmd(kernel):
        kxx, kyy, kxy = kernel(a, a), kernel(b, b), kernel(a, b)
        return (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / 30 - 2 * kxy.mean()

    _expect(_array(_call(fn, a, b), name), expected, f"{name} on random 3-d features "
            "(gancore.metrics.kernel_distance)", mistakes=[
                (mmd(lambda p, q: (p @ q.T + 1) ** 3), "divide the dot product by the feature dimension d"),
                (mmd(lambda p, q: p @ q.T), "the kernel is cubic: (x . y / d + 1)^3"),
            ], rtol=1e-6, atol=1e-6)
    _passed(f"{name}: 0.5 for the worked example, -3.5 for a set against itself (unbiased)")


def check_classifier_score(fn) -> None:
    """``fn(logits)`` -> exp(E_x KL(p(y | x) || p(y))), the Inception Score's formula."""
    name = _name(fn)
    got = _array(_call(fn, 50.0 * np.eye(4)), name)
    _expect(got, 4.0, f"{name} for four confident predictions of four different classes", mistakes=[
        (math.log(4), "exponentiate the mean KL: the score is exp(E KL)"),
    ], hint="confident, balanced predictions over K classes score K", shape_hint="return one number")
    got = _array(_call(fn, np.tile([2.0, 0.0, -1.0], (5, 1))), name)
    _expect(got, 1.0, f"{name} when every sample gets the same prediction",
            hint="p(y | x) equals the marginal p(y) for every x, so every KL is 0 and the score exp(0) = 1")
    rng = random_inputs(7)
    logits = rng.normal(0.0, 2.0, size=(20, 5))
    p = metrics.softmax(logits)
    marginal = p.mean(0, keepdims=True)
    _expect(_array(_call(fn, logits), name), metrics.classifier_score(logits),
            f"{name} on random logits (gancore.metrics.classifier_score)", mistakes=[
                (np.exp(np.mean(np.sum(marginal * (np.log(marginal) - np.log(p)), 1))),
                 "KL(p(y | x) || p(y)), not KL(p(y) || p(y | x))"),
            ], hint="take the softmax of the logits first", rtol=1e-5, atol=1e-6)
    _passed(f"{name}: 4 for confident balanced predictions, 1 when all predictions agree")


# --- Skill 11: adversarial examples --------------------------------------------------------------------------------
def check_input_gradient(fn) -> None:
    """``fn(logits_fn, images, labels)`` -> d/dx of the per-example cross-entropy (the gradient of their sum)."""
    name = _name(fn)
    w = tf.constant([[1.0, -1.0], [2.0, 0.0]])

    def logits_fn(x, training=False):  # a linear two-class classifier on 1x2 images
        return tf.reshape(x, [-1, 2]) @ w

    images = np.array([[0.0, 0.0], [1.0, 0.0]]).reshape(2, 1, 2, 1)
    labels = np.array([0, 1])
    got = _array(_call(fn, logits_fn, _t(images), tf.constant(labels)), name)
    # image 0: logits [0, 0], p = [0.5, 0.5], p - y = [-0.5, 0.5] -> W (p - y) = [-0.5 - 0.5, -1 + 0] = [-1, -1]
    # image 1: logits [1, -1], p = [0.880797, 0.119203], p - y = [0.880797, -0.880797] -> [1.761594, 1.761594]
    p1 = 1 / (1 + math.exp(-2.0))
    expected = np.array([[-1.0, -1.0], [2 * p1, 2 * p1]]).reshape(2, 1, 2, 1)
    _expect(got, expected, f"{name} for a linear classifier", mistakes=[
        (expected / 2, "you averaged the loss over the batch; each image's gradient must not depend on the batch "
                       "size: differentiate the sum of per-example losses (or the vector of losses)"),
        (-expected, "sign: the gradient of the loss, which the attack then climbs"),
    ], hint="tape.watch(images); loss = sparse categorical cross-entropy of (labels, logits_fn(images)) with "
            "from_logits=True; return tape.gradient(loss, images)",
        shape_hint="one gradient per pixel: the shape of images")
    _passed(f"{name}: [-1, -1] and [1.7616, 1.7616] for the linear classifier")


def check_fgsm(fn) -> None:
    """``fn(images, gradients, epsilon)`` -> clip(images + epsilon * sign(gradients), 0, 1)."""
    name = _name(fn)
    x = np.array([0.5, 0.98, 0.0, 0.3, 0.6])
    g = np.array([0.2, 1.0, -3.0, 0.0, -0.01])
    got = _array(_call(fn, x, g, 0.05), name)
    _expect(got, [0.55, 1.0, 0.0, 0.3, 0.55], f"{name} with epsilon 0.05", mistakes=[
        ([0.55, 1.03, -0.05, 0.3, 0.55], "clip the result to the valid pixel range [0, 1]"),
        (np.clip(x + 0.05 * g, 0, 1), "step by epsilon * sign(gradient): every pixel moves by exactly epsilon"),
        ([0.45, 0.93, 0.05, 0.3, 0.65], "sign: the attack climbs the loss (+ epsilon * sign(gradient))"),
    ], shape_hint="the adversarial images have the shape of images", rtol=1e-6, atol=1e-6)
    _passed(f"{name}: every pixel moves by epsilon against the classifier, clipped to [0, 1]")
