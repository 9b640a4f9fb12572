"""Skill 9 SRGAN: Y conversion, border shaving, PSNR/SSIM and bicubic by hand; losses, VGG preprocessing, steps."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from gancore.chapters import superres as sr
from gancore.data.images import to_tanh_range
from gancore.models import srgan as models
from gancore.models import vgg_features
from gancore.training import srgan as training
from gancore.training.srgan import SRGAN


# --- colour, borders, metrics -----------------------------------------------------------------------------------
def test_y_of_pure_colours_is_bt601_studio_range():
    colours = np.array([[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255]], "uint8")
    # Y = 16 + 65.481 R + 128.553 G + 24.966 B with R, G, B in [0, 1]
    expected = [16.0, 235.0, 81.481, 144.553, 40.966]
    np.testing.assert_allclose(sr.rgb_to_y(colours), expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(sr.rgb_to_y(colours / 127.5 - 1.0, (-1.0, 1.0)), expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(sr.rgb_to_y(colours / 255.0, (0.0, 1.0)), expected, rtol=0, atol=1e-9)


def test_shave_removes_the_border_from_every_side():
    x = np.arange(2 * 12 * 12 * 3).reshape(2, 12, 12, 3)
    assert sr.shave(x, 4).shape == (2, 4, 4, 3)
    np.testing.assert_array_equal(sr.shave(x, 4), x[:, 4:8, 4:8])
    assert sr.shave(np.zeros((3, 96, 96)), 4).shape == (3, 88, 88)
    assert sr.shave(x, 0).shape == x.shape
    with pytest.raises(ValueError):
        sr.shave(x, 6)
    with pytest.raises(ValueError):
        sr.shave(np.zeros((12, 12, 3)), 2)  # a single image is refused: batches only


def test_psnr_of_a_known_constant_error_and_the_border_is_ignored():
    ref = np.full((2, 32, 32, 3), 100, "uint8")
    est = ref + np.uint8(51)  # grey +51 -> Y +51 x 219 / 255 = 43.8 -> MSE 1918.44
    expected = 10 * np.log10(255**2 / 43.8**2)
    np.testing.assert_allclose(sr.psnr_y(est, ref, border=4), [expected] * 2, rtol=0, atol=1e-9)
    assert 15.29 < expected < 15.31
    # errors only in the 4-pixel border do not count: a perfect score (MSE floored at 1e-10)
    edge = ref.copy()
    edge[:, :4] = 0
    edge[:, :, -4:] = 255
    np.testing.assert_allclose(sr.psnr_y(edge, ref, border=4), 10 * np.log10(255**2 / 1e-10), rtol=1e-12)
    assert sr.psnr_y(edge, ref, border=3)[0] < 20


def test_ssim_by_hand_for_constant_images():
    # constant images: the structure terms are 1 and SSIM = (2 mx my + C1) / (mx^2 + my^2 + C1), C1 = (0.01 x 255)^2
    def grey_for_y(y):  # the grey level whose Y is y
        return np.full((1, 24, 24, 3), (y - 16.0) * 255.0 / 219.0)

    c1 = (0.01 * 255) ** 2
    expected = (2 * 100 * 110 + c1) / (100**2 + 110**2 + c1)
    np.testing.assert_allclose(sr.ssim_y(grey_for_y(100), grey_for_y(110), border=4), [expected], atol=1e-9)
    assert 0.9954 < expected < 0.9955
    rng = np.random.default_rng(0)
    noisy = rng.integers(0, 256, (2, 24, 24, 3)).astype("uint8")
    np.testing.assert_allclose(sr.ssim_y(noisy, noisy), [1.0, 1.0], atol=1e-12)
    scores = sr.sr_scores(noisy, noisy[::-1])
    assert scores["images"] == 2 and scores["ssim"] < 0.5 and scores["psnr"] < 15


def test_bicubic_of_a_constant_image_is_constant_and_four_times_larger():
    lr = np.full((3, 8, 6, 3), (10, 200, 77), "uint8")
    up = sr.bicubic_upscale(lr, 4)
    assert up.shape == (3, 32, 24, 3) and up.dtype == np.uint8
    np.testing.assert_array_equal(up, np.broadcast_to(np.array([10, 200, 77], "uint8"), up.shape))
    with pytest.raises(TypeError):
        sr.bicubic_upscale(lr.astype("float32"))


def test_book_pair_is_two_bilinear_resizes_of_one_image():
    import cv2

    image = np.random.default_rng(1).integers(0, 256, (300, 300, 3)).astype("uint8")
    lr, hr = sr.make_pair(image, 16, 4)
    assert lr.shape == (16, 16, 3) and hr.shape == (64, 64, 3)
    np.testing.assert_array_equal(lr, cv2.resize(image, (16, 16), interpolation=cv2.INTER_LINEAR))
    flat_lr, flat_hr = sr.make_pair(np.full((100, 90, 3), 42, "uint8"), 8)
    assert np.all(flat_lr == 42) and np.all(flat_hr == 42)
    np.testing.assert_array_equal(sr.from_tanh(to_tanh_range(image, centred=False)), image)


def test_native_crops_respect_the_minimum_side_and_the_held_out_split():
    pool = {"a": np.zeros((200, 300, 3), "uint8"), "b": np.ones((150, 150, 3), "uint8")}
    crops, origins = sr.native_crops(pool, 6, seed=0, min_side=128)
    assert origins == ["a", "b"] * 3
    assert all(c.shape[0] == c.shape[1] >= 128 for c in crops)
    with pytest.raises(ValueError):
        sr.native_crops(pool, 2, seed=0, min_side=160)


# --- losses and the content network ------------------------------------------------------------------------------
def test_losses_at_even_odds_and_the_two_adversarial_forms():
    zero = np.zeros((4, 2, 2, 1), "float32")
    # sigmoid(0) = 0.5: D's MSE 0.5 x 0.25 + 0.5 x 0.25; BCE ln 2; least squares (0.5 - 1)^2
    np.testing.assert_allclose(float(training.discriminator_loss(zero, zero)), 0.25, atol=1e-7)
    np.testing.assert_allclose(float(training.adversarial_loss(zero, "book")), np.log(2), atol=1e-6)
    np.testing.assert_allclose(float(training.adversarial_loss(zero, "least_squares")), 0.25, atol=1e-7)
    # D confident that a fake is fake (logit -6): BCE keeps a strong gradient, least squares on the sigmoid flattens
    logit = -6.0
    s = 1 / (1 + np.exp(-logit))
    np.testing.assert_allclose(float(training.adversarial_loss(np.full((1, 1), logit, "float32"), "book")),
                               -np.log(s), rtol=1e-5)
    np.testing.assert_allclose(float(training.adversarial_loss(np.full((1, 1), logit, "float32"), "least_squares")),
                               (s - 1) ** 2, rtol=1e-5)
    with pytest.raises(ValueError):
        training.adversarial_loss(zero, "hinge")


def test_vgg_preprocess_matches_keras_preprocess_input():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (2, 5, 5, 3)).astype("float32")
    ours = np.asarray(training.VGGPreprocess()(x))
    ref = keras.applications.vgg19.preprocess_input((x + 1.0) * 127.5)
    np.testing.assert_allclose(ours, ref, atol=1e-4)
    # by hand: RGB (1, -1, 0) -> (255, 0, 127.5) -> BGR (127.5, 0, 255) - mean (103.939, 116.779, 123.68)
    pixel = np.asarray(training.VGGPreprocess()(np.array([[[[1.0, -1.0, 0.0]]]], "float32")))[0, 0, 0]
    np.testing.assert_allclose(pixel, [127.5 - 103.939, -116.779, 255 - 123.68], atol=1e-4)


def test_content_extractor_offline_is_random_vgg_and_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # an empty cache: no ImageNet weights
    assert training.find_vgg19_weights("imagenet") is None
    ext = training.vgg19_content_extractor("block1_conv2", seed=3)
    assert ext.kind == "random" and "RANDOM" in ext.description and ext.preprocess
    assert ext.model.count_params() == (3 * 9 * 64 + 64) + (64 * 9 * 64 + 64)
    assert not ext.model.trainable_weights
    feats = np.asarray(ext(np.zeros((1, 8, 8, 3), "float32")))
    assert feats.shape == (1, 8, 8, 64) and np.isfinite(feats).all()
    assert training.vgg19_content_extractor(fallback="pixels").kind == "pixels"
    with pytest.raises(FileNotFoundError):
        training.vgg19_content_extractor(fallback="error")
    with pytest.raises(FileNotFoundError):
        training.find_vgg19_weights(tmp_path / "missing.h5")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / vgg_features.VGG19_NOTOP_FILE).write_bytes(b"")
    assert training.find_vgg19_weights("imagenet") == tmp_path / "models" / vgg_features.VGG19_NOTOP_FILE


def test_book_vgg_trunk_count():
    ext = training.vgg19_content_extractor("block3_conv4", weights=None, preprocess=False)
    assert ext.model.count_params() == training.BOOK_VGG_TRUNK_PARAMS == 2_325_568
    assert ext.kind == "random" and not ext.preprocess


# --- training steps ----------------------------------------------------------------------------------------------
def _pairs(n=4, lr=8, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, (n, lr, lr, 3)).astype("float32"),
            rng.uniform(-1, 1, (n, 4 * lr, 4 * lr, 3)).astype("float32"))


def _model(**kwargs):
    g = models.build_generator(8, width=0.125, residual_blocks=1)
    d = models.build_discriminator(32, width=0.125)
    model = SRGAN(g, d, **kwargs)
    model.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5), run_eagerly=True)  # eager: no tracing, fast
    return model


def test_pixel_loss_only_never_touches_the_discriminator():
    model = _model(pixel_loss_only=True)
    d_before = [w.copy() for w in model.discriminator.get_weights()]
    g_before = [w.copy() for w in model.generator.get_weights()]
    history = model.fit(*_pairs(), batch_size=4, epochs=2, verbose=0)
    for a, b in zip(d_before, model.discriminator.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(g_before, model.generator.get_weights()))
    assert history.history["d_loss"] == [0.0, 0.0] and history.history["g_adv"] == [0.0, 0.0]
    # pixel space: the content term is the pixel MSE
    np.testing.assert_allclose(history.history["g_content"], history.history["g_pixel_mse"], rtol=1e-6)
    assert int(model.d_optimizer.iterations) == 0 and int(model.g_optimizer.iterations) == 2


def test_srgan_step_updates_both_and_weights_the_adversarial_term():
    ext = training.vgg19_content_extractor("block1_conv2", weights=None)
    model = _model(content=ext, adversarial="least_squares")
    d_before = [w.copy() for w in model.discriminator.get_weights()]
    low, high = _pairs()
    predicted = model.generator(low, training=False)
    logits = model.discriminator(predicted, training=False)
    total, content, adv = model.generator_loss(predicted, high, logits)
    np.testing.assert_allclose(float(total), float(content) + 1e-3 * float(adv), rtol=1e-6)
    by_hand = np.mean((np.asarray(ext(predicted)) - np.asarray(ext(high))) ** 2)
    np.testing.assert_allclose(float(content), float(by_hand), rtol=1e-5)
    history = model.fit(low, high, batch_size=4, epochs=1, verbose=0)
    h = history.history
    np.testing.assert_allclose(h["g_loss"][0], h["g_content"][0] + 1e-3 * h["g_adv"][0], rtol=1e-6)
    assert history.history["d_loss"][0] > 0 and 0 <= history.history["d_acc"][0] <= 1
    assert any(not np.array_equal(a, b) for a, b in zip(d_before, model.discriminator.get_weights()))
    assert model.upscale(low).shape == (4, 32, 32, 3)


def test_shared_optimizer_and_unknown_form_are_refused():
    g = models.build_generator(8, width=0.125, residual_blocks=1)
    d = models.build_discriminator(32, width=0.125)
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError):
        SRGAN(g, d).compile(shared, shared)
    with pytest.raises(ValueError):
        SRGAN(g, d, adversarial="wasserstein")


def test_paired_batches_stay_aligned_and_depend_only_on_the_step():
    lr = np.arange(10, dtype="uint8")[:, None, None, None] * np.ones((1, 2, 2, 3), "uint8")
    hr = np.arange(10, dtype="uint8")[:, None, None, None] * np.ones((1, 8, 8, 3), "uint8")
    batches = [(a.numpy(), b.numpy()) for a, b in sr.step_indexed_pairs(lr, hr, 4, 0, 0, 3)]
    for a, b in batches:
        np.testing.assert_allclose(a[:, 0, 0, 0], b[:, 0, 0, 0])  # the same image indices in both
        assert a.min() >= -1.0 and b.max() <= 1.0
    again = next(iter(sr.step_indexed_pairs(lr, hr, 4, 0, 2, 1)))
    np.testing.assert_array_equal(again[0].numpy(), batches[2][0])


def test_random_trunk_has_keras_vgg19_layer_names_and_shapes():
    ours = vgg_features.random_vgg19_trunk("block3_conv4", seed=0)
    ref = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
    ref = keras.Model(ref.input, ref.get_layer("block3_conv4").output)
    assert [w.shape for w in ours.weights] == [w.shape for w in ref.weights]
    assert [lay.name for lay in ours.layers[1:]] == [lay.name for lay in ref.layers[1:]]
    with pytest.raises(ValueError):
        vgg_features.random_vgg19_trunk("block9_conv1", seed=0)


# --- the working variant: the paper's degradation and a bicubic skip ----------------------------------------
def test_bicubic_degradation_shrinks_the_target_to_make_the_input():
    from PIL import Image

    image = np.random.default_rng(3).integers(0, 256, (120, 100, 3)).astype("uint8")
    low, high = sr.make_pair(image, 8, 4, degradation="bicubic")
    assert low.shape == (8, 8, 3) and high.shape == (32, 32, 3) and low.dtype == high.dtype == np.uint8
    expected = np.asarray(Image.fromarray(high).resize((8, 8), Image.Resampling.BICUBIC))
    np.testing.assert_array_equal(low, expected)  # the input is a shrunk copy of the target itself
    flat_low, flat_high = sr.make_pair(np.full((50, 50, 3), 99, "uint8"), 8, 4, degradation="bicubic")
    assert (flat_low == 99).all() and (flat_high == 99).all()
    with pytest.raises(ValueError, match="degradation"):
        sr.make_pair(image, 8, 4, degradation="blur")


def test_bicubic_skip_starts_at_bicubic_and_adds_no_weights():
    generator = models.build_generator(8, width=0.125, residual_blocks=1)
    count = generator.count_params()
    wrapped = models.with_bicubic_skip(generator, 4)
    assert wrapped.count_params() == count
    low = np.random.default_rng(0).uniform(-1, 1, (2, 8, 8, 3)).astype("float32")
    bicubic = keras.ops.convert_to_numpy(keras.ops.image.resize(low, (32, 32), interpolation="bicubic"))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(wrapped(low)), bicubic, atol=1e-6)
    assert np.abs(bicubic).max() > 0.5  # a real image went through, not zeros


def test_vgg_weights_file_on_disk_is_used_and_named(tmp_path, monkeypatch):
    """With a VGG19 weights file on disk ($GANCORE_VGG19_WEIGHTS; here seeded random weights in Keras' format, as
    the ImageNet file cannot be downloaded here) the content extractor loads it and says so."""
    keras.utils.set_random_seed(4)
    saved = keras.applications.VGG19(include_top=False, weights=None, input_shape=(32, 32, 3))
    path = tmp_path / "vgg19_notop.weights.h5"
    saved.save_weights(path)
    monkeypatch.setenv("GANCORE_VGG19_WEIGHTS", str(path))
    ext = training.vgg19_content_extractor("block2_conv2")
    assert ext.kind == "imagenet" and str(path) in ext.description
    x = np.random.default_rng(0).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    reference = keras.Model(saved.input, saved.get_layer("block2_conv2").output)
    expected = reference(keras.applications.vgg19.preprocess_input((x + 1.0) * 127.5))
    np.testing.assert_allclose(np.asarray(ext.model(x)), np.asarray(expected), rtol=1e-4, atol=1e-3)


def test_full_profile_reads_celeba_below_the_books_256_px_filter(tmp_path, monkeypatch):
    """SRGAN's `full` (LR 64 -> HR 256) on CelebA: its 178x218 faces used to fail the book's >= 256 px filter."""
    from PIL import Image
    from skimage import data as skdata

    from gancore.chapters import superres

    folder = tmp_path / "celeba" / "img_align_celeba"
    folder.mkdir(parents=True)
    photo = skdata.astronaut()
    for i in range(3):
        crop = photo[40 * i: 40 * i + 300, 100: 100 + 246]
        Image.fromarray(crop).resize((178, 218)).save(folder / f"{i + 1:06d}.jpg")
    monkeypatch.setenv("GANCORE_DATA", str(tmp_path))
    data = superres.resolve_sr_data(2, 1, lr_size=64, scale=4)
    assert data.train_hr.shape == (2, 256, 256, 3) and data.test_lr.shape == (1, 64, 64, 3)
    assert "real faces" in data.source and "upsampled" in data.source and not data.standin
    with pytest.raises(ValueError, match="only 3 images"):
        superres.resolve_sr_data(3, 1, lr_size=64, scale=4)
