"""ImageNet weights: found on disk, or downloaded through keras.utils.get_file (hash-checked) from a loopback
server; a failed download is reported once and gives None; GANCORE_OFFLINE never tries."""

from __future__ import annotations

import hashlib
import http.server
import threading

import pytest

from gancore.models import pretrained


class WeightsHandler(http.server.BaseHTTPRequestHandler):
    body = b"fake weights file " * 100
    hits = 0

    def do_GET(self):  # noqa: N802 - the http.server API
        WeightsHandler.hits += 1
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def weights_server(monkeypatch, tmp_path):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), WeightsHandler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv("GANCORE_OFFLINE", raising=False)
    monkeypatch.delenv("GANCORE_VGG19_WEIGHTS", raising=False)
    monkeypatch.setattr(pretrained, "_failed", {})
    WeightsHandler.hits = 0
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def serve_as(monkeypatch, base: str, md5: str) -> None:
    filename, _, _, env = pretrained.IMAGENET_NOTOP["vgg19"]
    monkeypatch.setitem(pretrained.IMAGENET_NOTOP, "vgg19", (filename, f"{base}/{filename}", md5, env))


def test_download_lands_in_the_keras_cache_and_is_then_found_locally(weights_server, monkeypatch, tmp_path):
    serve_as(monkeypatch, weights_server, hashlib.md5(WeightsHandler.body).hexdigest())
    path = pretrained.imagenet_weights("vgg19", log=pytest.fail)
    assert path == tmp_path / "keras" / "models" / pretrained.IMAGENET_NOTOP["vgg19"][0]
    assert path.read_bytes() == WeightsHandler.body and WeightsHandler.hits == 1
    assert pretrained.imagenet_weights("vgg19") == path and WeightsHandler.hits == 1  # no second download


def test_wrong_hash_or_no_network_gives_none_once(weights_server, monkeypatch):
    serve_as(monkeypatch, weights_server, "0" * 32)
    messages: list[str] = []
    assert pretrained.imagenet_weights("vgg19", log=messages.append) is None
    assert pretrained.imagenet_weights("vgg19", log=messages.append) is None
    assert len(messages) == 1 and "GANCORE_VGG19_WEIGHTS" in messages[0] and WeightsHandler.hits == 1


def test_offline_never_downloads(weights_server, monkeypatch):
    serve_as(monkeypatch, weights_server, hashlib.md5(WeightsHandler.body).hexdigest())
    monkeypatch.setenv("GANCORE_OFFLINE", "1")
    assert pretrained.imagenet_weights("vgg19", log=pytest.fail) is None and WeightsHandler.hits == 0


def test_environment_variable_names_a_copy(tmp_path, monkeypatch):
    copy = tmp_path / "inception.h5"
    copy.write_bytes(b"x")
    monkeypatch.setenv("GANCORE_INCEPTION_WEIGHTS", str(copy))
    assert pretrained.imagenet_weights("inception_v3", download=False) == copy
    with pytest.raises(ValueError, match="vgg19"):
        pretrained.imagenet_weights("resnet")
