"""The local data cache: SHA-256 checks, atomic installs and the ``.verified.json`` stamp."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import zlib
from pathlib import Path
from typing import BinaryIO

from gancore.data.specs import DatasetSpec

CHUNK = 1 << 20
STAMP_NAME = ".verified.json"
GZIP_MAGIC = b"\x1f\x8b"


class ChecksumError(ValueError):
    """A file's content does not match the SHA-256 the registry expects."""


class CorruptDataError(ValueError):
    """A compressed stream is not valid gzip or ends early."""


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def part_path(target: Path) -> Path:
    """The temporary name a file is written under before it is verified: ``.<name>.part-<pid>`` beside it."""
    return target.with_name(f".{target.name}.part-{os.getpid()}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but belongs to someone else, or cannot tell: leave its files alone
    return True


def remove_stale_parts(folder: Path) -> list[Path]:
    """Delete ``.<name>.part-<pid>`` files and folders in ``folder`` (and one level below) whose process is gone.

    They are what a download or stand-in build killed with ``kill -9`` leaves behind; a live process's files
    are kept. Returns what was removed.
    """
    removed = []
    if not folder.is_dir():
        return removed
    candidates = list(folder.glob(".*.part-*")) + list(folder.glob("*/.*.part-*"))
    for path in candidates:
        pid = path.name.rsplit(".part-", 1)[1]
        if not pid.isdigit() or int(pid) == os.getpid() or _pid_alive(int(pid)):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def is_gzip_file(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def install_stream(stream: BinaryIO, target: Path, expected_sha256: str, gz: bool = False) -> None:
    """Write ``stream`` (gunzipped if ``gz``) to ``target`` only if its SHA-256 matches; atomic.

    The data goes to a ``.part`` file beside ``target`` that is renamed into place after the check
    and removed on any failure, so ``target`` is either absent, the old file, or the verified new one.
    Raises :class:`ChecksumError` on a mismatch and :class:`CorruptDataError` on bad gzip data.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = part_path(target)
    digest = hashlib.sha256()
    try:
        source = gzip.GzipFile(fileobj=stream, mode="rb") if gz else stream
        try:
            with open(tmp, "wb") as out:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
        except (gzip.BadGzipFile, EOFError, zlib.error) as err:
            raise CorruptDataError(f"{target.name}: corrupt or truncated gzip data ({err})") from err
        got = digest.hexdigest()
        if got != expected_sha256:
            raise ChecksumError(f"{target.name}: SHA-256 mismatch, expected {expected_sha256}, got {got}; refused")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def install_file(source: Path, target: Path, expected_sha256: str) -> None:
    """:func:`install_stream` from a local file, gunzipping it if it starts with the gzip magic."""
    with open(source, "rb") as handle:
        install_stream(handle, target, expected_sha256, gz=is_gzip_file(source))


def read_stamp(folder: Path) -> dict:
    """The stamp's content, or ``{}`` when it is missing or unreadable."""
    try:
        stamp = json.loads((folder / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) and isinstance(stamp.get("files"), dict) else {}


def write_stamp(folder: Path, spec: DatasetSpec, sources: dict[str, str]) -> None:
    """Record the verified files' hash, size, mtime and source so later checks can skip hashing."""
    files = {}
    for name, source in sources.items():
        stat = (folder / name).stat()
        files[name] = {"sha256": spec.files[name], "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
                       "source": source}
    stamp = {"dataset": spec.name, "source": describe_sources(sources), "files": files}
    write_json(folder / STAMP_NAME, stamp)


def write_json(path: Path, value: dict) -> None:
    """Write ``value`` as sorted, indented JSON through a ``.part`` file renamed into place (atomic)."""
    tmp = part_path(path)
    try:
        tmp.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def replace_folder(built: Path, target: Path) -> Path:
    """Move the complete folder ``built`` (a temporary sibling) into place as ``target``, replacing an older copy.

    The last step of building a data set: until it runs, readers see the old folder or none, never half of one."""
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(built, target)
    return target


def describe_sources(sources: dict[str, str]) -> str:
    """One source, or the distinct sources joined with ``" + "`` in first-seen order."""
    return " + ".join(dict.fromkeys(sources.values()))


def verified_files(folder: Path, spec: DatasetSpec, log=None) -> tuple[dict[str, str], bool]:
    """Files of ``spec`` already in ``folder`` with the right content, mapped to the source that filled them.

    A file whose size and mtime match the stamp is trusted without hashing; any other file is hashed
    (and a mismatch reported through ``log`` and left to be replaced). The flag says whether the stamp
    is out of date and should be rewritten.
    """
    entries = read_stamp(folder).get("files", {})
    found: dict[str, str] = {}
    stale = False
    for name, expected in spec.files.items():
        path = folder / name
        if not path.is_file():
            stale = stale or name in entries
            continue
        stat = path.stat()
        entry = entries.get(name) if isinstance(entries.get(name), dict) else {}
        if entry.get("sha256") == expected and entry.get("size") == stat.st_size \
                and entry.get("mtime_ns") == stat.st_mtime_ns:
            found[name] = str(entry.get("source") or "files placed in the cache by hand")
            continue
        stale = True
        got = file_sha256(path)
        if got == expected:
            known = entry.get("sha256") == expected and entry.get("source")
            found[name] = str(known or "files placed in the cache by hand")
        elif log is not None:
            log(f"{path}: SHA-256 mismatch (expected {expected}, got {got}); it will be replaced")
    return found, stale
