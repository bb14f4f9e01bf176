"""Leaderboard of the reference proxy scores shipped with a benchmark file.

Ranks each proxy's scores against a ground-truth column of the same (or a joined)
table and assembles a results document. Nothing is computed by us but statistics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from harness.errors import ConfigError, DataError
from harness.results import (
    PerArchValues,
    ResultRow,
    ResultsDocument,
    row_from_summary,
    sort_by_kendall,
)
from harness.stats import common_rows, summarise_shared
from harness.tables import (
    VALID_SUFFIX,
    BenchmarkTable,
    Target,
    list_tables,
    load_table,
    resolve_target,
    resolve_targets,
    table_info,
)


@dataclass(frozen=True)
class LeaderboardOptions:
    n_resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0
    #: "worst", "drop" or "common" (see harness.stats._rows)
    failures: str = "worst"
    #: "bootstrap" (percentile, `n_resamples`) or "jackknife" (normal; whole spaces)
    interval: str = "bootstrap"

    def settings(self) -> dict[str, Any]:
        """What a results document's config records of the figures' settings: the
        bootstrap's resamples, or the interval method (and no resamples) otherwise."""
        resamples = self.n_resamples if self.interval == "bootstrap" else None
        method = {} if self.interval == "bootstrap" else {"interval": self.interval}
        return {"bootstrap_resamples": resamples, **method, "confidence": self.confidence,
                "seed": self.seed, "failures": self.failures}  # fmt: skip


@dataclass(frozen=True)
class TableLeaderboard:
    """A table's leaderboard: its results document, rows (best first), title and the line
    saying which images the scores were computed on."""

    document: ResultsDocument
    rows: list[ResultRow]
    title: str
    images: str = ""
    #: the target is lower-is-better (ranked against its negation)
    lower_is_better: bool = False


def rank_table(
    table_name: str,
    *,
    run_id: str,
    dataset: str,
    target: str | None,
    options: LeaderboardOptions,
    data_dir: str | None = None,
    truth_table: str | None = None,
    duplicates: str = "as-written",
    table_policy: dict[str, Any] | None = None,
    combinations: Sequence[str] = (),
) -> TableLeaderboard:
    """The leaderboard of the proxy scores shipped with table `table_name` on `dataset`'s
    images, against `target` (`harness.tables.resolve_target`: joined with the table
    holding that ground truth when the scored table lacks it), as a results document."""
    policy = table_policy or {}
    table, score_dataset = _scored_table(table_name, dataset, duplicates, policy, data_dir)
    truth = resolve_target(
        table,
        target,
        registered=table_name,
        dataset=dataset,
        truth_table=truth_table,
        join_truth=True,
        data_dir=data_dir,
        table_options=policy,
    )
    scores = table.reference_scores[table.reference_scores["dataset"] == score_dataset]
    rows, per_arch = reference_rows(
        scores,
        truth.oriented_values(),
        space=table.space,
        dataset=dataset,
        target=truth.column,
        options=options,
        combinations=combinations,
    )
    config = {
        "command": "leaderboard",
        "table": table_name,
        "truth_table": truth.table.name,
        "dataset": dataset,
        "duplicates": duplicates if "duplicates" in table_info(table_name).options() else None,
        "target": truth.column,
        **options.settings(),
        "combinations": list(combinations),
        "images": reference_images(table.name, dataset),
    }
    if not truth.higher_is_better:  # the per-architecture truth is stored negated
        config["target_orientation"] = "lower is better: ranked against its negation"
    document = ResultsDocument.create(
        kind="leaderboard",
        run_id=run_id,
        config=config,
        sources=truth.table.sources,
        seed=options.seed,
        rows=rows,
        per_arch=[per_arch],
        notes=list(truth.table.notes)
        + ["reference scores and timings as shipped in the file (NASLib), not computed here"]
        + ([] if truth.higher_is_better else [f"target {truth.column}: {truth.orientation}"]),
    )
    title = f"{table.name} · {dataset} · target {truth.column}"
    if not truth.higher_is_better:
        title += f" (lower is better: ranked against -{truth.parts.metric})"
    images = config["images"]["description"]
    return TableLeaderboard(document, rows, title, images, not truth.higher_is_better)


@dataclass(frozen=True)
class TargetsLeaderboard:
    """A table's proxies against several targets: one results document whose rows (and
    per-architecture values) are grouped by target, in the order the targets were given."""

    document: ResultsDocument
    rows: list[ResultRow]
    targets: list[Target]
    title: str


def rank_table_targets(
    table_name: str,
    *,
    run_id: str,
    dataset: str,
    targets: Sequence[str],
    options: LeaderboardOptions,
    data_dir: str | None = None,
    duplicates: str = "as-written",
    table_policy: dict[str, Any] | None = None,
) -> TargetsLeaderboard:
    """The proxy scores shipped with `table_name` on `dataset`'s images against each of
    `targets` (`harness.tables.resolve_targets`: a `table:target` joins that table once on
    the canonical keys; a lower-is-better target is ranked against its negation)."""
    if not targets:
        raise ConfigError("name one or more targets to rank against")
    policy = table_policy or {}
    table, score_dataset = _scored_table(table_name, dataset, duplicates, policy, data_dir)
    resolved = resolve_targets(
        table,
        list(targets),
        registered=table_name,
        dataset=dataset,
        join_truth=True,
        data_dir=data_dir,
        table_options=policy,
    )
    scores = table.reference_scores[table.reference_scores["dataset"] == score_dataset]
    rows, per_arch, notes, sources = [], [], [], []
    wide = wide_scores(scores) if not scores.empty else None
    for target in resolved:
        target_rows, values = reference_rows(
            scores,
            target.oriented_values(),
            wide=wide,
            space=table.space,
            dataset=dataset,
            target=target.column,
            options=options,
        )
        rows += target_rows
        per_arch.append(values)
        notes += [n for n in target.table.notes if n not in notes]
        sources += [f for f in target.table.sources if f not in sources]
        if not target.higher_is_better:
            notes.append(f"target {target.column}: {target.orientation}")
    config = {
        "command": "leaderboard",
        "table": table_name,
        "dataset": dataset,
        "duplicates": duplicates if "duplicates" in table_info(table_name).options() else None,
        "targets": [t.column for t in resolved],
        "target_specs": list(targets),
        "lower_is_better": [t.column for t in resolved if not t.higher_is_better],
        **options.settings(),
        "images": reference_images(table.name, dataset),
    }
    document = ResultsDocument.create(
        kind="leaderboard",
        run_id=run_id,
        config=config,
        sources=tuple(sources),
        seed=options.seed,
        rows=rows,
        per_arch=per_arch,
        notes=[*notes, "reference scores as shipped in the file (NASLib), not computed here"],
    )
    title = f"{table.name} · {dataset} · {len(resolved)} targets"
    return TargetsLeaderboard(document, rows, resolved, title)


def require_rankable(table_name: str) -> None:
    """A one-line error unless a leaderboard can load `table_name` without a run config."""
    needs = table_info(table_name).required_options()
    if needs:
        raise ConfigError(
            f"table {table_name!r} needs option(s) {', '.join(needs)}, which only a run config "
            "gives ([run.table_options]); harness leaderboard ranks the reference scores of "
            f"{', '.join(list_tables('suite-zero-*'))}"
        )


def _scored_table(
    table_name: str, dataset: str, duplicates: str, policy: dict[str, Any], data_dir: str | None
) -> tuple[BenchmarkTable, str]:
    """The table whose shipped scores a leaderboard ranks, and its name of `dataset`."""
    require_rankable(table_name)
    takes_duplicates = "duplicates" in table_info(table_name).options()
    table = load_table(
        table_name, data_dir, **({"duplicates": duplicates} if takes_duplicates else {}), **policy
    )
    available = sorted(set(table.reference_scores["dataset"]))
    return table, check_dataset(available, dataset, table.name)


def reference_images(table_name: str, dataset: str) -> dict[str, object]:
    """Which images a table's own proxy scores were computed on, as the results document
    and the leaderboard header say it (as `harness run` says its own)."""
    return {
        "source": None,
        "target_dataset": dataset,
        "description": f"none scored here: the proxy scores are {table_name}'s own, computed "
        f"by its publishers on {dataset} images",
    }


def wide_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Long-form scores (arch, proxy, score) as one column per proxy, indexed by arch (the
    first record of an architecture where a file repeats it)."""
    return scores.pivot_table(index="arch", columns="proxy", values="score", aggfunc="first")


def reference_rows(
    scores: pd.DataFrame,
    truth: pd.Series,
    *,
    space: str,
    dataset: str,
    target: str,
    options: LeaderboardOptions,
    combinations: Sequence[str] = (),
    wide: pd.DataFrame | None = None,
) -> tuple[list[ResultRow], PerArchValues]:
    """Rows for every proxy in `scores` (long form: arch, proxy, score, seconds) vs `truth`,
    and for each named label-free combination of them (see `reference_combinations`).
    `wide`: `wide_scores(scores)` when the caller ranks the same scores against several
    truths (made here otherwise).

    Architectures without a ground-truth value are an error (the caller joined the
    tables); architectures whose score is missing for a proxy count as failed.
    """
    if scores.empty:
        raise DataError(f"no reference proxy scores for dataset {dataset!r}")
    wide = wide_scores(scores) if wide is None else wide
    archs = wide.index.intersection(truth.index)
    if len(archs) == 0:
        raise DataError(f"no architecture of the {dataset!r} scores has a {target!r} value")
    wide = wide.loc[archs].sort_index()
    y = truth.loc[wide.index].to_numpy(dtype=float)
    seconds = scores.groupby("proxy")["seconds"].mean()
    rows: list[ResultRow] = []
    keep = common_rows({p: wide[p].to_numpy(dtype=float) for p in wide.columns}, options.failures)
    combined = reference_combinations(wide, combinations)
    proxies = [str(p) for p in wide.columns]
    # every proxy and combination against the one truth: resamples and the truth's share
    # of each replicate computed once (the same figures as one `summarise` per column)
    summaries = summarise_shared(
        [wide[p].to_numpy(dtype=float)[keep] for p in wide.columns]
        + [values[keep] for values, _ in combined.values()],
        y[keep],
        higher_is_better=True,  # Suite-Zero scores are oriented so that higher is better
        n_resamples=options.n_resamples,
        confidence=options.confidence,
        seed=options.seed,
        failures=options.failures,
        interval=options.interval,
    )
    for proxy, summary in zip(proxies, summaries, strict=False):
        secs = seconds.get(proxy, np.nan)
        rows.append(
            row_from_summary(
                summary.to_dict(),
                space=space,
                dataset=dataset,
                target=target,
                proxy=proxy,
                higher_is_better=True,
                seconds_per_arch=float(secs) if np.isfinite(secs) else None,
                origin="reference",
            )
        )
    for (name, (values, extra)), summary in zip(
        combined.items(), summaries[len(proxies) :], strict=True
    ):
        member_seconds = [seconds.get(m, np.nan) for m in extra["members"]]
        total = float(np.sum(member_seconds))
        rows.append(
            row_from_summary(
                summary.to_dict(),
                space=space,
                dataset=dataset,
                target=target,
                proxy=name,
                higher_is_better=True,
                seconds_per_arch=total if np.isfinite(total) else None,
                origin="reference",
                proxy_version=extra.pop("version"),
                extra=extra,
            )
        )
        wide[name] = values
    rows = sort_by_kendall(rows)
    per_arch = PerArchValues(
        space=space,
        dataset=dataset,
        target=target,
        archs=[str(a) for a in wide.index],
        truth=[float(v) for v in y],
        scores={str(p): [float(v) for v in wide[p].to_numpy(dtype=float)] for p in wide.columns},
    )
    return rows, per_arch


def check_dataset(available: list[str], dataset: str, table_name: str) -> str:
    """The dataset name as the table spells it (`cifar10` also finds `cifar10-valid`)."""
    for candidate in (dataset, f"{dataset}{VALID_SUFFIX}"):
        if candidate in available:
            return candidate
    raise ConfigError(
        f"table {table_name!r} has no reference scores for dataset {dataset!r} "
        f"(available: {', '.join(available)})"
    )


def reference_combinations(
    wide: pd.DataFrame, names: Sequence[str]
) -> dict[str, tuple[np.ndarray, dict[str, Any]]]:
    """Each named label-free combination over the reference scores in `wide` (archs x
    proxies, oriented higher-is-better as Suite-Zero ships them): its values and its row's
    extra (members used, rule, weights, version). A combination's members that the table
    lacks are left out and named in `members_absent`; fewer than two present is an error."""
    if not names:
        return {}
    # deferred: pulls in torch, tqdm
    from harness.proxies.combinations import combine_available

    scores = {str(p): wide[p].to_numpy(dtype=float) for p in wide.columns}
    return combine_available(names, scores, dict.fromkeys(scores, True))
