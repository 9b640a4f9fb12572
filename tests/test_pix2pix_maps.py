"""Skill 8 Pix2Pix maps: the A|B split, the stand-in (deterministic, whole photos held out) and a training step."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from gancore.chapters import maps
from gancore.models.pix2pix import build_maps_discriminator, build_maps_generator
from gancore.training.pix2pix import Pix2Pix


def test_split_ab_is_exact_and_inverts_join():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)
    pair = maps.join_ab(a, b)
    assert pair.shape == (6, 10, 3)
    got_a, got_b = maps.split_ab(pair)
    np.testing.assert_array_equal(got_a, a)
    np.testing.assert_array_equal(got_b, b)
    # the book's split: columns [0, W//2) and [W//2, W), so a 600x1200 file gives two 600x600 halves
    left, right = maps.split_ab(np.zeros((600, 1200, 3), np.uint8))
    assert left.shape == right.shape == (600, 600, 3)
    with pytest.raises(ValueError):
        maps.join_ab(a, b[:, :4])


def test_map_rendering_is_deterministic_flat_colours():
    from gancore.data import standins

    crop = standins.resize(standins.photo_pool()["astronaut"][:200, :200], 64)
    first, second = maps.map_rendering(crop), maps.map_rendering(crop)
    np.testing.assert_array_equal(first, second)
    assert first.shape == crop.shape and first.dtype == np.uint8
    allowed = {tuple(c) for c in maps.MAP_COLOURS.values()} | {maps.EDGE_COLOUR}
    assert {tuple(p) for p in first.reshape(-1, 3)} <= allowed


def test_standin_layout_determinism_and_held_out_photos(tmp_path):
    root_1 = maps.build_maps_standin(tmp_path / "one", 6, 3, size=32, seed=4)
    root_2 = maps.build_maps_standin(tmp_path / "two", 6, 3, size=32, seed=4)
    files = maps.ab_files(root_1 / "train")
    assert [f.name for f in files] == [f"{i}.jpg" for i in range(1, 7)]
    assert len(maps.ab_files(root_1 / "val")) == 3
    for split in ("train", "val"):
        for f1, f2 in zip(maps.ab_files(root_1 / split), maps.ab_files(root_2 / split)):
            assert f1.read_bytes() == f2.read_bytes()  # same seed, same JPEG bytes
    info = json.loads((root_1 / maps.STANDIN_MARKER).read_text())
    assert set(info["per_photo"]["val"]) <= set(maps.TEST_PHOTOS)
    assert not set(info["per_photo"]["train"]) & set(maps.TEST_PHOTOS)
    a, b = maps.load_ab_folder(root_1 / "train", 16)
    assert a.shape == b.shape == (6, 16, 16, 3) and a.dtype == np.uint8
    other = maps.build_maps_standin(tmp_path / "three", 6, 3, size=32, seed=5)
    assert maps.ab_files(other / "train")[0].read_bytes() != files[0].read_bytes()
    assert not list(tmp_path.glob(".*part*"))  # no temporary folder left behind


def test_maps_data_prefers_the_real_folder(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(1)
    for split, count in (("train", 3), ("val", 2)):
        folder = tmp_path / "maps" / split
        folder.mkdir(parents=True)
        for i in range(count):
            pair = rng.integers(0, 256, (20, 40, 3), dtype=np.uint8)
            Image.fromarray(pair).save(folder / f"{i + 1}.jpg", quality=95)
    data = maps.maps_data(10, 2, 8, root=tmp_path)
    assert not data.standin and data.train_a.shape == (3, 8, 8, 3) and data.test_b.shape == (2, 8, 8, 3)
    assert "real pix2pix maps" in data.source


def test_pix2pix_trains_on_ab_pairs():
    keras.utils.set_random_seed(0)
    model = Pix2Pix(build_maps_generator(32, width=0.125), build_maps_discriminator(32, width=0.125))
    model.compile(keras.optimizers.Adam(2e-3, beta_1=0.5), keras.optimizers.Adam(2e-3, beta_1=0.5))
    a = np.random.default_rng(0).uniform(-1, 1, (4, 32, 32, 3)).astype("float32")
    data = tf.data.Dataset.from_tensors((a, -a)).repeat(3)
    history = model.fit(data, verbose=0)
    logs = {k: v[-1] for k, v in history.history.items()}
    assert np.isfinite(logs["g_l1"]) and logs["d_loss"] > 0
    assert model.colourise(a).shape == (4, 32, 32, 3)


def test_edge_f1_by_hand():
    land = np.array(maps.MAP_COLOURS["land"], "uint8")
    target = np.broadcast_to(land, (1, 8, 8, 3)).copy()
    target[0, :, 3] = maps.EDGE_COLOUR  # a vertical line in column 3
    assert maps.edge_lines(target)[0, :, 3].all() and maps.edge_lines(target).sum() == 8
    shifted = np.broadcast_to(land, (1, 8, 8, 3)).copy()
    shifted[0, :, 4] = (170, 170, 170)  # one pixel over, a lighter grey: found within the 1-pixel tolerance
    assert maps.edge_f1(shifted, target)[0] == pytest.approx(1.0)
    assert maps.edge_f1(shifted, target, tolerance=0)[0] == pytest.approx(0.0)
    half = np.broadcast_to(land, (1, 8, 8, 3)).copy()
    half[0, :4, 3] = maps.EDGE_COLOUR  # rows 0-3 of the line: precision 1; rows 0-4 are within 1 px, recall 5/8
    assert maps.edge_f1(half, target)[0] == pytest.approx(2 * 0.625 / 1.625)  # = 10/13
    assert maps.edge_f1(half, target, tolerance=0)[0] == pytest.approx(2 * 0.5 / 1.5)  # recall 1/2: F1 2/3
    blank = np.broadcast_to(land, (1, 8, 8, 3))
    assert maps.edge_f1(blank, target)[0] == 0.0 and maps.edge_f1(blank, blank)[0] == 1.0
    water = np.broadcast_to(np.array(maps.MAP_COLOURS["water"], "uint8"), (1, 2, 2, 3))
    assert not maps.edge_lines(water).any()  # no map colour reads as a line
