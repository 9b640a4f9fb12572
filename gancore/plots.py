"""Figures for the notebooks: image grids, whole-run loss curves, histograms and GIFs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np


def to_unit_range(images, value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """Map images from ``value_range`` to [0, 1] (clipped), dropping a trailing channel of size 1."""
    x = np.asarray(images, dtype="float32")
    lo, hi = value_range
    x = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
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
