"""Helpers shared by the tests: network checks and the guard for the real MNIST data."""

from __future__ import annotations

import http.server
import os
import threading

import numpy as np
import pytest

from gancore import paths
from gancore.data import MnistData, load_mnist
from gancore.data.specs import IDX_FILES


def trainable(model) -> int:
    """Trainable parameters of a Keras model (``count_params`` also counts batchnorm's moving statistics)."""
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def check_small_forward(model, inputs: list[tuple[int, ...]], output: tuple[int, ...]) -> np.ndarray:
    """Run a batch of two uniform [-1, 1] inputs through ``model``; check the output shape, and that a generator's
    tanh output (three channels) stays in [-1, 1]. Returns the output."""
    rng = np.random.default_rng(0)
    batch = [rng.uniform(-1, 1, size=(2, *shape)).astype("float32") for shape in inputs]
    y = np.asarray(model(batch if len(batch) > 1 else batch[0], training=False))
    assert y.shape == (2, *output)
    if output[-1] == 3:
        assert np.abs(y).max() <= 1.0
    assert np.abs(y).max() > 0  # not a dead network
    return y


def real_data_or_skip(name: str) -> None:
    """Skip when the real IDX files of ``name`` are not fetched; in CI (``$CI`` set) fail instead."""
    folder = paths.data_dir() / name
    if all((folder / file).is_file() for file in IDX_FILES):
        return
    if os.environ.get("CI"):
        pytest.fail(f"{folder} is missing in CI: `make test` should have run data_scripts/fetch_data.py first")
    pytest.skip(f"{folder} not fetched; run `python data_scripts/fetch_data.py {name}`")


def real_mnist(name: str) -> MnistData:
    """The real MNIST or Fashion-MNIST, behind :func:`real_data_or_skip`."""
    real_data_or_skip(name)
    return load_mnist(name)


class LoopbackServer(http.server.ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 (a free port) that records its requests under a lock; the handler decides
    what each path serves."""

    daemon_threads = True

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]):
        super().__init__(("127.0.0.1", 0), handler)
        self.requests: list = []
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"
