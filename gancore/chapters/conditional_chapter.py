"""What the Skill 6 class-conditional chapters share (CGAN digits, ACGAN fashion): generating the requested classes
in batches, and reading generated images back with a domain classifier, class by class."""

from __future__ import annotations

import numpy as np


def generate_classes(model, z: np.ndarray, labels: np.ndarray, batch_size: int = 500, **options) -> np.ndarray:
    """``model.generate(z, labels, **options)`` over the rows of ``z`` and ``labels``, ``batch_size`` at a time
    (e.g. ``averaged=True`` for the weight average of a ``ConditionalGAN`` or ``ACGAN``)."""
    return np.concatenate([model.generate(z[i : i + batch_size], labels[i : i + batch_size], **options).numpy()
                           for i in range(0, len(z), batch_size)])


def per_class_accuracy(predicted: np.ndarray, labels: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """For each class ``c``: the share of the images of class ``c`` (``labels``, e.g. the requested classes) that
    were read as ``c`` (``predicted``). Shape ``(num_classes,)``."""
    return np.array([(predicted[labels == c] == c).mean() for c in range(num_classes)])


def most_confused(confusion: np.ndarray) -> list[int | None]:
    """For each row (requested class) of a confusion table, the class most often read instead of it (``None``
    when no image of it was misread)."""
    wrong = np.asarray(confusion) - np.diag(np.diag(confusion))
    return [int(row.argmax()) if row.any() else None for row in wrong]
