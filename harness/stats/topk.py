"""Top-k metrics: does the proxy find the best architectures?

Top-k overlap. For a percentage p of the n usable rows, k = ceil(p * n / 100)
(at least 1). The metric is |true top-k  ∩  predicted top-k| / k.

Ties, deterministically and without favouring any row order: when the k-th
place falls inside a group of tied values, the top-k set is taken to contain a
uniformly random share of that group. Each row then belongs to the predicted
top-k with probability w_pred (1 above the tied group, m/g inside a group of g
tied rows of which m are needed, 0 below), likewise w_true for the truth, and
the reported overlap is its expectation sum_i w_pred_i * w_true_i / k (the two
tie-breaks are independent). This is a fixed number that does not depend on
the order of the rows, unlike a stable-sort tie-break, which would let the
benchmark's row order leak into the result.

Top-1. The architecture the proxy ranks first; if several share the best score,
the figures are the means over those tied-first architectures, i.e. the
expectation under picking one of them at random. `percentile` is the share of
usable architectures whose truth is not better than the chosen one's
(100 = the best architecture, 100/n = the worst).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from harness.errors import ConfigError
from harness.stats._rows import MIN_ROWS, usable_rows

DEFAULT_PERCENTAGES: tuple[float, ...] = (1, 5, 10, 20, 50)


def top_k_size(percentage: float, n: int) -> int:
    """How many of n rows make the top `percentage` percent: ceil(p * n / 100), at least 1."""
    # Rounded first so that 10 % of 100 is 10, not 11 through floating point error.
    return max(1, math.ceil(round(percentage * n / 100.0, 9)))


def _top_k_membership(values: np.ndarray, k: int) -> np.ndarray:
    """Probability that each row is in the top k when tied values are broken at random."""
    threshold = np.sort(values)[::-1][k - 1]
    above = values > threshold
    at_threshold = values == threshold
    needed = k - np.count_nonzero(above)
    return above + at_threshold * (needed / np.count_nonzero(at_threshold))


def _check_percentages(percentages: Sequence[float]) -> tuple[float, ...]:
    checked = tuple(percentages)
    for percentage in checked:
        if not 0.0 < percentage <= 100.0:
            raise ConfigError(f"top-k percentage must lie in (0, 100], got {percentage!r}")
    return checked


def top_k_overlap(
    score: ArrayLike,
    truth: ArrayLike,
    *,
    higher_is_better: bool = True,
    percentages: Sequence[float] = DEFAULT_PERCENTAGES,
) -> dict[float, float]:
    """Share of the true top-p% found in the predicted top-p%, for each percentage p.

    Keys are the percentages as given; values are NaN with fewer than MIN_ROWS usable rows.
    """
    checked = _check_percentages(percentages)
    rows = usable_rows(score, truth, higher_is_better=higher_is_better)
    overlap: dict[float, float] = {}
    for percentage in checked:
        if rows.n < MIN_ROWS:
            overlap[percentage] = float("nan")
            continue
        k = top_k_size(percentage, rows.n)
        shared = _top_k_membership(rows.score, k) @ _top_k_membership(rows.truth, k)
        overlap[percentage] = float(shared / k)
    return overlap


@dataclass(frozen=True)
class TopRanked:
    """What the proxy's first choice is really worth (means over tied-first rows)."""

    accuracy: float
    percentile: float
    n_tied_first: int


def top_ranked(score: ArrayLike, truth: ArrayLike, *, higher_is_better: bool = True) -> TopRanked:
    """True accuracy and truth percentile of the architecture the proxy ranks first."""
    rows = usable_rows(score, truth, higher_is_better=higher_is_better)
    if rows.n < MIN_ROWS:
        return TopRanked(accuracy=float("nan"), percentile=float("nan"), n_tied_first=0)
    first = rows.score == rows.score.max()
    first_truth = rows.truth[first]
    not_better = np.searchsorted(np.sort(rows.truth), first_truth, side="right")
    return TopRanked(
        accuracy=float(first_truth.mean()),
        percentile=float(100.0 * not_better.mean() / rows.n),
        n_tied_first=int(first_truth.size),
    )
