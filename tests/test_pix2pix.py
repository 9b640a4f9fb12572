"""Skill 8 Pix2Pix colourisation: grey conversion and metrics by hand, and the training step."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from gancore.chapters import colourise as col
from gancore.models.pix2pix import build_colour_discriminator, build_colour_generator
from gancore.training import pix2pix as p2p
from gancore.training.pix2pix import Pix2Pix


def _adam():
    return keras.optimizers.Adam(2e-3, beta_1=0.5)


# --- grey conversion and the baseline ---------------------------------------------------------------------------
def test_grey_of_pure_primaries_is_the_bt601_weights():
    rgb = np.array([[[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]]], "float32")
    grey = col.rgb_to_grey(rgb).numpy()
    assert grey.shape == (1, 4, 1)
    np.testing.assert_allclose(grey[0, :, 0], [0.299, 0.587, 0.114, 1.0], atol=1e-6)
    # linear with weights summing to 1: [-1, 1] maps to [-1, 1]
    np.testing.assert_allclose(col.rgb_to_grey(-np.ones((2, 2, 3), "float32")).numpy(), -1.0, atol=1e-6)


def test_grey_matches_opencv_within_rounding():
    import cv2

    img = np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    ours = col.rgb_to_grey(img.astype("float32")).numpy()[..., 0]
    assert np.abs(ours - cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)).max() <= 0.5 + 1e-4


def test_grey_copy_repeats_the_channel():
    grey = np.random.default_rng(1).uniform(0, 1, (2, 4, 4, 1)).astype("float32")
    copy = col.grey_copy(grey)
    assert copy.shape == (2, 4, 4, 3)
    for c in range(3):
        np.testing.assert_array_equal(copy[..., c], grey[..., 0])


# --- metrics by hand (the pixel scores themselves are tested in test_metrics.py) -------------------------------
def test_colour_scores_of_a_constant_offset():
    target = np.full((3, 8, 8, 3), 0.5)
    scores = col.colour_scores(target - 0.25, target)
    assert scores["l1"] == pytest.approx(0.25, abs=1e-12)
    assert scores["psnr"] == pytest.approx(10 * np.log10(1 / 0.0625), abs=1e-9)  # MSE 0.0625: 12.04 dB
    assert scores["ssim"] < 1.0


def test_colour_scores_of_a_perfect_colourisation():
    images = np.random.default_rng(2).uniform(0, 1, (2, 16, 16, 3))
    scores = col.colour_scores(images, images)
    assert scores == pytest.approx({"l1": 0.0, "psnr": 100.0, "ssim": 1.0}, abs=1e-9)  # the PSNR's MSE floor


def test_photo_colour_split_holds_out_whole_photos():
    data = col.photo_colour_split(6, 4, size=32, seed=0)
    assert data.train.shape == (6, 32, 32, 3) and data.test.shape == (4, 32, 32, 3) and data.train.dtype == np.uint8
    assert set(data.test_photos) == set(col.TEST_PHOTOS) and not set(data.train_photos) & set(data.test_photos)
    assert "STAND-IN" in data.source and data.standin


# --- losses and the training step --------------------------------------------------------------------------------
def test_losses_by_hand():
    ones, zeros = np.ones((2, 4, 4, 1), "float32"), np.zeros((2, 4, 4, 1), "float32")
    assert float(p2p.discriminator_loss(ones, zeros)) == pytest.approx(0.0)
    assert float(p2p.discriminator_loss(zeros, ones)) == pytest.approx(1.0)  # 0.5 * 1 + 0.5 * 1
    target = np.zeros((2, 8, 8, 3), "float32")
    total, l1, adv = p2p.generator_loss(target + 0.5, target, zeros)
    assert float(l1) == pytest.approx(0.5) and float(adv) == pytest.approx(1.0)  # Keras 'mse': no 1/2
    assert float(total) == pytest.approx(1.0 + 100 * 0.5)


def _tiny(adversarial_weight=1.0):
    keras.utils.set_random_seed(0)
    g, d = build_colour_generator(32, width=0.125), build_colour_discriminator(32, width=0.125)
    model = Pix2Pix(g, d, adversarial_weight=adversarial_weight)
    model.compile(_adam(), _adam())
    return model


def test_two_optimizers_required():
    model = Pix2Pix(build_colour_generator(32, width=0.125), build_colour_discriminator(32, width=0.125))
    shared = _adam()
    with pytest.raises(ValueError, match="two optimizer"):
        model.compile(shared, shared)


def _fixed_batch():
    rng = np.random.default_rng(3)
    smooth = tf.image.resize(rng.uniform(-1, 1, (8, 4, 4, 3)).astype("float32"), (32, 32)).numpy()
    return tf.constant(smooth)


@pytest.mark.parametrize("adversarial_weight", [1.0, 0.0])
def test_train_step_reduces_l1_on_a_fixed_batch(adversarial_weight):
    model = _tiny(adversarial_weight)
    batch = _fixed_batch()
    d_before = [w.numpy().copy() for w in model.discriminator.trainable_weights]
    grey, colour = model.split_batch(batch)
    np.testing.assert_allclose(grey.numpy(), col.rgb_to_grey(batch).numpy())
    first = float(tf.reduce_mean(tf.abs(model.generator(grey, training=True) - colour)))
    logs = [model.train_step(batch) for _ in range(20)]
    assert set(logs[0]) == {"d_loss", "g_loss", "g_l1", "g_adv", "d_acc"}
    for log in logs:  # every step's total is the weighted sum of its logged parts (the book's 1 : 100)
        log = {k: float(v) for k, v in log.items()}
        assert log["g_loss"] == pytest.approx(adversarial_weight * log["g_adv"] + 100 * log["g_l1"], rel=1e-5)
    last = float(tf.reduce_mean(tf.abs(model.generator(grey, training=True) - colour)))
    assert last < 0.8 * first
    d_after = [w.numpy() for w in model.discriminator.trainable_weights]
    d_changed = any(not np.array_equal(a, b) for a, b in zip(d_before, d_after))
    assert d_changed == (adversarial_weight != 0)  # L1-only: D neither trained nor used
    if adversarial_weight == 0:
        assert float(logs[-1]["d_loss"]) == 0.0 and float(logs[-1]["g_adv"]) == 0.0


def test_pairs_are_accepted_and_colourise_shapes():
    model = _tiny()
    batch = _fixed_batch()
    log = model.train_step((col.rgb_to_grey(batch), batch))
    log = {k: float(v) for k, v in log.items()}
    assert log["g_loss"] == pytest.approx(log["g_adv"] + 100 * log["g_l1"], rel=1e-5)  # the book's 1 : 100
    out = model.colourise(col.rgb_to_grey(batch).numpy(), batch_size=3)
    assert out.shape == (8, 32, 32, 3) and np.all(np.abs(out) <= 1)


# --- the working variant: keep the input's brightness, choose only colours -----------------------------------
def test_keep_luma_replaces_brightness_and_keeps_chroma():
    rng = np.random.default_rng(0)
    colour = rng.uniform(-1, 1, (2, 4, 4, 3)).astype("float32")
    grey = rng.uniform(-1, 1, (2, 4, 4, 1)).astype("float32")
    out = col.KeepLuma()([colour, grey]).numpy()
    np.testing.assert_allclose(col.rgb_to_grey(out).numpy(), grey, atol=1e-6)  # the luma is the input's
    np.testing.assert_allclose(out - col.rgb_to_grey(out).numpy(), colour - col.rgb_to_grey(colour).numpy(),
                               atol=1e-6)  # the colour differences are the generator's
    generator = build_colour_generator(32, width=0.125)
    wrapped = col.keep_luma(generator)
    assert wrapped.count_params() == generator.count_params()
    np.testing.assert_allclose(col.rgb_to_grey(wrapped(grey[:, :, :, :].repeat(8, 1).repeat(8, 2))).numpy(),
                               grey.repeat(8, 1).repeat(8, 2), atol=1e-5)


def test_mean_chroma_by_hand():
    grey = np.full((1, 3, 3, 3), 0.4)
    assert col.mean_chroma(grey) == pytest.approx(0.0, abs=0.01)  # skimage's D65 white: 0.003 for grey
    red = np.zeros((1, 2, 2, 3))
    red[..., 0] = 1.0
    # sRGB red in CIELAB (D65): a* = 80.11, b* = 67.22, so C* = sqrt(a*^2 + b*^2) = 104.58
    assert col.mean_chroma(red) == pytest.approx(104.58, abs=0.05)
    assert col.mean_chroma(np.concatenate([red, np.broadcast_to(grey[:, :2, :2], red.shape)])) == pytest.approx(
        104.58 / 2, abs=0.05)


def test_validation_photos_leave_the_training_side():
    data = col.photo_colour_split(8, 4, size=16, seed=0, validation_photos=("rocket",), validation_count=3)
    assert data.validation.shape == (3, 16, 16, 3) and data.validation_photos == ("rocket",)
    assert "rocket" not in data.train_photos and not set(data.train_photos) & set(data.test_photos)
    assert data.validation_photos[0] in data.source
    with pytest.raises(ValueError, match="validation photos"):
        col.photo_colour_split(8, 4, size=16, validation_photos=("chelsea",), validation_count=3)  # a test photo
