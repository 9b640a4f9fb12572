"""Benchmark: gancore's training (``GAN`` + ``fit_steps``) against the book's ``train_on_batch`` loop.

Both sides train the same DCGAN-guideline networks on Fashion-MNIST with the book's batch pattern
(``real_batch`` real + ``real_batch`` fake images in one discriminator batch, then ``2 * real_batch``
noise vectors for the generator), the non-saturating loss and Adam 2e-4 / 0.5 (two optimizers each).

* book style: a frozen-D combined model and ``train_on_batch``, real images picked with
  ``np.random.choice`` from an in-memory float array, fakes from ``generator.predict_on_batch``,
  ``np.vstack`` of fakes and reals, all driven from Python one step at a time;
* gancore: ``GAN(mixed_batches=True, frozen_d_in_g_step=True)`` compiled with
  ``steps_per_execution``, real batches from
  ``step_indexed_dataset`` (tf.data, prefetching), noise drawn inside the compiled step.

Two figures, measured in one process so the machine's load affects both alike:
1. throughput: steps per second of each, timed in alternating blocks after a warm-up, and their ratio;
2. time to quality: wall time (evaluations excluded) for each to reach the same domain FD.

Each side's rate is also given in GFLOP/s (FLOPs of a step counted from the layers by ``flops.py``) and
set against the machine's peak, measured here on a large matrix product and a 3x3 convolution.
``--nets mlp`` runs the throughput part on the Skill 2 book MLPs instead (MNIST, sigmoid output), and
``--spe-sweep`` times gancore at several ``steps_per_execution`` values to show the per-call overhead.

Usage: python benchmarks/train_throughput.py [--nets guideline|mlp] [--width 32] [--target-fd 60]
       [--spe-sweep 1 10 200] [--out benchmarks/results]
Not a test: it takes minutes and its numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import flops  # benchmarks/flops.py, beside this script
import keras
import numpy as np
import tensorflow as tf

from gancore.data import load_mnist
from gancore.data.arrays import scale_images
from gancore.metrics import DomainEvaluator
from gancore.models import dcgan
from gancore.training.fitting import step_indexed_dataset
from gancore.training.gan import GAN


def build_networks(width: int, latent_dim: int, seed: int, nets: str = "guideline"):
    keras.utils.set_random_seed(seed)
    if nets == "mlp":
        from gancore.models import mlp_gan

        return mlp_gan.build_mlp_generator(latent_dim), mlp_gan.build_mlp_discriminator()
    return (dcgan.build_guideline_generator(latent_dim, width=width),
            dcgan.build_guideline_discriminator(width=width))


def measure_peak(seconds: float = 3.0) -> dict[str, float]:
    """GFLOP/s of a 2048x2048 float32 matrix product and of a 3x3 convolution (16x64x64x128 -> 128), each
    repeated inside one compiled function for about ``seconds``; the larger is the machine's peak here."""
    results = {}
    a = tf.random.normal((2048, 2048))
    image, kernel = tf.random.normal((16, 64, 64, 128)), tf.random.normal((3, 3, 128, 128))
    cases = {"matmul_2048": (lambda: tf.matmul(a, a), 2 * 2048**3),
             "conv3x3_64px_128ch": (lambda: tf.nn.conv2d(image, kernel, 1, "SAME"), 2 * 9 * 128 * 128 * 64 * 64 * 16)}
    for name, (op, flop) in cases.items():
        @tf.function
        def repeat(n, op=op):
            out = tf.constant(0.0)
            for _ in tf.range(n):
                out += tf.reduce_sum(op())
            return out

        repeat(tf.constant(2))  # trace and warm up
        n, elapsed = 2, 0.0
        while elapsed < seconds / 4:
            n *= 2
            started = time.perf_counter()
            repeat(tf.constant(n)).numpy()
            elapsed = time.perf_counter() - started
        reps = max(1, int(n * seconds / elapsed))
        started = time.perf_counter()
        repeat(tf.constant(reps)).numpy()
        results[name] = flop * reps / (time.perf_counter() - started) / 1e9
    results["peak"] = max(results.values())
    return results


class BookLoop:
    """The book's training loop (Skill 2-4) on Keras 3: combined model, D frozen inside it, train_on_batch."""

    def __init__(self, generator, discriminator, images01: np.ndarray, real_batch: int, latent_dim: int,
                 learning_rate: float, seed: int, tanh: bool = True):
        self.generator, self.discriminator = generator, discriminator
        self.images = images01 * 2.0 - 1.0 if tanh else images01  # in memory as float32 (the book held float64)
        self.real_batch, self.latent_dim = real_batch, latent_dim
        self.rng = np.random.default_rng(seed)
        bce = keras.losses.BinaryCrossentropy(from_logits=True)
        # Keras 3 refuses one optimizer for two models, so each gets its own Adam (the book shared one).
        discriminator.compile(optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5), loss=bce)
        discriminator.trainable = False
        z = keras.Input((latent_dim,))
        self.combined = keras.Model(z, discriminator(generator(z)))
        self.combined.compile(optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5), loss=bce)
        discriminator.trainable = True
        self.labels = np.concatenate([np.zeros((real_batch, 1)), np.ones((real_batch, 1))]).astype("float32")
        self.ones = np.ones((2 * real_batch, 1), "float32")

    def step(self):
        noise = self.rng.standard_normal((self.real_batch, self.latent_dim)).astype("float32")
        fake = self.generator.predict_on_batch(noise)
        real = self.images[np.random.choice(len(self.images), size=self.real_batch)]
        self.discriminator.trainable = True
        d_loss = self.discriminator.train_on_batch(np.vstack((fake, real)), self.labels)
        self.discriminator.trainable = False
        noise = self.rng.standard_normal((2 * self.real_batch, self.latent_dim)).astype("float32")
        g_loss = self.combined.train_on_batch(noise, self.ones)
        return d_loss, g_loss

    def train(self, steps: int):
        for _ in range(steps):
            self.step()


class GancoreLoop:
    """``GAN`` compiled with ``steps_per_execution`` and fed by a step-indexed tf.data pipeline."""

    def __init__(self, generator, discriminator, images_uint8: np.ndarray, real_batch: int, latent_dim: int,
                 learning_rate: float, seed: int, steps_per_execution: int, tanh: bool = True,
                 jit_compile: bool = False, **gan_options):
        # by default the book's pattern: one mixed D batch, and D frozen (batchnorm on moving averages) in the G step
        options = {"g_batch_factor": 2, "mixed_batches": True, "frozen_d_in_g_step": True, **gan_options}
        if options.get("ema_decay"):
            options.setdefault("ema_warmup", True)
        self.gan = GAN(generator=generator, discriminator=discriminator, latent_dim=latent_dim,
                       loss="non_saturating", seed=seed, **options)
        self.gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
                         g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
                         steps_per_execution=steps_per_execution, jit_compile=jit_compile)
        self.spe = steps_per_execution
        self.images, self.real_batch, self.seed = images_uint8, real_batch, seed
        self.scale = (lambda b: scale_images(b) * 2.0 - 1.0) if tanh else scale_images
        self.position = 0
        self.generator = generator

    def train(self, steps: int):
        steps = max(self.spe, steps - steps % self.spe)
        dataset = step_indexed_dataset(self.images, self.real_batch, self.seed, self.position, steps, self.scale)
        self.gan.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0)  # the compiled step is reused
        self.position += steps
        return steps


def fd_of(generator, evaluator, z, value_range=(-1, 1)):
    return evaluator.fd(generator.predict(z, batch_size=500, verbose=0), value_range=value_range)


def train_with_fd_curve(name, loop, generator, evaluator, z, every, stop, value_range=(-1, 1)) -> list:
    """Train ``loop`` in chunks of ``every`` steps, scoring ``generator`` after each, until ``stop(steps, seconds,
    fd)`` is true. Returns the curve [[steps, training seconds, FD], ...]; evaluations are not on the clock."""
    trained, wall, curve = 0, 0.0, []
    while True:
        started = time.perf_counter()
        trained += loop.train(every) or every
        wall += time.perf_counter() - started
        fd = fd_of(generator, evaluator, z, value_range)
        curve.append([trained, round(wall, 2), round(float(fd), 2)])
        print(f"  {name}: step {trained}, {wall:.1f} s, FD {fd:.1f}", flush=True)
        if stop(trained, wall, fd):
            return curve


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nets", choices=("guideline", "mlp"), default="guideline")
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--real-batch", type=int, default=50)
    parser.add_argument("--latent-dim", type=int, default=None, help="default: 100 (guideline), 50 (mlp)")
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--steps-per-execution", type=int, default=50)
    parser.add_argument("--spe-sweep", type=int, nargs="*", default=[], help="also time gancore at these values")
    parser.add_argument("--xla", action="store_true", help="also time gancore with jit_compile=True (XLA on CPU)")
    parser.add_argument("--throughput-only", action="store_true", help="skip the time-to-FD part")
    parser.add_argument("--block", type=int, default=100, help="steps per timed block")
    parser.add_argument("--rounds", type=int, default=3, help="alternating timed blocks per side")
    parser.add_argument("--peak-seconds", type=float, default=3.0)
    parser.add_argument("--target-fd", type=float, default=60.0)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--eval-samples", type=int, default=1000)
    parser.add_argument("--max-steps", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=None, help="default: benchmarks/results (guideline), results_mlp (mlp)")
    args = parser.parse_args()
    mlp = args.nets == "mlp"
    args.latent_dim = args.latent_dim or (50 if mlp else 100)
    args.out = args.out or str(Path(__file__).with_name("results_mlp" if mlp else "results"))

    data = load_mnist("mnist" if mlp else "fashion_mnist")
    images01 = data.x_train.astype("float32")[..., None] / 255.0
    probe_g, probe_d = build_networks(args.width, args.latent_dim, args.seed, args.nets)
    step_flops = flops.gan_step_flops(probe_g, probe_d, args.real_batch, args.real_batch, 2 * args.real_batch)
    peak = measure_peak(args.peak_seconds)
    print(f"one step: {step_flops / 1e9:.2f} GFLOP; measured peak {peak['peak']:.0f} GFLOP/s "
          f"(matmul {peak['matmul_2048']:.0f}, 3x3 conv {peak['conv3x3_64px_128ch']:.0f})")

    def make(kind, spe=args.steps_per_execution, jit_compile=False):
        g, d = build_networks(args.width, args.latent_dim, args.seed, args.nets)  # identical initial weights
        if kind == "book":
            return BookLoop(g, d, images01, args.real_batch, args.latent_dim, args.learning_rate, args.seed,
                            tanh=not mlp)
        return GancoreLoop(g, d, data.x_train, args.real_batch, args.latent_dim, args.learning_rate, args.seed,
                           spe, tanh=not mlp, jit_compile=jit_compile)

    # 1. Throughput, alternating blocks after a warm-up (tracing) block; one rate per block for the spread.
    loops = {"book": make("book"), "gancore": make("gancore")}
    loops.update({f"gancore_spe{spe}": make("gancore", spe) for spe in args.spe_sweep})
    if args.xla:
        loops["gancore_xla"] = make("gancore", jit_compile=True)
    for loop in loops.values():
        loop.train(max([args.steps_per_execution, *args.spe_sweep]))
    block_rates = {kind: [] for kind in loops}
    for _ in range(args.rounds):
        for kind, loop in loops.items():
            started = time.perf_counter()
            done = loop.train(args.block) or args.block
            block_rates[kind].append(done / (time.perf_counter() - started))
    rate = {k: float(np.mean(v)) for k, v in block_rates.items()}
    spread = {k: float(np.std(v)) for k, v in block_rates.items()}
    gflops = {k: v * step_flops / 1e9 for k, v in rate.items()}
    for kind in loops:
        print(f"{kind}: {rate[kind]:.2f} +/- {spread[kind]:.2f} steps/s, {gflops[kind]:.0f} GFLOP/s "
              f"({gflops[kind] / peak['peak']:.0%} of peak)")
    print(f"ratio gancore / book: {rate['gancore'] / rate['book']:.2f}x")

    # 2. Time to the same domain FD, fresh networks, evaluation time excluded (DCGAN only).
    to_target, speedup = {}, None
    if not (mlp or args.throughput_only):
        evaluator = DomainEvaluator("fashion_mnist")
        z_eval = np.random.default_rng(99).normal(size=(args.eval_samples, args.latent_dim)).astype("float32")
        for kind in ("gancore", "book"):
            loop = make(kind)
            curve = train_with_fd_curve(kind, loop, loop.generator, evaluator, z_eval, args.eval_every,
                                        lambda steps, _, fd: fd <= args.target_fd or steps >= args.max_steps)
            trained, wall, fd = curve[-1]
            to_target[kind] = {"reached": fd <= args.target_fd, "steps": trained, "seconds": wall, "curve": curve}
        if all(v["reached"] for v in to_target.values()):
            speedup = to_target["book"]["seconds"] / to_target["gancore"]["seconds"]

    networks = (f"the Skill 2 book MLPs: G {probe_g.count_params():,} / D {probe_d.count_params():,} parameters" if mlp
                else f"DCGAN-guideline width {args.width}: G {probe_g.count_params():,} / D {probe_d.count_params():,} "
                     "parameters")
    result = {
        "networks": networks,
        "batch": f"D {args.real_batch} real + {args.real_batch} fake (one mixed batch), G {2 * args.real_batch}",
        "settings": vars(args), "flops_per_step": step_flops, "peak_gflops": peak,
        "throughput_steps_per_s": rate, "throughput_spread": spread, "throughput_blocks": block_rates,
        "gflops": gflops, "throughput_ratio": rate["gancore"] / rate["book"],
        "time_to_fd": to_target, "time_to_fd_speedup": speedup,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "tensorflow": tf.__version__,
                    "keras": keras.__version__, "load_average_at_end": os.getloadavg()},
    }
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2))
    lines = [
        "# Benchmark results: gancore vs the book-style loop", "",
        f"Networks: {networks}. Batch: {result['batch']}. {'MNIST' if mlp else 'Fashion-MNIST'}, "
        f"Adam {args.learning_rate} / 0.5. One step: {step_flops / 1e9:.2f} GFLOP (counted from the layers).",
        f"Machine: {os.cpu_count()} CPUs, TF {tf.__version__}, Keras {keras.__version__}; measured peak "
        f"{peak['peak']:.0f} GFLOP/s (2048x2048 matmul {peak['matmul_2048']:.0f}, 3x3 convolution "
        f"{peak['conv3x3_64px_128ch']:.0f}); load average at the end {os.getloadavg()[0]:.1f}. Rates are the mean "
        f"and standard deviation of {args.rounds} alternating blocks of {args.block} steps in one process.", "",
        "| loop | steps per second | GFLOP/s | share of peak |", "|---|---:|---:|---:|",
    ]
    for kind in loops:
        lines.append(f"| {kind} | {rate[kind]:.2f} +/- {spread[kind]:.2f} | {gflops[kind]:.0f} | "
                     f"{gflops[kind] / peak['peak']:.0%} |")
    lines += ["", f"gancore / book: {rate['gancore'] / rate['book']:.2f}x steps per second.", ""]
    if to_target:
        row = [f"| wall time to domain FD <= {args.target_fd:g} (s) "]
        for kind in ("book", "gancore"):
            v = to_target[kind]
            row.append(f"{v['seconds']:.0f} ({v['steps']} steps)" if v["reached"]
                       else f"not reached in {v['steps']} steps")
        row.append(f"{speedup:.2f}x" if speedup else "n/a")
        lines += ["| | book style | gancore | ratio |", "|---|---:|---:|---:|", " | ".join(row) + " |", "",
                  "FD curves (step, seconds, FD): " + json.dumps({k: v["curve"] for k, v in to_target.items()}), ""]
    out.with_suffix(".md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
