"""ImageNet16-120 from tiny files in NAS-Bench-201's ImageNet16 pickle layout."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from harness.errors import DataError
from harness.inputs import load_batch

# xautodl's ImageNet16 normalisation, typed in independently of the module.
IMAGENET16_MEAN = np.array([122.68, 116.66, 104.01]) / 255
IMAGENET16_STD = np.array([63.22, 61.26, 65.09]) / 255


def _expected(rows: np.ndarray) -> np.ndarray:
    planes = rows.reshape(-1, 3, 16, 16).astype(np.float64) / 255
    return (planes - IMAGENET16_MEAN[None, :, None, None]) / IMAGENET16_STD[None, :, None, None]


def test_train_keeps_labels_up_to_120_in_file_order(tmp_path, writers):
    kept = writers.write_imagenet16(tmp_path / "ImageNet16", per_file=5)
    rows, labels = kept["train"]
    assert len(labels) == 30  # 3 of 5 per file kept, over 10 files
    batch = load_batch("imagenet16-120", batch_size=30, seed=0, path=tmp_path)
    assert batch.images.shape == (30, 3, 16, 16) and batch.num_classes == 120
    assert sorted(batch.indices) == list(range(30))
    chosen = np.array(batch.indices)
    assert batch.labels.tolist() == labels[chosen].tolist()
    assert batch.labels.min() >= 0 and batch.labels.max() <= 119
    np.testing.assert_allclose(batch.images.numpy(), _expected(rows[chosen]), atol=1e-5)


def test_file_10_comes_after_file_9(tmp_path, writers):
    folder = tmp_path / "in16"
    kept = writers.write_imagenet16(folder, per_file=5)
    rows, _ = kept["train"]
    batch = load_batch("imagenet16-120", batch_size=30, seed=3, path=folder)
    last = batch.indices.index(29)  # the last kept image of train_data_batch_10
    np.testing.assert_allclose(batch.images[last].numpy(), _expected(rows[29:30])[0], atol=1e-5)


def test_val_split_and_test_alias(tmp_path, writers):
    kept = writers.write_imagenet16(tmp_path / "ImageNet16", n_val=8)
    rows, labels = kept["val"]
    batch = load_batch("imagenet16-120", batch_size=6, seed=1, split="test", path=tmp_path)
    assert batch.split == "val"
    chosen = np.array(batch.indices)
    assert batch.labels.tolist() == labels[chosen].tolist()
    np.testing.assert_allclose(batch.images.numpy(), _expected(rows[chosen]), atol=1e-5)
    again = load_batch("imagenet16-120", batch_size=6, seed=1, split="val", path=tmp_path)
    assert again.content_hash == batch.content_hash


def test_resize_to_32_and_determinism(tmp_path, writers):
    writers.write_imagenet16(tmp_path / "ImageNet16")
    native = load_batch("imagenet16-120", batch_size=4, seed=9, path=tmp_path)
    big = load_batch("imagenet16-120", batch_size=4, seed=9, path=tmp_path, image_size=32)
    assert big.images.shape == (4, 3, 32, 32) and big.indices == native.indices
    other = load_batch("imagenet16-120", batch_size=4, seed=10, path=tmp_path)
    assert other.content_hash != native.content_hash


def test_class_balanced_over_120_classes(tmp_path, writers):
    writers.write_imagenet16(tmp_path / "ImageNet16", per_file=5)
    batch = load_batch("ImageNet16-120", batch_size=20, seed=0, path=tmp_path, class_balanced=True)
    counts = torch.bincount(batch.labels, minlength=120)
    assert counts.max() == 1 and counts.sum() == 20  # 30 kept images in 30 distinct classes


def test_missing_folder(tmp_path):
    with pytest.raises(DataError, match="ImageNet16-120 not found at") as caught:
        load_batch("imagenet16-120", batch_size=2, seed=0, path=tmp_path)
    assert str(tmp_path) in str(caught.value) and "\n" not in str(caught.value)


def test_missing_train_file(tmp_path, writers):
    folder = tmp_path / "ImageNet16"
    writers.write_imagenet16(folder)
    (folder / "train_data_batch_7").unlink()
    with pytest.raises(DataError, match="train_data_batch_7"):
        load_batch("imagenet16-120", batch_size=2, seed=0, path=tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"data": np.zeros((2, 768), np.uint8)}, "missing key 'labels'"),
        ({"data": np.zeros((2, 768), np.uint8), "labels": [0, 1]}, "outside 1..1000"),
        ({"data": np.zeros((2, 768), np.uint8), "labels": [121, 999]}, "no val images"),
        ({"data": np.zeros((2, 3072), np.uint8), "labels": [1, 2]}, r"\[N, 768\]"),
    ],
)
def test_malformed_val_data(tmp_path, writers, content, message):
    folder = tmp_path / "ImageNet16"
    writers.write_imagenet16(folder)
    writers.write_pickle(folder / "val_data", content)
    with pytest.raises(DataError, match=message):
        load_batch("imagenet16-120", batch_size=2, seed=0, path=folder, split="val")
