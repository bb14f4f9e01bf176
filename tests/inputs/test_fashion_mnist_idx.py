"""Fashion-MNIST: idx parsing on tiny files, padding and normalisation, errors, the real files."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

from harness.errors import DataError
from harness.inputs import fashion_mnist_available, load_batch
from harness.inputs.fashion_mnist import DEFAULT_FOLDER, IMAGES_MAGIC, LABELS_MAGIC, read_idx

# Fashion-MNIST train-set statistics, typed in independently of the module.
FMNIST_MEAN, FMNIST_STD = 0.2860406, 0.3530242


def _one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


# --- idx parsing --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_read_idx_round_trip(tmp_path, writers, name):
    array = np.random.default_rng(0).integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    path = writers.write_idx(tmp_path / name, array)
    assert path.read_bytes()[:4] != b""  # written
    parsed = read_idx(path, IMAGES_MAGIC)
    assert parsed.dtype == np.uint8 and np.array_equal(parsed, array)


def test_read_idx_header_by_hand(tmp_path):
    # magic 0x00000801, one dimension of 3, then the bytes 7 8 9
    path = tmp_path / "labels"
    path.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]))
    assert read_idx(path, LABELS_MAGIC).tolist() == [7, 8, 9]


def test_wrong_magic_is_a_data_error(tmp_path, writers):
    path = writers.write_idx(tmp_path / "x-idx3-ubyte", np.zeros((2, 28, 28)), magic=0x0000080D)
    with pytest.raises(DataError) as caught:
        read_idx(path, IMAGES_MAGIC)
    message = _one_line(caught)
    assert str(path) in message and "magic" in message and "0x00000803" in message


def test_labels_file_read_as_images_is_a_data_error(tmp_path, writers):
    path = writers.write_idx(tmp_path / "labels-idx1-ubyte", np.zeros(5))
    with pytest.raises(DataError, match="magic"):
        read_idx(path, IMAGES_MAGIC)


@pytest.mark.parametrize(("cut", "what"), [(5, "header"), (2, "no header"), (-10, "truncated")])
def test_truncated_idx_is_a_data_error(tmp_path, writers, cut, what):
    data = writers.idx_bytes(np.ones((2, 28, 28)))
    path = tmp_path / "images-idx3-ubyte"
    path.write_bytes(data[:cut])
    with pytest.raises(DataError, match=what) as caught:
        read_idx(path, IMAGES_MAGIC)
    assert str(path) in _one_line(caught)


def test_idx_with_extra_bytes_is_a_data_error(tmp_path, writers):
    path = tmp_path / "images-idx3-ubyte"
    path.write_bytes(writers.idx_bytes(np.ones((2, 28, 28))) + b"\0")
    with pytest.raises(DataError, match="too long"):
        read_idx(path, IMAGES_MAGIC)


def test_damaged_gzip_is_a_data_error(tmp_path, writers):
    packed = gzip.compress(writers.idx_bytes(np.ones((50, 28, 28))))
    path = tmp_path / "images-idx3-ubyte.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataError, match="gzip") as caught:
        read_idx(path, IMAGES_MAGIC)
    _one_line(caught)


# --- batches from tiny files ------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False])
def test_batch_is_padded_replicated_and_normalised(tmp_path, writers, gz):
    arrays = writers.write_fashion_mnist(tmp_path, gz=gz)
    batch = load_batch("fashion-mnist", batch_size=12, seed=4, path=tmp_path)
    images, labels = arrays["train"]
    chosen = np.array(batch.indices)
    assert batch.images.shape == (12, 3, 32, 32) and batch.num_classes == 10
    assert batch.source == "fashion-mnist" and batch.split == "train" and batch.seed == 4
    assert batch.labels.tolist() == labels[chosen].tolist()
    expected = (images[chosen].astype(np.float32) / 255 - FMNIST_MEAN) / FMNIST_STD
    for channel in range(3):
        inner = batch.images[:, channel, 2:30, 2:30].numpy()
        np.testing.assert_allclose(inner, expected, rtol=0, atol=1e-5)
    border = torch.ones(32, 32, dtype=torch.bool)
    border[2:30, 2:30] = False
    np.testing.assert_allclose(
        batch.images[:, :, border].numpy(), -FMNIST_MEAN / FMNIST_STD, rtol=0, atol=1e-6
    )


def test_image_size_28_keeps_and_other_sizes_resize(tmp_path, writers):
    arrays = writers.write_fashion_mnist(tmp_path)
    native = load_batch("fashion-mnist", batch_size=3, seed=0, path=tmp_path, image_size=28)
    images, _ = arrays["train"]
    expected = (images[list(native.indices)] / 255 - FMNIST_MEAN) / FMNIST_STD
    np.testing.assert_allclose(native.images[:, 1].numpy(), expected, atol=1e-5)
    big = load_batch("fashion-mnist", batch_size=3, seed=0, path=tmp_path, image_size=56)
    assert big.images.shape == (3, 3, 56, 56) and big.indices == native.indices


def test_test_split_and_determinism(tmp_path, writers):
    arrays = writers.write_fashion_mnist(tmp_path)
    first = load_batch("fashion-mnist", batch_size=10, seed=1, split="test", path=tmp_path)
    again = load_batch("fashion-mnist", batch_size=10, seed=1, split="test", path=tmp_path)
    other = load_batch("fashion-mnist", batch_size=10, seed=2, split="test", path=tmp_path)
    assert first.content_hash == again.content_hash and first.indices == again.indices
    assert first.content_hash != other.content_hash
    assert max(first.indices) < len(arrays["test"][1])


def test_class_balanced_batch_from_tiny_files(tmp_path, writers):
    writers.write_fashion_mnist(tmp_path, n_train=40)
    batch = load_batch("fashion-mnist", batch_size=25, seed=0, path=tmp_path, class_balanced=True)
    assert sorted(torch.bincount(batch.labels, minlength=10).tolist()) == [2] * 5 + [3] * 5


def test_decoded_once_per_process(tmp_path, writers):
    writers.write_fashion_mnist(tmp_path)
    first = load_batch("fashion-mnist", batch_size=5, seed=0, path=tmp_path)
    for path in tmp_path.iterdir():
        path.unlink()  # a second batch must come from memory, not from the files
    second = load_batch("fashion-mnist", batch_size=5, seed=0, path=tmp_path)
    assert second.content_hash == first.content_hash


def test_missing_folder_names_path_and_package(tmp_path):
    missing = tmp_path / "nowhere"
    assert not fashion_mnist_available(missing)
    with pytest.raises(DataError) as caught:
        load_batch("fashion-mnist", batch_size=2, seed=0, path=missing)
    message = _one_line(caught)
    assert str(missing) in message and "dataset-fashion-mnist" in message


def test_missing_test_files_are_named(tmp_path, writers):
    writers.write_fashion_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    assert not fashion_mnist_available(tmp_path)
    load_batch("fashion-mnist", batch_size=2, seed=0, path=tmp_path)  # train still loads
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte"):
        load_batch("fashion-mnist", batch_size=2, seed=0, path=tmp_path, split="test")


def test_available_on_tiny_files(tmp_path, writers):
    writers.write_fashion_mnist(tmp_path, gz=False)
    assert fashion_mnist_available(tmp_path)


@pytest.mark.parametrize(
    ("images", "labels", "message"),
    [
        (np.zeros((4, 28, 28)), np.zeros(3), "3 labels for 4 images"),
        (np.zeros((4, 28, 28)), np.array([0, 1, 10, 2]), "label 10 outside"),
        (np.zeros((4, 20, 20)), np.zeros(4), "expected 28x28"),
    ],
)
def test_inconsistent_files_are_data_errors(tmp_path, writers, images, labels, message):
    writers.write_idx(tmp_path / "train-images-idx3-ubyte", images)
    writers.write_idx(tmp_path / "train-labels-idx1-ubyte", labels)
    with pytest.raises(DataError, match=message):
        load_batch("fashion-mnist", batch_size=2, seed=0, path=tmp_path)


# --- the real Fashion-MNIST (Debian package dataset-fashion-mnist) ------------------------

needs_real = pytest.mark.skipif(
    not fashion_mnist_available(),
    reason=f"Fashion-MNIST not installed at {DEFAULT_FOLDER} (apt-get install "
    "dataset-fashion-mnist)",
)


@needs_real
def test_real_files_shapes_and_labels():
    train_images = read_idx(DEFAULT_FOLDER / "train-images-idx3-ubyte.gz", IMAGES_MAGIC)
    test_labels = read_idx(DEFAULT_FOLDER / "t10k-labels-idx1-ubyte.gz", LABELS_MAGIC)
    assert train_images.shape == (60000, 28, 28) and test_labels.shape == (10000,)
    assert np.bincount(test_labels).tolist() == [1000] * 10
    # The module's constants are the train set's own statistics.
    histogram = np.bincount(train_images.ravel(), minlength=256)  # exact and fast
    values = np.arange(256) / 255
    mean = (histogram * values).sum() / histogram.sum()
    std = np.sqrt((histogram * (values - mean) ** 2).sum() / histogram.sum())
    assert abs(mean - FMNIST_MEAN) < 1e-6 and abs(std - FMNIST_STD) < 1e-6


@needs_real
def test_real_class_balanced_batch_of_64():
    batch = load_batch("fashion-mnist", batch_size=64, seed=0, class_balanced=True)
    counts = torch.bincount(batch.labels, minlength=10)
    assert batch.images.shape == (64, 3, 32, 32) and set(counts.tolist()) == {6, 7}
    assert batch.labels.min() >= 0 and batch.labels.max() <= 9


@needs_real
def test_real_batch_is_normalised():
    batch = load_batch("fashion-mnist", batch_size=2000, seed=1, image_size=28, split="test")
    assert abs(batch.images.mean().item()) < 0.05 and abs(batch.images.std().item() - 1) < 0.05
