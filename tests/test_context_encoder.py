"""Skill 9 context encoder: hole masking/pasting, hole metrics and baselines by hand, and the training step."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from gancore.chapters import inpainting as ip
from gancore.data import holes
from gancore.models import context_encoder as models
from gancore.training import context_encoder as ce_training
from gancore.training.callbacks import NonFiniteLossError
from gancore.training.context_encoder import ContextEncoder
from gancore.training.fitting import fit_steps


def _images(n=3, size=64, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, 3)).astype("float32")


# --- masking, cropping, pasting -------------------------------------------------------------------------------
def test_centre_hole_is_at_24_for_the_book():
    assert holes.centre_offset(64, 16) == 24
    assert holes.centre_offset(32, 8) == 12
    with pytest.raises(ValueError):
        holes.centre_offset(16, 32)


def test_mask_centre_zeroes_exactly_the_hole():
    x = _images()
    masked = holes.mask_centre(x, 16).numpy()
    assert np.all(masked[:, 24:40, 24:40] == 0.0)
    outside = np.ones((64, 64), bool)
    outside[24:40, 24:40] = False
    np.testing.assert_array_equal(masked[:, outside], x[:, outside])
    assert holes.hole_mask(x, 16).numpy().sum() == 3 * 16 * 16


def test_crop_and_paste_are_exact_inverses():
    x = _images()
    patch = holes.crop_hole(x, 16).numpy()
    np.testing.assert_array_equal(patch, x[:, 24:40, 24:40])
    np.testing.assert_array_equal(holes.paste_hole(holes.mask_centre(x, 16), patch).numpy(), x)
    other = _images(seed=1)[:, :16, :16]
    pasted = holes.paste_hole(x, other).numpy()
    np.testing.assert_array_equal(pasted[:, 24:40, 24:40], other)
    pasted[:, 24:40, 24:40] = x[:, 24:40, 24:40]
    np.testing.assert_array_equal(pasted, x)


def test_per_image_offsets_match_numpy_slicing():
    x = _images(4)
    top, left = np.array([0, 48, 10, 3]), np.array([48, 0, 31, 7])
    patch = holes.crop_hole(x, 16, top, left).numpy()
    masked = holes.mask_hole(x, 16, top, left).numpy()
    for i in range(4):
        np.testing.assert_array_equal(patch[i], x[i, top[i]: top[i] + 16, left[i]: left[i] + 16])
        assert np.all(masked[i, top[i]: top[i] + 16, left[i]: left[i] + 16] == 0)
        assert (masked[i] != 0).sum() == (64 * 64 - 256) * 3
    np.testing.assert_array_equal(holes.paste_hole(masked, patch, top, left).numpy(), x)
    t, l_ = holes.random_offsets(1000, 64, 16, tf.constant([1, 2], tf.int64))
    assert int(tf.reduce_min(t)) == 0 and int(tf.reduce_max(t)) == 48 and int(tf.reduce_max(l_)) == 48


# --- metrics, by hand -------------------------------------------------------------------------------------------
def test_l1_of_a_constant_offset_and_psnr_of_a_known_error():
    target = np.full((2, 64, 64, 3), 0.5)
    predicted = target.copy()
    predicted[:, 24:40, 24:40] += 0.1  # only the hole is scored: errors outside it must not count
    predicted[:, :5] = 0.0
    assert ip.hole_l1(predicted, target) == pytest.approx([0.1, 0.1], abs=1e-12)
    # MSE 0.01 -> 10 log10(1 / 0.01) = 20 dB
    assert ip.hole_psnr(predicted, target) == pytest.approx([20.0, 20.0], abs=1e-9)
    # half the hole off by 0.2, half exact: MSE 0.02 -> 16.9897 dB; L1 0.1
    half = target.copy()
    half[:, 24:32, 24:40] += 0.2
    assert ip.hole_psnr(half, target)[0] == pytest.approx(10 * np.log10(50), abs=1e-9)
    assert 16.98 < ip.hole_psnr(half, target)[0] < 16.99
    assert ip.hole_l1(half, target)[0] == pytest.approx(0.1, abs=1e-12)
    # an exact fill is capped at 100 dB, not infinite; patches can be scored directly
    assert ip.hole_psnr(target, target)[0] == pytest.approx(100.0)
    assert ip.hole_l1(np.zeros((1, 16, 16, 3)), np.ones((1, 16, 16, 3)))[0] == 1.0
    scores = ip.hole_scores(predicted, target)
    assert scores["images"] == 2 and scores["psnr"] == pytest.approx(20.0) and scores["l1"] == pytest.approx(0.1)
    # pooled vs per-image PSNR: hole MSEs 0.01 and 0.04 give per-image 20 and 13.98 dB (mean 16.99 dB) but a
    # pooled MSE of 0.025, 16.02 dB
    two = target.copy()
    two[0, 24:40, 24:40] += 0.1
    two[1, 24:40, 24:40] += 0.2
    scores = ip.hole_scores(two, target)
    assert scores["psnr"] == pytest.approx(0.5 * (20 + 10 * np.log10(25)), abs=1e-9)
    assert 16.98 < scores["psnr"] < 17.0 and 16.0 < scores["psnr_pooled"] < 16.03
    assert scores["psnr_pooled"] == pytest.approx(10 * np.log10(40), abs=1e-9)


def test_hole_scores_agree_with_the_course_scores_on_the_crop():
    from gancore import metrics

    rng = np.random.default_rng(2)
    target, predicted = rng.uniform(0, 1, (2, 64, 64, 3)), rng.uniform(0, 1, (2, 64, 64, 3))
    expected = metrics.psnr(predicted[:, 24:40, 24:40], target[:, 24:40, 24:40])
    assert np.all((5.0 < expected) & (expected < 10.0))  # two independent uniform images: MSE 1/6, 7.78 dB
    np.testing.assert_array_equal(ip.hole_psnr(predicted, target), expected)
    np.testing.assert_array_equal(ip.hole_l1(predicted, target),
                                  metrics.mean_absolute_error(predicted[:, 24:40, 24:40], target[:, 24:40, 24:40]))
    assert ip.hole_psnr(target, target) == pytest.approx([100.0, 100.0])  # an exact fill: the MSE floor


def test_mean_fill_of_a_two_colour_image():
    image = np.zeros((1, 64, 64, 3), "uint8")
    image[:, :, :32] = (200, 0, 0)  # left half red
    image[:, :, 32:] = (0, 0, 100)  # right half dark blue
    for border in (4, None):  # the ring and the whole known area are both half red, half blue
        filled = ip.mean_fill(image, 16, border=border)
        np.testing.assert_array_equal(filled[0, 24:40, 24:40], np.broadcast_to([100, 0, 50], (16, 16, 3)))
        outside = np.ones((64, 64), bool)
        outside[24:40, 24:40] = False
        np.testing.assert_array_equal(filled[:, outside], image[:, outside])
    # the top 28 rows red, the rest white; a 2-pixel ring spans rows and columns 22-41 (400 - 256 = 144 known
    # pixels), of which rows 22-23 (2 x 20) and rows 24-27 at columns 22, 23, 40, 41 (4 x 4) are red: 56
    image = np.full((1, 64, 64, 3), 255, "uint8")
    image[:, :28] = (255, 0, 0)
    filled = ip.mean_fill(image, 16, border=2)[0, 30, 30]
    red_share = (2 * 20 + 4 * 4) / (20 * 20 - 16 * 16)
    assert filled[0] == 255
    assert int(filled[1]) == round(255 * (1 - red_share)) == 156


def test_opencv_inpaint_of_a_flat_image_gives_the_flat_colour():
    image = np.broadcast_to(np.array([30, 140, 220], "uint8"), (2, 64, 64, 3)).copy()
    damaged = image.copy()
    damaged[:, 24:40, 24:40] = 0  # OpenCV must not read what is under the mask
    # Navier-Stokes returns the colour exactly; OpenCV's Telea is off by a few grey levels on some pixels of a
    # flat non-grey colour (measured: -1..+3, mean |error| 0.05 grey levels; a flat mid-grey comes back exact)
    for method, worst in (("telea", 3), ("ns", 0)):
        filled = ip.opencv_inpaint(damaged, 16, method=method)
        np.testing.assert_array_equal(filled, ip.opencv_inpaint(image, 16, method=method))  # hole never read
        error = np.abs(filled.astype(int) - image.astype(int))
        assert error.max() <= worst and error.mean() < 0.1, method
        score = ip.hole_scores(filled / 255.0, image / 255.0)
        assert score["psnr"] > 45.0 and score["l1"] < 0.004
    grey = np.full((1, 64, 64, 3), 128, "uint8")
    np.testing.assert_array_equal(ip.opencv_inpaint(grey, 16), grey)


def test_opencv_inpaint_of_a_horizontal_ramp_stays_between_its_ends():
    ramp = np.tile(np.linspace(0, 255, 64).astype("uint8")[None, :, None], (64, 1, 3))[None]
    filled = ip.opencv_inpaint(ramp, 16, method="telea")[0, 24:40, 24:40, 0].astype(int)
    left_end, right_end = int(ramp[0, 0, 23, 0]), int(ramp[0, 0, 40, 0])  # 93 and 161
    # measured 91..165: Telea overshoots the known ends by a few grey levels, never by more than 5
    assert left_end - 5 <= filled.min() < left_end + 5 and right_end - 5 < filled.max() <= right_end + 5
    assert np.all(np.diff(filled.mean(axis=0)) > 0)  # increasing from left to right, like the ramp
    # error of a few grey levels on a linear ramp, far better than the mean fill's flat colour at the edges
    assert 20 < ip.hole_psnr(ip.opencv_inpaint(ramp, 16) / 255.0, ramp / 255.0)[0] < 100
    assert ip.hole_psnr(ip.opencv_inpaint(ramp, 16) / 255.0, ramp / 255.0)[0] > \
        ip.hole_psnr(ip.mean_fill(ramp, 16) / 255.0, ramp / 255.0)[0]


def test_baselines_refuse_float_images():
    with pytest.raises(TypeError):
        ip.mean_fill(np.zeros((1, 64, 64, 3), "float32"))


# --- losses and the training step -------------------------------------------------------------------------------
def test_losses_by_hand():
    zero = np.zeros((4, 1), "float32")
    assert float(ce_training.discriminator_loss(zero, zero)) == pytest.approx(np.log(2), abs=1e-6)
    predicted, target = np.full((2, 16, 16, 3), 0.5, "float32"), np.zeros((2, 16, 16, 3), "float32")
    total, mse, adv = ce_training.generator_loss(predicted, target, zero)
    assert float(mse) == pytest.approx(0.25) and float(adv) == pytest.approx(np.log(2), abs=1e-6)
    assert float(total) == pytest.approx(0.999 * 0.25 + 0.001 * np.log(2), abs=1e-6)


def _tiny_model(position="centre", seed=0):
    keras.utils.set_random_seed(seed)
    return ContextEncoder(models.build_generator(image_size=32, width=0.25), models.build_discriminator(8, width=0.25),
                          hole=8, position=position, seed=seed)


def test_code_dropout_has_no_parameters():
    assert models.build_generator(width=0.25, dropout=0.0).count_params() == \
        models.build_generator(width=0.25).count_params()


def test_two_optimizers_required():
    model = _tiny_model()
    shared = keras.optimizers.Adam(1e-3)
    with pytest.raises(ValueError, match="two optimizer instances"):
        model.compile(d_optimizer=shared, g_optimizer=shared)
    with pytest.raises(ValueError, match="hole"):
        ContextEncoder(models.build_generator(image_size=32, width=0.25), models.build_discriminator(16, width=0.25),
                       hole=8)


@pytest.mark.parametrize("position", ["centre", "random"])
def test_train_step_fits_a_fixed_batch(position):
    model = _tiny_model(position)
    model.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5), steps_per_execution=5)
    # smooth images (a colour gradient per image), so the hole is predictable from its surroundings
    rng = np.random.default_rng(0)
    ramp = np.linspace(-1, 1, 32, dtype="float32")
    batch = np.stack([np.clip(a * ramp[:, None, None] + b * ramp[None, :, None] + c, -1, 1)
                      * np.ones((1, 1, 3), "float32") for a, b, c in rng.uniform(-0.6, 0.6, (8, 3))]).astype("float32")
    dataset = lambda start, n: tf.data.Dataset.from_tensors(batch).repeat(n)  # noqa: E731
    history = fit_steps(model, dataset, total_steps=30, steps_per_epoch=5, verbose=0)
    h = history.history
    assert set(h) == {"d_loss", "g_loss", "g_mse", "g_adv", "d_acc"}
    first, last = h["g_mse"][0], h["g_mse"][-1]
    assert 0.02 < first < 2.0, first
    assert last < 0.7 * first, (first, last)
    assert 0.0 <= h["d_acc"][-1] <= 1.0 and int(model.step_counter().numpy()) == 30
    # the combined loss is the book's weighting of the two logged parts (means over the same steps)
    assert h["g_loss"][-1] == pytest.approx(0.999 * h["g_mse"][-1] + 0.001 * h["g_adv"][-1], rel=1e-4)
    filled = model.inpaint(batch)
    assert filled.shape == batch.shape
    np.testing.assert_array_equal(filled[:, :12], batch[:, :12])


def test_nan_data_stops_training_with_the_step_named():
    model = _tiny_model()
    model.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    bad = np.full((4, 32, 32, 3), np.nan, "float32")
    with pytest.raises(NonFiniteLossError, match="step 1"):
        fit_steps(model, lambda s, n: tf.data.Dataset.from_tensors(bad).repeat(n), 2, 2, verbose=0)


def test_photo_split_holds_out_whole_photos():
    data = ip.photo_crop_split(16, 8, size=32, seed=3)
    assert data.train.shape == (16, 32, 32, 3) and data.test.shape == (8, 32, 32, 3) and data.train.dtype == np.uint8
    assert set(data.test_photos) == set(ip.TEST_PHOTOS) and not set(data.train_photos) & set(data.test_photos)
    assert "STAND-IN" in data.source
    again = ip.photo_crop_split(16, 8, size=32, seed=3)
    np.testing.assert_array_equal(again.test, data.test)


# --- the working variant: a smooth fill under the generator --------------------------------------------------
def test_harmonic_fill_reproduces_a_linear_ramp_and_a_constant():
    ramp = (np.arange(8, dtype="float32")[None, :] * 0.1 + np.arange(8, dtype="float32")[:, None] * 0.05)
    images = np.stack([ramp, np.full((8, 8), 0.3, "float32")])[..., None].repeat(3, axis=-1)
    masked = holes.mask_centre(images, 4, fill=0.0)
    patch = ip.harmonic_fill(masked, 4, iterations=300).numpy()
    # a linear function solves Laplace's equation, so the converged fill is the ramp itself
    np.testing.assert_allclose(patch, images[:, 2:6, 2:6], atol=1e-4)
    few = ip.harmonic_fill(masked, 4, iterations=0).numpy()  # no iteration: the mean of the 1-pixel ring
    ring = np.ones((6, 6), bool)
    ring[1:5, 1:5] = False
    np.testing.assert_allclose(few[0, :, :, 0], np.full((4, 4), ramp[1:7, 1:7][ring].mean()), atol=1e-6)


def test_smooth_fill_variant_starts_at_the_smooth_fill_and_adds_no_weights():
    from gancore.models.context_encoder import build_generator

    generator = build_generator(64, width=0.125)
    count = generator.count_params()
    variant = ip.with_smooth_fill(generator, 16, iterations=8)
    assert variant.count_params() == count
    images = np.random.default_rng(0).uniform(-1, 1, (2, 64, 64, 3)).astype("float32")
    masked = holes.mask_centre(images, 16)
    np.testing.assert_allclose(variant(masked, training=False).numpy(), ip.harmonic_fill(masked, 16, 8).numpy(),
                               atol=1e-6)
