"""An exponential moving average (EMA) of a network's weights, kept by a Keras callback.

Evaluating a GAN's generator on an average of its recent weights instead of the last ones removes
much of the step-to-step jitter of adversarial training (Yazici et al., *The Unusual Effectiveness of
Averaging in GAN Training*, ICLR 2019; Karras et al. use it in ProGAN and StyleGAN). Training itself
is unchanged: the average is a shadow copy that only the evaluation reads.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np


class WeightEMA(keras.callbacks.Callback):
    """Keep ``ema = decay**k * ema + (1 - decay**k) * current`` for every variable of one network.

    ``network`` is a name of an attribute of the trained model (for example ``"generator"``) or a
    ``keras.Model``. ``k`` is the number of training steps since the last update, read from the model's
    ``step_counter()`` (the GAN trainers' generator-optimizer iterations) or its optimizer; with
    ``steps_per_execution`` > 1 Keras calls the callback once per execution, and raising the decay to
    the power ``k`` gives the average the same time horizon (about ``1 / (1 - decay)`` steps) as a
    per-step update. All the network's variables are averaged, batchnorm moving statistics included.
    With ``warmup`` the decay at step ``t`` (counted from the start of the average) is
    ``min(decay, (1 + t) / (10 + t))``, as in ``tf.train.ExponentialMovingAverage`` with ``num_updates``:
    early on the average follows the weights closely instead of remembering the random initialisation.

    ``self.average`` is a copy of the network that holds the average (built at the start of training
    from the current weights, or loaded from ``state_path`` when resuming); ``swapped()`` is a context
    manager that puts the average into the original network for the duration of an evaluation.
    ``state_path`` (a ``.weights.h5`` file) is written at each epoch end, so an interrupted run resumes
    its average too.
    """

    def __init__(self, network: str | keras.Model = "generator", decay: float = 0.999,
                 warmup: bool = True, state_path: str | Path | None = None):
        super().__init__()
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"decay must be in [0, 1), got {decay}")
        self.network = network
        self.decay = float(decay)
        self.warmup = warmup
        self.state_path = Path(state_path) if state_path else None
        self.average: keras.Model | None = None
        self._last_step: int | None = None
        self._start_step: int | None = None

    def _target(self) -> keras.Model:
        return getattr(self.model, self.network) if isinstance(self.network, str) else self.network

    def _step(self) -> int:
        counter = getattr(self.model, "step_counter", None)
        if callable(counter):
            return int(counter().numpy())
        return int(self.model.optimizer.iterations.numpy())

    def on_train_begin(self, logs=None):
        target = self._target()
        if self.average is None:
            self.average = keras.models.clone_model(target)
            self.average.set_weights(target.get_weights())
            self._start_step = self._step()
            if self.state_path is not None and self.state_path.exists():
                self.average.load_weights(self.state_path)
                self._start_step = 0  # resuming: the average has been kept since step 0
        self._last_step = self._step()

    def keep(self, first: int, steps: int) -> float:
        """Weight of the old average after ``steps`` updates, the first at ``first`` steps into the average."""
        if not self.warmup:
            return self.decay ** steps
        keep = 1.0
        for t in range(first, first + steps):
            keep *= min(self.decay, (1.0 + t) / (10.0 + t))
        return keep

    def update(self, steps: int) -> None:
        """Move the average ``steps`` steps towards the current weights."""
        if steps <= 0:
            return
        keep = self.keep(self._last_step - self._start_step, steps)
        for avg, cur in zip(self.average.weights, self._target().weights):
            if avg.dtype.startswith("int") or avg.dtype == "bool":  # counters (none in plain layers)
                avg.assign(cur)
            else:
                avg.assign(keep * avg + (1.0 - keep) * keras.ops.cast(cur, avg.dtype))

    def on_train_batch_end(self, batch, logs=None):
        step = self._step()
        self.update(step - self._last_step)
        self._last_step = step

    def on_epoch_end(self, epoch, logs=None):
        if self.state_path is not None:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            self.average.save_weights(self.state_path)

    def swapped(self):
        """Context manager: the original network holds the average inside the ``with`` block."""
        return _Swap(self._target(), self.average)


class _Swap:
    def __init__(self, network: keras.Model, average: keras.Model):
        self.network, self.average = network, average

    def __enter__(self):
        self._saved = [np.array(w) for w in self.network.get_weights()]
        self.network.set_weights(self.average.get_weights())
        return self.network

    def __exit__(self, *exc):
        self.network.set_weights(self._saved)
        return False
