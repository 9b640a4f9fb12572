"""WeightEMA: hand-computed averages, per step and per execution of several steps."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from gancore.training.ema import WeightEMA


class _Counting(keras.Model):
    """A 'generator' with one weight w; each train step adds 1 to w and counts the step."""

    def __init__(self):
        super().__init__()
        self.generator = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False,
                                                                                 kernel_initializer="zeros")])
        self.steps = tf.Variable(0, dtype=tf.int64, trainable=False)

    def step_counter(self):
        return self.steps

    def train_step(self, data):
        kernel = self.generator.layers[-1].kernel
        kernel.assign_add(tf.ones_like(kernel))
        self.steps.assign_add(1)
        return {"w": kernel[0, 0]}


def _fit(steps_per_execution, decay, warmup, steps=4):
    model = _Counting()
    model.compile(steps_per_execution=steps_per_execution)
    ema = WeightEMA("generator", decay=decay, warmup=warmup)
    model.fit(np.zeros((steps, 1), "float32"), batch_size=1, epochs=1, callbacks=[ema], verbose=0, shuffle=False)
    return float(ema.average.layers[-1].kernel.numpy()[0, 0]), model, ema


def test_keep_without_and_with_warmup():
    assert WeightEMA(decay=0.9, warmup=False).keep(0, 2) == pytest.approx(0.81, rel=1e-12, abs=0)
    # warm-up: min(0.9, 1/10) * min(0.9, 2/11) = 0.1 * 0.181818...
    assert WeightEMA(decay=0.9, warmup=True).keep(0, 2) == pytest.approx(0.1 * 2 / 11, rel=1e-12, abs=0)
    # late in training the warm-up factor exceeds the decay, which then applies: 0.9 ** 3
    assert WeightEMA(decay=0.9, warmup=True).keep(1000, 3) == pytest.approx(0.729, rel=1e-12, abs=0)


def test_average_per_step():
    # w = 1, 2, 3, 4 after each step, average starts at 0, decay 0.5:
    # 0.5, 1.25, 2.125, 3.0625
    value, _, _ = _fit(steps_per_execution=1, decay=0.5, warmup=False)
    np.testing.assert_allclose(value, 3.0625, rtol=1e-6, atol=0)


def test_average_per_execution_of_two_steps():
    # called after steps 2 and 4 with keep = 0.5 ** 2: 0.75 * 2 = 1.5, then 0.25 * 1.5 + 0.75 * 4 = 3.375
    value, _, _ = _fit(steps_per_execution=2, decay=0.5, warmup=False)
    np.testing.assert_allclose(value, 3.375, rtol=1e-6, atol=0)


def test_swapped_restores_the_trained_weights():
    _, model, ema = _fit(steps_per_execution=1, decay=0.5, warmup=False)
    kernel = model.generator.layers[-1].kernel
    with ema.swapped() as network:
        np.testing.assert_allclose(network.layers[-1].kernel.numpy()[0, 0], 3.0625, rtol=1e-6, atol=0)
    np.testing.assert_allclose(kernel.numpy()[0, 0], 4.0, rtol=0, atol=0)


def test_state_is_saved_and_resumed(tmp_path):
    state = tmp_path / "ema.weights.h5"
    model = _Counting()
    model.compile()
    ema = WeightEMA("generator", decay=0.5, warmup=False, state_path=state)
    model.fit(np.zeros((2, 1), "float32"), batch_size=1, epochs=1, callbacks=[ema], verbose=0)
    assert state.exists()  # average 1.25 after two steps
    resumed = WeightEMA("generator", decay=0.5, warmup=False, state_path=state)
    model.fit(np.zeros((2, 1), "float32"), batch_size=1, epochs=1, callbacks=[resumed], verbose=0)
    np.testing.assert_allclose(resumed.average.layers[-1].kernel.numpy()[0, 0], 3.0625, rtol=1e-6, atol=0)


def test_decay_must_be_below_one():
    with pytest.raises(ValueError):
        WeightEMA(decay=1.0)
