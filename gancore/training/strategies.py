"""Where training runs: one device, every device of one machine, or several machines.

``one`` is TensorFlow's default strategy (no distribution: the behaviour of a plain ``fit()``); ``mirrored`` is
``tf.distribute.MirroredStrategy`` over the machine's GPUs (or, without GPUs, its logical CPU devices: see
:data:`CPU_DEVICES_ENV`); ``multiworker`` is ``tf.distribute.MultiWorkerMirroredStrategy`` over the cluster that
``TF_CONFIG`` describes. A batch size is the global batch in all three: each of the N replicas computes on a
``batch / N`` share and the gradients are summed, so the same run trains the same way on 1 or N replicas.
``gancore train --strategy`` uses all three; the chapters (:data:`STRATEGY_ENV`) ``one`` and ``mirrored``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import keras
import tensorflow as tf

from gancore.errors import UserError

STRATEGIES = ("one", "mirrored", "multiworker")

#: A number N >= 2: the CPU is split into N logical devices before TensorFlow starts, so ``--strategy mirrored``
#: has N replicas on a machine without GPUs. A testing aid (the replicas share the same cores: no speed-up).
CPU_DEVICES_ENV = "GANCORE_CPU_DEVICES"


#: The strategy the chapter notebooks train under, ``one`` (unset) or ``mirrored``; ``gancore run --strategy`` sets it.
STRATEGY_ENV = "GANCORE_STRATEGY"
CHAPTER_STRATEGIES = ("one", "mirrored")


class StrategyError(UserError):
    """A strategy that cannot be set up as asked; the message says what to change."""


def split_cpu(environ: dict | None = None) -> None:
    """Split the first CPU into ``$GANCORE_CPU_DEVICES`` logical devices (unset or 1: leave it as it is).

    Only possible before TensorFlow has run its first operation; when the variable is unset nothing is touched
    (not even the device list, which would start TensorFlow before ``multiworker`` may configure it).
    """
    raw = (os.environ if environ is None else environ).get(CPU_DEVICES_ENV, "").strip()
    if not raw:
        return
    try:
        count = int(raw)
    except ValueError:
        count = 0
    if count < 1:
        raise StrategyError(f"{CPU_DEVICES_ENV}={raw!r}: give a whole number of logical CPU devices, e.g. 2")
    cpu = tf.config.list_physical_devices("CPU")[0]
    configured = tf.config.get_logical_device_configuration(cpu)
    if count == 1 or (configured is not None and len(configured) == count):
        return
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError:
        raise StrategyError(f"{CPU_DEVICES_ENV}={count} must be set before TensorFlow starts: set it in the "
                            "environment of a new process (e.g. before `gancore train` or before starting "
                            "JupyterLab)") from None


def cluster_spec(environ: dict | None = None) -> dict:
    """``TF_CONFIG`` parsed and checked: ``{"cluster": {...}, "task": {"type": ..., "index": ...}}``."""
    raw = (os.environ if environ is None else environ).get("TF_CONFIG", "")
    example = ('{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}} '
               '(index 1 on the second machine)')
    if not raw.strip():
        raise StrategyError(f"The multiworker strategy needs TF_CONFIG, the cluster and this worker's place in it, "
                            f"in the environment of every worker, e.g. TF_CONFIG='{example}'")
    try:
        spec = json.loads(raw)
        workers = spec["cluster"]["worker"]
        task_type, index = spec["task"]["type"], int(spec["task"]["index"])
    except (ValueError, KeyError, TypeError):
        raise StrategyError(f"TF_CONFIG is not a cluster description: {raw[:200]!r}; expected e.g. "
                            f"'{example}'") from None
    if task_type not in spec["cluster"] or not 0 <= index < len(spec["cluster"][task_type]):
        raise StrategyError(f"TF_CONFIG's task {task_type} {index} is not in its cluster {spec['cluster']}")
    if not workers:
        raise StrategyError("TF_CONFIG's cluster lists no worker")
    return spec


def make_strategy(name: str) -> tf.distribute.Strategy:
    """The ``tf.distribute`` strategy called ``name`` (one of :data:`STRATEGIES`); create it before any other
    TensorFlow work (``multiworker`` configures the collective operations, which TensorFlow allows only then)."""
    if name == "one":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus or tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if name == "multiworker":
        cluster_spec()
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise StrategyError(f"Unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")


def activate(name: str | None = None) -> tf.distribute.Strategy:
    """Make strategy ``name`` (default: ``$GANCORE_STRATEGY``, else ``one``) the process's current strategy, for
    code that builds and fits its models without a ``with strategy.scope():`` block, such as a chapter notebook.

    Every variable created afterwards is mirrored and ``fit`` splits each (global) batch over the replicas; call it
    before any other TensorFlow work (it splits the CPU as :data:`CPU_DEVICES_ENV` asks). A second call with the
    same name keeps the strategy already set. ``multiworker`` is refused: it needs one process per machine.
    """
    name = (os.environ.get(STRATEGY_ENV, "") if name is None else name).strip() or "one"
    if name not in CHAPTER_STRATEGIES:
        hint = (" (several machines need one process each: use `gancore train --strategy multiworker`)"
                if name == "multiworker" else "")
        raise StrategyError(f"{STRATEGY_ENV}={name!r}: a chapter trains under one of {', '.join(CHAPTER_STRATEGIES)}"
                            f"{hint}")
    current = tf.distribute.get_strategy()
    if name == "one" or isinstance(current, tf.distribute.MirroredStrategy):
        return current
    split_cpu()
    strategy = make_strategy(name)
    tf.distribute.experimental_set_strategy(strategy)
    return strategy


@contextmanager
def one_device() -> Iterator[None]:
    """Lift a strategy that :func:`activate` set for the whole process (a chapter on
    several replicas) while the block runs: variables created inside are plain one-device variables. A no-op
    otherwise; a ``with strategy.scope():`` block cannot be lifted (TensorFlow raises)."""
    if not tf.distribute.has_strategy():
        yield
        return
    current = tf.distribute.get_strategy()
    tf.distribute.experimental_set_strategy(None)  # raises inside a `with strategy.scope():` block
    try:
        yield
    finally:
        tf.distribute.experimental_set_strategy(current)


def describe(strategy: tf.distribute.Strategy) -> str:
    """``one device`` or e.g. ``mirrored, 2 replicas (/cpu:0, /cpu:1)``; one replica says how to try two."""
    if strategy.num_replicas_in_sync == 1 and not isinstance(strategy, tf.distribute.MirroredStrategy):
        return "one device"
    devices = ", ".join(getattr(strategy.extended, "worker_devices", ()))
    kind = "multiworker" if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) else "mirrored"
    replicas = strategy.num_replicas_in_sync
    if replicas == 1:  # mirrored on a machine with one device
        return (f"{kind}, 1 replica ({devices}: no GPU here; {CPU_DEVICES_ENV}=2 splits the CPU into two logical "
                "devices, to try it)")
    return f"{kind}, {replicas} replicas ({devices})"


@dataclass(frozen=True)
class Worker:
    """This process's place: ``chief`` writes the run's files; ``name`` is e.g. ``worker 1``."""

    chief: bool
    name: str
    workers: int


def worker_role(strategy: tf.distribute.Strategy) -> Worker:
    """The chief is the task of type ``chief``, or worker 0 when the cluster has no chief (as in the TF guide);
    outside ``multiworker`` this process is the only one, so the chief."""
    resolver = getattr(strategy.extended, "_cluster_resolver", None)
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) or resolver is None:
        return Worker(True, "chief", 1)
    task_type, task_id = resolver.task_type, resolver.task_id
    cluster = resolver.cluster_spec().as_dict()
    count = sum(len(tasks) for kind, tasks in cluster.items() if kind in ("chief", "worker"))
    if task_type is None:  # no cluster at all: a single local worker
        return Worker(True, "chief", 1)
    chief = task_type == "chief" or (task_type == "worker" and task_id == 0 and "chief" not in cluster)
    return Worker(chief, f"{task_type} {task_id}", count)


def synchronize_batchnorm(*models: keras.Model) -> int:
    """Make every ``BatchNormalization`` layer of ``models`` compute its batch statistics over the global batch
    (all replicas), as one device would; returns how many layers were switched. Only needed with 2+ replicas."""
    count = 0
    for model in models:
        for layer in _sublayers(model):
            if isinstance(layer, keras.layers.BatchNormalization) and not layer.synchronized:
                layer.synchronized = True
                count += 1
    return count


def prepare_for_replicas(model: keras.Model) -> None:
    """Before ``fit`` on several replicas: batchnorm statistics over the global batch (:func:`synchronize_batchnorm`)
    and one step per execution (with ``steps_per_execution`` > 1 Keras 3's compiled loop fails under
    ``MirroredStrategy``, "You must feed a value for placeholder tensor": keras-team/keras#19246). Changes only how
    often Keras returns to Python between steps, not what a step computes."""
    synchronize_batchnorm(model)
    if getattr(model, "steps_per_execution", 1) > 1:
        model.steps_per_execution = 1
        model.train_function = None  # rebuilt by the next fit with one step per call


def check_global_batch(dataset: tf.data.Dataset, replicas: int) -> None:
    """Refuse a dataset whose (static) batch size does not split evenly over ``replicas``: Keras would hand the
    replicas unequal shares (a batch of 1 on 2 replicas: 1 and 0 examples) and fail deep inside the step."""
    specs = [spec for spec in tf.nest.flatten(dataset.element_spec) if isinstance(spec, tf.TensorSpec)]
    sizes = {spec.shape[0] for spec in specs if spec.shape.rank and spec.shape[0] is not None}
    for size in sorted(sizes):
        if size % replicas:
            raise StrategyError(f"a batch of {size} cannot be split evenly over {replicas} replicas (each needs an "
                                f"equal share of the global batch): use a batch size that is a multiple of "
                                f"{replicas}, or train on one device (without --strategy / ${STRATEGY_ENV})")


def _sublayers(model):
    for layer in getattr(model, "layers", ()):
        yield layer
        yield from _sublayers(layer)


def distribute_options(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """Shard a step-indexed dataset by data across workers: every worker builds the whole global batch and keeps
    its replicas' shares (the batches are computed from indices, so there are no files to shard)."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def agreed(strategy: tf.distribute.Strategy, value: int) -> tuple[int, int]:
    """(smallest, largest) of ``value`` over all replicas (a collective: every worker must call it)."""
    if strategy.num_replicas_in_sync == 1:
        return value, value

    def gather():
        return tf.distribute.get_replica_context().all_gather(tf.constant([value], tf.int64), axis=0)

    values = strategy.experimental_local_results(strategy.run(tf.function(gather)))[0].numpy()
    return int(values.min()), int(values.max())


def multiworker_step(model: keras.Model) -> None:
    """Wrap ``model.train_step`` for two problems of ``MultiWorkerMirroredStrategy`` with Keras 3 (3.15 here) and
    TensorFlow 2.21; only how the step gets its data and hands back its logs changes, not what it computes.

    - Keras averages a step's logs over the workers' replicas with ``strategy.reduce("MEAN", value, axis=0)``, which
      fails on the scalar logs every trainer returns ("Invalid reduction dimension 0 for input with 0 dimensions",
      tensorflow/tensorflow#72388): each log gets a leading axis of 1, which the reduction averages away.
    - Inside the compiled step the batch from the distributed dataset has no device, and ``all_gather`` (with which
      a trainer assembles the global batch) then fails ("destinations can not be empty"): the step gets a copy
      (``tf.identity``), placed on this worker's device.
    """
    step = model.train_step

    def train_step(data):
        logs = step(tf.nest.map_structure(tf.identity, data))
        return {name: tf.reshape(value, [1]) for name, value in logs.items()}

    model.train_step = train_step
