"""`BenchmarkTable`: ground truth of one benchmark file, keyed by canonical architecture key.

Ground truth and reference proxy scores travel together but apart: `frame` holds only
what the benchmark measured after training (one float column per figure), while
`reference_scores` holds proxy scores that some files ship (Suite-Zero), so nobody
mistakes a shipped proxy score for ground truth or the other way round.

Ground-truth columns are named `{dataset}/{metric}/{split}/{epochs}` with NAS-Bench-201's
dataset names: `cifar10-valid` is trained on the CIFAR-10 train half and evaluated on
the valid half (split `valid`) or the test set (split `test`); `cifar10` is trained on
train+valid and evaluated on the test set; `cifar100` and `ImageNet16-120` are trained on
their train sets and evaluated on their `x-valid` (split `valid`) or `x-test` (split
`test`) halves of the original test set. Examples: `cifar10/accuracy/test/200`,
`cifar10-valid/accuracy/valid/200`, `cifar10/accuracy/valid/100` (NAS-Bench-301),
`cifar10/accuracy/valid/108` (NAS-Bench-101).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from harness.errors import ConfigError, DataError
from harness.spaces import list_spaces

#: Columns of `BenchmarkTable.reference_scores`, in this order.
REFERENCE_COLUMNS: tuple[str, ...] = ("arch", "dataset", "proxy", "score", "seconds")
#: The default metric of the short `dataset/split/epochs` target form.
DEFAULT_METRIC = "accuracy"
#: When a dataset has several splits, `default_target` prefers them in this order.
_SPLIT_PREFERENCE: tuple[str, ...] = ("test", "valid")
#: What a loader does with a ground-truth value that cannot be one (an accuracy outside
#: [0, 100], inf, NaN, null): refuse the file, or drop the record with a counted warning.
BAD_TRUTH_POLICIES: tuple[str, ...] = ("error", "drop")
#: The range of an `accuracy` figure (percent).
ACCURACY_RANGE: tuple[float, float] = (0.0, 100.0)


class TargetName(NamedTuple):
    """The four parts of a ground-truth column name."""

    dataset: str
    metric: str
    split: str
    epochs: str

    def __str__(self) -> str:
        return "/".join(self)


def target_name(dataset: str, split: str, epochs: int | str, metric: str = DEFAULT_METRIC) -> str:
    """The ground-truth column name `{dataset}/{metric}/{split}/{epochs}`."""
    name = TargetName(dataset, metric, split, str(epochs))
    check_target_name(str(name))
    return str(name)


def split_target_name(name: str) -> TargetName:
    """The parts of a full four-part column name (ConfigError when it has another shape)."""
    check_target_name(name)
    return TargetName(*name.split("/"))


def check_target_name(name: str) -> None:
    parts = name.split("/") if isinstance(name, str) else []
    if len(parts) != 4 or not all(p and p.strip() == p for p in parts):
        raise ConfigError(
            f"invalid ground-truth column name {name!r}: expected dataset/metric/split/epochs, "
            "e.g. cifar10/accuracy/test/200"
        )


#: Classes of the classifier head for each NAS-Bench-201 data set name.
#: A dataset's name for its models trained on the train split alone (`cifar10-valid`).
VALID_SUFFIX = "-valid"
_NUM_CLASSES = {"cifar10": 10, "cifar10-valid": 10, "cifar100": 100, "imagenet16-120": 120}


def num_classes_for(dataset: str) -> int:
    """The classes of the classifier head a data set's networks are trained with (the
    dataset part of a target name); ConfigError for a data set this table lacks."""
    try:
        return _NUM_CLASSES[dataset.lower()]
    except KeyError:
        raise ConfigError(
            f"unknown number of classes for data set {dataset!r} "
            f"(known: {', '.join(sorted(_NUM_CLASSES))})"
        ) from None


def scored_dataset(dataset: str) -> str:
    """The data set whose networks a proxy scores for a target of `dataset`, as a score
    store keys it: `cifar10-valid` (NAS-Bench-201's CIFAR-10 models trained on the train
    split alone) builds CIFAR-10's 10-class network on CIFAR-10's images, so its scores are
    CIFAR-10's; every other name is itself. (The images are keyed by their own hash.)"""
    name = dataset.lower()
    if name.endswith(VALID_SUFFIX) and name in _NUM_CLASSES:
        return dataset[: -len(VALID_SUFFIX)]
    return dataset


def empty_reference_scores() -> pd.DataFrame:
    """A reference-score frame with no rows but the right columns and dtypes."""
    return pd.DataFrame(
        {
            "arch": pd.Series([], dtype=object),
            "dataset": pd.Series([], dtype=object),
            "proxy": pd.Series([], dtype=object),
            "score": pd.Series([], dtype=float),
            "seconds": pd.Series([], dtype=float),
        }
    )


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file (or folder) a table was read from, with its sha256 (None for folders).

    `warning` says why the file was read although it is not what the manifest knows
    (a checksum mismatch under `verify=False`); `load_table` carries it into the notes.
    """

    name: str
    path: str
    sha256: str | None
    warning: str = ""


@dataclass(frozen=True, eq=False)
class BenchmarkTable:
    """Ground truth of one benchmark, indexed by canonical architecture key (`arch`).

    Fields cannot be reassigned; treat the frames as read-only too (methods return new
    tables). `benchmark_index` maps arch key -> the benchmark's own architecture index
    where the file defines one (NAS-Bench-201/NATS row order), else None. `notes` are
    one-line remarks on how the file was read that a report should carry (e.g. records
    merged because their keys share a canonical key); `warnings` are the notes a user
    must see when the table is loaded (records dropped, a file not verified), printed by
    `load_table`.
    """

    name: str
    space: str
    frame: pd.DataFrame
    reference_scores: pd.DataFrame = field(default_factory=empty_reference_scores)
    sources: tuple[SourceFile, ...] = ()
    benchmark_index: pd.Series | None = None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: ground-truth columns where a lower value is the better architecture (latency,
    #: energy); every other column ranks higher-is-better (see `Target.higher_is_better`)
    lower_is_better: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        spaces = list_spaces()  # a table is keyed by a registered search space
        if self.space not in spaces:
            raise ConfigError(
                f"table {self.name}: unknown space {self.space!r} (known: {', '.join(spaces)})"
            )
        frame = self.frame
        if frame.index.name != "arch":
            raise DataError(f"table {self.name}: frame index must be named 'arch'")
        if len(frame) == 0:
            raise DataError(f"table {self.name}: no architectures (empty table)")
        if not frame.index.is_unique:
            dup = frame.index[frame.index.duplicated()][0]
            raise DataError(f"table {self.name}: architecture {dup!r} appears more than once")
        if frame.shape[1] == 0:
            raise DataError(f"table {self.name}: no ground-truth columns")
        for column in frame.columns:
            check_target_name(column)
            if not pd.api.types.is_float_dtype(frame[column]):
                raise DataError(f"table {self.name}: column {column!r} is not float")
        unknown = sorted(set(self.lower_is_better) - set(frame.columns))
        if unknown:
            raise DataError(
                f"table {self.name}: lower_is_better names no column of the table: {unknown[0]!r}"
            )
        missing = [c for c in REFERENCE_COLUMNS if c not in self.reference_scores.columns]
        if missing:
            raise DataError(
                f"table {self.name}: reference_scores lacks column(s) {', '.join(missing)}"
            )

    # -- shape -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.frame)

    @property
    def archs(self) -> list[str]:
        """Canonical keys in table order."""
        return self.frame.index.tolist()

    def targets(self) -> list[str]:
        """Ground-truth column names, in table order."""
        return list(self.frame.columns)

    def datasets(self) -> list[str]:
        """Datasets with ground truth, in column order, each once."""
        return list(dict.fromkeys(split_target_name(c).dataset for c in self.targets()))

    def proxies(self) -> list[str]:
        """Proxies with reference scores shipped in the file (possibly none)."""
        return sorted(self.reference_scores["proxy"].unique().tolist())

    # -- columns -------------------------------------------------------------------------
    def column(self, spec: str) -> pd.Series:
        """The ground-truth column named by `spec` (full or short form, see `parse_target`)."""
        return self.frame[parse_target(spec, self)]

    def default_target(self, dataset: str) -> str:
        """The ground truth to rank against for proxies computed on `dataset` images.

        Candidates are columns of `dataset` itself, else of `{dataset}-valid` (so CIFAR-10
        proxies meet Suite-Zero's `cifar10-valid` accuracy); among them accuracy, then the
        longest training, then split `test` before `valid`. Dataset names match
        case-insensitively when no exact match exists.
        """
        parts = [split_target_name(c) for c in self.targets()]

        def matching(wanted: str, fold: bool) -> list[TargetName]:
            if fold:
                return [p for p in parts if p.dataset.casefold() == wanted.casefold()]
            return [p for p in parts if p.dataset == wanted]

        candidates: list[TargetName] = []
        for fold in (False, True):
            for wanted in (dataset, f"{dataset}{VALID_SUFFIX}"):
                candidates = matching(wanted, fold)
                if candidates:
                    break
            if candidates:
                break
        if not candidates:
            raise ConfigError(
                f"table {self.name} has no ground truth for dataset {dataset!r} "
                f"(available: {', '.join(self.targets())})"
            )

        def preference(p: TargetName) -> tuple[int, float, int]:
            epochs = float(p.epochs) if p.epochs.replace(".", "", 1).isdigit() else -1.0
            split_rank = (
                _SPLIT_PREFERENCE.index(p.split)
                if p.split in _SPLIT_PREFERENCE
                else len(_SPLIT_PREFERENCE)
            )
            return (0 if p.metric == DEFAULT_METRIC else 1, -epochs, split_rank)

        return str(min(candidates, key=preference))

    # -- combining -----------------------------------------------------------------------
    def subset(self, archs: Iterable[str]) -> BenchmarkTable:
        """The rows `archs`, in that order (DataError naming the first unknown key)."""
        keys = list(archs)
        unknown = [k for k in keys if k not in self.frame.index]
        if unknown:
            raise DataError(f"table {self.name}: architecture {unknown[0]!r} is not in the table")
        refs = self.reference_scores
        return BenchmarkTable(
            name=self.name,
            space=self.space,
            frame=self.frame.loc[keys],
            reference_scores=refs[refs["arch"].isin(set(keys))].reset_index(drop=True),
            sources=self.sources,
            benchmark_index=None
            if self.benchmark_index is None
            else self.benchmark_index.reindex(keys),
            notes=self.notes,
            warnings=self.warnings,
            lower_is_better=self.lower_is_better,
        )

    def join(self, other: BenchmarkTable, how: str = "inner") -> BenchmarkTable:
        """Align two tables of the same space on the arch key.

        `how="inner"` keeps architectures in both (e.g. Suite-Zero NB201 against the
        CSV's test accuracy); `how="left"` keeps all of `self`, NaN where `other` lacks a
        row. Columns of both are kept; a column name in both is an error, since the two
        files would then claim the same figure.
        """
        if how not in ("inner", "left"):
            raise ConfigError(f"join: how must be 'inner' or 'left', got {how!r}")
        if self.space != other.space:
            raise ConfigError(
                f"cannot join table {self.name} ({self.space}) with {other.name} ({other.space})"
            )
        clash = [c for c in self.targets() if c in set(other.targets())]
        if clash:
            raise ConfigError(
                f"cannot join table {self.name} with {other.name}: both have column(s) "
                f"{', '.join(clash)}"
            )
        frame = self.frame.join(other.frame, how=how)
        name = f"{self.name}+{other.name}"
        if len(frame) == 0:
            raise DataError(f"table {name}: {self.name} and {other.name} share no architecture")
        keep = set(frame.index)
        refs = pd.concat(
            [r for r in (self.reference_scores, other.reference_scores) if len(r)]
            or [empty_reference_scores()],
            ignore_index=True,
        )
        refs = refs[refs["arch"].isin(keep)].reset_index(drop=True)
        index = self.benchmark_index
        if index is None and other.benchmark_index is not None:
            index = other.benchmark_index
        return BenchmarkTable(
            name=name,
            space=self.space,
            frame=frame,
            reference_scores=refs,
            sources=self.sources + tuple(s for s in other.sources if s not in self.sources),
            benchmark_index=None if index is None else index.reindex(frame.index),
            notes=self.notes + tuple(n for n in other.notes if n not in self.notes),
            warnings=self.warnings + tuple(w for w in other.warnings if w not in self.warnings),
            lower_is_better=self.lower_is_better | other.lower_is_better,
        )

    def __repr__(self) -> str:
        return (
            f"BenchmarkTable(name={self.name!r}, space={self.space!r}, rows={len(self)}, "
            f"targets={self.targets()!r}, reference_scores={len(self.reference_scores)})"
        )


def parse_target(spec: str, table: BenchmarkTable) -> str:
    """The column of `table` that `spec` names.

    `spec` is a full column name (`cifar10/accuracy/test/200`), the short form
    `dataset/split/epochs` with the metric defaulting to accuracy (`cifar10/test/200`), or
    `dataset/metric` / a bare `metric` naming exactly one column
    (`cifar10/edgegpu_latency`, `pgd@Linf_eps-1.0`). Anything else, or a name the table
    lacks, is a one-line ConfigError listing the available targets (or, for a short form
    naming several, those it names).
    """
    available = table.targets()
    text = spec.strip() if isinstance(spec, str) else ""
    parts = text.split("/")
    candidates: list[str] = []
    if len(parts) == 4:
        candidates.append(text)
    elif len(parts) == 3:
        dataset, split, epochs = parts
        candidates.append("/".join((dataset, DEFAULT_METRIC, split, epochs)))
    for candidate in candidates:
        if candidate in available:
            return candidate
        folded = [c for c in available if c.casefold() == candidate.casefold()]
        if len(folded) == 1:
            return folded[0]
    if text and len(parts) <= 2 and all(parts):
        # `metric` or `dataset/metric`: the one column with that metric (and data set)
        wanted = [p.casefold() for p in parts]
        named = [
            c
            for c in available
            if [p.casefold() for p in _short_parts(split_target_name(c), len(parts))] == wanted
        ]
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise ConfigError(
                f"target {spec!r} is ambiguous in table {table.name}: it names "
                f"{', '.join(named)}; write the data set too, or the full name"
            )
    raise ConfigError(
        f"unknown target {spec!r} for table {table.name} (available: {', '.join(available)}; "
        "write dataset/split/epochs, dataset/metric/split/epochs, dataset/metric or a metric "
        "the table has once)"
    )


def _short_parts(name: TargetName, n: int) -> tuple[str, ...]:
    """The parts a short target form of `n` parts names: the metric, or data set and metric."""
    return (name.metric,) if n == 1 else (name.dataset, name.metric)


def frame_from_columns(archs: Sequence[str], columns: dict[str, Sequence[float]]) -> pd.DataFrame:
    """A ground-truth frame: float columns in the given order, index `arch`."""
    index = pd.Index(list(archs), name="arch", dtype=object)
    return pd.DataFrame(
        {name: np.asarray(values, dtype=float) for name, values in columns.items()}, index=index
    )


def bad_truth(
    target: str, value: float, value_range: tuple[float, float] | None = None
) -> str | None:
    """Why `value` cannot be ground truth for column `target`, or None when it can.

    Every figure must be finite; it must also lie in `value_range` when one is given, and
    an accuracy (percent) in [0, 100] otherwise.
    """
    if not np.isfinite(value):
        return "is missing" if np.isnan(value) else f"is not finite ({value})"
    if value_range is None and split_target_name(target).metric == DEFAULT_METRIC:
        value_range = ACCURACY_RANGE
    if value_range is not None:
        low, high = value_range
        if not low <= value <= high:
            return f"is {value:g}, outside [{low:g}, {high:g}]"
    return None


class TruthCheck:
    """Collects the ground-truth values a loader cannot keep, under a `bad_truth` policy.

    With `"error"`, the first bad value raises a one-line DataError naming the file, the
    record and the value; with `"drop"`, `keep(...)` returns False for it and `warning()`
    is the counted one-line warning for the table (None when nothing was dropped).
    """

    def __init__(
        self,
        label: str,
        policy: str = "error",
        ranges: Mapping[str, tuple[float, float]] | None = None,
    ):
        if policy not in BAD_TRUTH_POLICIES:
            raise ConfigError(
                f"bad_truth must be one of {', '.join(BAD_TRUTH_POLICIES)}, got {policy!r}"
            )
        self.label, self.policy = label, policy
        #: the range of each column a value must lie in (else: accuracy in [0, 100])
        self.ranges = dict(ranges or {})
        self.dropped: list[str] = []
        self.first = ""

    def keep(self, where: str, target: str, value: float) -> bool:
        """Whether `value` (of column `target`, at record `where`) is kept."""
        problem = bad_truth(target, float(value), self.ranges.get(target))
        if problem is None:
            return True
        text = f"{where}: ground truth {target} {problem}"
        if self.policy == "error":
            raise DataError(
                f"{self.label}: {text} (bad_truth=drop, or --bad-truth drop, drops such records "
                "with a warning)"
            )
        if not self.dropped:
            self.first = text
        self.dropped.append(where)
        return False

    def warning(self) -> str | None:
        if not self.dropped:
            return None
        n = len(self.dropped)
        bounds = "[0, 100]" if not self.ranges else "its range"
        return (
            f"{self.label}: dropped {n} record{'s' if n != 1 else ''} whose ground truth is "
            f"missing, not finite or outside {bounds} (bad_truth=drop; first: {self.first})"
        )
