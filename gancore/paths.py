"""Where the course keeps its manifest, data and outputs."""

from __future__ import annotations

import os
from pathlib import Path

MANIFEST_NAME = "book.yml"


def repo_root() -> Path:
    """The course checkout: ``$GANCORE_ROOT``, else the first parent of the cwd holding book.yml."""
    env = os.environ.get("GANCORE_ROOT")
    if env:
        return Path(env).resolve()
    for folder in [Path.cwd(), *Path.cwd().parents]:
        if (folder / MANIFEST_NAME).is_file():
            return folder
    package_parent = Path(__file__).resolve().parent.parent
    if (package_parent / MANIFEST_NAME).is_file():
        return package_parent
    raise FileNotFoundError(
        f"Cannot find {MANIFEST_NAME}: run from inside the course checkout or set GANCORE_ROOT."
    )


def data_dir() -> Path:
    """Root of the data cache: ``$GANCORE_DATA`` or ``<repo>/data``."""
    env = os.environ.get("GANCORE_DATA")
    return Path(env).resolve() if env else repo_root() / "data"


def outputs_dir(chapter: str | None = None) -> Path:
    """``$GANCORE_OUTPUTS`` or ``<repo>/outputs``, plus ``/<chapter>`` if given (created)."""
    env = os.environ.get("GANCORE_OUTPUTS")
    base = Path(env).resolve() if env else repo_root() / "outputs"
    path = base / chapter if chapter else base
    path.mkdir(parents=True, exist_ok=True)
    return path
