"""Pairwise ranking accuracy: how often an estimator orders two architectures like the truth.

Every pair falls in exactly one category:
  failed          a row of the pair has a non-finite estimate or truth (left out);
  truth_tied      the truth ties the pair, so there is no right order (left out);
  estimator_tied  the truth orders the pair, the estimator ties it;
  concordant      both order the pair the same way;
  discordant      they order it opposite ways.
`accuracy` = (concordant + estimator_tied / 2) / (concordant + discordant +
estimator_tied): the share of the pairs that have a right answer which the
estimator gets right, a tie counting as a coin flip (the expectation when ties
are broken at random, the same rule as top-k). `accuracy_untied` leaves
estimator ties out instead, `accuracy_strict` counts them as wrong; the counts
are reported apart so any other rule can be applied. On tie-free data all three
equal (1 + tau_a) / 2.

All pairs without bins are counted in O(n log n) (tie counts by grouping, the
concordant-minus-discordant count from scipy's Kendall tau-b); given pairs and
gap bins are counted pair by pair, in blocks, O(pairs).

Pairs are all unordered pairs of rows, or a given (m x 2) array of row indices
(e.g. pairs above a distance margin, or pairs compared during a search), always
indices into the caller's arrays, failed rows included.

By gap: pairs binned by their true accuracy gap |t_i - t_j| (truth in percent
points) at `edges`, bins half-open [low, high): with the default edges (0.5, 2)
the bins are [0, 0.5), [0.5, 2) and [2, inf). Pairs with a non-finite truth have
no gap and fall in no bin (they appear only in `pairwise_accuracy`'s `failed`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from harness.errors import ConfigError
from harness.stats._resample import BLOCK_ELEMENTS
from harness.stats._rows import as_vector

DEFAULT_GAP_EDGES: tuple[float, ...] = (0.5, 2.0)

_FAILED, _TRUTH_TIED, _ESTIMATOR_TIED, _CONCORDANT, _DISCORDANT = range(5)
_N_CATEGORIES = 5


@dataclass(frozen=True)
class PairCounts:
    """How many pairs fall in each category (see the module docstring)."""

    concordant: int
    discordant: int
    estimator_tied: int
    truth_tied: int
    failed: int

    @property
    def ordered_by_truth(self) -> int:
        """Pairs with a right answer: the truth orders them and both rows are usable."""
        return self.concordant + self.discordant + self.estimator_tied

    @property
    def accuracy(self) -> float:
        """Right share of the pairs the truth orders, an estimator tie counting one half."""
        total = self.ordered_by_truth
        return (self.concordant + 0.5 * self.estimator_tied) / total if total else float("nan")

    @property
    def accuracy_strict(self) -> float:
        """Right share of the pairs the truth orders, an estimator tie counting as wrong."""
        total = self.ordered_by_truth
        return self.concordant / total if total else float("nan")

    @property
    def accuracy_untied(self) -> float:
        """Concordant share of the pairs both the truth and the estimator order."""
        total = self.concordant + self.discordant
        return self.concordant / total if total else float("nan")


@dataclass(frozen=True)
class GapBin:
    """Pair counts for true accuracy gaps in [low, high)."""

    low: float
    high: float
    counts: PairCounts


def _counts_from_row(row: np.ndarray) -> PairCounts:
    return PairCounts(
        concordant=int(row[_CONCORDANT]),
        discordant=int(row[_DISCORDANT]),
        estimator_tied=int(row[_ESTIMATOR_TIED]),
        truth_tied=int(row[_TRUTH_TIED]),
        failed=int(row[_FAILED]),
    )


def _check_edges(edges: Sequence[float]) -> np.ndarray:
    checked = np.asarray(edges, dtype=np.float64)
    if checked.ndim != 1 or not np.all(np.isfinite(checked)) or np.any(checked <= 0):
        raise ConfigError(f"gap bin edges must be finite positive numbers, got {edges!r}")
    if np.any(np.diff(checked) <= 0):
        raise ConfigError(f"gap bin edges must increase strictly, got {edges!r}")
    return checked


def _check_pairs(pairs: ArrayLike, n: int) -> np.ndarray:
    checked = np.asarray(pairs)
    if checked.size == 0:
        return np.empty((0, 2), dtype=np.intp)
    if checked.ndim != 2 or checked.shape[1] != 2 or not np.issubdtype(checked.dtype, np.integer):
        raise ValueError(f"pairs must be an (m, 2) array of row indices, got shape {checked.shape}")
    if checked.min() < 0 or checked.max() >= n:
        raise ValueError(f"pair indices must lie in [0, {n}), got {checked.min()}..{checked.max()}")
    if np.any(checked[:, 0] == checked[:, 1]):
        raise ValueError("pairs must join two different rows; found a row paired with itself")
    return checked.astype(np.intp)


def _all_pair_blocks(n: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """All i < j pairs as index arrays, in blocks of about BLOCK_ELEMENTS pairs."""
    rows_per_block = max(1, BLOCK_ELEMENTS // max(n, 1))
    columns = np.arange(n)
    for start in range(0, n, rows_per_block):
        rows = np.arange(start, min(n, start + rows_per_block))
        first, second = np.nonzero(columns[None, :] > rows[:, None])
        yield rows[first], second


def _pair_count_table(
    estimate: np.ndarray, truth: np.ndarray, pairs: ArrayLike | None, edges: np.ndarray
) -> np.ndarray:
    """Counts per (gap bin, category); the last bin row holds pairs without a finite gap."""
    n_bins = edges.size + 1
    usable = np.isfinite(estimate) & np.isfinite(truth)
    known_truth = np.isfinite(truth)
    # Zeroed copies keep inf - inf out of the arithmetic; flags say what is real.
    estimate = np.where(usable, estimate, 0.0)
    truth = np.where(known_truth, truth, 0.0)
    if pairs is None:
        blocks = _all_pair_blocks(estimate.size)
    else:
        checked = _check_pairs(pairs, estimate.size)
        blocks = iter([(checked[:, 0], checked[:, 1])])
    table = np.zeros((n_bins + 1) * _N_CATEGORIES, dtype=np.int64)
    for i, j in blocks:
        estimate_sign = np.sign(estimate[i] - estimate[j])
        truth_sign = np.sign(truth[i] - truth[j])
        category = np.where(estimate_sign == truth_sign, _CONCORDANT, _DISCORDANT)
        category[estimate_sign == 0] = _ESTIMATOR_TIED
        category[truth_sign == 0] = _TRUTH_TIED
        category[~(usable[i] & usable[j])] = _FAILED
        gap_bin = np.searchsorted(edges, np.abs(truth[i] - truth[j]), side="right")
        gap_bin[~(known_truth[i] & known_truth[j])] = n_bins
        table += np.bincount(gap_bin * _N_CATEGORIES + category, minlength=table.size)
    return table.reshape(n_bins + 1, _N_CATEGORIES)


def _tied_pairs(values: np.ndarray) -> int:
    """Pairs of rows with equal values (rows of a 2-D array: equal in every column)."""
    _, sizes = np.unique(values, axis=0, return_counts=True)
    return int((sizes * (sizes - 1) // 2).sum())


def _all_pair_counts_from_kendall(estimate: np.ndarray, truth: np.ndarray) -> PairCounts | None:
    """All-pair counts in O(n log n): tie counts by grouping, C - D from scipy's tau-b.

    tau_b = (C - D) / sqrt((n0 - n_est)(n0 - n_truth)), so C - D is recovered from
    scipy's float result and rounded to the integer it must be; None if the
    result is not within 1e-3 of an integer (then the caller counts pair by pair).
    """
    usable = np.isfinite(estimate) & np.isfinite(truth)
    n_all, n = estimate.size, int(np.count_nonzero(usable))
    estimate, truth = estimate[usable], truth[usable]
    pairs = n * (n - 1) // 2
    estimate_ties, truth_ties = _tied_pairs(estimate), _tied_pairs(truth)
    both_ties = _tied_pairs(np.column_stack([estimate, truth]))
    untied = pairs - estimate_ties - truth_ties + both_ties
    if untied == 0:
        difference = 0
    else:
        tau = stats.kendalltau(estimate, truth).statistic
        exact = tau * np.sqrt(float(pairs - estimate_ties)) * np.sqrt(float(pairs - truth_ties))
        difference = round(exact)
        if abs(exact - difference) > 1e-3:
            return None
    return PairCounts(
        concordant=(untied + difference) // 2,
        discordant=(untied - difference) // 2,
        estimator_tied=estimate_ties - both_ties,
        truth_tied=truth_ties,
        failed=n_all * (n_all - 1) // 2 - pairs,
    )


def _oriented(estimate: ArrayLike, truth: ArrayLike, higher_is_better: bool):
    estimate_vector = as_vector(estimate, "estimate")
    truth_vector = as_vector(truth, "truth")
    if estimate_vector.shape != truth_vector.shape:
        raise ValueError(
            f"estimate and truth differ in length: {estimate_vector.size} != {truth_vector.size}"
        )
    return (estimate_vector if higher_is_better else -estimate_vector), truth_vector


def pairwise_accuracy(
    estimate: ArrayLike,
    truth: ArrayLike,
    *,
    higher_is_better: bool = True,
    pairs: ArrayLike | None = None,
) -> PairCounts:
    """Pair counts (and accuracy) over all pairs of rows, or over the given index pairs."""
    oriented, truth_vector = _oriented(estimate, truth, higher_is_better)
    if pairs is None:
        counts = _all_pair_counts_from_kendall(oriented, truth_vector)
        if counts is not None:
            return counts
    table = _pair_count_table(oriented, truth_vector, pairs, _check_edges(DEFAULT_GAP_EDGES))
    return _counts_from_row(table.sum(axis=0))


def pairwise_accuracy_by_gap(
    estimate: ArrayLike,
    truth: ArrayLike,
    *,
    higher_is_better: bool = True,
    pairs: ArrayLike | None = None,
    edges: Sequence[float] = DEFAULT_GAP_EDGES,
) -> tuple[GapBin, ...]:
    """Pair counts per bin of true accuracy gap, bins [0, e1), [e1, e2), ..., [ek, inf)."""
    checked_edges = _check_edges(edges)
    oriented, truth_vector = _oriented(estimate, truth, higher_is_better)
    table = _pair_count_table(oriented, truth_vector, pairs, checked_edges)
    bounds = [0.0, *checked_edges.tolist(), float("inf")]
    return tuple(
        GapBin(low=bounds[b], high=bounds[b + 1], counts=_counts_from_row(table[b]))
        for b in range(len(bounds) - 1)
    )
