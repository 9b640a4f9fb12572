"""GAN/VAE training steps, exact resume after an interruption, the NaN guard and distribution."""

import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from gancore.data.arrays import scale_images
from gancore.losses import bernoulli_elbo_loss, book_vae_loss, gaussian_kl
from gancore.training.callbacks import NaNGuard, NonFiniteLossError, PeriodicMetrics, SampleGrid
from gancore.training.fitting import fit_steps, step_indexed_dataset
from gancore.training.gan import GAN
from gancore.training.vae import VAE

from .conftest import StopAfter

# 40 distinct 64x8 images: vertical ramps shifted by 5 grey levels per image
IMAGES = np.tile(((np.arange(64)[None, :, None] * 4 + 5 * np.arange(40)[:, None, None]) % 256).astype("uint8"),
                 (1, 1, 8))


def tiny_gan(seed=0, loss="non_saturating", d_steps=1, init_seed=None):
    keras.utils.set_random_seed(seed if init_seed is None else init_seed)
    g = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dense(64 * 8, activation="sigmoid"), keras.layers.Reshape((64, 8, 1))])
    d = keras.Sequential([keras.Input((64, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(1)])
    gan = GAN(g, d, latent_dim=4, loss=loss, d_steps=d_steps, seed=seed)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    return gan


def make_data(start, n):
    return step_indexed_dataset(IMAGES, 8, seed=3, start_step=start, num_steps=n, preprocess=scale_images)


def weights_of(gan):
    return [w.numpy().copy() for w in gan.generator.weights + gan.discriminator.weights]


def test_two_optimizers_are_required_and_built():
    gan = tiny_gan()
    assert gan.d_optimizer is not gan.g_optimizer
    assert gan.d_optimizer.built and gan.g_optimizer.built
    opt = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two optimizer instances"):
        gan.compile(opt, opt)


def test_step_indexed_batches_are_a_function_of_the_step():
    full = [b.numpy() for b in make_data(0, 6)]
    tail = [b.numpy() for b in make_data(4, 2)]
    np.testing.assert_array_equal(full[4], tail[0])
    np.testing.assert_array_equal(full[5], tail[1])
    assert not np.array_equal(full[0], full[1])
    assert full[0].shape == (8, 64, 8, 1) and 0.0 <= full[0].min() and full[0].max() <= 1.0


def test_train_step_updates_both_networks_and_counts_steps():
    gan = tiny_gan(d_steps=2)
    before = weights_of(gan)
    history = fit_steps(gan, make_data, total_steps=4, steps_per_epoch=2, verbose=0)
    after = weights_of(gan)
    assert int(gan.g_optimizer.iterations.numpy()) == 4
    assert int(gan.d_optimizer.iterations.numpy()) == 8  # two discriminator updates per step
    assert set(history.history) >= {"d_loss", "g_loss", "d_acc"}
    changed = [not np.allclose(a, b) for a, b in zip(before, after)]
    assert all(changed[:4]) and all(changed[4:])


@pytest.fixture
def op_determinism():
    """Deterministic TF kernels for one test only (the setting is global and would also turn XLA off)."""
    from tensorflow.python.framework import config

    config.enable_op_determinism()
    yield
    config.disable_op_determinism()


def test_resume_after_interruption_equals_uninterrupted_run(tmp_path, op_determinism):
    reference = tiny_gan(seed=1)
    fit_steps(reference, make_data, total_steps=12, steps_per_epoch=2, verbose=0)

    interrupted = tiny_gan(seed=1)
    with pytest.raises(KeyboardInterrupt):
        fit_steps(interrupted, make_data, total_steps=12, steps_per_epoch=2, callbacks=[StopAfter(3)],
                  backup_dir=tmp_path / "backup", verbose=0)
    assert int(interrupted.g_optimizer.iterations.numpy()) == 6

    resumed = tiny_gan(seed=1, init_seed=99)  # different initial weights: everything must come from the backup
    history = fit_steps(resumed, make_data, total_steps=12, steps_per_epoch=2, backup_dir=tmp_path / "backup",
                        verbose=0)
    assert len(history.history["d_loss"]) == 3  # only the remaining epochs ran
    assert int(resumed.g_optimizer.iterations.numpy()) == 12
    for a, b in zip(weights_of(reference), weights_of(resumed)):
        np.testing.assert_array_equal(a, b)
    assert not (tmp_path / "backup").exists()  # removed after a completed run


def test_resume_without_backup_would_differ(tmp_path):
    """Control for the test above: restarting from scratch after the interruption does not match."""
    reference = tiny_gan(seed=1)
    fit_steps(reference, make_data, total_steps=12, steps_per_epoch=2, verbose=0)
    restarted = tiny_gan(seed=1)
    fit_steps(restarted, make_data, total_steps=6, steps_per_epoch=2, verbose=0)
    differs = [not np.array_equal(a, b) for a, b in zip(weights_of(reference), weights_of(restarted))]
    assert any(differs)


def dropout_gan(init_seed=0):
    keras.utils.set_random_seed(init_seed)
    g = keras.Sequential([keras.Input((4,)), keras.layers.Dense(64 * 8), keras.layers.Reshape((64, 8, 1))])
    d = keras.Sequential([keras.Input((64, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dropout(0.5, seed=3), keras.layers.Dense(1)])
    gan = GAN(g, d, latent_dim=4, seed=2)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    return gan


def test_resume_restores_the_dropout_seed_state(tmp_path):
    """A dropout layer's seed generator is not a weight, so ``save_weights`` leaves it out; without it a resumed run
    draws the masks of step 0 again (measured: the weights of this test end 3.0e-3 apart). The backup
    keeps it in the training metadata: the resumed run gives the uninterrupted run's weights exactly."""
    from gancore.training.callbacks import OTHER_STATE_KEY, state_outside_weights

    reference = dropout_gan()
    fit_steps(reference, make_data, total_steps=8, steps_per_epoch=2, verbose=0)
    interrupted = dropout_gan()
    with pytest.raises(KeyboardInterrupt):
        fit_steps(interrupted, make_data, total_steps=8, steps_per_epoch=2, callbacks=[StopAfter(2)],
                  backup_dir=tmp_path / "backup", verbose=0)
    seed_state = state_outside_weights(interrupted)
    assert len(seed_state) == 1 and "seed_generator" in seed_state[0].path  # the dropout layer's, nothing else
    saved = json.loads((tmp_path / "backup" / "training_metadata.json").read_text())[OTHER_STATE_KEY]
    np.testing.assert_array_equal(saved[0], seed_state[0].numpy())
    resumed = dropout_gan(init_seed=99)
    fit_steps(resumed, make_data, total_steps=8, steps_per_epoch=2, backup_dir=tmp_path / "backup", verbose=0)
    for a, b in zip(reference.weights + state_outside_weights(reference),
                    resumed.weights + state_outside_weights(resumed), strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_nan_guard_names_the_step_and_loss():
    keras.utils.set_random_seed(0)
    g = keras.Sequential([keras.Input((4,)), keras.layers.Dense(64 * 8), keras.layers.Reshape((64, 8, 1))])
    d = keras.Sequential([keras.Input((64, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    gan = GAN(g, d, latent_dim=4)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    good = scale_images(IMAGES[:8])

    def data(start, n):  # finite batches for the first two steps, then NaN
        steps = tf.data.Dataset.range(start, start + n)
        return steps.map(lambda s: tf.where(s >= 2, tf.fill(tf.shape(good), float("nan")), good))

    with pytest.raises(NonFiniteLossError, match=r"step 3: d_loss = nan"):
        fit_steps(gan, data, total_steps=6, steps_per_epoch=2, verbose=0)
    assert int(gan.g_optimizer.iterations.numpy()) == 3  # stopped at once, not at the end of the epoch


def test_nan_guard_on_plain_model():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.array([[1.0], [np.inf]], dtype="float32")
    with pytest.raises(NonFiniteLossError, match="step 1: loss"):
        model.fit(x, x, batch_size=2, epochs=1, callbacks=[NaNGuard()], verbose=0)


def test_sample_grid_and_metrics_callbacks(tmp_path):
    gan = tiny_gan()
    z = np.zeros((4, 4), "float32")
    grid = SampleGrid(lambda: gan.generator(z).numpy(), every=1, folder=tmp_path, rows=2)
    calls = []
    metric = PeriodicMetrics(lambda: calls.append(1) or {"fd": float(len(calls))}, every=2)
    history = fit_steps(gan, make_data, total_steps=8, steps_per_epoch=2, callbacks=[grid, metric], verbose=0)
    assert [e for e, _ in grid.frames] == [0, 1, 2, 3, 4]
    assert (tmp_path / "training.gif").exists() and (tmp_path / "epoch_0004.png").exists()
    assert [r[0] for r in metric.records] == [0, 2, 4]
    assert [r[1] for r in metric.records] == [0, 4, 8]
    assert history.history["fd"] == [2.0, 3.0]


def test_vae_losses_hand_values():
    x = np.zeros((2, 28, 28, 1), "float32")
    mean = np.array([[1.0, 0.0], [0.0, 0.0]], "float32")
    log_var = np.zeros((2, 2), "float32")
    np.testing.assert_allclose(gaussian_kl(mean, log_var).numpy(), [0.5, 0.0], atol=1e-6)
    total, recon, kl = book_vae_loss(x, x + 0.5, mean, log_var)
    np.testing.assert_allclose([float(recon), float(kl)], [0.25 * 784, 0.125], rtol=1e-6)  # KL mean over dims
    total, recon, kl = bernoulli_elbo_loss(x, x + 0.5, mean, log_var)
    np.testing.assert_allclose([float(recon), float(kl)], [784 * np.log(2), 0.25], rtol=1e-5)


def test_vae_fit_reduces_loss():
    from gancore.models.vae import build_vae_decoder, build_vae_encoder

    keras.utils.set_random_seed(0)
    x = (np.tile(np.linspace(0, 1, 28, dtype="float32"), (64, 28, 1)))[..., None]
    vae = VAE(build_vae_encoder(), build_vae_decoder(output_activation="sigmoid"), loss="elbo")
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = vae.fit(x, batch_size=16, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


MIRRORED = textwrap.dedent("""
    import numpy as np, tensorflow as tf, keras
    tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
        [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
    from gancore.training.gan import GAN
    from gancore.training.fitting import fit_steps
    x = np.linspace(0, 1, 16 * 6, dtype="float32").reshape(16, 6)
    def build(strategy):
        with strategy.scope():
            keras.utils.set_random_seed(0)
            g = keras.Sequential([keras.Input((3,)), keras.layers.Dense(6)])
            d = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
            gan = GAN(g, d, latent_dim=3, seed=5)
            gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
        data = lambda s, n: tf.data.Dataset.from_tensors(x).repeat(n)
        fit_steps(gan, data, total_steps=8, steps_per_epoch=4, verbose=0)
        return np.concatenate([w.numpy().ravel() for w in g.weights + d.weights])
    one = build(tf.distribute.OneDeviceStrategy("/cpu:0"))
    two = build(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
    print("MAXDIFF", float(np.abs(one - two).max()), "MOVED", float(np.abs(one).sum()))
""")


def test_mirrored_strategy_on_two_cpus_matches_one_device():
    out = subprocess.run([sys.executable, "-c", MIRRORED], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("MAXDIFF"))
    maxdiff = float(line.split()[1])
    assert maxdiff < 1e-5, line


MIXED = textwrap.dedent("""
    import numpy as np, keras
    keras.mixed_precision.set_global_policy("mixed_float16")
    from gancore.training.gan import GAN
    from gancore.training.vae import VAE
    from gancore.training.fitting import fit_steps
    from gancore.models.vae import build_vae_decoder, build_vae_encoder
    import tensorflow as tf
    keras.utils.set_random_seed(0)
    g = keras.Sequential([keras.Input((4,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(6)])
    d = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    gan = GAN(g, d, latent_dim=4)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    x = np.linspace(0, 1, 16 * 6, dtype="float32").reshape(16, 6)
    h = fit_steps(gan, lambda s, n: tf.data.Dataset.from_tensors(x).repeat(n), 6, 3, verbose=0)
    print("OPT", type(gan.d_optimizer).__name__, type(gan.g_optimizer).__name__, gan.optimizer is gan.g_optimizer)
    print("DTYPES", g.layers[0].compute_dtype, g.layers[0].kernel.dtype, int(gan.g_optimizer.iterations.numpy()))
    print("GANLOSS", all(np.isfinite(v).all() for v in h.history.values()))
    vae = VAE(build_vae_encoder(), build_vae_decoder(output_activation="sigmoid"))
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    images = np.tile(np.linspace(0, 1, 28, dtype="float32"), (32, 28, 1))[..., None]
    hv = vae.fit(images, batch_size=16, epochs=2, verbose=0)
    print("VAELOSS", np.isfinite(hv.history["loss"]).all(), type(vae.optimizer).__name__)
""")


def test_mixed_precision_uses_loss_scaling_and_trains_on_cpu():
    """The GPU path (mixed_float16) exercised on the CPU: wrapped optimizers, float32 weights, finite losses."""
    out = subprocess.run([sys.executable, "-c", MIXED], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "OPT LossScaleOptimizer LossScaleOptimizer True" in out.stdout
    assert "DTYPES float16 float32 6" in out.stdout
    assert "GANLOSS True" in out.stdout and "VAELOSS True LossScaleOptimizer" in out.stdout


def test_xla_compiled_train_step_matches_the_plain_one():
    """jit_compile=True (XLA, the GPU fast path) runs the same algorithm: same weights after 4 steps."""
    results = []
    x = np.linspace(0, 1, 8 * 6, dtype="float32").reshape(8, 6)
    for jit in (False, True):
        keras.utils.set_random_seed(0)
        g = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6)])
        d = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
        gan = GAN(g, d, latent_dim=4, seed=2)
        gan.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05), jit_compile=jit)
        assert gan.jit_compile is jit  # Keras silently falls back to no XLA when it cannot use it
        fit_steps(gan, lambda s, n: tf.data.Dataset.from_tensors(x).repeat(n), 4, 2, verbose=0)
        results.append(np.concatenate([w.numpy().ravel() for w in g.weights + d.weights]))
    np.testing.assert_allclose(results[0], results[1], atol=1e-5)
    assert not np.allclose(results[0], 0)


def test_portable_normal_is_standard_normal_and_a_function_of_the_seed():
    from gancore.training.distribute import portable_normal

    seeds = tf.constant([7, 3], tf.int64)
    z = portable_normal((200_000,), seeds).numpy()
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1.0) < 0.01
    assert abs((np.abs(z) < 1.0).mean() - 0.6827) < 0.005  # the 68% rule
    again = portable_normal((200_000,), seeds).numpy()
    other = portable_normal((200_000,), tf.constant([7, 4], tf.int64)).numpy()
    np.testing.assert_array_equal(z, again)
    assert np.corrcoef(z, other)[0, 1] < 0.01


def test_mixed_batches_share_batchnorm_statistics():
    d = keras.Sequential([keras.Input((2,)), keras.layers.BatchNormalization(momentum=0.0), keras.layers.Dense(1)])
    g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    real = tf.constant([[4.0, 4.0], [4.0, 4.0]])
    fake = tf.constant([[0.0, 0.0], [0.0, 0.0]])
    for mixed, expected in ((False, 0.0), (True, 2.0)):  # momentum 0: moving mean = the last batch's mean
        gan = GAN(g, d, latent_dim=2, mixed_batches=mixed)
        real_logits, fake_logits = gan._discriminate(real, fake)
        assert real_logits.shape == fake_logits.shape == (2, 1)
        np.testing.assert_allclose(d.layers[0].moving_mean.numpy(), [expected, expected])


def test_real_label_flip_and_gradient_penalty_train():
    for kwargs in ({"real_label_flip": 0.3, "label_smoothing": 0.1},
                   {"loss": "wasserstein", "gradient_penalty_weight": 10.0, "d_steps": 2}):
        keras.utils.set_random_seed(0)
        g = keras.Sequential([keras.Input((4,)), keras.layers.Dense(64 * 8), keras.layers.Reshape((64, 8, 1))])
        d = keras.Sequential([keras.Input((64, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
        gan = GAN(g, d, latent_dim=4, **kwargs)
        gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
        history = fit_steps(gan, make_data, total_steps=4, steps_per_epoch=2, verbose=0)
        d_loss = history.history["d_loss"]
        assert 1.0 < d_loss[-1] < d_loss[0] < 3.5, (kwargs, d_loss)  # D (or the penalised critic) improves
    with pytest.raises(ValueError, match="cross-entropy loss"):
        GAN(g, d, latent_dim=4, loss="wasserstein", real_label_flip=0.1)


def test_real_label_flip_one_labels_every_real_image_fake():
    gan = GAN(keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]),
              keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]), latent_dim=1, real_label_flip=1.0)
    real, fake = tf.constant([[2.0], [-1.0]]), tf.constant([[0.5], [0.0]])
    loss = gan.discriminator_loss(real, fake, uniform=tf.constant([[0.2], [0.9]]))
    expected = np.mean(np.log1p(np.exp([2.0, -1.0]))) + np.mean(np.log1p(np.exp([0.5, 0.0])))
    np.testing.assert_allclose(float(loss), expected, rtol=1e-6)


def test_weight_clipping_bounds_every_trainable_critic_weight_only():
    keras.utils.set_random_seed(0)
    g = keras.Sequential([keras.Input((4,)), keras.layers.Dense(64 * 8), keras.layers.Reshape((64, 8, 1))])
    d = keras.Sequential([keras.Input((64, 8, 1)), keras.layers.Flatten(), keras.layers.BatchNormalization(),
                          keras.layers.Dense(1)])
    gan = GAN(g, d, latent_dim=4, loss="wasserstein", d_steps=2, clip_value=0.01)
    gan.compile(keras.optimizers.RMSprop(5e-3), keras.optimizers.RMSprop(5e-3))
    fit_steps(gan, make_data, total_steps=2, steps_per_epoch=2, verbose=0)
    trainable = np.concatenate([w.numpy().ravel() for w in d.trainable_weights])
    assert np.abs(trainable).max() <= 0.01 + 1e-7 and np.abs(trainable).max() > 0.009
    moving_variance = d.layers[1].moving_variance.numpy()
    assert moving_variance.max() > 0.01  # batchnorm statistics are not clipped
    assert np.abs(np.concatenate([w.numpy().ravel() for w in g.weights])).max() > 0.05  # nor is the generator


def test_portable_normal_is_finite_at_the_extreme_bits():
    """The largest 24-bit draw must map below 1 before the inverse CDF (float32 rounding gave +inf)."""
    import gancore.training.distribute as distribute

    original = tf.random.stateless_uniform
    extremes = tf.constant([0, 255, 2**32 - 256, 2**32 - 1], tf.uint32)
    try:
        distribute.tf.random.stateless_uniform = lambda shape, **kwargs: extremes
        z = distribute.portable_normal((4,), tf.constant([0, 0], tf.int64)).numpy()
    finally:
        distribute.tf.random.stateless_uniform = original
    assert np.isfinite(z).all()
    np.testing.assert_allclose(z, [-5.41998, -5.41998, 5.41998, 5.41998], atol=1e-4)  # Phi^-1(2^-25)


def test_frozen_discriminator_in_the_generator_step_keeps_its_batchnorm_statistics():
    for frozen in (True, False):
        keras.utils.set_random_seed(0)
        g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
        d = keras.Sequential([keras.Input((2,)), keras.layers.BatchNormalization(momentum=0.0), keras.layers.Dense(1)])
        gan = GAN(g, d, latent_dim=2, d_steps=1, frozen_d_in_g_step=frozen)
        gan.compile(keras.optimizers.SGD(0.0), keras.optimizers.SGD(0.0))  # weights stay put, statistics move
        d_step_fakes = g(gan.noise(4, 0)).numpy()  # stream 0 of step 0: the D step's noise
        g_step_fakes = g(gan.noise(4, 4)).numpy()  # stream 4 * d_steps: the G step's noise
        gan.fit(tf.data.Dataset.from_tensors(np.full((4, 2), 7.0, "float32")), epochs=1, verbose=0)
        # momentum 0: the moving mean is the mean of the last batch D saw in training mode
        last_seen = d_step_fakes if frozen else g_step_fakes
        np.testing.assert_allclose(d.layers[0].moving_mean.numpy(), last_seen.mean(0), rtol=1e-5, atol=1e-6)


def test_fresh_real_images_for_each_discriminator_update():
    """With fresh_real_per_d_step the batch is split in order: update i sees part i, and G's batch shrinks."""
    real = np.array([[1.0, 1.0]] * 2 + [[9.0, 9.0]] * 2, "float32")
    means = {}
    for fresh in (True, False):
        keras.utils.set_random_seed(0)
        g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
        d = keras.Sequential([keras.Input((2,)), keras.layers.BatchNormalization(momentum=0.0), keras.layers.Dense(1)])
        gan = GAN(g, d, latent_dim=2, d_steps=2, mixed_batches=True, frozen_d_in_g_step=True,
                  fresh_real_per_d_step=fresh)
        gan.compile(keras.optimizers.SGD(0.0), keras.optimizers.SGD(0.0))
        n = 2 if fresh else 4
        last_fakes = g(gan.noise(n, 4)).numpy()  # stream 4 * i of the last D update (i = 1)
        gan.fit(tf.data.Dataset.from_tensors(real), epochs=1, verbose=0)
        last_real = real[2:] if fresh else real
        expected = np.concatenate([last_fakes, last_real]).mean(0)
        np.testing.assert_allclose(d.layers[0].moving_mean.numpy(), expected, rtol=1e-5, atol=1e-6)
        means[fresh] = d.layers[0].moving_mean.numpy()
    assert not np.allclose(means[True], means[False])


def test_frozen_batchnorm_affine_is_not_clipped_and_still_uses_batch_statistics():
    from gancore.models.layers import freeze_batchnorm_affine

    keras.utils.set_random_seed(0)
    g = keras.Sequential([keras.Input((4,)), keras.layers.Dense(64 * 8), keras.layers.Reshape((64, 8, 1))])
    inner = keras.Sequential([keras.Input((8,)), keras.layers.BatchNormalization(momentum=0.0)])
    d = keras.Sequential([keras.Input((64, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(8), inner,
                          keras.layers.Dense(1)])
    assert freeze_batchnorm_affine(d) == 1  # found inside the nested model
    assert len(d.trainable_weights) == 4 and d.count_params() == 512 * 8 + 8 + 4 * 8 + 9
    gan = GAN(g, d, latent_dim=4, loss="wasserstein", d_steps=2, clip_value=0.01)
    gan.compile(keras.optimizers.RMSprop(5e-3), keras.optimizers.RMSprop(5e-3))
    fit_steps(gan, make_data, total_steps=2, steps_per_epoch=2, verbose=0)
    batchnorm = inner.layers[0]
    np.testing.assert_array_equal(batchnorm.gamma.numpy(), np.ones(8))
    np.testing.assert_array_equal(batchnorm.beta.numpy(), np.zeros(8))
    assert np.abs(d.layers[1].kernel.numpy()).max() <= 0.01 + 1e-7
    x = tf.constant(np.random.default_rng(0).normal(3.0, 2.0, (16, 8)), tf.float32)
    out = batchnorm(x, training=True).numpy()  # batch statistics: mean 0, std ~1 per feature
    np.testing.assert_allclose(out.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.std(0), 1.0, atol=0.01)
