"""Fashion-MNIST from the standard idx files (gzipped or not), as 3-channel 32x32 images.

Debian's `dataset-fashion-mnist` package installs the files in `DEFAULT_FOLDER`. The 28x28
grey images are padded with 2 black pixels on each side to 32x32 (the CIFAR size the
NAS-Bench-201 networks were built for), padding raw pixel value 0 before normalising, so the
border equals Fashion-MNIST's own background. Any other `image_size` resizes the 28x28
image bilinearly instead (28 keeps it as is). The grey channel is copied to 3 channels and
normalised with the training set's mean and std over all 60,000 28x28 images.
"""

from __future__ import annotations

import functools
import gzip
import os
import zlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from harness.errors import DataError
from harness.inputs.base import LabelledImages, normalise, pixels_to_unit, resize

NAME = "fashion-mnist"
NUM_CLASSES = 10
SPLITS = ("train", "test")
NATIVE_SIZE = 28
DEFAULT_IMAGE_SIZE = 32
DEFAULT_FOLDER = Path("/usr/share/datasets/fashion-mnist")
# Computed from train-images-idx3-ubyte (60,000 images, pixels / 255).
MEAN = (0.2860406,)
STD = (0.3530242,)

IMAGES_MAGIC = 0x00000803  # idx: unsigned bytes, 3 dimensions
LABELS_MAGIC = 0x00000801  # idx: unsigned bytes, 1 dimension
_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def read_idx(path: str | os.PathLike[str], expected_magic: int) -> np.ndarray:
    """The uint8 array stored in idx file `path` (gunzipped when it ends in .gz).

    Checks the magic number against `expected_magic` and that the data is exactly as long
    as the header's dimensions say; any problem is a one-line DataError naming the file.
    """
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as handle:
                raw = handle.read()
        else:
            raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise DataError(f"{path}: damaged or truncated gzip file ({error})") from None
    if len(raw) < 4:
        raise DataError(f"{path}: truncated idx file ({len(raw)} bytes, no header)")
    magic = int.from_bytes(raw[:4], "big")
    if magic != expected_magic:
        raise DataError(
            f"{path}: wrong idx magic number 0x{magic:08x} (expected 0x{expected_magic:08x})"
        )
    ndim = raw[3]
    header_length = 4 + 4 * ndim
    if len(raw) < header_length:
        raise DataError(f"{path}: truncated idx header ({len(raw)} of {header_length} bytes)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape, dtype=np.int64))
    found = len(raw) - header_length
    if found != expected:
        problem = "truncated" if found < expected else "too long"
        raise DataError(
            f"{path}: {problem} idx data ({found} bytes where shape {list(shape)} needs {expected})"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_length).reshape(shape)


def _file_in(folder: Path, base_name: str) -> Path | None:
    for candidate in (folder / f"{base_name}.gz", folder / base_name):
        if candidate.is_file():
            return candidate
    return None


def fashion_mnist_available(path: str | os.PathLike[str] | None = None) -> bool:
    """Whether all four idx files are present (not parsed) in `path` or the default folder."""
    folder = Path(path) if path is not None else DEFAULT_FOLDER
    return all(_file_in(folder, name) for names in _FILES.values() for name in names)


def _split_files(folder: Path, split: str) -> tuple[Path, Path]:
    found = [_file_in(folder, name) for name in _FILES[split]]
    if all(found):
        return found[0], found[1]
    if not folder.is_dir() or not any(_file_in(folder, n) for ns in _FILES.values() for n in ns):
        raise DataError(
            f"Fashion-MNIST not found at {folder}: install the Debian package "
            "dataset-fashion-mnist or pass --input-path"
        )
    missing = [name for name, path in zip(_FILES[split], found, strict=True) if path is None]
    raise DataError(f"Fashion-MNIST {split} files missing in {folder}: {', '.join(missing)}[.gz]")


@functools.lru_cache(maxsize=4)
def _load_cached(folder: str, split: str) -> LabelledImages:
    images_path, labels_path = _split_files(Path(folder), split)
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if images.shape[1:] != (NATIVE_SIZE, NATIVE_SIZE):
        raise DataError(
            f"{images_path}: expected 28x28 images, found {images.shape[1]}x{images.shape[2]}"
        )
    if labels.shape[0] != images.shape[0]:
        raise DataError(f"{labels_path}: {labels.shape[0]} labels for {images.shape[0]} images")
    if labels.size and labels.max() >= NUM_CLASSES:
        raise DataError(f"{labels_path}: label {int(labels.max())} outside 0..{NUM_CLASSES - 1}")
    return LabelledImages(images[:, None], labels.astype(np.int64), NUM_CLASSES)


def load_images(path: str | os.PathLike[str] | None, split: str) -> LabelledImages:
    """The decoded split, read once per process and folder."""
    folder = Path(path).expanduser() if path is not None else DEFAULT_FOLDER
    return _load_cached(str(folder.resolve()), split)


def prepare(pixels: np.ndarray, image_size: int | None) -> torch.Tensor:
    """Selected uint8 [B, 1, 28, 28] -> normalised float32 [B, 3, S, S] (see module doc)."""
    size = DEFAULT_IMAGE_SIZE if image_size is None else image_size
    images = pixels_to_unit(pixels)
    if size == DEFAULT_IMAGE_SIZE:
        pad = (DEFAULT_IMAGE_SIZE - NATIVE_SIZE) // 2
        images = F.pad(images, (pad, pad, pad, pad), value=0.0)
    else:
        images = resize(images, size)
    return normalise(images, MEAN * 3, STD * 3)
