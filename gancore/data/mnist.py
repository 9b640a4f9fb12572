"""MNIST and Fashion-MNIST as numpy arrays."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from gancore.data.idx import read_idx
from gancore.data.sources import ensure_dataset
from gancore.data.specs import get_spec

#: Class names of Fashion-MNIST, in label order.
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")


@dataclass(frozen=True)
class MnistData:
    """The four arrays of an MNIST-style data set (read-only: they are shared between callers)."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    def __repr__(self) -> str:
        return (f"MnistData({self.name!r}, x_train={self.x_train.shape}, x_test={self.x_test.shape}, "
                f"source={self.source!r})")


@functools.lru_cache(maxsize=8)
def load_mnist(name: str = "mnist") -> MnistData:
    """Load ``"mnist"`` or ``"fashion_mnist"`` (uint8 images N x 28 x 28, uint8 labels), fetching it if needed.

    The files come from the local cache or are fetched by :func:`gancore.data.sources.ensure_dataset`;
    the result is cached in-process, so later calls are free. ``source`` says where the files came from.
    """
    spec = get_spec(name)
    folder, source = ensure_dataset(spec)
    arrays = {}
    for key, file in (("x_train", "train-images-idx3-ubyte"), ("y_train", "train-labels-idx1-ubyte"),
                      ("x_test", "t10k-images-idx3-ubyte"), ("y_test", "t10k-labels-idx1-ubyte")):
        array = read_idx(folder / file)
        expected = spec.expected_shapes.get(file)
        if expected is not None and array.shape != expected:
            raise ValueError(f"{folder / file}: shape {array.shape}, expected {expected}")
        array.flags.writeable = False
        arrays[key] = array
    return MnistData(name=name, source=source, **arrays)
