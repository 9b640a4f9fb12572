"""The FLOP counter of benchmarks/flops.py against counts done by hand."""

from __future__ import annotations

import sys
from pathlib import Path

import keras

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import flops  # noqa: E402


def test_dense_and_convolutions_count_their_multiply_adds():
    x = keras.Input((8, 8, 3))
    y = keras.layers.Conv2D(4, 3, strides=2, padding="same")(x)  # 4x4 out: 2*3*3*3*4*16 = 3,456
    y = keras.layers.Conv2DTranspose(5, 3, strides=2, padding="same")(y)  # 4x4 in: 2*3*3*4*5*16 = 5,760
    y = keras.layers.BatchNormalization()(y)
    y = keras.layers.Flatten()(y)
    y = keras.layers.Dense(7)(y)  # 8*8*5 = 320 inputs: 2*320*7 = 4,480
    model = keras.Model(x, y)
    assert [flops.layer_flops(layer) for layer in model.layers] == [0, 3456, 5760, 0, 0, 4480]
    assert flops.model_flops(model) == 13_696


def test_the_book_mlp_gan_step_is_about_1_7_gflop():
    from gancore.models import mlp_gan

    g, d = mlp_gan.build_mlp_generator(50), mlp_gan.build_mlp_discriminator()
    # G: 50*1200 + 1200*1000 + 1000*784 = 2,044,000 multiply-adds; D: 784*256 + 256*128 + 128 = 233,600
    assert flops.model_flops(g) == 2 * 2_044_000 and flops.model_flops(d) == 2 * 233_600
    step = flops.gan_step_flops(g, d, real=50, fake=50, g_batch=100)
    assert step == 2 * 2_044_000 * (50 + 300) + 2 * 233_600 * (300 + 200)
    assert 1.6e9 < step < 1.7e9
