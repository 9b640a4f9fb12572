"""Every data set the course knows, with its source, size, checksum, terms and status on this machine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gancore import paths
from gancore.data import archives
from gancore.data.cache import verified_files
from gancore.data.specs import DATASETS

#: Data ids in book.yml that nothing downloads: shipped inside a Python package, or not public.
NOT_DOWNLOADED = {
    "photo_pool": ("8 photos bundled with scikit-image and matplotlib (chelsea, coffee, astronaut, ...)",
                   "scikit-image / matplotlib sample data (BSD / public domain per image)", "bundled"),
    "lfw_subset": ("skimage.data.lfw_subset(): 200 25x25 grey faces from Labeled Faces in the Wild",
                   "LFW: research use", "bundled"),
    "facescrub": ("FaceScrub actor faces (the book's private Drive copy; no public download)",
                  "FaceScrub: non-commercial research; images from the web", "not downloadable"),
}
STANDIN_NOTE = "the chapters use their stand-in built from real images"


@dataclass(frozen=True)
class Row:
    name: str
    title: str
    chapters: tuple[str, ...]
    source: str
    size: str
    checksum: str
    terms: str
    status: str


def _file_set_row(name: str, root: Path, chapters: tuple[str, ...]) -> Row:
    spec = DATASETS[name]
    folder = root / name
    found, _ = verified_files(folder, spec) if folder.is_dir() else ({}, False)
    sources = [*(f"{base}<file>.gz" for base in spec.mirror_urls()), *(p.label for p in spec.packages)]
    size = sum((folder / f).stat().st_size for f in found)
    status = "present" if len(found) == len(spec.files) else f"missing ({len(found)} of {len(spec.files)} files)"
    return Row(name, spec.title, chapters, "; then ".join(sources), f"{size:,} bytes" if found else "-",
               f"SHA-256 per file ({len(spec.files)} files)", spec.terms, status)


def _archive_row(name: str, root: Path, chapters: tuple[str, ...]) -> Row:
    dataset = archives.ARCHIVES[name]
    parts = [part for source in dataset.sources[:1] for part in source.parts]
    where = []
    for source in dataset.sources:
        first = source.parts[0]
        where.append(f"{first.urls[0]} (+{len(first.urls) - 1} mirrors)" if len(first.urls) > 1
                     else first.urls[0] if first.urls else f"kaggle {first.kaggle}")
    status = archives.status(name, root)
    if status.startswith("missing"):
        status += f"; {STANDIN_NOTE}"
    return Row(name, dataset.title, chapters, "; then ".join(where), "; ".join(p.size_text() for p in parts),
               "; ".join(f"{p.filename}: {p.checksum_text()}" for p in parts), dataset.terms, status)


def inventory(chapters_by_data: dict[str, list[str]], root: str | Path | None = None) -> list[Row]:
    """One row per data set: those of the registries, then any other id named by the chapters."""
    root = Path(root) if root is not None else paths.data_dir()
    rows = []
    for name in [*DATASETS, *archives.ARCHIVES, *NOT_DOWNLOADED]:
        chapters = tuple(chapters_by_data.get(name, ()))
        if name in DATASETS:
            rows.append(_file_set_row(name, root, chapters))
        elif name in archives.ARCHIVES:
            rows.append(_archive_row(name, root, chapters))
        else:
            title, terms, how = NOT_DOWNLOADED[name]
            status = STANDIN_NOTE if name == "facescrub" else "present (installed with the Python packages)"
            rows.append(Row(name, title, chapters, how, "-", "-", terms, status))
    known = {row.name for row in rows}
    for name, chapters in chapters_by_data.items():
        if name not in known:
            rows.append(Row(name, "(not in any registry)", tuple(chapters), "-", "-", "-", "-", "unknown"))
    return rows


def format_rows(rows: list[Row]) -> str:
    """A readable block per data set."""
    blocks = []
    for row in rows:
        blocks.append("\n".join([
            f"{row.name}: {row.title}",
            f"  chapters: {', '.join(row.chapters) or '(none; used by the stand-in builders)'}",
            f"  source:   {row.source}",
            f"  size:     {row.size}",
            f"  checksum: {row.checksum}",
            f"  terms:    {row.terms}",
            f"  status:   {row.status}"]))
    return "\n\n".join(blocks)
