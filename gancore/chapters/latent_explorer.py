"""An interactive latent-space explorer: ipywidgets sliders in JupyterLab, a static strip everywhere else.

:class:`LatentExplorer` holds the state (two latent codes, a direction to walk, a class or InfoGAN codes) and
renders images from it with plain methods, so every callback can be tested without a browser.
:meth:`LatentExplorer.widget` wires them to sliders, buttons and an image; :func:`show` displays the widget in an
interactive session and a static strip in headless runs (papermill, the site), where widgets would not render.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image

from gancore import plots
from gancore.chapters.latent_space import lerp, slerp

# generate(z, label, continuous) -> images in ``value_range``; label / continuous are None when not used
Generate = Callable[[np.ndarray, np.ndarray | None, np.ndarray | None], np.ndarray]


class LatentExplorer:
    """Latent codes and the images they give: interpolate between two codes, walk one direction, set conditions.

    ``generate(z, labels, continuous)`` maps a batch of codes (n, latent_dim) to images in ``value_range``;
    ``class_names`` (CGAN's classes, InfoGAN's categories) and ``continuous`` (InfoGAN's continuous codes, each in
    [-limit, limit]) add controls. All randomness comes from ``seed``.
    """

    def __init__(self, generate: Generate, latent_dim: int, value_range: tuple[float, float] = (-1.0, 1.0),
                 seed: int = 0, class_names: Sequence[str] | None = None, continuous: int = 0,
                 continuous_limit: float = 2.0, walk_limit: float = 3.0):
        self.generate_fn = generate
        self.latent_dim = latent_dim
        self.value_range = value_range
        self.class_names = list(class_names) if class_names else []
        self.continuous = continuous
        self.continuous_limit = continuous_limit
        self.walk_limit = walk_limit
        self.rng = np.random.default_rng(seed)
        self.start = self.end = self.direction = None
        self.new_pair()

    # --- state --------------------------------------------------------------------------------------------
    def new_pair(self) -> None:
        """Draw two new codes to interpolate between and a new random unit direction to walk."""
        self.start, self.end = self.rng.normal(size=(2, self.latent_dim)).astype("float32")
        direction = self.rng.normal(size=self.latent_dim)
        self.direction = (direction / np.linalg.norm(direction)).astype("float32")

    def latent(self, t: float = 0.0, mode: str = "slerp", walk: float = 0.0) -> np.ndarray:
        """The code at fraction ``t`` from ``start`` to ``end`` (``"lerp"`` or ``"slerp"``), moved ``walk`` along
        the direction."""
        if mode not in ("lerp", "slerp"):
            raise ValueError(f"mode must be 'lerp' or 'slerp', got {mode!r}")
        point = (slerp if mode == "slerp" else lerp)(self.start, self.end, float(t))
        return (np.asarray(point, "float32") + float(walk) * self.direction).astype("float32")

    def _conditions(self, n: int, label: int | None, continuous: Sequence[float] | None):
        labels = None
        if self.class_names:
            label = 0 if label is None else int(label)
            if not 0 <= label < len(self.class_names):
                raise ValueError(f"label must be in 0..{len(self.class_names) - 1}, got {label}")
            labels = np.full(n, label, "int32")
        codes = None
        if self.continuous:
            values = np.zeros(self.continuous, "float32") if continuous is None else np.asarray(continuous, "float32")
            if values.shape != (self.continuous,):
                raise ValueError(f"expected {self.continuous} continuous codes, got shape {values.shape}")
            codes = np.tile(values, (n, 1))
        return labels, codes

    # --- images ---------------------------------------------------------------------------------------------
    def images(self, latents: np.ndarray, label: int | None = None,
               continuous: Sequence[float] | None = None) -> np.ndarray:
        """Images in [0, 1] for a batch of codes under one condition."""
        latents = np.asarray(latents, "float32").reshape(-1, self.latent_dim)
        labels, codes = self._conditions(len(latents), label, continuous)
        images = np.asarray(self.generate_fn(latents, labels, codes))
        return plots.to_unit_range(images, self.value_range)

    def render(self, t: float = 0.0, mode: str = "slerp", walk: float = 0.0, label: int | None = None,
               continuous: Sequence[float] | None = None) -> np.ndarray:
        """The one image the controls describe, in [0, 1]."""
        return self.images(self.latent(t, mode, walk), label, continuous)[0]

    def strip(self, steps: int = 7, label: int | None = None) -> dict[str, np.ndarray]:
        """The static stand-in: rows of ``steps`` images (lerp, slerp, a walk from -limit to +limit, and each
        class or each continuous code's sweep when there are any)."""
        ts = np.linspace(0.0, 1.0, steps)
        walks = np.linspace(-self.walk_limit, self.walk_limit, steps)
        rows = {"lerp": self.images(np.stack([self.latent(t, "lerp") for t in ts]), label),
                "slerp": self.images(np.stack([self.latent(t, "slerp") for t in ts]), label),
                "walk one direction": self.images(np.stack([self.latent(0.0, "slerp", w) for w in walks]), label)}
        if self.class_names:
            rows["each class"] = np.concatenate([self.images(self.start[None], c) for c in
                                                 range(len(self.class_names))][:steps])
        for k in range(self.continuous):
            sweeps = []
            for value in np.linspace(-self.continuous_limit, self.continuous_limit, steps):
                codes = np.zeros(self.continuous, "float32")
                codes[k] = value
                sweeps.append(self.images(self.start[None], label, codes)[0])
            rows[f"continuous code {k + 1}"] = np.stack(sweeps)
        return rows

    def show_strip(self, steps: int = 7, label: int | None = None, path=None) -> None:
        """Plot :meth:`strip` as labelled rows (what headless runs and the site show instead of the widget)."""
        plots.image_rows(list(self.strip(steps, label).items()), path=path,
                         title="Latent explorer, static stand-in (open the notebook in JupyterLab for the sliders)")

    # --- widget -------------------------------------------------------------------------------------------
    def widget(self, size: int = 192):
        """The ipywidgets controls and the image they drive (a ``VBox``); ``self.controls`` names each control."""
        import ipywidgets as widgets

        controls = {
            "t": widgets.FloatSlider(0.0, min=0.0, max=1.0, step=0.05, description="start -> end"),
            "mode": widgets.ToggleButtons(options=["slerp", "lerp"], value="slerp", description="path"),
            "walk": widgets.FloatSlider(0.0, min=-self.walk_limit, max=self.walk_limit, step=0.1,
                                        description="walk"),
        }
        if self.class_names:
            controls["label"] = widgets.Dropdown(options=[(n, i) for i, n in enumerate(self.class_names)], value=0,
                                                 description="class")
        for k in range(self.continuous):
            controls[f"c{k + 1}"] = widgets.FloatSlider(0.0, min=-self.continuous_limit, max=self.continuous_limit,
                                                        step=0.1, description=f"code c{k + 1}")
        image = widgets.Image(format="png", width=size, height=size)
        new_pair = widgets.Button(description="new pair", tooltip="draw two new codes and a new direction")

        def values() -> dict:
            continuous = [controls[f"c{k + 1}"].value for k in range(self.continuous)] or None
            label = controls["label"].value if "label" in controls else None
            return {"t": controls["t"].value, "mode": controls["mode"].value, "walk": controls["walk"].value,
                    "label": label, "continuous": continuous}

        def update(_change=None) -> None:
            image.value = png_bytes(self.render(**values()))

        def redraw(_button=None) -> None:
            self.new_pair()
            update()

        for control in controls.values():
            control.observe(update, names="value")
        new_pair.on_click(redraw)
        update()
        self.controls, self.image_widget, self.new_pair_button = controls, image, new_pair
        return widgets.VBox([widgets.HBox([image, widgets.VBox(list(controls.values()) + [new_pair])])])


def png_bytes(image01: np.ndarray) -> bytes:
    """A [0, 1] image (H, W[, 1 or 3]) as PNG bytes."""
    array = np.clip(np.rint(np.asarray(image01) * 255), 0, 255).astype("uint8")
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def show(explorer: LatentExplorer, interactive: bool, steps: int = 7, path=None) -> None:
    """The widget in an interactive session; otherwise (papermill, the site) the static strip, which is also
    saved to ``path`` when given."""
    if interactive:
        from IPython.display import display

        display(explorer.widget())
        return
    explorer.show_strip(steps, path=path)
