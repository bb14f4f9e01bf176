"""NAS-Bench-201 / NATS-Bench topology test accuracies from the exported CSV.

The file lists all 15,625 cells in the benchmark's own index order with test accuracy
after 200 epochs (mean over seeds): CIFAR-10 trained on train+valid (NAS-Bench-201's
`cifar10`), CIFAR-100 and ImageNet16-120 on their `x-test` halves. The exporter's
`UniqueString` column is ignored; isomorphism comes from `harness.spaces.nb201`.

When the data folder lacks the CSV (and no `path=` names one), `nb201-csv` reads the
package's embedded copy of the same numbers (`harness.tables.embedded`) and says so in
its sources and notes; `nb201-embedded` always reads the embedded copy.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from harness.errors import DataError
from harness.spaces import get_space
from harness.tables._parsing import (
    canonical_keys,
    first_duplicate,
    numeric_column,
    read_csv,
    require_columns,
    truth_rows,
)
from harness.tables._registry import register_table
from harness.tables.base import BenchmarkTable, SourceFile, frame_from_columns, target_name
from harness.tables.embedded import embedded_note, embedded_source, read_embedded_nb201
from harness.tables.manifest import checked_source

FILE = "nb201/nats_tss_test_accuracy.csv"
ARCH_COLUMN = "ArchitectureString"
#: Cells of the NAS-Bench-201 space: the file has one row per benchmark index.
NB201_CELLS = 15_625
#: File column -> ground-truth column.
COLUMNS: dict[str, str] = {
    "CIFAR10TestAccuracy200Epochs": target_name("cifar10", "test", 200),
    "CIFAR100TestAccuracy200Epochs": target_name("cifar100", "test", 200),
    "ImageNetTestAccuracy200Epochs": target_name("ImageNet16-120", "test", 200),
}


def nb201_table(
    name: str,
    keys: Sequence[str],
    columns: Mapping[str, np.ndarray],
    *,
    sources: tuple[SourceFile, ...],
    notes: tuple[str, ...] = (),
    indices: Sequence[int] | None = None,
    warnings: tuple[str, ...] = (),
) -> BenchmarkTable:
    """A table of NB201 cells given in benchmark index order (row i = index i, or the
    benchmark index `indices[i]` when some rows were dropped)."""
    frame = frame_from_columns(list(keys), dict(columns))
    index = range(len(keys)) if indices is None else list(indices)
    return BenchmarkTable(
        name=name,
        space="nb201",
        frame=frame,
        sources=sources,
        benchmark_index=pd.Series(index, index=frame.index, name="benchmark_index"),
        notes=notes,
        warnings=warnings,
    )


@register_table("nb201-csv", files=(FILE,), embedded=True, default_target="cifar10/test/200")
def load_nb201_csv(
    data_dir: Path,
    *,
    verify: bool = True,
    path: str | os.PathLike[str] | None = None,
    bad_truth: str = "error",
    complete: bool = True,
) -> BenchmarkTable:
    """NAS-Bench-201 test accuracy at 200 epochs, all 15,625 cells (CSV; else embedded).

    Without `path`, a data folder that lacks the CSV gets the package's embedded copy.
    With `complete` (default) the file must hold every cell, one row per benchmark index,
    so a file cut on a row boundary is refused even where the manifest does not pin it;
    `complete=False` accepts a partial file (e.g. made by hand for a test).
    """
    if path is None and not (data_dir / FILE).is_file():
        return _embedded("nb201-csv")
    source = checked_source(data_dir, FILE, verify=verify, path=path)
    label = source.name
    raw = read_csv(Path(source.path), label, text_columns=[ARCH_COLUMN])
    require_columns(raw, [ARCH_COLUMN, *COLUMNS], label)

    def row_label(position: int, _raw: object = None) -> str:
        return f"line {position + 2}"  # 1-based, after the header

    space = get_space("nb201")
    keys = canonical_keys(raw[ARCH_COLUMN], space.canonical_key, label, row_label)
    duplicate = first_duplicate(keys)
    if duplicate is not None:
        key, position = duplicate
        raise DataError(f"{label}: {row_label(position)}: architecture {key!r} appears twice")
    columns = {
        target: numeric_column(raw, column, label, row_label, allow_missing=True).to_numpy()
        for column, target in COLUMNS.items()
    }
    keep, warning = truth_rows(columns, label, row_label, bad_truth)
    if complete and len(keys) != NB201_CELLS:
        raise DataError(
            f"{label}: {len(keys):,} rows, but NAS-Bench-201 has {NB201_CELLS:,} cells, one per "
            "index: is the file truncated? (complete=False loads a partial file)"
        )
    indices = [i for i, kept in enumerate(keep) if kept]
    if not indices:
        raise DataError(f"{label}: every row was dropped (bad_truth=drop)")
    warnings = (warning,) if warning else ()
    return nb201_table(
        "nb201-csv",
        [keys[i] for i in indices],
        {t: values[indices] for t, values in columns.items()},
        sources=(source,),
        notes=warnings,
        indices=indices,
        warnings=warnings,
    )


@register_table("nb201-embedded", embedded=True, default_target="cifar10/test/200")
def load_nb201_embedded(data_dir: Path) -> BenchmarkTable:  # noqa: ARG001
    """NAS-Bench-201 test accuracy at 200 epochs, all 15,625 cells (embedded in the package)."""
    return _embedded("nb201-embedded")


def _embedded(name: str) -> BenchmarkTable:
    embedded = read_embedded_nb201()
    return nb201_table(
        name,
        embedded.arch_keys,
        embedded.columns,
        sources=(embedded_source(embedded),),
        notes=(embedded_note(embedded.provenance),),
    )
