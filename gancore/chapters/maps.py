"""Skill 8 aerial photo -> map (Pix2Pix E2): the A|B side-by-side pairs, the offline stand-in, and the loader.

The real pix2pix ``maps`` set (1,096 train / 1,098 val JPEGs, 600x1200: aerial photo on the left half, the
Google-Maps rendering on the right) lives at ``data/maps/{train,val}/*.jpg`` (``$GANCORE_DATA`` honoured) once
downloaded by hand (:func:`manual_instructions`). Without it, :func:`build_maps_standin` writes a stand-in with
the same layout and file format, built from real photos:

- **A** = a square colour crop of a photo in the bundled pool (:mod:`gancore.data.standins`);
- **B** = a deterministic "map-like" rendering of that crop (:func:`map_rendering`): mean-shift smoothing
  (OpenCV ``pyrMeanShiftFiltering``), every pixel painted one of five flat map colours by its smoothed hue,
  saturation and brightness (water blue, park green, road white, building grey, land beige), and the Canny edges
  of the smoothed image drawn on top in grey.

Whole photos are held out: training pairs come from the pool minus ``test_photos``, the ``val`` pairs only from
``test_photos``. The same :func:`load_ab_folder` reads both the stand-in and the real set.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from gancore import paths
from gancore.data import standins
from gancore.data.cache import replace_folder
from gancore.data.splits import TwoDomainSplit
from gancore.data.standins import resize

MAPS_URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/maps.tar.gz"
BOOK_TRAIN_FILES, BOOK_VAL_FILES = 1096, 1098
TEST_PHOTOS = ("chelsea", "coffee")  # never cropped for training
STANDIN_MARKER = ".standin.json"

# Flat colours of the rendering (RGB), close to the map tiles of the real set.
MAP_COLOURS = {"water": (170, 205, 250), "park": (200, 228, 180), "road": (255, 255, 255),
               "building": (222, 220, 214), "land": (242, 239, 233)}
EDGE_COLOUR = (150, 150, 150)


RENDERING_VERSION = 2  # bumped when map_rendering changes, so an older stand-in on disk is rebuilt


def map_rendering(photo: np.ndarray) -> np.ndarray:
    """A deterministic flat-colour "map" of a uint8 RGB photo (H, W, 3) -> uint8 RGB of the same size.

    1. a 5x5 Gaussian blur (sigma 1.5) removes fine texture;
    2. each blurred pixel gets a map colour from its HSV: blue hue (OpenCV 90-130) with saturation > 50 ->
       water; green hue (35-90) with saturation > 40 -> park; saturation < 40 and value > 170 -> road; value < 90
       -> building; otherwise land; a 3x3 median filter removes specks;
    3. the Canny edges (60, 140) of the blurred grey, thickened by a 3x3 dilation, are drawn in grey.

    Every step is local (a few pixels around each pixel), so a convolutional network can learn the whole
    rendering from the photo. (Version 1 used mean-shift filtering, which reaches far across the image, and
    one-pixel edges that vanish when the pair is shrunk: a network could not draw them.)
    """
    import cv2

    photo = np.ascontiguousarray(photo[..., :3].astype("uint8"))
    smooth = cv2.GaussianBlur(cv2.cvtColor(photo, cv2.COLOR_RGB2BGR), (5, 5), 1.5)
    hsv = cv2.cvtColor(smooth, cv2.COLOR_BGR2HSV).astype("int32")
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    labels = np.full(photo.shape[:2], 4, "uint8")  # land
    labels[val < 90] = 3  # building
    labels[(sat < 40) & (val > 170)] = 2  # road
    labels[(hue >= 35) & (hue < 90) & (sat > 40)] = 1  # park
    labels[(hue >= 90) & (hue <= 130) & (sat > 50)] = 0  # water
    labels = cv2.medianBlur(labels, 3)
    palette = np.array([MAP_COLOURS[k] for k in ("water", "park", "road", "building", "land")], "uint8")
    rendering = palette[labels]
    edges = cv2.dilate(cv2.Canny(cv2.cvtColor(smooth, cv2.COLOR_BGR2GRAY), 60, 140), np.ones((3, 3), "uint8")) > 0
    rendering[edges] = EDGE_COLOUR
    return rendering


def edge_lines(maps_uint8: np.ndarray) -> np.ndarray:
    """Boolean (N, H, W): the pixels of map images (uint8 RGB) that belong to drawn edge lines: grey (channels
    within 40 of each other) and darker than every map colour (mean < 185; the map colours are 200 or more)."""
    images = np.asarray(maps_uint8, "int32")
    return (images.max(axis=-1) - images.min(axis=-1) < 40) & (images.mean(axis=-1) < 185)


def edge_f1(predicted_uint8: np.ndarray, target_uint8: np.ndarray, tolerance: int = 1) -> np.ndarray:
    """Per-image F1 of the drawn edge lines (:func:`edge_lines`) against the target map's, a line pixel counting
    as found when the other image has one within ``tolerance`` pixels. 1 when neither image has lines."""
    import cv2

    kernel = np.ones((2 * tolerance + 1, 2 * tolerance + 1), "uint8")
    scores = []
    for p, t in zip(edge_lines(predicted_uint8), edge_lines(target_uint8)):
        if not p.any() and not t.any():
            scores.append(1.0)
            continue
        near_t = cv2.dilate(t.astype("uint8"), kernel) > 0
        near_p = cv2.dilate(p.astype("uint8"), kernel) > 0
        precision = (p & near_t).sum() / max(p.sum(), 1)
        recall = (t & near_p).sum() / max(t.sum(), 1)
        scores.append(0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall))
    return np.array(scores)


def join_ab(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A and B (same shape) side by side: (H, 2W, 3), A on the left, as in the pix2pix files."""
    if a.shape != b.shape:
        raise ValueError(f"A and B must have the same shape, got {a.shape} and {b.shape}")
    return np.concatenate([a, b], axis=1)


def split_ab(pair: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The book's split "from the middle": A = columns [0, W//2), B = columns [W//2, W)."""
    half = pair.shape[1] // 2
    return pair[:, :half], pair[:, half:]


def _write_jpeg(image: np.ndarray, path: Path, quality: int = 95) -> None:
    from PIL import Image

    Image.fromarray(image).save(path, format="JPEG", quality=quality)


def build_maps_standin(root: str | Path, train_count: int, test_count: int, size: int = 128, seed: int = 0,
                       test_photos: tuple[str, ...] = TEST_PHOTOS) -> Path:
    """Write ``<root>/train/*.jpg`` and ``<root>/val/*.jpg``: size x 2*size A|B JPEGs (quality 95); returns root.

    Built in a temporary sibling folder and moved into place, so a half-written stand-in is never left behind;
    an existing ``root`` is replaced. The same (counts, size, seed) always give the same pixels."""

    root = Path(root)
    train_pool, test_pool = standins.split_photo_pool(test_photos)
    tmp = root.with_name(f".{root.name}.part-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    per_split = {}
    for split, sub_pool, count, split_seed in (("train", train_pool, train_count, seed),
                                                ("val", test_pool, test_count, seed + 1)):
        crops, origins = standins.random_crops(sub_pool, count, size, split_seed)
        folder = tmp / split
        folder.mkdir(parents=True)
        for i, crop in enumerate(crops):
            _write_jpeg(join_ab(crop, map_rendering(crop)), folder / f"{i + 1}.jpg")
        per_split[split] = {name: origins.count(name) for name in sorted(set(origins))}
    record = {"standin_for": "maps", "rendering_version": RENDERING_VERSION, "size": size, "seed": seed,
              "train": train_count, "val": test_count,
              "test_photos": sorted(test_pool), "per_photo": per_split,
              "pool": sorted([*train_pool, *test_pool]),
              "built_from": "A: square crops (+mirror) of the photo pool (bundled and Debian photos); "
                            "B: gancore.chapters.maps.map_rendering(A)"}
    (tmp / STANDIN_MARKER).write_text(json.dumps(record, indent=2))
    return replace_folder(tmp, root)


def ab_files(folder: str | Path) -> list[Path]:
    """The .jpg files of a folder, in the numeric order of their names (1.jpg, 2.jpg, ..., 10.jpg)."""
    files = [p for p in Path(folder).glob("*.jpg") if not p.name.startswith(".")]
    return sorted(files, key=lambda p: (int(p.stem) if p.stem.isdigit() else float("inf"), p.name))


def load_ab_folder(folder: str | Path, size: int, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(A, B) uint8 arrays (N, size, size, 3) from the A|B JPEGs of ``folder``: each file split in the middle
    and each half resized to size x size (OpenCV area averaging when shrinking, bicubic when growing)."""
    from PIL import Image


    files = ab_files(folder)[:limit]
    if not files:
        raise FileNotFoundError(f"No .jpg A|B files in {folder}")
    a_list, b_list = [], []
    for path in files:
        with Image.open(path) as image:
            a, b = split_ab(np.asarray(image.convert("RGB")))
        a_list.append(resize(a, size))
        b_list.append(resize(b, size))
    return np.stack(a_list), np.stack(b_list)


def manual_instructions(root: Path | None = None) -> str:
    target = (root or paths.data_dir()) / "maps"
    return (f"To use the real pix2pix maps set: download {MAPS_URL} (about 250 MB), extract it so that "
            f"{target}/train/*.jpg ({BOOK_TRAIN_FILES} files) and {target}/val/*.jpg ({BOOK_VAL_FILES} files) exist, "
            f"and re-run. Each file is 600x1200, aerial photo | map.")


def maps_data(train_count: int, test_count: int, size: int, seed: int = 0,
              test_photos: tuple[str, ...] = TEST_PHOTOS, root: str | Path | None = None,
              standin_size: int | None = None) -> TwoDomainSplit:
    """uint8 (N, size, size, 3) aerial photos (A) and maps (B): the real ``maps`` set if ``<data>/maps/train`` holds
    JPEGs (all of train, the first ``test_count`` of val), else the stand-in (built on first use in
    ``<data>/standins/maps_<px>px_<train>_<test>_s<seed>``); ``folder`` is where the A|B files are."""
    data_root = Path(root) if root is not None else paths.data_dir()
    real = data_root / "maps"
    if ab_files(real / "train") if (real / "train").is_dir() else []:
        train_a, train_b = load_ab_folder(real / "train", size)
        test_a, test_b = load_ab_folder(real / "val", size, limit=test_count)
        source = (f"the real pix2pix maps set in {real}: {len(train_a)} train pairs, {len(test_a)} val pairs used "
                  f"as the test set, resized to {size}x{size}")
        return TwoDomainSplit(train_a=train_a, train_b=train_b, test_a=test_a, test_b=test_b, source=source,
                              standin=False, folder=real)

    px = standin_size or max(size, 64)
    folder = data_root / "standins" / f"maps_{px}px_{train_count}_{test_count}_s{seed}"
    info_path = folder / STANDIN_MARKER
    info = json.loads(info_path.read_text()) if info_path.is_file() else {}
    pool_names = standins.photo_names()
    if (info.get("test_photos") != sorted(test_photos) or info.get("rendering_version") != RENDERING_VERSION
            or info.get("pool") != pool_names):
        build_maps_standin(folder, train_count, test_count, px, seed, test_photos)
    info = json.loads(info_path.read_text())
    train_a, train_b = load_ab_folder(folder / "train", size)
    test_a, test_b = load_ab_folder(folder / "val", size)
    train_photos = sorted(info["per_photo"]["train"])
    source = (f"STAND-IN for the pix2pix maps set: {len(train_a)} train / {len(test_a)} held-out A|B JPEGs "
              f"({px}x{2 * px}, read at {size}x{size}) in {folder}. A = crops of {len(train_photos)} real photos for "
              f"training and of {', '.join(info['test_photos'])} for testing (whole photos held out); B = a "
              f"flat-colour map rendering of A (blurred pixels painted water / park / road / building / land by "
              f"colour, thickened Canny edges on top). Not aerial photos, not Google maps. "
              + manual_instructions(data_root))
    return TwoDomainSplit(train_a=train_a, train_b=train_b, test_a=test_a, test_b=test_b, source=source,
                          standin=True, folder=folder)
