"""ImageNet weights of the networks the course borrows (VGG19 for perceptual losses, InceptionV3 for FID).

:func:`imagenet_weights` returns the Keras ``..._notop.h5`` file when it is on this machine (an explicit
environment variable, then the Keras cache) and otherwise asks ``keras.utils.get_file`` to download it into the
Keras cache, which checks the file against the hash Keras publishes. A failed download (no internet, as on the
course's build machine) is reported once per process and the caller falls back to its substitute;
``GANCORE_OFFLINE=1`` never tries.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

from gancore.data.sources import offline

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"

#: network -> (file name in the Keras cache, download URL, MD5 Keras checks, environment variable naming a copy)
IMAGENET_NOTOP = {
    "vgg19": ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
              _BASE + "vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
              "253f8cb515780f3b799900260a226db6", "GANCORE_VGG19_WEIGHTS"),
    "inception_v3": ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
                     _BASE + "inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
                     "bcbd6486424b2319ff4ef7d526e38f63", "GANCORE_INCEPTION_WEIGHTS"),
}
DOWNLOAD_TIMEOUT = 30.0
_failed: dict[str, str] = {}  # network -> why its download failed in this process


def keras_cache_dir() -> Path:
    """Where Keras keeps downloaded weights: ``$KERAS_HOME/models`` or ``~/.keras/models``."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"


def local_weights(network: str, explicit: str | Path | None = None) -> Path | None:
    """The weights file already on this machine: ``explicit``, the network's environment variable, the Keras cache."""
    filename, _, _, env = IMAGENET_NOTOP[network]
    for candidate in (explicit, os.environ.get(env), keras_cache_dir() / filename):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def imagenet_weights(network: str, explicit: str | Path | None = None, download: bool = True,
                     log: Callable[[str], None] = print) -> Path | None:
    """The ImageNet no-top weights of ``network`` (``"vgg19"`` or ``"inception_v3"``), downloaded if need be.

    None when they are not on disk and cannot be downloaded (offline, ``download=False``, or a failed
    transfer: said once per process through ``log``)."""

    if network not in IMAGENET_NOTOP:
        raise ValueError(f"Unknown network {network!r}; known: {', '.join(IMAGENET_NOTOP)}")
    found = local_weights(network, explicit)
    if found is not None or not download or offline() or network in _failed:
        return found
    import keras

    filename, url, md5, env = IMAGENET_NOTOP[network]
    keras_cache_dir().mkdir(parents=True, exist_ok=True)  # else Keras silently falls back to /tmp/.keras
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)
    try:
        path = keras.utils.get_file(filename, url, cache_subdir="models", file_hash=md5,
                                    cache_dir=str(keras_cache_dir().parent))
    except Exception as err:  # noqa: BLE001 - any failure means "use the substitute"; the reason is reported
        (keras_cache_dir() / filename).unlink(missing_ok=True)  # Keras leaves a file that failed its hash check
        _failed[network] = f"{type(err).__name__}: {err}"
        log(f"{network} ImageNet weights: download from {url} failed ({_failed[network]}); set {env} to a copy "
            f"of {filename} or put it in {keras_cache_dir()}")
        return None
    finally:
        socket.setdefaulttimeout(previous)
    return Path(path)
