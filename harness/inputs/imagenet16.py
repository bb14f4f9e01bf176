"""ImageNet16-120: NAS-Bench-201's 16x16 ImageNet subset, from the downsampled-ImageNet pickles.

Layout (as xautodl's `ImageNet16` dataset reads it): a folder with `train_data_batch_1..10`
and `val_data`, each a pickled dict with 'data' (uint8 [N, 768]: red, green, blue 16x16
planes) and 'labels' (1-based over the 1000 ImageNet classes). NAS-Bench-201 keeps only
labels 1..120, numbered 0..119; batch indices count images in that subset, file by file in
the order above, as xautodl does. The path may be that folder or its parent (holding
`ImageNet16/`); by default `~/.torch/cifar.python/ImageNet16`. Splits: "train" and "val"
("test" is read as "val": NAS-Bench-201 splits val_data into its valid and test halves).
Normalised with xautodl's ImageNet16 means and stds; images stay 16x16 unless `image_size`
asks otherwise (bilinear resize).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import torch

from harness.errors import DataError
from harness.inputs._pickles import integer_labels, load_data_dict, uint8_rows
from harness.inputs.base import LabelledImages, normalise, pixels_to_unit, resize

NAME = "imagenet16-120"
NUM_CLASSES = 120
ALL_CLASSES = 1000
SPLITS = ("train", "val")
SPLIT_ALIASES = {"test": "val"}
NATIVE_SIZE = 16
FOLDER_NAME = "ImageNet16"
DEFAULT_FOLDER = Path("~/.torch/cifar.python/ImageNet16")
MEAN = (122.68 / 255, 116.66 / 255, 104.01 / 255)
STD = (63.22 / 255, 61.26 / 255, 65.09 / 255)
_FILES = {
    "train": tuple(f"train_data_batch_{i}" for i in range(1, 11)),
    "val": ("val_data",),
}


def find_folder(path: str | os.PathLike[str] | None) -> Path:
    """The folder holding the pickles: `path` itself or its `ImageNet16/` subfolder."""
    given = Path(path if path is not None else DEFAULT_FOLDER).expanduser()
    markers = (_FILES["train"][0], _FILES["val"][0])
    for candidate in (given, given / FOLDER_NAME):
        if any((candidate / marker).is_file() for marker in markers):
            return candidate
    raise DataError(
        f"ImageNet16-120 not found at {given}: expected train_data_batch_1..10 and val_data "
        "(NAS-Bench-201's ImageNet16 pickles; no public direct download, `harness data list` "
        "says where to get them); pass --input-path"
    )


@functools.lru_cache(maxsize=2)
def _load_cached(folder: str, split: str) -> LabelledImages:
    pixel_blocks, label_blocks = [], []
    for file_name in _FILES[split]:
        path = Path(folder) / file_name
        if not path.is_file():
            raise DataError(f"ImageNet16-120 file missing: {path}")
        entry = load_data_dict(path, ("data", "labels"))
        rows = uint8_rows(path, entry["data"], 3 * NATIVE_SIZE * NATIVE_SIZE)
        labels = integer_labels(path, "labels", entry["labels"], len(rows))
        if labels.size and (labels.min() < 1 or labels.max() > ALL_CLASSES):
            raise DataError(f"{path}: 'labels' outside 1..{ALL_CLASSES}")
        # Filter file by file so the full 1000-class train set is never held at once.
        keep = labels <= NUM_CLASSES
        pixel_blocks.append(rows[keep])
        label_blocks.append(labels[keep] - 1)
    pixels = np.concatenate(pixel_blocks).reshape(-1, 3, NATIVE_SIZE, NATIVE_SIZE)
    if len(pixels) == 0:
        raise DataError(f"{folder}: no {split} images with labels 1..{NUM_CLASSES}")
    return LabelledImages(pixels, np.concatenate(label_blocks), NUM_CLASSES)


def load_images(path: str | os.PathLike[str] | None, split: str) -> LabelledImages:
    """The decoded 120-class split, read once per process and folder."""
    folder = find_folder(path)
    return _load_cached(str(folder.resolve()), SPLIT_ALIASES.get(split, split))


def prepare(pixels: np.ndarray, image_size: int | None) -> torch.Tensor:
    """Selected uint8 [B, 3, 16, 16] -> normalised float32 [B, 3, S, S]."""
    images = resize(pixels_to_unit(pixels), NATIVE_SIZE if image_size is None else image_size)
    return normalise(images, MEAN, STD)
