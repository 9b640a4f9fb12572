"""Every trainer under ``tf.distribute.MirroredStrategy`` on two logical CPU devices (issue 17, parts 1 and 4).

From the same initial weights and the same global batches, :data:`tests.distribute_cases.STEPS` steps of ``fit()``
on two mirrored replicas give every variable of one device's run (networks, weight averages, image pools) to 1e-5:
losses are each replica's mean divided by the replica count, noise is one global draw sliced per replica, the
CycleGAN image pool is one pool for the global batch, and losses of batch means (SGAN's feature matching) use the
global batch's means. The cases run in two subprocesses (logical devices must be configured before TensorFlow
starts), side by side; see ``tests/distribute_cases.py`` for the tiny networks.

Two things differ by design, each measured against a one-device stand-in that does what the replicas do:
batchnorm statistics are per replica unless the layer is ``synchronized=True``, and a Keras dropout layer draws
the same mask on every replica.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.distribute_cases import CASES, REFERENCES, groups

ROOT = Path(__file__).resolve().parent.parent
PER_REPLICA = ("bn_plain", "bn_halves", "bn_synchronized", "dropout", "dropout_same_mask")
EXACT = [name for name in CASES if name not in PER_REPLICA]
TOLERANCE = 1e-5


def _run_in_two_processes(timeout: float = 600) -> dict[str, dict]:
    """Half of the cases in each of two subprocesses at once; both are killed if either fails or runs too long."""
    processes = [subprocess.Popen([sys.executable, "-m", "tests.distribute_cases", *group], cwd=ROOT, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for group in groups(2)]
    results = {}
    try:
        for process in processes:
            out, err = process.communicate(timeout=timeout)
            assert process.returncode == 0, err[-3000:]
            for line in out.splitlines():
                if line.startswith("RESULT "):
                    result = json.loads(line[len("RESULT "):])
                    results[result["name"]] = result
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return results


@pytest.fixture(scope="module")
def results() -> dict[str, dict]:
    found = _run_in_two_processes()
    for name, result in sorted(found.items()):  # shown with -s: the measured differences
        print(f"{name:24s} max difference {result['max_difference']:.1e} "
              f"(trainable {result['trainable_difference']:.1e}) moved {result['moved']:.2e}, "
              f"replicas differ by {result['replicas_differ_by']:.1e}, {result['seconds']:.1f} s")
    assert sorted(found) == sorted(CASES)
    return found


@pytest.mark.parametrize("name", EXACT)
def test_two_replicas_train_like_one_device(results, name):
    result = results[name]
    assert result["max_difference"] <= TOLERANCE, result  # every float variable, trainable or not
    assert result["moved"] >= 1e-3, result  # the steps changed the weights: not two untouched models compared
    assert result["integers_equal"], result  # step counters, pool counts, the pool's and the seed generators' states
    assert result["replicas_differ_by"] == 0.0, result  # the mirrored copies of every variable agree
    assert result["log_difference"] <= TOLERANCE, result  # the logged running means too


def test_plain_batchnorm_normalises_each_replica_on_its_own(results):
    """A plain ``BatchNormalization`` computes its batch statistics on each replica's part of the batch (2 x 8 here,
    not 16), so two replicas train another network than one device: the trainable weights differ by a few 1e-3
    after three SGD steps. That difference is exactly per-part statistics: one device normalising each half of the
    batch on its own (``HalvesNorm``) gives the mirrored run's trainable weights. Its moving statistics are updated
    on each replica from that replica's part only and are not synchronised, so the replicas' copies drift apart
    (a checkpoint keeps replica 0's). ``BatchNormalization(synchronized=True)`` all-reduces the statistics: then two
    replicas give one device's weights, moving statistics included, and the copies agree."""
    plain, halves, synchronized = results["bn_plain"], results["bn_halves"], results["bn_synchronized"]
    assert 1e-3 <= plain["trainable_difference"] <= 3e-2, plain  # measured 5.6e-3
    assert halves["trainable_difference"] <= TOLERANCE, halves  # mirrored plain batchnorm = per-half statistics
    assert 3e-3 <= plain["replicas_differ_by"] <= 1e-1, plain  # measured 1.4e-2: unsynchronised moving statistics
    assert synchronized["max_difference"] <= TOLERANCE and synchronized["replicas_differ_by"] == 0.0, synchronized
    assert synchronized["moved"] >= 1e-3


def test_keras_dropout_draws_the_same_mask_on_every_replica(results):
    """A Keras ``Dropout`` layer draws its mask from its seed generator, whose mirrored copies hold the same state on
    every replica: each replica drops the same units of its part of the batch, where one device draws one mask for
    the whole batch. So networks with dropout train differently on two replicas (1.9e-2 here after three SGD
    steps of a rate-0.5 layer), and exactly like one device that applies the mask drawn for the first half to the
    second half too (``SameMaskDropout``). The trainers' own noise does not have this problem: it is drawn for the
    global batch and sliced per replica."""
    plain, same_mask = results["dropout"], results["dropout_same_mask"]
    assert 3e-3 <= plain["trainable_difference"] <= 1e-1, plain  # measured 1.9e-2
    assert same_mask["max_difference"] <= TOLERANCE, same_mask
    assert plain["replicas_differ_by"] == 0.0  # the replicas agree with each other, not with one device


def test_cases_are_split_into_two_groups_with_their_references():
    parts = groups(2)
    assert sorted(parts[0] + parts[1]) == sorted(CASES) and abs(len(parts[0]) - len(parts[1])) <= 1
    for name, target in REFERENCES.items():
        assert any(target in part and part.index(target) < part.index(name) for part in parts)
    assert set(REFERENCES) < set(PER_REPLICA)
