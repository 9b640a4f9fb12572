"""Image grids, smoothing, the latent manifold's orientation and GIF writing."""

import matplotlib

matplotlib.use("Agg")

import imageio.v3 as iio  # noqa: E402
import numpy as np  # noqa: E402

from gancore import plots  # noqa: E402


def test_image_grid_layout_and_range():
    images = np.stack([np.full((2, 3), v) for v in (0, 51, 102, 255)]).astype("uint8")
    grid = plots.image_grid(images, rows=2, value_range=(0, 255))
    assert grid.shape == (2 * 2 + 1, 2 * 3 + 1)
    assert grid[0, 0] == 0.0 and grid[0, 4] == 0.2 and grid[3, 0] == 0.4 and grid[3, 4] == 1.0
    assert grid[2, 0] == 1.0  # the white gap between rows


def test_image_grid_pads_an_incomplete_last_row_with_white():
    grid = plots.image_grid(np.zeros((3, 2, 2, 1)), rows=2)
    assert grid.shape == (5, 5)
    assert grid[3:, 3:].min() == 1.0 and grid[3:, :2].max() == 0.0


def test_smooth_keeps_length_and_constant_series():
    np.testing.assert_allclose(plots.smooth([2.0] * 10, 4), [2.0] * 10)
    smoothed = plots.smooth(np.arange(10.0), 3)
    assert smoothed.shape == (10,)
    np.testing.assert_allclose(smoothed[1:-1], np.arange(1.0, 9.0))


def test_latent_manifold_lines_up_with_the_scatter_plot():
    # decode z to a 1x2 image holding (z0, z1): the grid must put z0 left-to-right and z1 bottom-to-top
    decode = lambda z: (np.asarray(z)[:, None, :] + 2.0) / 4.0
    picture = plots.latent_manifold(decode, n=3, extent=2.0)
    assert picture.shape == (3, 6)
    np.testing.assert_allclose(picture[0, 0::2], [0.0, 0.5, 1.0])  # z0 grows to the right
    np.testing.assert_allclose(picture[:, 1], [1.0, 0.5, 0.0])  # z1 is largest on the top row


def test_gif_and_png_are_written(tmp_path):
    frames = [np.full((4, 4), v, "float32") for v in (0.0, 0.5, 1.0)]
    path = plots.save_gif(frames, tmp_path / "a.gif", scale=2)
    stack = iio.imread(path, index=None)
    assert stack.shape[0] == 3 and stack.shape[1:3] == (8, 8)
    plots.save_image(frames[1], tmp_path / "b.png")
    assert iio.imread(tmp_path / "b.png").max() == 128


def test_plot_functions_save_figures(tmp_path):
    plots.plot_losses({"d_loss": np.linspace(1, 0, 50), "g_loss": np.linspace(0, 1, 50)}, ["d_loss", "g_loss"],
                      steps_per_point=10, path=tmp_path / "loss.png", reference={"ln 2": 0.69})
    plots.plot_class_histogram([5, 0, 3], path=tmp_path / "hist.png")
    plots.show_grid(np.zeros((4, 5, 5)), path=tmp_path / "grid.png")
    assert all((tmp_path / n).stat().st_size > 1000 for n in ("loss.png", "hist.png", "grid.png"))


def test_plots_draw_once_and_return_nothing(tmp_path):
    """A plot that ends a notebook cell must not be drawn a second time as the cell's value."""
    import matplotlib.pyplot as plt

    plt.close("all")
    assert plots.show_grid(np.zeros((4, 5, 5))) is None
    assert plots.plot_class_histogram([1, 2]) is None
    assert plt.get_fignums() == []  # shown and closed: nothing left for IPython to render again
