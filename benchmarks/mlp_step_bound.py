"""An upper bound for the Skill 2 MLP GAN's steps per second on this machine: the smallest compiled step.

The same networks (``mlp_gan``), batch (50 real + 50 fake for D, 100 for G) and Adam as
``train_throughput.py --nets mlp``, but one ``tf.function`` running ``n`` steps in a ``tf.range`` loop on one
fixed real batch: no data pipeline, no metrics, no stateless noise streams, no callbacks and no return to
Python between steps. Whatever a full training loop adds costs steps per second against this figure.

    python benchmarks/mlp_step_bound.py [--policy mixed_bfloat16] [--xla]

Prints steps per second over ``--rounds`` timed calls of ``--steps`` steps each (after one warm-up call).
"""

from __future__ import annotations

import argparse
import time

import keras
import numpy as np
import tensorflow as tf

from gancore.models import mlp_gan


def build(policy: str):
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(1)
    g, d = mlp_gan.build_mlp_generator(50), mlp_gan.build_mlp_discriminator()
    g_opt, d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5)
    g_opt.build(g.trainable_variables)
    d_opt.build(d.trainable_variables)
    return g, d, g_opt, d_opt


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policy", default="float32")
    parser.add_argument("--xla", action="store_true")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    g, d, g_opt, d_opt = build(args.policy)
    real = tf.random.uniform((50, 28, 28, 1))
    labels_d = tf.concat([tf.zeros((50, 1)), tf.ones((50, 1))], 0)

    def bce(labels, logits):
        logits = tf.cast(logits, tf.float32)
        return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))

    @tf.function(jit_compile=args.xla)
    def steps(n):
        total = tf.constant(0.0)
        for _ in tf.range(n):
            fake = g(tf.random.normal((50, 50)), training=True)
            with tf.GradientTape() as tape:
                d_loss = bce(labels_d, d(tf.concat([fake, tf.cast(real, fake.dtype)], 0), training=True))
            d_opt.apply_gradients(zip(tape.gradient(d_loss, d.trainable_variables), d.trainable_variables))
            with tf.GradientTape() as tape:
                g_loss = bce(tf.ones((100, 1)), d(g(tf.random.normal((100, 50)), training=True), training=False))
            g_opt.apply_gradients(zip(tape.gradient(g_loss, g.trainable_variables), g.trainable_variables))
            total += d_loss + g_loss
        return total

    steps(tf.constant(10)).numpy()
    rates = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        steps(tf.constant(args.steps)).numpy()
        rates.append(args.steps / (time.perf_counter() - started))
    print(f"policy {args.policy}, XLA {args.xla}: {np.mean(rates):.1f} +/- {np.std(rates):.1f} steps/s "
          f"({args.rounds} calls of {args.steps} steps)")


if __name__ == "__main__":
    main()
