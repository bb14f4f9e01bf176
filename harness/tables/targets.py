"""The one target resolver: a target text -> the ground-truth column a command ranks against.

Every command (run, leaderboard, search, distill, combine) calls `resolve_target`, which
parses the text once and returns a `Target`: the column's full name, its parts and the
table that holds it. What "no target" means is declared by the tables, never by a
command: the table's own default for the proxies' image dataset when a dataset is
given (`BenchmarkTable.default_target`), else the default its registration declares
(`@register_table(default_target=...)`), else its first column. A table whose file has
no ground truth of its own names, at registration, the table that has it
(`truth_table=`, Suite-Zero NB201 -> the NB201 CSV); the target is then looked up in the
two joined.

A target of another kind (hardware latency, robustness) is a column of its own table:
register that table, and every command finds its columns here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from harness.errors import ConfigError
from harness.tables._registry import POLICY_OPTIONS, TABLES, load_table, table_info
from harness.tables.base import (
    VALID_SUFFIX,
    BenchmarkTable,
    TargetName,
    parse_target,
    split_target_name,
)

#: Separates a table name from its target in `table:target` (`hw-nas-bench:cifar10/...`).
TABLE_SEPARATOR = ":"


@dataclass(frozen=True)
class Target:
    """A resolved ground truth: `column` of `table` (the scored table, or it joined with
    the table holding its ground truth)."""

    table: BenchmarkTable
    column: str
    #: the text it was resolved from: as given, else the default the table declares
    spec: str = ""

    @property
    def parts(self) -> TargetName:
        return split_target_name(self.column)

    @property
    def dataset(self) -> str:
        return self.parts.dataset

    @property
    def higher_is_better(self) -> bool:
        """Whether a higher value is the better architecture (accuracy), or a lower one
        (latency, energy: the table declares those in `lower_is_better`)."""
        return self.column not in self.table.lower_is_better

    @property
    def orientation(self) -> str:
        """How the figures rank against this target, in words for a leaderboard's header."""
        if self.higher_is_better:
            return f"higher {self.parts.metric} is better"
        return (
            f"lower {self.parts.metric} is better: proxies are ranked against "
            f"-{self.parts.metric}, so a positive tau means the proxy favours cheaper networks"
        )

    def values(self) -> pd.Series:
        """The ground-truth values by architecture key (NaN where unknown)."""
        return self.table.frame[self.column]

    def oriented_values(self) -> pd.Series:
        """The values oriented so that higher is better (negated for a lower-is-better
        target), the ground truth every figure ranks against."""
        values = self.values()
        return values if self.higher_is_better else -values

    def __str__(self) -> str:
        return self.column


def default_dataset(table_name: str) -> str | None:
    """The image dataset a table's shipped proxy scores are ranked for when none is named:
    the dataset the target its registration declares names first, read as the proxies' images
    (`cifar10-valid`, NAS-Bench-201's CIFAR-10 trained on its train split alone, is
    CIFAR-10's: the inverse of `BenchmarkTable.default_target`'s `{dataset}-valid`).
    None where the table declares no default target."""
    declared = table_info(table_name).default_target
    if not declared:
        return None
    return declared.split("/", 1)[0].removesuffix(VALID_SUFFIX)


def has_target(table: BenchmarkTable, spec: str) -> bool:
    """Whether `spec` names a column of `table`."""
    try:
        parse_target(spec, table)
    except ConfigError:
        return False
    return True


def resolve_target(
    table: BenchmarkTable,
    spec: str | None = "",
    *,
    registered: str | None = None,
    dataset: str | None = None,
    truth_table: str | None = None,
    join_truth: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
    table_options: dict[str, Any] | None = None,
) -> Target:
    """The ground truth `spec` names (a full column name or `dataset/split/epochs`, or a
    short form of `parse_target`), optionally prefixed by the table holding it
    (`hw-nas-bench:cifar10/edgegpu_latency`), which is then loaded and joined on the
    space's canonical keys (with only the policy options of `table_options`).

    `registered` is the name `table` was loaded under (default: its own name). With no
    `spec`: `dataset`'s default column when a dataset is given, else the registered
    default target, else the first column. `truth_table` is loaded from `data_dir` with
    `table_options` and joined; with `join_truth`, so is the one the table's registration
    declares when `spec` names no column of `table` (the leaderboard of a table's shipped
    scores does this; a run samples and scores its own table's architectures). A target
    nowhere to be found is a one-line ConfigError listing the available ones.
    """
    return _resolve(
        table, spec, registered, dataset, truth_table, join_truth, data_dir, table_options,
        load_table,
    )  # fmt: skip


def resolve_targets(
    table: BenchmarkTable,
    specs: Sequence[str],
    *,
    registered: str | None = None,
    dataset: str | None = None,
    truth_table: str | None = None,
    join_truth: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
    table_options: dict[str, Any] | None = None,
) -> list[Target]:
    """Each of `specs` resolved as `resolve_target` does, every other table loaded once
    (a multi-target leaderboard names several columns of the same cost table)."""
    loaded: dict[tuple[str, str], BenchmarkTable] = {}

    def load_once(name: str, where: Any, **options: Any) -> BenchmarkTable:
        key = (name, repr(sorted(options.items())))
        if key not in loaded:
            loaded[key] = load_table(name, where, **options)
        return loaded[key]

    return [
        _resolve(
            table,
            spec,
            registered,
            dataset,
            truth_table,
            join_truth,
            data_dir,
            table_options,
            load_once,
        )  # fmt: skip
        for spec in specs
    ]


def _resolve(
    table: BenchmarkTable,
    spec: str | None,
    registered: str | None,
    dataset: str | None,
    truth_table: str | None,
    join_truth: bool,
    data_dir: str | os.PathLike[str] | None,
    table_options: dict[str, Any] | None,
    load: Callable[..., BenchmarkTable],
) -> Target:
    info = table_info(registered) if registered else TABLES.get(table.name)
    other = truth_table
    named, spec = _table_prefix(table, spec, registered)
    if named is not None:
        if other is not None and other != named:
            raise ConfigError(
                f"target {named}:{spec} names table {named}, but the truth table is {other}: "
                "give one of them"
            )
        other = named
        table_options = {k: v for k, v in (table_options or {}).items() if k in POLICY_OPTIONS}
    elif other is None and join_truth and spec and not has_target(table, spec):
        other = info.truth_table if info is not None else None
        if other is None:
            raise ConfigError(f"table {table.name} has no target {spec!r} to rank against")
    if other is not None:
        table = table.join(load(other, data_dir, **(table_options or {})))
    if spec:
        given = f"{named}:{spec}" if named is not None else spec
        return Target(table, parse_target(spec, table), given)
    if dataset is not None:
        column = table.default_target(dataset)
        return Target(table, column, column)
    declared = info.default_target if info is not None else None
    if declared:
        return Target(table, parse_target(declared, table), declared)
    return Target(table, table.targets()[0], table.targets()[0])


def _table_prefix(
    table: BenchmarkTable, spec: str | None, registered: str | None
) -> tuple[str | None, str]:
    """`table:target` split into the table it names (None: the scored table's own) and
    the target text. A target naming a column of `table` outright is never split."""
    text = (spec or "").strip()
    if TABLE_SEPARATOR not in text or has_target(table, text):
        return None, text
    name, rest = (part.strip() for part in text.split(TABLE_SEPARATOR, 1))
    if name in (table.name, registered):
        return None, rest
    table_info(name)  # an unknown table is a one-line error with a did-you-mean
    if not rest:
        raise ConfigError(f"target {text!r} names table {name} but no target of it")
    return name, rest
