"""Skill 4 part II: walking the latent space of a trained generator.

Pure NumPy helpers: linear and spherical interpolation, interpolation grids, grouping samples by a rule
computed from the images (instead of hand-picked indices), attribute means, midpoint arithmetic, and
windowed perturbations of a latent code, with the book's aliasing bug available on request so it can be
shown next to the fix.
"""

from __future__ import annotations

import colorsys

import numpy as np

from gancore.data.images import to_unit_range


def lerp(z0: np.ndarray, z1: np.ndarray, t) -> np.ndarray:
    """(1 - t) z0 + t z1; ``t`` a scalar or a 1-D array (one row per value)."""
    z0, z1 = np.asarray(z0, "float64"), np.asarray(z1, "float64")
    t = np.asarray(t, "float64")
    if t.ndim == 0:
        return (1.0 - t) * z0 + t * z1
    return (1.0 - t)[:, None] * z0[None] + t[:, None] * z1[None]


def slerp(z0: np.ndarray, z1: np.ndarray, t, eps: float = 1e-7) -> np.ndarray:
    """Spherical interpolation along the great circle between z0 and z1 (lerp if they are nearly parallel).

    sin((1 - t) w) / sin(w) z0 + sin(t w) / sin(w) z1, with w the angle between them. For Gaussian latents
    the path keeps a typical norm, whereas the lerp midpoint of two independent draws is shorter by
    about 1/sqrt(2).
    """
    z0, z1 = np.asarray(z0, "float64"), np.asarray(z1, "float64")
    cos = np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1) + eps)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if np.sin(omega) < eps:
        return lerp(z0, z1, t)
    t = np.asarray(t, "float64")
    a, b = np.sin((1.0 - t) * omega) / np.sin(omega), np.sin(t * omega) / np.sin(omega)
    if t.ndim == 0:
        return a * z0 + b * z1
    return a[:, None] * z0[None] + b[:, None] * z1[None]


def interpolation_grid(starts: np.ndarray, ends: np.ndarray, steps: int, method: str = "slerp") -> np.ndarray:
    """(rows * steps, d) latents: row ``i`` walks from ``starts[i]`` to ``ends[i]`` in ``steps`` points."""
    fn = {"lerp": lerp, "slerp": slerp}.get(method)
    if fn is None:
        raise ValueError(f"method must be 'lerp' or 'slerp', got {method!r}")
    t = np.linspace(0.0, 1.0, steps)
    return np.concatenate([fn(a, b, t) for a, b in zip(starts, ends)])


def region_colour(images: np.ndarray, top_fraction: float = 0.25, value_range=(-1.0, 1.0)) -> np.ndarray:
    """Mean RGB (in [0, 1]) of the top ``top_fraction`` of each image's rows: where hair sits in a centred face."""
    x = to_unit_range(images, value_range, dtype="float64")
    rows = max(1, int(round(x.shape[1] * top_fraction)))
    return x[:, :rows].mean(axis=(1, 2))


def hsv(colours: np.ndarray) -> np.ndarray:
    """(N, 3) RGB in [0, 1] -> (N, 3) hue (0-1, red = 0), saturation, value."""
    return np.array([colorsys.rgb_to_hsv(*c) for c in np.asarray(colours, "float64")])


def brightness(colours: np.ndarray) -> np.ndarray:
    """Luma (ITU-R BT.601) of (N, 3) RGB colours in [0, 1]."""
    return np.asarray(colours, "float64") @ np.array([0.299, 0.587, 0.114])


def group_by_quantile(values: np.ndarray, fraction: float = 0.2) -> dict[str, np.ndarray]:
    """Indices of the lowest and highest ``fraction`` of ``values`` (ties broken by index): a rule, not a pick."""
    values = np.asarray(values)
    k = max(1, int(round(len(values) * fraction)))
    order = np.argsort(values, kind="stable")
    return {"low": np.sort(order[:k]), "high": np.sort(order[-k:])}


def group_by_hue(colours: np.ndarray, centres: dict[str, float], min_saturation: float = 0.15,
                 max_hue_distance: float = 1 / 12) -> dict[str, np.ndarray]:
    """Indices whose colour is saturated enough and whose hue is within ``max_hue_distance`` of a named centre."""
    h = hsv(colours)
    groups = {}
    for name, centre in centres.items():
        distance = np.abs((h[:, 0] - centre + 0.5) % 1.0 - 0.5)  # circular hue distance
        groups[name] = np.flatnonzero((h[:, 1] >= min_saturation) & (distance <= max_hue_distance))
    return groups


def attribute_means(latents: np.ndarray, groups: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The mean latent of each non-empty group of indices."""
    latents = np.asarray(latents)
    return {name: latents[idx].mean(axis=0) for name, idx in groups.items() if len(idx)}


def midpoint(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The book's "arithmetic": the average of two attribute means."""
    return (np.asarray(a) + np.asarray(b)) / 2.0


def rescale_to_typical_norm(z: np.ndarray) -> np.ndarray:
    """Scale a latent to norm sqrt(d), the typical norm of an N(0, I) draw (a mean of k draws is ~sqrt(k) shorter)."""
    z = np.asarray(z, "float64")
    return z * np.sqrt(z.shape[-1]) / (np.linalg.norm(z, axis=-1, keepdims=True) + 1e-12)


def windowed_edits(base: np.ndarray, values: np.ndarray, width: int = 10, stride: int = 10,
                   copy: bool = True) -> np.ndarray:
    """Latents with entries ``[i*stride : i*stride + width]`` replaced by ``values[i]``, one per window.

    ``copy=True`` edits a fresh copy of ``base`` each time (the fix). ``copy=False`` reproduces the book's
    anime bug (``code = yellow_avg_latent_code`` without ``.copy()``): every edit writes into ``base``
    itself, so edits accumulate and ``base`` is changed for good. Returns one latent per window as it was
    when the book generated its image.
    """
    values = np.asarray(values)
    out = []
    for i, window in enumerate(values):
        code = base.copy() if copy else base
        code[i * stride : i * stride + width] = window
        out.append(np.array(code))  # snapshot what the generator saw at this point
    return np.stack(out)


def edit_report(base_latent: np.ndarray, edited_latents: np.ndarray, base_image: np.ndarray,
                edited_images: np.ndarray, value_range=(-1.0, 1.0)) -> dict[str, np.ndarray]:
    """How far each edit moved: entries changed, latent L2 distance, RMS pixel change in [0, 1] units."""
    base_latent, edited_latents = np.asarray(base_latent), np.asarray(edited_latents)
    changed = (~np.isclose(edited_latents, base_latent[None])).sum(axis=1)
    latent_l2 = np.linalg.norm(edited_latents - base_latent[None], axis=1)
    diff = (to_unit_range(edited_images, value_range, dtype="float64")
            - to_unit_range(np.asarray(base_image)[None], value_range, dtype="float64"))
    pixel_rms = np.sqrt((diff**2).reshape(len(diff), -1).mean(axis=1))
    return {"entries_changed": changed, "latent_l2": latent_l2, "pixel_rms": pixel_rms}
