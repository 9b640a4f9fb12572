"""Offline stand-ins for the face data sets, built from real images that ship inside installed packages.

Neither the Kaggle anime faces nor CelebA can be fetched from a package registry. These stand-ins keep
the real sets' folder layout so the same loader runs on both, and are small on purpose:

- ``celeba`` stand-in: the 100 real LFW faces of ``skimage.data.lfw_subset()`` (items 0-99; 25x25 grey),
  resized to 56x56 (bicubic), copied to three channels, plus their mirror images: 200 PNGs in
  ``<root>/img_align_celeba/``.
- ``anime_faces`` stand-in: square colour crops (random position, side 25-70% of the shorter edge, random
  mirror) of real photos bundled with scikit-image (astronaut, chelsea, coffee, rocket, motorcycle left/right,
  Hubble deep field) and matplotlib (grace_hopper), resized to 56x56: ``<root>/images/``. They are
  photographs, nothing like drawn anime faces.

A hidden ``.standin.json`` in the root records what was built, from what, and when.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from PIL import Image

STANDIN_MARKER = ".standin.json"
LFW_FACES = 100  # lfw_subset items 0-99 are faces, 100-199 are non-face patches
PHOTO_POOL = ("astronaut", "chelsea", "coffee", "rocket", "motorcycle_left", "motorcycle_right",
              "hubble_deep_field", "grace_hopper")
LAYOUT = {"celeba": "img_align_celeba", "anime_faces": "images"}


def lfw_faces() -> np.ndarray:
    """The 100 real LFW faces shipped with scikit-image: (100, 25, 25) uint8 grey."""
    from skimage import data

    faces = data.lfw_subset()[:LFW_FACES]
    return np.round(np.clip(faces, 0.0, 1.0) * 255).astype("uint8")


def photo_pool() -> dict[str, np.ndarray]:
    """The real colour photos bundled with scikit-image and matplotlib (no download): name -> (H, W, 3) uint8."""
    import matplotlib
    from skimage import data, io

    skimage_dir = Path(data.__file__).parent
    pool = {}
    for name in PHOTO_POOL:
        if name == "grace_hopper":
            path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
            image = np.asarray(Image.open(path).convert("RGB"))
        elif name.startswith("motorcycle"):
            image = io.imread(skimage_dir / f"{name}.png")
        else:
            image = getattr(data, name)()
        pool[name] = np.ascontiguousarray(np.asarray(image)[..., :3].astype("uint8"))
    return pool


def split_photo_pool(test_photos) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The photo pool split into (training photos, held-out ``test_photos``), so test crops come from whole
    photos a network never saw; an unknown name is an error that lists the pool."""
    pool = photo_pool()
    unknown = set(test_photos) - set(pool)
    if unknown:
        raise ValueError(f"Unknown test photos {sorted(unknown)}; the pool has {sorted(pool)}")
    return ({k: v for k, v in pool.items() if k not in test_photos},
            {k: v for k, v in pool.items() if k in test_photos})


def resize(image: np.ndarray, size: int) -> np.ndarray:
    """Resize a uint8 (H, W[, 3]) image to size x size: OpenCV area averaging when shrinking, bicubic when growing."""
    import cv2

    shrink = image.shape[0] >= size and image.shape[1] >= size
    return cv2.resize(np.ascontiguousarray(image), (size, size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def random_crops(pool: dict[str, np.ndarray], count: int, size: int, seed: int,
                 min_fraction: float = 0.25, max_fraction: float = 0.7) -> tuple[np.ndarray, list[str]]:
    """``count`` square crops (side a random fraction of the photo's shorter edge), mirrored half the time."""
    rng = np.random.default_rng(seed)
    names = sorted(pool)
    crops, origins = [], []
    for i in range(count):
        name = names[i % len(names)]
        image = pool[name]
        height, width = image.shape[:2]
        side = int(rng.uniform(min_fraction, max_fraction) * min(height, width))
        top, left = rng.integers(0, height - side + 1), rng.integers(0, width - side + 1)
        crop = resize(image[top : top + side, left : left + side], size)
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        crops.append(crop)
        origins.append(name)
    return np.stack(crops), origins


def _write_images(images: np.ndarray, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i, image in enumerate(images):
        path = folder / f"{i:05d}.png"
        tmp = folder / f".{i:05d}.png.part-{os.getpid()}"
        Image.fromarray(image).save(tmp, format="PNG", compress_level=1)
        os.replace(tmp, path)
        files.append(path)
    return files


def _mark(root: Path, record: dict) -> None:
    (root / STANDIN_MARKER).write_text(json.dumps(record, indent=2))


def build_face_standin(root: str | Path, size: int = 56) -> list[Path]:
    """The CelebA stand-in: 100 LFW faces and their mirror images, size x size RGB PNGs."""
    root = Path(root)
    faces = np.stack([resize(face, size) for face in lfw_faces()])
    faces = np.concatenate([faces, faces[:, :, ::-1]])
    faces = np.repeat(faces[..., None], 3, axis=-1)
    files = _write_images(faces, root / LAYOUT["celeba"])
    _mark(root, {"standin_for": "celeba", "images": len(files), "size": size,
                 "built_from": "skimage.data.lfw_subset() items 0-99 (real LFW faces, 25x25 grey) + mirror images"})
    return files


def build_anime_standin(root: str | Path, count: int = 2000, size: int = 56, seed: int = 0) -> list[Path]:
    """The anime-faces stand-in: ``count`` colour crops of the bundled photo pool, size x size RGB PNGs."""
    root = Path(root)
    crops, origins = random_crops(photo_pool(), count, size, seed)
    files = _write_images(crops, root / LAYOUT["anime_faces"])
    _mark(root, {"standin_for": "anime_faces", "images": len(files), "size": size, "seed": seed,
                 "built_from": "random square crops (+mirror) of " + ", ".join(PHOTO_POOL),
                 "per_photo": {name: origins.count(name) for name in sorted(set(origins))}})
    return files


BUILDERS = {"celeba": build_face_standin, "anime_faces": build_anime_standin}


def standin_info(root: str | Path) -> dict | None:
    """The record of a built stand-in, or None if ``root`` holds none."""
    path = Path(root) / STANDIN_MARKER
    return json.loads(path.read_text()) if path.is_file() else None
