"""The book's image data sets that come as archives: CycleGAN's zips, pix2pix maps, CelebA, Kaggle sets.

A data set (:class:`ArchiveDataset`) has one or more *sources*, tried in order; a source is a list of
*parts* (:class:`Part`), each a file fetched from HTTP mirrors in order or with the Kaggle CLI. Every part is

1. downloaded to ``<data>/.downloads/<file>.partial`` (resumed with an HTTP ``Range`` request when a previous
   transfer was cut, restarted when the server ignores the range);
2. refused if it is an HTML page (Google Drive's quota or confirmation page), if its size is not the published
   one (or more than 10% off a size known only roughly), or if its SHA-256 / MD5 is not the published one;
   a part with no published hash is checked against the SHA-256 recorded on its first good download
   (``<data>/.recorded-checksums.json``, kept when a data set folder is deleted), and the message says so;
3. renamed to ``<data>/.downloads/<file>``, then archives are extracted (leading folder stripped) and plain
   files copied into a hidden sibling folder that replaces ``<data>/<name>/`` only once the expected layout
   is there. The folder gets a ``.archive.json`` stamp; the downloaded archives are deleted.

So ``<data>/<name>/`` is either absent, the previous complete copy, or the new complete copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gancore import paths
from gancore.data.cache import CHUNK, ChecksumError, part_path, remove_stale_parts, write_json
from gancore.data.download import (
    DEFAULT_RETRY,
    USER_AGENT,
    MirrorUnreachable,
    PermanentHTTPError,
    RetryPolicy,
    TransferError,
    with_retries,
)
from gancore.data.sources import offline
from gancore.data.specs import IMAGE_EXTENSIONS

STAMP_NAME = ".archive.json"
RECORDED_NAME = ".recorded-checksums.json"
DOWNLOADS = ".downloads"
APPROX_TOLERANCE = 0.10
KAGGLE_TIMEOUT = 6 * 3600


class NotTheFileError(ValueError):
    """The server answered with a web page (or a file of the wrong size) instead of the data."""


@dataclass(frozen=True)
class Part:
    """One downloaded file: from ``urls`` in order, else with the Kaggle CLI (``kaggle`` slug).

    ``size`` is the exact published size, ``approx_size`` a size known only roughly; ``sha256`` / ``md5`` are
    published hashes (empty: the first good download's SHA-256 is recorded and later downloads must match it).
    Archives (``.zip``, ``.tar.gz``, ``.tgz``) are extracted with ``strip`` removed from member names; other
    files are copied to ``place`` (default: their own name) in the data set folder.
    """

    filename: str
    urls: tuple[str, ...] = ()
    kaggle: str = ""
    size: int | None = None
    approx_size: int | None = None
    sha256: str = ""
    md5: str = ""
    strip: str = ""
    place: str = ""
    html_hint: str = ""  # what to do when the server sends a web page instead

    @property
    def is_archive(self) -> bool:
        return self.filename.endswith((".zip", ".tar.gz", ".tgz", ".tar"))

    @property
    def published(self) -> bool:
        return bool(self.sha256 or self.md5)

    def checksum_text(self) -> str:
        if self.sha256:
            return f"SHA-256 {self.sha256}"
        if self.md5:
            return f"MD5 {self.md5} (SHA-256 recorded on first download)"
        return "none published (SHA-256 recorded on first download)"

    def size_text(self) -> str:
        if self.size:
            return f"{self.size:,} bytes"
        return f"about {self.approx_size:,} bytes" if self.approx_size else "size not published"


@dataclass(frozen=True)
class Source:
    """One way to get the whole data set: its parts, and what must exist afterwards (folders of images or files)."""

    label: str
    parts: tuple[Part, ...]
    expect: tuple[str, ...]


@dataclass(frozen=True)
class ArchiveDataset:
    """A data set installed from archives into ``<data>/<name>/``."""

    name: str
    title: str
    sources: tuple[Source, ...]
    terms: str
    info_url: str
    book_counts: dict[str, int] = field(default_factory=dict)  # images per folder in the real set

    def how_to(self, folder: Path) -> str:
        lines = [f"To install {self.title} by hand, use any one of:"]
        for source in self.sources:
            steps = []
            for part in source.parts:
                where = part.urls[0] if part.urls else f"`kaggle datasets download {part.kaggle}`"
                steps.append(f"{part.filename} from {where} ({part.size_text()}; {part.checksum_text()})")
            lines.append(f"  - {source.label}: " + "; ".join(steps))
        lines.append(f"  and unpack so that {', '.join(f'{folder}/{e}' for e in self.sources[0].expect)} exist "
                     f"(see {self.info_url}); then re-run `python data_scripts/fetch_data.py {self.name}`.")
        return "\n".join(lines)


CYCLEGAN_MIRRORS = ("https://efrosgans.eecs.berkeley.edu/cyclegan/datasets/",
                    "http://efrosgans.eecs.berkeley.edu/cyclegan/datasets/",
                    "https://people.eecs.berkeley.edu/~taesung_park/CycleGAN/datasets/")
PIX2PIX_MIRRORS = ("https://efrosgans.eecs.berkeley.edu/pix2pix/datasets/",
                   "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/",
                   "https://people.eecs.berkeley.edu/~tinghuiz/projects/pix2pix/datasets/")
UNPAIRED = ("trainA", "trainB", "testA", "testB")
DRIVE = "https://drive.usercontent.google.com/download?export=download&confirm=t&id="
DRIVE_HINT = ("Google Drive sent a web page instead of the file: its daily download quota for this file is used "
              "up, or it asks to confirm. Wait a day and retry, or use the Kaggle copy: put an API token in "
              "~/.kaggle/kaggle.json and run `python data_scripts/fetch_data.py celeba` again (it tries Kaggle next).")
CYCLEGAN_TERMS = ("ImageNet photos collected by the CycleGAN authors; research use, each image's own terms "
                  "(https://github.com/junyanz/pytorch-CycleGAN-and-pix2pix)")


def _cyclegan(name: str, size: int, sha256: str, counts: tuple[int, ...], what: str) -> ArchiveDataset:
    urls = tuple(f"{base}{name}.zip" for base in CYCLEGAN_MIRRORS)
    return ArchiveDataset(
        name=name, title=f"CycleGAN {name} ({what})", terms=CYCLEGAN_TERMS,
        info_url="https://github.com/junyanz/pytorch-CycleGAN-and-pix2pix/blob/master/datasets/download_cyclegan_dataset.sh",
        sources=(Source("CycleGAN authors' server", (Part(f"{name}.zip", urls, size=size, sha256=sha256,
                                                          strip=f"{name}/"),), UNPAIRED),),
        book_counts=dict(zip(UNPAIRED, counts)))


ARCHIVES: dict[str, ArchiveDataset] = {
    "apple2orange": _cyclegan("apple2orange", 78_456_409,
                              "845a191e9af8926408ea597001cd03a452e3300a1f44a79fe329b3d59f6e3eb8",
                              (995, 1019, 266, 248), "photos of apples / oranges"),
    "horse2zebra": _cyclegan("horse2zebra", 116_867_962,
                             "a74d9d392eecca9966b51287a76ca126af473d9de4f3e8fc0e9cda08fa1730a1",
                             (1067, 1334, 120, 140), "photos of horses / zebras"),
    "maps": ArchiveDataset(
        name="maps", title="pix2pix maps (aerial photo | map pairs, 600x1200 JPEGs)",
        terms="Google Maps imagery scraped by the pix2pix authors; research use only",
        info_url="https://github.com/phillipi/pix2pix#datasets",
        sources=(Source("pix2pix authors' server",
                        (Part("maps.tar.gz", tuple(f"{b}maps.tar.gz" for b in PIX2PIX_MIRRORS),
                              approx_size=250_242_400, strip="maps/"),), ("train", "val")),),
        book_counts={"train": 1096, "val": 1098}),
    "celeba": ArchiveDataset(
        name="celeba", title="CelebA aligned faces (202,599 178x218 JPEGs, 40 attributes)",
        terms="CelebA agreement: non-commercial research and education only; no redistribution",
        info_url="https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html",
        sources=(
            Source("the authors' Google Drive", (
                Part("img_align_celeba.zip", (DRIVE + "0B7EVK8r0v71pZjFTYXZWM3FlRnM",), size=1_443_490_838,
                     sha256="46fb89443c578308acf364d7d379fe1b9efb793042c0af734b6112e4fd3a8c74",
                     md5="00d2c5bc6d35e252742224ab0c1e8fcb", html_hint=DRIVE_HINT),
                Part("list_attr_celeba.txt", (DRIVE + "0B7EVK8r0v71pblRyaVFSWGxPY0U",),
                     md5="75e246fa4810816ffd6ee81facbd244c", html_hint=DRIVE_HINT),
                Part("list_eval_partition.txt", (DRIVE + "0B7EVK8r0v71pY0NSMzRuSXJEVkk",),
                     md5="d32c9cbf5e040fd4025c592c306e6668", html_hint=DRIVE_HINT)),
                ("img_align_celeba", "list_attr_celeba.txt", "list_eval_partition.txt")),
            Source("the Kaggle copy (needs an API token)",
                   (Part("celeba-dataset.zip", kaggle="jessicali9530/celeba-dataset"),),
                   ("img_align_celeba/img_align_celeba", "list_attr_celeba.csv")),
        ),
        book_counts={"img_align_celeba": 202_599}),
    "anime_faces": ArchiveDataset(
        name="anime_faces", title="Anime Face Dataset (63,565 face crops)",
        terms="images scraped from getchu.com by the Kaggle uploader; research use, each image's own terms",
        info_url="https://www.kaggle.com/datasets/splcher/animefacedataset",
        sources=(Source("Kaggle (needs an API token)",
                        (Part("animefacedataset.zip", kaggle="splcher/animefacedataset"),), ("images",)),),
        book_counts={"images": 63_565}),
    "selfie2anime": ArchiveDataset(
        name="selfie2anime", title="selfie2anime (U-GAT-IT's selfies / anime faces, 256x256)",
        terms="U-GAT-IT authors' data; research use, each image's own terms",
        info_url="https://www.kaggle.com/datasets/arnaud58/selfie2anime",
        sources=(Source("Kaggle (needs an API token)", (Part("selfie2anime.zip", kaggle="arnaud58/selfie2anime"),),
                        UNPAIRED),),
        book_counts=dict(zip(UNPAIRED, (3400, 3400, 100, 100)))),
}


class ArchiveUnavailableError(RuntimeError):
    """No source could install the data set; the message lists what was tried and how to do it by hand."""


# ----------------------------------------------------------------------------------------------- checks


def hashes_of(path: Path) -> tuple[str, str]:
    """(SHA-256, MD5) of a file, read once."""
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            sha.update(chunk)
            md5.update(chunk)
    return sha.hexdigest(), md5.hexdigest()


def looks_like_html(path: Path) -> bool:
    """True when a file starts (after whitespace) like an HTML document."""
    with open(path, "rb") as handle:
        head = handle.read(512).lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


def check_size(part: Part, size: int) -> None:
    if part.size is not None and size != part.size:
        raise NotTheFileError(f"{part.filename}: {size:,} bytes, the published size is {part.size:,}")
    if part.approx_size and abs(size - part.approx_size) > APPROX_TOLERANCE * part.approx_size:
        raise NotTheFileError(f"{part.filename}: {size:,} bytes, expected about {part.approx_size:,} "
                              f"(within {APPROX_TOLERANCE:.0%})")


def verify_part(part: Part, path: Path, recorded: dict[str, str], key: str) -> tuple[str, str]:
    """Check a downloaded file; returns (its SHA-256, how it was verified). Raises on any mismatch."""
    if looks_like_html(path):
        raise NotTheFileError(f"{part.filename}: the server sent a web page, not the file. "
                              + (part.html_hint or "The link may have moved; try another mirror."))
    check_size(part, path.stat().st_size)
    sha, md5 = hashes_of(path)
    if part.sha256 and sha != part.sha256:
        raise ChecksumError(f"{part.filename}: SHA-256 {sha}, the published one is {part.sha256}; refused")
    if part.md5 and md5 != part.md5:
        raise ChecksumError(f"{part.filename}: MD5 {md5}, the published one is {part.md5}; refused")
    if part.published:
        return sha, "published SHA-256" if part.sha256 else "published MD5"
    if key in recorded:
        if recorded[key] != sha:
            raise ChecksumError(f"{part.filename}: SHA-256 {sha} differs from the {recorded[key]} recorded on the "
                                f"first download here (no hash is published for it). If the upstream file really "
                                f"changed, delete the entry {key!r} from {RECORDED_NAME} in the data folder.")
        return sha, "SHA-256 recorded on the first download"
    return sha, "no published hash: this first download's SHA-256 is now recorded, later downloads must match it"


# ------------------------------------------------------------------------------------------- transfers


def _http_resume(url: str, partial: Path, timeout: float, log: Callable[[str], None]) -> None:
    """Download ``url`` into ``partial``, continuing from its current length when the server honours Range."""
    have = partial.stat().st_size if partial.exists() else 0
    headers = {"User-Agent": USER_AGENT}
    if have:
        headers["Range"] = f"bytes={have}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        err.close()
        if err.code == 416 and have:  # range past the end: start again from nothing
            partial.unlink()
            return _http_resume(url, partial, timeout, log)
        raise
    with response:
        resumed = have and response.status == 206
        if have:
            log(f"  resuming at byte {have:,}" if resumed else "  the server ignored the resume request; restarting")
        declared = response.headers.get("Content-Length")
        received = 0
        with open(partial, "ab" if resumed else "wb") as out:
            while chunk := response.read1(CHUNK):  # whatever has arrived: a killed run keeps it for the resume
                out.write(chunk)
                received += len(chunk)
    if declared is not None and declared.isdigit() and received < int(declared):
        raise TransferError(f"transfer cut after {received:,} of {declared} bytes (the next try resumes)")


def http_download(url: str, partial: Path, retry: RetryPolicy, log: Callable[[str], None]) -> None:
    """:func:`_http_resume` with :func:`download.with_retries` (each retry resumes where the last one stopped)."""
    with_retries(lambda: _http_resume(url, partial, retry.timeout_seconds, log), retry, log)


def kaggle_download(slug: str, partial: Path, log: Callable[[str], None]) -> None:
    """``kaggle datasets download <slug>`` (no unzip) into a temporary folder, moved to ``partial``."""
    kaggle = shutil.which("kaggle")
    token = (Path.home() / ".kaggle" / "kaggle.json").is_file() or (
        os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"))
    if kaggle is None or not token:
        raise PermanentHTTPError("needs the `kaggle` command (pip install kaggle) and an API token in "
                                 "~/.kaggle/kaggle.json (or KAGGLE_USERNAME and KAGGLE_KEY)")
    workdir = partial.with_name(partial.name + ".kaggle")
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    try:
        log(f"  kaggle datasets download {slug}")
        result = subprocess.run([kaggle, "datasets", "download", slug, "-p", str(workdir)], capture_output=True,
                                text=True, timeout=KAGGLE_TIMEOUT, check=False)
        zips = sorted(workdir.glob("*.zip"))
        if result.returncode != 0 or len(zips) != 1:
            tail = (result.stderr or result.stdout or "").strip().splitlines()
            raise TransferError(f"kaggle exited {result.returncode}: {tail[-1] if tail else 'no zip written'}")
        os.replace(zips[0], partial)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# ------------------------------------------------------------------------------------ install and stamps


def read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _safe_members_zip(archive: zipfile.ZipFile, strip: str):
    for info in archive.infolist():
        name = info.filename
        if info.is_dir() or not name.startswith(strip):
            continue
        yield info, name[len(strip):]


def extract(path: Path, part: Part, dest: Path) -> int:
    """Unpack an archive (or copy a plain file) into ``dest``; returns the number of files written.

    Member names with ``..`` or an absolute path are refused (a hostile archive cannot write outside ``dest``).
    """
    if not part.is_archive:
        target = dest / (part.place or part.filename)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        return 1
    count = 0
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            for info, rel in _safe_members_zip(archive, part.strip):
                count += _write_member(dest, rel, lambda info=info: archive.open(info))
        return count
    with tarfile.open(path, "r:*") as archive:
        for member in archive.getmembers():
            if not member.isfile() or not member.name.removeprefix("./").startswith(part.strip):
                continue
            rel = member.name.removeprefix("./")[len(part.strip):]
            count += _write_member(dest, rel, lambda member=member: archive.extractfile(member))
    return count


def _write_member(dest: Path, rel: str, opener: Callable) -> int:
    rel_path = Path(rel)
    if not rel or rel_path.is_absolute() or ".." in rel_path.parts:
        raise ValueError(f"refused archive member {rel!r}: it would land outside the data folder")
    if any(p.startswith("__MACOSX") for p in rel_path.parts):
        return 0
    target = dest / rel_path
    target.parent.mkdir(parents=True, exist_ok=True)
    with opener() as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out, CHUNK)
    return 1


def layout_counts(folder: Path, expect: tuple[str, ...]) -> dict[str, int]:
    """For each expected entry: images in it (a folder) or 1 / 0 (a file)."""
    counts = {}
    for entry in expect:
        path = folder / entry
        if path.is_dir():
            counts[entry] = sum(1 for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
        else:
            counts[entry] = int(path.is_file())
    return counts


def installed_source(dataset: ArchiveDataset, folder: Path) -> tuple[Source, dict[str, int]] | None:
    """The source whose layout ``folder`` holds (every expected folder with images), or None."""
    if not folder.is_dir():
        return None
    for source in dataset.sources:
        counts = layout_counts(folder, source.expect)
        if all(counts.values()):
            return source, counts
    return None


def status(name: str, root: str | Path | None = None) -> str:
    """``present`` (installed and stamped), ``present (placed by hand)``, ``partial download`` or ``missing``."""
    dataset = ARCHIVES[name]
    base = Path(root) if root is not None else paths.data_dir()
    if installed_source(dataset, base / name) is not None:
        return "present" if (base / name / STAMP_NAME).is_file() else "present (placed by hand)"
    partials = [base / DOWNLOADS / f"{part.filename}.partial" for s in dataset.sources for part in s.parts]
    have = sum(p.stat().st_size for p in partials if p.is_file())
    return f"missing (partial download of {have:,} bytes will resume)" if have else "missing"


def _fetch_part(part: Part, downloads: Path, recorded: dict[str, str], key: str, retry: RetryPolicy,
                log: Callable[[str], None]) -> tuple[Path, dict]:
    """Get one verified part into ``downloads``; returns its path and stamp entry, or raises with the reasons."""
    done = downloads / part.filename
    partial = downloads / f"{part.filename}.partial"
    if done.is_file():  # a previous run verified it and stopped before extraction
        try:
            sha, how = verify_part(part, done, recorded, key)
            return done, {"sha256": sha, "size": done.stat().st_size, "source": "earlier download", "verified": how}
        except (NotTheFileError, ChecksumError):
            done.unlink()
    failures = []
    transports = [(url, lambda url=url: http_download(url, partial, retry, log)) for url in part.urls]
    if part.kaggle:
        transports.append((f"kaggle {part.kaggle}", lambda: kaggle_download(part.kaggle, partial, log)))
    for where, transfer in transports:
        log(f"downloading {part.filename} from {where}")
        try:
            transfer()
            sha, how = verify_part(part, partial, recorded, key)
        except (NotTheFileError, ChecksumError) as err:
            partial.unlink(missing_ok=True)  # a wrong file must not be resumed
            failures.append(f"{where}: {err}")
        except (MirrorUnreachable, PermanentHTTPError, TransferError, OSError) as err:
            failures.append(f"{where}: {err}")
        else:
            os.replace(partial, done)
            log(f"  {part.filename}: {done.stat().st_size:,} bytes, {how}")
            return done, {"sha256": sha, "size": done.stat().st_size, "source": where, "verified": how}
        log(f"  failed: {failures[-1]}")
    raise ArchiveUnavailableError("; ".join(failures) or f"{part.filename}: no URL or Kaggle slug to try")


def ensure_archive_dataset(name: str, root: str | Path | None = None, retry: RetryPolicy = DEFAULT_RETRY,
                           log: Callable[[str], None] = print, keep_archives: bool = False) -> tuple[Path, str]:
    """Make sure ``<data>/<name>/`` holds the data set; returns (folder, description of where it came from).

    An installed copy (stamped, or placed by hand in the expected layout) is used as is. Otherwise each source
    is tried in order until one installs completely. ``GANCORE_OFFLINE=1`` allows the local copy only.
    Raises :class:`ArchiveUnavailableError` with everything that was tried and the manual steps.
    """

    if name not in ARCHIVES:
        raise ValueError(f"Unknown archive data set {name!r}; known: {', '.join(sorted(ARCHIVES))}")
    dataset = ARCHIVES[name]
    base = Path(root) if root is not None else paths.data_dir()
    folder = base / name
    remove_stale_parts(base)
    found = installed_source(dataset, folder)
    if found is not None:
        stamp = read_json(folder / STAMP_NAME)
        origin = stamp.get("source", "placed by hand")
        return folder, f"local copy {folder} ({origin}; {', '.join(f'{k} {v}' for k, v in found[1].items())})"
    if offline():
        raise ArchiveUnavailableError(f"{dataset.title} is not in {folder} and GANCORE_OFFLINE is set, so nothing "
                                      "was downloaded.\n" + dataset.how_to(folder))
    downloads = base / DOWNLOADS
    downloads.mkdir(parents=True, exist_ok=True)
    recorded_path = base / RECORDED_NAME
    notes = []
    for source in dataset.sources:
        recorded = read_json(recorded_path)
        try:
            fetched = [(part, *_fetch_part(part, downloads, recorded, f"{name}/{part.filename}", retry, log))
                       for part in source.parts]
        except ArchiveUnavailableError as err:
            notes.append(f"{source.label}: {err}")
            continue
        for part, _, entry in fetched:
            if not part.published:
                recorded.setdefault(f"{name}/{part.filename}", entry["sha256"])
        write_json(recorded_path, recorded)
        counts = _install(dataset, source, fetched, folder, log)
        if not keep_archives:
            for _, path, _ in fetched:
                path.unlink(missing_ok=True)
        return folder, f"{source.label} ({', '.join(f'{k} {v}' for k, v in counts.items())}; saved to {folder})"
    raise ArchiveUnavailableError(f"Could not get {dataset.title}. What was tried:\n"
                                  + "\n".join(f"  - {note}" for note in notes) + "\n" + dataset.how_to(folder))


def _install(dataset: ArchiveDataset, source: Source, fetched, folder: Path, log) -> dict[str, int]:
    tmp = part_path(folder)
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
        for part, path, _ in fetched:
            log(f"unpacking {part.filename}")
            try:
                extract(path, part, tmp)
            except (zipfile.BadZipFile, tarfile.TarError, EOFError, ValueError) as err:
                path.unlink(missing_ok=True)
                raise ArchiveUnavailableError(f"{part.filename} is damaged ({err}); it was deleted, re-run to "
                                              "download it again") from err
        counts = layout_counts(tmp, source.expect)
        if not all(counts.values()):
            raise ArchiveUnavailableError(
                f"{dataset.title}: the archive does not hold the expected layout ({counts}); nothing was installed")
        stamp = {"dataset": dataset.name, "source": source.label, "counts": counts,
                 "parts": {part.filename: entry for part, _, entry in fetched}}
        write_json(tmp / STAMP_NAME, stamp)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    short = {k: v for k, v in counts.items() if dataset.book_counts.get(k) not in (None, v)}
    if short:
        log(f"note: {', '.join(f'{k} has {v} images (the book: {dataset.book_counts[k]})' for k, v in short.items())}")
    return counts
