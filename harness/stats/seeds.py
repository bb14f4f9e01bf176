"""Correlations under several initial-weight seeds: a mean over seeds whose interval
covers both sources of noise, and the proxy's agreement with itself across seeds.

A proxy scored under K seeds on the same n architectures gives a K x n score matrix.
Its figure is the mean over the seeds of its correlation with the ground truth. A
bootstrap over the architectures alone sees which architectures were sampled but not
which initial weights were drawn, so it overstates how sure a figure is for a proxy
whose ranking moves with the weights. Here both factors are resampled, independently
(a two-level bootstrap over a crossed design, Owen's "pigeonhole" bootstrap, Ann. Appl.
Stat. 2007): each replicate draws n architectures with replacement, shared by every seed
(every seed scored the same architectures), and K seeds with replacement; it computes
each seed's statistic on the drawn architectures (the vectorised replicates of
`harness.stats._resample`) and averages them over the drawn seeds, a seed drawn twice
counting twice. Resampling both factors of a crossed design slightly overstates the
variance (Owen), the safe side for an interval a gate relies on.

Failures follow the policy of `harness.stats._rows`, seed by seed: under "worst" every
seed keeps every architecture with a known truth (its failures ranked below all it
scored); under "drop" each seed uses the architectures it scored, the shared resamples
masked per seed. As for one seed, Pearson is undefined for a seed whose failures were
kept as the worst. A replicate is undefined (NaN, counted) when a drawn seed's
statistic is, e.g. a resample with a constant score.

Self-agreement: the mean (and the minimum) over the K(K-1)/2 pairs of seeds of scipy's
Kendall tau-b between the two seeds' oriented scores, on the architectures both used:
1 when the weights do not move the ranking, near 0 when the ranking is init noise.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from harness.stats._resample import _row_counts, paired_replicates
from harness.stats._rows import (
    MIN_ROWS,
    check_confidence,
    check_resamples,
    make_generator,
    usable_rows,
)
from harness.stats.bootstrap import Interval, percentile_interval
from harness.stats.rank import RESAMPLED_STATISTICS, point_estimate


@dataclass(frozen=True)
class SeedColumns:
    """K seeds' scores on the same architectures, ready for the bootstrap.

    `score` (K x m) holds each seed's oriented score on the m architectures with a known
    truth (failures filled as the worst under "worst"; a finite filler where the seed
    does not use the row), `used` (K x m) which rows each seed's figures use,
    `n_failed` / `n_filled` per seed as in `harness.stats._rows.UsableRows`.
    """

    score: np.ndarray
    truth: np.ndarray
    used: np.ndarray
    n_failed: tuple[int, ...]
    n_filled: tuple[int, ...]

    @property
    def n_seeds(self) -> int:
        return int(self.score.shape[0])

    @property
    def n(self) -> int:
        """Architectures compared (finite truth), whatever the policy."""
        return int(self.truth.size)


def seed_columns(
    scores: ArrayLike, truth: ArrayLike, *, higher_is_better: bool = True, failures: str = "drop"
) -> SeedColumns:
    """`scores` (K seeds x n architectures) and `truth` (n) under the failure policy
    ("common" acts like "drop": its caller has chosen the rows)."""
    matrix = np.array(scores, dtype=np.float64, ndmin=2)
    truth_vector = np.array(truth, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != truth_vector.size:
        raise ValueError(
            f"scores must be (seeds x {truth_vector.size}) to match truth, got {matrix.shape}"
        )
    compared = np.flatnonzero(np.isfinite(truth_vector))
    oriented = np.zeros((matrix.shape[0], compared.size))
    used = np.zeros(oriented.shape, dtype=bool)
    n_failed, n_filled = [], []
    for k, row in enumerate(matrix):
        rows = usable_rows(row, truth_vector, higher_is_better=higher_is_better, failures=failures)
        where = np.searchsorted(compared, rows.positions)
        if rows.n:
            oriented[k] = rows.score.min()  # a finite filler inside the range
        oriented[k, where] = rows.score
        used[k, where] = True
        n_failed.append(rows.n_failed)
        n_filled.append(rows.n_filled)
    return SeedColumns(
        score=oriented,
        truth=truth_vector[compared],
        used=used,
        n_failed=tuple(n_failed),
        n_filled=tuple(n_filled),
    )


def per_seed_estimates(columns: SeedColumns, statistic: str) -> np.ndarray:
    """Each seed's point estimate (scipy), NaN where undefined (see the module docstring)."""
    estimates = []
    for k in range(columns.n_seeds):
        rows = columns.used[k]
        if statistic == "pearson" and columns.n_filled[k]:
            estimates.append(float("nan"))
        else:
            estimates.append(point_estimate(statistic, columns.score[k, rows], columns.truth[rows]))
    return np.array(estimates)


def statistic_replicates(
    groups: Sequence[SeedColumns],
    statistics: Sequence[str],
    n_resamples: int,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """Per group, (K, len(statistics), R) replicates of each seed's statistic, every seed of
    every group on the same resampled architectures (the groups' rows must correspond)."""
    sizes = {g.n for g in groups}
    if len(sizes) != 1:
        raise ValueError(f"groups resampled together must share their rows, got sizes {sizes}")
    columns = [(g.score[k], g.truth) for g in groups for k in range(g.n_seeds)]
    masks = [g.used[k] for g in groups for k in range(g.n_seeds)]
    if groups[0].n < MIN_ROWS:
        stacked = np.full((len(columns), len(statistics), n_resamples), np.nan)
    else:
        stacked = paired_replicates(columns, statistics, n_resamples, rng, used=masks)
    result, start = [], 0
    for group in groups:
        block = stacked[start : start + group.n_seeds].copy()
        start += group.n_seeds
        for k in range(group.n_seeds):
            if group.used[k].sum() < MIN_ROWS:
                block[k] = np.nan
            elif group.n_filled[k] and "pearson" in statistics:
                block[k, list(statistics).index("pearson")] = np.nan
        result.append(block)
    return result


def seed_draws(rng: np.random.Generator, n_seeds: int, n_resamples: int) -> np.ndarray:
    """(R, K) multiplicities: how often each of the K seeds is drawn in each replicate."""
    return _row_counts(rng.integers(0, n_seeds, size=(n_resamples, n_seeds)), n_seeds)


def mean_over_drawn_seeds(replicates: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """(S, R): the mean over the drawn seeds (with multiplicity) of (K, S, R) replicates;
    NaN where a drawn seed's replicate is."""
    weights = draws.T[:, None, :].astype(np.float64)  # (K, 1, R)
    drawn = weights > 0
    total = np.where(drawn, np.nan_to_num(replicates, nan=0.0) * weights, 0.0).sum(axis=0)
    undefined = (drawn & np.isnan(replicates)).any(axis=0)
    mean = total / draws.sum(axis=1)[None, :]
    mean[undefined] = np.nan
    return mean


def seed_agreement(columns: SeedColumns) -> tuple[float, float]:
    """(mean, min) over pairs of seeds of scipy's Kendall tau-b between their oriented
    scores on the architectures both used; NaN with fewer than two seeds."""
    taus = []
    for k, j in itertools.combinations(range(columns.n_seeds), 2):
        both = columns.used[k] & columns.used[j]
        if both.sum() < MIN_ROWS:
            taus.append(float("nan"))
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", stats.ConstantInputWarning)
            taus.append(float(stats.kendalltau(columns.score[k, both], columns.score[j, both])[0]))
    values = np.array(taus)
    if values.size == 0 or not np.isfinite(values).all():
        return float("nan"), float("nan")
    return float(values.mean()), float(values.min())


@dataclass(frozen=True)
class SeedCorrelations:
    """Mean over seeds with two-level intervals, per-seed figures and self-agreement."""

    n_seeds: int
    n: int
    n_failed: tuple[int, ...]
    kendall: Interval
    spearman: Interval
    pearson: Interval
    ndcg: Interval
    per_seed_kendall: tuple[float, ...]
    per_seed_spearman: tuple[float, ...]
    self_kendall: float
    self_kendall_min: float


def seed_correlations(
    scores: ArrayLike,
    truth: ArrayLike,
    *,
    higher_is_better: bool = True,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | np.random.Generator = 0,
    failures: str = "drop",
) -> SeedCorrelations:
    """Mean over seeds of each correlation, with its two-level (seeds x architectures)
    percentile bootstrap interval, and the seeds' agreement with each other."""
    confidence = check_confidence(confidence)
    n_resamples = check_resamples(n_resamples)
    rng = make_generator(seed)
    columns = seed_columns(scores, truth, higher_is_better=higher_is_better, failures=failures)
    (replicates,) = statistic_replicates([columns], RESAMPLED_STATISTICS, n_resamples, rng)
    means = mean_over_drawn_seeds(replicates, seed_draws(rng, columns.n_seeds, n_resamples))
    estimates = {name: per_seed_estimates(columns, name) for name in RESAMPLED_STATISTICS}
    intervals = {
        name: percentile_interval(float(np.mean(estimates[name])), means[s], confidence)
        for s, name in enumerate(RESAMPLED_STATISTICS)
    }
    agreement, agreement_min = seed_agreement(columns)
    return SeedCorrelations(
        n_seeds=columns.n_seeds,
        n=columns.n,
        n_failed=columns.n_failed,
        **intervals,
        per_seed_kendall=tuple(float(v) for v in estimates["kendall"]),
        per_seed_spearman=tuple(float(v) for v in estimates["spearman"]),
        self_kendall=agreement,
        self_kendall_min=agreement_min,
    )
