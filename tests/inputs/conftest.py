"""Writers of tiny data files in the exact on-disk layouts the input loaders read."""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from harness.inputs import clear_cache


@pytest.fixture(autouse=True)
def _fresh_input_cache():
    """Each test decodes its own files: no batch may come from another test's cache."""
    clear_cache()
    yield
    clear_cache()


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """An idx file: 0, 0, type 0x08 (ubyte), ndim, big-endian uint32 dims, then the bytes."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    if magic is None:
        magic = 0x0800 | array.ndim
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


def write_idx(path: Path, array: np.ndarray, magic: int | None = None) -> Path:
    data = idx_bytes(array, magic)
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as handle:
            handle.write(data)
    else:
        path.write_bytes(data)
    return path


def write_fashion_mnist(folder: Path, n_train: int = 40, n_test: int = 20, gz: bool = True):
    """Four idx files of random 28x28 images; labels cycle over 0..9. Returns the arrays."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(123)
    suffix = ".gz" if gz else ""
    arrays = {}
    for split, prefix, count in (("train", "train", n_train), ("test", "t10k", n_test)):
        images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        labels = (np.arange(count) % 10).astype(np.uint8)
        write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
        arrays[split] = (images, labels)
    return arrays


def write_pickle(path: Path, content, protocol: int = pickle.DEFAULT_PROTOCOL) -> Path:
    with open(path, "wb") as handle:
        pickle.dump(content, handle, protocol=protocol)
    return path


def write_cifar10(parent: Path, per_file: int = 6, n_test: int = 4):
    """cifar-10-batches-py/ with data_batch_1..5, test_batch, batches.meta (bytes keys)."""
    folder = parent / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(10)
    train_rows, train_labels = [], []
    for i in range(1, 6):
        rows = rng.integers(0, 256, size=(per_file, 3072), dtype=np.uint8)
        labels = [int(x) for x in rng.integers(0, 10, size=per_file)]
        write_pickle(
            folder / f"data_batch_{i}",
            {
                b"batch_label": f"training batch {i} of 5".encode(),
                b"labels": labels,
                b"data": rows,
                b"filenames": [f"img_{i}_{j}.png".encode() for j in range(per_file)],
            },
            protocol=2,
        )
        train_rows.append(rows)
        train_labels += labels
    test_rows = rng.integers(0, 256, size=(n_test, 3072), dtype=np.uint8)
    test_labels = list(range(n_test))
    write_pickle(folder / "test_batch", {b"labels": test_labels, b"data": test_rows}, protocol=2)
    names = [n.encode() for n in ("airplane", "automobile", "bird", "cat", "deer")]
    write_pickle(folder / "batches.meta", {b"label_names": names, b"num_vis": 3072})
    return folder, np.concatenate(train_rows), np.array(train_labels), test_rows, test_labels


def write_cifar100(parent: Path, n_train: int = 30, n_test: int = 10):
    """cifar-100-python/ with train, test, meta; 'fine_labels' and 'coarse_labels'."""
    folder = parent / "cifar-100-python"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(100)
    out = {}
    for split, count in (("train", n_train), ("test", n_test)):
        rows = rng.integers(0, 256, size=(count, 3072), dtype=np.uint8)
        fine = [int(x) for x in rng.integers(0, 100, size=count)]
        write_pickle(
            folder / split,
            {b"data": rows, b"fine_labels": fine, b"coarse_labels": [f // 5 for f in fine]},
        )
        out[split] = (rows, np.array(fine))
    write_pickle(folder / "meta", {b"fine_label_names": [b"apple"], b"coarse_label_names": []})
    return folder, out


def write_imagenet16(folder: Path, per_file: int = 5, n_val: int = 8):
    """train_data_batch_1..10 and val_data with str keys and 1-based labels over 1..1000.

    Every file mixes kept labels (1..120) with dropped ones (121..1000). Returns the kept
    rows and 0-based labels per split, in xautodl's order (files 1..10 numerically).
    """
    folder.mkdir(parents=True)
    rng = np.random.default_rng(16)
    kept = {}
    for split, names, count in (
        ("train", [f"train_data_batch_{i}" for i in range(1, 11)], per_file),
        ("val", ["val_data"], n_val),
    ):
        rows_kept, labels_kept = [], []
        for file_index, name in enumerate(names):
            rows = rng.integers(0, 256, size=(count, 768), dtype=np.uint8)
            labels = [1 + (file_index * 7 + j * 13) % 120 for j in range(count - 2)]
            labels += [121, 1000]
            write_pickle(folder / name, {"data": rows, "labels": labels, "mean": rows.mean(0)})
            labels_array = np.array(labels)
            rows_kept.append(rows[labels_array <= 120])
            labels_kept.append(labels_array[labels_array <= 120] - 1)
        kept[split] = (np.concatenate(rows_kept), np.concatenate(labels_kept))
    return kept


@pytest.fixture
def writers() -> SimpleNamespace:
    """The writers above, as a fixture so tests need not import this conftest by name."""
    return SimpleNamespace(
        idx_bytes=idx_bytes,
        write_idx=write_idx,
        write_fashion_mnist=write_fashion_mnist,
        write_pickle=write_pickle,
        write_cifar10=write_cifar10,
        write_cifar100=write_cifar100,
        write_imagenet16=write_imagenet16,
    )
