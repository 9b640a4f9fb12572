"""The face image sets of Skill 4 (anime faces, CelebA): find the real set, or fall back to a stand-in.

Resolution for ``resolve_faces(name)``:

1. ``data/<name>/`` (``$GANCORE_DATA`` honoured) holding usable images, searched recursively: the real set;
2. with ``download=True``, :mod:`gancore.data.archives` (the Kaggle CLI with an API token, CelebA's Google
   Drive files first), checked and unpacked into ``data/<name>/``; on failure the exact manual steps are printed;
3. otherwise the offline stand-in ``data/standins/<name>/`` built from real images (see
   :mod:`gancore.data.standins`), built on first use.

Also here: loading a file list as a uint8 array, the [-1, 1] scaling of the book, and a fixed pixel-space
feature map for Frechet/kernel distances between image sets.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gancore import paths
from gancore.data import standins
from gancore.data.archives import ArchiveUnavailableError, ensure_archive_dataset
from gancore.data.folders import scan_folder

KAGGLE = {
    "anime_faces": {"slug": "splcher/animefacedataset", "title": "Anime Face Dataset (~63,565 crops)",
                    "layout": "images/*.jpg"},
    "celeba": {"slug": "jessicali9530/celeba-dataset", "title": "CelebA (202,599 aligned faces)",
               "layout": "img_align_celeba/img_align_celeba/*.jpg"},
}


@dataclass
class FaceSet:
    """A resolved image folder: its files, whether it is a stand-in, and a one-line description."""

    name: str
    folder: Path
    files: list[Path]
    standin: bool
    source: str

    def __len__(self) -> int:
        return len(self.files)


def manual_instructions(name: str) -> str:
    """Exactly what to download and where to put it."""
    info, target = KAGGLE[name], paths.data_dir() / name
    return (f"To use the real {info['title']}: run `python data_scripts/fetch_data.py {name}` (it needs an API "
            f"token in ~/.kaggle/kaggle.json for https://www.kaggle.com/datasets/{info['slug']}), or download "
            f"that page's zip and unzip it into {target}/ so that {target}/{info['layout']} exist. "
            f"Any folder of images under {target}/ works; subfolders are searched.")


def download_real(name: str) -> bool:
    """Install the real set with :func:`gancore.data.archives.ensure_archive_dataset`; False (reasons printed)
    when no source could provide it."""

    try:
        ensure_archive_dataset(name)
    except ArchiveUnavailableError as err:
        print(err)
        return False
    return True


def standin_root(name: str) -> Path:
    return paths.data_dir() / "standins" / name


def ensure_standin(name: str) -> Path:
    """Build the stand-in for ``name`` unless it is already complete; returns its root folder."""
    if name not in standins.BUILDERS:
        raise ValueError(f"Unknown face set {name!r}; known: {', '.join(sorted(standins.BUILDERS))}")
    root = standin_root(name)
    info = standins.standin_info(root)
    if info is not None and info.get("version", 1) != standins.VERSIONS[name]:
        print(f"The {name} stand-in in {root} is from an older version of the course; rebuilding it.")
        shutil.rmtree(root)
        info = None
    if info is None:
        standins.BUILDERS[name](root)
    return root


def resolve_faces(name: str, download: bool = False, allow_standin: bool = True) -> FaceSet:
    """The real set in ``data/<name>/`` if it holds images, else (optionally) Kaggle, else the stand-in."""

    if name not in KAGGLE:
        raise ValueError(f"Unknown face set {name!r}; known: {', '.join(sorted(KAGGLE))}")
    real = paths.data_dir() / name
    if not (real.is_dir() and any(real.iterdir())) and download:
        download_real(name)
    if real.is_dir() and any(real.iterdir()):
        report = scan_folder(real)
        if report.usable:
            return FaceSet(name, real, report.files, False, f"real {KAGGLE[name]['title']}: {report.summary()}")
    if not allow_standin:
        raise FileNotFoundError(f"No images under {real}. " + manual_instructions(name))
    root = ensure_standin(name)
    files = sorted((root / standins.LAYOUT[name]).glob("*.png"))  # written and checked by the builder
    info = standins.standin_info(root)
    if len(files) != info["images"]:
        raise ValueError(f"The stand-in in {root} is incomplete ({len(files)} of {info['images']} images): "
                         f"rebuild it with `python data_scripts/build_standins.py {name} --rebuild`.")
    return FaceSet(name, root, files, True,
                   f"STAND-IN for {KAGGLE[name]['title']} ({len(files)} images, {info['built_from']}); "
                   f"the real set is not on this machine. {manual_instructions(name)}")


def load_images(files: list[Path], size: int = 56) -> np.ndarray:
    """Read image files as (N, size, size, 3) uint8 RGB, resized like the book (OpenCV, bilinear)."""
    import cv2

    out = np.empty((len(files), size, size, 3), dtype="uint8")
    for i, path in enumerate(files):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError(f"Cannot read image {path}")
        out[i] = cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), (size, size))
    return out


def resize_images(images: np.ndarray, size: int) -> np.ndarray:
    """(N, H, W, C) images resized to size x size: OpenCV area averaging when shrinking, bicubic when growing.

    Keeps the dtype; float images are clipped back to their input range after bicubic overshoot.
    """
    images = np.asarray(images)
    if images.shape[1:3] == (size, size):
        return images.copy()
    out = np.stack([standins.resize(image, size) for image in images])  # the stand-in builders' one resize rule
    out = out.reshape(len(images), size, size, *images.shape[3:])
    return np.clip(out, images.min(), images.max()).astype(images.dtype)
