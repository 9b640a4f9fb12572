"""Helpers that keep losses and noise correct under ``tf.distribute`` strategies."""

from __future__ import annotations

import tensorflow as tf


def replica_count() -> int:
    """Replicas in sync in the current strategy (1 outside any strategy)."""
    return tf.distribute.get_strategy().num_replicas_in_sync


def replica_slice(global_batch: tf.Tensor, per_replica: int | tf.Tensor) -> tf.Tensor:
    """This replica's share of a batch drawn for all replicas, so 1 and N replicas see the same noise."""
    context = tf.distribute.get_replica_context()
    replica = context.replica_id_in_sync_group if context is not None else 0
    start = tf.cast(replica, tf.int32) * tf.cast(per_replica, tf.int32)
    return global_batch[start : start + per_replica]


def several_replicas() -> bool:
    """True inside one of several replicas (a replica function such as ``train_step`` under ``MirroredStrategy``);
    False on one device and in a strategy's cross-replica context, where a tensor holds the whole batch."""
    return replica_count() > 1 and tf.distribute.get_replica_context() is not None


def gather_replicas(x: tf.Tensor) -> tf.Tensor:
    """The global batch: every replica's part of ``x`` in replica order (replica r holds part r of each global batch
    ``fit`` distributes), the same on every replica; ``x`` itself on one device."""
    if not several_replicas():
        return x
    # all_gather drops the static shape (so the global batch gets it back); the identity gives a batch straight
    # from a multi-worker input pipeline a device, without which all_gather fails ("destinations can not be empty")
    gathered = tf.distribute.get_replica_context().all_gather(tf.identity(x), axis=0)
    rows = None if x.shape[0] is None else x.shape[0] * replica_count()
    return tf.ensure_shape(gathered, [rows, *x.shape[1:]])


def split_global_batch(x: tf.Tensor, parts: int) -> list[tf.Tensor]:
    """``tf.split`` of the global batch into ``parts``, each cut down to this replica's share.

    On one device ``tf.split(x, parts)``. With several replicas, splitting each replica's part instead would give
    part i other examples (replica 0's first half and replica 1's first half, not the global batch's first half).
    """
    if not several_replicas():
        return tf.split(x, parts)
    share = tf.shape(x)[0] // parts
    return [replica_slice(part, share) for part in tf.split(gather_replicas(x), parts)]


def global_mean(x: tf.Tensor) -> tf.Tensor:
    """The mean over the global batch (axis 0), the same on every replica: for losses that are not means of
    per-example terms, such as a distance between batch means. Replicas hold equal parts (as ``fit`` gives them), so
    this is the all-reduced mean of their means; its gradient is all-reduced back, so with
    :func:`divide_by_replicas` each replica's examples get their share of the global gradient. On one device the
    plain batch mean."""
    mean = tf.reduce_mean(x, axis=0)
    if not several_replicas():
        return mean
    return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.MEAN, mean)


def global_draw(draw, shape_per_replica: tuple) -> tf.Tensor:
    """``draw(shape)`` for the global batch, sliced to this replica's share, so N replicas see the noise one device
    draws (a stateful draw, such as a Keras ``SeedGenerator``'s, would give every replica the same numbers);
    ``draw(shape_per_replica)`` on one device."""
    if not several_replicas():
        return draw(shape_per_replica)
    n = shape_per_replica[0]
    return replica_slice(draw((n * replica_count(), *shape_per_replica[1:])), n)


def divide_by_replicas(loss: tf.Tensor) -> tf.Tensor:
    """This replica's share of the global mean loss: its own mean loss divided by the replica count.

    Strategies *sum* the replicas' gradients, so each replica differentiates ``loss / replicas`` and the sum is
    the gradient of the mean over the global batch (1 replica: the loss itself). Not to be confused with the
    mixed-precision loss scaling of ``optimizer.scale_loss`` (see :func:`with_loss_scaling`).
    """
    return loss / tf.cast(replica_count(), loss.dtype)


def step_noise(shape_per_replica: tuple, seed: int, step: tf.Tensor, stream: int, streams: int) -> tf.Tensor:
    """Standard normal noise that is a pure function of (seed, training step, stream).

    Stateless, so training that resumes from a checkpoint draws exactly the noise it would have
    drawn without the interruption; ``stream`` separates several draws within one step.
    """
    n = shape_per_replica[0]
    global_shape = (n * replica_count(), *shape_per_replica[1:])
    counter = tf.cast(step, tf.int64) * streams + stream
    seeds = tf.stack([tf.constant(seed, tf.int64), counter])
    return replica_slice(portable_normal(global_shape, seeds), n)


def portable_normal(shape, seeds: tf.Tensor) -> tf.Tensor:
    """Stateless N(0, 1) noise that XLA and the plain TensorFlow kernels draw alike.

    ``tf.random.stateless_normal`` gives other numbers inside ``jit_compile=True`` functions than
    outside them (measured on TF 2.21, even with ``alg="philox"``), while the integer Philox bits
    agree. So: 24 random bits per value -> a uniform in (0, 1) -> the inverse normal CDF.
    """
    bits = tf.random.stateless_uniform(shape, seed=seeds, minval=None, maxval=None, dtype=tf.uint32, alg="philox")
    # float64: in float32 the largest value, 1 - 2^-25, would round to 1.0 and give +inf
    uniform = (tf.cast(tf.bitwise.right_shift(bits, 8), tf.float64) + 0.5) * (2.0**-24)
    return tf.cast(tf.math.ndtri(uniform), tf.float32)


def mixed_precision_active() -> bool:
    """True when the global Keras dtype policy computes in float16 (``mixed_float16``)."""
    import keras

    return keras.mixed_precision.global_policy().compute_dtype == "float16"


def with_loss_scaling(optimizer):
    """Wrap an optimizer in ``LossScaleOptimizer`` under ``mixed_float16`` (bfloat16 needs no scaling).

    A custom ``train_step`` then differentiates ``optimizer.scale_loss(loss)`` (the loss times the current loss
    scale, so small float16 gradients do not underflow); the wrapper unscales the gradients (and skips steps whose
    gradients overflow) in ``apply_gradients``. :func:`gancore.training.two_player.apply_update` does both.
    """
    import keras

    if mixed_precision_active() and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer
