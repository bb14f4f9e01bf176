"""Images for supernet training and ranking: a fixed train subset and a disjoint held-out part.

Both come from one seeded draw of the source's train split (harness.inputs `load_batch`,
class-balanced by default): the first `train_images` images train the supernet, the next
`heldout_images` rank the subnets. This mirrors NAS-Bench-201's search split (train half /
valid half of the training set); the draw is fixed by `data.seed`, independent of the
training seed, so every method and seed sees the same images. Held-out images are
normalised but never augmented.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from harness.distill.config import DataConfig
from harness.inputs import load_batch_or_synthetic


@dataclass(frozen=True, eq=False)
class SupernetData:
    train_images: torch.Tensor
    train_labels: torch.Tensor
    heldout_images: torch.Tensor
    heldout_labels: torch.Tensor
    num_classes: int
    source: str
    content_hash: str
    notes: tuple[str, ...] = ()

    def to(self, device: torch.device) -> SupernetData:
        return SupernetData(
            self.train_images.to(device),
            self.train_labels.to(device),
            self.heldout_images.to(device),
            self.heldout_labels.to(device),
            self.num_classes,
            self.source,
            self.content_hash,
            self.notes,
        )


def load_supernet_data(config: DataConfig) -> SupernetData:
    """The train subset and the held-out part (see the module docstring)."""

    batch, notes = load_batch_or_synthetic(
        config.source,
        fallback_classes=10,
        fallback=config.fallback_to_synthetic,
        instead="training on synthetic Gaussian images instead (smoke run)",
        label="data fallback",
        path=config.path or None,
        batch_size=config.train_images + config.heldout_images,
        seed=config.seed,
        split="train",
        class_balanced=config.class_balanced,
        image_size=config.image_size or None,
    )
    n = config.train_images
    return SupernetData(
        train_images=batch.images[:n],
        train_labels=batch.labels[:n],
        heldout_images=batch.images[n:],
        heldout_labels=batch.labels[n:],
        num_classes=batch.num_classes,
        source=batch.source,
        content_hash=batch.content_hash,
        notes=tuple(notes),
    )


def crop_flip(images: torch.Tensor, generator: torch.Generator, padding: int = 4) -> torch.Tensor:
    """Random `padding`-pixel crop (zero padding) and horizontal flip of each image."""
    batch, _, height, width = images.shape
    device = images.device
    padded = F.pad(images, (padding, padding, padding, padding))
    dy = torch.randint(0, 2 * padding + 1, (batch, 1), generator=generator).to(device)
    dx = torch.randint(0, 2 * padding + 1, (batch, 1), generator=generator).to(device)
    flip = torch.rand(batch, 1, generator=generator).lt(0.5).to(device)
    columns = torch.arange(width, device=device).expand(batch, width)
    columns = torch.where(flip, width - 1 - columns, columns) + dx
    rows = torch.arange(height, device=device).expand(batch, height) + dy
    picked = padded[
        torch.arange(batch, device=device)[:, None, None], :, rows[:, :, None], columns[:, None, :]
    ]  # [B, H, W, C]
    return picked.permute(0, 3, 1, 2).contiguous()


def train_batches(
    data: SupernetData, batch_size: int, rng: np.random.Generator, augment: str
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of shuffled mini-batches (the last one may be smaller)."""
    order = torch.from_numpy(rng.permutation(len(data.train_labels)))
    generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size].to(data.train_images.device)
        images = data.train_images[index]
        if augment == "crop_flip":
            images = crop_flip(images, generator)
        yield images, data.train_labels[index]


def steps_per_epoch(data: SupernetData, batch_size: int) -> int:
    return -(-len(data.train_labels) // batch_size)
