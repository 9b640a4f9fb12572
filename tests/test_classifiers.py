"""The committed domain classifiers: checksum, accuracy on the full test sets, and sane metrics on real data."""

import json

import numpy as np
import pytest

from gancore import metrics
from gancore.models import classifiers
from tests.helpers import real_mnist


@pytest.mark.parametrize("domain", classifiers.DOMAINS)
def test_committed_weights_match_their_checksum_and_reach_the_required_accuracy(domain):
    record = classifiers.registry()[domain]
    assert classifiers.file_sha256(classifiers.weights_path(domain)) == record["sha256"]
    data = real_mnist(domain)
    predicted = classifiers.load_domain_classifier(domain).predict_classes(data.x_test / 255.0)
    accuracy = float((predicted == data.y_test).mean())
    assert accuracy >= classifiers.REQUIRED_ACCURACY[domain], accuracy
    assert accuracy == pytest.approx(record["test_accuracy"], abs=2e-4)  # the recorded number is this one


def test_damaged_weights_are_refused(tmp_path, monkeypatch):
    bad = tmp_path / "mnist_classifier.weights.h5"
    bad.write_bytes(classifiers.weights_path("mnist").read_bytes()[:-10] + b"0123456789")
    registry = tmp_path / "classifiers.json"
    registry.write_text(json.dumps(classifiers.registry()))
    monkeypatch.setattr(classifiers, "WEIGHTS_DIR", tmp_path)
    monkeypatch.setattr(classifiers, "REGISTRY", registry)
    classifiers.load_domain_classifier.cache_clear()
    try:
        with pytest.raises(ValueError, match="SHA-256"):
            classifiers.load_domain_classifier("mnist")
    finally:
        classifiers.load_domain_classifier.cache_clear()
    with pytest.raises(ValueError, match="available: mnist, fashion_mnist"):
        classifiers.load_domain_classifier("cifar10")


def test_real_digits_score_far_better_than_corrupted_ones():
    evaluator = metrics.DomainEvaluator("mnist")
    real = real_mnist("mnist").x_train[:1000]
    good = evaluator.evaluate(real, value_range=(0, 255))
    rng = np.random.default_rng(0)
    noisy = np.clip(real / 255.0 + rng.normal(0, 0.5, real.shape), 0, 1)
    bad = evaluator.evaluate(noisy)
    assert good.fd < 0.1 * bad.fd and good.kid < bad.kid
    assert good.score > 8.0  # confident and balanced, close to 10 classes
    assert good.histogram.sum() == 1000 and good.histogram.min() > 60  # every digit is recognised
    ones = real[real_mnist("mnist").y_train[:1000] == 1]
    collapsed = evaluator.evaluate(ones, value_range=(0, 255))
    assert collapsed.score < 1.5 and collapsed.histogram.argmax() == 1  # one class only: score near 1
    assert collapsed.fd > 5 * good.fd
