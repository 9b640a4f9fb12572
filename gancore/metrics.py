"""Sample-quality metrics that take features from any classifier (TF-GAN's decomposition).

Pure functions on feature arrays (``frechet_distance``, ``kernel_distance``, ``classifier_score``)
plus :class:`DomainEvaluator`, which feeds them features of the course's MNIST / Fashion-MNIST
classifiers. Scores in a domain feature space compare runs of this course with each other, not with
Inception-based FIDs in papers. Every score should be reported with its sample sizes.

Also the one home of the per-image pixel scores of image-to-image chapters (``psnr``, ``ssim``,
``mean_absolute_error``), always called ``(predicted, target)``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from gancore import paths
from gancore.data import load_mnist
from gancore.data.images import to_unit_range
from gancore.models import classifiers


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased) covariance of an (N, D) feature array, in float64."""
    f = np.asarray(features, dtype="float64")
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"Need an (N, D) feature array with N >= 2, got shape {f.shape}")
    return f.mean(axis=0), np.cov(f, rowvar=False)


def symmetric_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix via its eigendecomposition.

    Round-off can make tiny eigenvalues negative; they are clipped to zero, so the result is
    always real (unlike a general ``sqrtm``, which may return complex values).
    """
    m = np.asarray(matrix, dtype="float64")
    values, vectors = np.linalg.eigh((m + m.T) / 2.0)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2), in float64.

    ||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr(sqrt(A S2 A)) with A = sqrt(S1): the trace of
    sqrt(S1 S2) computed through symmetric matrices only.
    """
    mu1, mu2 = np.asarray(mu1, "float64"), np.asarray(mu2, "float64")
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, "float64")), np.atleast_2d(np.asarray(sigma2, "float64"))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(f"Shapes differ: means {mu1.shape} vs {mu2.shape}, covariances {sigma1.shape} vs "
                         f"{sigma2.shape}")
    root1 = symmetric_sqrt(sigma1)
    cross = np.trace(symmetric_sqrt(root1 @ sigma2 @ root1))
    value = float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2.0 * cross)
    return max(value, 0.0)


def frechet_distance_of_features(features1: np.ndarray, features2: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two feature sets."""
    return frechet_distance(*feature_statistics(features1), *feature_statistics(features2))


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """k(x, y) = (x.y / d + 1)^3, the kernel of KID."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def kernel_distance(features1: np.ndarray, features2: np.ndarray, num_subsets: int = 10, subset_size: int = 1000,
                    seed: int = 0) -> tuple[float, float]:
    """Kernel (Inception) distance: unbiased MMD^2 with a cubic polynomial kernel, mean and std over subsets.

    Each subset draws ``min(subset_size, n1, n2)`` rows of each set without replacement. Unlike
    the Frechet distance it has no bias from the sample size (and can be slightly negative).
    """
    x, y = np.asarray(features1, "float64"), np.asarray(features2, "float64")
    m = min(subset_size, len(x), len(y))
    if m < 2:
        raise ValueError("KID needs at least two samples in each set")
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(num_subsets):
        a = x[rng.choice(len(x), m, replace=False)]
        b = y[rng.choice(len(y), m, replace=False)]
        kxx, kyy, kxy = polynomial_kernel(a, a), polynomial_kernel(b, b), polynomial_kernel(a, b)
        off_diagonal = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        values.append(off_diagonal - 2.0 * kxy.mean())
    return float(np.mean(values)), float(np.std(values))


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, "float64")
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def classifier_score(logits: np.ndarray, eps: float = 1e-12) -> float:
    """exp(E_x KL(p(y|x) || p(y))): the Inception Score's formula with a domain classifier.

    1 when every prediction equals the marginal; the number of classes when predictions are
    confident and the classes balanced.
    """
    p = softmax(logits)
    marginal = p.mean(axis=0, keepdims=True)
    kl = np.sum(p * (np.log(p + eps) - np.log(marginal + eps)), axis=1)
    return float(np.exp(kl.mean()))


def confident_share(logits: np.ndarray, threshold: float = 0.9) -> float:
    """Share of samples whose most likely class has probability >= ``threshold``.

    On its own this is easy to fool: classifiers are often confident on noise. See :func:`reads_as_class`.
    """
    return float(np.mean(softmax(logits).max(axis=-1) >= threshold))


def nearest_distances(queries: np.ndarray, references: np.ndarray, exclude_self: bool = False,
                      metric: str = "euclidean") -> np.ndarray:
    """Distance from each query to its nearest reference (``exclude_self``: queries are the references,
    and each row's zero distance to itself is skipped).

    ``metric="jaccard"`` treats rows as binary sets: 1 - |A and B| / |A or B| (two empty sets: 0). For
    binarised images it is fair to sparse and dense images alike, unlike the Euclidean distance, which
    puts a blank image close to every thin digit.
    """
    q = np.asarray(queries, "float64")
    r = np.asarray(references, "float64")
    if metric == "euclidean":
        distance = (q**2).sum(1)[:, None] + (r**2).sum(1)[None, :] - 2.0 * q @ r.T
    elif metric == "jaccard":
        q, r = (q > 0.5).astype("float64"), (r > 0.5).astype("float64")
        inter = q @ r.T
        union = q.sum(1)[:, None] + r.sum(1)[None, :] - inter
        distance = 1.0 - np.where(union > 0, inter / np.maximum(union, 1.0), 1.0)
    else:
        raise ValueError(f"metric must be 'euclidean' or 'jaccard', not {metric!r}")
    if exclude_self:
        np.fill_diagonal(distance, np.inf)
    distance = np.maximum(distance.min(axis=1), 0.0)
    return np.sqrt(distance) if metric == "euclidean" else distance


def reads_as_class(logits: np.ndarray, features: np.ndarray, reference_features: np.ndarray,
                   threshold: float = 0.9, quantile: float = 0.99, metric: str = "euclidean") -> np.ndarray:
    """Per sample: the classifier is confident (top probability >= ``threshold``) *and* the sample lies
    among real ones: its distance to the nearest reference is at most the ``quantile`` of that distance
    for the references themselves (leave-one-out). ``features`` can be flattened binary pixels with
    ``metric="jaccard"``: noise and stray strokes that fool a classifier are far from every real digit."""
    limit = np.quantile(nearest_distances(reference_features, reference_features, True, metric), quantile)
    confident = softmax(logits).max(axis=-1) >= threshold
    return confident & (nearest_distances(features, reference_features, metric=metric) <= limit)


def class_histogram(logits: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    """How many samples the classifier assigns to each class."""
    logits = np.asarray(logits)
    return np.bincount(logits.argmax(-1), minlength=num_classes or logits.shape[-1])


# --- Pixel scores of images against their targets: one value per image (average them over a data set) ---

PSNR_MSE_FLOOR = 1e-10  # an exact match scores 10 log10(peak^2 / 1e-10) dB (100 dB for peak 1) instead of infinity


def mean_absolute_error(predicted, target, dtype: str = "float64") -> np.ndarray:
    """Per-image L1: the mean of |predicted - target| over each image's pixels and channels, computed in
    ``dtype`` (float64; float32 where a chapter has always scored that way). ``target`` may be one image
    broadcast against the batch."""
    diff = np.abs(np.asarray(predicted, dtype) - np.asarray(target, dtype))
    return diff.reshape(len(diff), -1).mean(axis=1)


def mean_squared_error(predicted, target) -> np.ndarray:
    """Per-image mean of (predicted - target)^2 over pixels and channels, float64."""
    diff = np.asarray(predicted, "float64") - np.asarray(target, "float64")
    return np.square(diff).reshape(len(diff), -1).mean(axis=1)


def psnr_from_mse(mse, peak: float = 1.0) -> np.ndarray:
    """10 log10(peak^2 / MSE) in dB, the MSE floored at :data:`PSNR_MSE_FLOOR` (float64)."""
    return 10.0 * np.log10(peak**2 / np.maximum(np.asarray(mse, dtype="float64"), PSNR_MSE_FLOOR))


def psnr(predicted, target, peak: float = 1.0) -> np.ndarray:
    """Per-image peak signal-to-noise ratio in dB, ``peak`` the largest value (1 for [0, 1], 255 for 0..255).
    An MSE of 0.01 with peak 1 gives 20 dB; identical images give 100 dB (peak 1), not infinity."""
    return psnr_from_mse(mean_squared_error(predicted, target), peak)


def ssim(predicted, target, data_range: float = 1.0, channel_axis: int | None = None, **options) -> np.ndarray:
    """Per-image SSIM (scikit-image's ``structural_similarity``, float64): ``channel_axis=-1`` for colour images
    (the mean over channels), None for grey (N, H, W) images; ``options`` go to scikit-image (e.g. the Gaussian
    window of the SR papers: ``gaussian_weights=True, sigma=1.5, use_sample_covariance=False``)."""
    from skimage.metrics import structural_similarity

    predicted, target = np.asarray(predicted, "float64"), np.asarray(target, "float64")
    return np.array([structural_similarity(p, t, data_range=data_range, channel_axis=channel_axis, **options)
                     for p, t in zip(predicted, target)])


def gradient_energy(images: np.ndarray, value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """Sharpness of each image: the mean of the squared horizontal and vertical neighbour differences of its
    BT.601 luma in [0, 1] (``images`` (N, H, W, 3) or (N, H, W[, 1]) in ``value_range``). Blur lowers it; compare
    it with the real images' as a ratio (1: as sharp as the real images)."""
    unit = to_unit_range(np.asarray(images, "float64"), value_range)
    if unit.ndim == 4 and unit.shape[-1] == 3:
        luma = unit @ np.array([0.299, 0.587, 0.114])
    else:
        luma = unit.reshape(unit.shape[:3])
    dx, dy = np.diff(luma, axis=2), np.diff(luma, axis=1)
    return 0.5 * ((dx**2).reshape(len(luma), -1).mean(axis=1) + (dy**2).reshape(len(luma), -1).mean(axis=1))


def sample_diversity(images: np.ndarray, value_range: tuple[float, float] = (0.0, 1.0)) -> float:
    """Mean over pixels of each pixel's standard deviation across the samples, on the [0, 1] scale.

    Near 0 when a generator draws the same image for every input (a collapse); the first 2,000 MNIST
    training digits score 0.19. It says nothing about quality, only whether the samples differ.
    """
    unit = to_unit_range(np.asarray(images, np.float64), value_range)
    if len(unit) < 2:
        raise ValueError("diversity needs at least two samples")
    return float(unit.reshape(len(unit), -1).std(axis=0).mean())


FACE_CASCADE = "haarcascade_frontalface_default.xml"


def detected_faces(images: np.ndarray, value_range: tuple[float, float] = (0.0, 255.0), size: int | None = 96,
                   min_neighbors: int = 3, min_size: int = 20, scale_factor: float = 1.05) -> np.ndarray:
    """For each image, whether OpenCV's frontal-face Haar cascade (Viola-Jones) finds at least one face.

    A network-free face detector that ships with OpenCV 4: it answers "does this look like a frontal face?",
    nothing about identity or quality. Images (N, H, W[, C]) in ``value_range`` are converted to 8-bit grey and
    resized to ``size`` x ``size`` (bicubic; None keeps their size), since the cascade's window is 24 pixels.
    At 96 pixels it finds a face in about nine of ten LFW faces and in none of LFW's non-face patches.
    """
    import cv2

    path = os.path.join(cv2.data.haarcascades, FACE_CASCADE)
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise RuntimeError(f"OpenCV's face cascade {path} is missing; install opencv-python-headless 4.x "
                           "(5.0 no longer ships the Haar cascades)")
    unit = to_unit_range(images, value_range)
    if unit.ndim == 3:
        unit = unit[..., None]  # (N, H, W) grey: one channel
    grey = np.round(unit.mean(axis=-1) * 255).astype("uint8")
    if size is not None:
        grey = [cv2.resize(g, (size, size), interpolation=cv2.INTER_CUBIC) for g in grey]
    found = [len(cascade.detectMultiScale(g, scaleFactor=scale_factor, minNeighbors=min_neighbors,
                                          minSize=(min_size, min_size))) > 0 for g in grey]
    return np.asarray(found, dtype=bool)


def face_detection_rate(images: np.ndarray, value_range: tuple[float, float] = (0.0, 255.0), **detector) -> float:
    """The share of images in which :func:`detected_faces` finds a face."""
    return float(detected_faces(images, value_range, **detector).mean())


@dataclass
class DomainReport:
    """Every score of one sample set against the reference set, from one feature pass."""

    fd: float
    kid: float
    kid_std: float
    score: float
    histogram: np.ndarray
    samples: int
    reference_samples: int

    def as_dict(self) -> dict:
        return {"fd": self.fd, "kid": self.kid, "kid_std": self.kid_std, "classifier_score": self.score,
                "class_histogram": self.histogram.tolist(), "samples": self.samples,
                "reference_samples": self.reference_samples}


class DomainEvaluator:
    """FD, KID, classifier score and class histogram of generated images against real test images.

    The reference is the domain's 10,000 test images; their features are computed once per
    classifier version and cached under ``data/features/``.
    """

    def __init__(self, domain: str):

        self.domain = domain
        self.classifier = classifiers.load_domain_classifier(domain)
        self.reference_features, self.reference_logits = self._reference()
        self.reference_statistics = feature_statistics(self.reference_features)  # once, not per evaluation

    def _reference(self) -> tuple[np.ndarray, np.ndarray]:
        cache = paths.data_dir() / "features" / f"{self.domain}-test-{self.classifier.sha256[:12]}.npz"
        if cache.exists():
            stored = np.load(cache)
            return stored["features"], stored["logits"]

        x_test = load_mnist(self.domain).x_test
        features, logits = self.classifier.features_and_logits(x_test.astype("float32") / 255.0)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.stem}-{os.getpid()}.npz")
        np.savez(tmp, features=features, logits=logits)
        os.replace(tmp, cache)
        return features, logits

    def features(self, images: np.ndarray, value_range=(0.0, 1.0)) -> tuple[np.ndarray, np.ndarray]:
        return self.classifier.features_and_logits(to_unit_range(images, value_range))

    def fd(self, images: np.ndarray, value_range=(0.0, 1.0)) -> float:
        return self._fd(self.features(images, value_range)[0])

    def _fd(self, features: np.ndarray) -> float:
        return frechet_distance(*feature_statistics(features), *self.reference_statistics)

    def kid(self, images: np.ndarray, value_range=(0.0, 1.0)) -> tuple[float, float]:
        return kernel_distance(self.features(images, value_range)[0], self.reference_features)

    def score(self, images: np.ndarray, value_range=(0.0, 1.0)) -> float:
        return classifier_score(self.features(images, value_range)[1])

    def class_histogram(self, images: np.ndarray, value_range=(0.0, 1.0)) -> np.ndarray:
        return class_histogram(self.features(images, value_range)[1])

    def evaluate(self, images: np.ndarray, value_range=(0.0, 1.0)) -> DomainReport:
        """All scores from one pass of the classifier over ``images``."""
        features, logits = self.features(images, value_range)
        kid, kid_std = kernel_distance(features, self.reference_features)
        return DomainReport(fd=self._fd(features), kid=kid,
                            kid_std=kid_std, score=classifier_score(logits), histogram=class_histogram(logits),
                            samples=len(features), reference_samples=len(self.reference_features))


# --- Mode coverage on 2-D mixtures (Skill 3; VEEGAN / PacGAN protocol) ---

def nearest_centre(samples: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest centre and the Euclidean distance to it, for each sample."""
    s = np.asarray(samples, dtype="float64")
    c = np.asarray(centres, dtype="float64")
    distances = np.sqrt(((s[:, None, :] - c[None, :, :]) ** 2).sum(-1))
    index = distances.argmin(axis=1)
    return index, distances[np.arange(len(s)), index]


def mode_histogram(samples: np.ndarray, centres: np.ndarray, sigma: float, threshold: float = 3.0) -> np.ndarray:
    """Per centre, how many *high-quality* samples have it as their nearest centre.

    A sample is high quality when its distance to the nearest centre, divided by the mixture's
    standard deviation ``sigma``, is below ``threshold`` (3 in the VEEGAN / PacGAN protocol).
    """
    index, distance = nearest_centre(samples, centres)
    good = distance / sigma < threshold
    return np.bincount(index[good], minlength=len(centres))


def kl_to_uniform(counts: np.ndarray) -> float:
    """KL(p || uniform) in nats of the histogram ``counts`` (0 = uniform, log K = one mode only).

    An empty histogram (no high-quality sample) is given the worst value, log K.
    """
    counts = np.asarray(counts, dtype="float64")
    k = len(counts)
    if counts.sum() <= 0:
        return float(np.log(k))
    p = counts / counts.sum()
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] * k)))


def mode_coverage(samples: np.ndarray, centres: np.ndarray, sigma: float, threshold: float = 3.0) -> dict:
    """The mode-coverage protocol on a 2-D mixture, for one sample set (2,500 samples in the papers).

    Returns ``modes`` (centres nearest to at least one high-quality sample), ``high_quality``
    (share of samples within ``threshold`` standard deviations of their nearest centre, in [0, 1]),
    ``kl`` (KL of the high-quality samples' mode histogram to uniform, nats) and ``counts``.
    """
    counts = mode_histogram(samples, centres, sigma, threshold)
    return {"modes": int((counts > 0).sum()), "high_quality": float(counts.sum() / max(1, len(samples))),
            "kl": kl_to_uniform(counts), "counts": counts}


# Pixel-space distances (no network): coarse colour layout, for face and anime images
def pixel_features(images: np.ndarray, value_range: tuple[float, float] = (-1.0, 1.0), pool: int = 8) -> np.ndarray:
    """A fixed, network-free feature map: images in [0, 1], averaged over pool x pool blocks, flattened.

    A 56x56x3 image becomes 7x7x3 = 147 numbers: the colour layout at a coarse scale. Distances in this
    space compare colour and brightness composition (where the hair, skin and background colours sit), not
    fine detail or semantics; they are deterministic and need no pretrained network.
    """
    x = to_unit_range(images, value_range, dtype="float64")
    n, h, w, c = x.shape
    if h % pool or w % pool:
        raise ValueError(f"Image size {h}x{w} is not a multiple of pool={pool}")
    return x.reshape(n, h // pool, pool, w // pool, pool, c).mean(axis=(2, 4)).reshape(n, -1)


def pixel_distances(generated: np.ndarray, real: np.ndarray, generated_range=(-1.0, 1.0), real_range=(0.0, 255.0),
                    pool: int = 8, seed: int = 0) -> dict[str, float]:
    """Frechet distance and KID between two image sets in :func:`pixel_features` space."""
    fg, fr = pixel_features(generated, generated_range, pool), pixel_features(real, real_range, pool)
    kid, kid_std = kernel_distance(fg, fr, num_subsets=10, subset_size=1000, seed=seed)
    return {"pixel_fd": frechet_distance_of_features(fg, fr), "pixel_kid": kid, "pixel_kid_std": kid_std}


def nearest_real_distance(generated: np.ndarray, real: np.ndarray, generated_range=(-1.0, 1.0),
                          real_range=(0.0, 255.0)) -> np.ndarray:
    """For each generated image, the RMS pixel distance (in [0, 1] units) to its nearest real image."""
    g = pixel_features(generated, generated_range, pool=1)
    r = pixel_features(real, real_range, pool=1)
    d2 = (g**2).sum(1)[:, None] + (r**2).sum(1)[None, :] - 2.0 * g @ r.T
    return np.sqrt(np.clip(d2.min(axis=1), 0.0, None) / g.shape[1])
