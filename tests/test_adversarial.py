"""FGSM on a linear classifier, where the gradient's sign is known by hand."""

import keras
import numpy as np

from gancore.chapters import adversarial


def linear_model(weights):
    """logits = x @ W for x of 3 pixels, 2 classes, no bias."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, use_bias=False)])
    model.layers[0].set_weights([np.asarray(weights, "float32")])
    return model


# class 0 gets x0 - x1, class 1 gets x1 + 2 x2: the loss on label 0 grows along d(l1 - l0)/dx = (-1, +1, +2)
W = [[1.0, 0.0], [-1.0, 1.0], [0.0, 2.0]]


def test_fgsm_steps_along_the_sign_of_the_gradient():
    x = np.array([[0.5, 0.5, 0.5]], "float32")
    out = adversarial.fgsm(linear_model(W), x, np.array([0]), epsilon=0.1)
    np.testing.assert_allclose(out, [[0.4, 0.6, 0.6]], rtol=1e-6)
    out = adversarial.fgsm(linear_model(W), x, np.array([1]), epsilon=0.1)  # label 1: the opposite direction
    np.testing.assert_allclose(out, [[0.6, 0.4, 0.4]], rtol=1e-6)


def test_fgsm_clips_to_the_pixel_range():
    out = adversarial.fgsm(linear_model(W), np.array([[0.05, 0.98, 0.5]], "float32"), np.array([0]), epsilon=0.1)
    np.testing.assert_allclose(out, [[0.0, 1.0, 0.6]], rtol=1e-6)


def test_iterative_fgsm_stays_in_the_epsilon_box_and_flips_the_label():
    model = linear_model(W)
    x = np.array([[0.6, 0.5, 0.05]], "float32")  # logits (0.1, 0.6): class 1, correctly
    assert adversarial.accuracy(model, x, np.array([1])) == 1.0
    out = adversarial.iterative_fgsm(model, x, np.array([1]), epsilon=0.2, steps=5)
    assert np.abs(out - x).max() <= 0.2 + 1e-6 and out.min() >= 0.0
    # label 1: the loss grows along d(l0 - l1)/dx = (1, -2, -2), sign (+, -, -); 5 steps of 0.1 hit the 0.2 box,
    # and x2 stops at 0: (0.8, 0.3, 0.0) -> logits (0.5, 0.3), class 0
    np.testing.assert_allclose(out, [[0.8, 0.3, 0.0]], atol=1e-6)
    assert adversarial.accuracy(model, out, np.array([1])) == 0.0


def test_random_sign_moves_every_pixel_by_epsilon():
    x = np.full((4, 5), 0.5, "float32")
    out = adversarial.random_sign(x, 0.25, seed=1)
    np.testing.assert_allclose(np.abs(out - x), 0.25, rtol=1e-6)
    assert 0 < (out > x).mean() < 1


def test_adversarial_training_step_updates_the_classifier_and_logs_both_losses():
    keras.utils.set_random_seed(0)
    model = linear_model(W)
    trainer = adversarial.AdversarialTraining(model, epsilon=0.1, adversarial_share=0.5)
    trainer.compile(optimizer=keras.optimizers.SGD(0.5))
    x = np.array([[0.5, 0.5, 0.5], [0.9, 0.1, 0.2]], "float32")
    y = np.array([0, 0])
    before = model.get_weights()[0].copy()
    history = trainer.fit(x, y, batch_size=2, epochs=1, verbose=0).history
    assert set(history) >= {"loss", "clean_loss", "fgsm_loss", "fgsm_accuracy"}
    np.testing.assert_allclose(history["loss"][0], 0.5 * history["clean_loss"][0] + 0.5 * history["fgsm_loss"][0],
                               rtol=1e-5)
    assert history["fgsm_loss"][0] > history["clean_loss"][0]  # the attack raises the loss it is built to raise
    assert not np.allclose(model.get_weights()[0], before)


def test_adversarial_training_logs_running_means_over_the_epoch():
    """Two batches of one image, weights frozen (learning rate 0): each log is the mean of the two batches' values,
    not the last batch's. Logits x @ W for label 0: (0, 1.5) and (0.8, 0.5), so the clean cross-entropies are
    ln(1 + e^1.5) = 1.701413 and ln(1 + e^-0.3) = 0.554355; FGSM (+-0.1 along (-1, +1, +2)) moves them to logits
    (-0.2, 1.8) and (0.6, 0.8): 2 + ln(1 + e^-2) = 2.126928 and 0.2 + ln(1 + e^-0.2) = 0.798139, both misclassified."""
    model = linear_model(W)
    trainer = adversarial.AdversarialTraining(model, epsilon=0.1, adversarial_share=0.5)
    trainer.compile(optimizer=keras.optimizers.SGD(0.0))
    x = np.array([[0.5, 0.5, 0.5], [0.9, 0.1, 0.2]], "float32")
    history = trainer.fit(x, np.array([0, 0]), batch_size=1, epochs=1, shuffle=False, verbose=0).history
    clean, attacked = (1.701413 + 0.554355) / 2, (2.126928 + 0.798139) / 2
    np.testing.assert_allclose(history["clean_loss"][0], clean, rtol=1e-5)
    np.testing.assert_allclose(history["fgsm_loss"][0], attacked, rtol=1e-5)
    np.testing.assert_allclose(history["loss"][0], 0.5 * clean + 0.5 * attacked, rtol=1e-5)
    np.testing.assert_allclose(history["fgsm_accuracy"][0], 0.0, atol=1e-7)
    np.testing.assert_allclose(model.get_weights()[0], W, rtol=0, atol=0)
