"""CIFAR-10/100 from tiny files in torchvision's python-pickle layout."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch

from harness.errors import DataError
from harness.inputs import load_batch

# NAS-Bench-201's (xautodl's) normalisation, typed in independently of the module.
CIFAR10_MEAN = np.array([125.3, 123.0, 113.9]) / 255
CIFAR10_STD = np.array([63.0, 62.1, 66.7]) / 255
CIFAR100_MEAN = np.array([129.3, 124.1, 112.4]) / 255
CIFAR100_STD = np.array([68.2, 65.4, 70.4]) / 255


def _expected(rows: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Rows of 3072 bytes are the R, G, B 32x32 planes of one image."""
    planes = rows.reshape(-1, 3, 32, 32).astype(np.float64) / 255
    return (planes - mean[None, :, None, None]) / std[None, :, None, None]


def test_cifar10_train_batch_pixels_labels_and_indices(tmp_path, writers):
    folder, rows, labels, _, _ = writers.write_cifar10(tmp_path)
    for path in (tmp_path, folder):  # the parent or the folder itself
        batch = load_batch("cifar10", batch_size=9, seed=2, path=path)
        chosen = np.array(batch.indices)
        assert batch.images.shape == (9, 3, 32, 32) and batch.num_classes == 10
        assert batch.source == "cifar10" and batch.split == "train"
        assert batch.labels.tolist() == labels[chosen].tolist()
        np.testing.assert_allclose(
            batch.images.numpy(), _expected(rows[chosen], CIFAR10_MEAN, CIFAR10_STD), atol=1e-5
        )


def test_cifar10_indices_span_all_five_files(tmp_path, writers):
    _, rows, _, _, _ = writers.write_cifar10(tmp_path, per_file=6)
    batch = load_batch("cifar10", batch_size=30, seed=0, path=tmp_path)
    assert sorted(batch.indices) == list(range(30))
    position = batch.indices.index(29)  # last image of data_batch_5
    np.testing.assert_allclose(
        batch.images[position].numpy(),
        _expected(rows[29:30], CIFAR10_MEAN, CIFAR10_STD)[0],
        atol=1e-5,
    )


def test_cifar10_test_split(tmp_path, writers):
    _, _, _, test_rows, test_labels = writers.write_cifar10(tmp_path, n_test=4)
    batch = load_batch("cifar10", batch_size=4, seed=0, split="test", path=tmp_path)
    chosen = list(batch.indices)
    assert batch.labels.tolist() == [test_labels[i] for i in chosen]
    np.testing.assert_allclose(
        batch.images.numpy(), _expected(test_rows[chosen], CIFAR10_MEAN, CIFAR10_STD), atol=1e-5
    )


def test_cifar100_fine_labels_and_statistics(tmp_path, writers):
    _, splits = writers.write_cifar100(tmp_path)
    rows, fine = splits["test"]
    batch = load_batch("cifar100", batch_size=10, seed=5, split="test", path=tmp_path)
    chosen = np.array(batch.indices)
    assert batch.num_classes == 100 and batch.labels.tolist() == fine[chosen].tolist()
    np.testing.assert_allclose(
        batch.images.numpy(), _expected(rows[chosen], CIFAR100_MEAN, CIFAR100_STD), atol=1e-5
    )


def test_cifar_determinism_and_resize(tmp_path, writers):
    writers.write_cifar100(tmp_path)
    first = load_batch("cifar100", batch_size=8, seed=1, path=tmp_path)
    assert (
        first.content_hash
        == load_batch("cifar100", batch_size=8, seed=1, path=tmp_path).content_hash
    )
    assert (
        first.content_hash
        != load_batch("cifar100", batch_size=8, seed=2, path=tmp_path).content_hash
    )
    small = load_batch("cifar100", batch_size=8, seed=1, path=tmp_path, image_size=16)
    assert small.images.shape == (8, 3, 16, 16) and small.indices == first.indices
    # Antialiased bilinear shrinking by 2 (PIL's way) is the separable filter [1, 3, 3, 1] / 8
    # with stride 2: output pixel i weighs input pixels 2i-1..2i+2 (away from the border).
    taps = np.array([1, 3, 3, 1]) / 8
    full = first.images.numpy().astype(np.float64)
    rows_filtered = sum(taps[k] * full[:, :, k + 1 : k + 29 : 2, :] for k in range(4))
    both = sum(taps[k] * rows_filtered[:, :, :, k + 1 : k + 29 : 2] for k in range(4))
    np.testing.assert_allclose(small.images.numpy()[:, :, 1:15, 1:15], both, atol=1e-4)


def test_cifar_class_balanced(tmp_path, writers):
    folder, _, _, _, _ = writers.write_cifar10(tmp_path, per_file=20)
    batch = load_batch("cifar10", batch_size=20, seed=0, path=folder, class_balanced=True)
    assert torch.bincount(batch.labels, minlength=10).tolist() == [2] * 10


# --- bad files ----------------------------------------------------------------------------


def _error(path, **kwargs) -> str:
    with pytest.raises(DataError) as caught:
        load_batch(kwargs.pop("source", "cifar10"), batch_size=2, seed=0, path=path, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_missing_folder(tmp_path):
    message = _error(tmp_path / "none")
    assert str(tmp_path / "none") in message and "cifar-10-batches-py" in message


def test_missing_batch_file(tmp_path, writers):
    folder, *_ = writers.write_cifar10(tmp_path)
    os.remove(folder / "data_batch_3")
    assert str(folder / "data_batch_3") in _error(tmp_path)


def test_pickle_missing_labels_key(tmp_path, writers):
    folder, *_ = writers.write_cifar100(tmp_path)
    rows = np.zeros((3, 3072), dtype=np.uint8)
    writers.write_pickle(folder / "train", {b"data": rows, b"coarse_labels": [0, 1, 2]})
    message = _error(tmp_path, source="cifar100")
    assert "'fine_labels'" in message and str(folder / "train") in message


def test_pickle_missing_data_key(tmp_path, writers):
    folder, *_ = writers.write_cifar10(tmp_path)
    writers.write_pickle(folder / "data_batch_1", {b"labels": [1, 2]})
    assert "'data'" in _error(tmp_path)


def test_truncated_pickle(tmp_path, writers):
    folder, *_ = writers.write_cifar10(tmp_path)
    content = (folder / "data_batch_2").read_bytes()
    (folder / "data_batch_2").write_bytes(content[: len(content) // 2])
    assert "not a readable data pickle" in _error(tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ([1, 2, 3], "expected a pickled dict"),
        ({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}, r"\[N, 3072\]"),
        ({b"data": np.zeros((2, 3072), np.float32), b"labels": [0, 1]}, "uint8"),
        ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}, "1 'labels' for 2 images"),
        ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]}, "outside 0..9"),
        ({b"data": np.zeros((2, 3072), np.uint8), b"labels": ["a", "b"]}, "integers"),
    ],
)
def test_malformed_pickles(tmp_path, writers, content, message):
    folder, *_ = writers.write_cifar10(tmp_path)
    writers.write_pickle(folder / "data_batch_4", content)
    with pytest.raises(DataError, match=message):
        load_batch("cifar10", batch_size=2, seed=0, path=tmp_path)


class _Trap:
    """Unpickling this would call os.mkdir: the loader must refuse before calling it."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.mkdir, (self.target,))


def test_pickle_with_foreign_code_is_refused_not_run(tmp_path, writers):
    folder, *_ = writers.write_cifar10(tmp_path)
    target = str(tmp_path / "created-by-pickle")
    with open(folder / "test_batch", "wb") as handle:
        pickle.dump({b"data": _Trap(target), b"labels": [0]}, handle)
    message = _error(tmp_path, split="test")
    assert "refusing to load global" in message and "mkdir" in message
    assert not os.path.exists(target)
