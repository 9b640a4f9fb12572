"""InstanceNormalization and ReflectionPadding2D: hand-checked values, parameter counts and .keras round trips."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from gancore.models.norm_pad import InstanceNormalization, ReflectionPadding2D


def test_instance_norm_by_hand():
    # one example, 2x2 image, one channel: values 1, 2, 3, 4 -> mean 2.5, biased variance 1.25
    x = np.array([1.0, 2.0, 3.0, 4.0], "float32").reshape(1, 2, 2, 1)
    y = keras.ops.convert_to_numpy(InstanceNormalization(epsilon=0.0)(x))
    expected = (np.array([1, 2, 3, 4]) - 2.5) / np.sqrt(1.25)  # -1.3416, -0.4472, 0.4472, 1.3416
    np.testing.assert_allclose(y.ravel(), expected, rtol=1e-5)
    np.testing.assert_allclose(y[0, 0, 0, 0], -1.5 / np.sqrt(1.25), rtol=1e-5)


def test_instance_norm_uses_epsilon_gamma_and_beta():
    x = np.array([1.0, 2.0, 3.0, 4.0], "float32").reshape(1, 2, 2, 1)
    layer = InstanceNormalization()  # tfa's default epsilon, 1e-3
    layer.build(x.shape)
    layer.set_weights([np.array([2.0], "float32"), np.array([0.5], "float32")])  # gamma, beta
    y = keras.ops.convert_to_numpy(layer(x))
    expected = 2.0 * (np.array([1, 2, 3, 4]) - 2.5) / np.sqrt(1.25 + 1e-3) + 0.5
    np.testing.assert_allclose(y.ravel(), expected, rtol=1e-5)


def test_instance_norm_statistics_are_per_example_and_channel():
    rng = np.random.default_rng(0)
    scale = np.array([1.0, 10.0, 0.1], "float32")
    shift = np.array([[5.0, -3.0, 0.0]], "float32").T  # a different shift per example
    x = (rng.normal(size=(3, 6, 5, 3)) * scale + shift[:, None, None, :]).astype("float32")
    y = keras.ops.convert_to_numpy(InstanceNormalization(epsilon=1e-6)(x))
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(1, 2)), 1.0, rtol=1e-3)
    # the same thing as Keras' GroupNormalization with one group per channel (what tfa's layer wraps)
    group = keras.layers.GroupNormalization(groups=-1, epsilon=1e-6)
    np.testing.assert_allclose(y, keras.ops.convert_to_numpy(group(x)), atol=1e-5)


@pytest.mark.parametrize("center, scale, params", [(True, True, 2 * 7), (True, False, 7), (False, False, 0)])
def test_instance_norm_parameter_count(center, scale, params):
    model = keras.Sequential([keras.Input((4, 4, 7)), InstanceNormalization(center=center, scale=scale)])
    assert model.count_params() == params
    assert len(model.non_trainable_weights) == 0


def test_reflection_padding_matches_numpy():
    a = np.arange(9, dtype="float32").reshape(3, 3)
    x = a.reshape(1, 3, 3, 1)
    y = keras.ops.convert_to_numpy(ReflectionPadding2D(1)(x))[0, :, :, 0]
    np.testing.assert_array_equal(y, np.pad(a, 1, mode="reflect"))
    # by hand: the border is not repeated
    np.testing.assert_array_equal(y[0], [4, 3, 4, 5, 4])
    np.testing.assert_array_equal(y[:, 0], [4, 1, 4, 7, 4])


@pytest.mark.parametrize("padding, pads", [
    ((1, 2), ((1, 1), (2, 2))),
    (((2, 0), (1, 3)), ((2, 0), (1, 3))),
])
def test_reflection_padding_asymmetric_batched(padding, pads):
    x = np.random.default_rng(1).normal(size=(2, 4, 5, 3)).astype("float32")
    layer = ReflectionPadding2D(padding)
    y = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_array_equal(y, np.pad(x, ((0, 0),) + pads + ((0, 0),), mode="reflect"))
    assert layer.compute_output_shape((None, 4, 5, 3)) == (None, 4 + sum(pads[0]), 5 + sum(pads[1]), 3)


def test_reflection_padding_rejects_padding_larger_than_the_image():
    with pytest.raises(ValueError):
        keras.Sequential([keras.Input((3, 3, 1)), ReflectionPadding2D(3)])


def test_round_trip_through_a_keras_file(tmp_path):
    inputs = keras.Input((6, 6, 2))
    x = ReflectionPadding2D((1, 1))(inputs)
    x = keras.layers.Conv2D(4, 3)(x)
    x = InstanceNormalization(epsilon=1e-5, gamma_initializer="random_normal", beta_initializer="random_normal")(x)
    model = keras.Model(inputs, x)
    data = np.random.default_rng(2).normal(size=(2, 6, 6, 2)).astype("float32")
    path = tmp_path / "norm_pad.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    assert loaded.layers[1].padding == ((1, 1), (1, 1)) and loaded.layers[3].epsilon == 1e-5
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0), atol=1e-6)
