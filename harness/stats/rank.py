"""Point estimates: Kendall tau-b, Spearman rho, Pearson r (scipy.stats) and nDCG@k
(scikit-learn, `harness.stats.ndcg`).

The score is oriented by `higher_is_better` before correlating (lower-is-better
scores are negated), so a good proxy always shows a positive correlation.
Rows with a non-finite score or truth are left out and counted (`n_failed`).

Undefined figures are NaN, never an error: fewer than `MIN_ROWS` usable rows,
or a constant score or truth (scipy returns NaN for Kendall and warns for the
others; the warning is silenced here because NaN is the documented answer).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from harness.errors import ConfigError
from harness.stats._rows import MIN_ROWS, usable_rows
from harness.stats.ndcg import ndcg_estimate

#: The correlations.
STATISTICS = ("kendall", "spearman", "pearson")
#: Every statistic the paired bootstrap computes on the same resampled rows (the
#: correlations and nDCG@k): `bootstrap_correlations`, `seed_correlations`.
RESAMPLED_STATISTICS = (*STATISTICS, "ndcg")


def _statistic_of(function: Callable) -> Callable[[np.ndarray, np.ndarray], float]:
    def statistic(x: np.ndarray, y: np.ndarray) -> float:
        if x.size < MIN_ROWS:
            return float("nan")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", stats.ConstantInputWarning)
            return float(function(x, y).statistic)

    return statistic


# Kendall tau-b is scipy's default variant; named here so a scipy change cannot slip in.
_ESTIMATORS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "kendall": _statistic_of(lambda x, y: stats.kendalltau(x, y, variant="b")),
    "spearman": _statistic_of(stats.spearmanr),
    "pearson": _statistic_of(stats.pearsonr),
    "ndcg": ndcg_estimate,
}


def point_estimate(statistic: str, x: np.ndarray, y: np.ndarray) -> float:
    """`statistic` (kendall/spearman/pearson/ndcg) of already-cleaned finite vectors."""
    return _ESTIMATORS[check_statistic(statistic)](x, y)


def check_statistic(statistic: str) -> str:
    """`statistic` if it is one of RESAMPLED_STATISTICS, else ConfigError."""
    if statistic not in _ESTIMATORS:
        raise ConfigError(
            f"unknown statistic {statistic!r} (known: {', '.join(RESAMPLED_STATISTICS)})"
        )
    return statistic


@dataclass(frozen=True)
class Correlations:
    """The three rank/linear correlations of one (score, truth) pairing."""

    n: int
    n_failed: int
    kendall: float
    spearman: float
    pearson: float


def correlations(
    score: ArrayLike, truth: ArrayLike, *, higher_is_better: bool = True
) -> Correlations:
    """Kendall tau-b, Spearman rho and Pearson r of the oriented score against the truth."""
    rows = usable_rows(score, truth, higher_is_better=higher_is_better)
    return Correlations(
        n=rows.n,
        n_failed=rows.n_failed,
        **{name: point_estimate(name, rows.score, rows.truth) for name in STATISTICS},
    )


def kendall_tau(score: ArrayLike, truth: ArrayLike, *, higher_is_better: bool = True) -> float:
    """Kendall tau-b (scipy) of the oriented score against the truth, failed rows left out."""
    rows = usable_rows(score, truth, higher_is_better=higher_is_better)
    return point_estimate("kendall", rows.score, rows.truth)


def spearman_rho(score: ArrayLike, truth: ArrayLike, *, higher_is_better: bool = True) -> float:
    """Spearman rho (scipy) of the oriented score against the truth, failed rows left out."""
    rows = usable_rows(score, truth, higher_is_better=higher_is_better)
    return point_estimate("spearman", rows.score, rows.truth)


def pearson_r(score: ArrayLike, truth: ArrayLike, *, higher_is_better: bool = True) -> float:
    """Pearson r (scipy) of the oriented score against the truth, failed rows left out."""
    rows = usable_rows(score, truth, higher_is_better=higher_is_better)
    return point_estimate("pearson", rows.score, rows.truth)
