"""CycleGAN (Zhu et al., 2017) as the book trains it, plus the paper's two options the book leaves out.

Two generators (``G_AB``: A -> B, ``G_BA``: B -> A) and two unconditional PatchGANs (``D_A`` judges domain A,
``D_B`` domain B) with linear patch outputs, trained by least squares against all-ones / all-zeros patch maps
(the book's ``loss='mse'``). The generator objective is the book's combined model:

    adversarial_weight x (E[(D_B(G_AB(a)) - 1)^2] + E[(D_A(G_BA(b)) - 1)^2])
    + cycle_weight x (E|G_BA(G_AB(a)) - a| + E|G_AB(G_BA(b)) - b|)
    + identity_weight x (E|G_BA(a) - a| + E|G_AB(b) - b|)
    + unpaired_l1_weight x (E|G_AB(a) - b| + E|G_BA(b) - a|)

The last line is the DiscoGAN book's bug (an L1 pull towards an *unrelated* image of the other domain); it is 0
for CycleGAN and kept so the DiscoGAN chapter can show it. The paper's options: an :class:`ImagePool` of past
fakes for the discriminators (``pool_size=50`` in the paper, 0 = the book) and :class:`LinearDecayAfterHalf`,
a learning-rate schedule for the two optimizers (the book keeps Adam's rate constant).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from gancore import losses as gan_losses
from gancore.training.distribute import gather_replicas, replica_slice
from gancore.training.schedules import LinearDecayAfterHalf  # noqa: F401 - the chapters import it from here
from gancore.training.two_player import TwoPlayerModel
from gancore.training.weight_average import averaged_copy, update_average

# E3 apples <-> oranges: loss_weights=[1, 1, 10, 10, 3, 3]; E4 horses <-> zebras: [1, 1, 10, 10, 5, 5]
BOOK_ADVERSARIAL_WEIGHT = 1.0
BOOK_CYCLE_WEIGHT = 10.0
BOOK_IDENTITY_WEIGHT_E3 = 3.0
BOOK_IDENTITY_WEIGHT_E4 = 5.0
PAPER_POOL_SIZE = 50


def _float32(x):
    return None if x is None else tf.cast(x, tf.float32)


# --- the generators' objective (its terms are in gancore.losses) ----------------------------------------------------
def generator_loss(real_a, real_b, fake_a, fake_b, patches_fake_a, patches_fake_b, cycled_a=None, cycled_b=None,
                   same_a=None, same_b=None, adversarial_weight: float = BOOK_ADVERSARIAL_WEIGHT,
                   cycle_weight: float = BOOK_CYCLE_WEIGHT, identity_weight: float = BOOK_IDENTITY_WEIGHT_E3,
                   unpaired_l1_weight: float = 0.0) -> dict:
    """The generators' weighted objective and its unweighted parts, each summed over the two directions.

    ``fake_b = G_AB(a)``, ``fake_a = G_BA(b)``; ``patches_fake_b = D_B(fake_b)``, ``patches_fake_a = D_A(fake_a)``;
    ``cycled_a = G_BA(fake_b)``, ``cycled_b = G_AB(fake_a)``; ``same_a = G_BA(a)``, ``same_b = G_AB(b)``.
    A part whose weight is 0 may be passed as None and is then reported as 0. Every input is taken in float32.
    Returns ``{"total", "adv", "cycle", "identity", "unpaired"}``: adversarial E[(D - 1)^2] (Keras ``'mse'``
    against all-ones patches), the cycle-consistency L1, identity E|G_BA(a) - a| + E|G_AB(b) - b| and unpaired
    E|G_AB(a) - b| + E|G_BA(b) - a| (terms in :mod:`gancore.losses`)."""
    real_a, real_b, fake_a, fake_b, cycled_a, cycled_b, same_a, same_b = (
        _float32(x) for x in (real_a, real_b, fake_a, fake_b, cycled_a, cycled_b, same_a, same_b))
    mae = gan_losses.mean_absolute_error
    zero = tf.constant(0.0)
    adv = gan_losses.real_target_mse(_float32(patches_fake_a)) + gan_losses.real_target_mse(_float32(patches_fake_b))
    cycle = gan_losses.cycle_consistency_loss(real_a, real_b, cycled_a, cycled_b) if cycled_a is not None else zero
    identity = mae(same_a, real_a) + mae(same_b, real_b) if same_a is not None else zero
    unpaired = mae(fake_b, real_b) + mae(fake_a, real_a) if unpaired_l1_weight else zero
    total = (adversarial_weight * adv + cycle_weight * cycle + identity_weight * identity
             + unpaired_l1_weight * unpaired)
    return {"total": total, "adv": adv, "cycle": cycle, "identity": identity, "unpaired": unpaired}


# --- the paper's options -------------------------------------------------------------------------------------------
PHILOX = 1  # tf.random.Algorithm.PHILOX: the pool's random numbers are those of tf.random.Generator.from_seed
PHILOX_SKIP_PER_VALUE = 256  # how far tf.random.Generator moves its Philox counter per value drawn


def pool_query(size: int, count, coins, slots):
    """The pool's policy as indices, for ``n`` new images (``coins``: U(0, 1), ``slots``: ints in [0, size)).

    Index k < ``size`` is the k-th stored image, ``size + i`` the i-th new one. Returns (what each slot holds
    afterwards, what each new image is answered with, the new count): image by image, while ``count < size`` store
    it in slot ``count`` and return it; once full, if its coin is > 0.5 return the image in slot ``slots[i]`` and put
    it there, else return it. Only integers move, so images are copied once, at the end.
    """
    def body(i, stored, answers, count):
        new = size + i

        def fill():
            return tf.tensor_scatter_nd_update(stored, [[count]], [new]), new, count + 1

        def swap():
            return tf.tensor_scatter_nd_update(stored, [[slots[i]]], [new]), stored[slots[i]], count

        def keep():
            return stored, new, count

        stored, answer, count = tf.cond(count < size, fill, lambda: tf.cond(coins[i] > 0.5, swap, keep))
        return i + 1, stored, answers.write(i, answer), count

    n = tf.shape(coins)[0]
    answers = tf.TensorArray(tf.int32, size=n, element_shape=())
    _, stored, answers, count = tf.while_loop(lambda i, *_: i < n, body,
                                              (tf.constant(0), tf.range(size), answers, tf.convert_to_tensor(count)))
    return stored, answers.stack(), count


class ImagePool(keras.layers.Layer):
    """The CycleGAN paper's history of generated images (Shrivastava et al.'s trick): the discriminator sees a mix
    of this step's fakes and older ones, which damps oscillation.

    Same policy as the authors' ``ImagePool.query``, image by image (:func:`pool_query`): while the pool holds fewer
    than ``size`` images, store the new fake and return it; once full, with probability 1/2 return a random stored
    image and put the new fake in its place, otherwise return the new fake. ``size=0`` returns its input untouched.

    Its state is three non-trainable weights: the images (``buffer``), how many are stored (``count``) and the state
    of its random numbers (``rng_state``: the Philox counter and key of ``tf.random.Generator.from_seed(seed)``,
    whose numbers it draws). Being weights, they are saved with the model, so a run resumed from a
    :class:`~gancore.training.callbacks.ResumableBackup` continues with the pool it had. Under a
    ``tf.distribute`` strategy the pool is **one pool for the global batch**: each replica gathers all replicas'
    fakes, runs the same query on them (the same numbers, the same new state) and keeps its own part of the answer,
    so N replicas train as one device does.
    """

    def __init__(self, size: int, image_shape: tuple[int, int, int], seed: int = 0, name: str = "image_pool"):
        super().__init__(name=name, dtype="float32", trainable=False)
        self.size = int(size)
        self.image_shape = tuple(int(s) for s in image_shape)
        self.seed = int(seed)
        if self.size > 0:
            first = "only_first_replica"  # every replica computes the same new state
            self.buffer = self.add_weight(shape=(self.size, *self.image_shape), initializer="zeros", trainable=False,
                                          aggregation=first, name="buffer")
            self.count = self.add_weight(shape=(), dtype="int32", initializer="zeros", trainable=False,
                                         aggregation=first, name="count")
            start = tf.random.create_rng_state(self.seed, "philox")
            self.rng_state = self.add_weight(shape=(3,), dtype="int64", trainable=False, aggregation=first,
                                             initializer=lambda shape, dtype: tf.constant(start, dtype),
                                             name="rng_state")
        self.built = True

    def _uniform(self, n):
        """(coins in U(0, 1), slots in [0, size)): the numbers ``tf.random.Generator`` would draw from this state,
        ``uniform((n,))`` then ``uniform((n,), maxval=size, dtype=tf.int32)``; the state moves on as it would."""
        state = tf.convert_to_tensor(self.rng_state)
        key, counter = tf.bitcast(state[2:], tf.uint64), tf.bitcast(state[:2], tf.uint64)
        shape = tf.reshape(n, [1])

        def skip(counter):  # the 128-bit counter, low word first, moved on by n values
            low = counter[0] + tf.cast(n, tf.uint64) * PHILOX_SKIP_PER_VALUE
            return tf.stack([low, counter[1] + tf.cast(low < counter[0], tf.uint64)])

        coins = tf.raw_ops.StatelessRandomUniformV2(shape=shape, key=key, counter=counter, alg=PHILOX,
                                                    dtype=tf.float32)
        counter = skip(counter)
        slots = tf.raw_ops.StatelessRandomUniformIntV2(shape=shape, key=key, counter=counter, alg=PHILOX,
                                                       minval=0, maxval=self.size)
        self.rng_state.assign(tf.concat([tf.bitcast(skip(counter), tf.int64), state[2:]], 0))
        return coins, slots

    def call(self, images):
        images = tf.cast(images, tf.float32)
        if self.size <= 0:
            return images
        everyone = gather_replicas(images)  # the global batch: one pool for all replicas
        coins, slots = self._uniform(tf.shape(everyone)[0])
        stored, answers, count = pool_query(self.size, self.count, coins, slots)
        candidates = tf.concat([tf.convert_to_tensor(self.buffer), everyone], 0)
        self.buffer.assign(tf.gather(candidates, stored))
        self.count.assign(count)
        return tf.reshape(replica_slice(tf.gather(candidates, answers), tf.shape(images)[0]), tf.shape(images))

    def get_config(self) -> dict:
        return {"size": self.size, "image_shape": self.image_shape, "seed": self.seed, "name": self.name}


def book_adam(learning_rate=2e-4) -> keras.optimizers.Adam:
    """The book's Adam(2e-4, beta_1=0.5); ``learning_rate`` may be a schedule. Make one per network group."""
    return keras.optimizers.Adam(learning_rate, beta_1=0.5)


# --- the trainer ---------------------------------------------------------------------------------------------------
class CycleGAN(TwoPlayerModel):
    """Two generators and two PatchGANs on unpaired batches ``(images_a, images_b)`` in [-1, 1].

    Each ``train_step`` follows the book's order:

    1. fakes from the current generators, ``fake_b = G_AB(a)``, ``fake_a = G_BA(b)`` (through the image pools
       when ``pool_size > 0``); **one** update of D_A and D_B together with the discriminator optimizer on the
       sum of their least-squares losses, 0.5 E[(D(x) - 1)^2] + 0.5 E[D(fake)^2] each
       (:func:`gancore.losses.least_squares_discriminator_loss`; the book made two ``train_on_batch`` updates per
       discriminator, real then fake, with one shared Adam, and averaged their losses);
    2. one update of both generators with the generator optimizer on :func:`generator_loss`, the
       discriminators called in inference mode (the book's frozen D inside the combined model). Terms with
       weight 0 are not computed (identity costs two extra generator passes).

    With ``ema_decay`` the trainer also keeps an exponential moving average of each generator's weights
    (:mod:`gancore.training.weight_average`), updated after every generator update; :meth:`translate_ab`,
    :meth:`translate_ba` and :attr:`inference_generators` then use the averaged generators, which damps the
    step-to-step swings of adversarial training (not in the book or the paper).

    Logged: ``d_loss`` (D_A + D_B), ``g_loss`` (the weighted total), ``adv``, ``cycle``, ``identity`` (unweighted,
    summed over both directions) and ``unpaired`` when its weight is > 0.
    """

    def __init__(self, generator_ab: keras.Model, generator_ba: keras.Model, discriminator_a: keras.Model,
                 discriminator_b: keras.Model, *, adversarial_weight: float = BOOK_ADVERSARIAL_WEIGHT,
                 cycle_weight: float = BOOK_CYCLE_WEIGHT, identity_weight: float = BOOK_IDENTITY_WEIGHT_E3,
                 unpaired_l1_weight: float = 0.0, pool_size: int = 0, pool_seed: int = 0,
                 ema_decay: float | None = None, **kwargs):
        super().__init__(**kwargs)
        self.generator_ab = generator_ab
        self.generator_ba = generator_ba
        self.discriminator_a = discriminator_a
        self.discriminator_b = discriminator_b
        self.adversarial_weight = float(adversarial_weight)
        self.cycle_weight = float(cycle_weight)
        self.identity_weight = float(identity_weight)
        self.unpaired_l1_weight = float(unpaired_l1_weight)
        self.pool_size = int(pool_size)
        # fakes of domain A feed D_A, fakes of domain B feed D_B: one pool each
        self.pool_a = ImagePool(self.pool_size, tuple(generator_ba.output_shape[1:]), seed=pool_seed, name="pool_a")
        self.pool_b = ImagePool(self.pool_size, tuple(generator_ab.output_shape[1:]), seed=pool_seed + 1,
                                name="pool_b")
        if ema_decay is not None and not 0.0 <= float(ema_decay) < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), got {ema_decay}")
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        self.generator_ab_ema = averaged_copy(generator_ab) if self.ema_decay is not None else None
        self.generator_ba_ema = averaged_copy(generator_ba) if self.ema_decay is not None else None
        self.track("d_loss", "g_loss", "adv", "cycle", "identity", *(["unpaired"] if self.unpaired_l1_weight else []))

    def d_variables(self) -> list:
        """``d_optimizer`` updates D_A and D_B (the book shared one Adam among all four networks)."""
        return self.discriminator_a.trainable_variables + self.discriminator_b.trainable_variables

    def g_variables(self) -> list:
        """``g_optimizer`` updates both generators."""
        return self.generator_ab.trainable_variables + self.generator_ba.trainable_variables

    def call(self, images_a, training: bool = False):
        return self.generator_ab(images_a, training=training)

    def train_step(self, data):
        real_a, real_b = (tf.cast(x, tf.float32) for x in data)

        # 1. Discriminators: real -> 1, (pooled) fakes of the current generators -> 0.
        fake_b = self.generator_ab(real_a, training=True)
        fake_a = self.generator_ba(real_b, training=True)
        pooled_a, pooled_b = self.pool_a(fake_a), self.pool_b(fake_b)
        with tf.GradientTape() as tape:
            d_a = gan_losses.least_squares_discriminator_loss(_float32(self.discriminator_a(real_a, training=True)),
                                                              _float32(self.discriminator_a(pooled_a, training=True)))
            d_b = gan_losses.least_squares_discriminator_loss(_float32(self.discriminator_b(real_b, training=True)),
                                                              _float32(self.discriminator_b(pooled_b, training=True)))
            d_loss = d_a + d_b
        self._apply(self.d_optimizer, tape, d_loss, self.d_variables())

        # 2. Generators against the just-updated, frozen discriminators.
        with tf.GradientTape() as tape:
            fake_b = self.generator_ab(real_a, training=True)
            fake_a = self.generator_ba(real_b, training=True)
            cycled_a = cycled_b = same_a = same_b = None
            if self.cycle_weight:
                cycled_a = self.generator_ba(fake_b, training=True)
                cycled_b = self.generator_ab(fake_a, training=True)
            if self.identity_weight:
                same_a = self.generator_ba(real_a, training=True)
                same_b = self.generator_ab(real_b, training=True)
            parts = generator_loss(real_a, real_b, fake_a, fake_b,
                                   self.discriminator_a(fake_a, training=False),
                                   self.discriminator_b(fake_b, training=False),
                                   cycled_a, cycled_b, same_a, same_b, self.adversarial_weight, self.cycle_weight,
                                   self.identity_weight, self.unpaired_l1_weight)
        self._apply(self.g_optimizer, tape, parts["total"], self.g_variables())
        if self.ema_decay is not None:
            update_average(self.generator_ab_ema, self.generator_ab, self.ema_decay)
            update_average(self.generator_ba_ema, self.generator_ba, self.ema_decay)

        # 3. Report running means for the progress bar and History.
        return self.report({"d_loss": d_loss, "g_loss": parts["total"], "adv": parts["adv"], "cycle": parts["cycle"],
                            "identity": parts["identity"], "unpaired": parts["unpaired"]})

    # --- inference helpers -------------------------------------------------------------------------------------
    @property
    def inference_generators(self) -> tuple[keras.Model, keras.Model]:
        """(G_AB, G_BA) used for translation: the weight averages with ``ema_decay``, else the trained networks."""
        if self.ema_decay is not None:
            return self.generator_ab_ema, self.generator_ba_ema
        return self.generator_ab, self.generator_ba

    def translate_ab(self, images, batch_size: int = 32) -> np.ndarray:
        """G_AB (its weight average with ``ema_decay``) in inference mode over ``images`` in [-1, 1], in batches."""
        return translate(self.inference_generators[0], images, batch_size)

    def translate_ba(self, images, batch_size: int = 32) -> np.ndarray:
        """G_BA (its weight average with ``ema_decay``) in inference mode over ``images`` in [-1, 1], in batches."""
        return translate(self.inference_generators[1], images, batch_size)


def translate(generator: keras.Model, images, batch_size: int = 32) -> np.ndarray:
    """A generator's outputs (inference mode) for ``images`` in [-1, 1], computed ``batch_size`` at a time."""
    images = np.asarray(images, "float32")
    out = [np.asarray(generator(tf.constant(images[i : i + batch_size]), training=False))
           for i in range(0, len(images), batch_size)]
    return np.concatenate(out) if out else np.zeros_like(images)
