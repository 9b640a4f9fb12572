"""Streaming a folder of image files (jpeg/png/gif/bmp) through tf.data, skipping unreadable files."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image

from gancore.data.specs import IMAGE_EXTENSIONS
from gancore.data.standins import resize

_FORMATS = {"JPEG", "PNG", "GIF", "BMP", "MPO"}  # MPO: multi-picture JPEGs from some cameras


@dataclass
class FolderReport:
    """What :func:`image_folder_dataset` found: every (non-hidden) file is either usable or skipped with a reason."""

    folder: Path
    found: int = 0
    usable: int = 0
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def summary(self, max_listed: int = 5) -> str:
        text = f"{self.folder}: {self.found} files found, {self.usable} usable images, {len(self.skipped)} skipped"
        if self.skipped:
            listed = "; ".join(f"{path.name} ({reason})" for path, reason in self.skipped[:max_listed])
            more = f"; and {len(self.skipped) - max_listed} more" if len(self.skipped) > max_listed else ""
            text += f": {listed}{more}"
        return text


def check_image(path: Path) -> str | None:
    """None if ``path`` is a complete jpeg/png/gif/bmp image, else the reason it is not.

    Files without an image extension are rejected unread. Others are opened with Pillow (header,
    format), verified, and decoded in full (at reduced scale for JPEG) so truncated files are caught.
    """
    if path.suffix.lower() not in IMAGE_EXTENSIONS:
        return f"not an image file extension ({path.suffix or 'none'})"
    try:
        with Image.open(path) as image:
            if image.format not in _FORMATS:
                return f"unsupported format {image.format}"
            image.verify()
        with Image.open(path) as image:
            if image.format in ("JPEG", "MPO"):
                image.draft("L", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except Exception as err:  # Pillow raises many kinds of errors for bad files; all mean "unusable"
        return f"unreadable: {type(err).__name__}: {err}"
    return None


def scan_folder(folder: str | Path, workers: int | None = None) -> FolderReport:
    """List the files under ``folder`` recursively (sorted, hidden ones ignored) and check each one."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"Image folder {folder} does not exist: create it and put .jpg/.png/.gif/.bmp "
                                f"images in it (subfolders are fine).")
    candidates = sorted(
        Path(root) / name
        for root, dirs, names in os.walk(folder)
        for name in names
        if not name.startswith(".") and not any(part.startswith(".") for part in Path(root).relative_to(folder).parts)
    )
    report = FolderReport(folder=folder, found=len(candidates))
    with ThreadPoolExecutor(max_workers=workers or min(8, os.cpu_count() or 1)) as pool:
        for path, reason in zip(candidates, pool.map(check_image, candidates)):
            if reason is None:
                report.files.append(path)
            else:
                report.skipped.append((path, reason))
    report.usable = len(report.files)
    return report


def _scaler(value_range: tuple[float, float]):
    low, high = (float(v) for v in value_range)
    if high <= low:
        raise ValueError(f"value_range must be (low, high) with low < high, got {value_range}")
    return lambda x: tf.clip_by_value(x / 255.0 * (high - low) + low, low, high)


def image_folder_dataset(folder: str | Path, image_size: tuple[int, int], batch_size: int,
                         value_range: tuple[float, float] = (-1.0, 1.0), channels: int = 3,
                         shuffle_seed: int | None = None, repeat: bool = False,
                         drop_remainder: bool = True) -> tuple[tf.data.Dataset, FolderReport]:
    """Batches (N, H, W, channels) float32 in ``value_range`` streamed from the images under ``folder``.

    Files are listed recursively and checked first (see :func:`check_image`); those that are not
    complete jpeg/png/gif/bmp images are skipped and listed in the returned :class:`FolderReport`.
    Decoding happens inside tf.data (first frame of a GIF); images are resized with antialiasing to
    ``image_size`` without keeping aspect ratio. A file that still fails to decode is dropped by
    ``ignore_errors`` (TensorFlow logs a warning) rather than stopping a run.
    """
    if channels not in (1, 3, 4):
        raise ValueError(f"channels must be 1, 3 or 4, got {channels}")
    scale = _scaler(value_range)
    report = scan_folder(folder)
    if report.usable == 0:
        raise ValueError(f"No usable images under {report.folder} (looked for {', '.join(IMAGE_EXTENSIONS)}, "
                         f"recursively). {report.summary()}. Put image files there or point to another folder.")
    if drop_remainder and report.usable < batch_size:
        raise ValueError(f"Only {report.usable} usable images under {report.folder}, fewer than batch_size="
                         f"{batch_size}, so drop_remainder=True would yield no batch; lower batch_size.")
    height, width = (int(v) for v in image_size)

    def load(path):
        image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
        image.set_shape([None, None, channels])
        resized = tf.image.resize(tf.cast(image, tf.float32), (height, width), antialias=True)
        return scale(resized)

    dataset = tf.data.Dataset.from_tensor_slices([str(path) for path in report.files])
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(report.files), seed=shuffle_seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).ignore_errors(log_warning=True)
    return dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE), report


def step_indexed_folder_dataset(files: list[Path], image_size: tuple[int, int], batch_size: int, seed: int,
                                start_step: int, num_steps: int, value_range: tuple[float, float] = (-1.0, 1.0),
                                channels: int = 3) -> tf.data.Dataset:
    """Batches of images drawn with replacement from ``files``, batch ``s`` a pure function of (seed, s).

    Streams like :func:`image_folder_dataset` (one decode per drawn image), but a run resumed at
    step ``k`` reads exactly the images an uninterrupted run would have read from step ``k`` on.
    Pass the checked ``FolderReport.files`` so unreadable files are already excluded.
    """
    if not files:
        raise ValueError("No image files to draw from")
    scale = _scaler(value_range)
    height, width = (int(v) for v in image_size)
    paths = tf.constant([str(path) for path in files])
    count = len(files)

    def load(item):
        index = tf.random.stateless_uniform([], seed=tf.stack([tf.constant(seed, tf.int64), item]), minval=0,
                                            maxval=count, dtype=tf.int64, alg="philox")
        image = tf.io.decode_image(tf.io.read_file(paths[index]), channels=channels, expand_animations=False)
        image.set_shape([None, None, channels])
        return scale(tf.image.resize(tf.cast(image, tf.float32), (height, width), antialias=True))

    items = tf.data.Dataset.range(start_step * batch_size, (start_step + num_steps) * batch_size)
    images = items.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return images.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def image_files(folder: str | Path) -> list[Path]:
    """The image files of a folder (by extension, hidden files skipped), sorted by name; [] if it does not exist."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith("."))


def load_image_folder(folder: str | Path, size: int, limit: int | None = None) -> np.ndarray:
    """uint8 RGB (N, size, size, 3) from the first ``limit`` image files of ``folder`` (by name), resized with
    :func:`gancore.data.standins.resize` (area when shrinking, bicubic when growing). Unreadable files are skipped
    with a warning that names and counts them; no image at all is an error."""
    import warnings


    files = image_files(folder)[:limit]
    if not files:
        raise FileNotFoundError(f"No image files ({', '.join(IMAGE_EXTENSIONS)}) in {folder}")
    images, skipped = [], []
    for path in files:
        try:
            with Image.open(path) as image:
                images.append(resize(np.asarray(image.convert("RGB")), size))
        except (OSError, ValueError) as error:
            skipped.append(f"{path.name} ({type(error).__name__})")
    if skipped:
        warnings.warn(f"{folder}: skipped {len(skipped)} unreadable of {len(files)} files: {'; '.join(skipped[:5])}",
                      stacklevel=2)
    if not images:
        raise ValueError(f"None of the {len(files)} image files in {folder} could be read")
    return np.stack(images)
