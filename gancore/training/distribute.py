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


def scale_loss(loss: tf.Tensor) -> tf.Tensor:
    """Divide a per-replica mean loss by the replica count: strategies sum gradients across replicas."""
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
    noise = tf.random.stateless_normal(global_shape, seed=seeds)
    return replica_slice(noise, n)
