"""Skill 9 custom CartoonGAN: the book's preprocessing by hand, the stand-in, the losses, the VGG helper, a step."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from gancore.chapters import cartoon
from gancore.data.images import to_tanh_range
from gancore.models import cartoongan
from gancore.models.vgg_features import find_vgg19_weights, to_vgg_input, vgg19_features
from gancore.training.cartoongan import (
    BOOK_LOSS_WEIGHTS,
    PAPER_LOSS_WEIGHTS,
    CartoonGAN,
    discriminator_loss,
    generator_loss,
)


def step_image(low: int, high: int, size: int = 20, at: int = 10) -> np.ndarray:
    image = np.full((size, size, 3), low, np.uint8)
    image[:, at:] = high
    return image


def test_unsharp_mask_on_a_step_edge():
    # 5x5 Gaussian, sigma 1: 1-D weights [0.0545, 0.2442, 0.4026, 0.2442, 0.0545]. Step 100 | 150 at column 10:
    # blur at col 8, 9, 10, 11 = 102.7, 114.9, 135.1, 147.3; sharp = 4 img - 3 blur, rounded and clipped.
    sharp = cartoon.unsharp_mask(step_image(100, 150))
    assert sharp.dtype == np.uint8
    row = sharp[10, :, 0].astype(int)
    np.testing.assert_allclose(row[7:13], [100, 92, 55, 195, 158, 150], atol=2)
    np.testing.assert_array_equal(row[:6], 100)  # flat far from the edge: unchanged
    np.testing.assert_array_equal(row[14:], 150)
    # a 0 | 100 step undershoots below 0: clipped to 0 on the dark side, 190 at the first bright column
    row = cartoon.unsharp_mask(step_image(0, 100))[10, :, 1].astype(int)
    np.testing.assert_allclose(row[8:13], [0, 0, 190, 116, 100], atol=2)
    # threshold 10: |img - blur| is 3 at columns 8 and 11 (kept) and 15 at 9 and 10 (sharpened)
    kept = cartoon.unsharp_mask(step_image(100, 150), threshold=10)[10, :, 0].astype(int)
    np.testing.assert_allclose(kept[7:13], [100, 100, 55, 195, 150, 150], atol=2)


def test_edge_smoothing_touches_only_the_edge_band():
    # OpenCV's fixed 5-tap kernel for getGaussianKernel(5, 0) is [1, 4, 6, 4, 1] / 16. On a 0 | 200 step at
    # column 10 the edge band gets 200 x (1, 5, 11, 15) / 16 = 12.5, 62.5, 137.5, 187.5, truncated to uint8.
    image = step_image(0, 200)
    smooth = cartoon.edge_smooth(image)
    mask = cartoon.edge_mask(image)
    assert mask[:, 9].all() and mask[:, 10].all() and not mask[:, :6].any() and not mask[:, 14:].any()
    np.testing.assert_array_equal(smooth[~mask], image[~mask])  # flat regions untouched, exactly
    np.testing.assert_array_equal(smooth[5, 8:12, 0], [12, 62, 137, 187])
    np.testing.assert_array_equal(smooth[:, 9], 62)  # every row alike: the reflect pad keeps the columns constant
    # a flat image has no edges at all
    flat = np.full((16, 16, 3), 77, np.uint8)
    np.testing.assert_array_equal(cartoon.edge_smooth(flat), flat)


def test_cartoonise_is_deterministic_flat_levels_and_outlines():
    from gancore.data import standins

    crop = standins.resize(standins.photo_pool()["rocket"][:300, :300], 64)
    first, second = cartoon.cartoonise(crop), cartoon.cartoonise(crop)
    np.testing.assert_array_equal(first, second)
    centres = {0} | {int(v) for v in (np.arange(6) * 256 / 6 + 256 / 12)}  # 21, 64, 106, 149, 192, 234 and black
    assert set(np.unique(first)) <= centres
    assert 0.01 < (first.sum(-1) == 0).mean() < 0.6  # some black outline, not all


def test_standin_domains_are_disjoint_and_test_photos_held_out():
    data = cartoon.photo_standin(12, 4, 32, seed=3, standin_size=48)
    assert data.standin and data.train_photos.shape == data.train_cartoons.shape == (12, 32, 32, 3)
    assert data.test_photos.shape == data.test_cartoons.shape == (4, 32, 32, 3)
    photo, cart, test = set(data.photo_sources), set(data.cartoon_sources), set(data.test_sources)
    assert photo and cart and test and not (photo & cart) and not (photo & test) and not (cart & test)
    assert {"motorcycle_left", "motorcycle_right"} <= cart  # the stereo pair stays on one side
    with pytest.raises(ValueError, match="overlap"):
        cartoon.photo_standin(4, 2, 32, photo_domain=("astronaut", "rocket"), cartoon_domain=("rocket",))
    with pytest.raises(ValueError, match="overlap"):
        cartoon.photo_standin(4, 2, 32, photo_domain=("astronaut", "chelsea"))
    again = cartoon.photo_standin(12, 4, 32, seed=3, standin_size=48)
    np.testing.assert_array_equal(again.train_cartoons, data.train_cartoons)
    arrays = cartoon.training_arrays(data)
    np.testing.assert_array_equal(arrays["photo_targets"][0], cartoon.unsharp_mask(data.train_photos[0]))
    np.testing.assert_array_equal(arrays["cartoons"][1], cartoon.unsharp_mask(data.train_cartoons[1]))
    np.testing.assert_array_equal(arrays["smooth_cartoons"][2], cartoon.edge_smooth(data.train_cartoons[2]))


def test_selfie2anime_layout_loader(tmp_path):
    from PIL import Image

    for i, part in enumerate(("trainA", "trainB", "testA", "testB")):
        (tmp_path / "selfie2anime" / part).mkdir(parents=True)
        for j in range(2 + i):
            image = Image.fromarray(np.full((40, 40, 3), 10 * i + j, np.uint8))
            image.save(tmp_path / "selfie2anime" / part / f"{j}.png")
    data = cartoon.cartoon_data(50, 3, 16, root=tmp_path)
    assert not data.standin
    counts = [len(data.train_photos), len(data.train_cartoons), len(data.test_photos), len(data.test_cartoons)]
    assert counts == [2, 3, 3, 3]
    assert data.train_cartoons.shape[1:] == (16, 16, 3) and int(data.train_cartoons[1, 0, 0, 0]) == 11


def test_content_metrics_by_hand():
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (3, 16, 16, 3))
    np.testing.assert_allclose(cartoon.edge_correlation(images, images), 1.0, atol=1e-12)
    np.testing.assert_allclose(cartoon.edge_correlation(images, 0.2 + 0.5 * images), 1.0, atol=1e-12)  # contrast-blind
    np.testing.assert_allclose(cartoon.edge_correlation(images, np.full_like(images, 0.3)), 0.0, atol=1e-12)
    np.testing.assert_allclose(cartoon.grey_ssim(images, images), 1.0, atol=1e-12)
    # Sobel on a unit step: |gx| = 4 on the two columns beside it
    step = np.zeros((1, 6, 6))
    step[:, :, 3:] = 1.0
    np.testing.assert_allclose(cartoon.gradient_magnitude(step)[0, 2], [0, 0, 4, 4, 0, 0])


def test_losses_by_hand():
    real, smooth, fake = np.ones((2, 2, 2, 1)), np.full((2, 2, 2, 1), 0.5), np.full((2, 2, 2, 1), 0.25)
    np.testing.assert_allclose(float(discriminator_loss(real, smooth, fake)), (0 + 0.25 + 0.0625) / 3, rtol=1e-6)
    f, content, style = np.zeros((1, 2, 2, 4)), np.full((1, 2, 2, 4), 0.5), np.full((1, 2, 2, 4), -2.0)
    total, adv, con, sty = generator_loss(np.full((1, 2, 2, 1), 0.5), f, content, style, BOOK_LOSS_WEIGHTS)
    np.testing.assert_allclose([float(adv), float(con), float(sty)], [0.25, 0.5, 2.0], rtol=1e-6)
    np.testing.assert_allclose(float(total), 0.25 + 0.5 + 0.1 * 2.0, rtol=1e-6)
    total, *_ = generator_loss(np.full((1, 2, 2, 1), 0.5), f, content, style, PAPER_LOSS_WEIGHTS)
    np.testing.assert_allclose(float(total), 0.25 + 10 * 0.5, rtol=1e-6)


def test_vgg_input_and_substitute():
    x = np.random.default_rng(1).uniform(-1, 1, (2, 8, 8, 3)).astype("float32")
    expected = keras.applications.vgg19.preprocess_input((x + 1.0) * 127.5)
    np.testing.assert_allclose(to_vgg_input(x).numpy(), expected, atol=1e-3)
    np.testing.assert_array_equal(to_vgg_input(x, preprocess=False).numpy(), x)
    feats = vgg19_features(32, weights="random", fallback_width=0.125)
    assert not feats.pretrained and "SUBSTITUTE" in feats.description and not feats.preprocess
    assert tuple(feats.model.output.shape) == (None, 4, 4, 64) and not feats.model.trainable_weights
    # the real layer structure: 10,585,152 parameters up to block4_conv4 (the book's count), no weights needed
    full = vgg19_features(128, weights="random")
    assert full.model.count_params() == 10_585_152 and tuple(full.model.output.shape) == (None, 16, 16, 512)
    if find_vgg19_weights() is None:  # offline: asking for the real weights must fail, not fall back silently
        with pytest.raises(FileNotFoundError):
            vgg19_features(32, weights="imagenet")


def test_train_step_updates_g_and_d_not_vgg():
    keras.utils.set_random_seed(0)
    feats = vgg19_features(32, weights="random", fallback_width=0.125)
    g = cartoongan.build_generator(32, width=0.125, style_channels=feats.channels)
    d = cartoongan.build_discriminator(32, width=0.125)
    model = CartoonGAN(g, d, feats)
    shared = keras.optimizers.Adam(2e-4, beta_1=0.5)
    with pytest.raises(ValueError, match="two optimizer"):
        model.compile(d_optimizer=shared, g_optimizer=shared)
    model.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    rng = np.random.default_rng(0)
    batch = tuple(tf.constant(rng.uniform(-1, 1, (2, 32, 32, 3)), tf.float32) for _ in range(4))
    before = [w.numpy().copy() for w in (g.trainable_weights[0], d.trainable_weights[0], feats.model.weights[0])]
    logs = model.train_step(batch)
    after = [w.numpy() for w in (g.trainable_weights[0], d.trainable_weights[0], feats.model.weights[0])]
    assert not np.allclose(before[0], after[0]) and not np.allclose(before[1], after[1])
    np.testing.assert_array_equal(before[2], after[2])
    assert set(logs) == {"d_loss", "g_loss", "g_adv", "g_content", "g_style", "d_acc"}
    logs = {k: float(v) for k, v in logs.items()}
    # one step: the logged total is the book's weighting (1, 1, 0.1) of the logged parts
    assert logs["g_loss"] == pytest.approx(logs["g_adv"] + logs["g_content"] + 0.1 * logs["g_style"], rel=1e-5)
    # D's patches are linear and near 0 at initialisation: real -> 1 costs about 1 and the two batches -> 0 about 0
    # (their mean: 1/3 plus the outputs' spread, which varies with the initialisation), G's E[(D - 1)^2] about 1
    assert 0.3 < logs["d_loss"] < 1.5 and 0.5 < logs["g_adv"] < 2.0, logs
    assert 0.0 <= logs["d_acc"] <= 1.0
    out = model.translate(batch[0].numpy(), model.style_of(batch[2].numpy()))
    assert out.shape == (2, 32, 32, 3) and np.abs(out).max() <= 1.0


def test_step_dataset_pairs_and_resumes():
    data = cartoon.photo_standin(6, 2, 16, seed=0, standin_size=32)
    arrays = cartoon.training_arrays(data)
    first = [tuple(x.numpy() for x in b) for b in cartoon.step_dataset(arrays, 3, 5, 0, 2)]
    photo, target, cart, smooth = first[1]
    assert photo.shape == (3, 16, 16, 3) and photo.min() >= -1 and photo.max() <= 1
    # each photo travels with its own sharpened target, each cartoon with its own smoothed version
    i = int(np.argmin(np.abs(to_tanh_range(arrays["photos"]) - photo[0]).reshape(6, -1).sum(1)))
    np.testing.assert_allclose(target[0], to_tanh_range(arrays["photo_targets"][i]), atol=1e-6)
    j = int(np.argmin(np.abs(to_tanh_range(arrays["cartoons"]) - cart[0]).reshape(6, -1).sum(1)))
    np.testing.assert_allclose(smooth[0], to_tanh_range(arrays["smooth_cartoons"][j]), atol=1e-6)
    resumed = [x.numpy() for x in next(iter(cartoon.step_dataset(arrays, 3, 5, 1, 1)))]
    for a, b in zip(resumed, first[1]):
        np.testing.assert_array_equal(a, b)


def test_pixel_loss_space_takes_l1_on_images():
    feats = vgg19_features(32, weights="random", fallback_width=0.125)
    g = cartoongan.build_generator(32, width=0.125, style_channels=feats.channels)
    d = cartoongan.build_discriminator(32, width=0.125)
    with pytest.raises(ValueError):
        CartoonGAN(g, d, feats, loss_space="gram")
    model = CartoonGAN(g, d, feats, loss_weights=(0.0, 1.0, 0.0), loss_space="pixels")
    model.compile(d_optimizer=keras.optimizers.SGD(0.0), g_optimizer=keras.optimizers.SGD(0.0))
    rng = np.random.default_rng(2)
    photo = tf.constant(rng.uniform(-1, 1, (2, 32, 32, 3)), tf.float32)
    target = tf.constant(rng.uniform(-1, 1, (2, 32, 32, 3)), tf.float32)
    cart = tf.zeros((2, 32, 32, 3))
    out = model.generator([photo, model.features(cart)], training=True)  # instance norm: same in training mode
    logs = model.train_step((photo, target, cart, cart))
    np.testing.assert_allclose(float(logs["g_content"]), float(tf.reduce_mean(tf.abs(out - target))), rtol=1e-4)
    np.testing.assert_allclose(float(logs["g_style"]), float(tf.reduce_mean(tf.abs(out))), rtol=1e-4)


def test_vgg_weights_file_on_disk_is_used_and_named(tmp_path, monkeypatch):
    """A VGG19 weights file on disk ($GANCORE_VGG19_WEIGHTS) replaces the substitute: loaded weights, the
    ImageNet preprocessing on, and the file named in the description. The file here holds seeded random weights
    in Keras' format, standing in for the ImageNet file that cannot be downloaded here."""
    keras.utils.set_random_seed(3)
    saved = keras.applications.VGG19(include_top=False, weights=None, input_shape=(32, 32, 3))
    path = tmp_path / "vgg19_notop.weights.h5"
    saved.save_weights(path)
    monkeypatch.setenv("GANCORE_VGG19_WEIGHTS", str(path))
    assert find_vgg19_weights() == path
    feats = vgg19_features(32, layer="block2_conv2", weights="auto")
    assert feats.pretrained and feats.preprocess and str(path) in feats.description
    np.testing.assert_array_equal(feats.model.get_layer("block2_conv2").kernel.numpy(),
                                  saved.get_layer("block2_conv2").kernel.numpy())
    assert not feats.model.trainable_weights


def test_style_judge_is_seeded_locally_and_leaves_the_global_random_state_alone():
    import random

    rng = np.random.default_rng(0)
    photos = rng.uniform(0, 0.5, (12, 16, 16, 3)).astype("float32")
    cartoons = rng.uniform(0.5, 1, (12, 16, 16, 3)).astype("float32")
    draws = lambda: (random.random(), float(np.random.random()), float(tf.random.uniform([])))  # noqa: E731
    keras.utils.set_random_seed(5)
    expected = draws()
    keras.utils.set_random_seed(5)
    judge = cartoon.StyleJudge(photos, cartoons, epochs=15, seed=1, batch_size=8)
    assert draws() == expected  # the notebook's next random numbers are what they would have been
    keras.utils.set_random_seed(77)  # another global state: the same judge
    again = cartoon.StyleJudge(photos, cartoons, epochs=15, seed=1, batch_size=8)
    for a, b in zip(judge.model.get_weights(), again.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert judge.history.history["loss"] == again.history.history["loss"]
    assert judge.accuracy(photos, cartoons) > 0.9  # bright vs dark: easy
