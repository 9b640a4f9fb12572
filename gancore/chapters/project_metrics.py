"""What the WGAN project chapters (S1-S3) measure on their runs' files: the sample quality of each saved generator
snapshot, and how varied a set of samples is."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np


def step_of_file(path: str | Path) -> int:
    """The training step in a snapshot's name, e.g. 300 for ``generator_step300.weights.h5``."""
    return int(re.search(r"step(\d+)", Path(path).name).group(1))


def saved_weights_curve(network: keras.Model, folder: str | Path,
                        score: Callable[[keras.Model], float]) -> list[tuple[int, float]]:
    """``(step, score(network))`` for every ``generator_step<k>.weights.h5`` in ``folder``, in step order, each
    snapshot loaded into ``network`` (a generator of the run's architecture) before it is scored."""
    curve = []
    for path in sorted(Path(folder).glob("generator_step*.weights.h5"), key=step_of_file):
        network.load_weights(path)
        curve.append((step_of_file(path), score(network)))
    return curve


def mean_pairwise_rms(images: np.ndarray, n: int = 200) -> float:
    """Mean root-mean-square difference over all pairs of the first ``n`` images (per pixel and channel, in the
    images' units): how much two samples differ; compare with the same number for real images."""
    f = np.asarray(images).reshape(len(images), -1)[:n].astype("float64")
    d2 = (f**2).sum(1)[:, None] + (f**2).sum(1)[None] - 2.0 * f @ f.T
    return float(np.sqrt(np.clip(d2, 0.0, None) / f.shape[1])[np.triu_indices(len(f), 1)].mean())
