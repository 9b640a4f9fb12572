"""Every gancore trainer on one device and on two mirrored devices, from the same weights and global batches.

Not a test module: ``tests/test_distribute_trainers.py`` runs it as a script in a subprocess, because the two
logical CPU devices must be configured before TensorFlow initialises. ``python -m tests.distribute_cases [name ...]``
trains every case (or the named ones) for :data:`STEPS` steps with ``fit()`` under
``OneDeviceStrategy("/cpu:0")`` and under ``MirroredStrategy(["/cpu:0", "/cpu:1"])`` and prints one line
``RESULT {json}`` per case: the largest weight difference between the two runs (over every variable of the trainer:
networks, weight averages, image pools), how far training moved the weights, whether the mirrored copies of every
variable agree across the two replicas, the two runs' last logs and the seconds taken.

Each case builds tiny networks without batch normalisation or dropout: under ``MirroredStrategy`` batch
statistics are per replica and a dropout layer draws the same mask on every replica; the ``bn_*`` and ``dropout*``
cases measure that on purpose, each against a one-device stand-in (:data:`REFERENCES`). Global batch: :data:`BATCH`
(2 per replica). Every case runs with ``fit()`` in a fresh ``strategy.scope()`` from ``set_random_seed(0)``.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import tensorflow as tf

if __name__ == "__main__":  # before anything initialises TensorFlow's devices
    tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                               [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
from keras import layers  # noqa: E402

from gancore.chapters.adversarial import AdversarialTraining  # noqa: E402
from gancore.models.pixelcnn import build_pixelcnn  # noqa: E402
from gancore.models.vgg_features import VGGFeatures  # noqa: E402
from gancore.training import cyclegan as cg  # noqa: E402
from gancore.training.acgan import ACGAN  # noqa: E402
from gancore.training.cartoongan import CartoonGAN  # noqa: E402
from gancore.training.conditional import ConditionalGAN  # noqa: E402
from gancore.training.context_encoder import ContextEncoder  # noqa: E402
from gancore.training.gan import GAN  # noqa: E402
from gancore.training.infogan import InfoGAN  # noqa: E402
from gancore.training.pix2pix import Pix2Pix  # noqa: E402
from gancore.training.semi_supervised import SemiSupervisedGAN, SupervisedBaseline  # noqa: E402
from gancore.training.srgan import SRGAN, ContentExtractor  # noqa: E402
from gancore.training.vae import VAE  # noqa: E402

STEPS = 3
BATCH = 4  # global batch: 2 images per replica on two devices
CASES = {}


def case(function):
    """Register ``function() -> (compiled model, tf.data.Dataset of global batches)`` under its name."""
    CASES[function.__name__] = function
    return function


def _rng():
    return np.random.default_rng(0)


def _batches(*arrays, batch=BATCH):
    """A dataset of global batches, in order (``fit`` splits each across the replicas: replica r takes part r)."""
    data = arrays[0] if len(arrays) == 1 else tuple(arrays)
    return tf.data.Dataset.from_tensor_slices(data).batch(batch, drop_remainder=True)


def _adam(rate=1e-2):
    return keras.optimizers.Adam(rate, beta_1=0.5)


def _images(n, shape, low=-1.0, high=1.0):
    return _rng().uniform(low, high, (n, *shape)).astype("float32")


def _dense_gan_networks(latent=4, size=6, norm=None):
    z = keras.Input((latent,))
    g = keras.Model(z, layers.Dense(size)(layers.Dense(8, activation="tanh")(z)))
    x = keras.Input((size,))
    h = layers.Dense(8)(x)
    if norm is not None:
        h = norm(h)
    d = keras.Model(x, layers.Dense(1)(layers.Activation("tanh")(h)))
    return g, d


def _two_player(model, rate=1e-2):
    model.compile(_adam(rate), _adam(rate))
    return model


# --- GAN and its options --------------------------------------------------------------------------------------
@case
def gan():
    """The GAN with its options that act inside a step: label smoothing and flips, the original WGAN's weight
    clipping (an assignment on every replica), a uniform latent and a warmed-up weight average of the generator."""
    g, d = _dense_gan_networks()
    model = GAN(g, d, latent_dim=4, label_smoothing=0.1, real_label_flip=0.25, clip_value=0.5, latent="uniform",
                ema_decay=0.9, ema_warmup=True, seed=5)
    return _two_player(model), _batches(_images(STEPS * BATCH, (6,)))


@case
def wgan_gp():
    """Two critic updates per step, each on its own half of the global batch (``fresh_real_per_d_step``), with the
    gradient penalty and a generator batch twice the size. The critic has layer normalisation (the WGAN-GP paper's
    choice): it needs the static shape of the halves cut from the gathered global batch."""
    g, d = _dense_gan_networks(norm=layers.LayerNormalization())
    model = GAN(g, d, latent_dim=4, loss="wasserstein", gradient_penalty_weight=10.0, d_steps=2,
                fresh_real_per_d_step=True, g_batch_factor=2, seed=6)
    return _two_player(model, 1e-3), _batches(_images(2 * STEPS * BATCH, (6,)), batch=2 * BATCH)


@case
def conditional_gan():
    z, y = keras.Input((4,)), keras.Input((3,))
    g = keras.Model([z, y], layers.Dense(6)(layers.Dense(8, activation="tanh")(layers.Concatenate()([z, y]))))
    x, c = keras.Input((6,)), keras.Input((3,))
    d = keras.Model([x, c], layers.Dense(1)(layers.Dense(8, activation="tanh")(layers.Concatenate()([x, c]))))
    model = ConditionalGAN(g, d, latent_dim=4, num_classes=3, mixed_batches=True, seed=8)
    labels = np.arange(STEPS * BATCH) % 3
    return _two_player(model), _batches(_images(STEPS * BATCH, (6,)), labels)


def _two_head_d(size=6, classes=3, features=True):
    x = keras.Input((size,))
    f = layers.Dense(6, activation="tanh", name="features")(x) if features else x
    return keras.Model(x, [layers.Dense(1, name="real_fake")(f), layers.Dense(classes, name="classes")(f)])


@case
def sgan_book():
    g, _ = _dense_gan_networks()
    model = SemiSupervisedGAN(g, _two_head_d(classes=3), latent_dim=4, num_classes=2, mode="book",
                              mixed_batches=True, seed=9)
    return _two_player(model), _batches(_images(STEPS * BATCH, (6,)), np.arange(STEPS * BATCH) % 2)


@case
def sgan_feature_matching():
    """Semi-supervised mode with Salimans' feature matching: a loss of batch means (see the docstring of
    ``SemiSupervisedGAN``: the means are taken over the global batch)."""
    g, _ = _dense_gan_networks()
    model = SemiSupervisedGAN(g, _two_head_d(classes=3), latent_dim=4, num_classes=2, mode="semi_supervised",
                              generator_loss="feature_matching", seed=10)
    n = STEPS * BATCH
    data = tf.data.Dataset.zip((_batches(_images(n, (6,)), np.arange(n) % 2), _batches(_images(n, (6,), 0, 1))))
    return _two_player(model), data


@case
def supervised_baseline():
    model = SupervisedBaseline(_two_head_d(classes=3), num_classes=2)
    model.compile(_adam())
    return model, _batches(_images(STEPS * BATCH, (6,)), np.arange(STEPS * BATCH) % 2)


@case
def infogan():
    z, code = keras.Input((4,)), keras.Input((3 + 2,))
    g = keras.Model([z, code], layers.Dense(6)(layers.Dense(8, activation="tanh")(layers.Concatenate()([z, code]))))
    x = keras.Input((6,))
    f = layers.Dense(8, activation="tanh", name="trunk")(x)
    d = keras.Model(x, [layers.Dense(1, name="real_fake")(f), layers.Dense(5, name="code")(f)])
    model = InfoGAN(g, d, noise_dim=4, categories=3, continuous=2, seed=11)
    return _two_player(model), _batches(_images(STEPS * BATCH, (6,)))


@case
def acgan():
    z, y = keras.Input((4,)), keras.Input((3,))
    g = keras.Model([z, y], layers.Dense(6)(layers.Dense(8, activation="tanh")(layers.Concatenate()([z, y]))))
    model = ACGAN(g, _two_head_d(classes=3), latent_dim=4, num_classes=3, mixed_batches=True, ema_decay=0.8,
                  seed=12)
    return _two_player(model), _batches(_images(STEPS * BATCH, (6,)), np.arange(STEPS * BATCH) % 3)


# --- likelihood models and the classifier ---------------------------------------------------------------------
@case
def vae():
    x = keras.Input((2, 3, 1))
    h = layers.Dense(8, activation="tanh")(layers.Flatten()(x))
    encoder = keras.Model(x, [layers.Dense(2)(h), layers.Dense(2)(h)])
    z = keras.Input((2,))
    decoder = keras.Model(z, layers.Reshape((2, 3, 1))(layers.Dense(6, activation="sigmoid")(
        layers.Dense(8, activation="tanh")(z))))
    model = VAE(encoder, decoder, loss="elbo", seed=13)
    model.compile(optimizer=_adam())
    return model, _batches(_images(STEPS * BATCH, (2, 3, 1), 0, 1))


@case
def pixelcnn():
    """Keras' own train_step of the compiled network (``compile(loss="binary_crossentropy")``)."""
    model = build_pixelcnn(filters=4, residual_blocks=1, output_layers=1, input_shape=(6, 6, 1))
    model.compile(optimizer=_adam(), loss="binary_crossentropy")
    x = (_images(STEPS * BATCH, (6, 6, 1), 0, 1) > 0.5).astype("float32")
    return model, _batches(x, x)


@case
def adversarial_training():
    x = keras.Input((6,))
    classifier = keras.Model(x, layers.Dense(3)(layers.Dense(8, activation="tanh")(x)))
    model = AdversarialTraining(classifier, epsilon=0.1)
    model.compile(optimizer=_adam())
    return model, _batches(_images(STEPS * BATCH, (6,), 0, 1), np.arange(STEPS * BATCH) % 3)


# --- image-to-image trainers ----------------------------------------------------------------------------------
def _conv_generator(in_channels=3, out_channels=3, size=8, name=None):
    x = keras.Input((size, size, in_channels))
    h = layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    return keras.Model(x, layers.Conv2D(out_channels, 3, padding="same", activation="tanh")(h), name=name)


def _patch_discriminator(channels=3, size=8, name=None):
    x = keras.Input((size, size, channels))
    h = layers.LeakyReLU(0.2)(layers.Conv2D(4, 3, strides=2, padding="same")(x))
    return keras.Model(x, layers.Conv2D(1, 3, padding="same")(h), name=name)


def _cyclegan(**options):
    nets = [_conv_generator(name="g_ab"), _conv_generator(name="g_ba"), _patch_discriminator(name="d_a"),
            _patch_discriminator(name="d_b")]
    model = cg.CycleGAN(*nets, **options)
    model.compile(cg.book_adam(cg.LinearDecayAfterHalf(2e-2, 2 * STEPS, decay_start=1)),
                  cg.book_adam(cg.LinearDecayAfterHalf(2e-2, 2 * STEPS, decay_start=1)))
    return model, _batches(_images(STEPS * BATCH, (8, 8, 3)), _images(STEPS * BATCH, (8, 8, 3)) * 0.5)


@case
def cyclegan_pool():
    """The paper's options: an image pool (3 images, so it fills in the first step and then swaps), the linear
    decay and identity loss; and a weight average of the generators and the DiscoGAN chapter's unpaired L1 term."""
    return _cyclegan(identity_weight=3.0, pool_size=3, pool_seed=1, ema_decay=0.9, unpaired_l1_weight=0.5)


@case
def srgan():
    low = keras.Input((4, 4, 3))
    h = layers.UpSampling2D(4)(layers.Conv2D(4, 3, padding="same", activation="relu")(low))
    g = keras.Model(low, layers.Conv2D(3, 3, padding="same", activation="tanh")(h))
    x = keras.Input((None, None, 3))
    extractor = keras.Model(x, layers.Conv2D(4, 3, padding="same", activation="relu")(x))
    extractor.trainable = False
    content = ContentExtractor(extractor, "random", "conv", False, "a tiny frozen feature network")
    model = SRGAN(g, _patch_discriminator(size=16), content=content, adversarial_weight=0.1)
    high = _images(STEPS * BATCH, (16, 16, 3))
    low_res = tf.image.resize(high, (4, 4), method="area").numpy()
    return _two_player(model), _batches(low_res, high)


@case
def cartoongan():
    x = keras.Input((None, None, 3))
    net = keras.Model(x, layers.Conv2D(2, 3, strides=2, padding="same", activation="relu")(x))
    net.trainable = False
    features = VGGFeatures(net, "conv", False, "a tiny frozen feature network", preprocess=False)
    photo, style = keras.Input((8, 8, 3)), keras.Input((4, 4, 2))
    h = layers.Concatenate()([photo, layers.UpSampling2D(2)(style)])
    g = keras.Model([photo, style], layers.Conv2D(3, 3, padding="same", activation="tanh")(h))
    model = CartoonGAN(g, _patch_discriminator(), features)
    n = STEPS * BATCH
    photos, cartoons = _images(n, (8, 8, 3)), _images(2 * n, (8, 8, 3))[n:]
    return _two_player(model), _batches(photos, photos * 0.9, cartoons, cartoons * 0.5)


@case
def pix2pix():
    g = _conv_generator(in_channels=1)
    source, image = keras.Input((8, 8, 1)), keras.Input((8, 8, 3))
    h = layers.LeakyReLU(0.2)(layers.Conv2D(4, 3, strides=2, padding="same")(layers.Concatenate()([source, image])))
    d = keras.Model([source, image], layers.Conv2D(1, 3, padding="same")(h))
    model = Pix2Pix(g, d, l1_weight=10.0)
    colour = _images(STEPS * BATCH, (8, 8, 3))
    return _two_player(model), _batches(colour[..., :1], colour)


@case
def context_encoder():
    """Holes at random places: the offsets are drawn for the global batch and sliced per replica."""
    image = keras.Input((8, 8, 3))
    h = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(image)
    g = keras.Model(image, layers.Conv2D(3, 3, padding="same", activation="tanh")(h))
    patch = keras.Input((4, 4, 3))
    d = keras.Model(patch, layers.Dense(1)(layers.Flatten()(layers.Conv2D(4, 3, padding="same")(patch))))
    model = ContextEncoder(g, d, hole=4, position="random", loss_weights=(0.9, 0.1), seed=14)
    return _two_player(model), _batches(_images(STEPS * BATCH, (8, 8, 3)))


# --- per-replica layers: batchnorm statistics and dropout masks ----------------------------------------------------
class HalvesNorm(layers.Layer):
    """One device doing what a plain batchnorm does on two replicas that each hold half of the batch: normalise each
    half with its own statistics."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.norm = layers.BatchNormalization()

    def call(self, x, training=None):
        return tf.concat([self.norm(half, training=training) for half in tf.split(x, 2)], 0)


class SameMaskDropout(layers.Layer):
    """One device doing what a Keras dropout does on two replicas: each replica's copy of the layer's seed generator
    holds the same state, so both halves of the batch get the same mask (the one drawn for one half)."""

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.dropout = layers.Dropout(rate)

    def call(self, x, training=None):
        first, second = tf.split(x, 2)
        state = self.dropout.seed_generator.state
        start = tf.identity(state.value)
        first = self.dropout(first, training=training)
        state.assign(start)  # the second replica starts from the same state and moves it on as the first did
        return tf.concat([first, self.dropout(second, training=training)], 0)


def _per_replica_gan(norm):
    """A GAN whose discriminator has ``norm()`` after its first layer; SGD, so the comparison is not blurred by Adam's
    first steps (of the size of the learning rate whatever the gradient: float noise can flip near-zero gradients)."""
    g, d = _dense_gan_networks(norm=norm())
    model = GAN(g, d, latent_dim=4, seed=15)
    model.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    return model, _batches(_images(STEPS * 4 * BATCH, (6,)), batch=4 * BATCH)


@case
def bn_plain():
    return _per_replica_gan(layers.BatchNormalization)


@case
def bn_halves():
    return _per_replica_gan(HalvesNorm)


@case
def bn_synchronized():
    return _per_replica_gan(lambda: layers.BatchNormalization(synchronized=True))


@case
def dropout():
    return _per_replica_gan(lambda: layers.Dropout(0.5))


@case
def dropout_same_mask():
    return _per_replica_gan(lambda: SameMaskDropout(0.5))


#: The cases that only serve as one-device references for another case's mirrored run
REFERENCES = {"bn_halves": "bn_plain", "dropout_same_mask": "dropout"}


# --- running ---------------------------------------------------------------------------------------------------
def _values(variable) -> list[np.ndarray]:
    """The variable's value on each replica (one value off a mirrored strategy)."""
    value = getattr(variable, "value", variable)
    parts = getattr(value, "values", None)
    return [np.asarray(p) for p in parts] if parts is not None else [np.asarray(value)]


def train(name: str, strategy: tf.distribute.Strategy) -> dict:
    """``STEPS`` steps of case ``name`` with ``fit()`` under ``strategy``: every variable of the model (each
    replica's copy) before and after, and the last logs."""
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model, data = CASES[name]()
    before = [np.asarray(w).copy() for w in model.variables]
    history = model.fit(data, epochs=1, steps_per_epoch=STEPS, verbose=0, shuffle=False)
    return {"paths": [v.path for v in model.variables], "before": before,
            "copies": [_values(v) for v in model.variables],
            "trainable": [any(v is t for t in model.trainable_variables) for v in model.variables],
            "logs": {k: float(v[-1]) for k, v in history.history.items()}}


def _largest_gap(pairs) -> tuple[float, int]:
    gaps = [(float(np.max(np.abs(a.astype(float) - b.astype(float)))) if a.size else 0.0, i)
            for i, (a, b) in pairs]
    return max(gaps, default=(0.0, -1))


def compare_runs(name: str, one: dict, two: dict) -> dict:
    """How far the mirrored run ``two`` is from the one-device run ``one``."""
    if [a.shape for a in one["before"]] != [a.shape for a in two["before"]]:
        raise ValueError(f"{name}: the two runs do not have the same variables")
    after_one, after_two = [c[0] for c in one["copies"]], [c[0] for c in two["copies"]]
    floats = [i for i, a in enumerate(after_one) if a.dtype.kind == "f"]
    pairs = [(i, (after_one[i], after_two[i])) for i in floats]
    difference, worst = _largest_gap(pairs)
    trainable, _ = _largest_gap([p for p in pairs if one["trainable"][p[0]]])
    moved, _ = _largest_gap([(i, (after_one[i], one["before"][i])) for i in floats if one["trainable"][i]])
    desync = max((float(np.max(np.abs(c[0].astype(float) - other.astype(float)))) for c in two["copies"]
                  for other in c[1:] if c[0].size), default=0.0)
    ints_equal = all(np.array_equal(after_one[i], after_two[i]) for i in range(len(after_one)) if i not in floats)
    logs = max((abs(one["logs"][k] - two["logs"][k]) / max(1.0, abs(one["logs"][k])) for k in one["logs"]),
               default=0.0)
    return {"name": name, "max_difference": difference, "worst": one["paths"][worst] if worst >= 0 else "",
            "trainable_difference": trainable, "moved": moved, "replicas_differ_by": desync,
            "integers_equal": ints_equal, "log_difference": logs, "variables": len(after_one)}


def compare(name: str, strategies, mirrored_runs: dict) -> dict:
    """Case ``name`` on one device against its mirrored run; a reference case (:data:`REFERENCES`) against the
    mirrored run of the case it stands for. ``mirrored_runs`` keeps the mirrored runs for later references."""
    started = time.perf_counter()
    target = REFERENCES.get(name, name)
    one = train(name, strategies[0])
    if target not in mirrored_runs:
        mirrored_runs[target] = train(target, strategies[1])
    return {**compare_runs(name, one, mirrored_runs[target]), "seconds": round(time.perf_counter() - started, 2)}


def groups(count: int = 2) -> list[list[str]]:
    """The cases in ``count`` groups of about equal work, a reference case in the group of the case it stands for."""
    units = [[name] for name in CASES if name not in REFERENCES and name not in REFERENCES.values()]
    units += [[target, name] for name, target in REFERENCES.items()]
    parts: list[list[str]] = [[] for _ in range(count)]
    for unit in sorted(units, key=len, reverse=True):
        min(parts, key=len).extend(unit)
    return parts


def main(names: list[str]) -> None:
    keras.config.disable_interactive_logging()
    # one strategy object of each kind for the whole process: a second MirroredStrategy in the same process can
    # reuse the collective instance keys of the first and mix up two models' gradient all-reduces (seen once)
    strategies = (tf.distribute.OneDeviceStrategy("/cpu:0"), tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
    mirrored_runs: dict = {}
    for name in names or list(CASES):
        print("RESULT", json.dumps(compare(name, strategies, mirrored_runs)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
