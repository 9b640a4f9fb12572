"""The book's networks: parameter counts, masks and the PixelCNN's causality and sampler."""

import keras
import numpy as np
import pytest

from gancore.models import mlp_gan, pixelcnn, vae
from gancore.training.pixelcnn import bce_to_bits_per_dim, binarise, evaluate_nll, sample


def test_book_parameter_counts():
    assert vae.build_vae_encoder().count_params() == vae.BOOK_ENCODER_PARAMS == 57_652
    assert vae.build_vae_decoder().count_params() == vae.BOOK_DECODER_PARAMS == 112_577
    assert mlp_gan.build_mlp_generator().count_params() == mlp_gan.BOOK_GENERATOR_PARAMS == 2_055_784
    assert mlp_gan.build_mlp_discriminator().count_params() == mlp_gan.BOOK_DISCRIMINATOR_PARAMS == 233_985
    assert pixelcnn.build_pixelcnn().count_params() == pixelcnn.BOOK_PIXELCNN_PARAMS == 532_673


def test_generator_trainable_split_matches_the_book():
    g = mlp_gan.build_mlp_generator()
    trainable = sum(int(np.prod(w.shape)) for w in g.trainable_weights)
    assert trainable == 2_051_384  # the other 4,400 are batchnorm moving statistics


def test_causal_masks_by_hand():
    a = pixelcnn.causal_mask(3, 1, 1, "A")[:, :, 0, 0]
    b = pixelcnn.causal_mask(3, 1, 1, "B")[:, :, 0, 0]
    np.testing.assert_array_equal(a, [[1, 1, 1], [1, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(b, [[1, 1, 1], [1, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(pixelcnn.causal_mask(1, 2, 3, "B"), np.ones((1, 1, 2, 3)))
    with pytest.raises(ValueError, match="'A' or 'B'"):
        pixelcnn.causal_mask(3, 1, 1, "C")


def test_masked_conv_never_changes_its_stored_kernel():
    layer = pixelcnn.MaskedConv2D(2, 3, mask_type="A", padding="same")
    x = np.random.default_rng(0).random((1, 5, 5, 1)).astype("float32")
    layer(x)
    before = layer.kernel.numpy().copy()
    layer(x)
    np.testing.assert_array_equal(before, layer.kernel.numpy())
    assert np.abs(before[2, 2]).sum() > 0  # the hidden weights still exist; only the convolution ignores them


def test_pixelcnn_is_causal_in_raster_order():
    keras.utils.set_random_seed(0)
    model = pixelcnn.build_pixelcnn(filters=8, residual_blocks=1)
    x = (np.random.default_rng(1).random((1, 28, 28, 1)) > 0.5).astype("float32")
    base = model(x).numpy()[0, :, :, 0]
    for r, c in [(0, 0), (10, 5), (27, 27)]:
        flipped = x.copy()
        flipped[0, r, c, 0] = 1 - flipped[0, r, c, 0]
        moved = np.argwhere(np.abs(model(flipped).numpy()[0, :, :, 0] - base) > 1e-7)
        assert all((i, j) > (r, c) for i, j in moved), (r, c, moved[:3])


def test_binarise_and_likelihood_units():
    images = np.array([[[0, 84, 85, 255]]], dtype="uint8")
    np.testing.assert_array_equal(binarise(images)[0, 0, :, 0], [0, 0, 1, 1])  # threshold 84.48
    assert bce_to_bits_per_dim(np.log(2)) == pytest.approx(1.0)

    class Half(keras.Model):
        def call(self, x, training=False):
            return keras.ops.ones_like(x) * 0.5

    nll = evaluate_nll(Half(), np.ones((3, 2, 2, 1), "float32"))
    assert nll["bits_per_dim"] == pytest.approx(1.0, rel=1e-6)
    assert nll["nats_per_image"] == pytest.approx(4 * np.log(2), rel=1e-6)


def test_sampler_is_seeded_and_binary():
    keras.utils.set_random_seed(0)
    model = pixelcnn.build_pixelcnn()
    first, seconds = sample(model, 2, seed=3)
    again, _ = sample(model, 2, seed=3)
    assert first.shape == (2, 28, 28, 1) and set(np.unique(first)) <= {0.0, 1.0}
    np.testing.assert_array_equal(first, again)
    assert seconds > 0


def test_image_gan_plans_and_shapes():
    from gancore.models import image_gan

    plans = {s: image_gan.upsampling_plan(s) for s in (24, 32, 48, 56, 64, 128)}
    assert plans == {24: (3, 3), 32: (4, 3), 48: (3, 4), 56: (7, 3), 64: (4, 4), 128: (4, 5)}
    with pytest.raises(ValueError, match="not s \\* 2\\^k"):
        image_gan.upsampling_plan(50)
    g = image_gan.build_image_generator(48, latent_dim=15, channels=3, width=8)
    c = image_gan.build_image_critic(48, channels=3, width=8, norm="layer")
    assert tuple(g.output.shape) == (None, 48, 48, 3) and tuple(c.output.shape) == (None, 1)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in c.layers)
    with pytest.raises(ValueError, match="Unknown normalisation"):
        image_gan.build_image_critic(48, norm="group")


def test_sampler_window_gives_the_same_images_as_the_whole_image():
    """The 9 x 17 window holds everything the book network's output at a pixel can see."""
    from gancore.training.pixelcnn import receptive_reach

    assert receptive_reach(pixelcnn.build_pixelcnn()) == 8  # 7x7 mask A (3 rows) + five 3x3 mask B (1 each)
    keras.utils.set_random_seed(2)
    model = pixelcnn.build_pixelcnn(filters=8, residual_blocks=2)
    assert receptive_reach(model) == 5
    small = (12, 12, 1)
    windowed, _ = sample(model, 3, seed=4, shape=small)
    whole, _ = sample(model, 3, seed=4, shape=small, window=False)
    np.testing.assert_array_equal(windowed, whole)
    assert 0 < windowed.mean() < 1  # a random network draws both colours: the comparison is not trivial


def test_window_probabilities_match_and_a_smaller_window_would_not():
    from gancore.training.pixelcnn import any_size_copy

    keras.utils.set_random_seed(5)
    net = any_size_copy(pixelcnn.build_pixelcnn(filters=8, residual_blocks=2))  # reach 5
    x = (np.random.default_rng(0).random((2, 16, 16, 1)) > 0.5).astype("float32")
    full = net(x).numpy()

    def at(r, c, reach):
        r0, c0, c1 = max(0, r - reach), max(0, c - reach), min(16, c + reach + 1)
        return net(x[:, r0 : r + 1, c0:c1]).numpy()[:, r - r0, c - c0]

    for r, c in [(0, 0), (9, 8), (15, 15), (12, 2)]:
        np.testing.assert_allclose(at(r, c, 5), full[:, r, c], atol=1e-6)
    assert max(np.abs(at(r, c, 4) - full[:, r, c]).max() for r, c in [(9, 8), (12, 7)]) > 1e-6
