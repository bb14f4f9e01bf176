"""Any CSV or Parquet file with an architecture column and named ground-truth columns.

For benchmarks we have no dedicated loader for: the caller says which column holds the
architecture, in which space and encoding, and which columns are ground truth under
which `{dataset}/{metric}/{split}/{epochs}` name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from harness.errors import ConfigError, DataError
from harness.spaces import get_space, list_spaces
from harness.tables._parsing import (
    canonical_keys,
    first_duplicate,
    numeric_column,
    read_csv,
    require_columns,
    truth_rows,
)
from harness.tables._registry import register_table
from harness.tables.base import BenchmarkTable, check_target_name, frame_from_columns
from harness.tables.manifest import checked_source

#: How the architecture column is written: the space's canonical key (or any text form
#: its `canonical_key` accepts) or NASLib's encoding (`key_from_naslib`).
ENCODINGS: tuple[str, ...] = ("canonical", "naslib")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_CSV_SUFFIXES = (".csv",)


@register_table("generic")
def load_generic_from_dir(
    data_dir: Path,
    *,
    path: str | os.PathLike[str],
    space: str,
    arch_column: str,
    targets: Mapping[str, str] | None = None,
    encoding: str = "canonical",
    name: str | None = None,
    verify: bool = True,
    bad_truth: str = "error",
) -> BenchmarkTable:
    """A CSV or Parquet file with a declared architecture column and ground-truth columns.

    Its options come from the caller (a run config's `table_options`): `path`, `space`,
    `arch_column`, and optionally `targets` (ground-truth name -> file column), `encoding`
    and `name`.
    """
    return load_generic(
        path,
        space=space,
        arch_column=arch_column,
        targets=targets,
        encoding=encoding,
        name=name,
        data_dir=data_dir,
        verify=verify,
        bad_truth=bad_truth,
    )


def load_generic(
    path: str | os.PathLike[str],
    *,
    space: str,
    arch_column: str,
    targets: Mapping[str, str] | None = None,
    encoding: str = "canonical",
    name: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    verify: bool = True,
    bad_truth: str = "error",
) -> BenchmarkTable:
    """Load `path` (CSV or Parquet, by suffix) as a table of `space`.

    `targets` maps ground-truth column name -> file column, e.g.
    `{"cifar10/accuracy/test/200": "acc"}`; without it, every file column already named
    like `dataset/metric/split/epochs` is ground truth. Other columns are ignored.
    A relative `path` is read from the working directory, else from `data_dir`.
    Ground truth that cannot be (see `harness.tables.base.bad_truth`) is refused, or
    dropped with a warning under `bad_truth="drop"`.
    """
    _check_option_types(path, space, arch_column, targets, encoding, name)
    if space not in list_spaces():
        raise ConfigError(f"unknown space {space!r} (known: {', '.join(list_spaces())})")
    if encoding not in ENCODINGS:
        raise ConfigError(f"unknown encoding {encoding!r} (known: {', '.join(ENCODINGS)})")
    root = Path(data_dir) if data_dir is not None else Path(".")
    source = checked_source(root, str(path), verify=verify, path=path)
    label = source.name
    raw = _read(Path(source.path), label, arch_column)
    require_columns(raw, [arch_column], label)
    mapping = dict(targets) if targets is not None else _self_named_targets(raw, arch_column)
    if not mapping:
        raise ConfigError(
            f"{label}: no ground-truth columns; pass targets={{'dataset/metric/split/epochs': "
            "'column'}}"
        )
    for target in mapping:
        check_target_name(target)
    require_columns(raw, mapping.values(), label)

    def row_label(position: int, _raw: object = None) -> str:
        return f"row {position + 1}"

    module = get_space(space)
    convert = module.canonical_key if encoding == "canonical" else module.key_from_naslib
    keys = canonical_keys(raw[arch_column], convert, label, row_label)
    duplicate = first_duplicate(keys)
    if duplicate is not None:
        key, position = duplicate
        raise DataError(f"{label}: {row_label(position)}: architecture {key!r} appears twice")
    columns = {
        target: numeric_column(raw, column, label, row_label, allow_missing=True).to_numpy()
        for target, column in mapping.items()
    }
    keep, warning = truth_rows(columns, label, row_label, bad_truth)
    indices = [i for i, kept in enumerate(keep) if kept]
    if not indices:
        raise DataError(f"{label}: every row was dropped (bad_truth=drop)")
    notes = (warning,) if warning else ()
    return BenchmarkTable(
        name=name or Path(label).stem,
        space=space,
        frame=frame_from_columns(
            [keys[i] for i in indices], {t: v[indices] for t, v in columns.items()}
        ),
        sources=(source,),
        notes=notes,
        warnings=notes,
    )


def _check_option_types(
    path: object,
    space: object,
    arch_column: object,
    targets: object,
    encoding: object,
    name: object,
) -> None:
    """Options typed in a config file arrive unchecked: a wrong type is a ConfigError."""
    if not isinstance(path, str | os.PathLike) or not str(path):
        raise ConfigError(f"generic table option path must be a file name, got {path!r}")
    for option, value in (("space", space), ("arch_column", arch_column), ("encoding", encoding)):
        if not isinstance(value, str):
            raise ConfigError(f"generic table option {option} must be text, got {value!r}")
    if name is not None and not isinstance(name, str):
        raise ConfigError(f"generic table option name must be text, got {name!r}")
    if targets is not None and not (
        isinstance(targets, Mapping)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in targets.items())
    ):
        raise ConfigError(
            "generic table option targets must map ground-truth names to file columns "
            f"(e.g. {{'cifar10/accuracy/test/200' = 'acc'}}), got {targets!r}"
        )


def _read(path: Path, label: str, arch_column: str) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in _CSV_SUFFIXES:
        return read_csv(path, label, text_columns=[arch_column])
    if suffix in _PARQUET_SUFFIXES:
        try:
            frame = pd.read_parquet(path)
        except Exception as err:  # pyarrow raises many types for a damaged file
            text = str(err).strip().splitlines()
            raise DataError(
                f"{label}: malformed Parquet ({text[0] if text else type(err).__name__})"
            ) from None
        if len(frame) == 0:
            raise DataError(f"{label}: no rows (empty table)")
        return frame
    raise ConfigError(
        f"{label}: unknown table format {suffix or '(no suffix)'!r} "
        f"(known: {', '.join(_CSV_SUFFIXES + _PARQUET_SUFFIXES)})"
    )


def _self_named_targets(raw: pd.DataFrame, arch_column: str) -> dict[str, str]:
    named = {}
    for column in raw.columns:
        parts = str(column).split("/")
        if column != arch_column and len(parts) == 4 and all(parts):
            named[str(column)] = str(column)
    return named
