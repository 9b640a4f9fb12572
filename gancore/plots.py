"""Figures for the notebooks: image grids and labelled rows of images, sample grids over training, whole-run loss
curves, histograms, per-class accuracy and GIFs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from gancore.data.images import to_unit_range as unit_range


def to_unit_range(images, value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """Images for display: :func:`gancore.data.images.to_unit_range` (float32, clipped to [0, 1]) with a trailing
    channel of size 1 dropped, as ``imshow`` wants grey images."""
    x = unit_range(images, value_range)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    return x


def image_grid(images, rows: int | None = None, value_range=(0.0, 1.0), pad: int = 1) -> np.ndarray:
    """Tile N images (N,H,W[,C]) into one array in [0, 1], ``rows`` x ceil(N / rows), 1-pixel gaps."""
    x = to_unit_range(images, value_range)
    n, h, w = x.shape[:3]
    rows = rows or int(math.floor(math.sqrt(n)))
    cols = math.ceil(n / rows)
    grid_shape = (rows * (h + pad) - pad, cols * (w + pad) - pad, *x.shape[3:])
    grid = np.ones(grid_shape, dtype="float32")
    for i in range(n):
        r, c = divmod(i, cols)
        grid[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = x[i]
    return grid


def show_grid(images, rows: int | None = None, value_range=(0.0, 1.0), title: str | None = None,
              path: str | Path | None = None, size: float = 5.0):
    """Plot a grid of images (inline in notebooks) and optionally save it as PNG."""
    import matplotlib.pyplot as plt

    grid = image_grid(images, rows=rows, value_range=value_range)
    fig, ax = plt.subplots(figsize=(size, size * grid.shape[0] / grid.shape[1]))
    ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    _show_once(fig, path)


def _show_once(fig, path: str | Path | None = None) -> None:
    """Save (optionally), show and close ``fig``; returning nothing, so a plot that ends a notebook cell is
    drawn once, not a second time as the cell's value."""
    import matplotlib.pyplot as plt

    if path:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.show()
    plt.close(fig)


def show_figure(fig, path: str | Path | None = None) -> None:
    """Save a figure built elsewhere (a notebook, a chapter helper) as PNG when ``path`` is given, show it once and
    close it."""
    _show_once(fig, path)


def save_image(array01: np.ndarray, path: str | Path) -> None:
    """Write an array in [0, 1] (H,W or H,W,3) as an 8-bit PNG."""
    import imageio.v3 as iio

    iio.imwrite(path, (np.clip(array01, 0, 1) * 255).round().astype("uint8"))


def save_gif(frames: Sequence[np.ndarray], path: str | Path, fps: float = 4.0,
             labels: Sequence[str] | None = None, scale: int = 2) -> Path:
    """Write frames in [0, 1] as an animated GIF (nearest-neighbour upscaled by ``scale``)."""
    import imageio.v2 as imageio

    images = []
    for frame in frames:
        x = (np.clip(frame, 0, 1) * 255).round().astype("uint8")
        x = np.kron(x, np.ones((scale, scale) + (1,) * (x.ndim - 2), dtype="uint8"))
        images.append(x)
    imageio.mimsave(path, images, duration=1.0 / fps, loop=0)
    return Path(path)


def smooth(values: Sequence[float], window: int) -> np.ndarray:
    """Centred moving average with edge handling (window 1 returns the values)."""
    v = np.asarray(values, dtype="float64")
    if window <= 1 or len(v) < 3:
        return v
    window = min(window, len(v))
    kernel = np.ones(window) / window
    padded = np.pad(v, (window // 2, window - 1 - window // 2), mode="edge")
    return np.convolve(padded, kernel, mode="valid")


def plot_losses(history: Mapping[str, Sequence[float]], keys: Sequence[str], steps_per_point: int = 1,
                smooth_window: int | None = None, title: str = "Losses over the whole run",
                path: str | Path | None = None, reference: Mapping[str, float] | None = None):
    """Plot the whole run of each logged series (raw, faint, and smoothed) against training steps."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    for key in keys:
        values = np.asarray(history[key], dtype="float64")
        steps = (np.arange(len(values)) + 1) * steps_per_point
        window = smooth_window or max(1, len(values) // 20)
        line = ax.plot(steps, values, alpha=0.25)[0]
        ax.plot(steps, smooth(values, window), color=line.get_color(), label=key)
    for name, value in (reference or {}).items():
        ax.axhline(value, ls="--", color="grey", lw=1)
        ax.annotate(name, (ax.get_xlim()[0], value), fontsize=8, color="grey", va="bottom")
    ax.set_xlabel("training step")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    _show_once(fig, path)


def plot_class_histogram(counts: Sequence[int], title: str = "Predicted classes of generated samples",
                         class_names: Sequence[str] | None = None, path: str | Path | None = None):
    """Bar chart of how many samples fall in each class, with the uniform share marked."""
    import matplotlib.pyplot as plt

    counts = np.asarray(counts)
    names = class_names or [str(i) for i in range(len(counts))]
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.bar(names, counts, color="tab:blue")
    ax.axhline(counts.sum() / len(counts), ls="--", color="grey", lw=1, label="uniform")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    _show_once(fig, path)


def plot_latent_scatter(codes: np.ndarray, labels: np.ndarray, title: str = "Test images in the 2-D latent space",
                        path: str | Path | None = None):
    """Scatter of 2-D latent codes coloured by class (x = first coordinate, y = second)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5))
    points = ax.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", s=3, alpha=0.7)
    fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_title(title)
    fig.tight_layout()
    _show_once(fig, path)


def latent_manifold(decode, n: int, extent: float = 2.0) -> np.ndarray:
    """Decode an n x n grid over [-extent, extent]^2, laid out like a scatter plot.

    Column j holds z[0] = x_j (left to right), row i holds z[1] = y_i with the largest value on
    top, so the picture lines up with :func:`plot_latent_scatter`. Returns (n*h, n*w) in [0, 1].
    """
    xs = np.linspace(-extent, extent, n)
    ys = np.linspace(extent, -extent, n)
    z = np.array([[x, y] for y in ys for x in xs], dtype="float32")
    images = to_unit_range(np.asarray(decode(z)))
    h, w = images.shape[1:3]
    return images.reshape(n, n, h, w).transpose(0, 2, 1, 3).reshape(n * h, n * w)


def pick_frames(frames: Sequence, count: int = 4) -> list:
    """``count`` frames spread over a run, the last one included when ``len(frames)`` is a multiple of the
    stride: every ``len(frames) // count``-th frame, then the last ``count`` of those."""
    return list(frames[:: max(1, len(frames) // count)][-count:])


def saved_frames(folder: str | Path, pattern: str = "epoch_*.png") -> list[tuple[int, Path]]:
    """``(epoch, path)`` of the sample grids a :class:`~gancore.training.callbacks.SampleGrid` (or the trainer)
    wrote to ``folder`` as ``epoch_0003.png``, in file-name order."""
    return [(int(path.stem.split("_")[1]), path) for path in sorted(Path(folder).glob(pattern))]


def _frame_image(image):
    import matplotlib.pyplot as plt

    return plt.imread(image) if isinstance(image, (str, Path)) else np.asarray(image)


def frames_strip(frames: Sequence, count: int = 4, steps_per_epoch: int = 1, cmap: str | None = None,
                 size: tuple[float, float] = (3.0, 3.2), label: str = "", title: str | None = None,
                 path: str | Path | None = None):
    """Plot ``count`` of a run's sample grids side by side (:func:`pick_frames`), each titled with its step.

    ``frames``: ``(epoch, grid)`` pairs, e.g. ``SampleGrid.frames`` or :func:`saved_frames` (a grid may be a PNG
    path); a frame's step is ``epoch * steps_per_epoch``. ``size``: width per frame and height; ``label`` goes
    before "step" in each title; grey grids default to the ``gray`` colour map, on a fixed 0-1 scale.
    """
    import matplotlib.pyplot as plt

    shown = pick_frames(frames, count)
    fig, axes = plt.subplots(1, len(shown), figsize=(size[0] * len(shown), size[1]))
    for ax, (epoch, grid) in zip(np.atleast_1d(axes), shown):
        image = _frame_image(grid)
        ax.imshow(image, cmap=cmap or ("gray" if image.ndim == 2 else None), vmin=0, vmax=1)
        ax.set_title(f"{label}step {epoch * steps_per_epoch}")
        ax.axis("off")
    if title:
        fig.suptitle(title)
    _show_once(fig, path)


def frames_column(frames: Sequence, count: int = 6, steps_per_epoch: int = 1, width: float = 8.0,
                  title: str | None = None, path: str | Path | None = None):
    """Plot ``count`` of a run's one-row sample grids stacked top to bottom (:func:`pick_frames`), each row
    labelled with its step; ``width`` in inches, 1.4 inches of height per row. Draws nothing for fewer than two
    frames (nothing to compare)."""
    import matplotlib.pyplot as plt

    if len(frames) < 2:
        return
    shown = pick_frames(frames, count)
    fig, ax = plt.subplots(figsize=(width, 0.3 + 1.4 * len(shown)))
    ax.imshow(np.concatenate([_frame_image(grid) for _, grid in shown]))
    height = _frame_image(shown[0][1]).shape[0]
    ax.set_yticks([(i + 0.5) * height for i in range(len(shown))],
                  [f"step {epoch * steps_per_epoch}" for epoch, _ in shown])
    ax.set_xticks([])
    if title:
        ax.set_title(title)
    _show_once(fig, path)


def image_rows(rows: Sequence[tuple[str, np.ndarray]], value_range=(0.0, 1.0), size: tuple[float, float] = (1.4, 1.5),
               title: str | None = None, path: str | Path | None = None):
    """One row of images per ``(label, images)`` pair, the label left of its row (inputs, outputs, targets).

    ``size``: inches per image across and per row down; ``title`` above the first row.
    """
    import matplotlib.pyplot as plt

    columns = max(len(images) for _, images in rows)
    fig, axes = plt.subplots(len(rows), 1, figsize=(size[0] * columns, size[1] * len(rows)))
    for ax, (label, images) in zip(np.atleast_1d(axes), rows):
        grid = image_grid(np.asarray(images), rows=1, value_range=value_range)
        ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, vmin=0, vmax=1)
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        np.atleast_1d(axes)[0].set_title(title)
    fig.tight_layout()
    _show_once(fig, path)


def grid_panels(panels: Mapping[str, np.ndarray], rows: int | None = None, value_range=(0.0, 1.0),
                size: tuple[float, float] = (3.2, 3.6), fontsize: float | None = None, path: str | Path | None = None):
    """One image grid per ``{title: images}`` entry, side by side (samples of several runs or methods).

    ``size``: inches per panel across, and the height.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(size[0] * len(panels), size[1]), squeeze=False)
    for ax, (name, images) in zip(axes[0], panels.items()):
        grid = image_grid(np.asarray(images), rows=rows, value_range=value_range)
        ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, vmin=0, vmax=1)
        ax.set_title(name, fontsize=fontsize)
        ax.axis("off")
    fig.tight_layout()
    _show_once(fig, path)


def plot_class_accuracy(bars: Mapping[str, Sequence[float]], confusion: np.ndarray,
                        class_names: Sequence[str] | None = None, confusion_label: str = "class read by the classifier",
                        title: str = "share read as the requested class", path: str | Path | None = None):
    """Left: per-class accuracy bars of one or more models (chance at 1 / classes marked); right: the confusion
    table (rows: requested class, columns: class read) as shares of each row."""
    import matplotlib.pyplot as plt

    confusion = np.asarray(confusion, dtype="float64")
    n = len(confusion)
    names = list(class_names) if class_names is not None else [str(c) for c in range(n)]
    width = 0.8 / max(1, len(bars))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for i, (label, values) in enumerate(bars.items()):
        ax1.bar(np.arange(n) + (i - (len(bars) - 1) / 2) * width, values, width=width, label=label)
    ax1.axhline(1.0 / n, ls=":", color="red", label="chance")
    ax1.set_ylim(0, 1.02)
    ax1.set_title(title)
    ax1.legend(fontsize=8)
    ax2.imshow(confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1), cmap="Blues", vmin=0, vmax=1)
    ax2.set_xlabel(confusion_label)
    ax2.set_ylabel("requested class")
    for ax in (ax1, ax2):
        ax.set_xticks(range(n), names, rotation=45 if class_names is not None else 0,
                      ha="right" if class_names is not None else "center")
    ax2.set_yticks(range(n), names)
    fig.tight_layout()
    _show_once(fig, path)
