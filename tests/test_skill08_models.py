"""Skill 8 networks (Pix2Pix colour and maps, CycleGAN U-Net and ResNet-9): the book's counts, smaller variants."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from gancore.models import cyclegan, pix2pix
from gancore.models.unet import unet_levels_to_drop
from tests.helpers import check_small_forward, trainable

BOOK_NETWORKS = [
    (pix2pix.build_colour_generator, 3_684_099, 3_681_411, (None, 256, 256, 3)),
    (pix2pix.build_colour_discriminator, 731_393, 730_497, (None, 16, 16, 1)),
    (pix2pix.build_maps_generator, 54_419_459, 54_419_459, (None, 256, 256, 3)),
    (pix2pix.build_maps_discriminator, 2_769_601, 2_769_601, (None, 16, 16, 1)),
    (cyclegan.build_unet_generator, 16_888_451, 16_888_451, (None, 256, 256, 3)),
    (cyclegan.build_unet_discriminator, 6_962_369, 6_962_369, (None, 8, 8, 1)),
    (cyclegan.build_resnet_generator, 11_388_617, 11_388_617, (None, 256, 256, 3)),
    (cyclegan.build_resnet_discriminator, 2_766_529, 2_766_529, (None, 32, 32, 1)),
]
BOOK_TOTAL = {row[0]: row[1] for row in BOOK_NETWORKS}  # builder -> the book's parameter count


@pytest.mark.parametrize("build, total, train, output", BOOK_NETWORKS)
def test_book_counts(build, total, train, output):
    model = build()
    assert (model.count_params(), trainable(model), model.output_shape) == (total, train, output)


def test_constants_are_the_books_numbers():
    assert pix2pix.BOOK_PIX2PIX_COLOUR_GENERATOR_PARAMS == 3_684_099
    assert pix2pix.BOOK_PIX2PIX_COLOUR_DISCRIMINATOR_PARAMS == 731_393
    assert pix2pix.BOOK_PIX2PIX_MAPS_GENERATOR_PARAMS == 54_419_459
    assert pix2pix.BOOK_PIX2PIX_MAPS_DISCRIMINATOR_PARAMS == 2_769_601
    assert cyclegan.BOOK_CYCLEGAN_UNET_GENERATOR_PARAMS == 16_888_451
    assert cyclegan.BOOK_CYCLEGAN_UNET_DISCRIMINATOR_PARAMS == 6_962_369
    assert cyclegan.BOOK_CYCLEGAN_RESNET_GENERATOR_PARAMS == 11_388_617
    assert cyclegan.BOOK_CYCLEGAN_RESNET_DISCRIMINATOR_PARAMS == 2_766_529


def test_resnet_generator_block_count():
    # the book prints one residual block but its summary has nine: 757,961 outside the blocks + 9 x 1,181,184
    one = cyclegan.build_resnet_generator(residual_blocks=1)
    assert one.count_params() == 757_961 + cyclegan.RESIDUAL_BLOCK_PARAMS
    assert 757_961 + 9 * cyclegan.RESIDUAL_BLOCK_PARAMS == cyclegan.BOOK_CYCLEGAN_RESNET_GENERATOR_PARAMS


def test_colour_unet_at_128_drops_its_innermost_level_by_hand():
    # 128 halves 7 times, the book's U-Net 8: e7 (Conv 128->128 262,272 + BN 512) and d1 (ConvT 128->128
    # 262,272 + BN 512) go, and d2 now reads the 128-channel bottleneck instead of 256 channels (-16*128*128)
    assert unet_levels_to_drop(7, 256) == 0 and unet_levels_to_drop(7, 128) == 1 and unet_levels_to_drop(7, 64) == 2
    g = pix2pix.build_colour_generator(image_size=128)
    assert g.count_params() == 3_684_099 - 2 * (262_272 + 512) - 16 * 128 * 128
    assert g.output_shape == (None, 128, 128, 3)


@pytest.mark.parametrize(
    "build, size, inputs, output",
    [
        (pix2pix.build_colour_generator, 64, [(64, 64, 1)], (64, 64, 3)),
        (pix2pix.build_colour_discriminator, 64, [(64, 64, 1), (64, 64, 3)], (4, 4, 1)),
        (pix2pix.build_maps_generator, 64, [(64, 64, 3)], (64, 64, 3)),
        (pix2pix.build_maps_discriminator, 64, [(64, 64, 3), (64, 64, 3)], (4, 4, 1)),
        (cyclegan.build_unet_generator, 32, [(32, 32, 3)], (32, 32, 3)),
        (cyclegan.build_unet_discriminator, 64, [(64, 64, 3)], (2, 2, 1)),
        (cyclegan.build_resnet_generator, 32, [(32, 32, 3)], (32, 32, 3)),
        (cyclegan.build_resnet_discriminator, 64, [(64, 64, 3)], (8, 8, 1)),
    ],
)
def test_small_width_and_image_run_forward(build, size, inputs, output):
    model = build(image_size=size, width=0.125)
    check_small_forward(model, inputs, output)
    assert model.count_params() < 0.05 * BOOK_TOTAL[build]  # the book's count, without building it again


def test_discriminators_return_linear_patch_logits():
    for build in (pix2pix.build_colour_discriminator, pix2pix.build_maps_discriminator,
                  cyclegan.build_unet_discriminator, cyclegan.build_resnet_discriminator):
        d = build(image_size=32, width=0.125)
        assert d.get_layer("patch_logits").get_config()["activation"] == "linear"


def test_resnet_generator_round_trips_through_a_keras_file(tmp_path):
    g = cyclegan.build_resnet_generator(image_size=16, width=0.125, residual_blocks=2)
    x = np.random.default_rng(1).uniform(-1, 1, size=(1, 16, 16, 3)).astype("float32")
    g.save(tmp_path / "g.keras")
    loaded = keras.saving.load_model(tmp_path / "g.keras")
    assert loaded.count_params() == g.count_params()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), g.predict(x, verbose=0), atol=1e-5)
