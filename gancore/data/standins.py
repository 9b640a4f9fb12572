"""Offline stand-ins for the face data sets, built from real images that ship inside installed packages.

Neither the Kaggle anime faces nor CelebA can be fetched from a package registry. These stand-ins keep
the real sets' folder layout so the same loader runs on both, and are small on purpose:

- ``celeba`` stand-in: the 100 real LFW faces of ``skimage.data.lfw_subset()`` (items 0-99; 25x25 grey),
  resized to 56x56 (bicubic), copied to three channels, plus their mirror images: 200 PNGs in
  ``<root>/img_align_celeba/``.
- ``anime_faces`` stand-in: drawn faces, like the real set's. Google's Noto Color Emoji font (Debian package
  ``fonts-noto-color-emoji``, SIL Open Font License) gives 246 hand-drawn heads: 29 people emoji (children,
  adults, elders, royals, wizards, vampires, elves...) in six skin tones, and four hair styles for three of them.
  Each image is one of them, cropped around the head at a random zoom and offset, mirrored half the time, on a
  random pale background, at 56x56: ``<root>/images/``. Without the font (no apt) the builder falls back to the
  first stand-in, square crops of the bundled photos (see :func:`random_crops`), and says so in its record.

A hidden ``.standin.json`` in the root records what was built, from what, and when.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from PIL import Image

from gancore import paths
from gancore.data.sources import DataUnavailableError, ensure_dataset
from gancore.data.specs import PHOTO_FILES

STANDIN_MARKER = ".standin.json"
LFW_FACES = 100  # lfw_subset items 0-99 are faces, 100-199 are non-face patches
PHOTO_POOL = ("astronaut", "chelsea", "coffee", "rocket", "motorcycle_left", "motorcycle_right",
              "hubble_deep_field", "grace_hopper")
LIBRARY_MAX_SIDE = 1024  # longer side of a library photo after loading
LAYOUT = {"celeba": "img_align_celeba", "anime_faces": "images"}
#: Bumped when a builder changes what it makes, so an older stand-in on disk is rebuilt on next use.
VERSIONS = {"celeba": 1, "anime_faces": 2}

SKIN_TONES = ("", "\U0001F3FB", "\U0001F3FC", "\U0001F3FD", "\U0001F3FE", "\U0001F3FF")
#: People emoji drawn as a head and shoulders (full-body ones such as superheroes and fairies left out).
HEAD_EMOJI = (0x1F476, 0x1F9D2, 0x1F466, 0x1F467, 0x1F9D1, 0x1F471, 0x1F468, 0x1F469, 0x1F9D3, 0x1F474, 0x1F475,
              0x1F478, 0x1F934, 0x1F472, 0x1F473, 0x1F9D5, 0x1F9D4, 0x1F46E, 0x1F482, 0x1F477, 0x1F9D9, 0x1F9DB,
              0x1F9DD, 0x1F47C, 0x1F470, 0x1F935, 0x1F936, 0x1F385, 0x1F977)
HAIR_STYLES = (0x1F9B0, 0x1F9B1, 0x1F9B3, 0x1F9B2)  # red, curly, white, bald: joined to person, man, woman
EMOJI_GLYPH = (136, 128)  # canvas for one glyph of the font's 109-pixel bitmap strike


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


def library_files(root: str | Path | None = None) -> dict[str, Path]:
    """The Debian photo packages' files (``gancore.data.specs.PHOTO_FILES``) that are in the data folder, by
    pool name ``<package>-<file stem>``; nothing is decoded."""

    base = Path(root) if root is not None else paths.data_dir()
    found = {f"{dataset.removeprefix('photos_')}-{Path(file).stem}": base / dataset / file
             for dataset, files in PHOTO_FILES.items() for file in sorted(files)}
    return {name: path for name, path in found.items() if path.is_file()}


def photo_library(max_side: int = LIBRARY_MAX_SIDE, root: str | Path | None = None) -> dict[str, np.ndarray]:
    """The real photos of the Debian photo packages (``gancore.data.specs.PHOTO_PACKAGES``) that are in the data
    folder (``make data`` fetches them, SHA-256 checked): ``<package>-<file stem>`` -> (H, W, 3) uint8, shrunk so
    the longer side is at most ``max_side`` (JPEG draft decoding, then area averaging). Empty when none are there."""
    library = {}
    for name, path in library_files(root).items():
        with Image.open(path) as image:
            image.draft("RGB", (max_side, max_side))  # the JPEG decoder scales by 1/2, 1/4, 1/8 for free
            image = image.convert("RGB")
            if max(image.size) > max_side:
                image.thumbnail((max_side, max_side), Image.Resampling.BOX)
            library[name] = np.asarray(image, "uint8")
    return library


def photo_names(library: bool = True) -> list[str]:
    """The names of the photo pool, sorted (with ``library``, the Debian photos on this machine too), without
    loading any image."""
    return sorted([*PHOTO_POOL, *(library_files() if library else ())])


def split_photo_pool(test_photos, library: bool = True,
                     root: str | Path | None = None) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The photo pool split into (training photos, held-out ``test_photos``), so test crops come from whole
    photos a network never saw; an unknown name is an error that lists the pool. With ``library`` the Debian
    photos (:func:`photo_library`) in the data folder ``root`` (default: the course's) join the pool."""
    pool = photo_pool()
    if library:
        pool.update(photo_library(root=root))
    unknown = set(test_photos) - set(pool)
    if unknown:
        raise ValueError(f"Unknown test photos {sorted(unknown)}; the pool has {sorted(pool)}")
    return ({k: v for k, v in pool.items() if k not in test_photos},
            {k: v for k, v in pool.items() if k in test_photos})


def describe_split(train_pool: dict, test_pool: dict) -> str:
    """Where the photos of a train/test split come from, in words (for a notebook's data line)."""
    def origin(names):
        bundled = sorted(n for n in names if n in PHOTO_POOL)
        library = sorted(n for n in names if n not in PHOTO_POOL)
        parts = [f"{len(bundled)} shipped in scikit-image / matplotlib ({', '.join(bundled)})"] if bundled else []
        if library:
            packages = sorted({n.split("-")[0] for n in library})
            parts.append(f"{len(library)} from the Debian photo packages ({', '.join(packages)}; "
                         "see data_scripts/README.md for each one's terms)")
        return " and ".join(parts)

    return (f"training crops from {len(train_pool)} real photos: {origin(train_pool)}; held-out crops from "
            f"{len(test_pool)} other photos: {origin(test_pool)}")


def resize(image: np.ndarray, size: int) -> np.ndarray:
    """Resize an (H, W[, C]) image to size x size: OpenCV area averaging when shrinking, bicubic when growing."""
    import cv2

    shrink = image.shape[0] >= size and image.shape[1] >= size
    interpolation = cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
    return cv2.resize(np.ascontiguousarray(image), (size, size), interpolation=interpolation)


def square_crops(pool: dict[str, np.ndarray], count: int, seed: int, fractions: tuple[float, float] = (0.25, 0.7),
                 min_side: int = 0, size: int | None = None) -> tuple[list[np.ndarray], list[str]]:
    """``count`` square crops (side a random fraction of the photo's shorter edge, at least ``min_side`` pixels),
    mirrored half the time; photos taken in turn. Resized to ``size`` x ``size`` if given, else kept at the
    photo's own resolution. Returns the crops and the name of the photo each came from."""
    rng = np.random.default_rng(seed)
    names = sorted(pool)
    crops, origins = [], []
    for i in range(count):
        name = names[i % len(names)]
        image = pool[name]
        height, width = image.shape[:2]
        if min(height, width) < min_side:
            raise ValueError(f"photo {name} ({height}x{width}) is smaller than {min_side} pixels")
        side = max(min_side, int(rng.uniform(*fractions) * min(height, width)))
        top, left = rng.integers(0, height - side + 1), rng.integers(0, width - side + 1)
        crop = image[top : top + side, left : left + side]
        if size is not None:
            crop = resize(crop, size)
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        crops.append(np.ascontiguousarray(crop))
        origins.append(name)
    return crops, origins


def random_crops(pool: dict[str, np.ndarray], count: int, size: int, seed: int,
                 min_fraction: float = 0.25, max_fraction: float = 0.7) -> tuple[np.ndarray, list[str]]:
    """``count`` square crops resized to ``size`` x ``size`` (see :func:`square_crops`), stacked."""
    crops, origins = square_crops(pool, count, seed, (min_fraction, max_fraction), size=size)
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
    _mark(root, {"standin_for": "celeba", "version": VERSIONS["celeba"], "images": len(files), "size": size,
                 "built_from": "skimage.data.lfw_subset() items 0-99 (real LFW faces, 25x25 grey) + mirror images"})
    return files


def emoji_sequences() -> list[str]:
    """The drawn heads used: every :data:`HEAD_EMOJI` in every skin tone, and the hair styles of three of them."""
    heads = [chr(code) + tone for code in HEAD_EMOJI for tone in SKIN_TONES]
    hair = [chr(code) + tone + "\u200d" + chr(style) for code in (0x1F9D1, 0x1F468, 0x1F469)
            for style in HAIR_STYLES for tone in SKIN_TONES]
    return heads + hair


def render_emoji(font_path: str | Path, sequences: list[str]) -> np.ndarray:
    """Each emoji drawn with its own colours: (N, 128, 136, 4) uint8 RGBA on a transparent canvas."""
    from PIL import ImageDraw, ImageFont

    font = ImageFont.truetype(str(font_path), 109)  # the colour bitmaps exist at this size only
    glyphs = []
    for text in sequences:
        canvas = Image.new("RGBA", EMOJI_GLYPH, (0, 0, 0, 0))
        ImageDraw.Draw(canvas).text((0, 0), text, font=font, embedded_color=True)
        glyph = np.asarray(canvas)
        if (glyph[..., 3] > 0).mean() < 0.1:
            raise ValueError(f"The font {font_path} drew (almost) nothing for emoji {text!r}")
        glyphs.append(glyph)
    return np.stack(glyphs)


def head_crops(glyphs: np.ndarray, count: int, size: int, seed: int) -> tuple[np.ndarray, list[int]]:
    """``count`` size x size RGB images: a random glyph, cropped square around the head at a random zoom and
    offset, mirrored half the time, composited on a random pale background. Also the glyph index of each."""
    import colorsys

    rng = np.random.default_rng(seed)
    height, width = glyphs.shape[1:3]
    images, picks = [], []
    for _ in range(count):
        pick = int(rng.integers(len(glyphs)))
        side = int(rng.uniform(0.72, 0.95) * height)
        top = int(rng.integers(0, min(12, height - side) + 1))
        left = int(np.clip(width // 2 + rng.integers(-5, 6) - side // 2, 0, width - side))
        crop = Image.fromarray(glyphs[pick]).crop((left, top, left + side, top + side))
        colour = colorsys.hsv_to_rgb(rng.uniform(), rng.uniform(0.05, 0.35), rng.uniform(0.75, 1.0))
        background = Image.new("RGBA", crop.size, tuple(int(255 * c) for c in colour) + (255,))
        background.alpha_composite(crop)
        image = background.convert("RGB").resize((size, size), Image.LANCZOS)
        if rng.random() < 0.5:
            image = image.transpose(Image.FLIP_LEFT_RIGHT)
        images.append(np.asarray(image))
        picks.append(pick)
    return np.stack(images), picks


def build_anime_standin(root: str | Path, count: int = 2000, size: int = 56, seed: int = 0,
                        font_path: str | Path | None = None) -> list[Path]:
    """The anime-faces stand-in: ``count`` drawn heads from the Noto emoji font, size x size RGB PNGs.

    ``font_path`` defaults to the verified copy fetched by ``ensure_dataset("noto_emoji")``; when the font cannot
    be had, the photo-crop stand-in is built instead, with the reason in its record.
    """
    root = Path(root)
    try:
        if font_path is None:

            try:
                folder, _ = ensure_dataset("noto_emoji")
            except DataUnavailableError as err:
                raise FileNotFoundError(str(err).splitlines()[0]) from err
            font_path = folder / "NotoColorEmoji.ttf"
        sequences = emoji_sequences()
        images, picks = head_crops(render_emoji(font_path, sequences), count, size, seed)
    except (FileNotFoundError, OSError, ValueError) as err:
        print(f"The drawn-face stand-in needs the Noto Color Emoji font ({err}); building photo crops instead.")
        crops, origins = random_crops(photo_pool(), count, size, seed)
        files = _write_images(crops, root / LAYOUT["anime_faces"])
        _mark(root, {"standin_for": "anime_faces", "version": VERSIONS["anime_faces"], "images": len(files),
                     "size": size, "seed": seed, "kind": "photo crops",
                     "built_from": "random square crops (+mirror) of " + ", ".join(PHOTO_POOL)
                                   + " (fallback: the emoji font was not available)",
                     "per_photo": {name: origins.count(name) for name in sorted(set(origins))}})
        return files
    files = _write_images(images, root / LAYOUT["anime_faces"])
    _mark(root, {"standin_for": "anime_faces", "version": VERSIONS["anime_faces"], "images": len(files),
                 "size": size, "seed": seed, "kind": "drawn faces", "drawn_heads": len(sequences),
                 "built_from": f"{len(sequences)} drawn heads of the Noto Color Emoji font (people in six skin tones), "
                               "randomly cropped and mirrored on pale backgrounds",
                 "heads_used": len(set(picks))})
    return files


BUILDERS = {"celeba": build_face_standin, "anime_faces": build_anime_standin}


def standin_info(root: str | Path) -> dict | None:
    """The record of a built stand-in, or None if ``root`` holds none."""
    path = Path(root) / STANDIN_MARKER
    return json.loads(path.read_text()) if path.is_file() else None
