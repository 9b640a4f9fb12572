"""Race on Fashion-MNIST: the book's DCGAN recipe, the chapter's working variant and a plain compiled loop.

Three contenders train from scratch in one process, one after another, on the same data and are scored by the
same domain Frechet distance (Fashion-MNIST classifier features, the same ``--eval-samples`` noise vectors,
against the 10,000 test images):

* ``book``: the book's networks (``dcgan.build_book_generator`` / ``build_book_discriminator``, 2,360,833 and
  1,223,553 parameters) and settings (50 real + 50 fake images in one discriminator batch, 100 for the
  generator, Adam 1e-4 / 0.5), trained by the book's loop: a frozen-D combined model and ``train_on_batch``
  called from Python once per network per step (``train_throughput.BookLoop``);
* ``variant``: the dcgan-fashion chapter's ``quick`` recipe (guideline networks at width 32, batch 64, Adam
  4e-4 / 0.5 for both networks, an exponential moving average of G's weights with decay 0.999, scored on
  the average), trained by gancore's ``GAN`` with ``steps_per_execution`` and a tf.data pipeline;
* ``tutorial``: the kind of loop a learner writes from TensorFlow's DCGAN tutorial: its small networks
  (dense 7x7x256, two upsampling transposed convolutions; a two-convolution discriminator with dropout),
  batch 256, Adam 1e-4 for both, one ``tf.function`` step with two gradient tapes, a shuffled
  ``tf.data`` pipeline (written here, not imported).

The book runs first for ``--book-steps`` (1,000 by default); the FD it reaches there is the target. Each
contender's training time (evaluations excluded, tracing included) is summed, and its FD is recorded at every
evaluation; reported: the time each needs to reach the target (at the first evaluation at or below it, so the
resolution is one evaluation interval), and each one's FD at ``--budget`` seconds (600). The book's run
covers both (it is trained until both its step count and the budget are reached).

Usage: python benchmarks/dcgan_race.py [--budget 600] [--book-steps 1000] [--out benchmarks/race]
Not a test: on a 2-core CPU it takes about an hour, most of it the book's full-width networks.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from train_throughput import BookLoop, GancoreLoop, train_with_fd_curve  # benchmarks/, beside this script

from gancore.data import load_mnist
from gancore.metrics import DomainEvaluator
from gancore.models import dcgan

LATENT = 100


def tutorial_networks(seed: int) -> tuple[keras.Model, keras.Model]:
    """Networks of the TensorFlow DCGAN tutorial's shape: G 100 -> 7x7x256 -> 7x7x128 -> 14x14x64 -> 28x28x1."""
    keras.utils.set_random_seed(seed)
    layers = keras.layers
    generator = keras.Sequential([
        keras.Input((LATENT,)),
        layers.Dense(7 * 7 * 256, use_bias=False), layers.BatchNormalization(), layers.LeakyReLU(),
        layers.Reshape((7, 7, 256)),
        layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False), layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False), layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh"),
    ], name="tutorial_generator")
    discriminator = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, 5, strides=2, padding="same"), layers.LeakyReLU(), layers.Dropout(0.3),
        layers.Conv2D(128, 5, strides=2, padding="same"), layers.LeakyReLU(), layers.Dropout(0.3),
        layers.Flatten(), layers.Dense(1),
    ], name="tutorial_discriminator")
    return generator, discriminator


class TutorialLoop:
    """A plain compiled loop: one ``tf.function`` step with two tapes, batches from a shuffled tf.data set."""

    def __init__(self, images_uint8: np.ndarray, seed: int, batch_size: int = 256, learning_rate: float = 1e-4):
        self.generator, self.discriminator = tutorial_networks(seed)
        self.g_opt, self.d_opt = keras.optimizers.Adam(learning_rate), keras.optimizers.Adam(learning_rate)
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)
        self.batch_size = batch_size
        images = tf.data.Dataset.from_tensor_slices(images_uint8[..., None])
        self.batches = iter(images.shuffle(len(images_uint8), seed=seed).repeat()
                            .map(lambda x: tf.cast(x, tf.float32) / 127.5 - 1.0).batch(batch_size, drop_remainder=True)
                            .prefetch(tf.data.AUTOTUNE))

    @tf.function
    def step(self, real):
        noise = tf.random.normal([self.batch_size, LATENT])
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.generator(noise, training=True)
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            g_loss = self.bce(tf.ones_like(fake_logits), fake_logits)
            d_loss = self.bce(tf.ones_like(real_logits), real_logits) + self.bce(tf.zeros_like(fake_logits),
                                                                                  fake_logits)
        g_vars, d_vars = self.generator.trainable_variables, self.discriminator.trainable_variables
        self.g_opt.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars))
        self.d_opt.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars))
        return g_loss, d_loss

    def train(self, steps: int) -> int:
        for _ in range(steps):
            losses = self.step(next(self.batches))
        float(losses[0])  # wait for the last step before the clock stops
        return steps


def make_contender(name: str, data, seed: int):
    """(loop, generator used for scoring, value range of its images)."""
    if name == "book":
        keras.utils.set_random_seed(seed)
        g, d = dcgan.build_book_generator(LATENT), dcgan.build_book_discriminator()
        images01 = data.x_train.astype("float32")[..., None] / 255.0
        return BookLoop(g, d, images01, 50, LATENT, 1e-4, seed, tanh=False), g, (0, 1)
    if name == "variant":
        keras.utils.set_random_seed(seed)
        g, d = dcgan.build_guideline_generator(LATENT, width=32), dcgan.build_guideline_discriminator(width=32)
        loop = GancoreLoop(g, d, data.x_train, 64, LATENT, 4e-4, seed, steps_per_execution=25,
                           ema_decay=0.999, mixed_batches=False, frozen_d_in_g_step=False, g_batch_factor=1)
        return loop, loop.gan.ema_generator, (-1, 1)
    loop = TutorialLoop(data.x_train, seed)
    return loop, loop.generator, (-1, 1)


def run(name: str, data, evaluator, z, seed: int, budget: float, every: int, min_steps: int = 0) -> dict:
    loop, generator, value_range = make_contender(name, data, seed)
    curve = train_with_fd_curve(name, loop, generator, evaluator, z, every,
                                lambda steps, seconds, _: seconds >= budget and steps >= min_steps, value_range)
    trained, wall, _ = curve[-1]
    return {"curve": curve, "steps_per_second": trained / wall}


def fd_at_seconds(curve, seconds):
    """FD of the last evaluation made within ``seconds`` of training (None if none)."""
    within = [fd for _, wall, fd in curve if wall <= seconds]
    return within[-1] if within else None


def seconds_to(curve, target):
    """Training seconds at the first evaluation with FD <= target (None if never)."""
    return next((wall for _, wall, fd in curve if fd <= target), None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=600.0, help="training seconds per contender")
    parser.add_argument("--book-steps", type=int, default=1000, help="the book's FD after these steps is the target")
    parser.add_argument("--eval-samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--contenders", nargs="*", default=["book", "variant", "tutorial"])
    parser.add_argument("--eval-every", nargs=3, type=int, default=[100, 500, 100],
                        metavar=("BOOK", "VARIANT", "TUTORIAL"),
                        help="steps between evaluations of each contender (about 3 min, 30 s and 1.5 min here)")
    parser.add_argument("--out", default=str(Path(__file__).with_name("race")))
    args = parser.parse_args()

    data = load_mnist("fashion_mnist")
    evaluator = DomainEvaluator("fashion_mnist")
    z = np.random.default_rng(99).normal(size=(args.eval_samples, LATENT)).astype("float32")
    runs = {}
    every = dict(zip(("book", "variant", "tutorial"), args.eval_every))
    for name in args.contenders:
        runs[name] = run(name, data, evaluator, z, args.seed, args.budget, every[name],
                         min_steps=args.book_steps if name == "book" else 0)
    book_curve = runs["book"]["curve"] if "book" in runs else None
    target = next((fd for step, _, fd in book_curve if step >= args.book_steps), None) if book_curve else None
    book_seconds = seconds_to(book_curve, target) if target is not None else None
    for r in runs.values():
        r["fd_at_budget"] = fd_at_seconds(r["curve"], args.budget)
        r["seconds_to_book_fd"] = seconds_to(r["curve"], target) if target is not None else None
        r["speedup_vs_book"] = (book_seconds / r["seconds_to_book_fd"]
                                if book_seconds and r["seconds_to_book_fd"] else None)
    result = {"settings": vars(args), "target_fd": target, "runs": runs,
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "tensorflow": tf.__version__,
                          "keras": keras.__version__, "load_average_at_end": os.getloadavg(),
                          "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}}
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    fmt = lambda v, spec: "not reached" if v is None else format(v, spec)  # noqa: E731
    lines = ["# DCGAN race on Fashion-MNIST", "",
             f"Target: the domain FD of the book's recipe after {args.book_steps} steps = {fmt(target, '.1f')}. "
             f"Budget {args.budget:.0f} s of training per contender (evaluations excluded). "
             f"Machine: {os.cpu_count()} CPUs, TF {tf.__version__}; load average at the end "
             f"{os.getloadavg()[0]:.1f}; {result['machine']['date']}.", "",
             "| contender | steps per second | seconds to the target | speedup vs book | FD at the budget | "
             "steps in the budget |", "|---|---:|---:|---:|---:|---:|"]
    for name, r in runs.items():
        steps_in_budget = max([s for s, wall, _ in r["curve"] if wall <= args.budget], default=0)
        lines.append(f"| {name} | {r['steps_per_second']:.2f} | {fmt(r['seconds_to_book_fd'], '.0f')} | "
                     f"{fmt(r['speedup_vs_book'], '.1f')} | {fmt(r['fd_at_budget'], '.1f')} | {steps_in_budget} |")
    lines += ["", "FD curves (step, training seconds, FD): "
              + json.dumps({k: v["curve"] for k, v in runs.items()}), ""]
    out.with_suffix(".md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
