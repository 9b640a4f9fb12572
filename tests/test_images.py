"""Value-range conversions (gancore.data.images) and the image-split containers (gancore.data.splits), by hand."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from gancore.data.images import to_tanh_range, to_unit_range
from gancore.data.splits import ImageSplit, OneDomainSplit, TwoDomainSplit


def test_to_unit_range_clips_by_default_and_keeps_shapes():
    x = np.array([[[-1.5, -1.0], [0.0, 0.5]], [[1.0, 2.0], [-0.5, 0.25]]])
    unit = to_unit_range(x, (-1, 1))
    assert unit.dtype == np.float32 and unit.shape == x.shape
    np.testing.assert_array_equal(unit, [[[0.0, 0.0], [0.5, 0.75]], [[1.0, 1.0], [0.25, 0.625]]])
    raw = to_unit_range(x, (-1, 1), clip=False, dtype="float64")
    assert raw.dtype == np.float64
    np.testing.assert_array_equal(raw, [[[-0.25, 0.0], [0.5, 0.75]], [[1.0, 1.5], [0.25, 0.625]]])


def test_to_unit_range_of_other_ranges():
    np.testing.assert_array_equal(to_unit_range(np.array([0, 51, 255], "uint8"), (0, 255), dtype="float64"),
                                  [0.0, 0.2, 1.0])
    np.testing.assert_array_equal(to_unit_range(np.array([2.0, 3.0, 6.0]), (2, 6)), [0.0, 0.25, 1.0])


def test_to_unit_range_of_the_tanh_range_is_the_books_formula_to_the_bit():
    x = np.random.default_rng(0).uniform(-1.2, 1.2, 10_000).astype("float32")
    np.testing.assert_array_equal(to_unit_range(x, (-1, 1), clip=False), (x + 1) / 2)
    np.testing.assert_array_equal(to_unit_range(x, (-1, 1)), np.clip((x + 1.0) / 2.0, 0, 1))


def test_to_tanh_range_by_hand_and_both_formulas():
    u8 = np.array([0, 51, 127, 128, 255], "uint8")
    expected = [-1.0, -0.6, -1 / 255, 1 / 255, 1.0]
    for centred in (True, False):
        out = to_tanh_range(u8, centred=centred)
        assert isinstance(out, np.ndarray) and out.dtype == np.float32
        np.testing.assert_allclose(out, expected, rtol=0, atol=1e-7)
    every = np.arange(256, dtype="uint8")
    x = every.astype("float32")
    np.testing.assert_array_equal(to_tanh_range(every), (x - 127.5) / 127.5)  # the book's
    np.testing.assert_array_equal(to_tanh_range(every, centred=False), x / 127.5 - 1.0)
    differ = to_tanh_range(every) != to_tanh_range(every, centred=False)
    assert differ.sum() == 128  # one float32 ulp apart on half of the values
    np.testing.assert_allclose(to_tanh_range(every), to_tanh_range(every, centred=False), rtol=0, atol=1.2e-7)


def test_to_tanh_range_of_a_tensor_is_a_tensor_with_the_same_numbers():
    every = np.arange(256, dtype="uint8")
    for centred in (True, False):
        tensor = to_tanh_range(tf.constant(every), centred=centred)
        assert tf.is_tensor(tensor) and tensor.dtype == tf.float32
        np.testing.assert_array_equal(tensor.numpy(), to_tanh_range(every, centred=centred))
    mapped = tf.data.Dataset.from_tensors(every).map(to_tanh_range).get_single_element()
    np.testing.assert_array_equal(mapped.numpy(), to_tanh_range(every))


def test_to_tanh_range_from_unit_images():
    np.testing.assert_allclose(to_tanh_range(np.array([0.0, 0.25, 1.0]), (0, 1)), [-1.0, -0.5, 1.0], atol=1e-7)


def test_splits_share_one_base_and_take_keywords_only():
    one = OneDomainSplit(train=np.zeros((3, 2, 2, 3), "uint8"), test=np.ones((1, 2, 2, 3), "uint8"), source="s",
                         standin=True, train_photos=("a",))
    two = TwoDomainSplit(train_a=np.zeros((2, 2, 2, 3)), train_b=np.zeros((3, 2, 2, 3)), test_a=np.zeros((1, 2, 2, 3)),
                         test_b=np.zeros((1, 2, 2, 3)), source="t", standin=False)
    assert isinstance(one, ImageSplit) and isinstance(two, ImageSplit)
    assert one.test_photos == () and two.folder is None and two.info is None
    with pytest.raises(TypeError):
        OneDomainSplit(np.zeros(1), np.zeros(1), "s", True)  # positional: refused

    @dataclasses.dataclass(kw_only=True)
    class Extra(TwoDomainSplit):
        names: tuple[str, str]

    extra = Extra(train_a=two.train_a, train_b=two.train_b, test_a=two.test_a, test_b=two.test_b, source="x",
                  standin=True, names=("a", "b"))
    assert [f.name for f in dataclasses.fields(extra)][:2] == ["source", "standin"]
    assert extra.names == ("a", "b")
