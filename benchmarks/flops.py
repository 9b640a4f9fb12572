"""Floating-point operations of Keras networks and of one GAN training step, counted from the layers.

Counts the multiply-adds of Dense, Conv2D and Conv2DTranspose layers (2 FLOPs each); batchnorm,
activations, bias additions and the optimizer's update are left out (a few percent for these networks).
A training pass over a layer costs about three forward passes (the forward pass, the gradient with
respect to the layer's input and the gradient with respect to its weights), the usual estimate.
"""

from __future__ import annotations

import math

import keras


def _spatial(shape) -> int:
    return math.prod(int(d) for d in shape[1:-1])


def layer_flops(layer: keras.layers.Layer) -> int:
    """Forward FLOPs of one layer for one example (0 for layers without a matrix product)."""
    if isinstance(layer, keras.layers.Dense):
        fan_in = int(layer.kernel.shape[0])
        positions = math.prod(int(d) for d in layer.output.shape[1:-1]) or 1
        return 2 * fan_in * layer.units * positions
    if isinstance(layer, keras.layers.Conv2DTranspose):  # before Conv2D: it subclasses Conv2D in some versions
        kh, kw, _, c_in = (int(d) for d in layer.kernel.shape)  # (kh, kw, out, in)
        return 2 * kh * kw * c_in * layer.filters * _spatial(layer.input.shape)
    if isinstance(layer, keras.layers.Conv2D):
        kh, kw, c_in, _ = (int(d) for d in layer.kernel.shape)
        return 2 * kh * kw * c_in * layer.filters * _spatial(layer.output.shape)
    if isinstance(layer, keras.Model):
        return model_flops(layer)
    return 0


def model_flops(model: keras.Model) -> int:
    """Forward FLOPs of a (functional or sequential) model for one example."""
    return sum(layer_flops(layer) for layer in model.layers)


def gan_step_flops(generator: keras.Model, discriminator: keras.Model, real: int, fake: int, g_batch: int) -> int:
    """FLOPs of one GAN step: a discriminator update on ``real`` + ``fake`` images (the fakes generated
    without gradients), then a generator update on ``g_batch`` noise vectors through the discriminator
    (whose input gradient is needed, not its weight gradient)."""
    g, d = model_flops(generator), model_flops(discriminator)
    d_step = g * fake + 3 * d * (real + fake)
    g_step = 3 * g * g_batch + 2 * d * g_batch
    return d_step + g_step
