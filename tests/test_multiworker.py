"""``gancore train`` beyond one device, against ``--strategy one`` on the same global batches.

Two logical CPU devices (``--strategy mirrored``) and two worker processes on 127.0.0.1 (``--strategy multiworker``:
``MultiWorkerMirroredStrategy`` over gRPC, the cluster in ``TF_CONFIG``) give one device's weights and optimizer
state; only the chief writes the run's files; after worker 1 is killed mid-run, the same commands on both workers
resume from the chief's backup and end with the uninterrupted run's state. Every training process runs with a
deadline and is killed if it overruns (or if the test fails), so no worker outlives its test.

The killed-and-resumed run costs two more multi-worker sessions (about 90 s here): it is marked ``multiworker`` and
runs with ``make test-multiworker`` (the whole file), not in ``make test``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import h5py
import imageio.v3 as iio
import numpy as np
import pytest

from gancore.app import cli, train_command
from gancore.training import strategies
from tests.helpers import real_mnist

# WGAN-GP with 2 critic updates per step, each on its own real images (the part of the global batch that needs
# care on several replicas), batchnorm in the generator, 3 epochs of 2 steps
OPTIONS = ["--image-size", "24", "--channels", "1", "--latent-dim", "8", "--width", "8", "--batch-size", "8",
           "--critic-steps", "2", "--steps", "6", "--steps-per-epoch", "2", "--seed", "3", "--progress", "none"]
SESSION_SECONDS = 300  # one session of training processes; about 20 s (one) to 60 s (two workers) here

# worker 1 of the interrupted session: SIGKILL itself (no clean-up, as a crash or a preempted machine) at step 3,
# mid-way through the second epoch, after the chief has backed up step 2
KILLED_AT_STEP_3 = textwrap.dedent("""
    import os, signal, sys
    import keras
    from gancore.app import cli, train_command

    class Die(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if int(self.model.step_counter().numpy()) == 3:
                os.kill(os.getpid(), signal.SIGKILL)

    fit_steps = train_command.fit_steps
    train_command.fit_steps = lambda *a, callbacks=(), **k: fit_steps(*a, callbacks=[*callbacks, Die()], **k)
    sys.exit(cli.main(sys.argv[1:]))
""")


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    """48 real Fashion-MNIST images as PNG files."""
    folder = tmp_path_factory.mktemp("images")
    for i, image in enumerate(real_mnist("fashion_mnist").x_train[:48]):
        iio.imwrite(folder / f"{i:03d}.png", image)
    return folder


def backup_state(path: Path) -> dict[str, np.ndarray]:
    """Every array of a saved GAN state (a backup or a full checkpoint): both networks, both optimizers' slots and
    step counters."""
    arrays = {}
    with h5py.File(path, "r") as handle:
        handle.visititems(lambda name, item: arrays.__setitem__(name, item[()]) if isinstance(item, h5py.Dataset)
                          else None)
    return arrays


def state(out: Path) -> dict[str, np.ndarray]:
    return backup_state(out / "backup" / "latest.weights.h5")


def largest_differences(a: dict, b: dict) -> tuple[float, float]:
    """(largest absolute difference of a network weight, largest difference of an optimizer variable relative to
    that variable's largest magnitude: Adam's second moments reach ~500 here, its first ~1e-3)."""
    assert a.keys() == b.keys()
    optimizers = ("d_optimizer", "g_optimizer")
    weights = max(float(np.abs(a[k] - b[k]).max()) for k in a if not k.startswith(optimizers))
    slots = max(float(np.abs(a[k] - b[k]).max() / max(np.abs(a[k]).max(), 1e-12)) for k in a
                if k.startswith(optimizers))
    return weights, slots


def assert_same_state(expected: dict, actual: dict) -> None:
    """Equal to float32 rounding: 1e-5 relative (Adam's second moments reach ~500 here) or 1e-5 absolute."""
    assert actual.keys() == expected.keys()
    for name in expected:
        np.testing.assert_allclose(actual[name], expected[name], rtol=1e-5, atol=1e-5, err_msg=name)
    steps = {k: int(v) for k, v in actual.items() if k.endswith("optimizer/vars/0")}  # the iteration counters
    assert steps == {k: int(v) for k, v in expected.items() if k.endswith("optimizer/vars/0")}


def report(what: str, expected: dict, actual: dict) -> None:
    """Print the measured differences (shown with ``pytest -s``)."""
    weights, slots = largest_differences(expected, actual)
    print(f"{what}: network weights differ by at most {weights:.2e}, optimizer variables by {slots:.2e} of their "
          "largest magnitude")


def free_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1 now (all held open together, so they differ)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class Session:
    """Training processes started together, each with its log file; :meth:`finish` waits for all of them until a
    shared deadline and kills every one still running on a timeout (and on any failure, as a context manager)."""

    def __init__(self, folder: Path):
        self.folder, self.processes, self.logs = folder, [], []
        folder.mkdir(parents=True, exist_ok=True)

    def start(self, args: list[str], env: dict[str, str], name: str) -> None:
        log = self.folder / f"{name}.log"
        with open(log, "w") as handle:  # the child keeps its own copy of the descriptor
            self.processes.append(subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT,
                                                   env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **env}))
        self.logs.append(log)

    def finish(self, seconds: float = SESSION_SECONDS) -> list[tuple[int, str]]:
        """(return code, output) of each process, in start order."""
        deadline = time.monotonic() + seconds
        for process in self.processes:
            try:
                process.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.kill()
                pytest.fail(f"training processes still running after {seconds} s (killed):\n{self.tails()}")
        return [(p.returncode, log.read_text()) for p, log in zip(self.processes, self.logs)]

    def kill(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)

    def tails(self) -> str:
        return "\n".join(f"--- {log.name}:\n{log.read_text()[-3000:]}" for log in self.logs)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


def train_args(data: Path, out: Path, *extra: str) -> list[str]:
    return ["train", "--data", str(data), "--out", str(out), *OPTIONS, *extra]


def two_workers(data: Path, outs: tuple[Path, Path], folder: Path, worker1_script: str | None = None):
    """Run ``--strategy multiworker`` on worker 0 (the chief) and worker 1 on fresh loopback ports; their temporary
    folders go to ``folder / "tmp"``. Returns [(return code, output)] of both."""
    ports = free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    tmp = folder / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    with Session(folder) as session:
        for index, out in enumerate(outs):
            env = {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
                   "TMPDIR": str(tmp)}
            launcher = ["-c", worker1_script] if index == 1 and worker1_script else ["-m", "gancore"]
            session.start([sys.executable, *launcher, *train_args(data, out, "--strategy", "multiworker")], env,
                          f"worker{index}")
        return session.finish()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def reference(image_folder, runs):
    """The run on one device (in this process)."""
    out = runs / "one"
    assert cli.main(train_args(image_folder, out)) == 0
    return out


@pytest.fixture(scope="module")
def multiworker_run(image_folder, runs):
    """Two workers, uninterrupted. Worker 1 gets an --out of its own, which it must never create (it writes only
    to its temporary folder), so that the test can tell the chief's writes from the other worker's."""
    started = time.monotonic()
    results = two_workers(image_folder, (runs / "two", runs / "two-worker1-out"), runs / "two-session")
    for code, output in results:
        assert code == 0, output[-3000:]
    return runs / "two", results, time.monotonic() - started


def test_the_reference_run_trains(reference):
    """Two-sided: the state moves between steps 2 and 6 by far more than the tolerance the comparisons allow."""
    weights, slots = largest_differences(backup_state(reference / "checkpoints" / "step2.weights.h5"),
                                         state(reference))
    assert weights > 1e-3 and slots > 1e-2


def test_mirrored_on_two_logical_cpu_devices_gives_one_devices_weights(reference, image_folder, runs):
    out = runs / "mirrored"
    with Session(runs / "mirrored-session") as session:
        session.start([sys.executable, "-m", "gancore", *train_args(image_folder, out, "--strategy", "mirrored")],
                      {"GANCORE_CPU_DEVICES": "2"}, "mirrored")
        [(code, output)] = session.finish()
    assert code == 0, output[-3000:]
    assert "batches of 8 24x24 images (global batch: 4 per replica on 2 replicas)" in output
    assert_same_state(state(reference), state(out))
    report("mirrored vs one", state(reference), state(out))


def test_two_workers_give_one_workers_weights(reference, multiworker_run):
    out, results, seconds = multiworker_run
    assert "global batch: 4 per replica on 2 replicas" in results[0][1]
    assert_same_state(state(reference), state(out))
    report(f"two workers vs one ({seconds:.0f} s)", state(reference), state(out))


def test_only_the_chief_writes_the_runs_files(multiworker_run, runs):
    out, results, _ = multiworker_run
    assert "worker 0 of 2 workers: the chief, writing" in results[0][1]
    assert "worker 1 of 2 workers: the chief writes" in results[1][1]
    assert sorted(p.name for p in (out / "samples").glob("*.png")) == [f"epoch_000{i}.png" for i in range(4)]
    assert sorted(p.name for p in (out / "weights").iterdir()) == [f"generator_step{s}.weights.h5" for s in (2, 4, 6)]
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == [f"step{s}.weights.h5" for s in (2, 4, 6)]
    assert (out / "generator.keras").is_file() and (out / "critic.keras").is_file()
    assert (out / "losses.csv").read_text().count("\n") == 4  # a header and one row per epoch
    assert not (runs / "two-worker1-out").exists()  # worker 1 never wrote to its --out
    assert list((runs / "two-session" / "tmp").iterdir()) == []  # and deleted its temporary folder


@pytest.mark.multiworker
def test_a_killed_worker_resumes_from_the_chiefs_backup(image_folder, multiworker_run, runs):
    out, folder = runs / "killed", runs / "killed-session"
    (killed_chief, chief_output), (killed_worker, _) = two_workers(image_folder, (out, out), folder, KILLED_AT_STEP_3)
    assert killed_worker == -9  # SIGKILL
    assert killed_chief == 2, chief_output[-3000:]  # the chief notices (within its health checks) and says what to do
    assert "lost contact with another worker" in chief_output
    assert "Run the same command on every worker again: training resumes from the last backup, step 2" in chief_output
    assert json.loads((out / "backup" / "training_metadata.json").read_text())["epoch"] == 1

    results = two_workers(image_folder, (out, out), runs / "resumed-session")
    for code, output in results:
        assert code == 0, output[-3000:]
        assert "Resuming from step 2" in output
    assert_same_state(state(multiworker_run[0]), state(out))
    report("resumed vs uninterrupted (two workers)", state(multiworker_run[0]), state(out))


@pytest.mark.multiworker
def test_a_one_device_run_continues_on_two_replicas(reference, image_folder, runs):
    """--strategy may change when a run resumes: steps 0-2 on one device, 2-6 on two, end as 0-6 on one."""
    out = runs / "continued"
    assert cli.main(train_args(image_folder, out, "--steps", "2")) == 0
    with Session(runs / "continued-session") as session:
        session.start([sys.executable, "-m", "gancore", *train_args(image_folder, out, "--strategy", "mirrored")],
                      {"GANCORE_CPU_DEVICES": "2"}, "mirrored")
        [(code, output)] = session.finish()
    assert code == 0, output[-3000:]
    assert "Resuming from step 2" in output and "Trained steps 2-6" in output
    assert_same_state(state(reference), state(out))
    report("one device to step 2, then two replicas, vs one device", state(reference), state(out))


# --- the options' checks, in this process ------------------------------------------------------------------------


def tiny_config(folder, out, **overrides) -> train_command.TrainConfig:
    settings = dict(data=folder, out=out, image_size=16, channels=1, latent_dim=8, width=8, batch_size=6,
                    critic_steps=1, steps=2, steps_per_epoch=1, samples=4, verbose=0, seed=1)
    return train_command.TrainConfig(**{**settings, **overrides})


def error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("gancore train: error: ")]
    assert len(lines) == 1, err
    return lines[0]


def test_the_global_batch_must_split_evenly_over_the_replicas(image_folder, tmp_path):
    config = tiny_config(image_folder, tmp_path / "run", strategy="mirrored")
    train_command.check_replicas(config, 2)  # 6 = 2 x 3
    with pytest.raises(train_command.TrainError, match=r"--batch-size 6 is the global batch, split over the 4 "
                       r"replicas of --strategy mirrored: use a multiple of 4 \(e.g. 8\)"):
        train_command.check_replicas(config, 4)


def test_multiworker_without_tf_config_and_xla_under_a_strategy_are_one_line(image_folder, tmp_path, capsys,
                                                                              monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    out = tmp_path / "run"
    assert cli.main(train_args(image_folder, out, "--strategy", "multiworker")) == 2
    line = error_line(capsys.readouterr().err)
    assert "needs TF_CONFIG" in line and '"task": {"type": "worker", "index": 0}' in line
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "worker", "index": 3}}')
    assert cli.main(train_args(image_folder, out, "--strategy", "multiworker")) == 2
    assert "task worker 3 is not in its cluster" in error_line(capsys.readouterr().err)
    assert cli.main(train_args(image_folder, out, "--strategy", "mirrored", "--xla")) == 2
    assert "--xla works with --strategy one only" in error_line(capsys.readouterr().err)
    assert not out.exists()


def test_cpu_devices_must_be_split_before_tensorflow_starts():
    import tensorflow as tf

    tf.constant(1.0)  # TensorFlow has started in this process
    strategies.split_cpu({})  # unset: nothing to do
    with pytest.raises(strategies.StrategyError, match="whole number"):
        strategies.split_cpu({strategies.CPU_DEVICES_ENV: "two"})
    with pytest.raises(strategies.StrategyError, match="must be set before TensorFlow starts"):
        strategies.split_cpu({strategies.CPU_DEVICES_ENV: "3"})


def test_strategy_and_xla_may_change_on_resume_mixed_precision_may_not(image_folder, tmp_path):
    old = tiny_config(image_folder, tmp_path)
    assert train_command.option_changes(old, tiny_config(image_folder, tmp_path, strategy="multiworker")) == []
    assert train_command.option_changes(old, tiny_config(image_folder, tmp_path, xla=True)) == []
    changed = train_command.option_changes(old, tiny_config(image_folder, tmp_path, mixed_precision=True))
    assert changed == ["--mixed-precision False -> True"]


def test_mixed_precision_computes_in_float16_and_leaves_the_policy_as_it_was(image_folder, tmp_path):
    import keras

    plain = train_command.train(tiny_config(image_folder, tmp_path / "plain"))
    mixed = train_command.train(tiny_config(image_folder, tmp_path / "mixed", mixed_precision=True))
    assert keras.mixed_precision.global_policy().name == "float32"
    generator = mixed.model.generator
    assert {layer.compute_dtype for layer in generator.layers if layer.weights} == {"float16"}
    assert {w.dtype for w in generator.weights} == {"float32"}
    assert type(mixed.model.g_optimizer).__name__ == "LossScaleOptimizer"
    assert {layer.compute_dtype for layer in plain.model.generator.layers if layer.weights} == {"float32"}
    d_loss = plain.history["d_loss"][-1], mixed.history["d_loss"][-1]
    assert d_loss[0] == pytest.approx(d_loss[1], rel=0.05, abs=0.05) and d_loss[0] != d_loss[1]  # float16 rounding
    assert len(list((tmp_path / "mixed" / "samples").glob("*.png"))) == 3
    more = train_command.train(tiny_config(image_folder, tmp_path / "mixed", mixed_precision=True, steps=3))
    assert (more.start_step, more.end_step) == (2, 3)  # the loss-scaled optimizers resume from the backup
