"""A dry run of the ``full`` profile: the book's networks, resolutions and data layouts, cut to a couple of steps.

``gancore run --profile full --dry-run`` (``make test-full``) executes every chapter with its ``full`` settings
except the ones that only set *how long* it runs (:func:`cut_settings`: training steps to 2, epochs to 1,
evaluation and sample counts to a few hundred, seed lists to their first seed), on mini copies of the book's
data sets in their real layouts (:func:`build_mini_data`: cut from real photographs, a few images per folder).
Every cell after training still runs. It proves that the ``full`` code path works end to end and measures each
training step's cost here, from which :func:`estimate_rows` extrapolates the full run.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from gancore.chapters.maps import map_rendering
from gancore.data import standins

DRY_RUN_ENV = "GANCORE_DRY_RUN"
TRAINING_STEPS = 2
EVAL_SAMPLES = 256
IMAGES_PER_FOLDER = 8

#: settings that count training steps (cut to 2; discriminator updates to 10), epochs (to 1), steps per epoch or
#: per call (to 1), evaluation cadences (to 1), evaluation or sample sizes (to at most EVAL_SAMPLES), image
#: counts (to IMAGES_PER_FOLDER)
STEP_KEYS = {"steps", "variant_steps", "paper_steps", "book_steps", "guide_steps", "face_steps", "gp_steps",
             "ssl_steps", "toy_steps", "circle_steps", "dim_steps", "adv_train_steps", "ablation_steps",
             "pretrain_steps", "seed_steps", "book_recipe_steps", "fallback_steps"}
D_UPDATE_KEYS = {"d_updates"}  # discriminator updates, up to 5 per generator step: cut to 2 generator steps' worth
MAX_CRITIC_STEPS = 5
EPOCH_KEYS = {"epochs", "elbo_epochs", "classifier_epochs"}
PER_EPOCH_KEYS = {"steps_per_epoch", "book_steps_per_epoch", "guide_steps_per_epoch", "face_steps_per_epoch",
                  "variant_steps_per_epoch", "steps_per_execution", "toy_steps_per_execution", "interrupt_at"}
POINT_KEYS = {"loss_points", "toy_snapshots"}  # points per run (steps // points must stay >= 1): cut to 2
CADENCE_KEYS = {"eval_every_epochs", "book_eval_every_epochs", "guide_eval_every_epochs", "paper_eval_every_epochs",
                "variant_eval_every_epochs", "grid_every_epochs", "face_eval_every", "frame_every", "save_every"}
SAMPLE_KEYS = {"eval_samples", "book_eval_samples", "inception_samples", "test_samples", "train_samples",
               "scatter_samples", "curve_test", "real_points", "toy_samples", "nn_queries", "eval_per_class",
               "eval_per_code", "train_reference", "classifier_images", "eval_test_images", "face_samples",
               "copies_distinct", "in_memory_limit", "test_per_domain", "train_per_domain"}
IMAGE_KEYS = {"train_images", "test_images", "validation_images"}
SEED_LIST_KEYS = {"seeds", "toy_seeds", "variant_seeds", "ablation_seeds"}


def active() -> bool:
    return os.environ.get(DRY_RUN_ENV, "").strip() not in ("", "0")


def cut_settings(settings: dict[str, Any]) -> tuple[dict[str, Any], dict[str, tuple[Any, Any]]]:
    """``full`` settings with their run-length keys cut (network, resolution and batch keys untouched); returns
    the new settings and the changes (key -> (full value, dry-run value))."""
    out = dict(settings)
    for key, value in settings.items():
        if isinstance(value, bool) or value is None:
            continue
        new = value
        if key in STEP_KEYS and isinstance(value, int):
            new = min(value, TRAINING_STEPS)
        elif key in POINT_KEYS and isinstance(value, int):
            new = min(value, TRAINING_STEPS)
        elif key in D_UPDATE_KEYS and isinstance(value, int):
            new = min(value, TRAINING_STEPS * MAX_CRITIC_STEPS)
        elif key in EPOCH_KEYS | PER_EPOCH_KEYS | CADENCE_KEYS and isinstance(value, int):
            new = min(value, 1)
        elif key in SAMPLE_KEYS and isinstance(value, int):
            new = min(value, EVAL_SAMPLES)
        elif key in IMAGE_KEYS and isinstance(value, int):
            new = min(value, IMAGES_PER_FOLDER)
        elif key in SEED_LIST_KEYS and isinstance(value, list):
            new = value[:1]
        elif key == "sizes" and isinstance(value, list):
            new = [v for v in value if v <= EVAL_SAMPLES] or value[:1]
        elif key == "repeats" and isinstance(value, int):
            new = 1
        if new != value:
            out[key] = new
    if isinstance(settings.get("interrupt_at"), int) and isinstance(settings.get("steps_per_epoch"), int):
        # the interruption demo stops in the middle of the second epoch and resumes from the first one's backup
        out["steps_per_epoch"] = min(settings["steps_per_epoch"], 2)
        out["interrupt_at"] = min(settings["interrupt_at"], out["steps_per_epoch"] + 1)
        if isinstance(out.get("steps"), int):
            out["steps"] = min(settings["steps"], max(out["steps"], 2 * out["steps_per_epoch"]))
    return out, {k: (settings[k], out[k]) for k in settings if out[k] != settings[k]}


def full_training_steps(settings: dict[str, Any]) -> int:
    """Training steps the ``full`` settings ask for: the sum of its step keys (epochs x steps per epoch where a
    chapter counts in epochs), times the number of seeds where a seed list repeats the training."""
    counted = (STEP_KEYS | D_UPDATE_KEYS) - {"fallback_steps"}  # fallback: only when an earlier output is missing
    steps = sum(int(settings[k]) for k in counted if isinstance(settings.get(k), int))
    if not steps and isinstance(settings.get("epochs"), int):  # counted in epochs over the training images
        per_epoch = settings.get("steps_per_epoch") or math.ceil(
            int(settings.get("train_samples") or 60000) / int(settings.get("batch_size") or 128))
        steps = settings["epochs"] * int(per_epoch)
    seeds = max((len(settings[k]) for k in SEED_LIST_KEYS if isinstance(settings.get(k), list)), default=1)
    return steps * seeds


# ---------------------------------------------------------------------------------------------- mini data


def _photos() -> list[np.ndarray]:

    return [image[..., :3] if image.ndim == 3 else np.repeat(image[..., None], 3, -1)
            for image in standins.photo_pool().values()]


def _crops(count: int, width: int, height: int, seed: int) -> list[np.ndarray]:
    """``count`` crops of the bundled real photos, resized to width x height (uint8 RGB)."""
    import cv2

    rng = np.random.default_rng(seed)
    photos = _photos()
    out = []
    for i in range(count):
        photo = photos[i % len(photos)]
        h, w = photo.shape[:2]
        side_h, side_w = min(h, int(0.6 * h)), min(w, int(0.6 * w))
        top, left = rng.integers(0, h - side_h + 1), rng.integers(0, w - side_w + 1)
        crop = np.ascontiguousarray(photo[top: top + side_h, left: left + side_w]).astype("uint8")
        out.append(cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA))
    return out


def _save(images: list[np.ndarray], folder: Path, names: list[str] | None = None) -> list[str]:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    names = names or [f"{i:04d}.jpg" for i in range(len(images))]
    for image, name in zip(images, names):
        Image.fromarray(image).save(folder / name, quality=92)
    return names


def build_mini_data(root: str | Path, source: str | Path) -> Path:
    """A data folder holding the real caches of ``source`` (linked) and mini copies of the book's image sets in
    their real layouts, each image a crop of a real photograph: ``apple2orange``, ``horse2zebra`` and
    ``selfie2anime`` (``trainA/ trainB/ testA/ testB``, 256x256), ``maps`` (``train/ val``, 600x1200 A|B pairs),
    ``celeba`` (178x218 ``img_align_celeba/`` with the attribute and partition files), ``anime_faces``
    (``images/``, 96x96) and ``facescrub`` (``actor_faces/<name>/*.jpeg`` and ``actress_faces``, 300x300).
    Rebuilt only when absent."""
    root, source = Path(root), Path(source)
    marker = root / ".mini-data.json"
    if marker.is_file():
        return root
    root.mkdir(parents=True, exist_ok=True)
    for entry in sorted(source.iterdir()) if source.is_dir() else []:
        if entry.name.startswith(".") or entry.name == "standins" or (root / entry.name).exists():
            continue
        (root / entry.name).symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
    n = IMAGES_PER_FOLDER
    for k, name in enumerate(("apple2orange", "horse2zebra", "selfie2anime")):
        for j, split in enumerate(("trainA", "trainB", "testA", "testB")):
            _save(_crops(n, 256, 256, 10 * k + j), root / name / split)
    import cv2


    for j, split in enumerate(("train", "val")):
        photos = _crops(n, 600, 600, 40 + j)
        pairs = [np.concatenate([p, cv2.resize(map_rendering(p), (600, 600))], axis=1) for p in photos]
        _save(pairs, root / "maps" / split)
    faces = _crops(3 * n, 178, 218, 50)
    names = _save(faces, root / "celeba" / "img_align_celeba", [f"{i + 1:06d}.jpg" for i in range(len(faces))])
    attributes = ["5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs",
                  "Big_Lips", "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows",
                  "Chubby", "Double_Chin", "Eyeglasses", "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones",
                  "Male", "Mouth_Slightly_Open", "Mustache", "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin",
                  "Pointy_Nose", "Receding_Hairline", "Rosy_Cheeks", "Sideburns", "Smiling", "Straight_Hair",
                  "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat", "Wearing_Lipstick", "Wearing_Necklace",
                  "Wearing_Necktie", "Young"]
    rng = np.random.default_rng(0)
    rows = [" ".join([file, *(str(v) for v in rng.choice([-1, 1], len(attributes)))]) for file in names]
    rows = [row.split() for row in rows]
    male = attributes.index("Male") + 1
    for i, row in enumerate(rows):
        row[male] = "1" if i % 2 else "-1"  # both domains of the DiscoGAN split
    (root / "celeba" / "list_attr_celeba.txt").write_text(
        f"{len(names)}\n{' '.join(attributes)}\n" + "\n".join(" ".join(r) for r in rows) + "\n")
    (root / "celeba" / "list_eval_partition.txt").write_text(
        "".join(f"{file} {0 if i < 2 * n else 2}\n" for i, file in enumerate(names)))
    _save(_crops(2 * n, 96, 96, 60), root / "anime_faces" / "images")
    for j, group in enumerate(("actor_faces", "actress_faces")):
        _save(_crops(n, 300, 300, 70 + j), root / "facescrub" / group / f"person_{j}",
              [f"{i:03d}.jpeg" for i in range(n)])
    marker.write_text(json.dumps({"built_from": "crops of the photos bundled with scikit-image and matplotlib",
                                  "images_per_folder": n}, indent=2))
    return root


# ---------------------------------------------------------------------------------------------- estimates


def read_step_log(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def step_seconds(records: list[dict]) -> float | None:
    """The slowest steady step among the fits of a chapter (its main network), or None without timings."""
    values = [r["median_seconds"] for r in records if r.get("median_seconds")]
    return max(values) if values else None


def estimate_rows(chapters, reports: dict[str, dict], gflops_here: float, gpu_tflops: float) -> list[dict]:
    """Per chapter: dry-run status and time, seconds per step here, full training steps, CPU hours here and a GPU
    estimate = CPU time x (this machine's measured GFLOP/s / the GPU's peak), i.e. assuming the GPU reaches the
    same fraction of its peak as this CPU did (an optimistic bound for small networks)."""
    rows = []
    for chapter in chapters:
        report = reports.get(chapter.id, {})
        seconds = report.get("step_seconds")
        steps = full_training_steps(chapter.settings("full"))
        cpu_hours = seconds * steps / 3600 if seconds else None
        gpu_hours = cpu_hours * gflops_here / (1000 * gpu_tflops) if cpu_hours else None
        rows.append({"chapter": chapter.id, "status": report.get("status", "not run"),
                     "dry_run_seconds": report.get("seconds"), "load": report.get("load"), "step_seconds": seconds,
                     "full_steps": steps, "cpu_hours": cpu_hours, "gpu_hours": gpu_hours,
                     "error": report.get("error", "")})
    return rows


def estimates_markdown(data: dict) -> str:
    """The table of ``full-estimates.json`` (rows from :func:`estimate_rows`), then the failed chapters' errors."""
    fmt = lambda v, f: "-" if v is None else format(v, f)  # noqa: E731
    lines = [f"Machine: {data['machine']}; float32 matrix products here: {data['gflops_here']:.0f} GFLOP/s. GPU "
             f"hours assume {data['gpu']} at {data['gpu_tflops']} TFLOP/s reaches the same share of its peak as this "
             "CPU did (optimistic for small networks, whose steps are bound by overheads). Seconds per step: the "
             "slowest steady training step of the chapter's fits (the first, which includes tracing, excluded); "
             "load: the 1-minute load average when the chapter started (2 cores: above 2 means shared). Full steps: "
             "the sum of the profile's step settings (times its seeds), an approximation.", "",
             "| chapter | dry run | dry run (s) | load | s/step here | full steps | CPU hours here | GPU hours (est) |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for row in data["rows"]:
        lines.append(f"| {row['chapter']} | {row['status']} | {fmt(row['dry_run_seconds'], '.0f')} | "
                     f"{fmt(row.get('load'), '.1f')} | {fmt(row['step_seconds'], '.2f')} | {row['full_steps']:,} | "
                     f"{fmt(row['cpu_hours'], '.1f')} | {fmt(row['gpu_hours'], '.2f')} |")
    failed = [row for row in data["rows"] if row["status"] != "ok"]
    if failed:
        lines += ["", "Failed or skipped:"] + [f"- {row['chapter']}: {row['error'] or row['status']}"
                                                for row in failed]
    return "\n".join(lines) + "\n"


def measure_gflops(seconds: float = 2.0) -> float:
    """This machine's float32 matrix-product rate (GFLOP/s) on 2048x2048 operands, best of a few seconds."""
    import time

    import tensorflow as tf

    a = tf.random.normal((2048, 2048))
    b = tf.random.normal((2048, 2048))
    tf.linalg.matmul(a, b).numpy()
    best, start = 0.0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        tick = time.perf_counter()
        tf.linalg.matmul(a, b).numpy()
        best = max(best, 2 * 2048**3 / (time.perf_counter() - tick) / 1e9)
    return best
