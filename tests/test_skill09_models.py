"""Skill 9 networks (SRGAN, DiscoGAN, CartoonGAN, context encoder): the book's counts, smaller variants."""

from __future__ import annotations

import pytest

from gancore.models import cartoongan, discogan, srgan
from gancore.models import context_encoder as ce
from tests.helpers import check_small_forward, trainable

BOOK_NETWORKS = [
    (srgan.build_generator, 2_040_643, 2_038_467, (None, 64, 64, 3), (None, 256, 256, 3)),
    (srgan.build_discriminator, 5_215_425, 5_215_425, (None, 256, 256, 3), (None, 16, 16, 1)),
    (discogan.build_generator, 41_833_475, 41_833_475, (None, 128, 128, 3), (None, 128, 128, 3)),
    (discogan.build_discriminator, 2_766_529, 2_766_529, (None, 128, 128, 3), (None, 8, 8, 1)),
    (cartoongan.build_generator, 42_882_051, 42_882_051, [(None, 128, 128, 3), (None, 16, 16, 512)],
     (None, 128, 128, 3)),
    (cartoongan.build_discriminator, 2_766_529, 2_766_529, (None, 128, 128, 3), (None, 8, 8, 1)),
    (ce.build_generator, 826_435, 825_603, (None, 64, 64, 3), (None, 16, 16, 3)),
    (ce.build_discriminator, 376_705, 375_809, (None, 16, 16, 3), (None, 1)),
]
BOOK_TOTAL = {row[0]: row[1] for row in BOOK_NETWORKS}  # builder -> the book's parameter count


@pytest.mark.parametrize("build, total, train, inputs, output", BOOK_NETWORKS)
def test_book_counts(build, total, train, inputs, output):
    model = build()
    assert (model.count_params(), trainable(model), model.input_shape, model.output_shape) == (
        total, train, inputs, output)


def test_constants_are_the_books_numbers():
    assert (srgan.BOOK_SRGAN_GENERATOR_PARAMS, srgan.BOOK_SRGAN_DISCRIMINATOR_PARAMS) == (2_040_643, 5_215_425)
    assert (discogan.BOOK_DISCOGAN_GENERATOR_PARAMS, discogan.BOOK_DISCOGAN_DISCRIMINATOR_PARAMS) == (
        41_833_475, 2_766_529)
    assert (cartoongan.BOOK_CARTOONGAN_GENERATOR_PARAMS, cartoongan.BOOK_CARTOONGAN_DISCRIMINATOR_PARAMS) == (
        42_882_051, 2_766_529)
    assert (ce.BOOK_CONTEXT_ENCODER_GENERATOR_PARAMS, ce.BOOK_CONTEXT_ENCODER_DISCRIMINATOR_PARAMS) == (
        826_435, 376_705)


def test_srgan_generator_by_hand():
    # conv 9x9 3->64 15,616; per block two 3x3 64->64 convs (2 x 36,928) + BN 256 + IN 128 = 74,240;
    # long-skip conv 36,928 + BN 256; upsampling convs 64->256 147,712 and 256->256 590,080; conv 9x9 256->3 62,211
    assert 15_616 + 16 * 74_240 + 36_928 + 256 + 147_712 + 590_080 + 62_211 == 2_040_643
    assert srgan.build_generator(residual_blocks=1).count_params() == 2_040_643 - 15 * 74_240
    # the 2,176 non-trainable parameters: moving mean and variance of 17 batchnorms of 64 channels
    assert 2_040_643 - 2_038_467 == 17 * 2 * 64


def test_cartoongan_is_discogan_plus_the_style_channels_into_d6():
    # d6 (ConvTranspose 4x4 -> 128) reads 512 + 512 style channels instead of 512
    assert cartoongan.BOOK_CARTOONGAN_GENERATOR_PARAMS - discogan.BOOK_DISCOGAN_GENERATOR_PARAMS == 16 * 512 * 128


def test_context_encoder_by_hand():
    g = (3 * 9 * 32 + 32) + 4 * 32 + (32 * 9 * 64 + 64) + 4 * 64 + (64 * 9 * 128 + 128) + 4 * 128 \
        + (128 * 512 + 512) + (512 * 9 * 128 + 128) + 4 * 128 + (128 * 9 * 64 + 64) + 4 * 64 + (64 * 9 * 3 + 3)
    d = (3 * 9 * 64 + 64) + 4 * 64 + (64 * 9 * 128 + 128) + 4 * 128 + (128 * 9 * 256 + 256) + 4 * 256 + 4 * 4 * 256 + 1
    assert (g, d) == (826_435, 376_705)


@pytest.mark.parametrize(
    "build, kwargs, inputs, output",
    [
        (srgan.build_generator, {"image_size": 16}, [(16, 16, 3)], (64, 64, 3)),
        (srgan.build_discriminator, {"image_size": 64}, [(64, 64, 3)], (4, 4, 1)),
        (discogan.build_generator, {"image_size": 32}, [(32, 32, 3)], (32, 32, 3)),
        (discogan.build_discriminator, {"image_size": 32}, [(32, 32, 3)], (2, 2, 1)),
        (cartoongan.build_generator, {"image_size": 32}, [(32, 32, 3), (4, 4, 512)], (32, 32, 3)),
        (cartoongan.build_generator, {"image_size": 64, "style_channels": 16}, [(64, 64, 3), (8, 8, 16)],
         (64, 64, 3)),
        (cartoongan.build_discriminator, {"image_size": 32}, [(32, 32, 3)], (2, 2, 1)),
        (ce.build_generator, {"image_size": 32}, [(32, 32, 3)], (8, 8, 3)),
        (ce.build_discriminator, {"hole_size": 8}, [(8, 8, 3)], (1,)),
    ],
)
def test_small_width_and_image_run_forward(build, kwargs, inputs, output):
    model = build(width=0.125, **kwargs)
    check_small_forward(model, inputs, output)
    assert model.count_params() < 0.1 * BOOK_TOTAL[build]  # the book's count, without building it again


def test_discriminators_return_linear_logits():
    heads = [(srgan.build_discriminator(image_size=32, width=0.125), "patch_logits"),
             (discogan.build_discriminator(image_size=32, width=0.125), "patch_logits"),
             (cartoongan.build_discriminator(image_size=32, width=0.125), "patch_logits"),
             (ce.build_discriminator(hole_size=8, width=0.125), "real_fake")]
    for model, head in heads:
        assert model.get_layer(head).get_config()["activation"] == "linear"
