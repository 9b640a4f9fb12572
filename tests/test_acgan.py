"""ACGAN: the two-headed losses by hand, the class term reaching the generator, and a training step."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from gancore import losses
from gancore.data.arrays import scale_images_tanh
from gancore.models.sgan_infogan_acgan import (
    ACGAN_DISCRIMINATOR_PARAMS,
    ACGAN_GENERATOR_PARAMS,
    build_acgan_discriminator,
    build_acgan_generator,
)
from gancore.training.acgan import ACGAN
from gancore.training.fitting import fit_steps, step_indexed_dataset

LN2, LN10 = math.log(2.0), math.log(10.0)


def test_class_cross_entropy_by_hand():
    # logits (0, ln 3) -> softmax (1/4, 3/4): -log(3/4) for class 1, -log(1/4) = ln 4 for class 0
    logits = np.array([[0.0, math.log(3.0)], [0.0, math.log(3.0)]], "float32")
    one_hot = np.array([[0.0, 1.0], [1.0, 0.0]], "float32")
    np.testing.assert_allclose(losses.class_cross_entropy(logits, one_hot), [math.log(4 / 3), math.log(4.0)], rtol=1e-6)
    # large logits stay finite (logsumexp), a confident right answer costs ~0
    big = np.array([[1000.0, 0.0]], "float32")
    assert 0.0 <= float(losses.class_cross_entropy(big, np.array([[1.0, 0.0]], "float32"))[0]) < 1e-6
    assert float(losses.class_cross_entropy(big, np.array([[0.0, 1.0]], "float32"))[0]) == pytest.approx(1000.0)
    assert float(losses.class_accuracy(logits, one_hot)) == pytest.approx(0.5)


def test_acgan_losses_at_zero_logits_match_the_books_step_zero_scale():
    n, k = 5, 10
    zero, zero_k = np.zeros((n, 1), "float32"), np.zeros((n, k), "float32")
    classes = np.eye(k, dtype="float32")[np.arange(n)]
    d = float(losses.acgan_discriminator_loss(zero, zero, zero_k, zero_k, classes, classes))
    assert d == pytest.approx(0.5 * LN2 + 0.5 * LN10, abs=1e-6)  # 1.4979; the book's first log: 1.833
    g = float(losses.acgan_generator_loss(zero, zero_k, classes))
    assert g == pytest.approx(LN2 + LN10, abs=1e-6)  # 2.9957; the book's first log: 2.978


def test_acgan_discriminator_loss_by_hand():
    # reals: logit ln 3 (D(x) = 3/4, BCE -log 3/4); fakes: logit 0 (BCE ln 2)
    # classes (2 of them): real logits (ln 3, 0) with class 0 (-log 3/4); fake logits (0, 0) with class 1 (ln 2)
    real, fake = np.full((2, 1), math.log(3.0), "float32"), np.zeros((2, 1), "float32")
    real_c = np.tile(np.array([[math.log(3.0), 0.0]], "float32"), (2, 1))
    fake_c = np.zeros((2, 2), "float32")
    y_real, y_fake = np.tile([[1.0, 0.0]], (2, 1)).astype("float32"), np.tile([[0.0, 1.0]], (2, 1)).astype("float32")
    source = 0.5 * (math.log(4 / 3) + LN2)
    classes = 0.5 * (math.log(4 / 3) + LN2)
    got = float(losses.acgan_discriminator_loss(real, fake, real_c, fake_c, y_real, y_fake))
    assert got == pytest.approx(0.5 * source + 0.5 * classes, abs=1e-6)
    got = float(losses.acgan_discriminator_loss(real, fake, real_c, fake_c, y_real, y_fake, 1.0, 0.0))
    assert got == pytest.approx(source, abs=1e-6)
    # smoothing 0.1: real target 0.9, BCE = softplus(l) - 0.9 l
    smoothed = 0.5 * (math.log(4.0) - 0.9 * math.log(3.0) + LN2)
    got = float(losses.acgan_discriminator_loss(real, fake, real_c, fake_c, y_real, y_fake, 1.0, 0.0, 0.1))
    assert got == pytest.approx(smoothed, abs=1e-6)
    # the generator: fakes at logit ln 3 (-log 3/4) asked for class 0 with logits (ln 3, 0) (-log 3/4)
    assert float(losses.acgan_generator_loss(real, real_c, y_real)) == pytest.approx(2 * math.log(4 / 3), abs=1e-6)
    assert float(losses.acgan_generator_loss(real, real_c, y_real, 0.0, 2.0)) == pytest.approx(2 * math.log(4 / 3),
                                                                                               abs=1e-6)


def test_book_acgan_parameter_counts():
    g, d = build_acgan_generator(), build_acgan_discriminator()
    trainable = lambda net: sum(int(np.prod(w.shape)) for w in net.trainable_weights)  # noqa: E731
    assert (g.count_params(), trainable(g)) == (ACGAN_GENERATOR_PARAMS, 645_665) == (649_377, 645_665)
    assert (d.count_params(), trainable(d)) == (ACGAN_DISCRIMINATOR_PARAMS, 560_907) == (561_675, 560_907)


def tiny_acgan(**kwargs):
    keras.utils.set_random_seed(0)
    z, y = keras.Input((4,)), keras.Input((3,))
    hidden = keras.layers.Dense(16, activation="tanh")(keras.layers.Concatenate()([z, y]))
    g = keras.Model([z, y], keras.layers.Reshape((4, 4, 1))(hidden))
    x = keras.Input((4, 4, 1))
    flat = keras.layers.Flatten()(x)
    d = keras.Model(x, [keras.layers.Dense(1)(flat), keras.layers.Dense(3)(flat)])
    gan = ACGAN(g, d, latent_dim=4, num_classes=3, **kwargs)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    return gan


def test_the_class_term_reaches_the_generator():
    """With the real/fake weight at 0, the generator's gradient comes from the class head alone, and it is
    exactly the gradient of the class cross-entropy through D's class logits."""
    gan = tiny_acgan()
    z = tf.constant(np.random.default_rng(0).normal(size=(6, 4)), tf.float32)
    classes = tf.one_hot([0, 1, 2, 0, 1, 2], 3)
    with tf.GradientTape(persistent=True) as tape:
        logits, class_logits = gan.discriminate(gan.generate_from(z, classes), training=False)
        class_only = losses.acgan_generator_loss(logits, class_logits, classes, 0.0, 1.0)
        by_hand = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(classes, class_logits))
    ours = tape.gradient(class_only, gan.generator.trainable_variables)
    reference = tape.gradient(by_hand, gan.generator.trainable_variables)
    assert all(float(tf.reduce_max(tf.abs(a))) > 1e-4 for a in ours)  # it does reach every generator weight
    for a, b in zip(ours, reference):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-7)


def test_acgan_training_updates_both_networks_and_logs_the_books_metrics():
    images = np.tile(np.arange(16, dtype="uint8").reshape(1, 4, 4) * 8, (24, 1, 1))
    labels = np.arange(24) % 3
    data = lambda s, n: step_indexed_dataset(images, 6, 1, s, n, scale_images_tanh, labels=labels)  # noqa: E731
    for mixed in (False, True):
        gan = tiny_acgan(mixed_batches=mixed, g_batch_factor=2, frozen_d_in_g_step=True)
        before = [w.numpy().copy() for w in gan.generator.weights + gan.discriminator.weights]
        history = fit_steps(gan, data, total_steps=4, steps_per_epoch=2, verbose=0)
        after = [w.numpy() for w in gan.generator.weights + gan.discriminator.weights]
        assert all(not np.allclose(a, b) for a, b in zip(before, after))
        logged = history.history
        expected = {"d_loss", "g_loss", "d_acc", "class_acc", "real_class_acc", "fake_class_acc", "g_class_loss"}
        assert expected <= set(logged)
        for name in ("d_acc", "class_acc", "real_class_acc", "fake_class_acc"):
            assert all(0.0 <= v <= 1.0 for v in logged[name])
        np.testing.assert_allclose(logged["class_acc"],
                                   0.5 * (np.array(logged["real_class_acc"]) + np.array(logged["fake_class_acc"])),
                                   atol=1e-6)
        assert int(gan.step_counter().numpy()) == 4
    predicted = gan.classify(scale_images_tanh(tf.constant(images[:5])).numpy())
    assert predicted.shape == (5,) and set(predicted) <= {0, 1, 2}


def test_acgan_refuses_shared_optimizer_and_unsupported_options():
    with pytest.raises(ValueError, match="two optimizer"):
        gan = tiny_acgan()
        shared = keras.optimizers.Adam()
        gan.compile(shared, shared)
    with pytest.raises(ValueError, match="unsupported"):
        tiny_acgan(loss="wasserstein")
    with pytest.raises(ValueError, match="unsupported"):
        tiny_acgan(d_steps=2)


def test_acgan_keeps_the_weight_average_of_its_generator():
    images = np.tile(np.arange(16, dtype="uint8").reshape(1, 4, 4) * 8, (24, 1, 1))
    labels = np.arange(24) % 3
    data = lambda s, n: step_indexed_dataset(images, 6, 1, s, n, scale_images_tanh, labels=labels)  # noqa: E731
    gan = tiny_acgan(ema_decay=0.5)  # no warm-up: each step moves the average halfway to the weights
    average = [w.numpy().copy() for w in gan.ema_generator.weights]  # the frozen copy: all its weights
    assert len(average) == len(gan.generator.weights) == 2
    fit_steps(gan, data, total_steps=1, steps_per_epoch=1, verbose=0)
    for avg, before, now in zip(gan.ema_generator.weights, average, gan.generator.weights):
        np.testing.assert_allclose(avg.numpy(), 0.5 * before + 0.5 * now.numpy(), rtol=1e-5, atol=1e-6)
        assert not np.allclose(avg.numpy(), before)
