"""Skill 9 custom CartoonGAN: the book's preprocessing, the selfie2anime loader, the offline stand-in and metrics.

The book's preprocessing, exactly (uint8 RGB in, uint8 RGB out, after the resize):

- :func:`unsharp_mask` ``(kernel (5, 5), sigma 1.0, amount 3.0, threshold 0)``: ``4 x img - 3 x GaussianBlur(img)``,
  clipped to [0, 255], rounded, uint8. The book calls the result a "sketch" and applies it to the cartoons (the
  real images D sees) and to the selfies used as the generator's content target;
- :func:`edge_smooth` (the book's ``do_smoothing``, from penny4860/Keras-CartoonGan, itself the CartoonGAN
  paper's edge-smoothed negatives): Canny(100, 200) of the grey image, dilated with a 5x5 kernel; each pixel
  under the dilated edges becomes the 5x5 Gaussian-weighted mean (``cv2.getGaussianKernel(5, 0)``, sigma 1.1,
  reflect padding) of its neighbourhood, truncated to uint8 as the per-pixel numpy assignment did; all
  other pixels stay. D is taught to call these cartoons-with-soft-edges fake.

Data: the real selfie2anime layout (``data/selfie2anime/{trainA,trainB,testA,testB}``) if present; else a stand-in
built from the bundled photo pool: domain A = crops of some photos, domain B = crops of *other* photos rendered as
cartoons by :func:`cartoonise` (OpenCV edge-preserving smoothing, colour quantisation, black adaptive-threshold
edges). Whole photos are held out for testing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gancore import metrics, paths
from gancore.chapters.translation import fit_seeded
from gancore.data import standins
from gancore.data.folders import image_files, load_image_folder
from gancore.data.images import to_tanh_range
from gancore.data.splits import ImageSplit
from gancore.data.standins import resize
from gancore.training.fitting import step_indexed_dataset

BOOK_SIZE = 128
TEST_PHOTOS = ("chelsea", "coffee")
PHOTO_DOMAIN = ("astronaut", "grace_hopper", "hubble_deep_field")  # stand-in domain A (portraits, sky)
CARTOON_DOMAIN = ("rocket", "motorcycle_left", "motorcycle_right")  # stand-in domain B, stylised


# --- the book's preprocessing -------------------------------------------------------------------------------

def unsharp_mask(image: np.ndarray, kernel_size: tuple[int, int] = (5, 5), sigma: float = 1.0, amount: float = 3.0,
                 threshold: float = 0) -> np.ndarray:
    """The book's "sketch" sharpening of a uint8 image: (amount + 1) img - amount blur, clipped, rounded, uint8.

    With ``threshold`` > 0 pixels whose |img - blur| is below it keep their value (the book uses 0)."""
    import cv2

    image = np.asarray(image)
    blurred = cv2.GaussianBlur(image, kernel_size, sigma)
    sharpened = float(amount + 1) * image.astype("float64") - float(amount) * blurred.astype("float64")
    sharpened = np.clip(sharpened, 0, 255).round().astype("uint8")
    if threshold > 0:
        low_contrast = np.abs(image.astype("float64") - blurred.astype("float64")) < threshold
        np.copyto(sharpened, image, where=low_contrast)
    return sharpened


def edge_mask(image: np.ndarray, low: int = 100, high: int = 200, kernel: int = 5) -> np.ndarray:
    """The pixels ``edge_smooth`` replaces: Canny(low, high) of the grey image dilated by a kernel x kernel square."""
    import cv2

    grey = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    edges = cv2.Canny(grey, low, high)
    return cv2.dilate(edges, np.ones((kernel, kernel), np.uint8)) != 0


def edge_smooth(image: np.ndarray, kernel: int = 5) -> np.ndarray:
    """The book's ``do_smoothing``: Gaussian-blur (5x5, sigma from OpenCV's rule: 1.1) the pixels on and next to
    Canny edges and leave the rest untouched; uint8 RGB in and out."""
    import cv2

    image = np.ascontiguousarray(image)
    mask = edge_mask(image, kernel=kernel)
    gauss = cv2.getGaussianKernel(kernel, 0)
    gauss = gauss @ gauss.T
    pad = kernel // 2
    padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)), mode="reflect").astype("float64")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kernel, kernel), axis=(0, 1))  # H, W, C, k, k
    blurred = np.einsum("hwcij,ij->hwc", windows, gauss)
    out = image.copy()
    out[mask] = blurred[mask].astype("uint8")  # numpy's float -> uint8 assignment truncates, as the book's loop
    return out


def sketch(images: np.ndarray) -> np.ndarray:
    """:func:`unsharp_mask` with the book's settings on every image of a uint8 batch."""
    return np.stack([unsharp_mask(im) for im in images]) if len(images) else np.asarray(images)


def smooth_edges(images: np.ndarray) -> np.ndarray:
    """:func:`edge_smooth` on every image of a uint8 batch."""
    return np.stack([edge_smooth(im) for im in images]) if len(images) else np.asarray(images)


# --- the stand-in's cartoon rendering -----------------------------------------------------------------------

def cartoonise(photo: np.ndarray, levels: int = 6) -> np.ndarray:
    """A deterministic cartoon rendering of a uint8 RGB photo (H, W, 3), the stand-in's domain B:

    1. ``cv2.edgePreservingFilter`` (recursive filter, sigma_s 40, sigma_r 0.4) flattens texture;
    2. each channel is quantised to ``levels`` flat values (bin centres);
    3. black outlines where ``cv2.adaptiveThreshold`` (mean, 9x9 block, C 5) of the median-blurred grey
       photo finds a pixel darker than its neighbourhood."""
    import cv2

    photo = np.ascontiguousarray(photo[..., :3].astype("uint8"))
    smooth = cv2.edgePreservingFilter(cv2.cvtColor(photo, cv2.COLOR_RGB2BGR), flags=cv2.RECURS_FILTER,
                                      sigma_s=40, sigma_r=0.4)
    smooth = cv2.cvtColor(smooth, cv2.COLOR_BGR2RGB)
    step = 256 / levels
    flat = (np.floor(smooth / step) * step + step / 2).clip(0, 255).astype("uint8")
    grey = cv2.medianBlur(cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY), 5)
    lines = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 9, 5) == 0
    flat[lines] = 0
    return flat


def cartoonise_batch(photos: np.ndarray, size: int | None = None) -> np.ndarray:
    """:func:`cartoonise` each photo (at its own resolution), then resize to ``size`` if given."""

    out = [cartoonise(p) for p in photos]
    return np.stack([resize(c, size) if size else c for c in out]) if out else np.asarray(photos)


# --- data ---------------------------------------------------------------------------------------------------

@dataclass(kw_only=True)
class CartoonData(ImageSplit):
    """uint8 (N, S, S, 3) images: photos (A) and cartoons (B) for training and testing, and their provenance.

    ``test_cartoons`` are the book's testB (style inputs at test time and the style reference of the metrics)."""

    train_photos: np.ndarray
    train_cartoons: np.ndarray
    test_photos: np.ndarray
    test_cartoons: np.ndarray
    photo_sources: tuple[str, ...] = ()
    cartoon_sources: tuple[str, ...] = ()
    test_sources: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    def stylised_test_photos(self) -> np.ndarray:
        """The held-out photos rendered by :func:`cartoonise` (the stand-in's own recipe; at the resolution the
        stand-in cartoonises, then resized): the upper-bound baseline."""
        if "test_photo_cartoons" not in self.extra:
            self.extra["test_photo_cartoons"] = cartoonise_batch(self.test_photos)
        return self.extra["test_photo_cartoons"]


def load_selfie2anime(root: str | Path, size: int, train_limit: int | None = None,
                      test_limit: int | None = None) -> CartoonData:
    """The real selfie2anime layout: ``trainA`` (selfies), ``trainB`` (cartoons), ``testA``, ``testB``.

    The book's Selfie2Sketch took its selfies from here and its 194 "sketch" cartoons from an unnamed folder;
    put any cartoon set in ``trainB``/``testB`` to reproduce that."""
    root = Path(root)
    parts = {name: load_image_folder(root / name, size, train_limit if name.startswith("train") else test_limit)
             for name in ("trainA", "trainB", "testA", "testB")}
    counts = ", ".join(f"{k} {len(v)}" for k, v in parts.items())
    return CartoonData(train_photos=parts["trainA"], train_cartoons=parts["trainB"], test_photos=parts["testA"],
                       test_cartoons=parts["testB"],
                       source=f"the real selfie2anime layout in {root} ({counts}), resized to {size}x{size}",
                       standin=False)


def photo_standin(train_count: int, test_count: int, size: int, seed: int = 0, standin_size: int | None = None,
                  photo_domain: tuple[str, ...] = PHOTO_DOMAIN, cartoon_domain: tuple[str, ...] = CARTOON_DOMAIN,
                  test_photos: tuple[str, ...] = TEST_PHOTOS) -> CartoonData:
    """The offline stand-in: ``train_count`` photo crops of ``photo_domain`` (A) and ``train_count`` cartoonised
    crops of the disjoint ``cartoon_domain`` (B); ``test_count`` crops of the held-out ``test_photos`` (testA) and
    ``test_count`` cartoonised *other* crops of them (testB, a new seed). Crops are cut and cartoonised at
    ``standin_size`` px (default max(size, 64)) and resized to ``size``."""

    groups = {"photo": set(photo_domain), "cartoon": set(cartoon_domain), "test": set(test_photos)}
    for a, b in (("photo", "cartoon"), ("photo", "test"), ("cartoon", "test")):
        if groups[a] & groups[b]:
            raise ValueError(f"{a} and {b} photos overlap: {sorted(groups[a] & groups[b])}")
    train_pool, test_pool = standins.split_photo_pool(test_photos)
    unknown = (groups["photo"] | groups["cartoon"]) - set(train_pool)
    if unknown:
        raise ValueError(f"Unknown photos {sorted(unknown)}; the pool has {sorted(train_pool) + sorted(test_pool)}")
    px = standin_size or max(size, 64)
    shrink = (lambda x: np.stack([standins.resize(im, size) for im in x])) if px != size else (lambda x: x)
    photos, _ = standins.random_crops({k: train_pool[k] for k in photo_domain}, train_count, px, seed)
    cartoon_crops, _ = standins.random_crops({k: train_pool[k] for k in cartoon_domain}, train_count, px, seed + 1)
    test, _ = standins.random_crops(test_pool, test_count, px, seed + 2)
    test_cartoon_crops, _ = standins.random_crops(test_pool, test_count, px, seed + 3)
    source = (f"STAND-IN for selfie2anime/Selfie2Sketch: photos (A) = {train_count} crops of "
              f"{', '.join(photo_domain)}; cartoons (B) = {train_count} crops of the DISJOINT photos "
              f"{', '.join(cartoon_domain)} rendered by gancore.chapters.cartoon.cartoonise (edge-preserving filter, "
              f"{6} colour levels, black outlines); test = {test_count} crops of the held-out photos "
              f"{', '.join(test_photos)} (testB: other crops of them, cartoonised). Cut at {px} px, used at {size} px; "
              f"real photos shipped with scikit-image / matplotlib. Not selfies, not anime.")
    return CartoonData(train_photos=shrink(photos), train_cartoons=cartoonise_batch(cartoon_crops, size),
                       test_photos=shrink(test), test_cartoons=cartoonise_batch(test_cartoon_crops, size),
                       source=source, standin=True, photo_sources=tuple(photo_domain),
                       cartoon_sources=tuple(cartoon_domain), test_sources=tuple(test_photos),
                       extra={"standin_size": px, "test_photo_cartoons": cartoonise_batch(test, size)})


def cartoon_data(train_count: int, test_count: int, size: int, seed: int = 0, root: str | Path | None = None,
                 **standin_kwargs) -> CartoonData:
    """The real selfie2anime set if ``<data>/selfie2anime/trainA`` holds images, else :func:`photo_standin`."""
    real = (Path(root) if root is not None else paths.data_dir()) / "selfie2anime"
    if image_files(real / "trainA") and image_files(real / "trainB"):
        return load_selfie2anime(real, size, None, test_count)
    return photo_standin(train_count, test_count, size, seed, **standin_kwargs)


def training_arrays(data: CartoonData, sharpen_photo_target: bool = True,
                    sharpen_cartoons: bool = True) -> dict[str, np.ndarray]:
    """The book's four training arrays, uint8: photos (G input), photo targets (the unsharp-masked photos: the
    content target), cartoons (unsharp-masked: D's real images and the 0.1 style target), smooth cartoons
    (edge-smoothed, *not* sharpened: D's extra fakes). The book draws photo and cartoon batches independently."""
    return {"photos": data.train_photos,
            "photo_targets": sketch(data.train_photos) if sharpen_photo_target else data.train_photos,
            "cartoons": sketch(data.train_cartoons) if sharpen_cartoons else data.train_cartoons,
            "smooth_cartoons": smooth_edges(data.train_cartoons)}


# --- metrics -------------------------------------------------------------------------------------------------

def grey(images_unit: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) in [0, 1] -> (N, H, W) BT.601 grey."""
    return np.asarray(images_unit, "float64") @ np.array([0.299, 0.587, 0.114])


def gradient_magnitude(grey_images: np.ndarray) -> np.ndarray:
    """Sobel gradient magnitude of each (N, H, W) grey image (3x3 kernels, replicated border), unnormalised."""
    g = np.pad(np.asarray(grey_images, "float64"), ((0, 0), (1, 1), (1, 1)), mode="edge")
    gx = (g[:, :-2, 2:] + 2 * g[:, 1:-1, 2:] + g[:, 2:, 2:]) - (g[:, :-2, :-2] + 2 * g[:, 1:-1, :-2] + g[:, 2:, :-2])
    gy = (g[:, 2:, :-2] + 2 * g[:, 2:, 1:-1] + g[:, 2:, 2:]) - (g[:, :-2, :-2] + 2 * g[:, :-2, 1:-1] + g[:, :-2, 2:])
    return np.hypot(gx, gy)


def edge_correlation(a_unit: np.ndarray, b_unit: np.ndarray) -> np.ndarray:
    """Per image: Pearson correlation of the Sobel magnitudes of the grey images (1 = the same edges, in any
    contrast; 0 = unrelated). Blind to colour, so a restyled image with the photo's structure scores high."""
    ga, gb = gradient_magnitude(grey(a_unit)), gradient_magnitude(grey(b_unit))
    ga = ga.reshape(len(ga), -1) - ga.reshape(len(ga), -1).mean(1, keepdims=True)
    gb = gb.reshape(len(gb), -1) - gb.reshape(len(gb), -1).mean(1, keepdims=True)
    denom = np.sqrt((ga**2).sum(1) * (gb**2).sum(1))
    return np.where(denom > 0, (ga * gb).sum(1) / np.maximum(denom, 1e-12), 0.0)


def grey_ssim(a_unit: np.ndarray, b_unit: np.ndarray) -> np.ndarray:
    """Per image: SSIM of the grey images (scikit-image defaults, data range 1)."""
    return metrics.ssim(grey(a_unit), grey(b_unit))


def content_scores(outputs_unit: np.ndarray, photos_unit: np.ndarray) -> dict[str, float]:
    """How much of the input photo's structure an output keeps: grey SSIM and Sobel-edge correlation (means)."""
    return {"grey_ssim": float(grey_ssim(outputs_unit, photos_unit).mean()),
            "edge_corr": float(edge_correlation(outputs_unit, photos_unit).mean())}


def build_style_classifier(image_size: int, seed: int = 0):
    """A small photo-vs-cartoon CNN on [0, 1] RGB: three 3x3 conv + max-pool blocks (16, 32, 64), global average
    pooling, a 32-unit ``features`` layer (the Frechet distance's space) and one logit (cartoon = 1)."""
    import keras
    from keras import layers

    init = lambda i: keras.initializers.GlorotUniform(seed=seed + i)  # noqa: E731
    image = keras.Input((image_size, image_size, 3), name="image")
    x = image
    for i, filters in enumerate((16, 32, 64)):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", kernel_initializer=init(i))(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.GlobalAveragePooling2D()(x)
    features = layers.Dense(32, activation="relu", name="features", kernel_initializer=init(5))(x)
    logit = layers.Dense(1, name="logit", kernel_initializer=init(6))(features)
    return keras.Model(image, logit, name="style_classifier")


class StyleJudge:
    """A photo-vs-cartoon classifier trained on the training photos (0) and training cartoons (1), then used to
    score generated images: the share called cartoon and the Frechet distance of its features to real cartoons.
    ``seed`` fixes the initial weights and the batch order; the notebook's global random state is left alone."""

    def __init__(self, photos_unit: np.ndarray, cartoons_unit: np.ndarray, epochs: int = 5, seed: int = 0,
                 batch_size: int = 32):
        import keras

        self.model = build_style_classifier(photos_unit.shape[1], seed)
        self.model.compile(keras.optimizers.Adam(1e-3), loss=keras.losses.BinaryCrossentropy(from_logits=True))
        x = np.concatenate([photos_unit, cartoons_unit]).astype("float32")
        y = np.concatenate([np.zeros(len(photos_unit)), np.ones(len(cartoons_unit))]).astype("float32")
        order = np.random.default_rng(seed).permutation(len(x))
        self.history = fit_seeded(self.model, x[order], y[order], seed, epochs=epochs, batch_size=batch_size,
                                  verbose=0)
        self.feature_model = keras.Model(self.model.input, [self.model.get_layer("features").output,
                                                            self.model.output])

    def features_and_logits(self, images_unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        feats, logits = self.feature_model.predict(np.asarray(images_unit, "float32"), batch_size=128, verbose=0)
        return feats.astype("float64"), logits[:, 0].astype("float64")

    def cartoon_share(self, images_unit: np.ndarray) -> float:
        """Share of images whose logit is > 0 (classified as cartoon)."""
        return float((self.features_and_logits(images_unit)[1] > 0).mean())

    def fd(self, images_unit: np.ndarray, reference_unit: np.ndarray) -> float:
        """Frechet distance between the classifier features of ``images_unit`` and of ``reference_unit``."""

        return metrics.frechet_distance_of_features(self.features_and_logits(images_unit)[0],
                                                    self.features_and_logits(reference_unit)[0])

    def accuracy(self, photos_unit: np.ndarray, cartoons_unit: np.ndarray) -> float:
        """Accuracy on photos (should be 0) and cartoons (should be 1) together."""
        p = self.features_and_logits(photos_unit)[1] <= 0
        c = self.features_and_logits(cartoons_unit)[1] > 0
        return float(np.concatenate([p, c]).mean())


def step_dataset(arrays: dict[str, np.ndarray], batch_size: int, seed: int, start_step: int, num_steps: int):
    """Per-step batches ``(photo, photo_target, cartoon, smooth_cartoon)`` in [-1, 1]: photos (with their targets)
    and cartoons (with their smoothed versions) drawn independently with replacement, like the book's two
    ``np.random.choice`` calls; batch ``s`` depends only on (seed, s), so a resumed run sees the same batches."""
    import tensorflow as tf


    tanh = lambda x: to_tanh_range(x, centred=False)  # noqa: E731
    photos = step_indexed_dataset(np.stack([arrays["photos"], arrays["photo_targets"]], 1), batch_size, seed,
                                  start_step, num_steps, tanh)
    cartoons = step_indexed_dataset(np.stack([arrays["cartoons"], arrays["smooth_cartoons"]], 1), batch_size,
                                    seed + 1, start_step, num_steps, tanh)
    return tf.data.Dataset.zip(photos, cartoons).map(lambda p, c: (p[:, 0], p[:, 1], c[:, 0], c[:, 1]))
