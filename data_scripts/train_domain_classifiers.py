"""Train the MNIST / Fashion-MNIST domain classifiers and record their weights' SHA-256 and accuracy.

    python data_scripts/train_domain_classifiers.py mnist fashion_mnist

Writes ``gancore/weights/<domain>_classifier.weights.h5`` and updates ``gancore/weights/classifiers.json``.
Refuses to record a classifier below the accuracy the metrics rely on (99.0% MNIST, 91.0% Fashion-MNIST).
A one-off job (minutes on a 2-core CPU); the results are committed, so nobody else needs to run it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

EPOCHS = {"mnist": 6, "fashion_mnist": 15}


def train(domain: str, epochs: int, seed: int) -> dict:
    import keras

    from gancore.data import load_mnist
    from gancore.models import classifiers

    data = load_mnist(domain)
    started = time.perf_counter()
    keras.utils.set_random_seed(seed)  # the whole run (initial weights, dropout) from this seed
    model, accuracy = classifiers.train_domain_classifier(data.x_train, data.y_train, data.x_test, data.y_test,
                                                          epochs=epochs, seed=seed)
    seconds = time.perf_counter() - started
    required = classifiers.REQUIRED_ACCURACY[domain]
    print(f"{domain}: test accuracy {accuracy:.4f} after {epochs} epochs ({seconds:.0f} s); required {required}")
    if accuracy < required:
        raise SystemExit(f"{domain}: accuracy {accuracy:.4f} is below {required}; not recording these weights")
    path = classifiers.weights_path(domain)
    path.parent.mkdir(parents=True, exist_ok=True)
    inference_only = classifiers.build_domain_classifier()  # no optimizer state in the committed file
    inference_only.set_weights(model.get_weights())
    inference_only.save_weights(path)
    return {"weights": path.name, "sha256": classifiers.file_sha256(path), "test_accuracy": round(accuracy, 4),
            "epochs": epochs, "seed": seed, "train_seconds": round(seconds), "data": data.source,
            "params": model.count_params()}


def main(argv: list[str] | None = None) -> int:
    from gancore.models import classifiers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("domains", nargs="+", choices=classifiers.DOMAINS)
    parser.add_argument("--epochs", type=int, default=None, help="default: 6 for MNIST, 15 for Fashion-MNIST")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for domain in args.domains:
        record = train(domain, args.epochs or EPOCHS[domain], args.seed)
        registry = classifiers.registry()
        registry[domain] = record
        classifiers.REGISTRY.write_text(json.dumps(registry, indent=2, sort_keys=True) + "\n")
        print(f"recorded {domain} in {classifiers.REGISTRY}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
