"""An exponential moving average (EMA) of a network's weights, kept beside the network during training.

The averaged copy is a second network with the same architecture whose weights follow
``average <- decay * average + (1 - decay) * current`` after every update of the original. Sampling
from the average of a GAN generator's recent weights smooths out the oscillation that adversarial
training leaves in the last iterate (Yazici et al., *The Unusual Effectiveness of Averaging in GAN
Training*, ICLR 2019). Trainers call :func:`update_average` inside ``train_step`` so the average
moves every step (also with ``steps_per_execution`` > 1) and is saved with the model's checkpoints.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


def averaged_copy(network: keras.Model, name: str | None = None) -> keras.Model:
    """A frozen clone of ``network`` that starts from its current weights (all of them, batchnorm statistics too)."""
    copy = keras.models.clone_model(network)
    copy.name = name or f"{network.name}_ema"
    copy.set_weights(network.get_weights())
    copy.trainable = False
    return copy


def update_average(average: keras.Model, network: keras.Model, decay: float | tf.Tensor) -> None:
    """``average <- decay * average + (1 - decay) * network`` for every weight, trainable or not.

    Batchnorm moving statistics are averaged like the rest; :func:`recalibrate_batchnorm` replaces them
    by the averaged network's own statistics if that matters."""
    for a, w in zip(average.weights, network.weights, strict=True):
        a.assign(decay * a + (1.0 - decay) * tf.cast(w, a.dtype))


def recalibrate_batchnorm(network: keras.Model, inputs: np.ndarray, batch_size: int = 100) -> int:
    """Reset every batchnorm layer's moving statistics to the mean and variance of its inputs over ``inputs``.

    Runs ``network`` in training mode batch by batch with the layers' momentum set to give an exact running
    mean of the per-batch statistics, then restores the momentum; other weights are untouched. Returns the
    number of batchnorm layers updated."""
    norms = [layer for layer in network._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]
    if not norms:
        return 0
    saved = [(layer.momentum, layer.trainable) for layer in norms]
    for layer in norms:
        layer.trainable = True  # a frozen Keras batchnorm layer runs in inference mode even when training=True
        layer.moving_mean.assign(tf.zeros_like(layer.moving_mean))
        layer.moving_variance.assign(tf.zeros_like(layer.moving_variance))
    try:
        for i, start in enumerate(range(0, len(inputs), batch_size)):
            for layer in norms:
                layer.momentum = i / (i + 1.0)  # new = i/(i+1) old + 1/(i+1) batch: the mean of the batches so far
            network(inputs[start : start + batch_size], training=True)
    finally:
        for layer, (momentum, trainable) in zip(norms, saved, strict=True):
            layer.momentum, layer.trainable = momentum, trainable
    return len(norms)
