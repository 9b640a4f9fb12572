"""Skill 4/5 networks: the book's DCGAN counts and shapes, the guideline builder's options and the ablation table."""

import keras
import numpy as np
import pytest

from gancore.models import dcgan


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_book_dcgan_counts_match_the_printed_summaries():
    g, d = dcgan.build_book_generator(), dcgan.build_book_discriminator()
    assert g.count_params() == dcgan.BOOK_GENERATOR_PARAMS == 2_360_833
    assert _trainable(g) == dcgan.BOOK_GENERATOR_TRAINABLE == 2_353_921  # 6,912 batchnorm moving statistics
    assert d.count_params() == dcgan.BOOK_DISCRIMINATOR_PARAMS == 1_223_553
    assert _trainable(d) == dcgan.BOOK_DISCRIMINATOR_TRAINABLE == 1_222_913


def test_book_dcgan_shapes_and_output_ranges():
    keras.utils.set_random_seed(0)
    g, d = dcgan.build_book_generator(), dcgan.build_book_discriminator()
    maps = [tuple(layer.output.shape[1:]) for layer in g.layers if isinstance(layer, keras.layers.Conv2DTranspose)]
    assert maps == [(9, 9, 128), (15, 15, 128), (21, 21, 128), (28, 28, 1)]  # stride 1, 'valid': in + k - 1
    z = np.random.default_rng(0).normal(size=(4, 100)).astype("float32")
    images = g(z, training=False).numpy()
    assert images.shape == (4, 28, 28, 1)
    assert images.min() > 0.0 and images.max() < 1.0  # sigmoid output for [0, 1] data
    logits = d(images, training=False).numpy()
    assert logits.shape == (4, 1)
    last = d.layers[-1]  # a logit, not a probability: the book's final sigmoid moved into the loss
    assert isinstance(last, keras.layers.Dense) and last.activation.__name__ == "linear"
    assert not any(isinstance(layer, keras.layers.Activation) for layer in d.layers)
    # batchnorm after the activation in both networks, momentum 0.8 as in the book
    names = [type(layer).__name__ for layer in d.layers]
    assert names[names.index("BatchNormalization") - 1] == "LeakyReLU"
    norms = [layer for layer in g.layers + d.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(norms) == 6 and all(layer.momentum == 0.8 for layer in norms)


@pytest.mark.parametrize("width", [8, 16])
@pytest.mark.parametrize("bn_position", ["before", "after", "none"])
def test_guideline_counts_by_hand(width, bn_position):
    g = dcgan.build_guideline_generator(latent_dim=10, width=width, bn_position=bn_position)
    d = dcgan.build_guideline_discriminator(width=width, bn_position=bn_position)
    assert g.count_params() == dcgan.guideline_generator_params(10, width, bn_position)
    assert d.count_params() == dcgan.guideline_discriminator_params(width, bn_position)


def test_guideline_counts_hand_checked_values():
    # G, width 64, latent 100, BN before ReLU (no biases before BN):
    # Dense 100*49*128 = 627,200 + BN 4*128 = 512; ConvT 25*128*64 = 204,800 + BN 256; ConvT 25*64 + 1 = 1,601
    assert dcgan.guideline_generator_params(100, 64, "before") == 627_200 + 512 + 204_800 + 256 + 1_601
    # D, width 64: Conv 25*64 + 64 = 1,664; Conv 25*64*128 = 204,800 + BN 512; Dense 49*128 + 1 = 6,273
    assert dcgan.guideline_discriminator_params(64, "before") == 1_664 + 204_800 + 512 + 6_273


def test_guideline_options_change_the_layers():
    g = dcgan.build_guideline_generator(latent_dim=8, width=4)
    assert g.output_shape == (None, 28, 28, 1)
    out = g(np.zeros((2, 8), "float32"), training=False).numpy()
    assert out.min() >= -1.0 and out.max() <= 1.0
    order = [type(layer).__name__ for layer in g.layers]
    assert order[order.index("BatchNormalization") + 1] == "ReLU"  # before the activation
    after = [type(layer).__name__ for layer in dcgan.build_guideline_generator(8, 4, bn_position="after").layers]
    assert after[after.index("BatchNormalization") - 1] == "ReLU"
    d_relu = dcgan.build_guideline_discriminator(width=4, activation="relu")
    assert not any(isinstance(layer, keras.layers.LeakyReLU) for layer in d_relu.layers)
    slopes = [layer.negative_slope for layer in dcgan.build_guideline_discriminator(width=4).layers
              if isinstance(layer, keras.layers.LeakyReLU)]
    assert slopes == [pytest.approx(0.2)] * 2
    with pytest.raises(ValueError, match="bn_position"):
        dcgan.build_guideline_generator(bn_position="middle")
    with pytest.raises(ValueError, match="activation"):
        dcgan.build_guideline_discriminator(activation="tanh")


def test_dcgan_initialisation_std():
    keras.utils.set_random_seed(0)
    kernel = dcgan.build_guideline_generator(latent_dim=100, width=16, init="dcgan").get_layer("project").kernel.numpy()
    assert kernel.std() == pytest.approx(0.02, rel=0.05)
    glorot = dcgan.build_guideline_generator(latent_dim=100, width=16, init="default").get_layer("project").kernel
    limit = np.sqrt(6.0 / (100 + 7 * 7 * 32))  # glorot_uniform bound
    assert glorot.numpy().std() == pytest.approx(limit / np.sqrt(3.0), rel=0.05)


def test_practice_settings_switch_one_thing_each():
    base = dcgan.practice_settings("baseline")
    assert base == {"bn_position": "before", "init": "dcgan", "d_activation": "leaky_relu", "label_smoothing": 0.0,
                    "mixed_batches": False, "beta_1": 0.5}
    for name in dcgan.PRACTICES:
        changed = {k for k, v in dcgan.practice_settings(name).items() if v != base[k]}
        assert len(changed) == (0 if name == "baseline" else 1), name
    assert len(dcgan.PRACTICES) == 7 and set(dcgan.PRACTICE_LABELS) == set(dcgan.PRACTICES)
    with pytest.raises(ValueError, match="Unknown practice"):
        dcgan.practice_settings("dropout")
