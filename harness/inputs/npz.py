"""Bring your own batch: images and labels from a numpy `.npz` file.

The file (`input.path`, or `--input-path`) holds `images`, N x C x H x W with C = 1 or 3,
either uint8 (0..255) or floating point, and `labels` (N non-negative integers); optionally
`mean` and `std` (one value per channel, or one for all). Other arrays are ignored. uint8
pixels are first scaled to [0, 1], as torchvision's ToTensor does; then, with `mean`/`std`,
each channel is normalised as (x - mean) / std (so `mean`/`std` of a uint8 file are on the
[0, 1] scale, as torchvision's Normalize takes them). Without them a uint8 file is
normalised with its own per-channel mean and std over all its images, and a float file is
taken as already normalised. A grey file is copied to 3 channels; an `image_size` other than
the file's resizes bilinearly. The file is one set of images: every split name reads all of
it (the batch records the split as "all"). The class count is `num_classes` when the request
gives one (the labels must fit), else the largest label + 1. Any problem with the file is a
one-line DataError naming it.
"""

from __future__ import annotations

import functools
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from harness.errors import ConfigError, DataError
from harness.inputs.base import LabelledImages, normalise, pixels_to_unit, resize

NAME = "npz"
SPLIT = "all"
SPLIT_ALIASES = {"train": SPLIT, "test": SPLIT}
REQUIRED = ("images", "labels")


@dataclass(frozen=True, eq=False)
class NpzImages:
    """A decoded file: its images (any accepted dtype), labels and the channel statistics
    its images are normalised with (None: a float file taken as already normalised)."""

    path: Path
    data: LabelledImages
    mean: tuple[float, ...] | None
    std: tuple[float, ...] | None


def file_of(path: str | os.PathLike[str] | None) -> Path:
    """The `.npz` file named by `path`; ConfigError when no path is given."""
    if path is None or str(path) == "":
        raise ConfigError("input source npz needs the file: set input.path (or --input-path)")
    return Path(path).expanduser()


def load_images(path: str | os.PathLike[str] | None) -> NpzImages:
    """The decoded file, read once per process (again when it changes on disk)."""
    file = file_of(path)
    try:
        stat = file.stat()
    except FileNotFoundError:
        raise DataError(f"{file}: npz file not found") from None
    except OSError as err:
        raise DataError(f"{file}: cannot read ({err.strerror})") from None
    if not file.is_file():
        raise DataError(f"{file}: not a file (input source npz reads one .npz file)")
    return _load_cached(str(file.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _load_cached(file: str, mtime_ns: int, size: int) -> NpzImages:
    path = Path(file)
    arrays = _read_arrays(path)
    images = _check_images(path, arrays["images"])
    labels = _check_labels(path, arrays["labels"], images.shape[0])
    channels = images.shape[1]
    mean = _channel_values(path, "mean", arrays.get("mean"), channels)
    std = _channel_values(path, "std", arrays.get("std"), channels)
    if (mean is None) != (std is None):
        given, lacking = ("mean", "std") if mean is not None else ("std", "mean")
        raise DataError(f"{path}: has {given!r} but no {lacking!r}; give both or neither")
    if std is not None and min(std) <= 0:
        raise DataError(f"{path}: 'std' must be positive, found {list(std)}")
    if mean is None and images.dtype == np.uint8:
        unit = images.astype(np.float64) / 255.0
        mean = tuple(float(m) for m in unit.mean(axis=(0, 2, 3)))
        spread = unit.std(axis=(0, 2, 3))
        std = tuple(float(s) if s > 0 else 1.0 for s in spread)
    num_classes = int(labels.max()) + 1
    return NpzImages(path, LabelledImages(images, labels, num_classes), mean, std)


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise DataError(f"{path}: a single .npy array, not an .npz archive of arrays")
            missing = [key for key in REQUIRED if key not in archive.files]
            if missing:
                found = ", ".join(sorted(archive.files)) or "none"
                raise DataError(
                    f"{path}: missing array {', '.join(repr(k) for k in missing)} "
                    f"(arrays found: {found})"
                )
            wanted = [*REQUIRED, *(k for k in ("mean", "std") if k in archive.files)]
            return {key: archive[key] for key in wanted}
    except DataError:
        raise
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DataError(f"{path}: not a readable .npz file ({reason})") from None


def _check_images(path: Path, images: np.ndarray) -> np.ndarray:
    if images.dtype != np.uint8 and images.dtype.kind != "f":
        raise DataError(f"{path}: 'images' must be uint8 or floating point, found {images.dtype}")
    if images.ndim != 4:
        raise DataError(f"{path}: 'images' must be N x C x H x W, found shape {list(images.shape)}")
    if images.shape[1] not in (1, 3):
        hint = " (channels last? store N x C x H x W)" if images.shape[3] in (1, 3) else ""
        raise DataError(
            f"{path}: 'images' must have 1 or 3 channels in axis 1, found shape "
            f"{list(images.shape)}{hint}"
        )
    if images.shape[0] < 1 or images.shape[2] < 1 or images.shape[3] < 1:
        raise DataError(f"{path}: 'images' is empty (shape {list(images.shape)})")
    if images.shape[2] != images.shape[3]:
        raise DataError(
            f"{path}: 'images' must be square, found {images.shape[2]}x{images.shape[3]}"
        )
    if images.dtype.kind == "f":
        if not np.isfinite(images).all():
            raise DataError(f"{path}: 'images' holds NaN or infinite values")
        images = images.astype(np.float32)
    return np.ascontiguousarray(images)


def _check_labels(path: Path, labels: np.ndarray, count: int) -> np.ndarray:
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise DataError(
            f"{path}: 'labels' must be a 1-D integer array, found {labels.dtype} "
            f"shape {list(labels.shape)}"
        )
    if labels.shape[0] != count:
        raise DataError(f"{path}: {labels.shape[0]} 'labels' for {count} images")
    if labels.min() < 0:
        raise DataError(f"{path}: 'labels' must be non-negative, found {int(labels.min())}")
    return labels.astype(np.int64)


def _channel_values(
    path: Path, key: str, value: np.ndarray | None, channels: int
) -> tuple[float, ...] | None:
    if value is None:
        return None
    flat = np.asarray(value).reshape(-1)
    if flat.dtype.kind not in "iuf" or flat.size not in (1, channels):
        raise DataError(
            f"{path}: {key!r} must hold 1 or {channels} numbers (one per channel), found "
            f"{value.dtype} shape {list(np.shape(value))}"
        )
    if not np.isfinite(flat).all():
        raise DataError(f"{path}: {key!r} holds NaN or infinite values")
    return tuple(float(v) for v in np.broadcast_to(flat, (channels,)))


def class_count(file: NpzImages, num_classes: int | None) -> int:
    """`num_classes` if given (the labels must fit), else the largest label + 1."""
    if num_classes is None:
        return file.data.num_classes
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ConfigError(f"num_classes must be a positive integer, got {num_classes!r}")
    if file.data.num_classes > num_classes:
        raise DataError(
            f"{file.path}: label {file.data.num_classes - 1} outside 0..{num_classes - 1} "
            f"({num_classes} classes)"
        )
    return num_classes


def prepare(file: NpzImages, pixels: np.ndarray, image_size: int | None) -> torch.Tensor:
    """Selected images -> normalised float32 [B, 3, S, S] (see the module docstring)."""
    if pixels.dtype == np.uint8:
        images = pixels_to_unit(pixels)
    else:
        images = torch.from_numpy(np.array(pixels, dtype=np.float32))
    size = images.shape[-1] if image_size is None else image_size
    images = resize(images, size)
    if file.mean is None or file.std is None:  # a float file, already normalised
        return images.expand(-1, 3, -1, -1).contiguous()
    return normalise(images, file.mean, file.std)
