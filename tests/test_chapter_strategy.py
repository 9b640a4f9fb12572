"""The chapters' strategy switch: ``gancore run --strategy mirrored`` (``$GANCORE_STRATEGY``) trains a chapter on
every replica of the machine without a ``with strategy.scope():`` in its notebook.

:func:`gancore.training.strategies.activate` sets the strategy for the whole kernel; ``fit_steps`` makes a model
ready for several replicas (global batchnorm statistics, one step per execution); the chapters' side checks of the
shown ``train_step`` run on one device (:func:`gancore.training.equivalence.side_check`). The probes run in a fresh
process, because the CPU can only be split into logical devices before TensorFlow starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gancore.app import cli
from gancore.course import runner
from gancore.errors import UserError

ROOT = Path(__file__).resolve().parent.parent

PROBE = textwrap.dedent("""
    import json, os
    import numpy as np
    from gancore.training import strategies
    strategy = strategies.activate()  # from $GANCORE_STRATEGY, before any other TensorFlow work
    import keras
    import tensorflow as tf
    from gancore.training.equivalence import compare_training, side_check
    from gancore.training.fitting import fit_steps
    from gancore.training.gan import GAN

    keras.config.disable_interactive_logging()
    found = {"again_same": strategies.activate() is strategy, "describe": strategies.describe(strategy),
             "replicas": tf.distribute.get_strategy().num_replicas_in_sync}

    def networks(seed):
        keras.utils.set_random_seed(seed)
        g = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6)])
        d = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8), keras.layers.BatchNormalization(),
                              keras.layers.Dense(1)])
        return g, d

    g, d = networks(0)
    gan = GAN(g, d, latent_dim=4, seed=1)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2), steps_per_execution=2)
    found["variable"] = type(g.weights[0].value).__name__
    try:
        compare_training(gan, gan, [], lambda m: (m.generator,))
    except ValueError as error:
        found["compare_refused"] = str(error)
    with side_check():  # fresh networks on one device, the process's strategy lifted meanwhile
        found["inside_replicas"] = tf.distribute.get_strategy().num_replicas_in_sync
        found["inside_variable"] = type(networks(0)[0].weights[0].value).__name__
    found["after_replicas"] = tf.distribute.get_strategy().num_replicas_in_sync
    images = np.random.default_rng(0).uniform(-1, 1, (16, 6)).astype("float32")
    fit_steps(gan, lambda start, n: tf.data.Dataset.from_tensor_slices(images).batch(4).take(n), 4, 2, verbose=0)
    found["steps"] = int(gan.g_optimizer.iterations.numpy())
    found["steps_per_execution"] = int(gan.steps_per_execution)
    norms = [layer for layer in d.layers if isinstance(layer, keras.layers.BatchNormalization)]
    found["synchronized"] = [layer.synchronized for layer in norms]
    try:  # a global batch of 3 cannot be split over 2 replicas
        fit_steps(gan, lambda start, n: tf.data.Dataset.from_tensor_slices(images).batch(3, drop_remainder=True),
                  1, 1, verbose=0)
    except strategies.StrategyError as error:
        found["odd_batch_refused"] = str(error)
    from gancore.training.distribute import gather_replicas

    shapes = []

    @tf.function
    def gathered(x):
        shapes.append(gather_replicas(x).shape.as_list())  # traced once per replica
        return x

    batches = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices(images).batch(8))
    strategy.run(gathered, args=(next(iter(batches)),))
    found["gathered_shape"] = shapes[0]
    print("FOUND " + json.dumps(found))
""")


def probe(strategy: str | None, devices: str = "2") -> dict:
    env = {**os.environ, "GANCORE_CPU_DEVICES": devices, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("GANCORE_STRATEGY", None)
    if strategy is not None:
        env["GANCORE_STRATEGY"] = strategy
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, text=True, capture_output=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("FOUND "))
    return json.loads(line[len("FOUND "):])


def test_mirrored_chapter_strategy_spans_the_logical_devices_and_checks_run_on_one_device():
    found = probe("mirrored")
    assert found["replicas"] == 2 and found["again_same"]
    assert found["describe"].startswith("mirrored, 2 replicas (") and found["describe"].count("CPU:") == 2
    assert found["variable"] == "MirroredVariable"
    assert "build and compare the models inside `with side_check():`" in found["compare_refused"]
    assert (found["inside_replicas"], found["inside_variable"]) == (1, "ResourceVariable")
    assert found["after_replicas"] == 2  # restored after the check
    assert found["steps"] == 4  # 2 epochs of 2 steps, one step per execution (Keras' loop fails otherwise)
    assert found["steps_per_execution"] == 1 and found["synchronized"] == [True]
    assert found["odd_batch_refused"].startswith("a batch of 3 cannot be split evenly over 2 replicas")
    assert found["gathered_shape"][1:] == [6]  # the global batch keeps its static shape (layers build on it)


def test_without_a_strategy_a_chapter_trains_on_one_device_as_before():
    found = probe(None, devices="")
    assert (found["replicas"], found["describe"], found["variable"]) == (1, "one device", "ResourceVariable")
    assert "compare_refused" not in found and found["inside_replicas"] == 1
    assert found["steps"] == 4 and found["steps_per_execution"] == 2 and found["synchronized"] == [False]
    assert "odd_batch_refused" not in found  # one device takes any batch


def test_mirrored_on_one_device_says_how_to_try_two():
    found = probe("mirrored", devices="")
    assert found["replicas"] == 1 and found["variable"] == "MirroredVariable"
    assert found["describe"].startswith("mirrored, 1 replica (")
    assert "GANCORE_CPU_DEVICES=2 splits the CPU into two logical devices" in found["describe"]
    assert found["steps"] == 4 and "compare_refused" not in found


def test_chapters_refuse_multiworker_and_unknown_strategies_with_what_to_do(monkeypatch):
    from gancore.training import strategies

    with pytest.raises(strategies.StrategyError, match="one process per machine|gancore train --strategy multiworker"):
        strategies.activate("multiworker")
    with pytest.raises(strategies.StrategyError, match="GANCORE_STRATEGY='gpu'.*one, mirrored"):
        strategies.activate("gpu")
    with pytest.raises(UserError, match="--strategy 'multiworker': chapters train under one of one, mirrored"):
        runner.run_course("smoke", ["gan-digits"], strategy="multiworker", build_site=False)
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["run", "--strategy", "multiworker"])
    assert cli.build_parser().parse_args(["run", "--strategy", "mirrored"]).strategy == "mirrored"


@pytest.mark.chapters
def test_a_chapter_runs_under_gancore_run_strategy_mirrored(tmp_path):
    """gan-digits in smoke on two logical CPU devices: it finishes, its side check runs on one device, and its
    metrics.json records where it trained."""
    env = {**os.environ, "GANCORE_CPU_DEVICES": "2"}
    env.pop("GANCORE_STRATEGY", None)
    done = subprocess.run([sys.executable, "-m", "gancore", "run", "--profile", "smoke", "--strategy", "mirrored",
                           "--chapters", "gan-digits", "--out", str(tmp_path / "run"), "--outputs",
                           str(tmp_path / "outputs"), "--no-site"], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    record = json.loads((tmp_path / "outputs" / "gan-digits" / "metrics.json").read_text())
    assert record["strategy"].startswith("mirrored, 2 replicas")
    notebook = (tmp_path / "run" / "chapters" / "skill02" / "gan_digits.ipynb").read_text()
    assert "Strategy: mirrored, 2 replicas" in notebook
    assert "largest difference 0.00e+00" in notebook  # the side check, on one device
