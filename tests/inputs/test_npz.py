"""The npz input source: the user's own images and labels in one .npz file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from harness.errors import ConfigError, DataError
from harness.inputs import load_batch
from harness.inputs.cifar import VARIANTS


def _write(path: Path, **arrays) -> Path:
    np.savez(path, **arrays)
    return path


def _uint8_file(tmp_path: Path, n: int = 12, channels: int = 3, size: int = 8, **extra) -> Path:
    rng = np.random.default_rng(5)
    images = rng.integers(0, 256, size=(n, channels, size, size), dtype=np.uint8)
    labels = np.arange(n) % 4
    return _write(tmp_path / "own.npz", images=images, labels=labels, **extra)


def test_uint8_with_mean_std_is_normalised_as_given(tmp_path):
    mean, std = np.array([0.5, 0.4, 0.3]), np.array([0.2, 0.25, 0.3])
    path = _uint8_file(tmp_path, mean=mean, std=std)
    batch = load_batch("npz", path=path, batch_size=5, seed=3)
    with np.load(path) as data:
        pixels, labels = data["images"], data["labels"]
    chosen = np.array(batch.indices)
    expected = (pixels[chosen] / 255.0 - mean[None, :, None, None]) / std[None, :, None, None]
    np.testing.assert_allclose(batch.images.numpy(), expected, rtol=1e-5, atol=1e-5)
    assert batch.labels.tolist() == labels[chosen].tolist()
    assert (batch.source, batch.split, batch.num_classes) == ("npz", "all", 4)
    assert batch.images.dtype == torch.float32


def test_uint8_without_statistics_uses_its_own(tmp_path):
    path = _uint8_file(tmp_path, n=10)
    batch = load_batch("npz", path=path, batch_size=10, seed=0)
    per_channel = batch.images.permute(1, 0, 2, 3).reshape(3, -1)
    np.testing.assert_allclose(per_channel.mean(1).numpy(), 0.0, atol=1e-5)
    np.testing.assert_allclose(per_channel.std(1, unbiased=False).numpy(), 1.0, atol=1e-4)


def test_float_without_statistics_is_used_as_it_is(tmp_path):
    images = np.random.default_rng(0).standard_normal((6, 3, 4, 4)).astype(np.float64)
    path = _write(tmp_path / "f.npz", images=images, labels=np.zeros(6, dtype=np.int64))
    batch = load_batch("npz", path=path, batch_size=6, seed=1)
    np.testing.assert_allclose(
        batch.images.numpy(), images[np.array(batch.indices)].astype(np.float32)
    )


def test_grey_file_is_copied_to_three_channels_and_resized(tmp_path):
    path = _uint8_file(tmp_path, channels=1, size=8, mean=np.array([0.5]), std=np.array([0.5]))
    batch = load_batch("npz", path=path, batch_size=4, seed=0, image_size=16)
    assert tuple(batch.images.shape) == (4, 3, 16, 16)
    assert torch.equal(batch.images[:, 0], batch.images[:, 2])


def test_same_request_same_batch_and_class_balance(tmp_path):
    path = _uint8_file(tmp_path)
    first = load_batch("npz", path=path, batch_size=8, seed=4, class_balanced=True)
    again = load_batch("npz", path=path, batch_size=8, seed=4, class_balanced=True)
    assert first.content_hash == again.content_hash
    assert sorted(np.bincount(first.labels.numpy(), minlength=4).tolist()) == [2, 2, 2, 2]


def test_cifar_statistics_give_the_cifar_sources_pixels(tmp_path):
    """An npz of CIFAR-10 pixels with CIFAR-10's statistics equals the cifar10 source."""
    from harness.inputs import cifar

    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, size=(3, 3, 32, 32), dtype=np.uint8)
    variant = VARIANTS["cifar10"]
    path = _write(
        tmp_path / "c.npz",
        images=pixels,
        labels=np.array([0, 1, 2]),
        mean=np.array(variant.mean),
        std=np.array(variant.std),
    )
    batch = load_batch("npz", path=path, batch_size=3, seed=0)
    chosen = np.array(batch.indices)
    np.testing.assert_allclose(
        batch.images.numpy(), cifar.prepare("cifar10", pixels[chosen], None).numpy(), atol=1e-6
    )


def test_num_classes_request_must_fit_the_labels(tmp_path):
    path = _uint8_file(tmp_path)
    assert load_batch("npz", path=path, batch_size=2, seed=0, num_classes=10).num_classes == 10
    with pytest.raises(DataError, match=r"label 3 outside 0\.\.1"):
        load_batch("npz", path=path, batch_size=2, seed=0, num_classes=2)


def test_no_path_is_a_config_error():
    with pytest.raises(ConfigError, match="needs the file: set input.path"):
        load_batch("npz", batch_size=2, seed=0)


def test_too_large_batch_names_the_file(tmp_path):
    path = _uint8_file(tmp_path, n=4)
    with pytest.raises(ConfigError, match="batch_size 5 is more than the 4 images of .*own.npz"):
        load_batch("npz", path=path, batch_size=5, seed=0)


def _bad_files(tmp_path: Path) -> list[tuple[Path, str]]:
    good = np.zeros((2, 3, 4, 4), dtype=np.uint8)
    labels = np.array([0, 1])
    cases = {
        "missing.npz": None,
        "text.npz": b"not a zip",
        "nolabels.npz": dict(images=good),
        "ints.npz": dict(images=good.astype(np.int32), labels=labels),
        "three_d.npz": dict(images=good[:, 0], labels=labels),
        "channels_last.npz": dict(images=good.transpose(0, 2, 3, 1).copy(), labels=labels),
        "not_square.npz": dict(images=good[:, :, :, :3], labels=labels),
        "nan.npz": dict(images=np.full((2, 3, 4, 4), np.nan), labels=labels),
        "float_labels.npz": dict(images=good, labels=labels.astype(float)),
        "short_labels.npz": dict(images=good, labels=labels[:1]),
        "negative.npz": dict(images=good, labels=np.array([0, -1])),
        "mean_only.npz": dict(images=good, labels=labels, mean=np.array([0.5, 0.5, 0.5])),
        "mean_two.npz": dict(images=good, labels=labels, mean=np.zeros(2), std=np.ones(2)),
        "std_zero.npz": dict(images=good, labels=labels, mean=np.zeros(3), std=np.zeros(3)),
    }
    made = []
    for name, content in cases.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif content is not None:
            np.savez(path, **content)
        made.append(path)
    return made


MESSAGES = {
    "missing.npz": "npz file not found",
    "text.npz": "not a readable .npz file",
    "nolabels.npz": "missing array 'labels' \\(arrays found: images\\)",
    "ints.npz": "'images' must be uint8 or floating point, found int32",
    "three_d.npz": "'images' must be N x C x H x W",
    "channels_last.npz": "channels last",
    "not_square.npz": "must be square",
    "nan.npz": "NaN or infinite",
    "float_labels.npz": "'labels' must be a 1-D integer array",
    "short_labels.npz": "1 'labels' for 2 images",
    "negative.npz": "non-negative",
    "mean_only.npz": "has 'mean' but no 'std'",
    "mean_two.npz": "'mean' must hold 1 or 3 numbers",
    "std_zero.npz": "'std' must be positive",
}


def test_bad_files_are_one_line_errors_naming_the_file(tmp_path):
    for path in _bad_files(tmp_path):
        with pytest.raises(DataError, match=MESSAGES[path.name]) as caught:
            load_batch("npz", path=path, batch_size=1, seed=0)
        text = str(caught.value)
        assert "\n" not in text and path.name in text, text
