"""The base of every two-network trainer, and the one gradient update all trainers use.

:class:`TwoPlayerModel` holds what a GAN-like ``keras.Model`` with one optimizer per player repeats otherwise:
``compile(d_optimizer, g_optimizer)`` building both optimizers at once, named running-mean trackers, the step
counter, the update helper :meth:`~TwoPlayerModel._apply` and named noise streams. A subclass writes its
``train_step`` in numbered steps (1. discriminator, 2. generator, 3. report) and overrides :meth:`d_variables` /
:meth:`g_variables` when its optimizers update other variables than ``self.discriminator`` / ``self.generator``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import keras
import tensorflow as tf

from gancore.training.distribute import divide_by_replicas, step_noise, with_loss_scaling


def apply_update(optimizer: keras.optimizers.Optimizer, tape: tf.GradientTape, loss: tf.Tensor,
                 variables: Iterable, skip_unconnected: bool = False) -> None:
    """One gradient step of ``optimizer`` on ``variables`` for ``loss``, computed under ``tape``.

    The loss goes through two different scalings before it is differentiated, both recorded on ``tape`` (a tape
    that has exited can be re-entered): :func:`~gancore.training.distribute.divide_by_replicas` (strategies sum
    the replicas' gradients) and ``optimizer.scale_loss`` (mixed-precision loss scaling, undone by the
    ``LossScaleOptimizer`` in ``apply_gradients``; a no-op otherwise). ``skip_unconnected`` leaves out the
    variables the loss does not reach (an unused head) instead of letting Keras warn about them.
    """
    with tape:
        loss_per_replica = divide_by_replicas(loss)
        scaled_loss = optimizer.scale_loss(loss_per_replica)
    variables = list(variables)
    pairs = list(zip(tape.gradient(scaled_loss, variables), variables))
    if skip_unconnected:
        pairs = [(grad, variable) for grad, variable in pairs if grad is not None]
    optimizer.apply_gradients(pairs)


# A noise-stream layout: blocks of stream names in index order. A block marked "d_step" has one copy of its names
# per discriminator update (indices start + len(names) * i + k for update i), a block marked "step" one copy.
StreamLayout = Sequence[tuple[str, Sequence[str]]]


def stream_index(layout: StreamLayout, name: str, d_steps: int, d_step: int = 0) -> int:
    """The integer stream of ``name`` (for discriminator update ``d_step``) in ``layout``."""
    start = 0
    for per, names in layout:
        if name in names:
            if per == "step" and d_step:
                raise ValueError(f"stream {name!r} is drawn once per step, not per discriminator update")
            if not 0 <= d_step < d_steps:
                raise ValueError(f"d_step {d_step} outside 0..{d_steps - 1}")
            return start + len(names) * d_step + list(names).index(name)
        start += len(names) * (d_steps if per == "d_step" else 1)
    raise KeyError(f"no noise stream named {name!r}")


def stream_count(layout: StreamLayout, d_steps: int) -> int:
    """How many streams one training step of ``layout`` uses."""
    return sum(len(names) * (d_steps if per == "d_step" else 1) for per, names in layout)


class TwoPlayerModel(keras.Model):
    """A ``keras.Model`` training a discriminator and a generator, one optimizer each.

    Subclasses set ``self.generator`` and ``self.discriminator`` (or override :meth:`d_variables` and
    :meth:`g_variables`), call :meth:`track` with the names they log, and, when they draw noise, declare
    ``NOISE_STREAMS`` and set ``self.noise_seed`` (and ``self.d_steps`` when D is updated several times a step).
    """

    NOISE_STREAMS: StreamLayout = ()
    d_steps: int = 1
    noise_seed: int = 0

    # --- the two players ------------------------------------------------------------------------------
    def d_variables(self) -> list:
        """The variables the discriminator optimizer updates."""
        return self.discriminator.trainable_variables

    def g_variables(self) -> list:
        """The variables the generator optimizer updates."""
        return self.generator.trainable_variables

    def compile(self, d_optimizer: keras.optimizers.Optimizer, g_optimizer: keras.optimizers.Optimizer,
                **kwargs) -> None:
        """Attach one optimizer per player and build both now, on the variables each will update.

        Refuses one shared instance (current Keras builds an optimizer for one set of variables; the book shared
        one Adam). Building both before ``fit``, inside any strategy scope, creates their slot variables at once,
        so checkpoints save and restore them and MirroredStrategy does not meet lazily created variables. Keras'
        own ``optimizer`` slot gets the generator's. Under ``mixed_float16`` each is wrapped in loss scaling.
        """
        if d_optimizer is g_optimizer:
            raise ValueError("Pass two optimizer instances: the discriminator and generator must not share one.")
        d_optimizer, g_optimizer = with_loss_scaling(d_optimizer), with_loss_scaling(g_optimizer)
        super().compile(optimizer=g_optimizer, **kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        d_optimizer.build(list(self.d_variables()))
        g_optimizer.build(list(self.g_variables()))
        self.built = True  # both networks are built; callbacks such as BackupAndRestore require it

    def step_counter(self) -> tf.Variable:
        """The training step: the number of generator updates so far (restored with checkpoints)."""
        return self.g_optimizer.iterations

    _apply = staticmethod(apply_update)

    # --- logging --------------------------------------------------------------------------------------
    def track(self, *names: str) -> None:
        """Add a running mean (``keras.metrics.Mean``) per name; Keras resets them every epoch."""
        trackers = dict(getattr(self, "trackers", {}))
        trackers.update({name: keras.metrics.Mean(name=name) for name in names if name not in trackers})
        self.trackers = trackers

    @property
    def metrics(self):
        return list(self.trackers.values())

    def report(self, values: dict) -> dict:
        """Update every tracker with ``values[name]`` and return the running means (the step's logs)."""
        for name, tracker in self.trackers.items():
            tracker.update_state(values[name])
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    # --- noise ----------------------------------------------------------------------------------------
    def stream(self, name: str, d_step: int = 0) -> int:
        """The stream index of the draw ``name`` (of discriminator update ``d_step``): see ``NOISE_STREAMS``."""
        return stream_index(self.NOISE_STREAMS, name, self.d_steps, d_step)

    def _streams(self) -> int:
        return stream_count(self.NOISE_STREAMS, self.d_steps)

    def step_normal(self, shape_per_replica: tuple, stream: int) -> tf.Tensor:
        """N(0, 1) noise that is a pure function of (seed, step, stream): a resumed run draws the same."""
        return step_noise(shape_per_replica, self.noise_seed, self.step_counter(), stream, self._streams())
