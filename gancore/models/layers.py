"""Reusable discriminator layers against mode collapse: minibatch standard deviation and PacGAN packing.

Both are plain Keras 3 layers built from ``keras.ops`` and registered for serialisation, so a model
that uses them saves to and loads from a ``.keras`` file.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="gancore")
class MinibatchStdDev(keras.layers.Layer):
    """Append one feature: the average standard deviation of the features across the minibatch.

    Karras et al. (2018, "Progressive growing of GANs"): for each feature (and position) take the
    standard deviation over a group of samples, average it to one number per group and append it as
    an extra channel to every sample of the group. A batch of near-identical fakes then carries a
    tell-tale small value that D can use, so G is pushed to vary its outputs.

    ``group_size=None`` uses the whole batch as one group; otherwise the batch must be a multiple of
    ``group_size`` and sample ``i`` belongs to group ``i % (batch // group_size)`` (StyleGAN's layout).
    The output has the input's shape with the last axis one longer.
    """

    def __init__(self, group_size: int | None = None, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        if group_size is not None and group_size < 2:
            raise ValueError(f"group_size must be >= 2 or None, got {group_size}")
        self.group_size = group_size
        self.epsilon = epsilon

    def call(self, x):
        shape = ops.shape(x)
        rest = tuple(x.shape[1:])
        feature_axes = tuple(range(1, len(rest) + 1))
        if self.group_size is None:
            centred = x - ops.mean(x, axis=0, keepdims=True)
            std = ops.sqrt(ops.mean(ops.square(centred), axis=0) + self.epsilon)  # (rest)
            stat = ops.mean(std)
            extra = ops.ones_like(x[..., :1]) * ops.cast(stat, x.dtype)
        else:
            g = self.group_size
            grouped = ops.reshape(x, (g, -1) + rest)  # (g, batch / g, rest)
            centred = grouped - ops.mean(grouped, axis=0, keepdims=True)
            std = ops.sqrt(ops.mean(ops.square(centred), axis=0) + self.epsilon)  # (batch / g, rest)
            stat = ops.mean(std, axis=feature_axes)  # (batch / g,)
            stat = ops.tile(stat, (g,))  # (batch,): sample i gets group i % (batch / g)
            stat = ops.reshape(stat, (shape[0],) + (1,) * len(rest))
            extra = ops.ones_like(x[..., :1]) * ops.cast(stat, x.dtype)
        return ops.concatenate([x, extra], axis=-1)

    def compute_output_shape(self, input_shape):
        last = input_shape[-1]
        return tuple(input_shape[:-1]) + (None if last is None else last + 1,)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="gancore")
class Pack(keras.layers.Layer):
    """PacGAN packing (Lin et al., 2018): join every ``m`` consecutive samples into one input.

    A batch of ``B`` samples shaped ``(B, ..., C)`` becomes ``(B / m, ..., m * C)``: samples
    ``m*i, ..., m*i + m - 1`` are concatenated along the last axis (the feature axis of vectors, the
    channel axis of images). D then judges packs of ``m`` samples that are all real or all fake, which
    lets it see a lack of variety. ``B`` must be a multiple of ``m``.
    """

    def __init__(self, m: int = 2, **kwargs):
        super().__init__(**kwargs)
        if m < 1:
            raise ValueError(f"m must be >= 1, got {m}")
        self.m = m

    def call(self, x):
        rest = tuple(x.shape[1:])
        if self.m == 1:
            return x
        y = ops.reshape(x, (-1, self.m) + rest)  # (B/m, m, ..., C)
        k = len(rest)
        perm = (0,) + tuple(range(2, k + 1)) + (1, k + 1)  # (B/m, ..., m, C)
        y = ops.transpose(y, perm)
        return ops.reshape(y, (-1,) + rest[:-1] + (self.m * rest[-1],))

    def compute_output_shape(self, input_shape):
        batch = input_shape[0]
        return ((None if batch is None else batch // self.m),) + tuple(input_shape[1:-1]) + (self.m * input_shape[-1],)

    def get_config(self):
        return {**super().get_config(), "m": self.m}


def scaled_channels(channels: int, width: float) -> int:
    """A layer's channel count scaled by ``width`` (1.0: the book's network; used for CPU-sized variants)."""
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    return max(1, round(channels * width))


def book_batchnorm(x):
    """The book's batchnorm (momentum 0.8, used by every Skill 6 and 7 network) applied to ``x``."""
    return keras.layers.BatchNormalization(momentum=0.8)(x)


def zero_layer(model: keras.Model, name: str) -> None:
    """Set every weight of ``model``'s layer ``name`` to zero (a residual branch's last layer, so that a model
    built around it starts exactly at what the branch is added to)."""
    for weight in model.get_layer(name).weights:
        weight.assign(keras.ops.zeros(weight.shape, weight.dtype))


def freeze_batchnorm_affine(model: keras.Model) -> int:
    """Fix every batchnorm layer's scale at 1 and offset at 0 (no longer trainable); return how many were frozen.

    The layers still normalise with batch statistics in training mode (unlike ``layer.trainable = False``,
    which would switch them to their moving averages). Used for the WGAN-clip critic: clipping the scale to
    [-c, c] shrinks every score to nothing, leaving it free lets the critic's slope grow without bound.
    """
    frozen = 0
    for layer in _all_layers(model):
        if isinstance(layer, keras.layers.BatchNormalization):
            for weight, value in ((layer.gamma, 1.0), (layer.beta, 0.0)):
                if weight is not None:
                    weight.assign(keras.ops.full(weight.shape, value, weight.dtype))
                    weight.trainable = False
            frozen += 1
    return frozen


def _all_layers(model: keras.Model) -> list:
    """Every layer of ``model``, including those inside nested models."""
    found = []
    for layer in model.layers:
        found.append(layer)
        if isinstance(layer, keras.Model):
            found.extend(_all_layers(layer))
    return found
