"""The batch value, its hash, seeded selection, synthetic batches and the front door."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.errors import ConfigError, UnknownNameError
from harness.inputs import (
    ImageBatch,
    batch_content_hash,
    list_sources,
    load_batch,
)
from harness.inputs.base import LabelledImages, balanced_counts, select_indices

REPO = Path(__file__).resolve().parents[2]


def _batch(images, labels, **overrides) -> ImageBatch:
    fields = dict(num_classes=10, source="synthetic", split="train", seed=0)
    fields.update(overrides)
    return ImageBatch(images, labels, indices=tuple(range(len(labels))), **fields)


# --- content hash -------------------------------------------------------------------------


def test_hash_is_sha256_of_shapes_and_bytes():
    images = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).reshape(2, 3, 2, 2)
    labels = torch.tensor([3, 1])
    expected = hashlib.sha256(
        b"images float32 (2, 3, 2, 2)\n"
        + np.arange(24, dtype="<f4").tobytes()
        + b"labels int64 (2,)\n"
        + np.array([3, 1], dtype="<i8").tobytes()
    ).hexdigest()
    assert batch_content_hash(images, labels) == expected
    assert _batch(images, labels).content_hash == expected


def test_same_content_shares_hash_whatever_the_metadata():
    images, labels = torch.randn(4, 3, 8, 8), torch.tensor([0, 1, 2, 3])
    first = _batch(images, labels, seed=1, source="cifar10")
    second = _batch(images.clone(), labels.clone(), seed=7, split="test")
    assert first.content_hash == second.content_hash


def test_hash_sees_one_label_one_pixel_and_the_shape():
    images, labels = torch.randn(4, 3, 8, 8), torch.tensor([0, 1, 2, 3])
    reference = batch_content_hash(images, labels)
    other_labels = labels.clone()
    other_labels[2] = 9
    other_images = images.clone()
    other_images[3, 2, 7, 7] += 1e-6
    assert batch_content_hash(images, other_labels) != reference
    assert batch_content_hash(other_images, labels) != reference
    assert batch_content_hash(images.reshape(4, 3, 4, 16), labels) != reference


def test_to_keeps_hash_and_moves_tensors():
    batch = load_batch("synthetic", batch_size=4, seed=0)
    moved = batch.to("cpu")
    assert moved.content_hash == batch.content_hash
    assert moved.images.device.type == "cpu" and moved.indices == batch.indices


def test_batch_rejects_wrong_types():
    with pytest.raises(ValueError, match="float32"):
        _batch(torch.zeros(2, 3, 4, 4, dtype=torch.float64), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="3 channels"):
        _batch(torch.zeros(2, 1, 4, 4), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="int64"):
        _batch(torch.zeros(2, 3, 4, 4), torch.tensor([0, 1], dtype=torch.int32))


# --- selection ----------------------------------------------------------------------------


def test_balanced_counts_64_over_10_classes():
    counts = balanced_counts([1000] * 10, 64, np.random.default_rng(0))
    assert counts.sum() == 64 and sorted(set(counts.tolist())) == [6, 7]
    assert (counts == 7).sum() == 4


def test_balanced_counts_fills_in_for_scarce_classes():
    counts = balanced_counts([1, 100, 2], 50, np.random.default_rng(3))
    assert counts[0] == 1 and counts[2] == 2 and counts[1] == 47
    with pytest.raises(ConfigError):
        balanced_counts([1, 2], 4, np.random.default_rng(0))


@settings(max_examples=60, deadline=None)
@given(
    supply=st.lists(st.integers(0, 30), min_size=1, max_size=12),
    fraction=st.floats(0, 1),
    seed=st.integers(0, 2**32),
)
def test_balanced_counts_is_as_even_as_supply_allows(supply, fraction, seed):
    total = int(fraction * sum(supply))
    counts = balanced_counts(supply, total, np.random.default_rng(seed))
    assert counts.sum() == total and (counts <= np.array(supply)).all()
    uncapped = counts[counts < np.array(supply)]
    if uncapped.size:  # a class below its supply is at most one short of any other class
        assert counts.max() - uncapped.min() <= 1


def _toy_data(labels) -> LabelledImages:
    labels = np.asarray(labels, dtype=np.int64)
    pixels = np.zeros((len(labels), 1, 2, 2), dtype=np.uint8)
    return LabelledImages(pixels, labels, int(labels.max()) + 1)


def test_select_indices_is_deterministic_unique_and_in_range():
    data = _toy_data(np.arange(500) % 7)
    first = select_indices(data, 40, 5, False, "toy")
    assert np.array_equal(first, select_indices(data, 40, 5, False, "toy"))
    assert not np.array_equal(first, select_indices(data, 40, 6, False, "toy"))
    assert len(set(first.tolist())) == 40 and first.min() >= 0 and first.max() < 500


def test_select_indices_class_balanced_and_shuffled():
    labels = np.repeat(np.arange(4), [100, 3, 50, 50])  # class 1 is scarce
    data = _toy_data(labels)
    chosen = select_indices(data, 22, 0, True, "toy")
    counts = np.bincount(labels[chosen], minlength=4)
    assert counts[1] == 3 and sorted(counts[[0, 2, 3]].tolist()) == [6, 6, 7]
    assert len(set(chosen.tolist())) == 22
    assert not np.all(np.diff(labels[chosen]) >= 0), "balanced batch should not be class-sorted"


@pytest.mark.parametrize("balanced", [False, True])
def test_select_indices_excluding_a_first_batch_is_disjoint(balanced):
    labels = np.arange(300) % 5
    data = _toy_data(labels)
    first = select_indices(data, 40, 3, balanced, "toy")
    assert np.array_equal(first, select_indices(data, 40, 3, balanced, "toy", exclude=()))
    second = select_indices(data, 40, 4, balanced, "toy", exclude=first)
    assert len(second) == 40 and not set(first.tolist()) & set(second.tolist())
    if balanced:
        assert np.bincount(labels[second], minlength=5).tolist() == [8] * 5
    with pytest.raises(ConfigError, match="more than the 260 images of toy"):
        select_indices(data, 261, 4, balanced, "toy", exclude=first)


def test_select_indices_refuses_too_large_batch():
    with pytest.raises(ConfigError, match="more than the 5 images of toy"):
        select_indices(_toy_data([0, 1, 0, 1, 0]), 6, 0, False, "toy")


# --- synthetic ----------------------------------------------------------------------------


def test_synthetic_shape_statistics_and_labels():
    batch = load_batch("synthetic", batch_size=256, seed=3, num_classes=100)
    assert batch.images.shape == (256, 3, 32, 32) and batch.images.dtype == torch.float32
    assert abs(batch.images.mean().item()) < 0.01 and abs(batch.images.std().item() - 1) < 0.01
    assert batch.labels.dtype == torch.int64 and batch.num_classes == 100
    assert batch.labels.min() >= 0 and batch.labels.max() < 100
    assert load_batch("synthetic", batch_size=2, seed=0, image_size=16).images.shape[-1] == 16


def test_synthetic_determinism_by_seed_and_split():
    def digest(**kw):
        return load_batch("synthetic", batch_size=8, **kw).content_hash

    assert digest(seed=1) == digest(seed=1)
    assert digest(seed=1) != digest(seed=2)
    assert digest(seed=1) != digest(seed=1, split="test")
    assert digest(seed=1) != digest(seed=1, class_balanced=True)


def test_synthetic_class_balanced():
    batch = load_batch("synthetic", batch_size=64, seed=0, class_balanced=True)
    counts = torch.bincount(batch.labels, minlength=10)
    assert counts.sum() == 64 and set(counts.tolist()) == {6, 7}


def test_batch_bytes_are_the_same_in_a_fresh_process(tmp_path, writers):
    writers.write_fashion_mnist(tmp_path)
    code = (
        "from harness.inputs import load_batch;"
        "print(load_batch('synthetic', batch_size=8, seed=11, class_balanced=True).content_hash);"
        f"print(load_batch('fashion-mnist', batch_size=8, seed=11, path={str(tmp_path)!r})"
        ".content_hash)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    here = [
        load_batch("synthetic", batch_size=8, seed=11, class_balanced=True).content_hash,
        load_batch("fashion-mnist", batch_size=8, seed=11, path=tmp_path).content_hash,
    ]
    assert result.stdout.split() == here


# --- front door ---------------------------------------------------------------------------


def test_list_sources():
    assert list_sources() == [
        "auto",
        "cifar10",
        "cifar100",
        "fashion-mnist",
        "imagenet16-120",
        "npz",
        "synthetic",
    ]


def test_unknown_source_suggests_a_name():
    with pytest.raises(UnknownNameError, match="did you mean fashion-mnist") as caught:
        load_batch("fashion-mnst", batch_size=2, seed=0)
    assert "\n" not in str(caught.value)


def test_source_names_ignore_case_and_underscores():
    assert load_batch("SYNTHETIC", batch_size=2, seed=0).source == "synthetic"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 0, "seed": 0}, "batch_size"),
        ({"batch_size": 2.5, "seed": 0}, "batch_size"),
        ({"batch_size": 2, "seed": -1}, "seed"),
        ({"batch_size": 2, "seed": 0, "image_size": 0}, "image_size"),
        ({"batch_size": 2, "seed": 0, "split": "valid"}, "split"),
        ({"batch_size": 2, "seed": 0, "num_classes": 0}, "num_classes"),
    ],
)
def test_bad_requests_are_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        load_batch("synthetic", **kwargs)


def test_num_classes_must_match_a_file_source(tmp_path, writers):
    writers.write_fashion_mnist(tmp_path)
    with pytest.raises(ConfigError, match="num_classes 100"):
        load_batch("fashion-mnist", batch_size=2, seed=0, path=tmp_path, num_classes=100)
    batch = load_batch("fashion-mnist", batch_size=2, seed=0, path=tmp_path, num_classes=10)
    assert batch.num_classes == 10
