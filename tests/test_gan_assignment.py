"""Seed S4 (a GAN course assignment): latent samplers, the GAN ``latent`` option, the +-1 least-squares loss,
the assignment's networks (parameter counts by hand), the PCA face generator and the cloud indicators."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from gancore import latent_priors as lp
from gancore import losses
from gancore.chapters import gan_assignment as ga
from gancore.chapters import pca_faces as pf
from gancore.models import assignment as am
from gancore.training.distribute import step_noise
from gancore.training.gan import GAN

# ---------------------------------------------------------------- latent samplers


def test_spheric_latents_have_unit_norm_and_match_by_hand():
    z = np.array([[3.0, 4.0], [0.0, -2.0], [1.0, 1.0]])
    out = lp.to_latent_numpy(z, "spheric")
    # 3-4-5 triangle; (0, -2)/2; (1, 1)/sqrt 2 (the 1e-8 under the root changes the 9th decimal at most)
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, -1.0], [1 / math.sqrt(2), 1 / math.sqrt(2)]], atol=1e-7)
    big = lp.sample_latent("spheric", 5000, 16, seed=3)
    np.testing.assert_allclose(np.linalg.norm(big, axis=1), 1.0, atol=1e-6)
    # on S^(d-1) each coordinate has mean 0 and E[x_i^2] = 1/d
    assert abs(big.mean()) < 0.01
    assert 1 / 16 * 0.97 < np.mean(big**2) < 1 / 16 * 1.03


def test_one_dimensional_spheric_latent_is_only_two_points():
    x = lp.sample_latent("spheric", 1000, 1, seed=0)[:, 0]
    # z / sqrt(z^2 + 1e-8) = sign(z) unless |z| is of order 1e-4 (the guard): 99% are within 1e-4 of +-1
    assert np.mean(np.abs(np.abs(x) - 1.0) < 1e-4) > 0.99
    assert 0.45 < np.mean(x > 0) < 0.55


def test_uniform_latent_is_the_normal_cdf_and_fills_0_1():
    z = np.array([[0.0, 1.0, -1.0, 1.959963985]])
    # Phi(0) = 0.5, Phi(1) = 0.841345, Phi(-1) = 0.158655, Phi(1.96) = 0.975
    np.testing.assert_allclose(lp.to_latent_numpy(z, "uniform"), [[0.5, 0.8413447, 0.1586553, 0.975]], atol=1e-6)
    u = lp.sample_latent("uniform", 20000, 4, seed=1)
    assert u.min() > 0.0 and u.max() < 1.0
    assert 0.49 < u.mean() < 0.51 and 1 / 12 * 0.97 < u.var() < 1 / 12 * 1.03  # U(0, 1): mean 1/2, variance 1/12


def test_normal_latent_is_unchanged_and_tf_matches_numpy():
    z = np.random.default_rng(0).standard_normal((64, 5)).astype("float32")
    np.testing.assert_array_equal(lp.to_latent_numpy(z, "normal"), z)
    for kind in lp.LATENT_TYPES:
        np.testing.assert_allclose(lp.to_latent(tf.constant(z), kind).numpy(), lp.to_latent_numpy(z, kind), atol=1e-6)
    with pytest.raises(ValueError, match="Unknown latent"):
        lp.sample_latent("cauchy", 2, 2)


def _tiny_gan(**kwargs):
    g = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    gan = GAN(g, d, latent_dim=3, seed=4, **kwargs)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1))
    return gan


def test_gan_latent_option_default_is_bit_identical_to_step_noise():
    gan = _tiny_gan()
    assert gan.latent == "normal"
    expected = step_noise((6, 3), 4, gan.step_counter(), 2, gan._streams())
    np.testing.assert_array_equal(gan.noise(6, 2).numpy(), expected.numpy())
    np.testing.assert_array_equal(_tiny_gan(latent="normal").noise(6, 2).numpy(), expected.numpy())


def test_gan_latent_option_maps_the_same_draw():
    normal = _tiny_gan().noise(8, 0).numpy()
    np.testing.assert_allclose(_tiny_gan(latent="spheric").noise(8, 0).numpy(),
                               lp.to_latent_numpy(normal, "spheric"), atol=1e-6)
    np.testing.assert_allclose(_tiny_gan(latent="uniform").noise(8, 0).numpy(),
                               lp.to_latent_numpy(normal, "uniform"), atol=1e-6)
    with pytest.raises(ValueError, match="Unknown latent"):
        _tiny_gan(latent="sphere")


# ---------------------------------------------------------------- the Simple GAN loss


def test_least_squares_pm1_by_hand():
    real = np.array([1.0, 0.0, -1.0, 0.5], "float32")
    fake = np.array([-1.0, 0.0, 1.0, -0.5], "float32")
    # real: (0, 1, 4, 0.25) -> 1.3125; fake + 1: (0, 1, 4, 0.25) -> 1.3125
    np.testing.assert_allclose(float(losses.least_squares_pm1_discriminator_loss(real, fake)), 2.625, rtol=1e-6)
    # fake - 1: (4, 1, 0, 2.25) -> 7.25 / 4
    np.testing.assert_allclose(float(losses.least_squares_pm1_generator_loss(fake)), 1.8125, rtol=1e-6)
    assert losses.get_losses("least_squares_pm1") == (losses.least_squares_pm1_discriminator_loss,
                                                      losses.least_squares_pm1_generator_loss)


def test_seed_models_map_to_gan_options():
    g, d = am.fully_connected_gen_discr([2, 4, 4, 2])
    for kind, loss, clip, gp, beta_1 in [("simple_gan", "least_squares_pm1", None, 0.0, 0.5),
                                         ("wgan_clip", "wasserstein", 1.0, 0.0, 0.5),
                                         ("wgan_gp", "wasserstein", None, 10.0, 0.3)]:
        gan = ga.build_seed_gan(kind, g, d, latent_dim=2, learning_rate=0.005)
        assert (gan.loss_name, gan.clip_value, gan.gradient_penalty_weight, gan.d_steps) == (loss, clip, gp, 2)
        assert gan.fresh_real_per_d_step
        assert float(gan.d_optimizer.beta_1) == pytest.approx(beta_1) and float(gan.g_optimizer.beta_2) == 0.9
        assert float(gan.d_optimizer.learning_rate) == pytest.approx(0.005)
        assert gan.d_optimizer is not gan.g_optimizer


def test_wgan_clip_keeps_critic_weights_in_minus_one_one():
    keras.utils.set_random_seed(0)
    g, d = am.fully_connected_gen_discr([2, 8, 8, 2])
    for w in d.trainable_weights:
        w.assign(3.0 * tf.ones_like(w))  # far outside [-1, 1]
    gan = ga.build_seed_gan("wgan_clip", g, d, latent_dim=2, learning_rate=0.01)
    real = ga.corner_cloud(2 * 16, 2, seed=0)
    gan.train_on_batch(real)
    assert max(float(tf.reduce_max(tf.abs(w))) for w in d.trainable_weights) <= 1.0


# ---------------------------------------------------------------- networks


def test_fully_connected_pair_counts_by_hand():
    g, d = am.fully_connected_gen_discr([1, 100, 100, 2])
    # G: 1*100+100 + 100*100+100 + 100*2+2 = 200 + 10100 + 202; D: 2*100+100 + 10100 + 100+1
    assert (g.count_params(), d.count_params()) == (10_502, 10_501) == am.fc_param_counts([1, 100, 100, 2])
    g, d = am.fully_connected_gen_discr([49, 98, 98, 49])
    # G: 49*98+98 = 4900, 98*98+98 = 9702, 98*49+49 = 4851; D: 4900 + 9702 + 99
    assert (g.count_params(), d.count_params()) == (19_453, 14_701) == am.fc_param_counts([49, 98, 98, 49])


def test_fully_connected_activations_and_ranges():
    g, d = am.fully_connected_gen_discr([3, 7, 5])
    assert [layer.units for layer in g.layers[1:]] == [7, 5] and [layer.units for layer in d.layers[1:]] == [7, 1]
    x = g(np.random.default_rng(0).normal(size=(50, 3)).astype("float32") * 10).numpy()
    assert x.min() >= 0.0 and x.max() <= 1.0  # sigmoid output
    score = d(1000.0 * np.ones((4, 5), "float32")).numpy()
    assert np.all(np.abs(score) <= 1.0)  # the tanh head: bounded
    _, linear = am.fully_connected_gen_discr([3, 7, 5], critic_output="linear")
    assert linear.layers[-1].activation.__name__ == "linear" and linear.count_params() == d.count_params()


def test_convolutional_pair_counts_by_hand():
    g, d = am.convolutional_gen_discr()
    trainable = sum(int(np.prod(w.shape)) for w in g.trainable_weights)
    # Dense 16*2048+2048 = 34816; conv 3*3*512*64+64 = 294976; BN 4*64; conv 3*3*64*16+16 = 9232; BN 4*16;
    # conv 3*3*16+1 = 145; BN 4. Non-trainable: 2*(64+16+1) = 162 moving statistics.
    assert (g.count_params(), trainable) == (339_493, 339_331)
    assert g.count_params() == 34816 + 294976 + 256 + 9232 + 64 + 145 + 4
    # D: 3*3*1*32+32 = 320, 3*3*32*64+64 = 18496, 3*3*64*128+128 = 73856, 3*3*128*256+256 = 295168, 256+1
    assert d.count_params() == 320 + 18496 + 73856 + 295168 + 257 == 388_097
    assert g.output_shape == (None, 16, 16, 1) and d.output_shape == (None, 1)


# ---------------------------------------------------------------- PCA faces


def test_pca_reconstructs_a_rank_k_set_exactly_and_samples_in_its_span():
    rng = np.random.default_rng(0)
    basis = rng.normal(size=(3, 36))
    images = (rng.normal(size=(40, 3)) @ basis + 0.5).reshape(40, 6, 6)  # rank-3 variation around 0.5
    pca = pf.PCAGenerator(images, depth=3)
    np.testing.assert_allclose(pca.reconstruct(images), images, atol=1e-10)
    np.testing.assert_allclose(pca.components @ pca.components.T, np.eye(3), atol=1e-12)
    fakes = pca.sample(10, seed=1).reshape(10, -1) - pca.mean
    residual = fakes - fakes @ np.linalg.pinv(basis) @ basis  # nothing outside the span of the data
    assert np.abs(residual).max() < 1e-9
    assert pf.PCAGenerator(images, depth=50).depth == 36  # at most min(N, pixels) components


def test_pca_coordinates_by_hand():
    # Two points at (1, 0) and (-1, 0) around a zero mean: one component (+-1, 0), coordinates +-1, std 1
    images = np.array([[[1.0, 0.0]], [[-1.0, 0.0]]])
    pca = pf.PCAGenerator(images, depth=1)
    np.testing.assert_allclose(np.abs(pca.components), [[1.0, 0.0]], atol=1e-12)
    np.testing.assert_allclose(np.abs(pca.coords[:, 0]), [1.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(pca.stds, [1.0])
    np.testing.assert_allclose(pca.explained_variance, [1.0])


def test_face_scaling_rules():
    images = np.array([[[0.2, 1.0]], [[0.6, 0.0]], [[1.0, 0.5]]], "float32")
    seed, fixed = pf.centre_and_scale(images, "seed"), pf.centre_and_scale(images, "centred")
    np.testing.assert_allclose(seed.mean_face, [[0.6, 0.5]], atol=1e-7)
    np.testing.assert_allclose(seed.multiplier, [[1.0, 1.0]])  # max |image|, uncentred
    np.testing.assert_allclose(fixed.multiplier, [[0.4, 0.5]], atol=1e-7)  # max |image - mean|
    np.testing.assert_allclose(np.abs(fixed.apply(images)).max(axis=0), [[1.0, 1.0]], atol=1e-6)
    np.testing.assert_allclose(np.abs(seed.apply(images)).max(axis=0), [[0.4, 0.5]], atol=1e-6)
    np.testing.assert_allclose(fixed.recover(fixed.apply(images)), images, atol=1e-6)


def test_small_faces_are_16x16_lfw():
    faces = pf.small_faces()
    assert faces.shape == (100, 16, 16) and 0.0 <= faces.min() and faces.max() <= 1.0
    both = pf.with_mirrors(faces[:3])
    np.testing.assert_array_equal(both[3:], faces[:3, :, ::-1])
    train, test = pf.split_indices(100, 20, seed=0)
    assert len(train) == 80 and len(test) == 20 and not set(train) & set(test)


def test_square_sums_of_independent_normals_are_chi_square():
    coords = np.random.default_rng(0).standard_normal((20000, 10))
    sums = pf.standardised_square_sums(coords)
    assert 9.8 < sums.mean() < 10.2 and 19.0 < sums.var() < 21.0  # chi2_10: mean 10, variance 20
    # Uncorrelated but dependent columns: one shared random scale s in {0.5, 1.5} per row. With E s^2 = 1.25 and
    # E s^4 = 2.5625, a standardised column c has E c^4 = 3 * 2.5625 / 1.25^2 = 4.92, so var(c^2) = 3.92, and
    # cov(c_i^2, c_j^2) = 2.5625 / 1.5625 - 1 = 0.64. Sum of squares: mean 10, variance 10 * 3.92 + 90 * 0.64 = 96.8.
    # Shuffling each column keeps the 3.92 per column but removes the covariances: variance 39.2.
    scale = np.random.default_rng(1).choice([0.5, 1.5], size=(20000, 1))
    dependent = pf.standardised_square_sums(coords * scale)
    assert 9.8 < dependent.mean() < 10.2 and 85.0 < dependent.var() < 108.0
    assert 35.0 < pf.standardised_square_sums(coords * scale, shuffle_seed=2).var() < 44.0
    np.testing.assert_allclose(pf.standardised_square_sums([[1.0, 2.0], [3.0, 0.0]], standardise=False), [5.0, 9.0])


def test_chi_square_dispersion_by_hand():
    # sums 1, 3: mean 2, population variance 1 -> k * 1 / (2 * 4) with k = 8 is exactly 1
    assert pf.chi_square_dispersion([1.0, 3.0], 8) == pytest.approx(1.0)
    assert pf.chi_square_dispersion([5.0, 5.0, 5.0], 4) == 0.0
    sums = np.random.default_rng(0).chisquare(12, size=40000)
    assert 0.96 < pf.chi_square_dispersion(sums, 12) < 1.04
    assert 0.96 < pf.chi_square_dispersion(7.0 * sums, 12) < 1.04  # scale-free


def test_pca_standardised_coordinates_of_its_own_samples_are_standard_normal():
    rng = np.random.default_rng(0)
    images = rng.normal(size=(500, 4, 4)) * np.linspace(0.5, 2.0, 16).reshape(4, 4)
    pca = pf.PCAGenerator(images, depth=6)
    z = pca.standardised(pca.sample(20000, seed=1))
    np.testing.assert_allclose(z.std(axis=0), 1.0, atol=0.03)
    sums = pf.standardised_square_sums(z, standardise=False)
    assert 5.85 < sums.mean() < 6.15 and 11.3 < sums.var() < 12.7  # chi2_6: mean 6, variance 12


# ---------------------------------------------------------------- cloud indicators and distances


def test_cloud_indicators_on_the_target_and_on_a_point():
    cloud = ga.corner_cloud(4000, 20, sigma=0.05, seed=0)
    ind = ga.cloud_indicators(cloud)
    assert ind["msd_expected"] == pytest.approx(20 * 0.0025) and ind["dbc_expected"] == pytest.approx(0.05 / 4000)
    assert 0.97 < ind["msd"] / ind["msd_expected"] < 1.03 and 0.97 < ind["std_ratio"] < 1.03
    assert ind["fd"] < 0.005
    point = np.full((100, 20), 0.7, "float32")  # every sample the same point, 0.1 from the centre per coordinate
    ind = ga.cloud_indicators(point)
    assert ind["msd"] == pytest.approx(20 * 0.01, rel=1e-5) and ind["dbc"] == pytest.approx(0.2, rel=1e-5)
    assert ind["std_ratio"] == pytest.approx(0.0, abs=1e-6)
    assert ind["fd"] == pytest.approx(0.2 + 20 * 0.0025, rel=1e-4)  # |mu|^2 + tr(S) with a zero covariance


def test_sliced_wasserstein_of_a_shift():
    x = np.random.default_rng(0).normal(size=(500, 2))
    assert ga.sliced_wasserstein(x, x) == 0.0
    # a shift t: every projection moves by |t . theta|; over directions in 2-D that averages 2|t|/pi
    value = ga.sliced_wasserstein(x, x + np.array([3.0, 4.0]), projections=4000, seed=1)
    assert 5 * 2 / math.pi * 0.97 < value < 5 * 2 / math.pi * 1.03


def test_circle_example_lies_on_its_circle():
    pts = ga.circle_example(300, seed=0)
    np.testing.assert_allclose(np.linalg.norm(pts - 0.5, axis=1), 0.3, atol=1e-6)
