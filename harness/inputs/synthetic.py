"""Synthetic Gaussian batches: N(0, 1) pixels and uniform labels, deterministic in the seed.

The fallback when no image files are at hand, and the cheapest input for tests. Pixels are
already zero-mean unit-variance, so no normalisation follows. "train" and "test" draw from
different streams of the same seed, so the two splits never share a batch.
"""

from __future__ import annotations

import numpy as np
import torch

from harness.errors import ConfigError
from harness.inputs.base import ImageBatch, balanced_counts, check_batch_request, check_image_size

NAME = "synthetic"
SPLITS = ("train", "test")
DEFAULT_NUM_CLASSES = 10
DEFAULT_IMAGE_SIZE = 32


def make_batch(
    *,
    batch_size: int,
    seed: int,
    split: str = "train",
    class_balanced: bool = False,
    image_size: int | None = None,
    num_classes: int | None = None,
) -> ImageBatch:
    """A [B, 3, S, S] float32 N(0, 1) batch with labels over `num_classes` (default 10).

    `class_balanced` gives every class batch_size // num_classes labels and spreads the
    remainder over seeded classes, in a shuffled order.
    """
    check_batch_request(batch_size, seed)
    size = DEFAULT_IMAGE_SIZE if image_size is None else image_size
    check_image_size(size)
    classes = DEFAULT_NUM_CLASSES if num_classes is None else num_classes
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 1:
        raise ConfigError(f"num_classes must be a positive integer, got {classes!r}")
    rng = np.random.default_rng([seed, SPLITS.index(split)])
    pixels = rng.standard_normal((batch_size, 3, size, size), dtype=np.float32)
    if class_balanced:
        counts = balanced_counts([batch_size] * classes, batch_size, rng)
        labels = rng.permutation(np.repeat(np.arange(classes), counts))
    else:
        labels = rng.integers(0, classes, size=batch_size)
    return ImageBatch(
        images=torch.from_numpy(pixels),
        labels=torch.from_numpy(labels.astype(np.int64)),
        num_classes=classes,
        source=NAME,
        split=split,
        indices=tuple(range(batch_size)),
        seed=seed,
    )
