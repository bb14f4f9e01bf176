"""Vectorised bootstrap replicates of Kendall tau-b, Spearman rho, Pearson r and nDCG@k.

A bootstrap resample draws n rows with replacement. Computing each statistic
with scipy in a Python loop costs about a millisecond per resample at n = 1,000;
here all resamples of a chunk are computed at once from the (resamples x n)
matrix of row counts (how often each original row was drawn).

Kendall tau-b from multiplicities. Let c be how often each original row occurs
in a resample and M_ij = sign(x_i - x_j) * sign(y_i - y_j). Over the n(n-1)/2
position pairs of the resample, concordant minus discordant = c' M c / 2
(a row drawn twice forms a pair with sign 0, i.e. tied in x and in y, exactly as
scipy treats duplicated rows). Pairs not tied in x number
(n^2 - sum_g C_g^2) / 2, where C_g is the number of drawn rows whose x equals
the g-th distinct x value; likewise for y. So
    tau_b = c' M c / sqrt((n^2 - sum_g Cx_g^2) * (n^2 - sum_g Cy_g^2)),
and c' M c for all resamples is one (R x n) @ (n x n) product. The product is
done in float32, which is exact here: every entry of C @ M is an integer no
larger than n in magnitude; the final dot products are summed in float64.

Spearman and Pearson come from the same counts without sorting anything per
resample: with C_g the drawn rows per distinct value (values in ascending
order), the average rank of a drawn row in group g is
sum_{h<g} C_h + (C_g + 1) / 2, and both statistics are the count-weighted
Pearson correlation of (ranks or centred values), i.e. a few (R x n) sums.
A resample whose x or y is constant gives NaN for every statistic.

Rows a column must not use (a proxy's failures under the "drop" policy, when several
columns share the resampled rows) are masked: their counts are set to 0, so a
replicate uses the drawn rows the column may use, and every formula above reads the
number of rows of each replicate from its counts (`n_r = sum_i c_i`) rather than n.

Memory is bounded by `block_elements`: resamples are drawn in chunks of about
block_elements / n rows, and M is built and multiplied in blocks of about
block_elements / n rows, never as a whole n x n matrix once n exceeds
sqrt(block_elements) (about 2,000). The matrix form costs O(n^2) per resample,
so above KENDALL_MATRIX_MAX_ROWS rows c' M c / 2 (concordant minus discordant pairs)
comes from a Fenwick tree over y's ranks updated for all resamples of a chunk at once
(`_concordance_sum`, O(n log n) per resample, exact) and tau-b is formed as scipy forms
it, (con - dis) / sqrt(pairs untied in x) / sqrt(pairs untied in y): the replicates are
bit for bit scipy's `kendalltau` on each resample, which this path called in a loop
before issue 23 (about 3.7 ms per resample at n = 9,445; now about 1 ms).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence

import numpy as np

from harness.stats._rows import MIN_ROWS
from harness.stats.ndcg import NDCG_SHARE, discount_cumsum, relevance_gains

#: Upper bound on the elements of the largest (rows x n) working array.
BLOCK_ELEMENTS = 2**22

#: Above this many rows the O(n^2)-per-resample matrix form of Kendall loses to an
#: O(n log n) one (measured on 2 CPU cores against scipy per resample: 1.3 vs 3.9 ms at
#: n = 4,000, 11 vs 4.8 ms at n = 8,000), so Kendall replicates come from the Fenwick
#: tree of `_concordance_sum` instead; Spearman and Pearson stay vectorised.
KENDALL_MATRIX_MAX_ROWS = 5000


def resample_index_chunks(
    rng: np.random.Generator, n: int, n_resamples: int, block_elements: int = BLOCK_ELEMENTS
) -> Iterator[np.ndarray]:
    """Index matrices (chunk x n) of rows drawn with replacement, n_resamples rows in all."""
    rows_per_chunk = max(1, block_elements // n)
    drawn = 0
    while drawn < n_resamples:
        size = min(rows_per_chunk, n_resamples - drawn)
        yield rng.integers(0, n, size=(size, n))
        drawn += size


def _row_counts(labels: np.ndarray, n_labels: int) -> np.ndarray:
    """For each row of `labels` (R x m ints below n_labels), how often each label occurs."""
    n_rows = labels.shape[0]
    offsets = np.arange(n_rows)[:, None] * n_labels
    flat = np.bincount((labels + offsets).ravel(), minlength=n_rows * n_labels)
    return flat.reshape(n_rows, n_labels)


class _Column:
    """Facts about one (x, y) column that do not depend on the resample; `used` (a
    boolean mask or None for all) names the rows the column may use."""

    def __init__(self, x: np.ndarray, y: np.ndarray, used: np.ndarray | None = None):
        self.x, self.y, self.n, self.used = x, y, x.size, used
        self.x_groups = _ValueGroups(x)
        self.y_groups = _ValueGroups(y)
        self.x_standardised = _standardised(x, used)
        self.y_standardised = _standardised(y, used)
        self.gains = relevance_gains(y)  # None (nDCG undefined) if some truth is negative


def _standardised(values: np.ndarray, used: np.ndarray | None = None) -> np.ndarray:
    """Centred on the mean of the used rows, scaled to their unit spread (Pearson r does
    not change).

    Centring keeps the one-pass sums of `_weighted_pearson` well conditioned, and
    scaling keeps squares of huge scores (synflow reaches 1e40 and more) finite; a
    masked row's value, whatever it is, must not spoil either.
    """
    kept = values if used is None or not used.any() else values[used]
    centred = values - kept.mean()
    spread = np.abs(centred if used is None or not used.any() else centred[used]).max()
    return centred / spread if spread > 0 else centred


class _ValueGroups:
    """Rows grouped by equal value, groups in ascending order of value."""

    def __init__(self, values: np.ndarray):
        _, self.of_row = np.unique(values, return_inverse=True)
        self.order = np.argsort(self.of_row, kind="stable")
        sorted_groups = self.of_row[self.order]
        self.starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])

    def totals(self, counts: np.ndarray) -> np.ndarray:
        """Drawn rows per value group, for each resample: (R x groups)."""
        return np.add.reduceat(counts[:, self.order], self.starts, axis=1)

    def centred_average_ranks(self, group_totals: np.ndarray) -> np.ndarray:
        """Average rank of each row within each resample, minus the mean rank (R x n)."""
        n = group_totals.sum(axis=1, keepdims=True)
        below = np.cumsum(group_totals, axis=1) - group_totals
        rank = below + (group_totals + 1) / 2.0
        return rank[:, self.of_row] - (n + 1) / 2.0


def _sign_block(values: np.ndarray, rows: slice) -> np.ndarray:
    """sign(values[i] - values[j]) for i in `rows`, all j, as int8."""
    block = values[rows, None]
    return (block > values[None, :]).astype(np.int8) - (block < values[None, :]).astype(np.int8)


def _concordance_form(
    x: np.ndarray, y: np.ndarray, counts: np.ndarray, block_elements: int
) -> np.ndarray:
    """c' M c for each row c of `counts`, M_ij = sign(x_i - x_j) sign(y_i - y_j), in blocks of M."""
    n = x.size
    counts32 = counts.astype(np.float32)
    form = np.zeros(counts.shape[0])
    rows_per_block = max(1, block_elements // n)
    for start in range(0, n, rows_per_block):
        rows = slice(start, min(n, start + rows_per_block))
        concordance = (_sign_block(x, rows) * _sign_block(y, rows)).astype(np.float32)
        weighted = counts32 @ concordance.T  # (R x block): sum_j c_j M_ij, exact in float32
        form += np.einsum("rb,rb->r", weighted.astype(np.float64), counts[:, rows])
    return form


def _weighted_pearson(a: np.ndarray, b: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Pearson r of per-row values a, b (vectors or R x n) with row multiplicities `counts`."""
    if a.ndim == 1:
        sum_a, sum_b = counts @ a, counts @ b
        sum_ab, sum_aa, sum_bb = counts @ (a * b), counts @ (a * a), counts @ (b * b)
    else:
        weighted_a = counts * a
        sum_a, sum_b = weighted_a.sum(axis=1), np.einsum("rn,rn->r", counts, b)
        sum_ab = np.einsum("rn,rn->r", weighted_a, b)
        sum_aa = np.einsum("rn,rn->r", weighted_a, a)
        sum_bb = np.einsum("rn,rn->r", counts * b, b)
    n = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sum_ab - sum_a * sum_b / n) / np.sqrt(
            (sum_aa - sum_a**2 / n) * (sum_bb - sum_b**2 / n)
        )


def _ndcg_replicates(
    column: _Column, counts: np.ndarray, x_totals: np.ndarray, y_totals: np.ndarray
) -> np.ndarray:
    """nDCG@k (`harness.stats.ndcg`, ties averaged) of each resample from its row counts
    (`x_totals` / `y_totals`: the drawn rows per score / truth group).

    In a resample sorted by score, the rows of one score group fill positions start+1 ..
    end (start = rows drawn with a higher score) and share the mean gain of the group's
    drawn rows; the group adds that mean times the discounts of its positions up to k:
    C[min(end, k)] - C[min(start, k)], C the cumulative discounts. The ideal DCG is the
    same sum over the truth's groups. k = NDCG_SHARE of the drawn rows, rounded up.
    """
    drawn = counts.sum(axis=1)
    if column.gains is None:
        return np.full(counts.shape[0], np.nan)
    k = np.maximum(1.0, np.ceil(NDCG_SHARE * drawn - 1e-9))[:, None]
    cumulative = discount_cumsum(column.n, column.n)
    ideal = _ndcg_dcg(column.y_groups, y_totals, column, counts, k, cumulative)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = _ndcg_dcg(column.x_groups, x_totals, column, counts, k, cumulative) / ideal
    value[(ideal <= 0) | (drawn < MIN_ROWS)] = np.nan
    return value


def _ndcg_dcg(
    groups: _ValueGroups,
    totals: np.ndarray,
    column: _Column,
    counts: np.ndarray,
    k: np.ndarray,
    cumulative: np.ndarray,
) -> np.ndarray:
    """DCG@k of each resample ranked by the values `groups` groups (`totals`: the drawn
    rows per group), `column`'s gains; `cumulative` the cumulative discounts."""
    gains = column.gains[groups.order]
    gain_sums = np.add.reduceat(counts[:, groups.order] * gains, groups.starts, axis=1)
    totals, gain_sums = totals[:, ::-1], gain_sums[:, ::-1]  # highest value first
    end = np.cumsum(totals, axis=1)
    discounts = (
        cumulative[np.minimum(end, k).astype(np.int64)]
        - cumulative[np.minimum(end - totals, k).astype(np.int64)]
    )
    mean_gain = np.divide(gain_sums, totals, out=np.zeros_like(gain_sums), where=totals > 0)
    return np.einsum("rg,rg->r", mean_gain, discounts)


@functools.lru_cache(maxsize=4)
def _fenwick_paths(size: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """For each rank r = 1..size of a Fenwick (binary indexed) tree over ranks 1..size
    (index r - 1): the nodes of the prefix queries up to r - 1 and up to r together (their
    sum is W_< + W_<=), and the nodes an update at r adds to. Cached: read, never modify."""
    queries, updates = [np.empty(0, dtype=np.intp)], []
    for rank in range(1, size + 1):
        down, up, i = [], [], rank
        while i > 0:
            down.append(i)
            i -= i & -i
        i = rank
        while i <= size:
            up.append(i)
            i += i & -i
        queries.append(np.array(down, dtype=np.intp))
        updates.append(np.array(up, dtype=np.intp))
    both = [np.concatenate([queries[r - 1], queries[r]]) for r in range(1, size + 1)]
    return both, updates


def _concordance_sum(column: _Column, counts: np.ndarray, untied_x: np.ndarray) -> np.ndarray:
    """sum_{i<j} c_i c_j sign(x_i - x_j) sign(y_i - y_j) (concordant minus discordant pairs
    of the resample) for each row c of `counts`, exactly, in O(n log n) per resample;
    `untied_x` = n^2 - sum_g Cx_g^2 of each resample (twice the pairs not tied in x).

    Rows are visited in ascending order of x, a whole group of equal x at a time (pairs
    tied in x count 0); a Fenwick tree over the ranks of y holds, for every resample at
    once, the counts of the rows visited so far. A row b pairs with them as
    c_b (W_<(b) - W_>(b)) = c_b (W_<(b) + W_<=(b) - W_visited); summed over b, the last
    term is the number of pairs not tied in x, untied_x / 2. Every sum is of integers
    below 2**53, so exact in float64.
    """
    weights = np.ascontiguousarray(counts.T)
    return fenwick_pair_sums(column, weights, np.float64, np.float64) - untied_x / 2


def fenwick_pair_sums(
    column: _Column, weights: np.ndarray, tree_dtype: type, total_dtype: type
) -> np.ndarray:
    """sum over rows b of c_b (W_<(b) + W_<=(b)) for every resample (`weights`: n x R
    row counts), rows visited a whole group of equal x at a time (see
    `_concordance_sum`); the tree and the totals in the dtypes given."""
    rank = column.y_groups.of_row.tolist()
    size = int(column.y_groups.starts.size)
    both, updates = _fenwick_paths(size)
    tree = np.zeros((size + 1, weights.shape[1]), dtype=tree_dtype)
    total = np.zeros(weights.shape[1], dtype=total_dtype)
    groups = column.x_groups
    bounds = [*groups.starts.tolist(), column.n]
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        members = groups.order[start:end].tolist()
        for b in members:
            total += weights[b] * tree[both[rank[b]]].sum(axis=0)
        for b in members:
            tree[updates[rank[b]]] += weights[b]
    return total


def _column_replicates(
    column: _Column,
    counts: np.ndarray,
    statistics: Sequence[str],
    block_elements: int = BLOCK_ELEMENTS,
) -> np.ndarray:
    """(len(statistics), R) replicates of one column from the row counts of R resamples
    (0 for the rows the column does not use)."""
    x_totals = column.x_groups.totals(counts)
    y_totals = column.y_groups.totals(counts)
    n_squared = counts.sum(axis=1) ** 2
    untied_x = n_squared - np.einsum("rg,rg->r", x_totals, x_totals)
    untied_y = n_squared - np.einsum("rg,rg->r", y_totals, y_totals)
    constant = (untied_x == 0) | (untied_y == 0)  # every statistic is undefined there
    replicates = np.empty((len(statistics), counts.shape[0]))
    for s, statistic in enumerate(statistics):
        if statistic == "kendall" and column.n > KENDALL_MATRIX_MAX_ROWS:
            # scipy's tau-b, term for term: (con - dis) / sqrt(untied x) / sqrt(untied y)
            with np.errstate(invalid="ignore", divide="ignore"):
                value = (
                    _concordance_sum(column, counts, untied_x)
                    / np.sqrt(untied_x / 2)
                    / np.sqrt(untied_y / 2)
                )
        elif statistic == "kendall":
            form = _concordance_form(column.x, column.y, counts, block_elements)
            with np.errstate(invalid="ignore", divide="ignore"):
                value = form / np.sqrt(untied_x * untied_y)
        elif statistic == "spearman":
            value = _weighted_pearson(
                column.x_groups.centred_average_ranks(x_totals),
                column.y_groups.centred_average_ranks(y_totals),
                counts,
            )
        elif statistic == "pearson":
            value = _weighted_pearson(column.x_standardised, column.y_standardised, counts)
        elif statistic == "ndcg":  # defined for a constant score or truth (see its module)
            replicates[s] = np.clip(_ndcg_replicates(column, counts, x_totals, y_totals), 0.0, 1.0)
            continue
        else:
            raise ValueError(f"unknown statistic {statistic!r}")
        value[constant] = np.nan
        replicates[s] = np.clip(value, -1.0, 1.0)
    return replicates


def _replicates_of(
    statistic: str, x: np.ndarray, y: np.ndarray, indices: np.ndarray, **kwargs
) -> np.ndarray:
    counts = _row_counts(indices, x.size).astype(np.float64)
    return _column_replicates(_Column(x, y), counts, [statistic], **kwargs)[0]


def kendall_tau_b_replicates(
    x: np.ndarray, y: np.ndarray, indices: np.ndarray, block_elements: int = BLOCK_ELEMENTS
) -> np.ndarray:
    """Kendall tau-b of (x[idx], y[idx]) for each row idx of `indices`."""
    return _replicates_of("kendall", x, y, indices, block_elements=block_elements)


def spearman_rho_replicates(x: np.ndarray, y: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Spearman rho (Pearson r of average ranks) of (x[idx], y[idx]) for each row of `indices`."""
    return _replicates_of("spearman", x, y, indices)


def pearson_r_replicates(x: np.ndarray, y: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Pearson r of (x[idx], y[idx]) for each row idx of `indices`."""
    return _replicates_of("pearson", x, y, indices)


def paired_replicates(
    columns: Sequence[tuple[np.ndarray, np.ndarray]],
    statistics: Sequence[str],
    n_resamples: int,
    rng: np.random.Generator,
    used: Sequence[np.ndarray | None] | None = None,
) -> np.ndarray:
    """Replicates, shape (len(columns), len(statistics), n_resamples), on shared resampled rows.

    `columns` are (score, truth) pairs of equal length whose rows correspond;
    every pair sees the same resampled rows, which makes differences between
    them paired. `used` (one boolean mask or None per column) masks rows a column
    must not use: a replicate of that column uses only the drawn rows its mask keeps
    (the values of masked rows are ignored but must be finite). With no rows at all
    every replicate is NaN.
    """
    n = columns[0][1].size
    replicates = np.full((len(columns), len(statistics), n_resamples), np.nan)
    if n == 0:
        return replicates
    masks = list(used) if used is not None else [None] * len(columns)
    if len(masks) != len(columns):
        raise ValueError(f"{len(masks)} masks for {len(columns)} columns")
    prepared = [_Column(x, y, mask) for (x, y), mask in zip(columns, masks, strict=True)]
    done = 0
    for indices in resample_index_chunks(rng, n, n_resamples):
        chunk = slice(done, done + indices.shape[0])
        counts = _row_counts(indices, n).astype(np.float64)
        for c, column in enumerate(prepared):
            column_counts = counts if column.used is None else counts * column.used
            replicates[c, :, chunk] = _column_replicates(column, column_counts, statistics)
        done = chunk.stop
    return replicates
