"""Downloading ``<file>.gz`` from HTTP mirrors with timeouts, retries and checksum verification."""

from __future__ import annotations

import http.client
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from gancore.data.cache import CHUNK, ChecksumError, CorruptDataError, install_file, part_path

USER_AGENT = "gancore-data/0.1 (+python urllib)"


@dataclass(frozen=True)
class RetryPolicy:
    """``tries`` attempts per file and mirror, sleeping ``backoff_seconds * 2**k`` after failure ``k``."""

    tries: int = 3
    backoff_seconds: float = 1.0
    timeout_seconds: float = 10.0


DEFAULT_RETRY = RetryPolicy()


class TransferError(OSError):
    """A download that failed or arrived incomplete (worth retrying)."""


class MirrorUnreachable(OSError):
    """The mirror's host cannot be resolved or connected to: no point trying it again in this run."""


class PermanentHTTPError(OSError):
    """An HTTP answer like 404 that a retry will not change."""


def unreachable(err: urllib.error.URLError) -> bool:
    """True when a URLError means the host cannot be resolved or connected to."""
    reason = err.reason
    return isinstance(reason, (socket.gaierror, ConnectionRefusedError, TimeoutError)) or (
        isinstance(reason, OSError) and reason.errno in (101, 113))  # ENETUNREACH, EHOSTUNREACH


def _download_once(url: str, target: Path, expected_sha256: str, timeout: float) -> None:
    raw_tmp = part_path(target.with_name(target.name + ".download"))
    try:
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            received = 0
            with open(raw_tmp, "wb") as out:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    received += len(chunk)
        if declared is not None and declared.isdigit() and received < int(declared):
            raise TransferError(f"truncated transfer: received {received} of {declared} bytes")
        install_file(raw_tmp, target, expected_sha256)
    finally:
        raw_tmp.unlink(missing_ok=True)


def download_file(url: str, target: Path, expected_sha256: str, retry: RetryPolicy = DEFAULT_RETRY,
                  log: Callable[[str], None] = print) -> None:
    """Download ``url`` (gzip or raw) into ``target`` if its uncompressed SHA-256 matches.

    Truncated transfers, bad gzip data, timeouts and 5xx answers are retried with backoff; a checksum
    mismatch raises :class:`ChecksumError` at once, an unreachable host :class:`MirrorUnreachable`,
    a 4xx answer :class:`PermanentHTTPError`, and running out of tries :class:`TransferError`.
    """
    with_retries(lambda: _download_once(url, target, expected_sha256, retry.timeout_seconds), retry, log)


def with_retries(attempt: Callable[[], None], retry: RetryPolicy, log: Callable[[str], None]) -> None:
    """Call ``attempt`` up to ``retry.tries`` times with backoff. A 4xx answer (but 408/429) raises
    :class:`PermanentHTTPError` and an unreachable host :class:`MirrorUnreachable` at once; transfer errors,
    bad gzip data, timeouts and 5xx answers are retried, then :class:`TransferError`."""
    last: Exception | None = None
    for number in range(retry.tries):
        try:
            attempt()
            return
        except urllib.error.HTTPError as err:
            err.close()
            if 400 <= err.code < 500 and err.code not in (408, 429):
                raise PermanentHTTPError(f"HTTP {err.code} {err.reason}") from err
            last = err
        except urllib.error.URLError as err:
            if unreachable(err):
                raise MirrorUnreachable(f"cannot reach host ({err.reason})") from err
            last = err
        except (TransferError, CorruptDataError, http.client.HTTPException, OSError) as err:
            last = err
        log(f"  try {number + 1}/{retry.tries} failed: {last}")
        if number + 1 < retry.tries and retry.backoff_seconds > 0:
            time.sleep(retry.backoff_seconds * 2**number)
    raise TransferError(f"gave up after {retry.tries} tries ({last})")


def fetch_from_mirrors(mirrors: Iterable[str], folder: Path, files: dict[str, str], retry: RetryPolicy = DEFAULT_RETRY,
                       log: Callable[[str], None] = print) -> tuple[dict[str, str], list[str]]:
    """Try each mirror in turn for each of ``files`` (name -> expected SHA-256), fetching ``<base>/<name>.gz``.

    Returns the files installed, mapped to a description of their mirror, and notes on what failed.
    A mirror whose host is unreachable is not tried again for the remaining files.
    """
    mirrors = list(mirrors)
    installed: dict[str, str] = {}
    notes: list[str] = []
    dead: set[str] = set()
    for name, expected in files.items():
        for base in mirrors:
            if base in dead:
                continue
            url = f"{base.rstrip('/')}/{name}.gz"
            log(f"downloading {url}")
            try:
                download_file(url, folder / name, expected, retry, log)
            except MirrorUnreachable as err:
                dead.add(base)
                notes.append(f"{base}: {err}")
            except (ChecksumError, PermanentHTTPError, TransferError) as err:
                notes.append(f"{url}: {err}")
            else:
                installed[name] = f"download from {base}"
                break
            log(f"  failed: {notes[-1]}")
    return installed, notes
