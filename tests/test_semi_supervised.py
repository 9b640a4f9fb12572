"""SGAN (semi-supervised GAN): K+1-class losses, labelled subsets, the training steps and the baseline."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from gancore import losses
from gancore.data.arrays import scale_images
from gancore.models import sgan_infogan_acgan
from gancore.training.fitting import fit_steps, step_indexed_dataset
from gancore.training.semi_supervised import (
    SemiSupervisedGAN,
    SupervisedBaseline,
    balanced_labelled_subset,
    predict_real_classes,
    real_class_accuracy,
    semi_supervised_dataset,
)

LN2, LN3 = np.log(2.0), np.log(3.0)


# ---- pure losses ------------------------------------------------------------------------------------------

def test_sparse_softmax_cross_entropy_by_hand():
    logits = np.array([[0.0, 0.0, 0.0], [LN2, 0.0, 0.0], [LN2, 0.0, 0.0]], "float32")
    # uniform over 3: ln 3; softmax of (ln 2, 0, 0) = (1/2, 1/4, 1/4): -ln(1/2) and -ln(1/4)
    values = losses.sparse_softmax_cross_entropy(logits, np.array([1, 0, 2]))
    np.testing.assert_allclose(np.asarray(values), [LN3, LN2, 2 * LN2], rtol=1e-6)


def test_real_logit_from_class_logits_by_hand():
    logits = np.array([[0.0, 0.0, LN2], [LN3, 0.0, 0.0]], "float32")
    real = np.asarray(losses.real_logit_from_class_logits(logits))
    # row 1: logsumexp(0, 0) - ln 2 = 0; row 2: logsumexp(ln 3, 0) - 0 = ln 4
    np.testing.assert_allclose(real, [0.0, np.log(4.0)], atol=1e-6)
    # sigmoid(ln 4) = 4/5 = 1 - p(fake), with p(fake) = e^0 / (3 + 1 + 1) = 1/5
    np.testing.assert_allclose(1 / (1 + np.exp(-real[1])), 0.8, rtol=1e-6)


def test_feature_matching_loss_by_hand():
    real = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")  # batch means (2, 3)
    fake = np.array([[0.0, 0.0], [2.0, 2.0]], "float32")  # batch means (1, 1)
    np.testing.assert_allclose(float(losses.feature_matching_loss(real, fake)), (1 + 4) / 2, rtol=1e-6)
    assert float(losses.feature_matching_loss(real, real[::-1])) == pytest.approx(0.0, abs=1e-7)


# ---- labelled subsets and evaluation ---------------------------------------------------------------------

def test_balanced_labelled_subset():
    labels = np.repeat(np.arange(3), 5)  # 5 examples per class
    idx = balanced_labelled_subset(labels, 6, seed=4, num_classes=3)
    assert len(idx) == 6 and len(set(idx)) == 6 and np.all(np.diff(idx) > 0)
    np.testing.assert_array_equal(np.bincount(labels[idx], minlength=3), [2, 2, 2])
    np.testing.assert_array_equal(idx, balanced_labelled_subset(labels, 6, seed=4, num_classes=3))
    others = {tuple(balanced_labelled_subset(labels, 6, seed=s, num_classes=3)) for s in range(10)}
    assert len(others) > 1  # the seed chooses the images
    np.testing.assert_array_equal(balanced_labelled_subset(labels, 15, seed=0, num_classes=3), np.arange(15))
    with pytest.raises(ValueError, match="multiple"):
        balanced_labelled_subset(labels, 7, seed=0, num_classes=3)
    with pytest.raises(ValueError, match="fewer"):
        balanced_labelled_subset(labels, 18, seed=0, num_classes=3)


def test_predict_real_classes_ignores_the_fake_logit():
    logits = np.array([[1.0, 3.0, 9.0], [2.0, 0.0, 5.0]])
    np.testing.assert_array_equal(predict_real_classes(logits, num_classes=2), [1, 0])


def test_real_class_accuracy_by_hand():
    x = keras.Input((2,))
    real_fake = keras.layers.Dense(1, name="real_fake")(x)
    classes = keras.layers.Dense(3, name="classes")(x)
    d = keras.Model(x, [real_fake, classes])
    d.get_layer("classes").set_weights([np.array([[1.0, 0.0, 5.0], [0.0, 1.0, 5.0]]), np.zeros(3)])
    images = np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 0.5]], "float32")
    # class logits (2, 1, 15), (0, 3, 15), (1, 0.5, 7.5): the fake logit wins every row but is ignored,
    # real-class predictions 0, 1, 0 against labels 0, 1, 1
    assert real_class_accuracy(d, images, np.array([0, 1, 1]), num_classes=2, batch_size=2) == pytest.approx(2 / 3)


# ---- data ------------------------------------------------------------------------------------------------

def test_semi_supervised_dataset_pairs_labelled_and_unlabelled_batches():
    labelled = np.arange(6, dtype="uint8").reshape(6, 1, 1) * 10  # pixel = 10 x index
    labels = np.array([0, 1, 2, 0, 1, 2])
    unlabelled = np.full((50, 1, 1), 255, "uint8")
    data = lambda: semi_supervised_dataset(labelled, labels, unlabelled, 4, 5, seed=3, start_step=0, num_steps=3,
                                           preprocess=scale_images)
    elements = list(data())
    assert len(elements) == 3
    (images, batch_labels), unl = elements[0]
    assert images.shape == (4, 1, 1, 1) and unl.shape == (5, 1, 1, 1)
    indices = np.round(images.numpy()[:, 0, 0, 0] * 255 / 10).astype(int)
    np.testing.assert_array_equal(batch_labels.numpy(), labels[indices])  # labels travel with their images
    np.testing.assert_allclose(unl.numpy(), 1.0)
    again = list(data())  # a pure function of (seed, step)
    for (a, _), (b, _) in zip(elements, again):
        np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())


# ---- training steps, on tiny networks with hand-checkable first losses -------------------------------------

def tiny_networks(num_classes=2, zero_d=True):
    keras.utils.set_random_seed(0)
    z = keras.Input((3,))
    g = keras.Model(z, keras.layers.Reshape((2, 2, 1))(keras.layers.Dense(4, activation="tanh")(z)))
    x = keras.Input((2, 2, 1))
    features = keras.layers.Flatten(name="features")(x)
    init = "zeros" if zero_d else "glorot_uniform"
    real_fake = keras.layers.Dense(1, name="real_fake", kernel_initializer=init)(features)
    classes = keras.layers.Dense(num_classes + 1, name="classes", kernel_initializer=init)(features)
    return g, keras.Model(x, [real_fake, classes])


def tiny_data(mode):
    images = (np.arange(40 * 4).reshape(40, 2, 2) % 251).astype("uint8")
    labels = np.arange(40) % 2
    if mode == "book":
        return lambda s, n: step_indexed_dataset(images, 4, 1, s, n, scale_images, labels=labels)
    return lambda s, n: semi_supervised_dataset(images[:4], labels[:4], images, 4, 6, 1, s, n, scale_images)


def weights_of(model):
    return [w.numpy().copy() for w in model.weights]


# With a zero discriminator the real/fake logit is 0 and the 3 class logits are equal, so the first
# discriminator loss is known. Book: 0.5 BCE(0) + 0.5 CE over 3 classes = 0.5 ln 2 + 0.5 ln 3.
# Semi-supervised: CE over the 2 real classes = ln 2; r = logsumexp(0, 0) - 0 = ln 2, so BCE(r, 1) = ln 3 - ln 2
# (unlabelled) and BCE(r, 0) = ln 3 (fakes), averaged: ln 2 + 0.5 (2 ln 3 - ln 2).
SEMI_FIRST_D_LOSS = LN2 + 0.5 * ((LN3 - LN2) + LN3)


@pytest.mark.parametrize("mode, generator_loss, first_d_loss", [
    ("book", "non_saturating", 0.5 * LN2 + 0.5 * LN3),
    ("semi_supervised", "non_saturating", SEMI_FIRST_D_LOSS),
    ("semi_supervised", "feature_matching", SEMI_FIRST_D_LOSS),
])
def test_first_losses_and_updates(mode, generator_loss, first_d_loss):
    g, d = tiny_networks()
    gan = SemiSupervisedGAN(g, d, latent_dim=3, num_classes=2, mode=mode, generator_loss=generator_loss,
                            mixed_batches=True, g_batch_factor=2, seed=1)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    g_before, d_before = weights_of(g), weights_of(d)
    history = fit_steps(gan, tiny_data(mode), total_steps=1, steps_per_epoch=1, verbose=0).history
    assert history["d_loss"][0] == pytest.approx(first_d_loss, rel=1e-5)
    if mode == "book":  # the generator meets a discriminator one small step away from zero: close to BCE(0, 1)
        assert history["g_loss"][0] == pytest.approx(LN2, abs=0.05)
    assert all(not np.allclose(a, b) for a, b in zip(g_before, weights_of(g)))  # the generator learned
    changed = {w.path.split("/")[-2] for w, b in zip(d.weights, d_before) if not np.allclose(w.numpy(), b)}
    # the semi-supervised loss lives on the class head: the book's separate real/fake head is left alone
    assert changed == ({"real_fake", "classes"} if mode == "book" else {"classes"})
    expected_keys = {"d_loss", "g_loss", "d_acc", "d_class_acc"}
    if mode == "semi_supervised":
        expected_keys |= {"supervised_loss", "unsupervised_loss"}
        assert history["supervised_loss"][0] == pytest.approx(LN2, rel=1e-5)
    assert set(history) == expected_keys


def test_book_mode_logs_the_books_mixed_batch_accuracies():
    g, d = tiny_networks(zero_d=True)
    d.get_layer("real_fake").set_weights([np.zeros((4, 1)), np.array([1.0])])  # calls everything real
    d.get_layer("classes").set_weights([np.zeros((4, 3)), np.array([0.0, 0.0, 1.0])])  # calls everything fake
    gan = SemiSupervisedGAN(g, d, latent_dim=3, num_classes=2, mode="book", mixed_batches=True, seed=1)
    gan.compile(keras.optimizers.SGD(0.0), keras.optimizers.SGD(0.0))
    history = fit_steps(gan, tiny_data("book"), total_steps=1, steps_per_epoch=1, verbose=0).history
    # real/fake: the 4 reals right, the 4 fakes wrong -> 50%; classes: the 4 fakes right (class 2), reals wrong
    assert history["d_acc"][0] == pytest.approx(0.5)
    assert history["d_class_acc"][0] == pytest.approx(0.5)


def test_supervised_baseline_trains_the_class_head_on_labels_only():
    _, d = tiny_networks()
    base = SupervisedBaseline(d, num_classes=2)
    base.compile(keras.optimizers.Adam(1e-2))
    images = (np.arange(40 * 4).reshape(40, 2, 2) % 251).astype("uint8")
    data = lambda s, n: step_indexed_dataset(images, 4, 1, s, n, scale_images, labels=np.arange(40) % 2)
    before = weights_of(d)
    history = fit_steps(base, data, total_steps=2, steps_per_epoch=1, verbose=0).history
    assert history["supervised_loss"][0] == pytest.approx(LN2, rel=1e-5)  # zero logits over 2 classes
    changed = {w.path.split("/")[-2] for w, b in zip(d.weights, before) if not np.allclose(w.numpy(), b)}
    assert changed == {"classes"}
    assert base(np.zeros((3, 2, 2, 1), "float32")).shape == (3, 2)  # the K real-class logits only


def test_options_are_checked_and_optimizers_not_shared():
    g, d = tiny_networks()
    with pytest.raises(ValueError, match="mode"):
        SemiSupervisedGAN(g, d, latent_dim=3, mode="unsupervised")
    with pytest.raises(ValueError, match="non-saturating"):
        SemiSupervisedGAN(g, d, latent_dim=3, mode="book", generator_loss="feature_matching")
    gan = SemiSupervisedGAN(g, d, latent_dim=3, num_classes=2)
    adam = keras.optimizers.Adam(1e-4)
    with pytest.raises(ValueError, match="two optimizer"):
        gan.compile(adam, adam)


def test_book_sgan_networks_train_in_semi_supervised_mode():
    keras.utils.set_random_seed(0)
    g = sgan_infogan_acgan.build_sgan_generator(width=0.125)
    d = sgan_infogan_acgan.build_sgan_discriminator(width=0.125)
    gan = SemiSupervisedGAN(g, d, latent_dim=100, mode="semi_supervised", generator_loss="feature_matching",
                            mixed_batches=True, seed=2)
    gan.compile(keras.optimizers.Adam(1e-4, beta_1=0.5), keras.optimizers.Adam(1e-4, beta_1=0.5))
    images = np.random.default_rng(0).integers(0, 256, (30, 28, 28), dtype=np.uint8)
    labels = np.arange(30) % 10
    data = lambda s, n: semi_supervised_dataset(images[:10], labels[:10], images, 5, 8, 0, s, n, scale_images)
    history = fit_steps(gan, data, total_steps=2, steps_per_epoch=1, verbose=0).history
    # D's loss is its two heads' sum; the class head is barely trained, so its cross-entropy is near ln 10
    np.testing.assert_allclose(history["d_loss"],
                               np.add(history["supervised_loss"], history["unsupervised_loss"]), rtol=1e-5)
    np.testing.assert_allclose(history["supervised_loss"], np.log(10), atol=0.6)
    accuracy = real_class_accuracy(d, tf.zeros((4, 28, 28, 1)).numpy(), np.zeros(4))
    assert accuracy in (0.0, 1.0)  # four identical images share one prediction


@pytest.mark.parametrize("frozen", [True, False])
def test_generator_step_leaves_batchnorm_statistics_alone_when_frozen(frozen):
    keras.utils.set_random_seed(0)
    g, _ = tiny_networks()
    x = keras.Input((2, 2, 1))
    features = keras.layers.Flatten(name="features")(keras.layers.BatchNormalization(momentum=0.8)(x))
    heads = [keras.layers.Dense(1, name="real_fake")(features), keras.layers.Dense(3, name="classes")(features)]
    d = keras.Model(x, heads)
    gan = SemiSupervisedGAN(g, d, latent_dim=3, num_classes=2, mode="semi_supervised", frozen_d_in_g_step=frozen)
    before = [w.numpy().copy() for w in d.non_trainable_weights]  # moving mean 0, moving variance 1
    fake = g(np.ones((4, 3), "float32"))
    gan._generator_loss(fake, np.ones((4, 2, 2, 1), "float32"))
    unchanged = all(np.allclose(a, w.numpy()) for a, w in zip(before, d.non_trainable_weights))
    assert unchanged == frozen  # training-mode batchnorm on a batch of fakes moves the test-time statistics
