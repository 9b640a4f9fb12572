"""InfoGAN: the information losses, the code streams, who learns from the info term, the logged
losses (the book's "Info-Loss" mix-up) and the code/class best-matching accuracy."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from gancore import losses
from gancore.data.arrays import scale_images_tanh
from gancore.models.sgan_infogan_acgan import build_infogan_discriminator, build_infogan_generator
from gancore.training.fitting import fit_steps, step_indexed_dataset
from gancore.training.infogan import InfoGAN, _exact_assignment, best_matching_accuracy, contingency

LN2, LN10 = np.log(2.0), np.log(10.0)


# --- the loss functions -----------------------------------------------------------------------------------
def test_categorical_code_loss_by_hand():
    # logits [0, ln 3, 0] -> softmax [1/5, 3/5, 1/5]; code 1 -> -ln(3/5) = 0.5108; code 0 -> ln 5 = 1.6094
    logits = np.array([[0.0, np.log(3.0), 0.0]] * 2, "float32")
    codes = np.array([[0, 1, 0], [1, 0, 0]], "float32")
    value = float(losses.categorical_code_loss(codes, logits))
    assert value == pytest.approx((0.5108256 + 1.6094379) / 2, abs=1e-5)
    # a Q that knows nothing (equal logits) scores ln K, the entropy of a uniform K-way code
    uniform = float(losses.categorical_code_loss(np.eye(10, dtype="float32"), np.full((10, 10), 3.7, "float32")))
    assert uniform == pytest.approx(LN10, abs=1e-5)
    # large logits stay finite (log-softmax, not log of a softmax)
    assert float(losses.categorical_code_loss(np.array([[0, 1.0]]), np.array([[500.0, -500.0]]))) == pytest.approx(1000)


def test_gaussian_code_loss_by_hand():
    # 0.5 * ((1 - 0.5)^2 + (-1 - 0)^2) = 0.625 and 0.5 * (0.2^2 + 0.4^2) = 0.1; mean 0.3625
    codes = np.array([[1.0, -1.0], [0.0, 0.0]], "float32")
    means = np.array([[0.5, 0.0], [0.2, -0.4]], "float32")
    assert float(losses.gaussian_code_loss(codes, means)) == pytest.approx(0.3625, abs=1e-6)


# --- a tiny InfoGAN ---------------------------------------------------------------------------------------
def tiny_infogan(continuous=0, zero_heads=False, **kwargs):
    keras.utils.set_random_seed(0)
    z, code = keras.Input((4,)), keras.Input((10 + continuous,))
    hidden = keras.layers.Dense(16, activation="tanh")(keras.layers.Concatenate()([z, code]))
    g = keras.Model([z, code], keras.layers.Reshape((4, 4, 1))(hidden))
    image = keras.Input((4, 4, 1))
    features = keras.layers.Dense(8, activation="tanh", name="trunk")(keras.layers.Flatten()(image))
    init = "zeros" if zero_heads else "glorot_uniform"
    heads = [keras.layers.Dense(1, name="real_fake", kernel_initializer=init)(features),
             keras.layers.Dense(10 + continuous, name="code", kernel_initializer=init)(features)]
    d = keras.Model(image, heads)
    kwargs.setdefault("seed", 3)
    gan = InfoGAN(g, d, noise_dim=4, continuous=continuous, **kwargs)
    return gan


def compile_(gan, d_lr=1e-2, g_lr=1e-2):
    gan.compile(keras.optimizers.Adam(d_lr), keras.optimizers.Adam(g_lr))
    return gan


IMAGES = (np.arange(24 * 16).reshape(24, 4, 4) % 251).astype("uint8")
DATA = lambda s, n: step_indexed_dataset(IMAGES, 6, 1, s, n, scale_images_tanh)


def test_codes_are_uniform_one_hot_plus_uniform_continuous_and_a_function_of_the_step():
    gan = compile_(tiny_infogan(continuous=2))
    codes = gan.sample_codes(40_000, 3, 6).numpy()
    one_hot, cont = codes[:, :10], codes[:, 10:]
    assert set(np.unique(one_hot)) == {0.0, 1.0}
    np.testing.assert_array_equal(one_hot.sum(1), 1.0)
    np.testing.assert_allclose(one_hot.mean(0), 0.1, atol=0.006)
    assert -1 < cont.min() < -0.999 and 0.999 < cont.max() < 1
    np.testing.assert_allclose(cont.mean(0), 0.0, atol=0.01)
    np.testing.assert_allclose(cont.var(0), 1 / 3, atol=0.01)  # U(-1, 1) has variance 1/3
    assert abs(np.corrcoef(cont.T)[0, 1]) < 0.02
    np.testing.assert_array_equal(codes, gan.sample_codes(40_000, 3, 6).numpy())
    # the categorical codes do not depend on whether there are continuous codes or which variant runs
    book = compile_(tiny_infogan(continuous=0, info_updates_trunk=False))
    np.testing.assert_array_equal(book.sample_codes(500, 3, 6).numpy(), codes[:500, :10])
    np.testing.assert_array_equal(book.noise(7, 0).numpy(), gan.noise(7, 0).numpy())


def test_the_book_variant_trains_q_head_with_the_generator_and_never_with_the_discriminator():
    book = tiny_infogan(info_updates_trunk=False)
    paper = tiny_infogan(info_updates_trunk=True)
    q_ids = {id(v) for v in book.discriminator.get_layer("code").trainable_variables}
    assert {id(v) for v in book.g_variables()} >= q_ids and not q_ids & {id(v) for v in book.d_variables()}
    q_ids = {id(v) for v in paper.discriminator.get_layer("code").trainable_variables}
    assert not q_ids & {id(v) for v in paper.g_variables()} and {id(v) for v in paper.d_variables()} >= q_ids
    assert len(book.trunk_variables()) == 2  # the tiny trunk's kernel and bias


def _one_step(info_updates_trunk, info_weight):
    gan = compile_(tiny_infogan(info_updates_trunk=info_updates_trunk, info_weight=info_weight))
    before = {name: [w.numpy().copy() for w in ws] for name, ws in parts(gan).items()}
    fit_steps(gan, DATA, total_steps=1, steps_per_epoch=1, verbose=0)
    return before, {name: [w.numpy() for w in ws] for name, ws in parts(gan).items()}


def parts(gan):
    d = gan.discriminator
    return {"trunk": gan.trunk_variables(), "q": d.get_layer("code").trainable_variables,
            "real_fake": d.get_layer("real_fake").trainable_variables, "g": gan.generator.trainable_variables}


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def test_frozen_trunk_option_leaves_the_trunk_to_the_adversarial_loss_and_the_fix_does_not():
    # After one step the trunk has had exactly one (discriminator) update. Book: identical with and without
    # the info term (lambda 1 vs 0). Paper: the info term changes it. The real/fake head sees no info gradient.
    for trunk_learns in (False, True):
        before, with_info = _one_step(trunk_learns, 1.0)
        _, without_info = _one_step(trunk_learns, 0.0)
        assert not same(before["trunk"], with_info["trunk"])  # the trunk does train (adversarial loss)
        assert same(with_info["trunk"], without_info["trunk"]) is (not trunk_learns)
        assert same(with_info["real_fake"], without_info["real_fake"])
        assert not same(before["q"], with_info["q"])  # Q's head learns in both variants
        assert not same(with_info["g"], without_info["g"])  # and the generator feels the info term


def test_logged_losses_at_an_uninformed_start_match_the_books_step_zero_evidence():
    # Both heads zero: D says 1/2 for every image and Q a uniform guess. With the discriminator's learning
    # rate 0 the generator step sees exactly that: the adversarial BCE is ln 2 (what the book printed as
    # "Info-Loss", 0.684) and the real info loss is ln 10 (the book's G-Loss minus it, 2.315).
    for trunk_learns in (False, True):
        gan = compile_(tiny_infogan(zero_heads=True, info_updates_trunk=trunk_learns), d_lr=0.0)
        logs = fit_steps(gan, DATA, total_steps=1, steps_per_epoch=1, verbose=0).history
        assert logs["book_info_loss"][0] == pytest.approx(LN2, abs=1e-5)
        assert logs["info_loss"][0] == pytest.approx(LN10, abs=1e-5)
        assert logs["g_loss"][0] == pytest.approx(LN2 + LN10, abs=1e-5)
        assert logs["d_loss"][0] == pytest.approx(2 * LN2, abs=1e-5)  # mean BCE on reals + mean BCE on fakes


def test_continuous_codes_add_the_weighted_gaussian_term():
    gan = compile_(tiny_infogan(continuous=2, zero_heads=True, continuous_weight=0.5), d_lr=0.0)
    codes = gan.sample_codes(6, 4 * 1 + 1, (4 * 1 + 2) + 1)  # the generator step's streams at step 0 (d_steps 1)
    logs = fit_steps(gan, DATA, total_steps=1, steps_per_epoch=1, verbose=0).history
    expected_gaussian = float(np.mean(0.5 * np.sum(codes.numpy()[:, 10:] ** 2, 1)))  # Q predicts mean 0
    assert logs["continuous_loss"][0] == pytest.approx(expected_gaussian, abs=1e-5)
    assert logs["g_loss"][0] == pytest.approx(LN2 + LN10 + 0.5 * expected_gaussian, abs=1e-5)


def test_book_networks_train_for_a_few_steps_with_finite_losses():
    g = build_infogan_generator(continuous=2, width=0.125)
    d = build_infogan_discriminator(continuous=2, width=0.125)
    gan = compile_(InfoGAN(g, d, noise_dim=50, continuous=2, mixed_batches=True, frozen_d_in_g_step=True, seed=1))
    images = (np.arange(8 * 784).reshape(8, 28, 28) % 255).astype("uint8")
    logs = fit_steps(gan, lambda s, n: step_indexed_dataset(images, 4, 1, s, n, scale_images_tanh),
                     total_steps=2, steps_per_epoch=1, verbose=0).history
    # G's loss is its adversarial term plus the weighted code losses; Q is barely trained, so its categorical
    # cross-entropy over ten codes is still near ln 10
    expected = (np.array(logs["book_info_loss"]) + gan.info_weight * np.array(logs["info_loss"])
                + gan.continuous_weight * np.array(logs["continuous_loss"]))
    np.testing.assert_allclose(logs["g_loss"], expected, rtol=1e-5)
    np.testing.assert_allclose(logs["info_loss"], LN10, atol=0.3)
    assert gan.generate(np.zeros((3, 50)), [0, 4, 9], np.zeros((3, 2))).shape == (3, 28, 28, 1)
    categories, means = gan.predict_codes(np.zeros((3, 28, 28, 1), "float32"))
    assert categories.shape == (3,) and means.shape == (3, 2)


def test_unsupported_options_are_refused():
    with pytest.raises(ValueError, match="gradient_penalty_weight"):
        tiny_infogan(gradient_penalty_weight=10.0)
    with pytest.raises(ValueError, match="expected 10 \\+ 2"):
        z, c = keras.Input((4,)), keras.Input((12,))
        g = keras.Model([z, c], keras.layers.Reshape((4, 4, 1))(keras.layers.Dense(16)(z)))
        x = keras.Input((4, 4, 1))
        f = keras.layers.Flatten()(x)
        InfoGAN(g, keras.Model(x, [keras.layers.Dense(1, name="real_fake")(f), keras.layers.Dense(10, name="code")(f)]),
                noise_dim=4, continuous=2)


# --- best-matching accuracy -------------------------------------------------------------------------------
def test_best_matching_accuracy_is_permutation_invariant_and_beats_greedy():
    labels = np.arange(100) % 10
    codes = (labels * 3 + 1) % 10  # a relabelling: perfect agreement
    accuracy, mapping = best_matching_accuracy(codes, labels)
    assert accuracy == 1.0 and all(mapping[(c * 3 + 1) % 10] == c for c in range(10))
    # table [[5, 4, 0], [4, 0, 0], [0, 0, 1]]: greedy takes the 5 and ends at 6 of 14; the best is 4 + 4 + 1 = 9
    table = np.array([[5, 4, 0], [4, 0, 0], [0, 0, 1]])
    codes = np.repeat(np.repeat([0, 1, 2], 3), table.ravel())
    labels = np.repeat(np.tile([0, 1, 2], 3), table.ravel())
    np.testing.assert_array_equal(contingency(codes, labels, 3, 3), table)
    for use_scipy in (True, False):
        accuracy, mapping = best_matching_accuracy(codes, labels, 3, 3, use_scipy=use_scipy)
        assert accuracy == pytest.approx(9 / 14) and mapping == {0: 1, 1: 0, 2: 2}
    # a code that ignores the class: one value for everything -> at best the largest class share
    accuracy, _ = best_matching_accuracy(np.zeros(100, int), np.arange(100) % 10)
    assert accuracy == pytest.approx(0.1)


def test_exact_assignment_matches_brute_force_on_random_tables():
    rng = np.random.default_rng(0)
    for rows, cols in ((4, 4), (6, 6), (3, 5)):
        for _ in range(5):
            table = rng.integers(0, 20, (rows, cols))
            best = max(sum(table[r, c] for r, c in enumerate(p)) for p in itertools.permutations(range(cols), rows))
            columns = _exact_assignment(table)
            assert len(set(columns)) == rows and sum(table[r, c] for r, c in enumerate(columns)) == best


def test_tensor_inputs_are_accepted_and_lengths_checked():
    accuracy, _ = best_matching_accuracy(tf.constant([0, 1, 1]), np.array([1, 0, 0]), 2, 2)
    assert accuracy == 1.0
    with pytest.raises(ValueError, match="same length"):
        best_matching_accuracy([0, 1], [0, 1, 1], 2, 2)
