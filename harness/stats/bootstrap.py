"""Paired, seeded percentile-bootstrap confidence intervals for the correlations and nDCG.

Architectures (rows) are resampled with replacement; all four statistics (Kendall,
Spearman, Pearson, nDCG@k) are computed on the same resamples. Intervals are plain
percentile intervals of the replicates (numpy's default linear interpolation between
order statistics).

A replicate can be undefined (NaN): a resample whose score or truth is constant.
Such replicates are left out of the quantiles and counted in `n_undefined`, so
a reader can see when an interval rests on fewer resamples than asked for.
If the point estimate itself is NaN, so is the interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from harness.stats._resample import paired_replicates
from harness.stats._rows import (
    MIN_ROWS,
    UsableRows,
    check_confidence,
    check_resamples,
    make_generator,
    usable_rows,
)
from harness.stats._shared_truth import shared_truth_replicates
from harness.stats.rank import RESAMPLED_STATISTICS, check_statistic, point_estimate


@dataclass(frozen=True)
class Interval:
    """A point estimate with its bootstrap percentile interval."""

    estimate: float
    low: float
    high: float
    confidence: float
    n_resamples: int
    n_undefined: int


@dataclass(frozen=True)
class BootstrapCorrelations:
    """Kendall, Spearman, Pearson and nDCG@k with intervals from the same resamples."""

    n: int
    n_failed: int
    kendall: Interval
    spearman: Interval
    pearson: Interval
    ndcg: Interval
    #: figures whose interval is not to be trusted (the jackknife's, when one architecture
    #: carries most of its variance: `harness.stats.jackknife.DOMINANT_SHARE`)
    unreliable: tuple[str, ...] = ()


def percentile_interval(estimate: float, replicates: np.ndarray, confidence: float) -> Interval:
    """The central `confidence` percentile interval of the finite replicates."""
    finite = replicates[np.isfinite(replicates)]
    n_undefined = int(replicates.size - finite.size)
    if not np.isfinite(estimate) or finite.size == 0:
        low = high = float("nan")
    else:
        low, high = _percentile_bounds(finite, confidence)
    return Interval(
        estimate=float(estimate),
        low=low,
        high=high,
        confidence=confidence,
        n_resamples=int(replicates.size),
        n_undefined=n_undefined,
    )


def _percentile_bounds(finite: np.ndarray, confidence: float) -> tuple[float, float]:
    """The central `confidence` percentile bounds of finite (non-empty) replicates."""
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(finite, [tail, 1.0 - tail])
    return float(low), float(high)


def mean_kendall_interval(
    columns: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    paired: bool,
    n_resamples: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean Kendall tau-b (scipy) over several runs.

    `columns` holds each run's finite, oriented (score, truth) rows. Each replicate
    resamples every run's rows with replacement, computes each run's tau and averages
    them; `paired` runs (the same rows in the same order) share one resample of rows per
    replicate, so their shared sampling noise is counted once. Undefined replicates are
    left out; NaN bounds when none is defined.
    """
    replicates = np.empty(n_resamples)
    for r in range(n_resamples):
        shared_rows = rng.integers(0, columns[0][0].size, columns[0][0].size) if paired else None
        taus = []
        for score, truth in columns:
            rows = shared_rows if paired else rng.integers(0, score.size, score.size)
            taus.append(point_estimate("kendall", score[rows], truth[rows]))
        replicates[r] = np.mean(taus)
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return float("nan"), float("nan")
    return _percentile_bounds(finite, confidence)


def mean_statistic_interval(
    columns: Sequence[tuple[np.ndarray, np.ndarray]],
    statistic: str,
    *,
    paired: bool,
    n_resamples: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean over several runs of `statistic` (any of
    RESAMPLED_STATISTICS), from the vectorised replicates of `harness.stats._resample`.

    As `mean_kendall_interval`: `columns` holds each run's finite, oriented (score, truth)
    rows; `paired` runs (the same rows in the same order) share the resampled rows of each
    replicate, other runs are resampled apart. Undefined replicates are left out; NaN
    bounds when none is defined or a run has fewer than MIN_ROWS rows.
    """
    statistic = check_statistic(statistic)
    if any(score.size < MIN_ROWS for score, _ in columns):
        return float("nan"), float("nan")
    if paired:
        replicates = paired_replicates(columns, [statistic], n_resamples, rng)[:, 0, :]
    else:
        replicates = np.stack(
            [paired_replicates([c], [statistic], n_resamples, rng)[0, 0] for c in columns]
        )
    means = replicates.mean(axis=0)
    finite = means[np.isfinite(means)]
    if finite.size == 0:
        return float("nan"), float("nan")
    return _percentile_bounds(finite, confidence)


def bootstrap_correlations(
    score: ArrayLike,
    truth: ArrayLike,
    *,
    higher_is_better: bool = True,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | np.random.Generator = 0,
    failures: str = "drop",
) -> BootstrapCorrelations:
    """Point estimates and paired percentile intervals for Kendall, Spearman, Pearson and
    nDCG@k (`harness.stats.ndcg`).

    Failed rows (non-finite score) are dropped or kept as the worst (`failures`, see
    `harness.stats._rows`) before resampling and counted in `n_failed`; under "worst"
    with a failure among the rows Pearson is NaN (a failure has no value). With fewer
    than MIN_ROWS usable rows everything is NaN.
    """
    confidence = check_confidence(confidence)
    n_resamples = check_resamples(n_resamples)
    rng = make_generator(seed)
    rows = usable_rows(score, truth, higher_is_better=higher_is_better, failures=failures)
    if rows.n < MIN_ROWS:
        replicates = np.full((1, len(RESAMPLED_STATISTICS), n_resamples), np.nan)
    else:
        replicates = paired_replicates(
            [(rows.score, rows.truth)], RESAMPLED_STATISTICS, n_resamples, rng
        )
    return _correlations(rows, replicates[0], confidence)


def _correlations(
    rows: UsableRows, replicates: np.ndarray, confidence: float
) -> BootstrapCorrelations:
    """The figures of one proxy's usable rows from its (statistics x resamples) replicates."""
    n_resamples = replicates.shape[1]
    intervals = {
        name: percentile_interval(
            point_estimate(name, rows.score, rows.truth), replicates[t], confidence
        )
        for t, name in enumerate(RESAMPLED_STATISTICS)
    }
    if rows.n_filled:
        undefined = np.full(n_resamples, np.nan)
        intervals["pearson"] = percentile_interval(float("nan"), undefined, confidence)
    return BootstrapCorrelations(n=rows.n, n_failed=rows.n_failed, **intervals)


def bootstrap_correlations_shared(
    scores: Sequence[ArrayLike],
    truth: ArrayLike,
    *,
    higher_is_better: bool = True,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    failures: str = "drop",
) -> list[BootstrapCorrelations]:
    """`bootstrap_correlations(score, truth, ...)` for each of `scores`, equal to it figure
    for figure, with the resamples drawn and the truth's share computed once for every
    score whose usable rows have the same truth (with an int `seed` each of those calls
    draws the same resamples; a Generator would be drawn on from call to call, so it is
    refused here)."""
    if isinstance(seed, np.random.Generator):
        raise TypeError("bootstrap_correlations_shared needs an int seed")
    confidence = check_confidence(confidence)
    n_resamples = check_resamples(n_resamples)
    make_generator(seed)  # refuses None
    rows = [
        usable_rows(s, truth, higher_is_better=higher_is_better, failures=failures) for s in scores
    ]
    replicates: list[np.ndarray | None] = [None] * len(rows)
    groups: dict[bytes, list[int]] = {}
    for i, r in enumerate(rows):
        if r.n < MIN_ROWS:
            replicates[i] = np.full((len(RESAMPLED_STATISTICS), n_resamples), np.nan)
        else:
            groups.setdefault(r.truth.tobytes(), []).append(i)
    for members in groups.values():
        shared = shared_truth_replicates(
            [rows[i].score for i in members],
            rows[members[0]].truth,
            RESAMPLED_STATISTICS,
            n_resamples,
            make_generator(seed),
        )
        for i, values in zip(members, shared, strict=True):
            replicates[i] = values
    return [_correlations(r, v, confidence) for r, v in zip(rows, replicates, strict=True)]
