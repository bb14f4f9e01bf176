"""NAS-Bench-Suite-Zero files (NASLib's `zc_nasbench{201,301,101}.json`).

Each file holds, per dataset and architecture, NASLib's `val_accuracy` (ground truth)
and the scores of its zero-cost proxies (reference scores, kept apart). Which
ground-truth column `val_accuracy` is:

- NB201 `cifar10` -> `cifar10-valid/accuracy/valid/200`: NASLib answers CIFAR-10
  validation queries from NAS-Bench-201's `cifar10-valid` run (trained on the train
  half, evaluated on the valid half; `graph.py` maps dataset `cifar10` to
  `cifar10-valid`), so it is not the `cifar10` (train+valid -> test) figure of the CSV;
- NB201 `cifar100` / `ImageNet16-120` -> `{dataset}/accuracy/valid/200`: the `x-valid`
  half of the original test set, after the 200-epoch schedule (close to, but not equal
  to, the `x-test` figures of the CSV);
- NB301 `cifar10` -> `cifar10/accuracy/valid/100`: the NAS-Bench-301 surrogate's
  validation accuracy (100 epochs);
- NB101 `cifar10` -> `cifar10/accuracy/valid/108`: NAS-Bench-101 validation accuracy
  after 108 epochs.

Reference scores keep the dataset the proxy saw (`cifar10`, `cifar100`,
`ImageNet16-120`); `seconds` is NaN where the file has no timings (NB101).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from harness.errors import ArchitectureError, ConfigError, DataError
from harness.spaces import get_space
from harness.tables._parsing import as_float, read_json
from harness.tables._registry import register_table
from harness.tables.base import (
    REFERENCE_COLUMNS,
    BenchmarkTable,
    TruthCheck,
    frame_from_columns,
    target_name,
)
from harness.tables.manifest import checked_source

#: Record fields that are neither proxies nor ground truth.
_ID_FIELDS = frozenset({"idx", "arch"})
GROUND_TRUTH_FIELD = "val_accuracy"
#: What to do with records whose keys share a canonical key (see the NB101 loader).
#: How records whose keys share a canonical key are treated: averaged, first kept, refused,
#: or kept apart under the key exactly as the file wrote it (`as-written`: NASLib's own
#: view of the records, which reproduces the published per-record figures; the index then
#: holds the file's specs, pruned or not, rather than canonical keys).
DUPLICATE_POLICIES: tuple[str, ...] = ("mean", "first", "error", "as-written")

#: NASLib's name of a proxy -> the harness proxy that computes NASLib's definition, where
#: the two differ (docs/conformance.md, both checked against foresight): NASLib's synflow
#: replaces every BN by the identity, its fisher weights each channel by its fan-in. Every
#: other proxy of the Suite-Zero files (and of their whole-space release) is ours by name.
HARNESS_PROXY: dict[str, str] = {"synflow": "synflow_nobn", "fisher": "fisher_fanin"}

NB201_FILE = "suite_zero/zc_nasbench201.json"
NB301_FILE = "suite_zero/zc_nasbench301.json"
NB101_FILE = "suite_zero/zc_nasbench101.json"

#: File dataset -> ground-truth column of its `val_accuracy`, per file.
NB201_TARGETS: dict[str, str] = {
    "cifar10": target_name("cifar10-valid", "valid", 200),
    "cifar100": target_name("cifar100", "valid", 200),
    "ImageNet16-120": target_name("ImageNet16-120", "valid", 200),
}
NB301_TARGETS: dict[str, str] = {"cifar10": target_name("cifar10", "valid", 100)}
NB101_TARGETS: dict[str, str] = {"cifar10": target_name("cifar10", "valid", 108)}


@register_table(
    "suite-zero-nb201",
    files=(NB201_FILE,),
    default_target=NB201_TARGETS["cifar10"],
    truth_table="nb201-csv",
)
def load_suite_zero_nb201(
    data_dir: Path,
    *,
    verify: bool = True,
    path: str | os.PathLike[str] | None = None,
    duplicates: str = "mean",
    bad_truth: str = "error",
) -> BenchmarkTable:
    """Suite-Zero NAS-Bench-201 sample: val accuracy + 12 proxies on 3 datasets."""
    return _load(
        "suite-zero-nb201", "nb201", NB201_FILE, NB201_TARGETS, None,
        data_dir, verify, path, duplicates, bad_truth,
    )  # fmt: skip


@register_table("suite-zero-nb301", files=(NB301_FILE,), default_target=NB301_TARGETS["cifar10"])
def load_suite_zero_nb301(
    data_dir: Path,
    *,
    verify: bool = True,
    path: str | os.PathLike[str] | None = None,
    duplicates: str = "mean",
    bad_truth: str = "error",
) -> BenchmarkTable:
    """Suite-Zero NAS-Bench-301 (DARTS) sample: surrogate val accuracy + proxies, CIFAR-10."""
    return _load(
        "suite-zero-nb301", "darts", NB301_FILE, NB301_TARGETS, None,
        data_dir, verify, path, duplicates, bad_truth,
    )  # fmt: skip


@register_table("suite-zero-nb101", files=(NB101_FILE,), default_target=NB101_TARGETS["cifar10"])
def load_suite_zero_nb101(
    data_dir: Path,
    *,
    verify: bool = True,
    path: str | os.PathLike[str] | None = None,
    duplicates: str = "mean",
    bad_truth: str = "error",
) -> BenchmarkTable:
    """Suite-Zero NAS-Bench-101 sample: val accuracy at 108 epochs + proxies, CIFAR-10.

    The file's 500 records are 292 NAS-Bench-101 architectures: many keys differ only in
    vertices that NAS-Bench-101 prunes (not on an input -> output path) or in vertex
    order, and their `val_accuracy` values are single-seed results of the same
    benchmark entry. With `duplicates="mean"` (default) they are averaged, like the
    benchmark's own seed mean; `"first"` keeps the first record; `"error"` refuses.
    """
    return _load(
        "suite-zero-nb101", "nb101", NB101_FILE, NB101_TARGETS, "nasbench101",
        data_dir, verify, path, duplicates, bad_truth,
    )  # fmt: skip


def _load(
    name: str,
    space_name: str,
    file: str,
    targets: Mapping[str, str],
    wrapper: str | None,
    data_dir: Path,
    verify: bool,
    path: str | os.PathLike[str] | None,
    duplicates: str,
    bad_truth: str,
) -> BenchmarkTable:
    source = checked_source(data_dir, file, verify=verify, path=path)
    document = read_json(Path(source.path), source.name)
    space = get_space(space_name)
    to_key = space.key_from_naslib
    if duplicates == "as-written":
        to_key = getattr(space, "key_from_naslib_as_written", space.key_from_naslib)
    check = TruthCheck(source.name, bad_truth)
    frame, scores, notes = parse_suite_zero(
        document, targets, to_key, source.name, wrapper, duplicates, check
    )
    warning = check.warning()
    warnings = (warning,) if warning else ()
    if duplicates == "as-written":
        notes = (*notes, f"{source.name}: records keyed as written in the file (not canonical)")
    return BenchmarkTable(
        name=name,
        space=space_name,
        frame=frame,
        reference_scores=scores,
        sources=(source,),
        notes=(*notes, *warnings),
        warnings=warnings,
    )


def parse_suite_zero(
    document: Any,
    targets: Mapping[str, str],
    key_from_naslib: Callable[[str], str],
    label: str,
    wrapper: str | None = None,
    duplicates: str = "mean",
    check: TruthCheck | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...]]:
    """Ground-truth frame, long reference-score frame and notes of one parsed file.

    Records whose keys have the same canonical key (see `DUPLICATE_POLICIES`) are
    averaged (`mean`), reduced to the first (`first`) or refused (`error`); a note then
    says how many records were merged. A `val_accuracy` that cannot be ground truth
    (null, NaN, inf, outside [0, 100]) is judged by `check` (default: refused); a
    dropped record takes its proxy scores with it, so they never count as failures.
    """
    check = check or TruthCheck(label)
    if duplicates not in DUPLICATE_POLICIES:
        raise ConfigError(
            f"unknown duplicates policy {duplicates!r} (known: {', '.join(DUPLICATE_POLICIES)})"
        )
    if wrapper is not None:
        document = _member(document, wrapper, label, "top level")
    if not isinstance(document, dict) or not document:
        raise DataError(f"{label}: expected an object of datasets at the top level")
    unknown = [d for d in document if d not in targets]
    if unknown:
        raise DataError(f"{label}: unknown dataset {unknown[0]!r} (expected {', '.join(targets)})")
    truth: dict[str, list] = {"arch": [], "column": [], "value": [], "repeat": []}
    scores: dict[str, list] = {c: [] for c in (*REFERENCE_COLUMNS, "repeat")}
    notes = []
    for dataset, records in document.items():
        if not isinstance(records, dict) or not records:
            raise DataError(f"{label}: dataset {dataset!r} has no architecture records")
        column = targets[dataset]
        seen: dict[str, int] = {}
        for raw_key, record in records.items():
            where = f"{label}: {dataset} key {raw_key!r}"
            try:
                key = key_from_naslib(raw_key)
            except ArchitectureError as err:
                raise ArchitectureError(f"{where}: {err}") from None
            if not isinstance(record, dict):
                raise DataError(f"{where}: record must be an object")
            if GROUND_TRUTH_FIELD not in record:
                raise DataError(f"{where}: no {GROUND_TRUTH_FIELD!r}")
            accuracy = as_float(record[GROUND_TRUTH_FIELD], f"{where}: {GROUND_TRUTH_FIELD}")
            if not check.keep(f"{dataset} key {raw_key!r}", column, accuracy):
                continue
            repeat = seen.get(key, 0)
            seen[key] = repeat + 1
            if repeat and duplicates in ("error", "as-written"):
                raise DataError(
                    f"{where}: architecture {key!r} appears twice (canonical keys coincide)"
                )
            _append(truth, arch=key, column=column, value=accuracy, repeat=repeat)
            for proxy, value in record.items():
                if proxy in _ID_FIELDS or proxy == GROUND_TRUTH_FIELD:
                    continue
                score, seconds = _score_and_seconds(value, f"{where}: {proxy}")
                _append(
                    scores,
                    arch=key,
                    dataset=dataset,
                    proxy=proxy,
                    score=score,
                    seconds=seconds,
                    repeat=repeat,
                )
        if not seen:
            raise DataError(f"{label}: dataset {dataset!r}: every record was dropped")
        kept = sum(seen.values())
        merged = kept - len(seen)
        if merged:
            how = "averaged" if duplicates == "mean" else "dropped (first kept)"
            notes.append(
                f"{label}: {dataset}: {kept} records, {len(seen)} architectures; "
                f"{merged} records sharing a canonical key {how}"
            )
    truth_frame = _merge(pd.DataFrame(truth), ["arch", "column"], duplicates)
    columns = list(dict.fromkeys(targets[d] for d in document))
    wide = truth_frame.pivot(index="arch", columns="column", values="value")
    archs = list(dict.fromkeys(truth_frame["arch"]))
    frame = frame_from_columns(archs, {c: wide[c].reindex(archs).to_numpy() for c in columns})
    score_frame = _merge(pd.DataFrame(scores), ["arch", "dataset", "proxy"], duplicates)
    score_frame = score_frame[list(REFERENCE_COLUMNS)].astype({"score": float, "seconds": float})
    return frame, score_frame.reset_index(drop=True), tuple(notes)


def _append(columns: dict[str, list], **row: object) -> None:
    for name, value in row.items():
        columns[name].append(value)


def _merge(long: pd.DataFrame, by: list[str], duplicates: str) -> pd.DataFrame:
    """One row per `by` group, in first-appearance order: the first record or the mean
    (NaN only where every merged record is NaN)."""
    if duplicates == "mean":
        return long.drop(columns="repeat").groupby(by, sort=False, as_index=False).mean()
    return long[long["repeat"] == 0].drop(columns="repeat")


def _member(document: Any, key: str, label: str, where: str) -> Any:
    if not isinstance(document, dict) or key not in document:
        raise DataError(f"{label}: expected key {key!r} at the {where}")
    return document[key]


def _score_and_seconds(value: object, where: str) -> tuple[float, float]:
    """`{"score": s, "time": t}` (NB201/NB301) or a bare number (NB101, no timing)."""
    if isinstance(value, dict):
        if "score" not in value:
            raise DataError(f"{where}: expected 'score' in {sorted(value)}")
        seconds = as_float(value.get("time"), f"{where}: time")
        return as_float(value["score"], f"{where}: score"), seconds
    return as_float(value, where), math.nan
