"""The conditional GAN: the book's CGAN networks, class conditions and a training step."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from gancore.data.arrays import scale_images
from gancore.models.cgan import (
    BOOK_CGAN_DISCRIMINATOR_PARAMS,
    BOOK_CGAN_GENERATOR_PARAMS,
    build_cgan_discriminator,
    build_cgan_generator,
)
from gancore.training.conditional import ConditionalGAN
from gancore.training.fitting import fit_steps, step_indexed_dataset


def test_book_cgan_parameter_counts():
    g, d = build_cgan_generator(), build_cgan_discriminator()
    assert g.count_params() == BOOK_CGAN_GENERATOR_PARAMS == 629_448
    assert sum(int(np.prod(w.shape)) for w in g.trainable_weights) == 629_192
    assert d.count_params() == BOOK_CGAN_DISCRIMINATOR_PARAMS == 270_641
    assert sum(int(np.prod(w.shape)) for w in d.trainable_weights) == 270_129
    assert tuple(g.output.shape) == (None, 28, 28, 1)


def tiny_cgan(**kwargs):
    keras.utils.set_random_seed(0)
    z, y = keras.Input((4,)), keras.Input((3,))
    hidden = keras.layers.Dense(16, activation="tanh")(keras.layers.Concatenate()([z, y]))
    image = keras.layers.Reshape((4, 4, 1))(hidden)
    g = keras.Model([z, y], image)
    x, c = keras.Input((4, 4, 1)), keras.Input((3,))
    logit = keras.layers.Dense(1)(keras.layers.Concatenate()([keras.layers.Flatten()(x), c]))
    d = keras.Model([x, c], logit)
    gan = ConditionalGAN(g, d, latent_dim=4, num_classes=3, **kwargs)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    return gan


def test_requested_classes_are_uniform_and_one_hot():
    gan = tiny_cgan()
    condition = gan.fake_condition(30_000, stream=3).numpy()
    assert condition.shape == (30_000, 3) and set(np.unique(condition)) == {0.0, 1.0}
    np.testing.assert_array_equal(condition.sum(1), 1.0)
    np.testing.assert_allclose(condition.mean(0), [1 / 3] * 3, atol=0.01)
    np.testing.assert_array_equal(condition, gan.fake_condition(30_000, stream=3).numpy())  # a function of the step


def test_conditional_training_updates_both_networks_on_labelled_batches():
    images = np.tile(np.arange(16, dtype="uint8").reshape(1, 4, 4) * 8, (24, 1, 1))
    images[:, 0, 0] = np.arange(24) * 10  # the first pixel identifies each image
    labels = np.arange(24) % 3
    for mixed in (False, True):
        gan = tiny_cgan(mixed_batches=mixed, g_batch_factor=2)
        before = [w.numpy().copy() for w in gan.generator.weights + gan.discriminator.weights]
        data = lambda s, n: step_indexed_dataset(images, 6, 1, s, n, scale_images, labels=labels)
        history = fit_steps(gan, data, total_steps=4, steps_per_epoch=2, verbose=0)
        after = [w.numpy() for w in gan.generator.weights + gan.discriminator.weights]
        assert all(not np.allclose(a, b) for a, b in zip(before, after))
        # two steps from initialisation: BCEs of a barely trained pair, a few tenths of a nat to a few nats
        assert all(0.5 < v < 3.5 for v in history.history["d_loss"]), history.history
        assert all(0.2 < v < 2.0 for v in history.history["g_loss"]), history.history
    batch, batch_labels = next(iter(data(0, 1)))
    assert batch.shape == (6, 4, 4, 1) and batch_labels.dtype == tf.int32
    indices = np.round(batch.numpy()[:, 0, 0, 0] * 255 / 10).astype(int)
    np.testing.assert_array_equal(batch_labels.numpy(), labels[indices])  # labels travel with their images
    assert gan.generate(np.zeros((2, 4), "float32"), np.array([0, 2])).shape == (2, 4, 4, 1)


def test_cgan_width_scales_the_convolutions_only():
    # width 1/2: Dense 100 (10,100) + Dense 25 (275) + ConvT 5x5 5->32 (4,032) + BN 128 + ConvT 7x7 32->32 (50,208)
    # + BN 128 + ConvT 7x7 32->64 (100,416) + ConvT 8x8 64->1 (4,097)
    assert build_cgan_generator(width=0.5).count_params() == 169_384
    d = build_cgan_discriminator(width=0.5)
    assert [layer.filters for layer in d.layers if isinstance(layer, keras.layers.Conv2D)] == [64, 64, 32, 32]
    with pytest.raises(ValueError, match="width"):
        build_cgan_generator(width=-1)


def test_small_cgan_networks_have_the_hand_counted_sizes():
    from gancore.models.cgan import build_small_cgan_discriminator, build_small_cgan_generator

    # width 1: Dense 110 -> 7*7*110 (598,290) + ConvT 4x4 110->128 (225,408) + ConvT 4x4 128->128 (262,272)
    # + Conv 7x7 128->1 (6,273); D: Conv 3x3 11->64 (6,400) + Conv 3x3 64->128 (73,856) + Dense 128->1 (129)
    assert build_small_cgan_generator().count_params() == 1_092_243
    assert build_small_cgan_discriminator().count_params() == 80_385
    # width 1/4: the dense projection keeps its size, the convolutions get 32 (G) and 16, 32 (D) channels
    assert build_small_cgan_generator(width=0.25).count_params() == 598_290 + 56_352 + 16_416 + 1_569
    assert build_small_cgan_discriminator(width=0.25).count_params() == 1_600 + 4_640 + 33


def test_small_cgan_discriminator_sees_the_class_as_constant_planes():
    from gancore.models.cgan import build_small_cgan_discriminator

    d = build_small_cgan_discriminator(width=0.25)
    planes = keras.Model(d.inputs, d.get_layer(index=3).output)
    out = planes([np.zeros((2, 28, 28, 1), "float32"), np.eye(10, dtype="float32")[[3, 7]]]).numpy()
    assert out.shape == (2, 28, 28, 10)
    np.testing.assert_array_equal(out[0], np.broadcast_to(np.eye(10)[3], (28, 28, 10)))
    np.testing.assert_array_equal(out[1], np.broadcast_to(np.eye(10)[7], (28, 28, 10)))


def test_small_cgan_generator_draws_tanh_images():
    from gancore.models.cgan import build_small_cgan_generator

    g = build_small_cgan_generator(width=0.25)
    out = g([np.random.default_rng(0).normal(size=(4, 100)).astype("float32"), np.eye(10, dtype="float32")[:4]])
    assert out.shape == (4, 28, 28, 1)
    assert 0.0 < float(np.abs(out).max()) < 1.0


def test_cgan_noise_projection_ablation_keeps_the_parameters_and_lets_the_map_go_negative():
    book, linear = build_cgan_generator(width=0.25), build_cgan_generator(width=0.25, noise_activation=None)
    assert book.count_params() == linear.count_params()
    z = np.random.default_rng(0).normal(size=(64, 100)).astype("float32")
    outputs = {}
    for name, g in (("book", book), ("linear", linear)):
        g.get_layer("noise_projection").set_weights([np.eye(100, dtype="float32"), np.zeros(100, "float32")])
        outputs[name] = keras.Model(g.inputs[0], g.get_layer("noise_projection").output)(z).numpy()
    np.testing.assert_allclose(outputs["book"], np.maximum(z, 0.0))  # the book's ReLU zeroes half the noise
    np.testing.assert_allclose(outputs["linear"], z)


def test_projection_term_adds_the_class_embedding_times_the_features():
    from gancore.models.cgan import build_small_cgan_discriminator

    plain = build_small_cgan_discriminator(width=0.25)
    d = build_small_cgan_discriminator(width=0.25, projection=True)
    assert d.count_params() == plain.count_params() + 10 * 32  # a 10 x 32 class embedding, no bias
    images = np.random.default_rng(1).uniform(-1, 1, size=(3, 28, 28, 1)).astype("float32")
    labels = np.eye(10, dtype="float32")[[0, 4, 9]]
    embedding = d.get_layer("class_embedding")
    features = keras.Model(d.inputs, d.get_layer("unconditional_logit").input)([images, labels]).numpy()
    base = keras.Model(d.inputs, d.get_layer("unconditional_logit").output)([images, labels]).numpy()[:, 0]
    embedding.set_weights([np.zeros((10, 32), "float32")])
    np.testing.assert_allclose(d([images, labels]).numpy()[:, 0], base, atol=1e-6)  # zero embedding: no term
    table = np.zeros((10, 32), "float32")
    table[4, :] = 1.0  # class 4 adds the sum of its features, the others nothing
    embedding.set_weights([table])
    expected = base + np.array([0.0, features[1].sum(), 0.0])
    np.testing.assert_allclose(d([images, labels]).numpy()[:, 0], expected, rtol=1e-5, atol=1e-5)


def test_mlp_cgan_networks_have_the_hand_counted_sizes():
    from gancore.models.cgan import build_mlp_cgan_discriminator, build_mlp_cgan_generator

    # G: Dense 60->1200 (73,200) + BN (4,800) + Dense 1200->1000 (1,201,000) + BN (4,000) + Dense 1000->784 (784,784)
    g = build_mlp_cgan_generator(latent_dim=50)
    assert g.count_params() == 2_067_784
    assert sum(int(np.prod(w.shape)) for w in g.trainable_weights) == 2_067_784 - 2 * (1200 + 1000)
    # D: Dense 794->256 (203,520) + Dense 256->128 (32,896) + Dense 128->1 (129), projection: 10 x 128 embedding
    assert build_mlp_cgan_discriminator(projection=False).count_params() == 236_545
    assert build_mlp_cgan_discriminator().count_params() == 236_545 + 1_280
    out = g([np.random.default_rng(0).normal(size=(3, 50)).astype("float32"), np.eye(10, dtype="float32")[:3]])
    assert out.shape == (3, 28, 28, 1) and 0.0 < float(np.abs(out).max()) < 1.0


def test_mlp_cgan_projection_term_is_the_class_embedding_times_the_last_features():
    from gancore.models.cgan import build_mlp_cgan_discriminator

    d = build_mlp_cgan_discriminator()
    images = np.random.default_rng(2).uniform(-1, 1, size=(2, 28, 28, 1)).astype("float32")
    labels = np.eye(10, dtype="float32")[[1, 6]]
    features = keras.Model(d.inputs, d.get_layer("unconditional_logit").input)([images, labels]).numpy()
    base = keras.Model(d.inputs, d.get_layer("unconditional_logit").output)([images, labels]).numpy()[:, 0]
    table = np.zeros((10, 128), "float32")
    table[6, :3] = [1.0, -2.0, 0.5]  # class 6 adds f0 - 2 f1 + 0.5 f2, class 1 nothing
    d.get_layer("class_embedding").set_weights([table])
    expected = base + np.array([0.0, features[1, 0] - 2 * features[1, 1] + 0.5 * features[1, 2]])
    np.testing.assert_allclose(d([images, labels]).numpy()[:, 0], expected, rtol=1e-5, atol=1e-5)


def test_generate_averaged_uses_the_weight_average():
    plain = tiny_cgan()
    with pytest.raises(ValueError, match="ema_decay"):
        plain.generate(np.zeros((1, 4), "float32"), np.array([0]), averaged=True)
    gan = tiny_cgan(ema_decay=0.9)
    for w in gan.ema_generator.weights:
        w.assign(tf.zeros_like(w))  # an all-zero average draws zeros, the generator itself does not
    z, labels = np.ones((2, 4), "float32"), np.array([0, 2])
    np.testing.assert_array_equal(gan.generate(z, labels, averaged=True).numpy(), 0.0)
    assert np.abs(gan.generate(z, labels).numpy()).max() > 0
