"""Skill 6 networks (SGAN, InfoGAN, ACGAN): the book's parameter counts, heads and the width option."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from gancore.models import sgan_infogan_acgan as m
from tests.helpers import trainable


@pytest.mark.parametrize(
    "build, total, train, outputs",
    [
        (m.build_sgan_generator, 540_097, 536_385, (None, 28, 28, 1)),
        (m.build_sgan_discriminator, 562_316, 561_292, [(None, 1), (None, 11)]),
        (m.build_infogan_generator, 531_425, 530_657, (None, 28, 28, 1)),
        (m.build_acgan_generator, 649_377, 645_665, (None, 28, 28, 1)),
        (m.build_acgan_discriminator, 561_675, 560_907, [(None, 1), (None, 10)]),
    ],
)
def test_book_counts(build, total, train, outputs):
    model = build()
    assert (model.count_params(), trainable(model), model.output_shape) == (total, train, outputs)


def test_infogan_d_and_q_share_the_trunk_like_the_books_two_models():
    both = m.build_infogan_discriminator()
    d_only = keras.Model(both.input, both.outputs[0])
    q_only = keras.Model(both.input, both.outputs[1])
    assert d_only.count_params() == m.INFOGAN_DISCRIMINATOR_PARAMS == 428_929
    assert q_only.count_params() == m.INFOGAN_Q_NETWORK_PARAMS == 429_514
    # one model: the trunk once, plus the 65-parameter D head and the 650-parameter Q head
    assert both.count_params() == 428_929 - 65 + 65 + 650


def test_paper_infogan_adds_two_continuous_codes():
    # the code input grows 10 -> 12 (Dense 32: +2 x 32 weights); Q's head 64 -> 12 (+2 x 65)
    g = m.build_infogan_generator(continuous=2)
    d = m.build_infogan_discriminator(continuous=2)
    assert g.count_params() == 531_425 + 2 * 32
    assert d.output_shape == [(None, 1), (None, 12)]
    assert d.count_params() == 429_579 + 2 * 65


def test_width_quarter_sgan_generator_by_hand():
    # width 1/4: Dense 100 -> 5*5*16 (40,400) + BN 1,600; ConvT 3x3/2 16->32 (4,640) + BN 128;
    # ConvT 3x3/2 32->32 (9,248) + BN 128; ConvT 3x3 32->32 (9,248); ConvT 4x4 32->1 (513)
    g = m.build_sgan_generator(width=0.25)
    assert g.count_params() == 40_400 + 1_600 + 4_640 + 128 + 9_248 + 128 + 9_248 + 513
    assert g.output_shape == (None, 28, 28, 1)


def test_heads_return_logits_not_probabilities():
    d = m.build_acgan_discriminator(width=0.25)
    real_fake, classes = d(np.zeros((2, 28, 28, 1), "float32") + 5.0, training=False)
    assert all(layer.get_config().get("activation", "linear") == "linear"
               for layer in d.layers if layer.name in ("real_fake", "classes"))
    assert real_fake.shape == (2, 1) and classes.shape == (2, 10)


def test_paper_infogan_networks_at_half_width_by_hand():
    # generator, input 62 + 10 + 2 = 74: Dense 512 (37,888 + 512) + BN 2,048; Dense 7*7*64 = 3,136
    # (1,605,632 + 3,136) + BN 12,544; ConvT 4x4 64->32 (32,768 + 32) + BN 128; ConvT 4x4 32->1 (512 + 1)
    g = m.build_paper_infogan_generator(62, 10, 2, width=0.5)
    assert g.count_params() == 37_888 + 512 + 2_048 + 1_605_632 + 3_136 + 12_544 + 32_800 + 128 + 513
    assert trainable(g) == g.count_params() - 2 * (512 + 3_136 + 32)  # BN moving mean and variance
    assert g.output_shape == (None, 28, 28, 1)
    # discriminator: Conv 4x4 1->32 (544); Conv 4x4 32->64 (32,832) + BN 256; Dense 3,136 -> 512 (1,606,144)
    # + BN 2,048; D head 513; Q hidden 512 -> 64 (32,832); Q head 64 -> 12 (780)
    d = m.build_paper_infogan_discriminator(10, 2, width=0.5)
    assert d.count_params() == 544 + 32_832 + 256 + 1_606_144 + 2_048 + 513 + 32_832 + 780
    assert d.output_shape == [(None, 1), (None, 12)]
    assert (d.get_layer("code").units, d.get_layer("real_fake").units) == (12, 1)


def test_regularised_sgan_discriminator_by_hand():
    # width 1/4 without batchnorm: Conv 3x3/2 1->32 (320); Conv 3x3/2 32->32 (9,248); Conv 3x3 32->32 (9,248);
    # Conv 4x4 32->32 (16,416); heads Dense 32->1 (33) and 32->11 (363). Noise and dropout add nothing.
    d = m.build_sgan_discriminator(width=0.25, batchnorm=False, input_noise=0.3, dropout=0.3)
    assert d.count_params() == 320 + 9_248 + 9_248 + 16_416 + 33 + 363
    assert d.output_shape == [(None, 1), (None, 11)]
    # the book's network at the same width has four batchnorm layers of 4 x 32 on top
    assert m.build_sgan_discriminator(width=0.25).count_params() == 35_628 + 4 * 4 * 32
    kinds = [type(layer).__name__ for layer in d.layers]
    assert kinds.count("GaussianNoise") == 1 and kinds.count("Dropout") == 4
    assert "BatchNormalization" not in kinds


def test_regularised_sgan_discriminator_is_random_only_in_training():
    d = m.build_sgan_discriminator(width=0.25, batchnorm=False, input_noise=0.3, dropout=0.3)
    x = np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)).astype("float32")
    test_a, test_b = (np.asarray(d(x, training=False)[1]) for _ in range(2))
    train_a, train_b = (np.asarray(d(x, training=True)[1]) for _ in range(2))
    np.testing.assert_array_equal(test_a, test_b)
    assert np.abs(train_a - train_b).max() > 1e-4
