"""Skill 8 CycleGAN data: the authors' unpaired folder layout, and two offline stand-ins built from real images.

The CycleGAN archives (``apple2orange.zip``, ``horse2zebra.zip``) unpack to ``<name>/trainA``, ``trainB``,
``testA``, ``testB`` of 256x256 JPEGs. Put them in ``data/<name>/`` (``$GANCORE_DATA`` honoured) and
:func:`unpaired_data` reads them with :func:`gancore.data.folders.load_image_folder`. They cannot be fetched
here, so otherwise it writes a stand-in **in the same layout** (PNG files) and reads it with the same loader:

- ``warm_cool`` (for apple2orange): square crops of the bundled real photos (:mod:`gancore.data.standins`;
  with ``library`` the Debian photo packages too),
  sorted by colour temperature, mean(R) - mean(B) of the crop: A = *cool* crops (below ``COOL_BELOW``), B = *warm*
  crops (above ``WARM_ABOVE``), the in-between crops dropped. Apples -> oranges is mostly a change of colour and
  surface on the same shape; cool -> warm asks for a change of colour on the same content. Whole photos are
  held out: test crops come only from ``WARM_COOL_TEST_PHOTOS``. The Hubble deep field (black sky, neutral) is left
  out of the pool.
- ``striped`` (for horse2zebra, the default): real Fashion-MNIST photos of sneakers and ankle boots (classes 7
  and 9), 28x28 grey copied to three channels; A = the shoes as they are, B = *other* shoes with zebra-like
  stripes painted on the shoe only (:func:`paint_stripes`). Horse -> zebra repaints the coat and keeps the
  animal's outline and pose; plain -> striped repaints the shoe and keeps its outline. Training images from
  Fashion-MNIST's training split, test images from its test split.
- ``sneaker_boot`` (for horse2zebra, ``standin="sneaker_boot"``): sneakers (A) and ankle boots (B); the pose is
  kept (side view, toe left) but the shaft must grow or vanish, a change of shape that the CycleGAN paper lists
  among its failure cases.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from gancore import paths
from gancore.data import load_mnist
from gancore.data.cache import replace_folder
from gancore.data.folders import image_files, load_image_folder
from gancore.data.splits import TwoDomainSplit
from gancore.data.standins import describe_split, library_files, random_crops, split_photo_pool

CYCLEGAN_URL = "https://people.eecs.berkeley.edu/~taesung_park/CycleGAN/datasets/{name}.zip"
BOOK_COUNTS = {"apple2orange": (995, 1019, 266, 248), "horse2zebra": (1067, 1334, 120, 140)}
SPLITS = ("trainA", "trainB", "testA", "testB")
STANDIN_MARKER = ".standin.json"

WARM_COOL_TEST_PHOTOS = ("grace_hopper",)
WARM_COOL_EXCLUDED = ("hubble_deep_field",)
COOL_BELOW, WARM_ABOVE = 15.0, 50.0  # mean(R) - mean(B) of a crop, 0-255 units
SNEAKER, ANKLE_BOOT = 7, 9  # Fashion-MNIST class ids
STRIPED_CLASSES = (SNEAKER, ANKLE_BOOT)
STRIPE_PERIOD, STRIPE_MAX_TILT = (3.5, 5.0), 30.0  # pixels at 28x28; degrees from vertical


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
                            seed: int = 0, library: bool = False, data_root: str | Path | None = None) -> Path:
    """Write the ``warm_cool`` stand-in (``train_count`` / ``test_count`` images per domain) under ``root``; with
    ``library`` the Debian photos in ``data_root`` (:func:`gancore.data.standins.photo_library`) join the training
    photos (the test photos stay ``WARM_COOL_TEST_PHOTOS``)."""

    train_pool, test_pool = split_photo_pool(WARM_COOL_TEST_PHOTOS, library=library, root=data_root)
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

    data = load_mnist("fashion_mnist")
    rng = np.random.default_rng(seed)

    def pick(x, y, label, count):
        idx = np.flatnonzero(y == label)
        chosen = np.sort(rng.choice(idx, size=min(count, len(idx)), replace=False))
        return _grey_to_rgb(x[chosen]), chosen

    train_a, ia = pick(data.x_train, data.y_train, SNEAKER, train_count)
    train_b, ib = pick(data.x_train, data.y_train, ANKLE_BOOT, train_count)
    test_a, ta = pick(data.x_test, data.y_test, SNEAKER, test_count)
    test_b, tb = pick(data.x_test, data.y_test, ANKLE_BOOT, test_count)
    record = {"standin_for": "horse2zebra", "kind": "sneaker_boot", "size": 28, "seed": seed,
              "counts": [len(train_a), len(train_b), len(test_a), len(test_b)], "fashion_mnist": data.source,
              "indices": {"trainA": ia.tolist()[:20], "note": "first 20 indices shown"},
              "rule": "A: Fashion-MNIST class 7 (sneaker), B: class 9 (ankle boot); test images from its test split"}
    return _write_standin(root, (train_a, train_b, test_a, test_b), record)


def paint_stripes(images: np.ndarray, seed: int = 0, period: tuple[float, float] = STRIPE_PERIOD,
                  max_tilt_degrees: float = STRIPE_MAX_TILT) -> np.ndarray:
    """Zebra-like stripes painted on the object of each grey uint8 image (N, H, W) on a dark background.

    Per image a random tilt from vertical (within ``max_tilt_degrees``), period (pixels, within ``period``) and
    phase give a cosine pattern, hardened into light and dark bands; inside the object (grey above about 10,
    softened by a 3x3 blur) light bands become at least 200 and dark bands keep 40% of the pixel, so the pose and
    size of the object are unchanged; the blur lets light bands reach one pixel past the outline, and the background
    farther away is untouched."""
    import cv2

    rng = np.random.default_rng(seed)
    images = np.asarray(images)
    n, height, width = images.shape
    rows, cols = np.mgrid[0:height, 0:width].astype("float32")
    out = np.empty_like(images)
    for i in range(n):
        tilt = np.deg2rad(rng.uniform(-max_tilt_degrees, max_tilt_degrees))
        wave = np.cos(2 * np.pi * (cols * np.cos(tilt) + rows * np.sin(tilt)) / rng.uniform(*period)
                      + rng.uniform(0, 2 * np.pi))
        light = np.clip(2 * wave + 0.5, 0.0, 1.0)
        value = images[i].astype("float32")
        inside = np.clip((cv2.GaussianBlur(value, (3, 3), 0) - 10.0) / 30.0, 0.0, 1.0)
        striped = light * np.maximum(value, 200.0) + (1.0 - light) * 0.4 * value
        out[i] = np.round(inside * striped + (1.0 - inside) * value).astype(images.dtype)
    return out


def build_striped_standin(root: str | Path, train_count: int, test_count: int, seed: int = 0) -> Path:
    """Write the ``striped`` stand-in: real Fashion-MNIST shoes (sneakers and ankle boots) as 28x28 RGB PNGs, A
    plain and B with :func:`paint_stripes`; A and B are disjoint random halves of the shoes of each split (training
    images from its training split, test images from its test split)."""

    data = load_mnist("fashion_mnist")
    rng = np.random.default_rng(seed)

    def halves(x, y, count):
        idx = rng.permutation(np.flatnonzero(np.isin(y, STRIPED_CLASSES)))
        half = min(count, len(idx) // 2)
        return np.sort(idx[:half]), np.sort(idx[half : 2 * half])

    train_ia, train_ib = halves(data.x_train, data.y_train, train_count)
    test_ia, test_ib = halves(data.x_test, data.y_test, test_count)
    splits = (_grey_to_rgb(data.x_train[train_ia]), _grey_to_rgb(paint_stripes(data.x_train[train_ib], seed)),
              _grey_to_rgb(data.x_test[test_ia]), _grey_to_rgb(paint_stripes(data.x_test[test_ib], seed + 1)))
    record = {"standin_for": "horse2zebra", "kind": "striped", "size": 28, "seed": seed,
              "counts": [len(x) for x in splits], "fashion_mnist": data.source,
              "classes": {"sneaker": SNEAKER, "ankle_boot": ANKLE_BOOT},
              "rule": ("A: Fashion-MNIST sneakers and ankle boots as they are; B: other sneakers and ankle boots with "
                       f"zebra-like stripes painted on the shoe (period {STRIPE_PERIOD[0]:g}-{STRIPE_PERIOD[1]:g} px, "
                       f"tilt within {STRIPE_MAX_TILT:g} degrees of vertical); test images from its test split")}
    return _write_standin(root, splits, record)


def _grey_to_rgb(images: np.ndarray) -> np.ndarray:
    """(N, H, W) grey -> (N, H, W, 3), the grey copied to each channel."""
    return np.repeat(np.asarray(images)[..., None], 3, axis=-1)


# horse2zebra stand-ins: kind -> (builder, what the data is)
HORSE2ZEBRA_STANDINS = {
    "striped": (build_striped_standin,
                "A = Fashion-MNIST sneakers and ankle boots, B = other sneakers and ankle boots with zebra-like "
                "stripes painted on the shoe (real 28x28 grey product photos, copied to 3 channels; test images from "
                "its test split). Not horses and zebras."),
    "sneaker_boot": (build_sneaker_boot_standin,
                     "A = Fashion-MNIST sneakers, B = Fashion-MNIST ankle boots (real 28x28 grey product photos, "
                     "copied to 3 channels; test images from its test split). Not horses and zebras."),
}


def _write_standin(root: str | Path, splits, record: dict) -> Path:
    """Write the four splits and the marker into a temporary sibling folder, then move it into place."""
    root = Path(root)
    tmp = root.with_name(f".{root.name}.part-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    for name, images in zip(SPLITS, splits):
        _write_split(images, tmp / name)
    (tmp / STANDIN_MARKER).write_text(json.dumps(record, indent=2))
    return replace_folder(tmp, root)


def manual_instructions(name: str, root: Path | None = None) -> str:
    target = (root or paths.data_dir()) / name
    counts = ", ".join(f"{s} {c}" for s, c in zip(SPLITS, BOOK_COUNTS[name]))
    return (f"To use the real {name} set: download {CYCLEGAN_URL.format(name=name)}, unzip it so that "
            f"{target}/trainA, trainB, testA, testB hold the JPEGs ({counts}), and re-run.")


def unpaired_data(name: str, train_count: int, test_count: int, size: int, seed: int = 0,
                  root: str | Path | None = None, standin_size: int | None = None,
                  library: bool = False, standin: str = "striped") -> TwoDomainSplit:
    """uint8 (N, size, size, 3) images of domains A and B: the real ``name`` set (``apple2orange`` or
    ``horse2zebra``) if ``<data>/<name>/trainA`` holds images (the first ``train_count`` / ``test_count`` files of
    each split), else its stand-in (built on first use in ``<data>/standins/<kind>_<px>px_<train>_<test>_s<seed>``;
    ``folder`` and its record ``info``), both read by
    :func:`gancore.data.folders.load_image_folder`. ``library`` (apple2orange) adds the Debian photos to its training
    photos; ``standin`` (horse2zebra) is ``"striped"`` or ``"sneaker_boot"``."""
    if name not in BOOK_COUNTS:
        raise ValueError(f"Unknown set {name!r}; expected one of {sorted(BOOK_COUNTS)}")
    data_root = Path(root) if root is not None else paths.data_dir()
    real = data_root / name
    if image_files(real / "trainA"):
        train_a, train_b = (load_image_folder(real / s, size, train_count) for s in ("trainA", "trainB"))
        test_a, test_b = (load_image_folder(real / s, size, test_count) for s in ("testA", "testB"))
        source = (f"the real {name} set in {real}: {len(train_a)} / {len(train_b)} training and {len(test_a)} / "
                  f"{len(test_b)} test images (A / B), resized to {size}x{size}")
        return TwoDomainSplit(train_a=train_a, train_b=train_b, test_a=test_a, test_b=test_b, source=source,
                              standin=False, folder=real)
    if name == "apple2orange":
        px = standin_size or max(size, 64)

        library = library and bool(library_files(data_root))
        folder = (data_root / "standins"
                  / f"warm_cool_{px}px_{train_count}_{test_count}_s{seed}{'_library' if library else ''}")
        if not (folder / STANDIN_MARKER).is_file():
            build_warm_cool_standin(folder, train_count, test_count, px, seed, library=library, data_root=data_root)
        info = json.loads((folder / STANDIN_MARKER).read_text())
        what = (f"A = cool crops (mean R - mean B < {COOL_BELOW:g}), B = warm crops (> {WARM_ABOVE:g}) of real "
                f"photos: {describe_split(info['train_photos'], info['test_photos'])} (held out whole). Not apples "
                "and oranges.")
    else:
        if standin not in HORSE2ZEBRA_STANDINS:
            raise ValueError(f"Unknown horse2zebra stand-in {standin!r}; "
                             f"expected one of {sorted(HORSE2ZEBRA_STANDINS)}")
        build, what = HORSE2ZEBRA_STANDINS[standin]
        px = 28
        folder = data_root / "standins" / f"{standin}_{train_count}_{test_count}_s{seed}"
        if not (folder / STANDIN_MARKER).is_file():
            build(folder, train_count, test_count, seed)
        info = json.loads((folder / STANDIN_MARKER).read_text())
    arrays = [load_image_folder(folder / s, size) for s in SPLITS]
    source = (f"STAND-IN for {name}: {len(arrays[0])} / {len(arrays[1])} training and {len(arrays[2])} / "
              f"{len(arrays[3])} test PNGs ({px}x{px}, read at {size}x{size}) in {folder}. {what} "
              + manual_instructions(name, data_root))
    train_a, train_b, test_a, test_b = arrays
    return TwoDomainSplit(train_a=train_a, train_b=train_b, test_a=test_a, test_b=test_b, source=source, standin=True,
                          folder=folder, info=info)
