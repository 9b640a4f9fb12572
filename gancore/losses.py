"""GAN losses as small pure functions on discriminator logits (mean reduction).

Every function takes raw logits (no sigmoid) so the log-sigmoid terms are computed stably.
``real`` are the discriminator's logits on data, ``fake`` on generated samples.
"""

from __future__ import annotations

from keras import ops


def sigmoid_cross_entropy(logits, target):
    """Per-element binary cross-entropy -[t log s(l) + (1-t) log(1-s(l))] = softplus(l) - t*l.

    ``target`` is a number or a tensor broadcastable to ``logits`` (soft or noisy labels).
    """
    return ops.softplus(logits) - target * logits


_bce_with_logits = sigmoid_cross_entropy


def minimax_discriminator_loss(real, fake, label_smoothing: float = 0.0):
    """-E[log D(x)] - E[log(1 - D(G(z)))]; one-sided smoothing sets the real target to 1 - s.

    (TF-GAN's ``label_smoothing=a`` means a real target of 1 - a/2, i.e. s = a/2 here.)
    """
    return ops.mean(_bce_with_logits(real, 1.0 - label_smoothing)) + ops.mean(_bce_with_logits(fake, 0.0))


def minimax_generator_loss(fake):
    """E[log(1 - D(G(z)))], the loss of the original minimax game (saturates when D wins)."""
    return -ops.mean(ops.softplus(fake))


def non_saturating_generator_loss(fake):
    """-E[log D(G(z))]: the 'flip the labels' generator loss of Goodfellow et al. and the book."""
    return ops.mean(_bce_with_logits(fake, 1.0))


def least_squares_discriminator_loss(real, fake):
    """LSGAN: 0.5 E[(D(x) - 1)^2] + 0.5 E[D(G(z))^2] on raw outputs."""
    return 0.5 * ops.mean(ops.square(real - 1.0)) + 0.5 * ops.mean(ops.square(fake))


def least_squares_generator_loss(fake):
    """LSGAN: 0.5 E[(D(G(z)) - 1)^2]."""
    return 0.5 * ops.mean(ops.square(fake - 1.0))


def wasserstein_critic_loss(real, fake):
    """E[f(G(z))] - E[f(x)], minimised by the critic."""
    return ops.mean(fake) - ops.mean(real)


def wasserstein_generator_loss(fake):
    """-E[f(G(z))]."""
    return -ops.mean(fake)


def hinge_discriminator_loss(real, fake):
    """E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]; the generator uses the Wasserstein loss."""
    return ops.mean(ops.relu(1.0 - real)) + ops.mean(ops.relu(1.0 + fake))


def discriminator_accuracy(real, fake, threshold: float = 0.0):
    """Share of real logits above and fake logits below the threshold, over both halves."""
    hits = ops.concatenate([ops.cast(real > threshold, "float32"), ops.cast(fake <= threshold, "float32")], 0)
    return ops.mean(hits)


def gradient_penalty(critic, real, fake, alpha):
    """WGAN-GP penalty E[(||grad_x critic(x_hat)||_2 - 1)^2] at x_hat = alpha * real + (1 - alpha) * fake.

    ``alpha`` holds one U(0, 1) draw per example, shaped ``[B, 1, ..., 1]``. The norm is taken over
    all non-batch axes with 1e-10 inside the square root, so a zero gradient gives no NaN.
    """
    import tensorflow as tf

    real = tf.cast(real, tf.float32)
    fake = tf.cast(fake, tf.float32)
    mixed = alpha * real + (1.0 - alpha) * fake
    with tf.GradientTape() as tape:
        tape.watch(mixed)
        scores = tf.cast(critic(mixed, training=True), tf.float32)
    grads = tape.gradient(scores, mixed)
    norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=list(range(1, grads.shape.rank))) + 1e-10)
    return tf.reduce_mean(tf.square(norms - 1.0))


LOSSES = {
    "minimax": (minimax_discriminator_loss, minimax_generator_loss),
    "non_saturating": (minimax_discriminator_loss, non_saturating_generator_loss),
    "least_squares": (least_squares_discriminator_loss, least_squares_generator_loss),
    "wasserstein": (wasserstein_critic_loss, wasserstein_generator_loss),
    "hinge": (hinge_discriminator_loss, wasserstein_generator_loss),
}


def get_losses(name: str):
    """(discriminator_loss, generator_loss) for a loss family name."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"Unknown GAN loss {name!r}; choose one of {', '.join(LOSSES)}") from None
