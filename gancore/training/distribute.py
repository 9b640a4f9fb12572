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

    A custom ``train_step`` then calls ``optimizer.scale_loss(loss)`` before taking gradients; the
    wrapper unscales them (and skips steps whose gradients overflow) in ``apply_gradients``.
    """
    import keras

    if mixed_precision_active() and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def compile_two_optimizers(model, d_optimizer, g_optimizer, d_variables, g_variables, **compile_kwargs) -> None:
    """Attach one optimizer per network to ``model`` and build both now, on the variables each will update.

    Refuses one shared instance (current Keras builds an optimizer for one set of variables). Building both
    before ``fit``, inside any strategy scope, creates their slot variables at once, so checkpoints save and
    restore them and MirroredStrategy does not meet lazily created variables. Keras' own ``optimizer`` slot
    gets the generator's, so it is not a stray default. Mixed precision wraps each in loss scaling.
    """
    import keras

    if d_optimizer is g_optimizer:
        raise ValueError("Pass two optimizer instances: the discriminator and generator must not share one.")
    d_optimizer, g_optimizer = with_loss_scaling(d_optimizer), with_loss_scaling(g_optimizer)
    keras.Model.compile(model, optimizer=g_optimizer, **compile_kwargs)
    model.d_optimizer = d_optimizer
    model.g_optimizer = g_optimizer
    d_optimizer.build(list(d_variables))
    g_optimizer.build(list(g_variables))
    model.built = True  # both networks are built; callbacks such as BackupAndRestore require it


class GeneratorDiscriminatorModel:
    """Mixin for a ``keras.Model`` holding ``self.generator`` and ``self.discriminator`` trained with one optimizer
    each: ``compile(d_optimizer, g_optimizer)`` builds both (:func:`compile_two_optimizers`), ``metrics`` lists the
    ``self.trackers`` (name -> ``keras.metrics.Mean``, made by :meth:`track`), and the step counter is the
    generator optimizer's iteration count (restored with checkpoints)."""

    def track(self, *names: str) -> None:
        import keras

        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}

    def compile(self, d_optimizer, g_optimizer, **kwargs) -> None:
        """One optimizer per network (the book shared one Adam; Keras 3 refuses that), both built now."""
        compile_two_optimizers(self, d_optimizer, g_optimizer, self.discriminator.trainable_variables,
                               self.generator.trainable_variables, **kwargs)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def step_counter(self):
        return self.g_optimizer.iterations
