"""Where the course keeps its manifest, data and outputs.

Inside a checkout (or with ``$GANCORE_ROOT``) everything lives in the checkout: ``book.yml``, ``data/``,
``outputs/``. A chapter run elsewhere (Colab, or any Jupyter where ``gancore`` was pip-installed) reads the
manifest shipped inside the package and keeps data and outputs in ``$GANCORE_HOME`` (default ``~/gancore``).
"""

from __future__ import annotations

import os
from pathlib import Path

MANIFEST_NAME = "book.yml"
PACKAGED_MANIFEST = Path(__file__).resolve().parent / MANIFEST_NAME  # in the checkout: a link to ../book.yml


def repo_root() -> Path:
    """The course checkout: ``$GANCORE_ROOT``, else the first parent of the cwd holding book.yml."""
    env = os.environ.get("GANCORE_ROOT")
    if env:
        return Path(env).resolve()
    for folder in [Path.cwd(), *Path.cwd().parents]:
        if (folder / MANIFEST_NAME).is_file() and (folder / "chapters").is_dir():
            return folder
    package_parent = Path(__file__).resolve().parent.parent
    if (package_parent / MANIFEST_NAME).is_file():
        return package_parent
    raise FileNotFoundError(
        f"Cannot find {MANIFEST_NAME}: run from inside the course checkout or set GANCORE_ROOT."
    )


def in_checkout() -> bool:
    """True when a course checkout is found (see :func:`repo_root`)."""
    try:
        repo_root()
    except FileNotFoundError:
        return False
    return True


def workspace() -> Path:
    """The checkout, or ``$GANCORE_HOME`` (default ``~/gancore``) when gancore runs from an installed package."""
    if in_checkout():
        return repo_root()
    return Path(os.environ.get("GANCORE_HOME", Path.home() / "gancore")).expanduser().resolve()


def manifest_path() -> Path:
    """The checkout's book.yml, else the copy shipped inside the installed package."""
    if in_checkout():
        return repo_root() / MANIFEST_NAME
    if PACKAGED_MANIFEST.is_file():
        return PACKAGED_MANIFEST
    raise FileNotFoundError(f"Cannot find {MANIFEST_NAME}: not in a course checkout and the installed gancore "
                            "package has no copy; reinstall it from the repository or set GANCORE_ROOT.")


def data_dir() -> Path:
    """Root of the data cache: ``$GANCORE_DATA`` or ``<workspace>/data``."""
    env = os.environ.get("GANCORE_DATA")
    return Path(env).resolve() if env else workspace() / "data"


def outputs_dir(chapter: str | None = None) -> Path:
    """``$GANCORE_OUTPUTS`` or ``<workspace>/outputs``, plus ``/<chapter>`` if given (created)."""
    env = os.environ.get("GANCORE_OUTPUTS")
    base = Path(env).resolve() if env else workspace() / "outputs"
    path = base / chapter if chapter else base
    path.mkdir(parents=True, exist_ok=True)
    return path
