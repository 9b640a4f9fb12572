"""Helpers for the WGAN seed-project chapters (S1-S3): they all drive :func:`gancore.app.train_command.train`.

A simulated interruption in the middle of an epoch, a snapshot of everything a resume must restore
(both networks, both optimizers, the step), the critic's Wasserstein estimate, the seed S2 latent
traversal, a settings table next to a seed's, and a GIF shown inline in a notebook or on the site.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path

import keras
import numpy as np


class Interrupt(keras.callbacks.Callback):
    """Raises ``KeyboardInterrupt`` after training step ``step`` (a Ctrl-C in the middle of an epoch)."""

    def __init__(self, step: int):
        super().__init__()
        self.step = int(step)

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.step_counter().numpy()) >= self.step:
            raise KeyboardInterrupt(f"simulated interruption after step {self.step}")


def training_state(gan) -> dict[str, list[np.ndarray]]:
    """Copies of what a resume must restore: both networks' weights (with batchnorm statistics) and both
    optimizers' variables (slots and iteration counters; the generator's counter is the step)."""
    return {name: [np.array(v) for v in part.variables]
            for name, part in (("generator", gan.generator), ("critic", gan.discriminator),
                               ("generator optimizer", gan.g_optimizer), ("critic optimizer", gan.d_optimizer))}


class StateAtStart(keras.callbacks.Callback):
    """Records :func:`training_state` when training begins (after a backup has been restored)."""

    def __init__(self):
        super().__init__()
        self.state: dict[str, list[np.ndarray]] | None = None

    def on_train_begin(self, logs=None):
        self.state = training_state(self.model)


def compare_states(a: Mapping[str, list[np.ndarray]], b: Mapping[str, list[np.ndarray]]) -> dict[str, dict]:
    """Per part: the number of variables, whether all are bitwise equal, and the largest absolute difference."""
    report = {}
    for name in a:
        pairs = list(zip(a[name], b[name]))
        diff = max((float(np.max(np.abs(x.astype("float64") - y.astype("float64")))) if x.size else 0.0
                    for x, y in pairs), default=0.0)
        same = len(a[name]) == len(b[name]) and all(np.array_equal(x, y) for x, y in pairs)
        report[name] = {"variables": len(a[name]), "equal": same, "max_abs_diff": diff}
    return report


def step_of(state: Mapping[str, list[np.ndarray]]) -> int:
    """The training step stored in a :func:`training_state` (the generator optimizer's iteration counter)."""
    for value in state["generator optimizer"]:
        if value.shape == () and np.issubdtype(value.dtype, np.integer):
            return int(value)
    raise ValueError("no iteration counter among the generator optimizer's variables")


def critic_estimate(critic, real: np.ndarray, fake: np.ndarray, batch: int = 250) -> float:
    """mean C(real) - mean C(fake): the critic's estimate of the Wasserstein-1 distance (up to its Lipschitz
    constant), in inference mode."""
    def mean_score(x):
        return float(np.mean(np.concatenate([np.asarray(critic(x[i:i + batch], training=False))
                                             for i in range(0, len(x), batch)])))

    return mean_score(np.asarray(real, "float32")) - mean_score(np.asarray(fake, "float32"))


def component_grid(base: np.ndarray, values: np.ndarray, first: int = 0, last: int = -1) -> np.ndarray:
    """Latents for seed S2's traversal: row i sets component ``first`` to values[i], column j sets component
    ``last`` to values[j]; every other component stays as in ``base``. Shape (len(values)^2, d)."""
    base = np.asarray(base, "float64")
    n = len(values)
    grid = np.repeat(base[None], n * n, axis=0)
    grid[:, first] = np.repeat(values, n)
    grid[:, last] = np.tile(values, n)
    return grid


def settings_table(rows: list[tuple[str, object, object]], headers=("setting", "this run", "seed")) -> str:
    """A plain-text table of (setting, ours, seed's) rows, for printing."""
    cells = [tuple(str(c) for c in headers)] + [tuple(str(c) for c in row) for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(3)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def gif_html(path: str | Path, width: int | None = None) -> str:
    """An <img> tag holding the GIF itself (base64), so it plays in the notebook and on the static site."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    size = f' width="{width}"' if width else ""
    return f'<img src="data:image/gif;base64,{data}"{size} alt="{Path(path).name}"/>'
