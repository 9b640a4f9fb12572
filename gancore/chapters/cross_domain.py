"""Skill 9 DiscoGAN: two unpaired image domains, and measures of what the book's unpaired L1 term does.

Data, in the order :func:`two_domain_data` tries them:

1. **CelebA split by an attribute** (the course's substitute for the book's FaceScrub actors / actresses):
   ``data/celeba/`` (``$GANCORE_DATA`` honoured) holding ``list_attr_celeba.txt`` (the original release: a count
   line, a line of 40 attribute names, then ``000001.jpg -1 1 ...``) or the Kaggle ``list_attr_celeba.csv``
   (``image_id,5_o_Clock_Shadow,...``), and the aligned 178x218 JPEGs (``img_align_celeba/``, the Kaggle
   ``img_align_celeba/img_align_celeba/`` or the original ``Img/img_align_celeba/``). Domain A is
   ``Male == 1`` and B is ``Male == -1``, as the book's A = actors and B = actresses. The test images come from
   the official test partition (``list_eval_partition``) when it is there, else a seeded hold-out. Each face is
   cut to the centred 178x178 square and resized with OpenCV's default bilinear filter, as the book resizes.
2. **Offline stand-in: Fashion-MNIST bags vs shoes.** The DiscoGAN paper's own handbags <-> shoes task, in
   Fashion-MNIST's real 28x28 product photos: A = Bag (class 8), B = Sneaker and Ankle boot (classes 7, 9).
   Training images come from Fashion-MNIST's training split and test images from its test split; each image is
   resized up (bilinear) and copied to three channels.

Diagnostics of the bug, all in [0, 1] pixel units: the per-pixel median of a domain (the image that minimises
the book's L1 to unrelated targets), the mean L1 of outputs to unrelated targets, the diversity of a set of
images (mean L1 between two different members) and each image's L1 to a reference image.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np

from gancore import metrics, paths
from gancore.data import FASHION_CLASSES, load_mnist
from gancore.data.images import to_tanh_range
from gancore.data.splits import TwoDomainSplit
from gancore.training.fitting import step_indexed_dataset

FASHION_BAG = (8,)
FASHION_SHOES = (7, 9)  # Sneaker, Ankle boot (Sandal, 5, is left out: mostly straps, a third shape)
CELEBA_ATTRIBUTE = "Male"
CELEBA_SIZE = (178, 218)  # width x height of the aligned CelebA images
IMAGE_DIRS = ("img_align_celeba", "img_align_celeba/img_align_celeba", "Img/img_align_celeba", ".")


@dataclass(kw_only=True)
class TwoDomains(TwoDomainSplit):
    """uint8 (N, S, S, 3) images of two unpaired domains (:class:`~gancore.data.splits.TwoDomainSplit`), their
    ``names``, and on the stand-in the Fashion-MNIST class of each test image (``test_labels_a``/``_b``; None on
    CelebA)."""

    names: tuple[str, str]
    test_labels_a: np.ndarray | None = None
    test_labels_b: np.ndarray | None = None


# --- Fashion-MNIST stand-in ------------------------------------------------------------------------------------
def grey_to_rgb(images: np.ndarray, size: int) -> np.ndarray:
    """uint8 (N, H, W) grey images -> uint8 (N, size, size, 3): bilinear resize (OpenCV), grey copied to RGB."""
    import cv2

    images = np.asarray(images, dtype="uint8")
    out = np.empty((len(images), size, size, 3), "uint8")
    for i, image in enumerate(images):
        resized = image if image.shape == (size, size) else cv2.resize(image, (size, size),
                                                                        interpolation=cv2.INTER_LINEAR)
        out[i] = resized[..., None]
    return out


def _pick(indices: np.ndarray, count: int | None, rng: np.random.Generator) -> np.ndarray:
    """``count`` of ``indices`` without replacement in a seeded random order (all of them, sorted, if None)."""
    if count is None or count >= len(indices):
        return np.sort(indices)
    return np.sort(rng.choice(indices, size=count, replace=False))


def fashion_domains(size: int, train_per_domain: int | None = None, test_per_domain: int | None = None,
                    seed: int = 0, a_classes: tuple[int, ...] = FASHION_BAG,
                    b_classes: tuple[int, ...] = FASHION_SHOES) -> TwoDomains:
    """Fashion-MNIST bags (A) vs shoes (B) at ``size`` x ``size`` x 3: train from the training split, test from
    the test split, a seeded subset of each (all images if a count is None)."""

    fashion = load_mnist("fashion_mnist")
    rng = np.random.default_rng(seed)
    parts = {}
    for split, x, y, count in (("train", fashion.x_train, fashion.y_train, train_per_domain),
                               ("test", fashion.x_test, fashion.y_test, test_per_domain)):
        for domain, classes in (("a", a_classes), ("b", b_classes)):
            idx = _pick(np.flatnonzero(np.isin(y, classes)), count, rng)
            parts[f"{split}_{domain}"] = (grey_to_rgb(x[idx], size), np.asarray(y[idx]))
    name = lambda classes: " + ".join(FASHION_CLASSES[c] for c in classes)  # noqa: E731
    source = (f"STAND-IN for the book's male <-> female faces: Fashion-MNIST ({fashion.source}), "
              f"A = {name(a_classes)} (classes {list(a_classes)}), B = {name(b_classes)} (classes {list(b_classes)}): "
              f"{len(parts['train_a'][0])} + {len(parts['train_b'][0])} training images from the training split, "
              f"{len(parts['test_a'][0])} + {len(parts['test_b'][0])} test images from the test split, 28x28 grey "
              f"resized to {size}x{size} and copied to RGB. The DiscoGAN paper's handbags <-> shoes task in miniature; "
              f"not faces. " + celeba_manual_instructions())
    return TwoDomains(train_a=parts["train_a"][0], train_b=parts["train_b"][0], test_a=parts["test_a"][0],
                      test_b=parts["test_b"][0], names=("bags", "shoes"), source=source, standin=True,
                      test_labels_a=parts["test_a"][1], test_labels_b=parts["test_b"][1])


# --- CelebA by attribute ---------------------------------------------------------------------------------------
def celeba_manual_instructions(root: Path | None = None) -> str:
    target = (root or paths.data_dir()) / "celeba"
    return (f"To use real faces: download CelebA (https://www.kaggle.com/datasets/jessicali9530/celeba-dataset, or "
            f"`kaggle datasets download jessicali9530/celeba-dataset -p {target} --unzip`) so that "
            f"{target}/list_attr_celeba.csv (or the original list_attr_celeba.txt) and the aligned JPEGs under "
            f"{target}/img_align_celeba/ exist; the chapter then splits the faces by the Male attribute.")


def read_celeba_attributes(path: str | Path) -> tuple[list[str], list[str], np.ndarray]:
    """(file names, attribute names, int8 matrix of +-1) from ``list_attr_celeba.txt`` or ``.csv``."""
    path = Path(path)
    if path.suffix == ".csv":
        with open(path, newline="") as handle:
            rows = list(csv.reader(handle))
        header, rows = rows[0], [r for r in rows[1:] if r]
        return [r[0] for r in rows], header[1:], np.array([[int(v) for v in r[1:]] for r in rows], "int8")
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    count, names, rows = int(lines[0][0]), lines[1], lines[2:]
    if len(rows) != count:
        raise ValueError(f"{path}: the header says {count} images, the file lists {len(rows)}")
    return [r[0] for r in rows], names, np.array([[int(v) for v in r[1:]] for r in rows], "int8")


def read_celeba_partition(path: str | Path) -> dict[str, int]:
    """File name -> partition (0 train, 1 validation, 2 test) from ``list_eval_partition.txt`` or ``.csv``."""
    path = Path(path)
    text = path.read_text().splitlines()
    if path.suffix == ".csv":
        return {r[0]: int(r[1]) for r in csv.reader(text[1:]) if r}
    return {parts[0]: int(parts[1]) for parts in (line.split() for line in text) if len(parts) == 2}


def _first(root: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        for candidate in (root / name, root / "Anno" / name, root / "Eval" / name):
            if candidate.is_file():
                return candidate
    return None


def find_celeba(root: str | Path | None = None) -> tuple[Path, Path, Path | None] | None:
    """(attribute file, image folder, partition file or None) of a CelebA copy in ``root`` (default
    ``data/celeba``), or None when there is no attribute file or its first image is not found."""
    root = Path(root) if root is not None else paths.data_dir() / "celeba"
    if not root.is_dir():
        return None
    attributes = _first(root, ("list_attr_celeba.txt", "list_attr_celeba.csv"))
    if attributes is None:
        return None
    with open(attributes) as handle:
        first_row = next(islice(handle, 2 if attributes.suffix == ".txt" else 1, None), "")
    if not first_row.strip():
        return None
    first_file = first_row.replace(",", " ").split()[0]
    for folder in IMAGE_DIRS:
        if (root / folder / first_file).is_file():
            return attributes, (root / folder).resolve(), _first(root, ("list_eval_partition.txt",
                                                                       "list_eval_partition.csv"))
    return None


def load_face_crops(files: list[Path], size: int) -> np.ndarray:
    """Aligned CelebA JPEGs -> uint8 (N, size, size, 3) RGB: the centred square (side = the shorter edge), then
    OpenCV's default bilinear resize, as the book resizes its faces."""
    import cv2

    out = np.empty((len(files), size, size, 3), "uint8")
    for i, path in enumerate(files):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError(f"Cannot read image {path}")
        h, w = image.shape[:2]
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        square = image[top: top + side, left: left + side]
        out[i] = cv2.resize(cv2.cvtColor(square, cv2.COLOR_BGR2RGB), (size, size))
    return out


def celeba_domains(size: int, train_per_domain: int, test_per_domain: int, seed: int = 0,
                   root: str | Path | None = None, attribute: str = CELEBA_ATTRIBUTE) -> TwoDomains:
    """CelebA faces with ``attribute == 1`` (A: male for the default) and ``== -1`` (B: female): a seeded subset of
    the training partition (0 and 1) and of the test partition (2; a seeded hold-out if no partition file)."""
    found = find_celeba(root)
    if found is None:
        raise FileNotFoundError("No CelebA copy found. " + celeba_manual_instructions())
    attr_file, image_dir, partition_file = found
    files, names, values = read_celeba_attributes(attr_file)
    if attribute not in names:
        raise ValueError(f"{attr_file} has no attribute {attribute!r}")
    column = values[:, names.index(attribute)]
    rng = np.random.default_rng(seed)
    if partition_file is not None:
        partition = read_celeba_partition(partition_file)
        is_test = np.array([partition.get(f, 0) == 2 for f in files])
    else:
        is_test = np.zeros(len(files), bool)
        is_test[rng.choice(len(files), size=min(len(files) // 10 or 1, len(files)), replace=False)] = True
    chosen = {}
    for domain, sign in (("a", 1), ("b", -1)):
        for split, mask, count in (("train", ~is_test, train_per_domain), ("test", is_test, test_per_domain)):
            idx = _pick(np.flatnonzero((column == sign) & mask), count, rng)
            chosen[f"{split}_{domain}"] = load_face_crops([image_dir / files[i] for i in idx], size)
    split_note = "official test partition" if partition_file is not None else "seeded 10% hold-out"
    source = (f"real CelebA in {image_dir.parent if image_dir.name != '.' else image_dir}: A = {attribute} (+1), "
              f"B = not {attribute} (-1) from {attr_file.name}; {len(chosen['train_a'])} + {len(chosen['train_b'])} "
              f"training faces, {len(chosen['test_a'])} + {len(chosen['test_b'])} test faces ({split_note}); centred "
              f"square crops resized to {size}x{size}. CelebA stands in for the book's FaceScrub actors/actresses.")
    names_ab = ("male", "female") if attribute == "Male" else (attribute, f"not {attribute}")
    return TwoDomains(train_a=chosen["train_a"], train_b=chosen["train_b"], test_a=chosen["test_a"],
                      test_b=chosen["test_b"], names=names_ab, source=source, standin=False)


def two_domain_data(size: int, train_per_domain: int | None, test_per_domain: int | None, seed: int = 0,
                    root: str | Path | None = None) -> TwoDomains:
    """Real CelebA split by ``Male`` if it is in ``data/celeba``, else the Fashion-MNIST bags/shoes stand-in."""
    if find_celeba(root) is not None:
        return celeba_domains(size, train_per_domain or 20000, test_per_domain or 1000, seed, root)
    return fashion_domains(size, train_per_domain, test_per_domain, seed)


# --- what the unpaired L1 term does ----------------------------------------------------------------------------
def per_pixel_median(images: np.ndarray) -> np.ndarray:
    """The per-pixel median image: the one image that minimises the mean L1 distance to all of ``images``."""
    return np.median(np.asarray(images, "float32"), axis=0)


def unpaired_l1(outputs: np.ndarray, targets: np.ndarray, chunk: int = 64) -> np.ndarray:
    """For each output, its mean L1 (over pixels and over every target) to ``targets``: the expected value of the
    book's MAE term when the target is an unrelated random image of the other domain. Shape (len(outputs),)."""
    outputs = np.asarray(outputs, "float32").reshape(len(outputs), -1)
    targets = np.asarray(targets, "float32").reshape(len(targets), -1)
    result = np.empty(len(outputs), "float64")
    for start in range(0, len(outputs), chunk):
        block = outputs[start: start + chunk]
        result[start: start + chunk] = np.abs(block[:, None, :] - targets[None, :, :]).mean(axis=(1, 2))
    return result


def mean_pairwise_l1(images: np.ndarray, max_images: int = 200, seed: int = 0) -> float:
    """Diversity of a set: the mean L1 between two *different* members (over all pairs of at most ``max_images``
    members, a seeded subset). A set of identical images scores 0."""
    x = np.asarray(images, "float32")
    if len(x) > max_images:
        x = x[np.sort(np.random.default_rng(seed).choice(len(x), max_images, replace=False))]
    n = len(x)
    if n < 2:
        raise ValueError("diversity needs at least two images")
    total = unpaired_l1(x, x).sum() * n  # sum over all ordered pairs of the mean L1; the diagonal is 0
    return float(total / (n * (n - 1)))


def l1_to_image(images: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Each image's mean absolute difference to ``reference`` (same H x W x C). Shape (N,)."""
    return metrics.mean_absolute_error(images, np.asarray(reference)[None], dtype="float32")


def bug_diagnostics(translations01: np.ndarray, target_real01: np.ndarray, target_median01: np.ndarray,
                    seed: int = 0) -> dict[str, float]:
    """How far translations into a domain have collapsed onto its median image, against real images of that domain.

    ``diversity``: mean pairwise L1 of the translations; ``diversity_ratio``: that over the real images' (1 = as
    varied as real images, 0 = one image for every input); ``median_l1``: mean L1 of a translation to the
    domain's median image, and ``real_median_l1`` the same for real images; ``unpaired_l1``: the book's term, the
    mean L1 of a translation to unrelated real images."""
    diversity = mean_pairwise_l1(translations01, seed=seed)
    real_diversity = mean_pairwise_l1(target_real01, seed=seed)
    rng = np.random.default_rng(seed)
    targets = target_real01 if len(target_real01) <= 256 else target_real01[rng.choice(len(target_real01), 256,
                                                                                       replace=False)]
    return {"diversity": diversity, "real_diversity": real_diversity, "diversity_ratio": diversity / real_diversity,
            "median_l1": float(l1_to_image(translations01, target_median01).mean()),
            "real_median_l1": float(l1_to_image(target_real01, target_median01).mean()),
            "unpaired_l1": float(unpaired_l1(translations01, targets).mean())}


def to_fashion_classifier(images01: np.ndarray) -> np.ndarray:
    """(N, S, S, 3) images in [0, 1] -> (N, 28, 28) grey in [0, 1] for the Fashion-MNIST domain classifier:
    channel mean, then an area resize to 28x28 (the inverse of :func:`grey_to_rgb` up to interpolation)."""
    import cv2

    grey = np.asarray(images01, "float32").mean(axis=-1)
    if grey.shape[1:] == (28, 28):
        return grey
    return np.stack([cv2.resize(g, (28, 28), interpolation=cv2.INTER_AREA) for g in grey])


def fashion_verdict(classifier, translations01: np.ndarray, target_classes: tuple[int, ...],
                    real_target01: np.ndarray) -> dict:
    """The Fashion-MNIST classifier's view of translations into a stand-in domain (all images in [0, 1]).

    ``share_target``: share classified as one of ``target_classes`` (a translated bag called a sneaker or an ankle
    boot); ``class_shares``: the share of each of the 10 classes; ``fd``: Frechet distance between the classifier's
    128 features of the translations and of ``real_target01`` (real test images of the target domain)."""

    features, logits = classifier.features_and_logits(to_fashion_classifier(translations01))
    real_features, _ = classifier.features_and_logits(to_fashion_classifier(real_target01))
    predicted = logits.argmax(-1)
    return {"share_target": float(np.isin(predicted, target_classes).mean()),
            "class_shares": (np.bincount(predicted, minlength=10) / len(predicted)).tolist(),
            "fd": metrics.frechet_distance_of_features(features, real_features)}


def unpaired_step_dataset(images_a: np.ndarray, images_b: np.ndarray, batch_size: int, seed: int, start_step: int,
                          num_steps: int):
    """``(batch_a, batch_b)`` per step in [-1, 1], each drawn with replacement from its own domain and keyed by
    (seed, step) (B with ``seed + 1``), so the two halves are unrelated and a resumed run sees the same batches."""
    import tensorflow as tf


    return tf.data.Dataset.zip((
        step_indexed_dataset(images_a, batch_size, seed, start_step, num_steps, to_tanh_range),
        step_indexed_dataset(images_b, batch_size, seed + 1, start_step, num_steps, to_tanh_range)))
