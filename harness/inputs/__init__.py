"""Image batches for the proxies. `load_batch(source, ...)` is the front door.

Sources: "fashion-mnist" (idx files, 10 classes, padded to 32x32), "cifar10", "cifar100"
(torchvision python pickles), "imagenet16-120" (NAS-Bench-201 pickles, 16x16), "npz" (your
own images and labels in one .npz file) and "synthetic" (Gaussian). Names are matched
ignoring case and `_` vs `-`. "auto" (the default of run configs) is no source of its own:
`load_batches` resolves it from the target data set (`harness.inputs.auto`): the target's
own images when found, else Fashion-MNIST with a note, else synthetic with a warning.

A batch depends only on (source, split, batch_size, seed, class_balanced, image_size) and
the files: the same request gives the same indices and the same bytes in any process.
Images are a plain selection of the data set, normalised, with no augmentation: the proxy
literature sometimes scores a train-loader batch with random crop and flip, which would tie
scores to augmentation noise; we leave it out on purpose (no `augment` option).

Decoded data sets are cached per process (one read of a split per folder), and only the
selected images are converted to float per batch.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from harness.errors import ConfigError
from harness.inputs import auto, cifar, fashion_mnist, imagenet16, npz, synthetic
from harness.inputs.archives import (
    IMAGE_ARCHIVES,
    IMAGENET16_GUIDE,
    ImageArchive,
    check_unpacked,
    unpack_archive,
)
from harness.inputs.auto import LABELS as IMAGE_LABELS
from harness.inputs.auto import AutoChoice, choose_source, describe_images, image_set_states
from harness.inputs.base import (
    ImageBatch,
    LabelledImages,
    batch_content_hash,
    check_batch_request,
    check_image_size,
    select_indices,
)
from harness.inputs.fashion_mnist import fashion_mnist_available
from harness.registry import Registry

__all__ = [
    "IMAGENET16_GUIDE",
    "IMAGE_LABELS",
    "IMAGE_ARCHIVES",
    "AutoChoice",
    "Batches",
    "ImageArchive",
    "check_unpacked",
    "choose_source",
    "describe_images",
    "image_set_states",
    "unpack_archive",
    "ImageBatch",
    "batch_content_hash",
    "clear_cache",
    "disjoint_batch",
    "fashion_mnist_available",
    "list_sources",
    "load_batch",
    "load_batch_or_synthetic",
    "load_batches",
]

PathLike = str | os.PathLike[str] | None


@dataclass(frozen=True)
class _FileSource:
    """How the front door reads one file-backed source."""

    num_classes: int
    splits: tuple[str, ...]
    load: Callable[[PathLike, str], LabelledImages]
    prepare: Callable[[np.ndarray, int | None], torch.Tensor]
    split_aliases: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class _SyntheticSource:
    """The synthetic (Gaussian) source: made, not read from files."""


@dataclass(frozen=True)
class _AutoSource:
    """`auto`: resolved to a real source from the target data set by `load_batches`."""


@dataclass(frozen=True)
class _NpzSource:
    """The user's own .npz file: its class count and statistics come from the file."""


#: Every input source by name (`list_sources`, `canonical_source`, `load_batch`).
SOURCES: Registry[_FileSource | _SyntheticSource | _NpzSource | _AutoSource] = Registry(
    "input source"
)
SOURCES.register(auto.NAME, _AutoSource())
SOURCES.register(
    fashion_mnist.NAME,
    _FileSource(
        fashion_mnist.NUM_CLASSES,
        fashion_mnist.SPLITS,
        fashion_mnist.load_images,
        fashion_mnist.prepare,
    ),
)
for _name, _variant in cifar.VARIANTS.items():
    SOURCES.register(
        _name,
        _FileSource(
            _variant.num_classes,
            cifar.SPLITS,
            functools.partial(cifar.load_images, _name),
            functools.partial(cifar.prepare, _name),
        ),
    )
SOURCES.register(
    imagenet16.NAME,
    _FileSource(
        imagenet16.NUM_CLASSES,
        imagenet16.SPLITS,
        imagenet16.load_images,
        imagenet16.prepare,
        tuple(imagenet16.SPLIT_ALIASES.items()),
    ),
)
SOURCES.register(npz.NAME, _NpzSource())
SOURCES.register(synthetic.NAME, _SyntheticSource())


def list_sources() -> list[str]:
    """Names `load_batch` accepts."""
    return SOURCES.names()


def canonical_source(name: str) -> str:
    """The registered spelling of a source name ("ImageNet16_120" -> "imagenet16-120")."""
    spelled = str(name).strip().lower().replace("_", "-")
    if spelled not in SOURCES:
        raise SOURCES.unknown(str(name))
    return spelled


def clear_cache() -> None:
    """Forget decoded data sets (they are kept per process for speed)."""
    fashion_mnist._load_cached.cache_clear()
    cifar._load_cached.cache_clear()
    imagenet16._load_cached.cache_clear()
    npz._load_cached.cache_clear()


def load_batch(
    source: str,
    *,
    batch_size: int,
    seed: int,
    split: str = "train",
    class_balanced: bool = False,
    path: PathLike = None,
    image_size: int | None = None,
    num_classes: int | None = None,
    exclude: Sequence[int] = (),
) -> ImageBatch:
    """A normalised float32 [B, 3, S, S] batch of `source`, chosen by `seed`.

    `path` is the data folder (default: each source's usual place). `image_size` None keeps
    each source's natural size: 32 for Fashion-MNIST (padded), CIFAR and synthetic, 16 for
    ImageNet16-120. `num_classes` sets the synthetic label range; for a file source it may
    only repeat the data set's own count. `class_balanced` draws as equal a number per class
    as the data allow. `exclude` lists positions never to choose (a disjoint second batch;
    synthetic batches are disjoint by their seed). Errors: ConfigError (bad request),
    DataError (missing or bad files).
    """
    name = canonical_source(source)
    check_batch_request(batch_size, seed)
    if image_size is not None:
        check_image_size(image_size)
    spec = SOURCES[name]
    if isinstance(spec, _AutoSource):
        raise ConfigError(
            "input source auto follows the target data set: it is resolved by a run "
            "(load_batches with the data set), not by load_batch; name a source"
        )
    if isinstance(spec, _SyntheticSource):
        if split not in synthetic.SPLITS:
            raise ConfigError(f"split {split!r} is not one of {', '.join(synthetic.SPLITS)}")
        return synthetic.make_batch(
            batch_size=batch_size,
            seed=seed,
            split=split,
            class_balanced=class_balanced,
            image_size=image_size,
            num_classes=num_classes,
        )
    if isinstance(spec, _NpzSource):
        return _npz_batch(
            path, batch_size, seed, split, class_balanced, image_size, num_classes, exclude
        )
    split = dict(spec.split_aliases).get(split, split)
    if split not in spec.splits:
        raise ConfigError(f"split {split!r} of {name} is not one of {', '.join(spec.splits)}")
    if num_classes is not None and num_classes != spec.num_classes:
        raise ConfigError(f"num_classes {num_classes} does not match {name}'s {spec.num_classes}")
    data = spec.load(path, split)
    indices = select_indices(
        data, batch_size, seed, class_balanced, f"{name} {split}", exclude=exclude
    )
    return ImageBatch(
        images=spec.prepare(data.pixels[indices], image_size),
        labels=torch.from_numpy(data.labels[indices].copy()),
        num_classes=spec.num_classes,
        source=name,
        split=split,
        indices=tuple(int(i) for i in indices),
        seed=seed,
    )


def _npz_batch(
    path: PathLike,
    batch_size: int,
    seed: int,
    split: str,
    class_balanced: bool,
    image_size: int | None,
    num_classes: int | None,
    exclude: Sequence[int],
) -> ImageBatch:
    """`load_batch` of the npz source: the file named by `path` (see `harness.inputs.npz`)."""
    split = npz.SPLIT_ALIASES.get(split, split)
    if split != npz.SPLIT:
        raise ConfigError(f"split {split!r} of npz is not one of all, train, test")
    file = npz.load_images(path)
    classes = npz.class_count(file, num_classes)
    indices = select_indices(
        file.data, batch_size, seed, class_balanced, str(file.path), exclude=exclude
    )
    return ImageBatch(
        images=npz.prepare(file, file.data.pixels[indices], image_size),
        labels=torch.from_numpy(file.data.labels[indices].copy()),
        num_classes=classes,
        source=npz.NAME,
        split=split,
        indices=tuple(int(i) for i in indices),
        seed=seed,
    )


from harness.inputs.batches import (  # noqa: E402  (uses load_batch above)
    Batches,
    disjoint_batch,
    load_batch_or_synthetic,
    load_batches,
)
