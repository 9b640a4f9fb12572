"""Skill 7 networks: the book's parameter counts (total and trainable), shapes and the width option."""

from __future__ import annotations

import pytest

from gancore.models import wgan_lsgan as m
from tests.helpers import trainable


@pytest.mark.parametrize(
    "build, total, train, output",
    [
        (m.build_wgan_generator, 1_079_297, 1_078_785, (None, 28, 28, 1)),
        (m.build_wgan_critic, 523_393, 522_369, (None, 1)),
        (m.build_lsgan_generator, 1_493_520, 1_489_936, (None, 28, 28, 1)),
        (m.build_lsgan_discriminator, 533_505, 533_505, (None, 1)),
        (m.build_wgan_gp_generator, 1_028_673, 1_028_289, (None, 28, 28, 1)),
        (m.build_wgan_gp_critic, 100_097, 99_649, (None, 1)),
    ],
)
def test_book_counts(build, total, train, output):
    model = build()
    assert (model.count_params(), trainable(model), model.output_shape) == (total, train, output)


def test_module_constants_are_the_books():
    assert (m.WGAN_GENERATOR_PARAMS, m.WGAN_CRITIC_PARAMS) == (1_079_297, 523_393)
    assert (m.LSGAN_GENERATOR_PARAMS, m.LSGAN_DISCRIMINATOR_PARAMS) == (1_493_520, 533_505)
    assert (m.WGAN_GP_GENERATOR_PARAMS, m.WGAN_GP_CRITIC_PARAMS) == (1_028_673, 100_097)


def test_layer_norm_critic_replaces_only_the_normalisation():
    # LayerNormalization over (H, W, C) has a scale and an offset per element: 7x7x32, 4x4x64, 4x4x128 maps
    ln = m.build_wgan_gp_critic(norm="layer")
    bn_trainable = 99_649 - 2 * (32 + 64 + 128)  # the batchnorm gammas and betas
    assert trainable(ln) == bn_trainable + 2 * (7 * 7 * 32 + 4 * 4 * 64 + 4 * 4 * 128)
    assert ln.count_params() == trainable(ln)  # no moving statistics


def test_width_halves_the_channels():
    # width 1/2: Dense 100 -> 7*7*64 (316,736); ConvT 3x3/2 64->64 twice (36,928 + BN 256 each);
    # ConvT 3x3 64->64 (36,928); ConvT 4x4 64->1 (1,025)
    assert m.build_wgan_generator(width=0.5).count_params() == 316_736 + 2 * (36_928 + 256) + 36_928 + 1_025
    with pytest.raises(ValueError, match="width"):
        m.build_wgan_critic(width=0)
