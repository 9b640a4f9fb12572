"""Short probes that chose dcgan-fashion's quick settings: one guideline-network run, FD of the last iterate and
of EMAs of the generator's weights at regular steps.

    python benchmarks/dcgan_fashion_probe.py --width 32 --lr_d 4e-4 --lr_g 4e-4 --steps 3000 --spe 500 --every 2 \
        --name w32lr4 --out benchmarks/dcgan_fashion_probes.json

Appends one record (settings, wall and CPU seconds, evaluation seconds, load average, FD per evaluation) to
``--out``. The machine is shared: compare FDs, not seconds, across records.
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

import keras
import numpy as np

from gancore.data import load_mnist
from gancore.data.arrays import scale_images_tanh
from gancore.metrics import DomainEvaluator
from gancore.models import dcgan
from gancore.training.callbacks import PeriodicMetrics
from gancore.training.fitting import fit_steps, step_indexed_dataset
from gancore.training.gan import GAN


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr_d", type=float, default=2e-4)
    p.add_argument("--lr_g", type=float, default=2e-4)
    p.add_argument("--beta1", type=float, default=0.5)
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--spe", type=int, default=250, help="steps per Keras epoch")
    p.add_argument("--every", type=int, default=1, help="evaluate every this many epochs")
    p.add_argument("--spx", type=int, default=25, help="steps_per_execution")
    p.add_argument("--decay", type=float, default=0.999, help="EMA decay of the generator's weights (with warm-up)")
    p.add_argument("--eval_samples", type=int, default=2000)
    p.add_argument("--policy", default="float32", help="Keras dtype policy, e.g. mixed_bfloat16")
    p.add_argument("--name", default="probe")
    p.add_argument("--out", default=None)
    a = p.parse_args()

    keras.mixed_precision.set_global_policy(a.policy)
    keras.utils.set_random_seed(1)
    fashion = load_mnist("fashion_mnist")
    evaluator = DomainEvaluator("fashion_mnist")
    z = np.random.default_rng(1).normal(size=(a.eval_samples, 100)).astype("float32")
    g = dcgan.build_guideline_generator(100, width=a.width)
    d = dcgan.build_guideline_discriminator(width=a.width)
    gan = GAN(generator=g, discriminator=d, latent_dim=100, loss="non_saturating", ema_decay=a.decay, ema_warmup=True,
              seed=1)
    gan.compile(d_optimizer=keras.optimizers.Adam(a.lr_d, beta_1=a.beta1),
                g_optimizer=keras.optimizers.Adam(a.lr_g, beta_1=a.beta1), steps_per_execution=a.spx)
    eval_seconds = [0.0]

    def quality():
        started = time.time()
        report = evaluator.evaluate(g.predict(z, batch_size=500, verbose=0), value_range=(-1, 1))
        out = {"fd": report.fd}
        r = evaluator.evaluate(gan.ema_generator.predict(z, batch_size=500, verbose=0), value_range=(-1, 1))
        out[f"fd_ema{a.decay}"] = r.fd
        out[f"largest_share_ema{a.decay}"] = float(r.histogram.max() / r.histogram.sum())
        eval_seconds[0] += time.time() - started
        return out

    tracker = PeriodicMetrics(quality, every=a.every, at_start=False)
    make = lambda start, n: step_indexed_dataset(fashion.x_train, a.batch, 1, start, n, scale_images_tanh)  # noqa: E731
    wall, cpu = time.time(), time.process_time()
    fit_steps(gan, make, a.steps, a.spe, callbacks=[tracker], verbose=0)
    wall, cpu = time.time() - wall, time.process_time() - cpu
    record = {"name": a.name, "settings": vars(a), "wall_seconds": wall, "cpu_seconds": cpu,
              "eval_seconds": eval_seconds[0], "train_steps_per_second": a.steps / (wall - eval_seconds[0]),
              "load_average_at_end": os.getloadavg(), "cpus": os.cpu_count(), "machine": platform.machine(),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "fd": [{"step": step, **values} for _, step, values in tracker.records]}
    print(json.dumps(record))
    if a.out:
        path = Path(a.out)
        records = json.loads(path.read_text()) if path.exists() else []
        path.write_text(json.dumps(records + [record], indent=1) + "\n")


if __name__ == "__main__":
    main()
