"""The book's archive data sets on a loopback HTTP server: fabricated zips / tarballs in the real layouts, every
failure a download can meet (wrong hash, truncated body, an HTML page, 404, a killed transfer), resume, the
Kaggle route, and the chapter loaders reading what was installed."""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gancore.data import archives, cache, inventory
from gancore.data.download import RetryPolicy
from tests.helpers import LoopbackServer

FAST = RetryPolicy(tries=2, backoff_seconds=0.0, timeout_seconds=5.0)


def jpeg_bytes(seed: int, size=(24, 24)) -> bytes:
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (*size, 3), dtype="uint8")).save(buffer, "JPEG")
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def targz_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def cyclegan_zip(name: str) -> bytes:
    return zip_bytes({f"{name}/{split}/{i}.jpg": jpeg_bytes(10 * k + i)
                      for k, split in enumerate(archives.UNPAIRED) for i in range(3)})


def maps_targz() -> bytes:
    return targz_bytes({f"maps/{split}/{i}.jpg": jpeg_bytes(i, (16, 32)) for split in ("train", "val")
                        for i in range(1, 4)})


def celeba_payloads() -> dict[str, bytes]:
    files = [f"{i:06d}.jpg" for i in range(1, 7)]
    names = "5_o_Clock_Shadow Male Smiling"
    rows = [f"{f} -1 {1 if i % 2 else -1} 1" for i, f in enumerate(files)]
    return {"img_align_celeba.zip": zip_bytes({f"img_align_celeba/{f}": jpeg_bytes(i, (27, 22))
                                               for i, f in enumerate(files)}),
            "list_attr_celeba.txt": f"{len(files)}\n{names}\n{chr(10).join(rows)}\n".encode(),
            "list_eval_partition.txt": "".join(f"{f} {0 if i < 4 else 2}\n" for i, f in enumerate(files)).encode()}


class ArchiveServer(LoopbackServer):
    """Serves ``/<mode>/<file>``. Modes: ok (honours Range), wrong (other bytes), missing (404), cut (the first
    request sends half the body after declaring all of it; Range honoured), cutnorange (the same, Range ignored),
    html (a Drive-like quota page), slow (half the body, then a long pause)."""

    def __init__(self, payloads: dict[str, bytes]):
        super().__init__(ArchiveHandler)
        self.payloads = payloads


class ArchiveHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server API
        server: ArchiveServer = self.server  # type: ignore[assignment]
        with server.lock:
            first = all(path != self.path for path, _ in server.requests)
            server.requests.append((self.path, self.headers.get("Range")))
        _, mode, name = self.path.split("/", 2)
        if name not in server.payloads or mode == "missing":
            self.send_error(404)
            return
        body = server.payloads[name]
        if mode == "wrong":
            body = body[:-1] + bytes([body[-1] ^ 1])
        if mode == "html":
            body = b"<!DOCTYPE html><html><head><title>Google Drive - Quota exceeded</title></head></html>"
        start = 0
        ranged = self.headers.get("Range")
        if ranged and mode in ("ok", "slow", "cut"):
            start = int(ranged.removeprefix("bytes=").split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Type", "text/html" if mode == "html" else "application/octet-stream")
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        if mode in ("cut", "cutnorange") and first or mode == "slow":
            self.wfile.write(body[start: start + (len(body) - start) // 2])
            self.wfile.flush()
            if mode == "slow":
                time.sleep(30)
        else:
            self.wfile.write(body[start:])
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    servers = []

    def start(payloads: dict[str, bytes]) -> ArchiveServer:
        httpd = ArchiveServer(payloads)
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(httpd)
        return httpd

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(autouse=True)
def _online(monkeypatch):
    monkeypatch.delenv("GANCORE_OFFLINE", raising=False)


def local(name: str, base: str, payloads: dict[str, bytes], modes=("ok",), publish: bool = True,
          kaggle_too: bool = False) -> archives.ArchiveDataset:
    """The registry entry ``name`` with its HTTP parts served by the fixture (one URL per mode, in order) and the
    fabricated payloads' real size and hashes as the published ones (``publish=False``: none published)."""
    dataset = archives.ARCHIVES[name]
    sources = []
    for source in dataset.sources:
        if not source.parts[0].urls and not kaggle_too:
            continue
        parts = []
        for part in source.parts:
            if part.kaggle:
                parts.append(part)
                continue
            data = payloads[part.filename]
            sha, md5 = hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest()
            exact = publish and part.size is not None
            parts.append(dataclasses.replace(
                part, urls=tuple(f"{base}/{mode}/{part.filename}" for mode in modes),
                size=len(data) if exact else None, approx_size=len(data) if part.approx_size else None,
                sha256=sha if publish and part.sha256 else "", md5=md5 if publish and part.md5 else ""))
        sources.append(dataclasses.replace(source, parts=tuple(parts)))
    return dataclasses.replace(dataset, sources=tuple(sources))


def install(monkeypatch, dataset, root, messages=None):
    monkeypatch.setitem(archives.ARCHIVES, dataset.name, dataset)
    log = messages.append if messages is not None else (lambda message: None)
    return archives.ensure_archive_dataset(dataset.name, root=root, retry=FAST, log=log)


def leftovers(root: Path) -> list[str]:
    """Hidden temporary files or folders anywhere under ``root`` (downloads in progress, unpacking folders)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if ".part-" in p.name or p.name.endswith(".partial"))


def test_cyclegan_zip_installs_and_the_chapter_loader_reads_it(serve, tmp_path, monkeypatch):
    from gancore.chapters import unpaired

    payloads = {"apple2orange.zip": cyclegan_zip("apple2orange")}
    server = serve(payloads)
    folder, source = install(monkeypatch, local("apple2orange", server.base, payloads), tmp_path)
    assert folder == tmp_path / "apple2orange" and "trainA 3" in source
    assert sorted(p.name for p in folder.iterdir()) == [".archive.json", "testA", "testB", "trainA", "trainB"]
    stamp = json.loads((folder / ".archive.json").read_text())
    assert stamp["parts"]["apple2orange.zip"]["verified"] == "published SHA-256"
    assert not (tmp_path / ".downloads" / "apple2orange.zip").exists()  # the archive is deleted after unpacking
    assert leftovers(tmp_path) == []
    data = unpaired.unpaired_data("apple2orange", 3, 3, 16, root=tmp_path)
    assert not data.standin and data.train_a.shape == (3, 16, 16, 3) and data.test_b.shape == (3, 16, 16, 3)
    requests = len(server.requests)
    again = archives.ensure_archive_dataset("apple2orange", root=tmp_path, retry=FAST, log=lambda m: None)
    assert again[0] == folder and "local copy" in again[1] and len(server.requests) == requests


def test_wrong_hash_is_refused_and_the_next_mirror_used(serve, tmp_path, monkeypatch):
    payloads = {"horse2zebra.zip": cyclegan_zip("horse2zebra")}
    server = serve(payloads)
    messages: list[str] = []
    folder, _ = install(monkeypatch, local("horse2zebra", server.base, payloads, modes=("wrong", "ok")), tmp_path,
                        messages)
    assert any("SHA-256" in m and "refused" in m for m in messages)
    assert (folder / "trainB").is_dir() and leftovers(tmp_path) == []


def test_every_failure_explained_and_nothing_installed(serve, tmp_path, monkeypatch):
    payloads = {"horse2zebra.zip": cyclegan_zip("horse2zebra")}
    server = serve(payloads)
    dataset = local("horse2zebra", server.base, payloads, modes=("wrong", "html", "missing"))
    dataset = dataclasses.replace(dataset, sources=(dataclasses.replace(dataset.sources[0], parts=(
        dataclasses.replace(dataset.sources[0].parts[0], urls=(*dataset.sources[0].parts[0].urls,
                                                                f"{server.base}/ok/nothing-here.zip")),)),))
    with pytest.raises(archives.ArchiveUnavailableError) as err:
        install(monkeypatch, dataset, tmp_path)
    text = str(err.value)
    assert "SHA-256" in text and "web page" in text and "HTTP 404" in text
    assert "To install" in text and "trainA" in text  # the manual steps
    assert not (tmp_path / "horse2zebra").exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize("mode", ["cut", "cutnorange"])
def test_truncated_body_is_resumed_or_restarted(serve, tmp_path, monkeypatch, mode):
    payloads = {"apple2orange.zip": cyclegan_zip("apple2orange")}
    server = serve(payloads)
    messages: list[str] = []
    folder, _ = install(monkeypatch, local("apple2orange", server.base, payloads, modes=(mode,)), tmp_path, messages)
    assert (folder / "testA").is_dir() and leftovers(tmp_path) == []
    half = len(payloads["apple2orange.zip"]) // 2
    assert [r for _, r in server.requests] == [None, f"bytes={half}-"]
    expected = "resuming at byte" if mode == "cut" else "ignored the resume request; restarting"
    assert any(expected in m for m in messages)


def test_resume_after_a_killed_process_leaves_no_half_data_set(serve, tmp_path):
    payloads = {"apple2orange.zip": cyclegan_zip("apple2orange") + b""}
    server = serve(payloads)
    script = f"""
import dataclasses, sys
from gancore.data import archives
from gancore.data.download import RetryPolicy
from tests.helpers import LoopbackServer
d = archives.ARCHIVES["apple2orange"]
p = dataclasses.replace(d.sources[0].parts[0], urls=(sys.argv[1],), size={len(payloads["apple2orange.zip"])},
                        sha256="{hashlib.sha256(payloads["apple2orange.zip"]).hexdigest()}")
archives.ARCHIVES["apple2orange"] = dataclasses.replace(d, sources=(dataclasses.replace(d.sources[0], parts=(p,)),))
archives.ensure_archive_dataset("apple2orange", root=sys.argv[2], retry=RetryPolicy(1, 0, 60), log=print)
"""
    env = {**os.environ, "GANCORE_OFFLINE": ""}
    child = subprocess.Popen([sys.executable, "-c", script, f"{server.base}/slow/apple2orange.zip", str(tmp_path)],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = tmp_path / ".downloads" / "apple2orange.zip.partial"
    deadline = time.monotonic() + 60
    while not (partial.is_file() and partial.stat().st_size > 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert partial.stat().st_size == len(payloads["apple2orange.zip"]) // 2
    assert not (tmp_path / "apple2orange").exists()
    assert archives.status("apple2orange", tmp_path).startswith("missing (partial download of")
    # A stale temporary file of a dead process, as a killed unpack or IDX download leaves, is cleaned up.
    stale = tmp_path / f".apple2orange.part-{2**22 + 12345}"
    stale.mkdir()
    dataset = archives.ARCHIVES["apple2orange"]
    part = dataclasses.replace(dataset.sources[0].parts[0], urls=(f"{server.base}/ok/apple2orange.zip",),
                               size=len(payloads["apple2orange.zip"]),
                               sha256=hashlib.sha256(payloads["apple2orange.zip"]).hexdigest())
    patched = dataclasses.replace(dataset, sources=(dataclasses.replace(dataset.sources[0], parts=(part,)),))
    archives.ARCHIVES["apple2orange"] = patched
    try:
        messages: list[str] = []
        archives.ensure_archive_dataset("apple2orange", root=tmp_path, retry=FAST, log=messages.append)
    finally:
        archives.ARCHIVES["apple2orange"] = dataset
    assert server.requests[-1][1] == f"bytes={len(payloads['apple2orange.zip']) // 2}-"
    assert any("resuming at byte" in m for m in messages)
    assert (tmp_path / "apple2orange" / "trainA").is_dir() and leftovers(tmp_path) == [] and not stale.exists()


def test_remove_stale_parts_keeps_live_processes_files(tmp_path):
    dead = tmp_path / f".x.part-{2**22 + 54321}"
    live = tmp_path / f".y.part-{os.getpid()}"
    nested = tmp_path / "mnist" / f".train.part-{2**22 + 54322}"
    for path in (dead, live, nested):
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"x")
    removed = cache.remove_stale_parts(tmp_path)
    assert sorted(removed) == sorted([dead, nested]) and live.exists()


def test_maps_without_a_published_hash_records_the_first_download(serve, tmp_path, monkeypatch):
    from gancore.chapters import maps

    payloads = {"maps.tar.gz": maps_targz()}
    server = serve(payloads)
    messages: list[str] = []
    dataset = local("maps", server.base, payloads, publish=False)
    folder, _ = install(monkeypatch, dataset, tmp_path, messages)
    assert any("now recorded" in m for m in messages)
    recorded = json.loads((tmp_path / archives.RECORDED_NAME).read_text())
    assert recorded == {"maps/maps.tar.gz": hashlib.sha256(payloads["maps.tar.gz"]).hexdigest()}
    data = maps.maps_data(3, 3, 16, root=tmp_path)
    assert not data.standin and data.train_a.shape == (3, 16, 16, 3)
    # A later download of different bytes (upstream changed, or a broken mirror) is refused against the record.
    import shutil

    shutil.rmtree(folder)
    server.payloads["maps.tar.gz"] = maps_targz()[:-20] + targz_bytes({"maps/train/x.jpg": b"1"})[-20:]
    dataset = local("maps", server.base, {"maps.tar.gz": maps_targz()}, publish=False)
    with pytest.raises(archives.ArchiveUnavailableError, match="recorded on the first download"):
        install(monkeypatch, dataset, tmp_path)


def test_size_far_from_the_approximate_one_is_refused(serve, tmp_path, monkeypatch):
    payloads = {"maps.tar.gz": maps_targz()}
    server = serve(payloads)
    dataset = local("maps", server.base, payloads, publish=False)
    part = dataclasses.replace(dataset.sources[0].parts[0], approx_size=10 * len(payloads["maps.tar.gz"]))
    dataset = dataclasses.replace(dataset, sources=(dataclasses.replace(dataset.sources[0], parts=(part,)),))
    with pytest.raises(archives.ArchiveUnavailableError, match="expected about"):
        install(monkeypatch, dataset, tmp_path)


def test_celeba_from_three_drive_files_and_the_drive_quota_page(serve, tmp_path, monkeypatch):
    from gancore.chapters import cross_domain

    payloads = celeba_payloads()
    server = serve(payloads)
    with pytest.raises(archives.ArchiveUnavailableError) as err:
        install(monkeypatch, local("celeba", server.base, payloads, modes=("html",)), tmp_path)
    assert "quota" in str(err.value) and "Kaggle" in str(err.value)
    folder, _ = install(monkeypatch, local("celeba", server.base, payloads), tmp_path)
    stamp = json.loads((folder / ".archive.json").read_text())
    assert stamp["parts"]["list_attr_celeba.txt"]["verified"] == "published MD5"
    found = cross_domain.find_celeba(folder)
    assert found is not None and found[2] is not None
    domains = cross_domain.celeba_domains(16, 2, 1, root=folder)
    assert domains.train_a.shape == (2, 16, 16, 3)


def test_kaggle_route_installs_the_zip_the_cli_writes(tmp_path, monkeypatch):
    from gancore.data import faces

    data = zip_bytes({f"images/{i}_2019.jpg": jpeg_bytes(i) for i in range(4)})
    (tmp_path / "fake.zip").write_bytes(data)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = f"#!/bin/sh\n# called as: kaggle datasets download SLUG -p DIR\ncp {tmp_path}/fake.zip \"$5/x.zip\"\n"
    (bin_dir / "kaggle").write_text(script)
    (bin_dir / "kaggle").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("KAGGLE_USERNAME", "learner")
    monkeypatch.setenv("KAGGLE_KEY", "k")
    monkeypatch.setenv("GANCORE_DATA", str(tmp_path / "data"))
    assert faces.download_real("anime_faces") is True
    found = faces.resolve_faces("anime_faces")
    assert not found.standin and len(found) == 4
    assert json.loads((tmp_path / "data" / archives.RECORDED_NAME).read_text()) == {
        "anime_faces/animefacedataset.zip": hashlib.sha256(data).hexdigest()}


def test_hostile_member_names_are_refused(tmp_path):
    bad = tmp_path / "evil.zip"
    bad.write_bytes(zip_bytes({"x/../../outside.txt": b"1"}))
    with pytest.raises(ValueError, match="outside the data folder"):
        archives.extract(bad, archives.Part("evil.zip", strip=""), tmp_path / "dest")
    assert not (tmp_path / "outside.txt").exists()


def test_offline_uses_the_local_copy_only(tmp_path, monkeypatch):
    monkeypatch.setenv("GANCORE_OFFLINE", "1")
    with pytest.raises(archives.ArchiveUnavailableError, match="GANCORE_OFFLINE"):
        archives.ensure_archive_dataset("horse2zebra", root=tmp_path, retry=FAST, log=lambda m: None)
    for split in archives.UNPAIRED:  # placed by hand
        (tmp_path / "horse2zebra" / split).mkdir(parents=True)
        (tmp_path / "horse2zebra" / split / "a.jpg").write_bytes(jpeg_bytes(0))
    folder, source = archives.ensure_archive_dataset("horse2zebra", root=tmp_path, retry=FAST, log=lambda m: None)
    assert "placed by hand" in source and archives.status("horse2zebra", tmp_path) == "present (placed by hand)"


def test_inventory_lists_every_data_set_and_its_chapters(tmp_path):
    rows = {row.name: row for row in inventory.inventory({"apple2orange": ["pix2pix-colour"], "mystery": ["x"]},
                                                           root=tmp_path)}
    assert {"mnist", "fashion_mnist", "apple2orange", "horse2zebra", "maps", "celeba", "anime_faces",
            "selfie2anime", "photo_pool", "facescrub"} <= set(rows)
    apple = rows["apple2orange"]
    assert apple.chapters == ("pix2pix-colour",) and "78,456,409" in apple.size and "845a191e" in apple.checksum
    assert apple.status.startswith("missing") and "stand-in" in apple.status
    assert rows["mnist"].status.startswith("missing") and rows["mystery"].status == "unknown"
    assert "CC BY-SA" in rows["mnist"].terms


def test_fetch_data_list_matches_book_yml():
    from gancore import course

    manifest = course.load_manifest()
    result = subprocess.run([sys.executable, "data_scripts/fetch_data.py", "--list"], capture_output=True,
                            text=True, check=True, cwd=manifest.path.parent)
    for chapter in manifest.chapters:
        for name in chapter.data:
            block = ("\n" + result.stdout).split(f"\n{name}: ", 1)[1].split("\n\n", 1)[0]
            assert chapter.id in block, (name, chapter.id)
