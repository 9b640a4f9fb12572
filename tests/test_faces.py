"""Skill 4 faces: the book's 56x56 DCGANs (parameter counts), the offline stand-ins, the data resolver and
the pixel-space features used to score samples."""

from __future__ import annotations

import os

import keras
import numpy as np
import pytest

from gancore import metrics
from gancore.data import faces, standins
from gancore.models import dcgan_faces as m


@pytest.mark.parametrize(
    "builder, total, frozen, shape",
    [
        (m.build_anime_generator, m.ANIME_GENERATOR_PARAMS, m.ANIME_GENERATOR_NON_TRAINABLE, (None, 56, 56, 3)),
        (m.build_anime_discriminator, m.ANIME_DISCRIMINATOR_PARAMS, m.ANIME_DISCRIMINATOR_NON_TRAINABLE, (None, 1)),
        (m.build_faces_generator, m.FACES_GENERATOR_PARAMS, m.FACES_GENERATOR_NON_TRAINABLE, (None, 56, 56, 3)),
        (m.build_faces_discriminator, m.FACES_DISCRIMINATOR_PARAMS, m.FACES_DISCRIMINATOR_NON_TRAINABLE, (None, 1)),
    ],
)
def test_book_networks_have_the_books_parameter_counts(builder, total, frozen, shape):
    model = builder()
    assert model.count_params() == total
    assert m.non_trainable_params(model) == frozen
    assert tuple(model.output_shape) == shape


def test_book_numbers_are_the_printed_ones():
    # Copied from the book's summaries, independently of the builders.
    assert (m.ANIME_GENERATOR_PARAMS, m.ANIME_DISCRIMINATOR_PARAMS) == (1866499, 517441)
    assert (m.FACES_GENERATOR_PARAMS, m.FACES_DISCRIMINATOR_PARAMS) == (1768387, 904961)


def test_faces_generator_as_printed_in_code_is_bigger_by_one_block():
    printed = m.build_faces_generator_as_printed()
    # one more 5x5 128->128 transposed convolution (409,600 + 128) and its batchnorm (4 x 128)
    assert printed.count_params() - m.FACES_GENERATOR_PARAMS == 409_728 + 512
    assert printed.count_params() == m.FACES_GENERATOR_AS_PRINTED_PARAMS


def test_generator_output_is_in_tanh_range():
    g = m.build_faces_generator()
    out = np.asarray(g(np.random.default_rng(0).normal(size=(2, 100)).astype("float32"), training=False))
    assert out.shape == (2, 56, 56, 3)
    assert out.min() >= -1.0 and out.max() <= 1.0


def test_face_standin_is_lfw_faces_and_their_mirrors(tmp_path):
    files = standins.build_face_standin(tmp_path)
    assert len(files) == 200
    images = faces.load_images(files[:1] + files[100:101])
    assert images.shape == (2, 56, 56, 3)
    np.testing.assert_array_equal(images[0], images[1][:, ::-1])  # item 100 mirrors item 0
    np.testing.assert_array_equal(images[0][..., 0], images[0][..., 2])  # grey copied to three channels
    assert standins.standin_info(tmp_path)["standin_for"] == "celeba"
    assert 20 < images.mean() < 235  # a real photo, not blank


def test_photo_pool_crops_are_real_colour_and_reproducible():
    pool = standins.photo_pool()
    assert set(pool) == set(standins.PHOTO_POOL)
    assert pool["astronaut"].shape == (512, 512, 3)
    a, names = standins.random_crops(pool, 8, 56, seed=3)
    b, _ = standins.random_crops(pool, 8, 56, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (8, 56, 56, 3) and a.dtype == np.uint8
    assert names == sorted(pool)  # one crop per photo, in name order
    assert a.std() > 10  # real content, not a flat colour


def test_resolver_prefers_real_images_and_falls_back_to_the_standin(tmp_path, monkeypatch):
    monkeypatch.setenv("GANCORE_DATA", str(tmp_path))
    fallback = faces.resolve_faces("celeba")
    assert fallback.standin and len(fallback) == 200 and "STAND-IN" in fallback.source
    assert "jessicali9530/celeba-dataset" in fallback.source
    real = tmp_path / "celeba" / "img_align_celeba"
    real.mkdir(parents=True)
    from PIL import Image

    for i in range(3):
        Image.fromarray(np.full((60, 50, 3), 40 * i, np.uint8)).save(real / f"{i}.jpg")
    (real / "notes.txt").write_text("not an image")
    found = faces.resolve_faces("celeba")
    assert not found.standin and len(found) == 3
    with pytest.raises(ValueError, match="Unknown face set"):
        faces.resolve_faces("lsun")


def test_manual_instructions_name_the_kaggle_slug_and_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("GANCORE_DATA", str(tmp_path))
    monkeypatch.delenv("KAGGLE_USERNAME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    text = faces.manual_instructions("anime_faces")
    assert "splcher/animefacedataset" in text and str(tmp_path / "anime_faces") in text
    monkeypatch.setenv("PATH", str(tmp_path))  # no kaggle command
    assert faces.download_real("anime_faces") is False
    assert not (tmp_path / "anime_faces").exists()


def test_pixel_features_average_blocks_by_hand():
    image = np.zeros((1, 16, 16, 3))
    image[0, :8, :8, 0] = 1.0  # top-left block red in [-1, 1] terms -> 1.0; elsewhere -1 -> 0.0 after scaling
    image = image * 2 - 1
    f = metrics.pixel_features(image, (-1, 1), pool=8).reshape(2, 2, 3)
    np.testing.assert_allclose(f[0, 0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(f[1, 1], [0.0, 0.0, 0.0])
    half = np.full((1, 16, 16, 3), 127.5)
    np.testing.assert_allclose(metrics.pixel_features(half, (0, 255), pool=8), 0.5)


def test_pixel_distances_zero_for_same_set_and_grow_with_a_colour_shift():
    rng = np.random.default_rng(0)
    real = rng.integers(0, 256, size=(300, 16, 16, 3)).astype("uint8")
    same = metrics.pixel_distances(real.astype("float64"), real, generated_range=(0, 255), pool=8)
    assert same["pixel_fd"] == pytest.approx(0.0, abs=1e-8)
    shifted = np.clip(real.astype("float64") + 51, 0, 255)  # +0.2 in [0, 1] units (minus clipping)
    moved = metrics.pixel_distances(shifted, real, generated_range=(0, 255), pool=8)
    # 12 features each shifted by a bit less than 0.2 -> mean term just under 12 * 0.04 = 0.48
    assert 0.3 < moved["pixel_fd"] < 0.5


def test_nearest_real_distance_finds_a_copy():
    real = np.random.default_rng(1).integers(0, 256, size=(5, 8, 8, 3)).astype("uint8")
    copies = real[[3, 0]].astype("float64") / 127.5 - 1.0
    np.testing.assert_allclose(metrics.nearest_real_distance(copies, real), 0.0, atol=1e-6)


def test_width_scales_every_channel_count():
    # width 1/8: Dense 100 -> 7*7*8 (39,592) + BN 1,568; ConvT 8->16 (3,216) + BN 64; two ConvT 16->16 (6,416)
    # + BN 64 each; stride-1 ConvT 16->16 (6,416); Conv 3x3 16->3 (435)
    assert m.build_faces_generator(width=0.125).count_params() == 64_251
    narrow = m.build_anime_discriminator(width=0.125)
    assert narrow.output_shape == (None, 1)
    assert [layer.filters for layer in narrow.layers if isinstance(layer, keras.layers.Conv2D)] == [16, 8, 8, 8, 8]
    assert m.build_anime_generator(width=1.0).count_params() == m.ANIME_GENERATOR_PARAMS
    with pytest.raises(ValueError, match="width"):
        m.build_faces_discriminator(width=0)


@pytest.mark.parametrize("build", [m.build_anime_generator, m.build_faces_generator])
@pytest.mark.parametrize("width", [1.0, 0.125])
def test_generator_width_is_recovered_from_a_built_generator(build, width):
    g = build(width=width)
    assert m.generator_width(g) == width
    again = m.rebuild_generator(g)
    assert again.count_params() == g.count_params() and again.name == g.name


def _font_or_skip():
    from gancore import paths

    font = paths.data_dir() / "noto_emoji" / "NotoColorEmoji.ttf"
    if not font.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{font} is missing in CI: `make data` builds the anime stand-in, which fetches it")
        pytest.skip("the Noto Color Emoji font is not fetched (run `make data`)")
    return font


def test_drawn_head_list_covers_every_skin_tone():
    sequences = standins.emoji_sequences()
    assert len(sequences) == len(set(sequences)) == 6 * len(standins.HEAD_EMOJI) + 3 * 6 * len(standins.HAIR_STYLES)
    for tone in standins.SKIN_TONES[1:]:
        assert sum(tone in s for s in sequences) == len(standins.HEAD_EMOJI) + 3 * len(standins.HAIR_STYLES)


def test_anime_standin_is_drawn_faces_in_colour(tmp_path):
    font = _font_or_skip()
    files = standins.build_anime_standin(tmp_path, count=24, font_path=font)
    info = standins.standin_info(tmp_path)
    assert len(files) == info["images"] == 24 and info["kind"] == "drawn faces"
    images = faces.load_images(files)
    assert images.shape == (24, 56, 56, 3)
    saturation = images.max(axis=-1).astype(int) - images.min(axis=-1)
    assert saturation.mean() > 20  # colour drawings, not grey
    assert len({image.tobytes() for image in images}) == 24
    again = standins.build_anime_standin(tmp_path / "again", count=24, font_path=font)
    np.testing.assert_array_equal(faces.load_images(again), images)  # reproducible from the seed


def test_anime_standin_falls_back_to_photo_crops_without_the_font(tmp_path, capsys):
    files = standins.build_anime_standin(tmp_path, count=8, font_path=tmp_path / "missing.ttf")
    info = standins.standin_info(tmp_path)
    assert len(files) == 8 and info["kind"] == "photo crops" and "fallback" in info["built_from"]
    assert "building photo crops instead" in capsys.readouterr().out


def test_an_older_standin_is_rebuilt(tmp_path, monkeypatch):
    from gancore import paths

    monkeypatch.setattr(paths, "data_dir", lambda: tmp_path)
    built = []

    def fake_builder(root):
        root.mkdir(parents=True, exist_ok=True)
        standins._mark(root, {"version": standins.VERSIONS["celeba"]})
        built.append(root)

    monkeypatch.setitem(standins.BUILDERS, "celeba", fake_builder)
    root = faces.standin_root("celeba")
    root.mkdir(parents=True)
    standins._mark(root, {"version": standins.VERSIONS["celeba"] - 1})
    (root / "stale.png").write_bytes(b"x")
    assert faces.ensure_standin("celeba") == root
    assert built == [root] and not (root / "stale.png").exists()
    faces.ensure_standin("celeba")
    assert built == [root]  # current version: kept


def test_resize_images_shrinks_by_area_and_keeps_dtype_and_range():
    images = np.zeros((2, 56, 56, 3), "uint8")
    images[0, :28] = 200  # top half bright
    small = faces.resize_images(images, 28)
    assert small.shape == (2, 28, 28, 3) and small.dtype == np.uint8
    assert (small[0, :14] == 200).all() and (small[0, 14:] == 0).all() and (small[1] == 0).all()
    grown = faces.resize_images(np.where(images > 0, 1.0, -1.0).astype("float32"), 60)
    assert grown.shape == (2, 60, 60, 3) and grown.dtype == np.float32
    assert grown.min() >= -1.0 and grown.max() <= 1.0  # bicubic overshoot clipped
    np.testing.assert_array_equal(faces.resize_images(images, 56), images)


def test_photo_library_loads_shrinks_and_names_the_package_photos(tmp_path):
    from PIL import Image

    assert standins.photo_library(root=tmp_path) == {}  # nothing fetched: an empty library, not an error
    folder = tmp_path / "photos_darknet"
    folder.mkdir()
    image = np.zeros((300, 500, 3), "uint8")
    image[:, :250] = (200, 30, 30)
    Image.fromarray(image).save(folder / "eagle.jpg", quality=95)
    (folder / "notes.txt").write_text("not a listed photo")
    library = standins.photo_library(max_side=100, root=tmp_path)
    assert list(library) == ["darknet-eagle"]
    photo = library["darknet-eagle"]
    assert photo.shape == (60, 100, 3) and photo.dtype == np.uint8
    assert abs(int(photo[30, 10, 0]) - 200) <= 8 and abs(int(photo[30, 90, 0])) <= 8  # red left, black right


def test_describe_split_says_where_the_photos_come_from():
    text = standins.describe_split({"rocket": 0, "mate-Aqua": 0, "darknet-dog": 0}, {"chelsea": 0})
    assert "3 real photos" in text and "1 shipped in scikit-image / matplotlib (rocket)" in text
    assert "2 from the Debian photo packages (darknet, mate" in text
    assert "1 other photos: 1 shipped in scikit-image / matplotlib (chelsea)" in text


def test_photo_names_list_the_pool_without_loading_it(tmp_path, monkeypatch):
    monkeypatch.setenv("GANCORE_DATA", str(tmp_path))
    assert standins.photo_names() == sorted(standins.PHOTO_POOL)  # no packages fetched into this data folder
    (tmp_path / "photos_mate").mkdir()
    (tmp_path / "photos_mate" / "Aqua.jpg").write_bytes(b"not decoded")
    assert standins.photo_names() == sorted([*standins.PHOTO_POOL, "mate-Aqua"])
    assert standins.photo_names(library=False) == sorted(standins.PHOTO_POOL)
