"""Is one correlation really different from another? Bootstrap tests of a difference.

`compare_proxies`: two proxies scored on the same architectures. The difference
stat(A) - stat(B) is bootstrapped with the SAME resampled rows for both, so the
noise the two share (which architectures happened to be sampled) cancels.
Rows where either proxy failed, or the truth is not finite, are left out of
both; `n_failed_a` / `n_failed_b` count each proxy's own failed rows.

`compare_runs`: the same proxy in a baseline and a candidate run (the CI
regression gate), delta = candidate - baseline. Runs are given as score and
truth keyed by architecture key. If both runs scored the same set of keys the
test is paired: it uses the keys usable in BOTH runs and resamples them jointly
(so with differing failures delta may differ slightly from the difference of the
runs' own reported figures; the failures are counted). Otherwise the runs are
resampled independently, each on its own usable rows (unpaired), and delta is
the difference of the runs' own figures.

Interval: percentile interval of the replicate differences. p-value (two-sided):
with delta >= 0, k = number of replicate differences <= 0 (k = number >= 0 when
delta < 0), p = min(1, 2 (k + 1) / (R + 1)), the +1 counting the observed sample
as one of the resamples. Identical inputs give delta = 0 and p = 1. Undefined
(NaN) replicates are left out of R and counted in `n_undefined`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from harness.stats._resample import paired_replicates
from harness.stats._rows import (
    MIN_ROWS,
    as_vector,
    check_confidence,
    check_resamples,
    make_generator,
)
from harness.stats.bootstrap import percentile_interval
from harness.stats.rank import check_statistic, point_estimate

KeyedValues = pd.Series | Mapping[str, float]


@dataclass(frozen=True)
class ProxyDifference:
    """stat(A) - stat(B) on the same architectures, with its paired bootstrap test."""

    statistic: str
    estimate_a: float
    estimate_b: float
    delta: float
    low: float
    high: float
    p_value: float
    confidence: float
    n: int
    n_failed_a: int
    n_failed_b: int
    n_resamples: int
    n_undefined: int


@dataclass(frozen=True)
class RunDifference:
    """stat(candidate) - stat(baseline) for one proxy in two runs."""

    statistic: str
    baseline: float
    candidate: float
    delta: float
    low: float
    high: float
    p_value: float
    confidence: float
    paired: bool
    n_baseline: int
    n_candidate: int
    n_failed_baseline: int
    n_failed_candidate: int
    n_resamples: int
    n_undefined: int


def two_sided_p_value(delta: float, replicate_deltas: np.ndarray) -> float:
    """Share of finite replicates on the far side of 0 from `delta`, doubled, +1 corrected."""
    finite = replicate_deltas[np.isfinite(replicate_deltas)]
    if not np.isfinite(delta) or finite.size == 0:
        return float("nan")
    beyond = np.count_nonzero(finite <= 0) if delta >= 0 else np.count_nonzero(finite >= 0)
    return float(min(1.0, 2.0 * (beyond + 1) / (finite.size + 1)))


def _difference_test(delta: float, replicate_deltas: np.ndarray, confidence: float) -> dict:
    """The fields shared by both results: delta, interval, p-value, resample counts."""
    interval = percentile_interval(delta, replicate_deltas, confidence)
    return {
        "delta": float(delta),
        "low": interval.low,
        "high": interval.high,
        "p_value": two_sided_p_value(delta, replicate_deltas),
        "confidence": confidence,
        "n_resamples": interval.n_resamples,
        "n_undefined": interval.n_undefined,
    }


def _replicates(
    columns: list[tuple[np.ndarray, np.ndarray]],
    statistic: str,
    n_resamples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """(len(columns), n_resamples) replicates on shared resamples; all NaN below MIN_ROWS."""
    if columns[0][1].size < MIN_ROWS:
        return np.full((len(columns), n_resamples), np.nan)
    return paired_replicates(columns, [statistic], n_resamples, rng)[:, 0, :]


def compare_proxies(
    score_a: ArrayLike,
    score_b: ArrayLike,
    truth: ArrayLike,
    *,
    higher_is_better_a: bool = True,
    higher_is_better_b: bool = True,
    statistic: str = "kendall",
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | np.random.Generator = 0,
) -> ProxyDifference:
    """Paired bootstrap test of stat(A) - stat(B) for two proxies on the same rows."""
    statistic = check_statistic(statistic)
    confidence = check_confidence(confidence)
    n_resamples = check_resamples(n_resamples)
    rng = make_generator(seed)
    a, b, y = (
        as_vector(score_a, "score_a"),
        as_vector(score_b, "score_b"),
        as_vector(truth, "truth"),
    )
    if not a.shape == b.shape == y.shape:
        raise ValueError(
            f"score_a, score_b and truth differ in length: {a.size}, {b.size}, {y.size}"
        )
    usable_a = np.isfinite(a) & np.isfinite(y)
    usable_b = np.isfinite(b) & np.isfinite(y)
    shared = usable_a & usable_b
    a = a[shared] if higher_is_better_a else -a[shared]
    b = b[shared] if higher_is_better_b else -b[shared]
    y = y[shared]
    estimate_a, estimate_b = point_estimate(statistic, a, y), point_estimate(statistic, b, y)
    replicates = _replicates([(a, y), (b, y)], statistic, n_resamples, rng)
    return ProxyDifference(
        statistic=statistic,
        estimate_a=estimate_a,
        estimate_b=estimate_b,
        n=int(y.size),
        n_failed_a=int(np.count_nonzero(~usable_a)),
        n_failed_b=int(np.count_nonzero(~usable_b)),
        **_difference_test(estimate_a - estimate_b, replicates[0] - replicates[1], confidence),
    )


def _keyed(values: KeyedValues, name: str) -> pd.Series:
    series = pd.Series(values, dtype=np.float64)
    if not series.index.is_unique:
        duplicated = series.index[series.index.duplicated()][0]
        raise ValueError(f"{name} has duplicate architecture key {duplicated!r}")
    return series


def _run_table(score: KeyedValues, truth: KeyedValues, name: str, higher_is_better: bool):
    """Oriented score and truth per scored key (truth NaN where missing), and usability."""
    scores = _keyed(score, f"{name}_score")
    truths = _keyed(truth, f"{name}_truth").reindex(scores.index)
    table = pd.DataFrame({"score": scores if higher_is_better else -scores, "truth": truths})
    usable = np.isfinite(table["score"].to_numpy()) & np.isfinite(table["truth"].to_numpy())
    return table, usable


def _columns(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return table["score"].to_numpy(), table["truth"].to_numpy()


def compare_runs(
    baseline_score: KeyedValues,
    baseline_truth: KeyedValues,
    candidate_score: KeyedValues,
    candidate_truth: KeyedValues,
    *,
    higher_is_better: bool = True,
    statistic: str = "kendall",
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | np.random.Generator = 0,
) -> RunDifference:
    """Bootstrap test of stat(candidate) - stat(baseline) for one proxy in two runs.

    Inputs map architecture key -> value; a truth may hold more keys than the
    scores (e.g. a whole benchmark column). Paired when both runs scored the same keys.
    """
    statistic = check_statistic(statistic)
    confidence = check_confidence(confidence)
    n_resamples = check_resamples(n_resamples)
    rng = make_generator(seed)
    baseline, baseline_usable = _run_table(
        baseline_score, baseline_truth, "baseline", higher_is_better
    )
    candidate, candidate_usable = _run_table(
        candidate_score, candidate_truth, "candidate", higher_is_better
    )
    failed = {
        "n_failed_baseline": int(np.count_nonzero(~baseline_usable)),
        "n_failed_candidate": int(np.count_nonzero(~candidate_usable)),
    }
    paired = set(baseline.index) == set(candidate.index)
    if paired:
        aligned_usable = pd.Series(candidate_usable, index=candidate.index).loc[baseline.index]
        shared = baseline_usable & aligned_usable.to_numpy()
        baseline = baseline[shared]
        candidate = candidate.loc[baseline.index]
        replicates = _replicates(
            [_columns(baseline), _columns(candidate)], statistic, n_resamples, rng
        )
        baseline_replicates, candidate_replicates = replicates[0], replicates[1]
    else:
        baseline, candidate = baseline[baseline_usable], candidate[candidate_usable]
        baseline_replicates = _replicates([_columns(baseline)], statistic, n_resamples, rng)[0]
        candidate_replicates = _replicates([_columns(candidate)], statistic, n_resamples, rng)[0]
    baseline_estimate = point_estimate(statistic, *_columns(baseline))
    candidate_estimate = point_estimate(statistic, *_columns(candidate))
    return RunDifference(
        statistic=statistic,
        baseline=baseline_estimate,
        candidate=candidate_estimate,
        paired=paired,
        n_baseline=len(baseline),
        n_candidate=len(candidate),
        **failed,
        **_difference_test(
            candidate_estimate - baseline_estimate,
            candidate_replicates - baseline_replicates,
            confidence,
        ),
    )
