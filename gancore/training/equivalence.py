"""Checks that a training step written out in a notebook is the step ``gancore`` trains with.

A chapter shows its algorithm as a short ``train_step`` a learner can read; :func:`compare_training` runs that
step and ``gancore``'s trainer side by side, from the same weights, optimizer settings and batches, and reports
how far their weights end up apart. :func:`assert_same_training` turns a gap above the tolerance into an error
that names the first variable that differs.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import keras
import numpy as np

from gancore.training.distribute import replica_count
from gancore.training.strategies import one_device

Trainer = keras.Model


@dataclass(frozen=True)
class StepComparison:
    """The outcome of :func:`compare_training`."""

    steps: int
    variables: int  # how many weight tensors were compared
    max_difference: float  # the largest absolute difference over all of them
    worst: str  # the name of the variable where it occurs
    shown_logs: dict
    reference_logs: dict

    def __str__(self) -> str:
        where = f"in {self.worst}" if self.max_difference else "every weight equal"
        return (f"{self.steps} steps, {self.variables} weight tensors compared: largest difference "
                f"{self.max_difference:.2e} ({where})")


@contextmanager
def python_random_kept() -> Iterator[None]:
    """Run a check without shifting the chapter's own randomness: Keras seeds every new layer from Python's
    ``random`` module, so networks built for a check would change the initial weights of every network the chapter
    builds afterwards. The state is restored on exit, also after an error."""
    state = random.getstate()
    try:
        yield
    finally:
        random.setstate(state)


@contextmanager
def side_check() -> Iterator[None]:
    """A check beside a chapter, such as :func:`assert_same_training` on fresh networks: it runs on one device
    (:func:`~gancore.training.strategies.one_device`; the shown steps are written for one) and leaves the chapter's
    randomness as it was (:func:`python_random_kept`)."""
    with python_random_kept(), one_device():
        yield


def clone_network(network: keras.Model) -> keras.Model:
    """A copy of ``network`` with the same architecture, the same current weights and the same random state.

    The random state is that of its dropout and noise layers: Keras keeps their seeds in variables that are not
    weights, and a clone draws new ones, so without them the copy would drop other units than the original.
    """
    copy = keras.models.clone_model(network)
    mine, theirs = copy.variables, network.variables
    if [tuple(v.shape) for v in mine] != [tuple(v.shape) for v in theirs]:
        raise ValueError(f"the clone of {network.name} does not have the original's variables")
    for variable, value in zip(mine, theirs):  # the weights and the seed generators' states
        variable.assign(value)
    return copy


def _weights(networks: Sequence[keras.Model]) -> list[tuple[str, np.ndarray]]:
    return [(w.path, keras.ops.convert_to_numpy(w)) for net in networks for w in net.weights]


def _scalars(logs: dict) -> dict:
    return {k: float(keras.ops.convert_to_numpy(v)) for k, v in logs.items()}


def compare_training(shown: Trainer, reference: Trainer, batches: Iterable, networks: Callable[[Trainer], Sequence]
                     ) -> StepComparison:
    """Run ``train_step`` of both compiled models on each batch and compare the networks' weights afterwards.

    ``networks(model)`` lists the networks whose weights must agree, in the same order for both models (for a
    GAN: ``lambda m: (m.generator, m.discriminator)``). The two models must start from equal weights (build the
    shown one from :func:`clone_network` copies) and equal optimizer settings; this is checked first. Under a
    strategy with several replicas it refuses: run it inside :func:`side_check`.
    """
    if replica_count() > 1:
        raise ValueError(f"the current strategy has {replica_count()} replicas, and the shown steps are written for "
                         "one device: build and compare the models inside `with side_check():`")
    before = [(x, y) for (_, x), (_, y) in zip(_weights(networks(shown)), _weights(networks(reference)))]
    start_gap = max((float(np.max(np.abs(np.asarray(x, float) - np.asarray(y, float)))) for x, y in before
                     if np.size(x)), default=0.0)
    if start_gap:
        raise ValueError(f"the two models start from different weights (largest difference {start_gap:.2e}): "
                         "build the shown model from clone_network() copies of the reference's networks")
    steps, shown_logs, reference_logs = 0, {}, {}
    for batch in batches:
        shown_logs = _scalars(shown.train_step(batch))
        reference_logs = _scalars(reference.train_step(batch))
        steps += 1
    pairs = list(zip(_weights(networks(shown)), _weights(networks(reference))))
    if not pairs or len(pairs) != len(_weights(networks(reference))):
        raise ValueError("the two models' networks do not have the same weights to compare")
    gaps = [(float(np.max(np.abs(a.astype(float) - b.astype(float)))) if a.size else 0.0, name)
            for (name, a), (_, b) in pairs]
    worst_gap, worst_name = max(gaps)
    return StepComparison(steps, len(pairs), worst_gap, worst_name, shown_logs, reference_logs)


def assert_same_training(shown: Trainer, reference: Trainer, batches: Iterable,
                         networks: Callable[[Trainer], Sequence], atol: float = 1e-6) -> StepComparison:
    """:func:`compare_training`, raising ``AssertionError`` when any weight differs by more than ``atol``."""
    result = compare_training(shown, reference, batches, networks)
    if not result.max_difference <= atol:
        raise AssertionError(f"the shown train_step does not train like gancore's: {result}; tolerance {atol:g}")
    return result
