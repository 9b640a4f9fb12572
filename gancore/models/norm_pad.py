"""Instance normalisation and reflection padding as plain Keras 3 layers (no TensorFlow Addons).

The book's Skill 8-9 networks use TensorFlow Addons' ``InstanceNormalization()`` (default arguments) and a small
``ReflectionPadding2D`` layer built on ``tf.pad(..., mode="REFLECT")``. TensorFlow Addons is end-of-life,
so both are rebuilt here from ``keras.ops`` and registered for serialisation: a model that uses them saves to
and loads from a ``.keras`` file.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="gancore")
class InstanceNormalization(keras.layers.Layer):
    """Normalise every example and every channel over its spatial axes (Ulyanov et al., 2016).

    For an input ``(batch, H, W, C)`` (channels last; any number of spatial axes works) each
    ``x[b, :, :, c]`` is shifted to mean 0 and scaled to variance 1 (the biased variance, as in
    ``tf.nn.moments``), then multiplied by ``gamma[c]`` and shifted by ``beta[c]``:

        y = gamma * (x - mean) / sqrt(var + epsilon) + beta

    The defaults match the Addons ``InstanceNormalization()`` as the book called it: ``epsilon=1e-3``,
    a learnable per-channel scale (``scale=True``, gamma, initialised to 1) and offset (``center=True``,
    beta, initialised to 0), so the layer has ``2 * C`` trainable parameters. Those are exactly the counts
    in the book's summaries (e.g. 512 per 256-channel layer of the ResNet generator). The statistics are
    computed from the input itself in training and inference alike; there are no moving averages.
    """

    def __init__(self, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 beta_initializer="zeros", gamma_initializer="ones", **kwargs):
        super().__init__(**kwargs)
        if epsilon < 0:
            raise ValueError(f"epsilon must be >= 0, got {epsilon}")
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = keras.initializers.get(beta_initializer)
        self.gamma_initializer = keras.initializers.get(gamma_initializer)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"InstanceNormalization needs (batch, spatial..., channels), got {input_shape}")
        channels = input_shape[-1]
        if channels is None:
            raise ValueError("the channel axis (last) of the input must be known")
        self.gamma = self.add_weight(shape=(channels,), initializer=self.gamma_initializer, name="gamma",
                                     trainable=True) if self.scale else None
        self.beta = self.add_weight(shape=(channels,), initializer=self.beta_initializer, name="beta",
                                    trainable=True) if self.center else None

    def call(self, x):
        axes = tuple(range(1, len(x.shape) - 1))
        mean, variance = ops.moments(x, axes=axes, keepdims=True)
        y = (x - mean) * ops.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            y = y * ops.cast(self.gamma, y.dtype)
        if self.beta is not None:
            y = y + ops.cast(self.beta, y.dtype)
        return y

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": keras.initializers.serialize(self.beta_initializer),
            "gamma_initializer": keras.initializers.serialize(self.gamma_initializer),
        }


def _pair(value, name: str) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    pair = tuple(int(v) for v in value)
    if len(pair) != 2:
        raise ValueError(f"{name} must be an int or a pair, got {value}")
    return pair


@keras.saving.register_keras_serializable(package="gancore")
class ReflectionPadding2D(keras.layers.Layer):
    """Pad the two spatial axes of ``(batch, H, W, C)`` by reflection (the border row/column is not repeated).

    ``padding`` is an int (all four sides), a pair ``(ph, pw)`` (top = bottom = ``ph``, left = right = ``pw``,
    the book's ``padding=(1, 1)`` form from the keras.io CycleGAN example) or a pair of pairs
    ``((top, bottom), (left, right))``. Like ``np.pad(..., mode="reflect")``, every amount must be smaller
    than the size of its axis.
    """

    def __init__(self, padding=(1, 1), **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, int):
            rows = cols = (padding, padding)
        else:
            first, second = padding
            rows = (first, first) if isinstance(first, int) else _pair(first, "padding[0]")
            cols = (second, second) if isinstance(second, int) else _pair(second, "padding[1]")
        if min(rows + cols) < 0:
            raise ValueError(f"padding must be >= 0, got {padding}")
        self.padding = (tuple(rows), tuple(cols))

    def call(self, x):
        (top, bottom), (left, right) = self.padding
        return ops.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), mode="reflect")

    def compute_output_shape(self, input_shape):
        (top, bottom), (left, right) = self.padding
        batch, height, width, channels = input_shape
        height = None if height is None else height + top + bottom
        width = None if width is None else width + left + right
        return batch, height, width, channels

    def build(self, input_shape):
        (top, bottom), (left, right) = self.padding
        _, height, width, _ = input_shape
        for size, amounts in ((height, (top, bottom)), (width, (left, right))):
            if size is not None and max(amounts) >= size:
                raise ValueError(f"reflection padding {amounts} needs an axis longer than {max(amounts)}, got {size}")

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}
