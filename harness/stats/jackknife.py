"""Jackknife intervals for Kendall, Spearman, Pearson and nDCG@k, in O(n log n) per score.

The percentile bootstrap (`harness.stats.bootstrap`) recomputes every figure on 1,000
resampled row sets; over NAS-Bench-201's whole space (9,445 rows) Kendall's tau alone costs
about half a second of CPU per (proxy, target), minutes for a multi-target leaderboard.
The jackknife (Quenouille 1956, Tukey 1958; Efron & Tibshirani 1993, ch. 11) needs the
figure on the n leave-one-out row sets instead, and for these four figures each of the n
values follows in closed form from per-row counts and sums computed once:

- **Kendall tau-b**: removing row i removes the pairs it is in. With s_i = sum_j
  sgn(x_i - x_j) sgn(y_i - y_j), the concordance S loses s_i and the tie corrections lose
  i's tie-group partners, so tau_(-i) = (S - s_i) / sqrt((n0' - n1')(n0' - n2')). The
  s_i come from one count of the rows strictly below each row in both orders
  (`strictly_dominated`, a merge-sort count over log2 n levels) and tie-group counts.
- **Spearman rho**: row i's removal lowers the average rank of every row above it by 1 and
  of every row tied with it by 1/2, so every sum of the Pearson r of the ranks (sum r'q',
  sum r'^2, ...) is the full sum less terms made of the same dominance counts, per-group
  sums and suffix sums of the ranks. All of them are multiples of 1/4 below 2^51 (for n
  up to about 150,000 rows): exact in float64.
- **Pearson r**: the five sums less row i's terms (on standardised values).
- **nDCG@k** (ties averaged, `harness.stats.ndcg`): the rows ranked after i move up one
  place, i's tie group loses i's gain and k becomes that of n - 1 rows, so DCG_(-i) is a
  prefix sum over the tie groups before i's, i's own group, and a suffix sum of the
  groups after it with the discounts shifted by one; the ideal DCG likewise in truth order.

`tests/stats/test_jackknife.py` checks every leave-one-out value against the figure
recomputed on the n - 1 rows (scipy, scikit-learn) with ties in either vector.

The interval is the normal one of the jackknife standard error, estimate +- z se with
se^2 = (n - 1)/n sum_i (theta_(-i) - mean)^2 and z the normal quantile of the confidence,
centred on the full-sample estimate (no bias correction) and clipped to the figure's range.
It suits large samples (whole-space tables): the jackknife standard error of a smooth
statistic agrees with the bootstrap's to O(1/n). It is undefined (NaN) when any
leave-one-out value is (a score or truth constant but for one row), or the estimate is.
Where one row moves the figure (`DOMINANT_SHARE`) the interval is flagged unreliable.
No reference implementation: the formulas are the textbook jackknife's; the tests are the
check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from harness.stats._rows import MIN_ROWS, check_confidence, usable_rows
from harness.stats.bootstrap import BootstrapCorrelations, Interval
from harness.stats.ndcg import discount_cumsum, ndcg_cutoff, relevance_gains
from harness.stats.rank import RESAMPLED_STATISTICS, point_estimate

#: The statistics the jackknife gives leave-one-out values of.
JACKKNIFE_STATISTICS: tuple[str, ...] = ("kendall", "spearman", "pearson", "ndcg")
#: A jackknife interval is flagged unreliable when the one most influential architecture
#: carries more than this share of the leave-one-out variance (`dominant_share`): the
#: figure then moves with a single row (a non-smooth statistic: nDCG when a few cells
#: hold all the gain, Pearson r with an outlying score), where the normal interval of the
#: jackknife is known to fail. On the whole NB201 space Kendall's largest share is 0.06 and
#: nDCG@10%'s against accuracy 0.41; against PGD at eps 8/255 nDCG's is 1.0.
DOMINANT_SHARE = 0.5


def strictly_dominated(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """For every row i, how many rows j have x_j < x_i and y_j < y_i (any real values)."""
    if x.size < 2:
        return np.zeros(x.size, dtype=np.int64)
    return _dominated_ranks(_dense_ranks(x), _dense_ranks(y))


def _dense_ranks(values: np.ndarray) -> np.ndarray:
    """0-based ranks of the distinct values (ties share one)."""
    return np.unique(values, return_inverse=True)[1].astype(np.int64).ravel()


def _dominated_ranks(x_rank: np.ndarray, y_rank: np.ndarray) -> np.ndarray:
    """`strictly_dominated` of dense 0-based ranks. Rows are ordered by x ascending, ties
    by y descending, so a row's predecessors with a smaller y are exactly the rows below
    it in both; they are counted by merging sorted blocks level by level: at level L
    every row in the right half of a block of 2^(L+1) positions counts the rows of the
    left half with a smaller y (one sort and two binary searches over all blocks at once,
    the block number added to the key)."""
    n = x_rank.size
    width = int(y_rank.max()) + 1
    order = np.argsort(x_rank * width + (width - 1 - y_rank), kind="stable")
    ranks = y_rank[order]
    position = np.arange(n, dtype=np.int64)
    found = np.zeros(n, dtype=np.int64)
    level = 0
    while (1 << level) < n:
        block = position >> level
        pair = block >> 1
        right = (block & 1).astype(bool)
        left_keys = np.sort(pair[~right] * width + ranks[~right])
        keys = pair[right] * width
        found[right] += np.searchsorted(left_keys, keys + ranks[right], side="left")
        found[right] -= np.searchsorted(left_keys, keys, side="left")
        level += 1
    counts = np.empty(n, dtype=np.int64)
    counts[order] = found
    return counts


@dataclass(frozen=True)
class _Ties:
    """One vector's tie groups: each row's group (by value), the group's size, how many
    rows lie below its value, and per-row sums over other vectors by group."""

    group: np.ndarray
    size: np.ndarray  # per row: its group's size
    below: np.ndarray  # per row: rows with a smaller value
    counts: np.ndarray  # per group, ascending values: its size
    starts: np.ndarray  # per group, ascending values: first position

    @classmethod
    def of(cls, values: np.ndarray) -> _Ties:
        _, group, counts = np.unique(values, return_inverse=True, return_counts=True)
        group = group.astype(np.int64).ravel()
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        return cls(group, counts[group], starts[group], counts, starts)

    @property
    def constant_without(self) -> np.ndarray:
        """Per row i: whether the other rows all hold one value."""
        return self.starts.size - (self.size == 1) <= 1

    @property
    def tied_pairs(self) -> float:
        """Pairs of rows tied with each other (n1 or n2 of tau-b)."""
        return float(np.sum(self.counts * (self.counts - 1)) / 2)

    @property
    def above(self) -> np.ndarray:
        """Per row: rows with a larger value."""
        return self.group.size - self.below - self.size

    def above_and_half_tied(self, weights: np.ndarray) -> np.ndarray:
        """Per row i: sum of weights_j over rows with a larger value, plus half the sum over
        the other rows of i's group."""
        per_group = np.bincount(self.group, weights=weights)
        larger = np.concatenate([np.cumsum(per_group[::-1])[::-1][1:], [0.0]])
        return larger[self.group] + 0.5 * (per_group[self.group] - weights)


def _within_group_counts(group: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row i: the rows of i's group (by `group`) with a smaller `other`, and those with
    an equal `other` (i included)."""
    width = int(other.max()) + 1
    keys = group.astype(np.int64) * width + other
    ordered = np.sort(keys)
    first = np.searchsorted(ordered, group.astype(np.int64) * width, side="left")
    low = np.searchsorted(ordered, keys, side="left")
    high = np.searchsorted(ordered, keys, side="right")
    return low - first, high - low


def _correlation(sum_ab, sum_a, sum_b, sum_aa, sum_bb, m) -> np.ndarray:
    """Pearson r from the sums of m pairs."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sum_ab - sum_a * sum_b / m) / np.sqrt(
            (sum_aa - sum_a**2 / m) * (sum_bb - sum_b**2 / m)
        )


def _rank_leave_one_out(tx: _Ties, ty: _Ties) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out Kendall tau-b and Spearman rho of every row (see the module docstring),
    from the tie groups of the score (`tx`) and the truth (`ty`)."""
    n = tx.group.size
    both_below = _dominated_ranks(tx.group, ty.group)
    x_below_y_tied, xy_tied = _within_group_counts(ty.group, tx.group)
    y_below_x_tied, _ = _within_group_counts(tx.group, ty.group)
    x_above_y_tied = ty.size - x_below_y_tied - xy_tied
    y_above_x_tied = tx.size - y_below_x_tied - xy_tied
    x_below_y_above = tx.below - both_below - x_below_y_tied
    x_above_y_below = ty.below - both_below - y_below_x_tied
    both_above = tx.above - x_above_y_below - x_above_y_tied
    m = n - 1

    # Kendall tau-b: concordant minus discordant pairs, and the tie corrections
    s = both_below + both_above - x_below_y_above - x_above_y_below
    total = s.sum() / 2
    pairs = m * (m - 1) / 2
    ties_x = tx.tied_pairs - (tx.size - 1)
    ties_y = ty.tied_pairs - (ty.size - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        kendall = (total - s) / np.sqrt((pairs - ties_x) * (pairs - ties_y))
    kendall[(pairs - ties_x == 0) | (pairs - ties_y == 0)] = np.nan

    # Spearman rho: the average ranks after removing row i
    r = tx.below + (tx.size + 1) / 2.0
    q = ty.below + (ty.size + 1) / 2.0
    r_on_q_shift = ty.above_and_half_tied(r)  # sum_j r_j b_ij
    q_on_r_shift = tx.above_and_half_tied(q)  # sum_j a_ij q_j
    r_on_r_shift = tx.above_and_half_tied(r)  # sum_j r_j a_ij
    q_on_q_shift = ty.above_and_half_tied(q)
    shifts_both = (
        both_above + 0.5 * x_above_y_tied + 0.5 * y_above_x_tied + 0.25 * (xy_tied - 1)
    )  # sum_j a_ij b_ij
    rank_sum = m * (m + 1) / 2.0
    sum_rq = np.dot(r, q) - r * q - r_on_q_shift - q_on_r_shift + shifts_both
    sum_rr = np.dot(r, r) - r * r - 2 * r_on_r_shift + tx.above + 0.25 * (tx.size - 1)
    sum_qq = np.dot(q, q) - q * q - 2 * q_on_q_shift + ty.above + 0.25 * (ty.size - 1)
    spearman = _correlation(sum_rq, rank_sum, rank_sum, sum_rr, sum_qq, m)
    return kendall, spearman


def _pearson_leave_one_out(x: np.ndarray, y: np.ndarray, tx: _Ties, ty: _Ties) -> np.ndarray:
    """Leave-one-out Pearson r of every row, from the sums on standardised values."""
    with np.errstate(invalid="ignore", divide="ignore"):
        a = (x - x.mean()) / x.std()
        b = (y - y.mean()) / y.std()
    m = x.size - 1
    value = _correlation(
        np.dot(a, b) - a * b, a.sum() - a, b.sum() - b, np.dot(a, a) - a * a,
        np.dot(b, b) - b * b, m,
    )  # fmt: skip
    # a vector constant but for row i: its variance without i is 0, not a rounding residue
    value[tx.constant_without | ty.constant_without] = np.nan
    return value


def _dcg_leave_one_out(ties: _Ties, gains: np.ndarray, k: int) -> np.ndarray:
    """DCG@k (ties averaged) of the rows ranked by the value whose tie groups are `ties`,
    descending, with each row left out in turn."""
    n = ties.group.size
    group = ties.starts.size - 1 - ties.group  # groups in descending order of the value
    sizes = ties.counts[::-1]
    totals = np.bincount(group, weights=gains)
    ends = np.cumsum(sizes)
    starts = ends - sizes
    discounts = discount_cumsum(n, k)  # C[p]: the first p positions' discounts
    mean = totals / sizes
    staying = mean * (discounts[ends] - discounts[starts])
    shifted = mean * (discounts[np.maximum(ends - 1, 0)] - discounts[np.maximum(starts - 1, 0)])
    before = np.concatenate([[0.0], np.cumsum(staying)])[group]
    after = np.concatenate([np.cumsum(shifted[::-1])[::-1][1:], [0.0]])[group]
    own_size = sizes[group] - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        own_mean = np.where(own_size > 0, (totals[group] - gains) / own_size, 0.0)
    own = own_mean * (discounts[ends[group] - 1] - discounts[starts[group]])
    return before + own + after


def _ndcg_leave_one_out(y: np.ndarray, tx: _Ties, ty: _Ties) -> np.ndarray:
    """Leave-one-out nDCG@k (k = `ndcg_cutoff(n - 1)`) of every row."""
    n = y.size
    gains = relevance_gains(y)
    if gains is None or n - 1 < MIN_ROWS:
        return np.full(n, np.nan)
    k = ndcg_cutoff(n - 1)
    dcg = _dcg_leave_one_out(tx, gains, k)
    ideal = _dcg_leave_one_out(ty, gains, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = dcg / ideal
    value[ideal <= 0] = np.nan
    return value


def leave_one_out(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Each of `JACKKNIFE_STATISTICS` on the rows without row i, for every i, of finite,
    oriented vectors (NaN where a leave-one-out set is constant or too small)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size - 1 < MIN_ROWS:
        nothing = np.full(x.size, np.nan)
        return dict.fromkeys(JACKKNIFE_STATISTICS, nothing)
    tx, ty = _Ties.of(x), _Ties.of(y)  # each vector's tie groups, sorted once
    kendall, spearman = _rank_leave_one_out(tx, ty)
    return {
        "kendall": np.clip(kendall, -1.0, 1.0),
        "spearman": np.clip(spearman, -1.0, 1.0),
        "pearson": np.clip(_pearson_leave_one_out(x, y, tx, ty), -1.0, 1.0),
        "ndcg": np.clip(_ndcg_leave_one_out(y, tx, ty), 0.0, 1.0),
    }


def dominant_share(values: np.ndarray) -> float:
    """The largest share of the jackknife's sum of squares, sum_i (theta_(-i) - mean)^2,
    that one leave-one-out value carries (NaN if any is undefined or all are equal)."""
    if values.size < 2 or not np.all(np.isfinite(values)):
        return float("nan")
    squares = (values - values.mean()) ** 2
    total = float(squares.sum())
    return float(squares.max()) / total if total > 0 else float("nan")


def jackknife_standard_error(values: np.ndarray) -> float:
    """The jackknife standard error from n leave-one-out values; NaN if any is NaN."""
    n = values.size
    if n < 2 or not np.all(np.isfinite(values)):
        return float("nan")
    return float(np.sqrt((n - 1) / n * np.sum((values - values.mean()) ** 2)))


def normal_quantile(confidence: float) -> float:
    """z of a central `confidence` normal interval."""
    return float(stats.norm.ppf(0.5 + confidence / 2))


def jackknife_interval(
    estimate: float, values: np.ndarray, confidence: float, bounds: tuple[float, float]
) -> Interval:
    """The estimate with its jackknife normal interval (estimate +- z se, clipped to
    `bounds`); `n_resamples` is the number of leave-one-out values, `n_undefined` how
    many of them are NaN (then the interval is NaN)."""
    undefined = int(np.count_nonzero(~np.isfinite(values)))
    half = normal_quantile(confidence) * jackknife_standard_error(values)
    low, high = (float("nan"),) * 2
    if np.isfinite(estimate) and np.isfinite(half):
        low = float(np.clip(estimate - half, *bounds))
        high = float(np.clip(estimate + half, *bounds))
    return Interval(float(estimate), low, high, confidence, int(values.size), undefined)


def jackknife_correlations(
    score: ArrayLike,
    truth: ArrayLike,
    *,
    higher_is_better: bool = True,
    confidence: float = 0.95,
    failures: str = "drop",
) -> BootstrapCorrelations:
    """`bootstrap_correlations`' figures with jackknife normal intervals instead of
    percentile-bootstrap ones (same estimates, rows and failure policy; no resampling, so
    no seed)."""
    confidence = check_confidence(confidence)
    rows = usable_rows(score, truth, higher_is_better=higher_is_better, failures=failures)
    values = leave_one_out(rows.score, rows.truth)
    intervals = {}
    for name in RESAMPLED_STATISTICS:
        estimate = point_estimate(name, rows.score, rows.truth)
        bounds = (0.0, 1.0) if name == "ndcg" else (-1.0, 1.0)
        intervals[name] = jackknife_interval(estimate, values[name], confidence, bounds)
    if rows.n_filled:  # a failure ranked worst has no value for Pearson r
        nothing = np.full(rows.n, np.nan)
        intervals["pearson"] = jackknife_interval(float("nan"), nothing, confidence, (-1, 1))
    unreliable = tuple(
        name
        for name in RESAMPLED_STATISTICS
        if np.isfinite(intervals[name].low) and dominant_share(values[name]) > DOMINANT_SHARE
    )
    return BootstrapCorrelations(
        n=rows.n, n_failed=rows.n_failed, **intervals, unreliable=unreliable
    )
