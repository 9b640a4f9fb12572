"""Parameter counts of Keras models, as the chapters check them against the book's summaries."""

from __future__ import annotations

import keras
import numpy as np


def trainable_params(model: keras.Model) -> int:
    """Number of trained parameters (the book's "Trainable params")."""
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def total_and_frozen(model: keras.Model) -> tuple[int, int]:
    """``(all parameters, non-trainable ones)``: the book's "Total params" and "Non-trainable params" (batchnorm
    moving means and variances)."""
    return model.count_params(), sum(int(np.prod(v.shape)) for v in model.non_trainable_weights)
