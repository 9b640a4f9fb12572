"""Helpers the chapters used to paste into each notebook: frame strips and image rows, tracked training runs,
optimizer pairs, parameter counts, and the shared code of the CycleGAN, DCGAN-faces, conditional and project
chapters. Hand-checked values throughout."""

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from PIL import Image  # noqa: E402

from gancore import plots  # noqa: E402
from gancore.chapters import conditional_chapter, cyclegan_chapter, dcgan_faces_chapter, project_metrics  # noqa: E402
from gancore.models.params import total_and_frozen, trainable_params  # noqa: E402
from gancore.training.callbacks import PeriodicMetrics, SampleGrid  # noqa: E402
from gancore.training.fitting import adam_pair, fit_steps, last_logged, train_and_track, try_shared_optimizer  # noqa: E402

from .test_training import make_data, tiny_gan, weights_of  # noqa: E402


@pytest.fixture
def shown(monkeypatch):
    """The figures the plot helpers would show, kept open for inspection."""
    figures = []
    monkeypatch.setattr(plots, "_show_once", lambda fig, path=None: figures.append(fig))
    yield figures
    import matplotlib.pyplot as plt

    plt.close("all")


def test_pick_frames_spreads_count_frames_and_ends_on_the_last_stride():
    assert plots.pick_frames(list(range(10)), 4) == [2, 4, 6, 8]  # stride 10 // 4 = 2: 0, 2, ..., 8; last four
    assert plots.pick_frames(list(range(13)), 6) == [2, 4, 6, 8, 10, 12]  # stride 2, seven picked, last six
    assert plots.pick_frames(list(range(12)), 4) == [0, 3, 6, 9]  # stride 3: exactly four
    assert plots.pick_frames(list(range(3)), 4) == [0, 1, 2]  # fewer than asked: all of them
    assert plots.pick_frames([], 4) == []


def test_frames_strip_titles_steps_and_reads_saved_grids(tmp_path, shown):
    for epoch in (10, 0, 2, 4):  # written out of order: read back in file-name order
        Image.fromarray(np.full((3, 5, 3), 20 * epoch, "uint8")).save(tmp_path / f"epoch_{epoch:04d}.png")
    frames = plots.saved_frames(tmp_path)
    assert [e for e, _ in frames] == [0, 2, 4, 10]
    plots.frames_strip(frames, count=2, steps_per_epoch=50, label="book, ")
    fig = shown[-1]
    assert [ax.get_title() for ax in fig.axes] == ["book, step 0", "book, step 200"]  # stride 2: epochs 0 and 4
    assert fig.axes[1].images[0].get_array()[0, 0, 0] == pytest.approx(80 / 255, abs=1e-6)  # PNG read as [0, 1]
    grey = [(e, np.full((4, 4), e / 10.0)) for e in range(10)]
    plots.frames_strip(grey, steps_per_epoch=3, size=(2.0, 2.5), title="run")
    fig = shown[-1]
    assert [ax.get_title() for ax in fig.axes] == ["step 6", "step 12", "step 18", "step 24"]
    assert fig.axes[0].images[0].get_cmap().name == "gray" and fig._suptitle.get_text() == "run"
    assert tuple(fig.get_size_inches()) == pytest.approx((8.0, 2.5))


def test_frames_column_stacks_rows_and_skips_a_single_frame(shown):
    frames = [(e, np.full((2, 6, 3), e / 10.0)) for e in range(8)]
    plots.frames_column(frames, count=3, steps_per_epoch=10, width=5.0, title="fills")
    fig = shown[-1]
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["step 20", "step 40", "step 60"]  # stride 2: 0..6, last 3
    np.testing.assert_allclose(ax.get_yticks(), [1.0, 3.0, 5.0])  # the middle of each 2-pixel row
    assert ax.images[0].get_array().shape == (6, 6, 3) and ax.get_title() == "fills"
    plots.frames_column(frames[:1])
    assert len(shown) == 1


def test_image_rows_labels_rows_and_scales_the_value_range(shown):
    a = np.zeros((3, 2, 2, 3), "float32")
    b = np.ones((3, 2, 2, 3), "float32")
    plots.image_rows([("input", a), ("output", b)], value_range=(-1, 1), size=(1.0, 2.0), title="A -> B")
    fig = shown[-1]
    assert [ax.get_ylabel() for ax in fig.axes] == ["input", "output"]
    assert fig.axes[0].get_title() == "A -> B"
    first = fig.axes[0].images[0].get_array()
    assert first.shape == (2, 3 * 2 + 2, 3)  # one row of three, 1-pixel gaps
    assert first[0, 0, 0] == pytest.approx(0.5) and first[0, 2, 0] == pytest.approx(1.0)  # 0 -> 0.5; gap white
    assert fig.axes[1].images[0].get_array()[0, 0, 0] == pytest.approx(1.0)
    assert tuple(fig.get_size_inches()) == pytest.approx((3.0, 4.0))


def test_grid_panels_one_titled_grid_per_entry(shown):
    plots.grid_panels({"GAN": np.zeros((4, 2, 2)), "WGAN": np.full((4, 2, 2), 255.0)}, value_range=(0, 255))
    fig = shown[-1]
    assert [ax.get_title() for ax in fig.axes] == ["GAN", "WGAN"]
    assert fig.axes[1].images[0].get_array()[0, 0] == pytest.approx(1.0)
    assert fig.axes[0].images[0].get_array().shape == (5, 5)  # 2 x 2 images, 1-pixel gaps


def test_plot_class_accuracy_normalises_each_requested_class(shown):
    confusion = np.array([[3, 1, 0], [0, 2, 2], [0, 0, 0]])
    plots.plot_class_accuracy({"book": [0.75, 0.5, 0.0], "variant": [1.0, 1.0, 1.0]}, confusion,
                              class_names=["a", "b", "c"])
    bars, table = shown[-1].axes
    np.testing.assert_allclose(table.images[0].get_array(), [[0.75, 0.25, 0], [0, 0.5, 0.5], [0, 0, 0]])
    assert [p.get_height() for p in bars.patches[:3]] == [0.75, 0.5, 0.0]
    assert bars.patches[0].get_x() == pytest.approx(-0.4) and bars.patches[3].get_x() == pytest.approx(0.0)
    assert [t.get_text() for t in table.get_xticklabels()] == ["a", "b", "c"]


def test_train_and_track_equals_the_hand_written_run(tmp_path):
    z = np.zeros((4, 4), "float32")
    gan = tiny_gan(seed=5)
    calls = []
    tracked = train_and_track(gan, make_data, 6, 2, evaluate=lambda: calls.append(1) or {"n": float(len(calls))},
                              sample=lambda: gan.generator(z).numpy(), every=2, samples_dir=tmp_path / "s", rows=2,
                              backup_dir=tmp_path / "b", verbose=0)
    by_hand = tiny_gan(seed=5)
    tracker = PeriodicMetrics(lambda: {"n": 0.0}, every=2)
    grids = SampleGrid(lambda: by_hand.generator(z).numpy(), every=2, rows=2)
    history = fit_steps(by_hand, make_data, total_steps=6, steps_per_epoch=2, callbacks=[tracker, grids], verbose=0)
    for a, b in zip(weights_of(gan), weights_of(by_hand)):
        np.testing.assert_array_equal(a, b)
    assert [r[:2] for r in tracked.tracker.records] == [(0, 0), (2, 4)] == [r[:2] for r in tracker.records]
    assert [e for e, _ in tracked.grids.frames] == [0, 2] and (tmp_path / "s" / "epoch_0002.png").exists()
    assert tracked.history.history["d_loss"] == history.history["d_loss"] and tracked.history.history["n"] == [2.0]
    assert tracked.seconds > 0 and not (tmp_path / "b").exists()  # the backup is removed after a completed run
    bare = train_and_track(tiny_gan(seed=5), make_data, 2, 2, verbose=0)
    assert bare.tracker is None and bare.grids is None and len(bare.history.history["d_loss"]) == 1


def test_last_logged_keeps_the_history_order_and_the_asked_keys():
    logs = {"d_loss": [1.0, 2.0, 3.0], "g_loss": [4.0, 5.0], "d_acc": [0.5]}
    assert last_logged(logs) == {"d_loss": 3.0, "g_loss": 5.0, "d_acc": 0.5}
    assert list(last_logged(logs, ("d_acc", "d_loss"))) == ["d_loss", "d_acc"]
    history = keras.callbacks.History()
    history.history = {"loss": [np.float32(0.25)]}
    assert last_logged(history) == {"loss": 0.25} and isinstance(last_logged(history)["loss"], float)


def test_adam_pair_makes_two_optimizers_with_the_settings():
    pair = adam_pair(2e-4, beta_1=0.5)
    d, g = pair["d_optimizer"], pair["g_optimizer"]
    assert d is not g
    assert float(d.learning_rate) == pytest.approx(2e-4) and float(g.learning_rate) == pytest.approx(2e-4)
    assert d.beta_1 == g.beta_1 == 0.5 and d.beta_2 == 0.999
    pair = adam_pair(1e-4, 4e-4, beta_1=0.0, beta_2=0.9)
    assert float(pair["g_optimizer"].learning_rate) == pytest.approx(4e-4) and pair["d_optimizer"].beta_2 == 0.9


def test_a_shared_optimizer_serves_the_first_model_only():
    lines = try_shared_optimizer(keras.optimizers.Adam(1e-3))
    assert lines[0] == "d_like: updated"
    assert lines[1].startswith("g_like: ValueError: ") and ":" not in lines[1][len("g_like: ValueError: "):]


def test_parameter_counts_by_hand():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3), keras.layers.BatchNormalization()])
    assert trainable_params(model) == 2 * 3 + 3 + 2 * 3  # kernel, bias, gamma and beta
    assert total_and_frozen(model) == (21, 6)  # + moving mean and variance


def test_cyclegan_batches_are_a_function_of_the_step():
    images_a = np.arange(20, dtype="float32").reshape(20, 1, 1, 1)
    images_b = 100 + np.arange(30, dtype="float32").reshape(30, 1, 1, 1)
    make = cyclegan_chapter.unpaired_dataset(images_a, images_b, batch_size=4, seed=3)
    run = [(a.numpy().ravel(), b.numpy().ravel()) for a, b in make(0, 3)]
    resumed = [(a.numpy().ravel(), b.numpy().ravel()) for a, b in make(2, 1)]
    np.testing.assert_array_equal(run[2][0], resumed[0][0])
    np.testing.assert_array_equal(run[2][1], resumed[0][1])
    assert run[0][0].min() >= 0 and run[0][0].max() < 20 and run[0][1].min() >= 100 and run[0][1].max() < 130
    seeds = tf.constant([3, 0], tf.int64)  # step 0: A keyed by (seed, 0), B by (seed + 7, 7)
    expected_a = tf.random.stateless_uniform([4], seeds, 0, 20, tf.int64, alg="philox").numpy()
    expected_b = tf.random.stateless_uniform([4], seeds + 7, 0, 30, tf.int64, alg="philox").numpy()
    np.testing.assert_array_equal(run[0][0], expected_a.astype("float32"))
    np.testing.assert_array_equal(run[0][1], 100 + expected_b.astype("float32"))
    assert not np.array_equal(run[0][0], run[1][0])


class _Judge:
    """Calls an image domain B when its mean is above 0."""

    def share_classified_as(self, images, domain):
        b = np.asarray(images).reshape(len(images), -1).mean(axis=1) > 0
        return float(b.mean() if domain == "b" else (~b).mean())


class _CycleModel:
    generator_ab = staticmethod(lambda x, training=False: x + 1.0)  # last weights: A (-0.5) -> 0.5, read as B
    generator_ba = staticmethod(lambda x, training=False: x)  # B stays B
    inference_generators = (staticmethod(lambda x, training=False: x - 1.0), staticmethod(lambda x, training=False: x))


def test_held_out_shares_of_the_last_weights_and_the_average():
    test_a, test_b = np.full((4, 2, 2, 3), -0.5, "float32"), np.full((2, 2, 2, 3), 0.5, "float32")
    shares = cyclegan_chapter.held_out_shares(_Judge(), _CycleModel(), test_a, test_b, average=True)
    assert shares == {"a2b_share_b": 1.0, "b2a_share_a": 0.0, "average_a2b_share_b": 0.0, "average_b2a_share_a": 0.0}
    assert list(cyclegan_chapter.held_out_shares(_Judge(), _CycleModel(), test_a, test_b)) == ["a2b_share_b",
                                                                                                "b2a_share_a"]


def _scores(a2b_fd, b2a_fd):
    base = {"identity_a2b_share_b": 0.0, "identity_a2b_fd": 10.0, "identity_b2a_share_a": 0.0,
            "identity_b2a_fd": 20.0, "real_b_share_b": 1.0, "real_b_fd": 2.0, "real_a_share_a": 1.0, "real_a_fd": 4.0}
    return {**base, "a2b_share_b": 0.9, "a2b_fd": a2b_fd, "b2a_share_a": 0.8, "b2a_fd": b2a_fd, "cycle_l1_a": 0.1,
            "cycle_l1_b": 0.2}


def test_variant_metrics_by_hand():
    class Tracker:
        records = [(0, 0, {"a2b_share_b": 0.1, "b2a_share_a": 0.2, "average_a2b_share_b": 0.3,
                           "average_b2a_share_a": 0.4})]

    history = {key: [9.0, float(i)] for i, key in enumerate(cyclegan_chapter.HISTORY_KEYS)}
    results = {"book": {"history": history, "tracker": Tracker(), "seconds": 12.5}}
    scores = {"book": _scores(6.0, 12.0), "book_average": _scores(4.0, 20.0)}
    m = cyclegan_chapter.variant_metrics(scores, results, average=True, gap_closed=True)
    assert m["real_a_fd"] == 4.0 and m["book_a2b_fd"] == 6.0 and m["book_average_cycle_l1_b"] == 0.2
    assert m["book_fd_ratio_ab_to_real"] == 3.0 and m["book_fd_ratio_ba_to_real"] == 3.0  # 6 / 2 and 12 / 4
    assert m["book_a2b_fd_gap_closed"] == 0.5  # (10 - 6) / (10 - 2)
    assert m["book_average_b2a_fd_gap_closed"] == 0.0  # (20 - 20) / (20 - 4)
    assert m["book_final_adv"] == 2.0 and m["book_seconds"] == 12.5
    assert m["book_over_training"] == [[0, 0.1, 0.2]] and m["book_average_over_training"] == [[0, 0.3, 0.4]]
    plain = cyclegan_chapter.variant_metrics({"book": scores["book"]}, results)
    assert "book_a2b_fd_gap_closed" not in plain and "book_average_over_training" not in plain
    assert len(plain) == 8 + 6 + 2 + 5 + 1 + 1


def test_cyclegan_curves_and_grids_draw(shown):
    class Tracker:
        records = [(0, 0, {"a2b_share_b": 0.1, "b2a_share_a": 0.2, "average_a2b_share_b": 0.3}),
                   (1, 10, {"a2b_share_b": 0.5, "b2a_share_a": 0.6, "average_a2b_share_b": 0.7})]

    history = {key: [1.0, 0.5] for key in cyclegan_chapter.HISTORY_KEYS}
    cyclegan_chapter.plot_training_curves({"paper": {"history": history, "tracker": Tracker()}}, 10, average=True)
    axes = shown[-1].axes
    assert [len(ax.lines) for ax in axes] == [2, 2, 3]
    np.testing.assert_array_equal(axes[0].lines[0].get_xdata(), [10, 20])
    np.testing.assert_array_equal(axes[2].lines[2].get_ydata(), [0.3, 0.7])


def test_conditional_helpers_by_hand():
    predicted = np.array([0, 0, 1, 2, 2, 2])
    labels = np.array([0, 1, 1, 2, 2, 0])
    np.testing.assert_allclose(conditional_chapter.per_class_accuracy(predicted, labels, 3), [0.5, 0.5, 1.0])
    confusion = np.array([[5, 0, 1], [2, 3, 0], [0, 0, 4]])
    assert conditional_chapter.most_confused(confusion) == [2, 0, None]

    class Model:
        calls = []

        def generate(self, z, labels, averaged=False):
            self.calls.append((len(z), averaged))
            return tf.constant(z[:, :1] + labels[:, None] + (100 if averaged else 0))

    z = np.arange(5, dtype="float32")[:, None]
    out = conditional_chapter.generate_classes(Model(), z, np.arange(5), batch_size=2, averaged=True)
    np.testing.assert_array_equal(out.ravel(), [100, 102, 104, 106, 108])
    assert Model.calls == [(2, True), (2, True), (1, True)]


def test_project_metrics_by_hand(tmp_path):
    assert project_metrics.step_of_file(tmp_path / "generator_step300.weights.h5") == 300
    images = np.array([0.0, 1.0, 3.0]).reshape(3, 1, 1)
    assert project_metrics.mean_pairwise_rms(images) == pytest.approx(2.0)  # |0-1|, |0-3|, |1-3|
    assert project_metrics.mean_pairwise_rms(images, n=2) == pytest.approx(1.0)
    assert project_metrics.mean_pairwise_rms(np.array([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(np.sqrt(12.5))

    net = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
    for step in (20, 3):
        net.layers[0].kernel.assign([[float(step)]])
        net.save_weights(tmp_path / f"generator_step{step}.weights.h5")
    net.layers[0].kernel.assign([[0.0]])
    curve = project_metrics.saved_weights_curve(net, tmp_path, lambda g: float(g(np.ones((1, 1)))[0, 0]))
    assert curve == [(3, 3.0), (20, 20.0)]  # step order, each snapshot loaded before scoring


def test_face_training_set_in_memory_or_streamed(tmp_path):
    files = []
    for i in range(6):
        path = tmp_path / f"{i}.png"
        Image.fromarray(np.full((8, 8, 3), 40 * i, "uint8")).save(path)
        files.append(path)
    held = dcgan_faces_chapter.face_training_set(files, max_images=4, in_memory_limit=10, eval_samples=1, seed=0,
                                                 size=8)
    assert held.in_memory and held.images.shape == (4, 8, 8, 3) and held.reference is held.images
    batch = next(iter(held.make_dataset(batch_size=3, seed=1)(0, 1))).numpy()
    assert batch.shape == (3, 8, 8, 3)
    levels = np.array([0, 40, 80, 120]) / 127.5 - 1  # the four images' grey levels in [-1, 1]
    assert all(np.isclose(v, levels, atol=1e-6).any() for v in batch[:, 0, 0, 0])
    small = next(iter(held.make_dataset(batch_size=2, seed=1, size=4)(0, 1))).numpy()
    assert small.shape == (2, 4, 4, 3)
    streamed = dcgan_faces_chapter.face_training_set(files, max_images=None, in_memory_limit=5, eval_samples=2,
                                                     seed=0, size=8)
    assert not streamed.in_memory and streamed.images is None and streamed.reference.shape == (4, 8, 8, 3)
    batch = next(iter(streamed.make_dataset(batch_size=2, seed=1)(0, 1))).numpy()
    assert batch.shape == (2, 8, 8, 3) and batch.min() >= -1.0 and batch.max() <= 1.0


def test_face_quality_figure(shown):
    records = [(0, 0, {"pixel_fd": 9.0, "face_rate": 0.0}), (2, 100, {"pixel_fd": 3.0, "face_rate": 0.5})]
    dcgan_faces_chapter.plot_quality_over_training(records, floor_fd=1.0, real_face_rate=0.9)
    fd_ax, rate_ax = shown[-1].axes
    np.testing.assert_array_equal(fd_ax.lines[0].get_ydata(), [9.0, 3.0])
    np.testing.assert_array_equal(rate_ax.lines[0].get_xdata(), [0, 100])
    assert rate_ax.lines[1].get_ydata()[0] == 0.9 and fd_ax.get_yscale() == "log"
