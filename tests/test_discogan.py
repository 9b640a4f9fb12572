"""Skill 9 DiscoGAN: the two-domain data (CelebA by attribute, Fashion-MNIST bags/shoes) and the bug's measures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gancore.chapters import cross_domain as cd
from tests.helpers import real_data_or_skip

ATTR_NAMES = ["Bald", "Male", "Smiling"]
# file, Bald, Male, Smiling; partition: 000001-000004 train, 000005-000006 test
ROWS = [("000001.jpg", -1, 1, 1), ("000002.jpg", -1, -1, 1), ("000003.jpg", 1, 1, -1), ("000004.jpg", -1, -1, -1),
        ("000005.jpg", -1, 1, 1), ("000006.jpg", -1, -1, 1)]
PARTITION = {"000001.jpg": 0, "000002.jpg": 0, "000003.jpg": 1, "000004.jpg": 0, "000005.jpg": 2, "000006.jpg": 2}


def _fake_celeba(root: Path, csv_layout: bool) -> Path:
    """A six-image CelebA in the original (txt, img_align_celeba/) or the Kaggle (csv, nested folder) layout. Each
    image is a 218x178 crop of a real photo (scikit-image's astronaut) with a 178x178 centre marked by brightness:
    the centred square is the image + 40 and the 20-pixel bands above and below it are black."""
    import cv2
    from skimage import data

    photo = data.astronaut()
    images = root / ("img_align_celeba/img_align_celeba" if csv_layout else "img_align_celeba")
    images.mkdir(parents=True)
    for k, (name, *_) in enumerate(ROWS):
        face = np.zeros((218, 178, 3), "uint8")
        face[20:198] = np.clip(photo[40 * k: 40 * k + 178, 100: 278].astype(int) + 40, 0, 255)
        cv2.imwrite(str(images / name), cv2.cvtColor(face, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 100])
    if csv_layout:
        (root / "list_attr_celeba.csv").write_text(
            "image_id," + ",".join(ATTR_NAMES) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in ROWS))
        (root / "list_eval_partition.csv").write_text(
            "image_id,partition\n" + "".join(f"{f},{p}\n" for f, p in PARTITION.items()))
    else:
        (root / "list_attr_celeba.txt").write_text(
            f"{len(ROWS)}\n" + " ".join(ATTR_NAMES) + "\n" + "".join(
                f"{r[0]} " + " ".join(f"{v:2d}" for v in r[1:]) + "\n" for r in ROWS))
        (root / "list_eval_partition.txt").write_text("".join(f"{f} {p}\n" for f, p in PARTITION.items()))
    return root


# --- CelebA by attribute --------------------------------------------------------------------------------------
@pytest.mark.parametrize("csv_layout", [False, True])
def test_celeba_attributes_and_partition_are_read_in_both_layouts(tmp_path, csv_layout):
    root = _fake_celeba(tmp_path / "celeba", csv_layout)
    attr_file, image_dir, partition_file = cd.find_celeba(root)
    assert attr_file.suffix == (".csv" if csv_layout else ".txt") and (image_dir / "000001.jpg").is_file()
    files, names, values = cd.read_celeba_attributes(attr_file)
    assert files == [r[0] for r in ROWS] and names == ATTR_NAMES
    np.testing.assert_array_equal(values[:, 1], [1, -1, 1, -1, 1, -1])
    assert values.dtype == np.int8 and values.shape == (6, 3)
    assert cd.read_celeba_partition(partition_file) == PARTITION


def test_celeba_split_by_male_uses_the_test_partition(tmp_path):
    root = _fake_celeba(tmp_path / "celeba", csv_layout=False)
    data = cd.celeba_domains(32, train_per_domain=10, test_per_domain=10, seed=0, root=root)
    assert not data.standin and data.names == ("male", "female")
    # male: 1, 3 (train) and 5 (test); female: 2, 4 (train) and 6 (test)
    assert (len(data.train_a), len(data.train_b), len(data.test_a), len(data.test_b)) == (2, 2, 1, 1)
    assert data.train_a.shape == (2, 32, 32, 3) and data.train_a.dtype == np.uint8
    assert "official test partition" in data.source
    # the centred 178x178 square was kept: no black band from the 20-pixel borders in the resized face
    assert data.train_a.min(axis=(1, 2, 3)).min() >= 30
    # the test female face is file 6: its crop is rows 200-377 of the photo, +40
    import cv2
    from skimage import data as skdata

    expected = cv2.resize(np.clip(skdata.astronaut()[200:378, 100:278].astype(int) + 40, 0, 255).astype("uint8"),
                          (32, 32))
    assert np.abs(data.test_b[0].astype(int) - expected).mean() < 3.0  # JPEG at quality 100 + bilinear resize


def test_celeba_missing_or_incomplete_falls_back(tmp_path):
    assert cd.find_celeba(tmp_path / "nothing") is None
    (tmp_path / "celeba").mkdir()
    (tmp_path / "celeba" / "list_attr_celeba.txt").write_text("1\nMale\n000001.jpg 1\n")
    assert cd.find_celeba(tmp_path / "celeba") is None  # the listed image is not there
    with pytest.raises(FileNotFoundError, match="CelebA"):
        cd.celeba_domains(32, 2, 2, root=tmp_path / "celeba")
    bad = tmp_path / "bad.txt"
    bad.write_text("3\nMale\n000001.jpg 1\n")
    with pytest.raises(ValueError, match="says 3 images"):
        cd.read_celeba_attributes(bad)


# --- the Fashion-MNIST stand-in -------------------------------------------------------------------------------
def test_grey_to_rgb_resizes_and_copies_channels():
    grey = np.zeros((2, 28, 28), "uint8")
    grey[0] = 200
    grey[1, :, 14:] = 255
    rgb = cd.grey_to_rgb(grey, 32)
    assert rgb.shape == (2, 32, 32, 3) and rgb.dtype == np.uint8
    np.testing.assert_array_equal(rgb[0], 200)  # a flat image stays flat
    np.testing.assert_array_equal(rgb[..., 0], rgb[..., 2])
    assert rgb[1, :, :15].max() == 0 and rgb[1, :, 17:].min() == 255  # edge: columns 15-16
    back = cd.to_fashion_classifier(rgb / 255.0)
    assert back.shape == (2, 28, 28)
    np.testing.assert_allclose(back[0], 200 / 255.0, atol=1e-6)
    np.testing.assert_array_equal(cd.grey_to_rgb(grey, 28)[..., 1], grey)


def test_fashion_domains_are_bags_against_shoes():
    real_data_or_skip("fashion_mnist")
    from gancore.data import load_mnist

    data = cd.fashion_domains(32, train_per_domain=50, test_per_domain=40, seed=3)
    assert data.standin and data.names == ("bags", "shoes") and "STAND-IN" in data.source
    assert data.train_a.shape == (50, 32, 32, 3) and data.test_b.shape == (40, 32, 32, 3)
    assert set(data.test_labels_a) == {8} and set(data.test_labels_b) <= {7, 9}
    assert len(set(data.test_labels_b)) == 2  # both shoe classes drawn
    # at 28x28 the images are exact copies: test bags from the *test* split, training shoes from the training split
    fashion = load_mnist("fashion_mnist")
    exact = cd.fashion_domains(28, train_per_domain=5, test_per_domain=5, seed=3)
    in_set = lambda images, pool: [any(np.array_equal(x[..., 0], p) for p in pool) for x in images]  # noqa: E731
    assert in_set(exact.test_a, fashion.x_test[fashion.y_test == 8]) == [True] * 5
    assert in_set(exact.train_b, fashion.x_train[np.isin(fashion.y_train, (7, 9))]) == [True] * 5
    assert in_set(exact.test_a, fashion.x_train[fashion.y_train == 8]) == [False] * 5
    again = cd.fashion_domains(32, train_per_domain=50, test_per_domain=40, seed=3)
    np.testing.assert_array_equal(again.train_b, data.train_b)


# --- the bug's measures, by hand ------------------------------------------------------------------------------
def test_median_minimises_the_unpaired_l1_and_the_mean_does_not():
    targets = np.array([0.0, 0.2, 1.0], "float32").reshape(3, 1, 1, 1) * np.ones((3, 2, 2, 3), "float32")
    median, mean = cd.per_pixel_median(targets), targets.mean(axis=0)
    np.testing.assert_allclose(median, 0.2)
    # median: (0.2 + 0 + 0.8) / 3 = 1/3; mean 0.4: (0.4 + 0.2 + 0.6) / 3 = 0.4; a real target (0): (0 + 0.2 + 1) / 3
    np.testing.assert_allclose(cd.unpaired_l1(np.stack([median, mean, targets[0]]), targets),
                               [1 / 3, 0.4, 0.4], rtol=1e-6)


def test_diversity_and_distance_to_a_reference_by_hand():
    images = np.array([0.0, 0.5, 1.0], "float32").reshape(3, 1, 1, 1) * np.ones((3, 4, 4, 3), "float32")
    # pairs: |0 - 0.5|, |0 - 1|, |0.5 - 1| -> mean (0.5 + 1 + 0.5) / 3 = 2/3
    np.testing.assert_allclose(cd.mean_pairwise_l1(images), 2 / 3, rtol=1e-6)
    np.testing.assert_allclose(cd.mean_pairwise_l1(np.repeat(images[:1], 5, axis=0)), 0.0, atol=1e-12)
    np.testing.assert_allclose(cd.l1_to_image(images, np.full((4, 4, 3), 0.25)), [0.25, 0.25, 0.75], rtol=1e-6)
    with pytest.raises(ValueError):
        cd.mean_pairwise_l1(images[:1])


def test_bug_diagnostics_of_a_collapsed_and_a_real_set():
    rng = np.random.default_rng(0)
    real = rng.uniform(0, 1, (30, 4, 4, 3)).astype("float32")
    median = cd.per_pixel_median(real)
    collapsed = cd.bug_diagnostics(np.repeat(median[None], 10, axis=0), real, median)
    assert collapsed["diversity"] == 0.0 and collapsed["diversity_ratio"] == 0.0 and collapsed["median_l1"] == 0.0
    same = cd.bug_diagnostics(real, real, median)
    np.testing.assert_allclose(same["diversity_ratio"], 1.0, rtol=1e-9)
    np.testing.assert_allclose(same["median_l1"], same["real_median_l1"], rtol=1e-9)
    # uniform [0, 1]: E|x - y| = 1/3 between two images, E|x - 1/2| ~ 1/4 to the median (30 samples: loose)
    np.testing.assert_allclose(same["diversity"], 1 / 3, atol=0.02)
    np.testing.assert_allclose(same["real_median_l1"], 0.25, atol=0.02)
    # the collapsed set beats real images on the book's unpaired L1: that is the pull
    assert collapsed["unpaired_l1"] < same["unpaired_l1"] - 0.05


def test_unpaired_batches_come_from_their_own_domain_and_resume_exactly():
    a = np.zeros((5, 4, 4, 3), "uint8")
    b = np.full((7, 4, 4, 3), 255, "uint8")
    a[:, 0, 0, 0] = np.arange(5) * 10
    steps = list(cd.unpaired_step_dataset(a, b, 3, seed=2, start_step=0, num_steps=4))
    batch_a, batch_b = (x.numpy() for x in steps[0])
    assert batch_a.shape == (3, 4, 4, 3) and batch_b.shape == (3, 4, 4, 3)
    np.testing.assert_allclose(batch_b, 1.0)  # (255 - 127.5) / 127.5
    assert set(np.round(batch_a[:, 0, 0, 0] * 127.5 + 127.5).astype(int)) <= {0, 10, 20, 30, 40}
    np.testing.assert_allclose(batch_a[:, 1:], -1.0)
    resumed = next(iter(cd.unpaired_step_dataset(a, b, 3, seed=2, start_step=2, num_steps=1)))
    np.testing.assert_array_equal(resumed[0].numpy(), steps[2][0].numpy())


def test_fashion_classifier_calls_real_bags_bags_and_real_shoes_shoes():
    real_data_or_skip("fashion_mnist")
    from gancore.models.classifiers import load_domain_classifier

    data = cd.fashion_domains(32, train_per_domain=10, test_per_domain=200, seed=0)
    classifier = load_domain_classifier("fashion_mnist")
    shoes = cd.fashion_verdict(classifier, data.test_b / 255.0, cd.FASHION_SHOES, data.test_b / 255.0)
    assert 0.97 <= shoes["share_target"] <= 1.0  # resized up and back down, still shoes
    assert shoes["fd"] < 1e-3 and abs(sum(shoes["class_shares"]) - 1.0) < 1e-9
    bags = cd.fashion_verdict(classifier, data.test_a / 255.0, cd.FASHION_SHOES, data.test_b / 255.0)
    assert bags["share_target"] <= 0.03 and bags["class_shares"][8] >= 0.95
    assert bags["fd"] > 10 * max(shoes["fd"], 1e-3)


# --- the book's six-output loss through the shared two-generator trainer ---------------------------------------
def test_book_loss_is_the_six_outputs_with_weight_one():
    from gancore.training.cyclegan import generator_loss

    full = lambda value: np.full((2, 4, 4, 3), value, "float32")  # noqa: E731
    a, b, out = full(0.5), full(-0.5), full(0.1)
    patches_a, patches_b = np.full((2, 1, 1, 1), 0.5, "float32"), np.zeros((2, 1, 1, 1), "float32")
    # the book's outputs: (D_A(G_BA(b)) - 1)^2 = 0.25, (D_B(G_AB(a)) - 1)^2 = 1, |G_AB(a) - b| = 0.6,
    # |G_BA(b) - a| = 0.4, |G_BA(G_AB(a)) - a| = 0.4, |G_AB(G_BA(b)) - b| = 0.6: total 3.25
    book = generator_loss(a, b, out, out, patches_a, patches_b, out, out, adversarial_weight=1.0, cycle_weight=1.0,
                          identity_weight=0.0, unpaired_l1_weight=1.0)
    np.testing.assert_allclose([float(book[k]) for k in ("adv", "unpaired", "cycle", "total")], [1.25, 1.0, 1.0, 3.25],
                               rtol=1e-6)
    fix = generator_loss(a, b, out, out, patches_a, patches_b, out, out, adversarial_weight=1.0, cycle_weight=1.0,
                         identity_weight=0.0, unpaired_l1_weight=0.0)
    np.testing.assert_allclose(float(fix["total"]), 2.25, rtol=1e-6)


def test_discogan_networks_train_in_the_shared_trainer():
    import keras

    from gancore.models.discogan import build_discriminator, build_generator
    from gancore.training.cyclegan import CycleGAN
    from gancore.training.fitting import fit_steps

    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (16, 16, 16, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (16, 16, 16, 3), dtype=np.uint8)
    logs = {}
    for name, weight in (("book", 1.0), ("fix", 0.0)):
        keras.utils.set_random_seed(0)
        nets = [build_generator(16, width=1 / 16), build_generator(16, width=1 / 16),
                build_discriminator(16, width=1 / 16), build_discriminator(16, width=1 / 16)]
        model = CycleGAN(*nets, adversarial_weight=1.0, cycle_weight=1.0, identity_weight=0.0,
                         unpaired_l1_weight=weight)
        model.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                      g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
        history = fit_steps(model, lambda s, n: cd.unpaired_step_dataset(a, b, 4, 0, s, n), total_steps=2,
                            steps_per_epoch=2, verbose=0)
        logs[name] = {k: v[-1] for k, v in history.history.items()}
        assert model.translate_ab(a[:3] / 127.5 - 1.0).shape == (3, 16, 16, 3)
    assert "unpaired" in logs["book"] and "unpaired" not in logs["fix"]
    # the book's total is the fix's terms plus the unpaired L1 (noise targets uniform in [-1, 1]: an L1 of 0.5 to
    # 2/3 per direction in [-1, 1] units at initialisation, summed over two)
    book = logs["book"]
    np.testing.assert_allclose(book["g_loss"], book["adv"] + book["cycle"] + book["unpaired"], rtol=1e-4)
    assert 0.8 < book["unpaired"] < 2.0
