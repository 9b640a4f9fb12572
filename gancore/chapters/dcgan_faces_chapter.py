"""What the two Skill 4 face chapters share (DCGAN anime faces, DCGAN celebrity faces): the training images, in
memory or streamed from disk, and the figure of sample quality over training.

The chapters keep their networks, their GAN and its settings, and their numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gancore import plots
from gancore.data import faces
from gancore.data.folders import step_indexed_folder_dataset
from gancore.data.images import to_tanh_range
from gancore.training.fitting import step_indexed_dataset


@dataclass
class FaceTrainingSet:
    """The training files, the decoded images when they fit in memory, and a uint8 reference set for the metrics
    (the images themselves in memory, else ``2 * eval_samples`` files drawn with the seed)."""

    files: list[Path]
    in_memory: bool
    images: np.ndarray | None
    reference: np.ndarray
    size: int

    def make_dataset(self, batch_size: int, seed: int, size: int | None = None):
        """``make_dataset(start, n)`` for ``fit_steps``: batch ``s`` drawn with the seed and the step, in [-1, 1];
        ``size``: resize the images to ``size`` x ``size`` (in memory: once, here; on disk: at decoding)."""
        if not self.in_memory:
            shape = (size or self.size,) * 2
            return lambda start, n: step_indexed_folder_dataset(self.files, shape, batch_size, seed, start, n)
        images = self.images if size is None else faces.resize_images(self.images, size)
        return lambda start, n: step_indexed_dataset(images, batch_size, seed, start, n, to_tanh_range)


def face_training_set(files: Sequence[Path], max_images: int | None, in_memory_limit: int, eval_samples: int,
                      seed: int, size: int = 56) -> FaceTrainingSet:
    """The first ``max_images`` of ``files`` (all with ``None`` or 0), decoded at ``size`` x ``size`` when there are
    at most ``in_memory_limit`` of them, else streamed step by step (a pure function of the step as well)."""
    files = list(files[:max_images] if max_images else files)
    if len(files) <= in_memory_limit:
        images = faces.load_images(files, size=size)
        return FaceTrainingSet(files, True, images, images, size)
    pick = np.random.default_rng(seed).choice(len(files), min(len(files), 2 * eval_samples), replace=False)
    return FaceTrainingSet(files, False, None, faces.load_images([files[i] for i in pick], size=size), size)


def plot_quality_over_training(records: Sequence[tuple[int, int, dict]], floor_fd: float, real_face_rate: float,
                               path: str | Path | None = None) -> None:
    """Pixel FD of the samples (log scale, with the real-vs-real floor) and the face detector's rate (right axis,
    with its rate on real images) at each evaluation of a ``PeriodicMetrics`` (``records``)."""
    import matplotlib.pyplot as plt

    steps_logged = [s for _, s, _ in records]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(steps_logged, [v["pixel_fd"] for _, _, v in records], "o-", label="pixel FD (generated vs real)")
    ax.axhline(floor_fd, ls="--", color="grey", label="real vs real")
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.legend(loc="upper left")
    rate_ax = ax.twinx()
    rate_ax.plot(steps_logged, [v["face_rate"] for _, _, v in records], "s-", color="tab:green",
                 label="face detector rate")
    rate_ax.axhline(real_face_rate, ls=":", color="tab:green", label="face rate, real")
    rate_ax.set_ylim(0, 1.05)
    rate_ax.legend(loc="upper right")
    plots.show_figure(fig, path)
