"""What every input source shares: the batch value, the decoded data set, selection by seed.

Selection and synthetic draws use numpy's PCG64 generator seeded with the caller's seed, so
a batch depends only on (source, split, batch_size, seed, class_balanced) and the files, never
on call order, caching or the process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F

from harness.errors import ConfigError


def batch_content_hash(images: torch.Tensor, labels: torch.Tensor) -> str:
    """sha256 over the exact bytes and shapes of the images (float32) and labels (int64).

    Two batches with identical tensors share the hash whatever their source or seed, so the
    score store can tell whether two runs really saw the same inputs.
    """
    image_array = images.detach().to("cpu", torch.float32).contiguous().numpy()
    label_array = labels.detach().to("cpu", torch.int64).contiguous().numpy()
    digest = hashlib.sha256()
    digest.update(f"images float32 {tuple(image_array.shape)}\n".encode())
    digest.update(image_array.astype("<f4", copy=False).tobytes())
    digest.update(f"labels int64 {tuple(label_array.shape)}\n".encode())
    digest.update(label_array.astype("<i8", copy=False).tobytes())
    return digest.hexdigest()


@dataclass(frozen=True, eq=False)
class ImageBatch:
    """One normalised batch for the proxies, with where it came from and a hash of its bytes.

    `indices` are positions in the source's split (for ImageNet16-120: in the 120-class subset,
    as xautodl's `ImageNet16(..., use_num_of_class_only=120)` numbers them; for synthetic: the
    sample numbers 0..B-1). Compare batches by `content_hash`; tensors make `==` meaningless, so
    equality is identity. The tensors are not copied: a consumer that edits them in place must
    clone first.
    """

    images: torch.Tensor
    labels: torch.Tensor
    num_classes: int
    source: str
    split: str
    indices: tuple[int, ...]
    seed: int
    content_hash: str = field(default="")

    def __post_init__(self) -> None:
        if self.images.dtype != torch.float32 or self.images.dim() != 4:
            raise ValueError(
                f"images must be float32 [B, 3, H, W], got {self.images.dtype} "
                f"{tuple(self.images.shape)}"
            )
        if self.images.shape[1] != 3:
            raise ValueError(f"images must have 3 channels, got {self.images.shape[1]}")
        if self.labels.dtype != torch.int64 or tuple(self.labels.shape) != (self.images.shape[0],):
            raise ValueError(
                f"labels must be int64 [{self.images.shape[0]}], got "
                f"{self.labels.dtype} {tuple(self.labels.shape)}"
            )
        if len(self.indices) != self.images.shape[0]:
            raise ValueError(f"{len(self.indices)} indices for {self.images.shape[0]} images")
        if not self.content_hash:
            object.__setattr__(self, "content_hash", batch_content_hash(self.images, self.labels))

    @property
    def batch_size(self) -> int:
        return int(self.images.shape[0])

    @property
    def image_size(self) -> int:
        return int(self.images.shape[-1])

    def to(self, device: torch.device | str) -> ImageBatch:
        """The same batch on `device`; the hash is kept since the bytes do not change."""
        return replace(self, images=self.images.to(device), labels=self.labels.to(device))


@dataclass(frozen=True, eq=False)
class LabelledImages:
    """A decoded split kept in memory: uint8 pixels [N, C, H, W] and int64 labels [N].

    `class_members[c]` lists the positions of class c, computed once so class-balanced
    selection never rescans the labels. Arrays are made read-only because they are cached
    and shared by every batch of the process.
    """

    pixels: np.ndarray
    labels: np.ndarray
    num_classes: int
    class_members: tuple[np.ndarray, ...] = field(init=False)

    def __post_init__(self) -> None:
        order = np.argsort(self.labels, kind="stable")
        counts = np.bincount(self.labels, minlength=self.num_classes)
        members = tuple(np.split(order, np.cumsum(counts)[:-1]))
        for array in (self.pixels, self.labels, *members):
            array.setflags(write=False)
        object.__setattr__(self, "class_members", members)

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def check_batch_request(batch_size: int, seed: int) -> None:
    """ConfigError unless batch_size is a positive int and seed a non-negative int."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size must be a positive integer, got {batch_size!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")


def balanced_counts(available: Sequence[int], total: int, rng: np.random.Generator) -> np.ndarray:
    """How many items to take per class: as equal as the supply allows, summing to `total`.

    Classes are served round-robin in a seeded order, so with 64 items over 10 classes four
    seeded classes get 7 and six get 6; a class that runs out drops out and the others fill in.
    """
    supply = np.asarray(available, dtype=np.int64)
    if total > supply.sum():
        raise ConfigError(f"cannot draw {total} items from {int(supply.sum())}")
    order = rng.permutation(len(supply))
    counts = np.zeros(len(supply), dtype=np.int64)
    remaining = total
    while remaining > 0:
        open_classes = order[counts[order] < supply[order]]
        if remaining < len(open_classes):
            counts[open_classes[:remaining]] += 1
            break
        step = min(remaining // len(open_classes), int((supply - counts)[open_classes].min()))
        counts[open_classes] += step
        remaining -= step * len(open_classes)
    return counts


def select_indices(
    data: LabelledImages,
    batch_size: int,
    seed: int,
    class_balanced: bool,
    what: str,
    exclude: Sequence[int] = (),
) -> np.ndarray:
    """Positions of a batch in `data`, deterministic in the seed; `what` names it in errors.

    Class-balanced batches come out shuffled, not grouped by class, so a proxy that splits a
    batch in parts still sees every class in each part. Positions in `exclude` (e.g. an
    earlier batch, for a disjoint second one) are never chosen; without any, the draw is
    the same as it always was.
    """
    check_batch_request(batch_size, seed)
    rng = np.random.default_rng(seed)
    excluded = np.unique(np.asarray(exclude, dtype=np.int64))
    if not class_balanced:
        pool = np.setdiff1d(np.arange(len(data)), excluded) if excluded.size else len(data)
        available = pool if isinstance(pool, int) else pool.size
        if batch_size > available:
            raise ConfigError(
                f"batch_size {batch_size} is more than the {available} images of {what}"
                + (" left after the excluded ones" if excluded.size else "")
            )
        chosen = rng.choice(pool, size=batch_size, replace=False)
        return np.asarray(chosen, dtype=np.int64)
    members = data.class_members
    if excluded.size:
        members = [np.setdiff1d(m, excluded, assume_unique=True) for m in members]
    available = sum(len(m) for m in members)
    if batch_size > available:
        raise ConfigError(f"batch_size {batch_size} is more than the {available} images of {what}")
    counts = balanced_counts([len(m) for m in members], batch_size, rng)
    chosen = [
        rng.choice(class_members, size=count, replace=False)
        for class_members, count in zip(members, counts, strict=True)
        if count
    ]
    return rng.permutation(np.concatenate(chosen)).astype(np.int64)


def pixels_to_unit(pixels: np.ndarray) -> torch.Tensor:
    """uint8 [B, C, H, W] -> float32 in [0, 1], as torchvision's ToTensor scales."""
    return torch.from_numpy(np.ascontiguousarray(pixels)).to(torch.float32).div_(255.0)


def resize(images: torch.Tensor, size: int) -> torch.Tensor:
    """Bilinear (antialiased when shrinking) resize to size x size; a no-op at the same size."""
    if images.shape[-2:] == (size, size):
        return images
    return F.interpolate(
        images, size=(size, size), mode="bilinear", align_corners=False, antialias=True
    )


def normalise(images: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """(x - mean) / std per channel in float32; a grey image is first copied to 3 channels."""
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    mean_t = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    std_t = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
    return ((images - mean_t) / std_t).contiguous()


def check_image_size(image_size: int) -> None:
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 1:
        raise ConfigError(f"image_size must be a positive integer, got {image_size!r}")
