"""Skill 8 CycleGAN data: the authors' unpaired folder layout, and two offline stand-ins built from real images.

The CycleGAN archives (``apple2orange.zip``, ``horse2zebra.zip``) unpack to ``<name>/trainA``, ``trainB``,
``testA``, ``testB`` of 256x256 JPEGs. Put them in ``data/<name>/`` (``$GANCORE_DATA`` honoured) and
:func:`unpaired_data` reads them with :func:`gancore.data.folders.load_image_folder`. They cannot be fetched here, so otherwise it
writes a stand-in **in the same layout** (PNG files) and reads it with the same loader:

- ``warm_cool`` (for apple2orange): square crops of the bundled real photos (:mod:`gancore.data.standins`; with ``library`` the Debian photo packages too),
  sorted by colour temperature, mean(R) - mean(B) of the crop: A = *cool* crops (below ``COOL_BELOW``), B = *warm*
  crops (above ``WARM_ABOVE``), the in-between crops dropped. Apples -> oranges is mostly a change of colour and
  surface on the same shape; cool -> warm asks for a change of colour on the same content. Whole photos are
  held out: test crops come only from ``WARM_COOL_TEST_PHOTOS``. The Hubble deep field (black sky, neutral) is left
  out of the pool.
- ``sneaker_boot`` (for horse2zebra): real Fashion-MNIST photos of sneakers (A, class 7) and ankle boots (B,
  class 9), 28x28 grey copied to three channels; training images from its training split, test images from its
  test split. Horse -> zebra changes an animal's coat and keeps its pose; sneaker -> ankle boot keeps the pose
  (side view, toe left) and must grow or remove the shaft, a change of shape that the CycleGAN paper lists among
  its failure cases.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gancore import paths
from gancore.data.folders import image_files, load_image_folder

CYCLEGAN_URL = "https://people.eecs.berkeley.edu/~taesung_park/CycleGAN/datasets/{name}.zip"
BOOK_COUNTS = {"apple2orange": (995, 1019, 266, 248), "horse2zebra": (1067, 1334, 120, 140)}
SPLITS = ("trainA", "trainB", "testA", "testB")
STANDIN_MARKER = ".standin.json"

WARM_COOL_TEST_PHOTOS = ("grace_hopper",)
WARM_COOL_EXCLUDED = ("hubble_deep_field",)
COOL_BELOW, WARM_ABOVE = 15.0, 50.0  # mean(R) - mean(B) of a crop, 0-255 units
SNEAKER, ANKLE_BOOT = 7, 9  # Fashion-MNIST class ids


def warmth(images: np.ndarray) -> np.ndarray:
    """Colour temperature of each uint8 RGB image: mean red minus mean blue (0-255 units; > 0 warm)."""
    x = np.asarray(images, "float32")
    return x[..., 0].mean(axis=(-2, -1)) - x[..., 2].mean(axis=(-2, -1))


def _write_split(images: np.ndarray, folder: Path) -> None:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        Image.fromarray(np.ascontiguousarray(image)).save(folder / f"{i + 1:05d}.png")


def _sorted_crops(pool: dict, count_a: int, count_b: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """Draw crops from ``pool`` until ``count_a`` cool and ``count_b`` warm ones are found."""
    from gancore.data.standins import random_crops

    cool, warm, origins = [], [], {"A": {}, "B": {}}
    batch_seed = seed
    while len(cool) < count_a or len(warm) < count_b:
        crops, names = random_crops(pool, 256, size, batch_seed, min_fraction=0.15, max_fraction=0.5)
        batch_seed += 1000
        if batch_seed > seed + 1000 * 400:
            raise RuntimeError(f"Could not find {count_a} cool and {count_b} warm crops in {sorted(pool)}")
        for crop, name, w in zip(crops, names, warmth(crops)):
            if w < COOL_BELOW and len(cool) < count_a:
                cool.append(crop)
                origins["A"][name] = origins["A"].get(name, 0) + 1
            elif w > WARM_ABOVE and len(warm) < count_b:
                warm.append(crop)
                origins["B"][name] = origins["B"].get(name, 0) + 1
    return np.stack(cool), np.stack(warm), origins


def build_warm_cool_standin(root: str | Path, train_count: int, test_count: int, size: int = 64,
                            seed: int = 0, library: bool = False) -> Path:
    """Write the ``warm_cool`` stand-in (``train_count`` / ``test_count`` images per domain) under ``root``; with
    ``library`` the Debian photos on this machine (:func:`gancore.data.standins.photo_library`) join the training
    photos (the test photos stay ``WARM_COOL_TEST_PHOTOS``)."""
    from gancore.data.standins import split_photo_pool

    train_pool, test_pool = split_photo_pool(WARM_COOL_TEST_PHOTOS, library=library)
    train_pool = {k: v for k, v in train_pool.items() if k not in WARM_COOL_EXCLUDED}
    train_a, train_b, train_origins = _sorted_crops(train_pool, train_count, train_count, size, seed)
    test_a, test_b, test_origins = _sorted_crops(test_pool, test_count, test_count, size, seed + 1)
    record = {"standin_for": "apple2orange", "kind": "warm_cool", "size": size, "seed": seed,
              "counts": [train_count, train_count, test_count, test_count],
              "test_photos": sorted(test_pool), "train_photos": sorted(train_pool), "library": library,
              "per_photo": {"train": train_origins, "test": test_origins},
              "rule": f"A: mean(R) - mean(B) < {COOL_BELOW}; B: > {WARM_ABOVE} (crops of 15-50% of the shorter edge)"}
    return _write_standin(root, (train_a, train_b, test_a, test_b), record)


def build_sneaker_boot_standin(root: str | Path, train_count: int, test_count: int, seed: int = 0) -> Path:
    """Write the ``sneaker_boot`` stand-in: Fashion-MNIST sneakers (A) and ankle boots (B) as 28x28 RGB PNGs;
    a random ``train_count`` of each class from the training split and ``test_count`` from the test split."""
    from gancore.data import load_mnist

    data = load_mnist("fashion_mnist")
    rng = np.random.default_rng(seed)

    def pick(x, y, label, count):
        idx = np.flatnonzero(y == label)
        chosen = np.sort(rng.choice(idx, size=min(count, len(idx)), replace=False))
        return np.repeat(x[chosen][..., None], 3, axis=-1), chosen

    train_a, ia = pick(data.x_train, data.y_train, SNEAKER, train_count)
    train_b, ib = pick(data.x_train, data.y_train, ANKLE_BOOT, train_count)
    test_a, ta = pick(data.x_test, data.y_test, SNEAKER, test_count)
    test_b, tb = pick(data.x_test, data.y_test, ANKLE_BOOT, test_count)
    record = {"standin_for": "horse2zebra", "kind": "sneaker_boot", "size": 28, "seed": seed,
              "counts": [len(train_a), len(train_b), len(test_a), len(test_b)], "fashion_mnist": data.source,
              "indices": {"trainA": ia.tolist()[:20], "note": "first 20 indices shown"},
              "rule": "A: Fashion-MNIST class 7 (sneaker), B: class 9 (ankle boot); test images from its test split"}
    return _write_standin(root, (train_a, train_b, test_a, test_b), record)


def _write_standin(root: str | Path, splits, record: dict) -> Path:
    """Write the four splits and the marker into a temporary sibling folder, then move it into place."""
    root = Path(root)
    tmp = root.with_name(f".{root.name}.part-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    for name, images in zip(SPLITS, splits):
        _write_split(images, tmp / name)
    (tmp / STANDIN_MARKER).write_text(json.dumps(record, indent=2))
    if root.exists():
        shutil.rmtree(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, root)
    return root


def manual_instructions(name: str, root: Path | None = None) -> str:
    target = (root or paths.data_dir()) / name
    counts = ", ".join(f"{s} {c}" for s, c in zip(SPLITS, BOOK_COUNTS[name]))
    return (f"To use the real {name} set: download {CYCLEGAN_URL.format(name=name)}, unzip it so that "
            f"{target}/trainA, trainB, testA, testB hold the JPEGs ({counts}), and re-run.")


@dataclass
class UnpairedData:
    """uint8 (N, S, S, 3) images of the two domains, train and test, and where they came from."""

    train_a: np.ndarray
    train_b: np.ndarray
    test_a: np.ndarray
    test_b: np.ndarray
    source: str
    standin: bool
    folder: Path
    info: dict | None = None


def unpaired_data(name: str, train_count: int, test_count: int, size: int, seed: int = 0,
                  root: str | Path | None = None, standin_size: int | None = None,
                  library: bool = False) -> UnpairedData:
    """The real ``name`` set (``apple2orange`` or ``horse2zebra``) if ``<data>/<name>/trainA`` holds images
    (the first ``train_count`` / ``test_count`` files of each split), else its stand-in (built on first use in
    ``<data>/standins/<kind>_<px>px_<train>_<test>_s<seed>``), both read by :func:`gancore.data.folders.load_image_folder`."""
    if name not in BOOK_COUNTS:
        raise ValueError(f"Unknown set {name!r}; expected one of {sorted(BOOK_COUNTS)}")
    data_root = Path(root) if root is not None else paths.data_dir()
    real = data_root / name
    if image_files(real / "trainA"):
        train_a, train_b = (load_image_folder(real / s, size, train_count) for s in ("trainA", "trainB"))
        test_a, test_b = (load_image_folder(real / s, size, test_count) for s in ("testA", "testB"))
        source = (f"the real {name} set in {real}: {len(train_a)} / {len(train_b)} training and {len(test_a)} / "
                  f"{len(test_b)} test images (A / B), resized to {size}x{size}")
        return UnpairedData(train_a, train_b, test_a, test_b, source, False, real)
    if name == "apple2orange":
        px = standin_size or max(size, 64)
        from gancore.data.standins import describe_split, library_files

        library = library and bool(library_files(data_root))
        folder = (data_root / "standins"
                  / f"warm_cool_{px}px_{train_count}_{test_count}_s{seed}{'_library' if library else ''}")
        if not (folder / STANDIN_MARKER).is_file():
            build_warm_cool_standin(folder, train_count, test_count, px, seed, library=library)
        info = json.loads((folder / STANDIN_MARKER).read_text())
        what = (f"A = cool crops (mean R - mean B < {COOL_BELOW:g}), B = warm crops (> {WARM_ABOVE:g}) of real "
                f"photos: {describe_split(info['train_photos'], info['test_photos'])} (held out whole). Not apples "
                "and oranges.")
    else:
        px = 28
        folder = data_root / "standins" / f"sneaker_boot_{train_count}_{test_count}_s{seed}"
        if not (folder / STANDIN_MARKER).is_file():
            build_sneaker_boot_standin(folder, train_count, test_count, seed)
        info = json.loads((folder / STANDIN_MARKER).read_text())
        what = ("A = Fashion-MNIST sneakers, B = Fashion-MNIST ankle boots (real 28x28 grey product photos, copied to "
                "3 channels; test images from its test split). Not horses and zebras.")
    arrays = [load_image_folder(folder / s, size) for s in SPLITS]
    source = (f"STAND-IN for {name}: {len(arrays[0])} / {len(arrays[1])} training and {len(arrays[2])} / "
              f"{len(arrays[3])} test PNGs ({px}x{px}, read at {size}x{size}) in {folder}. {what} "
              + manual_instructions(name, data_root))
    return UnpairedData(*arrays, source=source, standin=True, folder=folder, info=info)
