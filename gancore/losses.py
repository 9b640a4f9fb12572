"""Every training loss of the course as a small pure function (mean reduction), tested against hand values.

The adversarial losses take raw logits (no sigmoid) so the log-sigmoid terms are computed stably; ``real`` are
the discriminator's outputs on data, ``fake`` on generated samples. Then come the distances (mean absolute and
squared error), the image-to-image terms built from them (cycle consistency, the book's least-squares patch
losses), the class and code losses (ACGAN, SGAN, InfoGAN) and the VAE's. The trainers in
:mod:`gancore.training` cast their tensors to float32 and weight these terms; they compute none inline.
"""

from __future__ import annotations

from keras import ops


def sigmoid_cross_entropy(logits, target):
    """Per-element binary cross-entropy -[t log s(l) + (1-t) log(1-s(l))] = softplus(l) - t*l.

    ``target`` is a number or a tensor broadcastable to ``logits`` (soft or noisy labels).
    """
    return ops.softplus(logits) - target * logits


_bce_with_logits = sigmoid_cross_entropy


def cross_entropy_discriminator_loss(real, fake, real_target=1.0):
    """-E[t log D(x) + (1 - t) log(1 - D(x))] - E[log(1 - D(G(z)))]: the minimax D loss with real target ``t``,
    a number (label smoothing) or one value per example (real images labelled fake, noisy labels)."""
    return ops.mean(_bce_with_logits(real, real_target)) + ops.mean(_bce_with_logits(fake, 0.0))


def minimax_discriminator_loss(real, fake, label_smoothing: float = 0.0):
    """-E[log D(x)] - E[log(1 - D(G(z)))]; one-sided smoothing sets the real target to 1 - s.

    (TF-GAN's ``label_smoothing=a`` means a real target of 1 - a/2, i.e. s = a/2 here.)
    """
    return cross_entropy_discriminator_loss(real, fake, 1.0 - label_smoothing)


def minimax_generator_loss(fake):
    """E[log(1 - D(G(z)))], the loss of the original minimax game (saturates when D wins)."""
    return -ops.mean(ops.softplus(fake))


def non_saturating_generator_loss(fake):
    """-E[log D(G(z))]: the 'flip the labels' generator loss of Goodfellow et al. and the book."""
    return ops.mean(_bce_with_logits(fake, 1.0))


def least_squares_discriminator_loss(real, fake):
    """LSGAN: 0.5 E[(D(x) - 1)^2] + 0.5 E[D(G(z))^2] on raw outputs.

    Also the book's PatchGAN loss (pix2pix, CycleGAN; SRGAN on the sigmoid of its patch logits): the mean of its
    two ``train_on_batch`` MSEs, real patches against 1 and fake ones against 0."""
    return 0.5 * ops.mean(ops.square(real - 1.0)) + 0.5 * ops.mean(ops.square(fake))


def least_squares_generator_loss(fake):
    """LSGAN: 0.5 E[(D(G(z)) - 1)^2]."""
    return 0.5 * ops.mean(ops.square(fake - 1.0))


def least_squares_pm1_discriminator_loss(real, fake):
    """Least squares with targets +1 (real) and -1 (fake), no 1/2: E[(D(x) - 1)^2] + E[(D(G(z)) + 1)^2].

    The "Simple GAN" of seed S4 (a GAN course assignment), whose discriminator ends in tanh, so its
    outputs live in [-1, 1] and the targets are the two ends of that range.
    """
    return ops.mean(ops.square(real - 1.0)) + ops.mean(ops.square(fake + 1.0))


def least_squares_pm1_generator_loss(fake):
    """The generator side of :func:`least_squares_pm1_discriminator_loss`: E[(D(G(z)) - 1)^2]."""
    return real_target_mse(fake)


def real_target_mse(scores):
    """E[(D - 1)^2]: Keras ``'mse'`` of scores against an all-ones (real) target, without LSGAN's factor 1/2.

    The generator's adversarial term in the book's image-to-image models (CycleGAN, DiscoGAN, pix2pix,
    CartoonGAN: linear PatchGAN scores) and the real half of their discriminator losses."""
    return ops.mean(ops.square(scores - 1.0))


def wasserstein_critic_loss(real, fake):
    """E[f(G(z))] - E[f(x)], minimised by the critic."""
    return ops.mean(fake) - ops.mean(real)


def wasserstein_generator_loss(fake):
    """-E[f(G(z))]."""
    return -ops.mean(fake)


def hinge_discriminator_loss(real, fake):
    """E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]; the generator uses the Wasserstein loss."""
    return ops.mean(ops.relu(1.0 - real)) + ops.mean(ops.relu(1.0 + fake))


def edge_smoothed_discriminator_loss(real, smooth, fake):
    """CartoonGAN's discriminator loss as the book trains it: the mean of three MSEs, real cartoons against 1 and
    their edge-smoothed versions and generated images against 0: (E[(D(c) - 1)^2] + E[D(s)^2] + E[D(G(p))^2]) / 3."""
    return (real_target_mse(real) + ops.mean(ops.square(smooth)) + ops.mean(ops.square(fake))) / 3.0


# --- distances and the image-to-image terms built from them ----------------------------------------------------
def mean_absolute_error(x, y):
    """E|x - y| over every element (Keras ``'mae'``): the L1 term of pix2pix, CycleGAN and CartoonGAN."""
    return ops.mean(ops.abs(x - y))


def mean_squared_error(x, y):
    """E[(x - y)^2] over every element (Keras ``'mse'``): pixel, feature (SRGAN's content) and hole losses."""
    return ops.mean(ops.square(x - y))


def cycle_consistency_loss(real_a, real_b, cycled_a, cycled_b):
    """CycleGAN's cycle loss summed over both directions: E|F(G(a)) - a| + E|G(F(b)) - b| with ``G: A -> B``,
    ``F: B -> A``, ``cycled_a = F(G(a))`` and ``cycled_b = G(F(b))`` (the book's ``'mae'`` reconstruction outputs)."""
    return mean_absolute_error(cycled_a, real_a) + mean_absolute_error(cycled_b, real_b)


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


def categorical_code_loss(one_hot, logits):
    """InfoGAN's information loss for a categorical code: E[-log Q(c | G(z, c))], the softmax
    cross-entropy between the sampled one-hot code and Q's logits (mean over the batch).

    Minimising it maximises the variational lower bound on I(c; G(z, c)) up to the constant H(c)
    (ln K for a uniform K-way code): a Q that guesses uniformly scores ln K.
    """
    log_probs = logits - ops.logsumexp(logits, axis=-1, keepdims=True)
    return -ops.mean(ops.sum(one_hot * log_probs, axis=-1))


def gaussian_code_loss(codes, means):
    """InfoGAN's information loss for continuous codes with a fixed-variance (sigma = 1) Gaussian Q:
    -log N(c; mu, 1) without the constant 0.5 ln(2 pi), i.e. 0.5 (c - mu)^2 summed over the codes and
    averaged over the batch."""
    return ops.mean(0.5 * ops.sum(ops.square(codes - means), axis=-1))


def class_cross_entropy(logits, one_hot):
    """Per-example softmax cross-entropy -sum_k y_k log softmax(l)_k = logsumexp(l) - y . l (shape [N])."""
    return ops.logsumexp(logits, axis=-1) - ops.sum(one_hot * logits, axis=-1)


def class_accuracy(logits, one_hot):
    """Share of examples whose largest logit is the labelled class."""
    return ops.mean(ops.cast(ops.argmax(logits, axis=-1) == ops.argmax(one_hot, axis=-1), "float32"))


def sparse_class_accuracy(logits, labels):
    """Share of examples whose largest logit is the integer label."""
    return ops.mean(ops.cast(ops.argmax(logits, axis=-1) == ops.cast(labels, "int32"), "float32"))


def acgan_discriminator_loss(real_logits, fake_logits, real_class_logits, fake_class_logits, real_classes,
                             fake_classes, source_weight: float = 0.5, class_weight: float = 0.5,
                             label_smoothing: float = 0.0):
    """ACGAN's discriminator loss as the book's two-output Keras model computes it on one batch of reals and fakes.

    ``source_weight`` x the binary cross-entropy of the real/fake logit (reals 1, fakes 0) plus ``class_weight`` x
    the softmax cross-entropy of the class logits, each averaged over *all* images of the batch. The class target
    of a fake is the class the generator was asked for, so the class term covers reals and fakes as L_c does.
    With the book's weights 0.5/0.5 and logits of 0 it is 0.5 ln 2 + 0.5 ln 10. ``label_smoothing`` s sets the
    real target to 1 - s (one-sided; the book used 1).
    """
    source = ops.concatenate([ops.reshape(sigmoid_cross_entropy(real_logits, 1.0 - label_smoothing), [-1]),
                              ops.reshape(sigmoid_cross_entropy(fake_logits, 0.0), [-1])], 0)
    classes = ops.concatenate([class_cross_entropy(real_class_logits, real_classes),
                               class_cross_entropy(fake_class_logits, fake_classes)], 0)
    return source_weight * ops.mean(source) + class_weight * ops.mean(classes)


def acgan_generator_loss(fake_logits, fake_class_logits, fake_classes, source_weight: float = 1.0,
                         class_weight: float = 1.0):
    """ACGAN's generator loss: -log D(G(z, c)) (non-saturating) plus -log P(C = c | G(z, c)), weights 1:1 as in
    the book's combined model. Minimising it is the non-saturating form of maximising L_c - L_s."""
    return (source_weight * ops.mean(sigmoid_cross_entropy(fake_logits, 1.0))
            + class_weight * ops.mean(class_cross_entropy(fake_class_logits, fake_classes)))


def sparse_softmax_cross_entropy(logits, labels):
    """Per-example -log softmax(logits)[label] for integer ``labels`` (Keras' sparse categorical CE on logits)."""
    log_probs = logits - ops.logsumexp(logits, axis=-1, keepdims=True)
    one_hot = ops.one_hot(ops.cast(labels, "int32"), ops.shape(logits)[-1], dtype=log_probs.dtype)
    return -ops.sum(one_hot * log_probs, axis=-1)


def sparse_classification_loss(logits, labels):
    """Mean softmax cross-entropy for integer labels: the classifier loss of SGAN and its supervised baseline."""
    return ops.mean(sparse_softmax_cross_entropy(logits, labels))


def two_head_discriminator_loss(source_logits, source_targets, class_logits, class_labels,
                                source_weight: float = 0.5, class_weight: float = 0.5):
    """The book's SGAN discriminator on one batch: ``source_weight`` x BCE(real/fake head, targets 1/0) +
    ``class_weight`` x softmax CE(K+1 class head, integer labels, K for the fakes), each a mean over the batch
    (the book's ``loss_weights=[0.5, 0.5]``)."""
    return (source_weight * ops.mean(sigmoid_cross_entropy(source_logits, source_targets))
            + class_weight * ops.mean(sparse_softmax_cross_entropy(class_logits, class_labels)))


def real_logit_from_class_logits(class_logits):
    """The real-vs-fake logit of a K+1-way classifier whose last class is 'fake' (Salimans et al. 2016).

    With p(fake | x) = softmax(l)[K], log p(real) - log p(fake) = logsumexp(l_0..l_{K-1}) - l_K, so
    ``sigmoid`` of this logit is 1 - p(fake | x) and the usual sigmoid cross-entropy on it is the K+1
    softmax's unsupervised loss. Fixing l_K = 0 gives the paper's D(x) = Z(x) / (Z(x) + 1).
    """
    return ops.logsumexp(class_logits[..., :-1], axis=-1) - class_logits[..., -1]


def sgan_unsupervised_loss(unlabelled_class_logits, fake_class_logits):
    """The unsupervised part of the K+1-class SGAN discriminator (Salimans et al.; Odena):
    0.5 [BCE(r(x_unlabelled), 1) + BCE(r(G(z)), 0)] with r the real logit of
    :func:`real_logit_from_class_logits`, i.e. half the minimax loss on r."""
    return 0.5 * minimax_discriminator_loss(real_logit_from_class_logits(unlabelled_class_logits),
                                            real_logit_from_class_logits(fake_class_logits))


def feature_matching_loss(real_features, fake_features):
    """Salimans et al.'s generator loss ||E f(x) - E f(G(z))||^2 on a discriminator layer, averaged over
    the features (mean squared difference of the two batch means)."""
    return ops.mean(ops.square(ops.mean(real_features, axis=0) - ops.mean(fake_features, axis=0)))


# --- the VAE (chapter 1) --------------------------------------------------------------------------------------
MNIST_PIXELS = 28 * 28


def gaussian_kl(z_mean, z_log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) per example, summed over latent dimensions."""
    return -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)


def book_vae_loss(images, reconstruction, z_mean, z_log_var):
    """The book's loss: 784 x mean squared error plus KL averaged over batch *and* latent dims.

    Averaging the KL over the two latent dimensions halves it compared with the true KL.
    Returns (total, reconstruction, kl), each a batch mean.
    """
    recon = ops.mean(ops.mean(ops.square(images - reconstruction), axis=(1, 2, 3))) * MNIST_PIXELS
    kl = -0.5 * ops.mean(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
    return recon + kl, recon, kl


def bernoulli_elbo_loss(images, probs, z_mean, z_log_var, eps: float = 1e-7):
    """Negative ELBO in nats per image: summed pixel cross-entropy (Bernoulli decoder) + full KL."""
    probs = ops.clip(probs, eps, 1.0 - eps)
    bce = -(images * ops.log(probs) + (1.0 - images) * ops.log(1.0 - probs))
    recon = ops.mean(ops.sum(bce, axis=(1, 2, 3)))
    kl = ops.mean(gaussian_kl(z_mean, z_log_var))
    return recon + kl, recon, kl


LOSSES = {
    "minimax": (minimax_discriminator_loss, minimax_generator_loss),
    "non_saturating": (minimax_discriminator_loss, non_saturating_generator_loss),
    "least_squares": (least_squares_discriminator_loss, least_squares_generator_loss),
    "least_squares_pm1": (least_squares_pm1_discriminator_loss, least_squares_pm1_generator_loss),
    "wasserstein": (wasserstein_critic_loss, wasserstein_generator_loss),
    "hinge": (hinge_discriminator_loss, wasserstein_generator_loss),
}


def get_losses(name: str):
    """(discriminator_loss, generator_loss) for a loss family name."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"Unknown GAN loss {name!r}; choose one of {', '.join(LOSSES)}") from None
