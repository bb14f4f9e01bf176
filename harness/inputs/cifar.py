"""CIFAR-10 and CIFAR-100 from torchvision's python-pickle folders.

Layout: `cifar-10-batches-py/data_batch_1..5` and `test_batch`, or `cifar-100-python/train`
and `test`; each a pickled dict with 'data' (uint8 [N, 3072]: the red, green then blue
32x32 planes of each image) and 'labels' (CIFAR-10) or 'fine_labels' (CIFAR-100). The path
given may be that folder or its parent; by default NAS-Bench-201's `~/.torch/cifar.python`.
Normalised with the per-channel means and stds NAS-Bench-201 (xautodl) trained with;
`image_size` other than 32 resizes bilinearly.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from harness.errors import DataError
from harness.inputs._pickles import integer_labels, load_data_dict, uint8_rows
from harness.inputs.base import LabelledImages, normalise, pixels_to_unit, resize

SPLITS = ("train", "test")
NATIVE_SIZE = 32
DEFAULT_PARENT = Path("~/.torch/cifar.python")


@dataclass(frozen=True)
class CifarVariant:
    name: str
    folder_name: str
    files: dict[str, tuple[str, ...]]
    label_key: str
    num_classes: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]


VARIANTS = {
    "cifar10": CifarVariant(
        name="cifar10",
        folder_name="cifar-10-batches-py",
        files={"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)},
        label_key="labels",
        num_classes=10,
        mean=(125.3 / 255, 123.0 / 255, 113.9 / 255),
        std=(63.0 / 255, 62.1 / 255, 66.7 / 255),
    ),
    "cifar100": CifarVariant(
        name="cifar100",
        folder_name="cifar-100-python",
        files={"train": ("train",), "test": ("test",)},
        label_key="fine_labels",
        num_classes=100,
        mean=(129.3 / 255, 124.1 / 255, 112.4 / 255),
        std=(68.2 / 255, 65.4 / 255, 70.4 / 255),
    ),
}


def find_folder(variant: CifarVariant, path: str | os.PathLike[str] | None) -> Path:
    """The folder holding the variant's pickles: `path` itself or its named subfolder."""
    given = Path(path if path is not None else DEFAULT_PARENT).expanduser()
    first_file = variant.files["train"][0]
    for candidate in (given, given / variant.folder_name):
        if (candidate / first_file).is_file() or (candidate / variant.files["test"][0]).is_file():
            return candidate
    raise DataError(
        f"{variant.name} not found at {given}: expected {variant.folder_name}/ with "
        f"{first_file} (torchvision's python layout); pass --input-path"
    )


@functools.lru_cache(maxsize=4)
def _load_cached(name: str, folder: str, split: str) -> LabelledImages:
    variant = VARIANTS[name]
    pixel_blocks, label_blocks = [], []
    for file_name in variant.files[split]:
        path = Path(folder) / file_name
        if not path.is_file():
            raise DataError(f"{variant.name} file missing: {path}")
        entry = load_data_dict(path, ("data", variant.label_key))
        rows = uint8_rows(path, entry["data"], 3 * NATIVE_SIZE * NATIVE_SIZE)
        labels = integer_labels(path, variant.label_key, entry[variant.label_key], len(rows))
        if labels.size and (labels.min() < 0 or labels.max() >= variant.num_classes):
            raise DataError(f"{path}: {variant.label_key!r} outside 0..{variant.num_classes - 1}")
        pixel_blocks.append(rows)
        label_blocks.append(labels)
    pixels = np.concatenate(pixel_blocks).reshape(-1, 3, NATIVE_SIZE, NATIVE_SIZE)
    return LabelledImages(pixels, np.concatenate(label_blocks), variant.num_classes)


def load_images(name: str, path: str | os.PathLike[str] | None, split: str) -> LabelledImages:
    """The decoded split of `name` (cifar10 / cifar100), read once per process and folder."""
    folder = find_folder(VARIANTS[name], path)
    return _load_cached(name, str(folder.resolve()), split)


def prepare(name: str, pixels: np.ndarray, image_size: int | None) -> torch.Tensor:
    """Selected uint8 [B, 3, 32, 32] -> normalised float32 [B, 3, S, S]."""
    variant = VARIANTS[name]
    images = resize(pixels_to_unit(pixels), NATIVE_SIZE if image_size is None else image_size)
    return normalise(images, variant.mean, variant.std)
