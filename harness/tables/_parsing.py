"""Plumbing shared by the loaders: reading files and keys with one-line errors."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.errors import ArchitectureError, DataError
from harness.tables.base import ACCURACY_RANGE, DEFAULT_METRIC, TruthCheck, split_target_name


def read_json(path: Path, label: str) -> Any:
    """Parse a JSON file; a truncated or malformed file is a DataError naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"{label}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    if not text.strip():
        raise DataError(f"{label}: empty file")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise DataError(
            f"{label}: malformed JSON ({err.msg} at line {err.lineno} column {err.colno}); "
            "is the file truncated?"
        ) from None


def read_csv(path: Path, label: str, text_columns: Iterable[str] = ()) -> pd.DataFrame:
    """Read a CSV with the named columns kept as text; unreadable or empty is a DataError."""
    try:
        frame = pd.read_csv(path, dtype={c: str for c in text_columns}, keep_default_na=True)
    except pd.errors.EmptyDataError:
        raise DataError(f"{label}: empty file") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as err:
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"{label}: malformed CSV ({first_line})") from None
    if len(frame) == 0:
        raise DataError(f"{label}: no rows (empty table)")
    return frame


def require_columns(frame: pd.DataFrame, columns: Iterable[str], label: str) -> None:
    for column in columns:
        if column not in frame.columns:
            raise DataError(f"{label}: missing column {column!r}")


def numeric_column(
    frame: pd.DataFrame,
    column: str,
    label: str,
    row_label: Callable[[int], str],
    *,
    allow_missing: bool = False,
) -> pd.Series:
    """A float column; a non-numeric cell is a DataError naming its row, and so is an
    empty one unless `allow_missing` (it is NaN then, for `TruthCheck` to judge)."""
    values = pd.to_numeric(frame[column], errors="coerce").astype(float)
    bad = values.isna()
    if allow_missing:
        bad &= frame[column].notna()
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        raw = frame[column].iloc[position]
        problem = "is empty" if pd.isna(raw) else f"is not a number: {raw!r}"
        raise DataError(f"{label}: {row_label(position)}: column {column!r} {problem}")
    return values


def canonical_keys(
    raw_keys: Iterable[object],
    convert: Callable[[str], str],
    label: str,
    row_label: Callable[[int, object], str],
) -> list[str]:
    """Convert every raw key; an invalid one is an ArchitectureError naming file and row."""
    keys = []
    for position, raw in enumerate(raw_keys):
        if not isinstance(raw, str) or not raw.strip():
            raise ArchitectureError(
                f"{label}: {row_label(position, raw)}: missing architecture key"
            )
        try:
            keys.append(convert(raw))
        except ArchitectureError as err:
            raise ArchitectureError(f"{label}: {row_label(position, raw)}: {err}") from None
    return keys


def first_duplicate(keys: Iterable[str]) -> tuple[str, int] | None:
    """The first key seen twice, with the position of its second occurrence."""
    seen: set[str] = set()
    for position, key in enumerate(keys):
        if key in seen:
            return key, position
        seen.add(key)
    return None


def as_float(value: object, where: str) -> float:
    """A JSON number (or null, meaning a failed computation: NaN) as a float."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataError(f"{where}: expected a number, got {value!r}")
    return float(value)


def truth_rows(
    columns: dict[str, Any],
    label: str,
    row_label: Callable[[int], str],
    policy: str,
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> tuple[list[bool], str | None]:
    """Which rows of ground-truth `columns` (target -> values) to keep under `policy`
    (see `TruthCheck`, with its `ranges`), and the table's warning when some were dropped.

    Columns whose every value is good are checked at once; the rows are judged one by one
    (first bad value, counted drops) only when some value is not."""

    check = TruthCheck(label, policy, ranges)
    n = len(next(iter(columns.values()))) if columns else 0
    if all(
        _all_good(target, values, check.ranges.get(target)) for target, values in columns.items()
    ):
        return [True] * n, None
    keep = [
        all(check.keep(row_label(i), target, values[i]) for target, values in columns.items())
        for i in range(n)
    ]
    return keep, check.warning()


def _all_good(target: str, values: Any, value_range: tuple[float, float] | None) -> bool:
    """Whether every value of a column is good ground truth (`bad_truth` finds nothing)."""
    array = np.asarray(values, dtype=float)
    if not np.isfinite(array).all():
        return False
    if value_range is None and split_target_name(target).metric == DEFAULT_METRIC:
        value_range = ACCURACY_RANGE
    if value_range is None:
        return True
    low, high = value_range
    return bool(((array >= low) & (array <= high)).all())
