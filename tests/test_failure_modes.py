"""Skill 3: the book's failure-mode networks, the anti-collapse layers, 2-D mixtures and mode coverage."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from gancore import metrics
from gancore.data import mixtures
from gancore.models import failure_modes as fm
from gancore.models.layers import MinibatchStdDev, Pack


def test_book_parameter_counts():
    # Hand count: G 2*64+64 + 64*784+784; D 784*64+64 + 64+1; G2 50*784+784; D2 784*512+512 + ... + 129.
    assert fm.build_collapse_generator(2).count_params() == fm.BOOK_COLLAPSE_GENERATOR_PARAMS == 51_152
    assert fm.build_collapse_discriminator().count_params() == fm.BOOK_COLLAPSE_DISCRIMINATOR_PARAMS == 50_305
    assert fm.build_convergence_generator(50).count_params() == fm.BOOK_CONVERGENCE_GENERATOR_PARAMS == 39_984
    assert fm.build_convergence_generator(50, None).count_params() == 39_984
    assert fm.build_convergence_discriminator().count_params() == fm.BOOK_CONVERGENCE_DISCRIMINATOR_PARAMS == 566_273
    assert fm.build_convergence_discriminator(dropout=0.5).count_params() == 566_273
    assert fm.build_convergence_discriminator((512,)).count_params() == 784 * 512 + 512 + 513


def test_relu_then_sigmoid_confines_pixels_to_upper_half():
    z = np.random.default_rng(0).normal(size=(64, 50)).astype("float32") * 5
    book = fm.build_convergence_generator(50, "relu").predict(z, verbose=0)
    control = fm.build_convergence_generator(50, None).predict(z, verbose=0)
    assert book.min() >= 0.5 and book.max() < 1.0
    assert control.min() < 0.2 and control.max() > 0.8


def test_pack_concatenates_consecutive_samples():
    x = np.arange(12, dtype="float32").reshape(6, 2)
    np.testing.assert_array_equal(Pack(2)(x), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]])
    images = np.arange(36, dtype="float32").reshape(6, 1, 3, 2)
    packed = np.asarray(Pack(3)(images))
    assert packed.shape == (2, 1, 3, 6)
    np.testing.assert_array_equal(packed[0, 0, 0], [0, 1, 6, 7, 12, 13])  # pixel 0 of samples 0, 1, 2
    assert Pack(2).compute_output_shape((None, 2)) == (None, 4)


def test_minibatch_stddev_whole_batch_and_groups():
    x = np.arange(12, dtype="float32").reshape(6, 2)  # each column 0, 2, ..., 10: population std sqrt(35/3)
    out = np.asarray(MinibatchStdDev()(x))
    assert out.shape == (6, 3)
    np.testing.assert_allclose(out[:, 2], math.sqrt(35 / 3), rtol=1e-5)
    grouped = np.asarray(MinibatchStdDev(group_size=2)(x))  # groups {0,3}, {1,4}, {2,5}: values 6 apart -> std 3
    np.testing.assert_allclose(grouped[:, 2], 3.0, rtol=1e-5)
    same = np.asarray(MinibatchStdDev()(np.ones((4, 3), "float32")))
    assert same[0, 3] < 1e-3  # identical samples: (almost) zero spread


def test_toy_models_and_serialisation(tmp_path):
    points = mixtures.ring().sample(8, seed=0)
    assert fm.build_toy_discriminator(32, 2, "pack", pack=2)(points).shape == (4, 1)
    model = fm.build_toy_discriminator(32, 2, "minibatch_std")
    model.save(tmp_path / "d.keras")
    loaded = keras.models.load_model(tmp_path / "d.keras")
    np.testing.assert_allclose(loaded(points), model(points), atol=1e-6)
    with pytest.raises(ValueError):
        fm.build_toy_discriminator(remedy="dropout")


def test_mixture_centres():
    ring = mixtures.ring()
    assert ring.num_modes == 8 and ring.sigma == 0.01
    assert len(np.unique(ring.centres.round(6), axis=0)) == 8  # linspace(0, 2*pi, 8) would give 7
    np.testing.assert_allclose(np.linalg.norm(ring.centres, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(ring.centres[2], [0.0, 1.0], atol=1e-6)
    grid = mixtures.grid()
    assert grid.num_modes == 25 and grid.sigma == 0.05
    assert sorted(set(grid.centres[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]


def test_mixture_batches_are_a_function_of_the_step():
    ring = mixtures.ring()
    a = list(mixtures.mixture_dataset(ring, 16, seed=3, start_step=0, num_steps=3).as_numpy_iterator())
    b = list(mixtures.mixture_dataset(ring, 16, seed=3, start_step=2, num_steps=1).as_numpy_iterator())
    np.testing.assert_array_equal(a[2], b[0])
    assert not np.allclose(a[0], a[1])
    _, distance = metrics.nearest_centre(np.concatenate(a), ring.centres)
    assert distance.max() < 6 * ring.sigma


def test_mode_coverage_of_true_samples():
    # 2-D Gaussian: P(|x - c| / sigma < 3) = 1 - exp(-9/2) = 0.98889.
    ring = mixtures.ring()
    result = metrics.mode_coverage(ring.sample(20000, seed=1), ring.centres, ring.sigma)
    assert result["modes"] == 8
    assert 0.985 < result["high_quality"] < 0.993
    assert 0.0 <= result["kl"] < 0.005


def test_mode_coverage_hand_checked():
    centres = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    samples = np.array([[0.01, 0.0], [0.0, -0.02], [1.0, 0.02], [0.5, 0.5], [0.9, 0.9]])
    result = metrics.mode_coverage(samples, centres, sigma=0.01)  # high quality: within 0.03
    np.testing.assert_array_equal(result["counts"], [2, 1, 0, 0])
    assert result["modes"] == 2
    assert result["high_quality"] == pytest.approx(3 / 5)
    # p = (2/3, 1/3, 0, 0): KL = 2/3 log(8/3) + 1/3 log(4/3)
    assert result["kl"] == pytest.approx(2 / 3 * math.log(8 / 3) + 1 / 3 * math.log(4 / 3), rel=1e-9)


def test_kl_to_uniform_limits():
    assert metrics.kl_to_uniform([5, 5, 5, 5]) == pytest.approx(0.0, abs=1e-12)
    assert metrics.kl_to_uniform([7, 0, 0, 0]) == pytest.approx(math.log(4))
    assert metrics.kl_to_uniform([0, 0, 0]) == pytest.approx(math.log(3))  # nothing captured: worst value


def test_packed_critic_with_gradient_penalty_trains_on_a_mixture():
    from gancore.training.fitting import fit_steps
    from gancore.training.gan import GAN

    keras.utils.set_random_seed(0)
    ring = mixtures.ring()
    gan = GAN(fm.build_toy_generator(2, 16, 2), fm.build_toy_discriminator(16, 2, "pack", pack=2), latent_dim=2,
              loss="wasserstein", gradient_penalty_weight=0.1, d_steps=2, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3),
                steps_per_execution=10)
    history = fit_steps(gan, lambda start, n: mixtures.mixture_dataset(ring, 32, 0, start, n), 20, 10, verbose=0)
    assert int(gan.step_counter().numpy()) == 20
    # the critic's loss E[D(fake)] - E[D(real)] + penalty turns negative and keeps falling: it separates the two
    d_loss = history.history["d_loss"]
    assert d_loss[-1] < d_loss[0] < 0, d_loss
    points = gan.generate(np.zeros((4, 2), "float32"))
    assert points.shape == (4, 2)
