"""Batches as the commands ask for them: a source's batch, or synthetic ones with notes.

`load_batch_or_synthetic` is `load_batch` that falls back to synthetic Gaussian inputs
(with a printed warning and a note for the results) when the source's files are absent;
`disjoint_batch` draws a second batch of the first's source that never repeats one of
its images; `load_batches` gives both, as `harness run`, `harness search` and the
distillation teacher score on them, and resolves source `auto` from the target data set
(`harness.inputs.auto`), printing its note and keeping it with the others.
"""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass
from typing import Any

from harness.errors import DataError
from harness.inputs import load_batch
from harness.inputs.auto import NAME as AUTO
from harness.inputs.auto import choose_source
from harness.inputs.base import ImageBatch
from harness.seeds import SECOND_BATCH, derive_seed

#: What the fallback's message says is done instead, by default.
SYNTHETIC_INSTEAD = "using synthetic Gaussian inputs instead"


@dataclass(frozen=True)
class Batches:
    """The batch every proxy reads, a second disjoint one for proxies that need two (ZiCo;
    None when no requested proxy does), and notes on how they were obtained."""

    first: ImageBatch
    second: ImageBatch | None
    notes: list[str]


def load_batch_or_synthetic(
    source: str,
    *,
    fallback_classes: int,
    fallback: bool = True,
    instead: str = SYNTHETIC_INSTEAD,
    label: str = "input fallback",
    warn: bool = True,
    stacklevel: int = 2,
    **options: Any,
) -> tuple[ImageBatch, list[str]]:
    """`load_batch(source, **options)` and its notes: none, or when the files are absent
    (DataError) and `fallback` holds, `"{label}: {error}; {instead}"` for a synthetic
    batch of `fallback_classes` classes drawn with the same options (printed as a WARNING to
    stderr first, and with `warn` also a Python warning attributed `stacklevel` frames up
    from this call: 1 its caller, 2 the caller's caller). Without `fallback` the
    DataError propagates."""
    notes: list[str] = []
    try:
        batch = load_batch(source, **options)
    except DataError as exc:
        if not fallback:
            raise
        message = f"{exc}; {instead}"
        print(f"WARNING: {message}", file=sys.stderr)
        if warn:
            warnings.warn(message, stacklevel=stacklevel + 1)
        notes.append(f"{label}: {message}")
        options.pop("path", None)  # synthetic inputs read no files
        options["num_classes"] = fallback_classes
        batch = load_batch("synthetic", **options)
    return batch, notes


def disjoint_batch(first: ImageBatch, **options: Any) -> ImageBatch:
    """A second batch of `first`'s source and class count, drawn with a seed derived from
    `first`'s, never repeating one of its images (`options`: `load_batch`'s size, split,
    balance, path and image size, as for the first)."""
    return load_batch(
        first.source,
        seed=derive_seed(first.seed, SECOND_BATCH),
        exclude=first.indices,
        num_classes=first.num_classes,
        **options,
    )


def load_batches(
    source: str,
    *,
    seed: int,
    num_classes: int,
    second: bool,
    fallback: bool = True,
    path: str | None = None,
    dataset: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    stacklevel: int = 2,
    **options: Any,
) -> Batches:
    """The first batch (synthetic over `num_classes` classes, with a note, if the files
    are absent and `fallback` holds) and, if `second`, a disjoint second one of the same
    size and source, noted. Source `auto` reads `dataset`'s own images if found (in `path`,
    the data folder `data_dir`, then the usual places), else Fashion-MNIST with a note.
    `stacklevel` places the fallback's Python warning as in `load_batch_or_synthetic`."""
    notes: list[str] = []
    if str(source).strip().lower() == AUTO:
        choice = choose_source(dataset, data_dir=data_dir, path=path)
        source, path = choice.source, choice.path
        for note in choice.notes:
            print(f"harness: note: {note}", file=sys.stderr)
        notes += choice.notes
    first, fallback_notes = load_batch_or_synthetic(
        source,
        fallback_classes=num_classes,
        fallback=fallback,
        stacklevel=stacklevel + 1,
        path=path,
        seed=seed,
        **options,
    )
    notes += fallback_notes
    other = None
    if second:
        other = disjoint_batch(first, path=path, **options)
        notes.append(
            f"second batch (proxies that need two, e.g. zico): {other.batch_size} more "
            f"{other.source} images, disjoint from the first, content hash {other.content_hash}"
        )
    return Batches(first, other, notes)
