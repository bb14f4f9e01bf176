"""Correlations over repeated random splits: what a user who labels k architectures gets.

A learned combination is fitted on k labelled architectures and judged on the others,
and which k were labelled is luck. `pooled_splits` takes, for every split, the held-out
truth and the oriented scores of several candidates on exactly those architectures (the
learned combination, the best single proxy, ...) and computes, per split, the point
estimates and a paired bootstrap over the held-out rows: every candidate sees the same
resampled rows, as in `compare_proxies`.

Figures over the splits:

- the **estimate** is the mean of the per-split point estimates;
- its **interval** is the percentile interval of the per-split bootstrap replicates
  pooled over all splits: a mixture of the split-to-split spread (which k were labelled)
  and the sampling noise of the held-out architectures. It says where the held-out figure
  of one user's split falls, not only where the mean over splits lies, so it is the wider
  (more cautious) of the two;
- a **difference** stat(A) - stat(B) is the mean of the per-split paired differences,
  its interval the pooled percentile interval of the paired replicate differences, and
  its two-sided p-value as in `compare_proxies`, from the pooled replicates.
  `n_better` / `n_worse` count the splits whose own interval lies above / below 0.

Rows whose score (any candidate) or truth is not finite are dropped within their split;
callers apply the failure policy before (e.g. `usable_rows(..., failures="worst")`).
Splits with fewer than MIN_ROWS rows give NaN replicates, left out and counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from harness.stats._resample import paired_replicates
from harness.stats._rows import MIN_ROWS, check_confidence, check_resamples, make_generator
from harness.stats.bootstrap import percentile_interval
from harness.stats.compare import two_sided_p_value
from harness.stats.figures import split_figures
from harness.stats.rank import check_statistic, point_estimate


@dataclass(frozen=True)
class PooledInterval:
    """Mean over splits of one candidate's statistic, with the pooled interval."""

    statistic: str
    estimate: float
    low: float
    high: float
    confidence: float
    n_splits: int
    #: splits whose point estimate is undefined (left out of the mean)
    n_undefined_splits: int
    n_resamples: int
    n_undefined: int


@dataclass(frozen=True)
class PooledDifference:
    """Mean over splits of stat(A) - stat(B) on the same held-out rows, pooled interval."""

    statistic: str
    estimate_a: float
    estimate_b: float
    delta: float
    low: float
    high: float
    p_value: float
    confidence: float
    n_splits: int
    #: splits whose own paired interval lies above 0 (A better) / below 0 (A worse)
    n_better: int
    n_worse: int
    n_resamples: int
    n_undefined: int


@dataclass(frozen=True)
class PooledSplits:
    """Per-split point estimates and replicates of several candidates (see module doc)."""

    candidates: tuple[str, ...]
    statistics: tuple[str, ...]
    #: (splits, candidates, statistics)
    estimates: np.ndarray
    #: one (candidates, statistics, resamples) array per split
    replicates: tuple[np.ndarray, ...]
    #: held-out rows used per split
    sizes: tuple[int, ...]
    confidence: float

    def _index(self, candidate: str, statistic: str) -> tuple[int, int]:
        if candidate not in self.candidates:
            raise KeyError(f"no candidate {candidate!r} (have {', '.join(self.candidates)})")
        return self.candidates.index(candidate), self.statistics.index(check_statistic(statistic))

    def per_split(self, candidate: str, statistic: str = "kendall") -> np.ndarray:
        c, s = self._index(candidate, statistic)
        return self.estimates[:, c, s]

    def interval(self, candidate: str, statistic: str = "kendall") -> PooledInterval:
        c, s = self._index(candidate, statistic)
        estimates = self.estimates[:, c, s]
        pooled = _pool([r[c, s] for r in self.replicates])
        defined = estimates[np.isfinite(estimates)]
        mean = float(defined.mean()) if defined.size else float("nan")
        interval = percentile_interval(mean, pooled, self.confidence)
        return PooledInterval(
            statistic=statistic,
            estimate=mean,
            low=interval.low,
            high=interval.high,
            confidence=self.confidence,
            n_splits=len(self.replicates),
            n_undefined_splits=int(estimates.size - defined.size),
            n_resamples=interval.n_resamples,
            n_undefined=interval.n_undefined,
        )

    def difference(self, a: str, b: str, statistic: str = "kendall") -> PooledDifference:
        ca, s = self._index(a, statistic)
        cb, _ = self._index(b, statistic)
        per_split = self.estimates[:, ca, s] - self.estimates[:, cb, s]
        defined = per_split[np.isfinite(per_split)]
        delta = float(defined.mean()) if defined.size else float("nan")
        differences = [r[ca, s] - r[cb, s] for r in self.replicates]
        pooled = _pool(differences)
        interval = percentile_interval(delta, pooled, self.confidence)
        better = worse = 0
        for estimate, replicate in zip(per_split, differences, strict=True):
            own = percentile_interval(estimate, replicate, self.confidence)
            better += int(own.low > 0)
            worse += int(own.high < 0)
        return PooledDifference(
            statistic=statistic,
            estimate_a=_mean(self.estimates[:, ca, s]),
            estimate_b=_mean(self.estimates[:, cb, s]),
            delta=delta,
            low=interval.low,
            high=interval.high,
            p_value=two_sided_p_value(delta, pooled),
            confidence=self.confidence,
            n_splits=len(self.replicates),
            n_better=better,
            n_worse=worse,
            n_resamples=interval.n_resamples,
            n_undefined=interval.n_undefined,
        )


def _pool(arrays: Sequence[np.ndarray]) -> np.ndarray:
    return (
        np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays])
        if arrays
        else (np.empty(0))
    )


def _mean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def pooled_splits(
    splits: Sequence[tuple[Mapping[str, ArrayLike], ArrayLike]],
    *,
    statistics: Sequence[str] | None = None,
    n_resamples: int = 200,
    confidence: float = 0.95,
    seed: int | np.random.Generator = 0,
) -> PooledSplits:
    """Point estimates and paired bootstrap replicates per split (see the module doc).

    `splits` holds, per split, ({candidate: oriented scores on the held-out rows}, truth
    on those rows); every split names the same candidates. `n_resamples` is per split.
    `statistics` defaults to the figures pooled over splits (`harness.stats.figures`).
    """
    if statistics is None:
        statistics = split_figures()
    statistics = tuple(check_statistic(s) for s in statistics)
    confidence = check_confidence(confidence)
    n_resamples = check_resamples(n_resamples)
    rng = make_generator(seed)
    if not splits:
        raise ValueError("pooled_splits needs at least one split")
    candidates = tuple(splits[0][0])
    estimates = np.full((len(splits), len(candidates), len(statistics)), np.nan)
    replicates, sizes = [], []
    for i, (scores, truth) in enumerate(splits):
        if tuple(scores) != candidates:
            raise ValueError(f"split {i} names candidates {tuple(scores)}, not {candidates}")
        y = np.asarray(truth, dtype=float)
        columns = [np.asarray(scores[c], dtype=float) for c in candidates]
        if any(x.shape != y.shape or x.ndim != 1 for x in columns):
            raise ValueError(f"split {i}: every score must be 1-D and as long as the truth")
        keep = np.isfinite(y)
        for x in columns:
            keep &= np.isfinite(x)
        y, columns = y[keep], [x[keep] for x in columns]
        sizes.append(int(y.size))
        for c, x in enumerate(columns):
            for s, statistic in enumerate(statistics):
                estimates[i, c, s] = point_estimate(statistic, x, y)
        if y.size < MIN_ROWS:
            replicates.append(np.full((len(candidates), len(statistics), n_resamples), np.nan))
        else:
            replicates.append(
                paired_replicates([(x, y) for x in columns], statistics, n_resamples, rng)
            )
    return PooledSplits(
        candidates=candidates,
        statistics=statistics,
        estimates=estimates,
        replicates=tuple(replicates),
        sizes=tuple(sizes),
        confidence=confidence,
    )
