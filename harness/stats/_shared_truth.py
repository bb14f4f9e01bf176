"""Bootstrap replicates of many scores against one truth, the truth's work done once.

A multi-target leaderboard bootstraps every proxy against the same target with the same
seed, so every proxy sees the same resampled rows (`paired_replicates` draws them from
a fresh generator per proxy). Here the rows are drawn once per chunk and everything
that depends only on the truth and the drawn rows is computed once for all scores:
the row counts, the truth's value groups and their totals, the truth's average ranks
and their sums and the ideal DCG (nDCG). Kendall's Fenwick tree (above
KENDALL_MATRIX_MAX_ROWS rows) runs once per score over all resamples, in integers; the
rest runs on parts of each chunk small enough to stay in the CPU's caches.

Every replicate equals `paired_replicates([(x, truth)], ...)` bit for bit:

- Kendall: concordant minus discordant pairs are integers, counted exactly (the same
  matrix form or Fenwick tree as there), and tau-b is formed by the same expression;
- Spearman: the average ranks are multiples of 1/2 and the counts integers, so every
  sum of the count-weighted Pearson r (sums of c·a, c·a², c·a·b...) is a multiple of 1/4
  far below 2**51 and exact in whatever order it is added; here the score's sums are
  taken per value group (totals times the group's rank) instead of per row, and r is
  formed by the same expression;
- Pearson and nDCG: the same floating-point operations on the same arrays (only the
  truth's share is computed once and reused).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from harness.stats._resample import (
    BLOCK_ELEMENTS,
    KENDALL_MATRIX_MAX_ROWS,
    _Column,
    _concordance_form,
    _ndcg_dcg,
    _row_counts,
    fenwick_pair_sums,
    resample_index_chunks,
)
from harness.stats._rows import MIN_ROWS
from harness.stats.ndcg import NDCG_SHARE, discount_cumsum

#: Resamples are drawn in chunks of `_resample.BLOCK_ELEMENTS`; everything but a matrix
#: product is computed on parts of a chunk of about this many elements (resamples x rows),
#: whose working arrays stay in the CPU's caches (about 2x faster than whole chunks at
#: 9,445 rows); every statistic there is computed resample by resample, so the parts give
#: the numbers the whole chunk gives.
SUB_CHUNK_ELEMENTS = 2**18


class _TruthChunk:
    """The truth's share of one chunk of resamples: counts, group totals, ranks, sums."""

    def __init__(self, truth: _Column, counts: np.ndarray):
        self.counts = counts
        self.drawn = counts.sum(axis=1)
        self.n_squared = self.drawn**2
        self.totals = truth.y_groups.totals(counts)
        self.untied = self.n_squared - np.einsum("rg,rg->r", self.totals, self.totals)
        ranks = truth.y_groups.centred_average_ranks(self.totals)
        self.weighted_ranks = counts * ranks  # c_i b_i, summed per score group below
        self.rank_sum = self.weighted_ranks.sum(axis=1)
        self.rank_squares = np.einsum("rn,rn->r", self.weighted_ranks, ranks)
        self.ideal = None
        if truth.gains is not None:
            k = np.maximum(1.0, np.ceil(NDCG_SHARE * self.drawn - 1e-9))[:, None]
            self.k, self.discounts = k, discount_cumsum(truth.n, truth.n)
            self.ideal = _ndcg_dcg(truth.y_groups, self.totals, truth, counts, k, self.discounts)


def _pearson(sum_a, sum_b, sum_ab, sum_aa, sum_bb, n) -> np.ndarray:
    """Pearson r from its sums, by `_resample._weighted_pearson`'s expression."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sum_ab - sum_a * sum_b / n) / np.sqrt(
            (sum_aa - sum_a**2 / n) * (sum_bb - sum_b**2 / n)
        )


def _whole_chunk(
    column: _Column, counts: np.ndarray, statistics: Sequence[str], block_elements: int
) -> dict[str, np.ndarray]:
    """What is computed over a whole chunk of resamples at once, as `paired_replicates`
    does (a matrix product's rounding may depend on its shape): Pearson r before its
    undefined resamples are masked, and c' M c of Kendall's matrix form."""
    whole = {}
    if "pearson" in statistics:
        a, b = column.x_standardised, column.y_standardised
        whole["pearson"] = _pearson(
            counts @ a,
            counts @ b,
            counts @ (a * b),
            counts @ (a * a),
            counts @ (b * b),
            counts.sum(axis=1),
        )
    if "kendall" in statistics and column.n <= KENDALL_MATRIX_MAX_ROWS:
        whole["kendall"] = _concordance_form(column.x, column.y, counts, block_elements)
    return whole


def _score_replicates(
    column: _Column, chunk: _TruthChunk, statistics: Sequence[str], whole: dict[str, np.ndarray]
) -> np.ndarray:
    """(len(statistics), R) replicates of one score against the chunk's truth (`whole`:
    `_whole_chunk`'s values for the chunk's resamples)."""
    counts, groups = chunk.counts, column.x_groups
    x_totals = groups.totals(counts)
    untied_x = chunk.n_squared - np.einsum("rg,rg->r", x_totals, x_totals)
    constant = (untied_x == 0) | (chunk.untied == 0)
    replicates = np.empty((len(statistics), counts.shape[0]))
    for s, statistic in enumerate(statistics):
        if statistic == "kendall" and column.n > KENDALL_MATRIX_MAX_ROWS:
            replicates[s] = untied_x  # tau-b once every chunk is drawn (`_fenwick_kendall`)
            continue
        if statistic == "kendall":
            with np.errstate(invalid="ignore", divide="ignore"):
                value = whole["kendall"] / np.sqrt(untied_x * chunk.untied)
        elif statistic == "spearman":
            below = np.cumsum(x_totals, axis=1) - x_totals
            ranks = below + (x_totals + 1) / 2.0 - (chunk.drawn[:, None] + 1) / 2.0
            truth_per_group = np.add.reduceat(
                chunk.weighted_ranks[:, groups.order], groups.starts, axis=1
            )
            value = _pearson(
                np.einsum("rg,rg->r", x_totals, ranks),
                chunk.rank_sum,
                np.einsum("rg,rg->r", truth_per_group, ranks),
                np.einsum("rg,rg->r", x_totals * ranks, ranks),
                chunk.rank_squares,
                chunk.drawn,
            )
        elif statistic == "pearson":
            value = whole["pearson"].copy()
        elif statistic == "ndcg":
            replicates[s] = np.clip(_ndcg(column, chunk, x_totals), 0.0, 1.0)
            continue
        else:
            raise ValueError(f"unknown statistic {statistic!r}")
        value[constant] = np.nan
        replicates[s] = np.clip(value, -1.0, 1.0)
    return replicates


def _ndcg(column: _Column, chunk: _TruthChunk, x_totals: np.ndarray) -> np.ndarray:
    """`_resample._ndcg_replicates` with the chunk's ideal DCG."""
    if chunk.ideal is None:
        return np.full(chunk.counts.shape[0], np.nan)
    dcg = _ndcg_dcg(column.x_groups, x_totals, column, chunk.counts, chunk.k, chunk.discounts)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = dcg / chunk.ideal
    value[(chunk.ideal <= 0) | (chunk.drawn < MIN_ROWS)] = np.nan
    return value


def shared_truth_replicates(
    scores: Sequence[np.ndarray],
    truth: np.ndarray,
    statistics: Sequence[str],
    n_resamples: int,
    rng: np.random.Generator,
    block_elements: int = BLOCK_ELEMENTS,
) -> np.ndarray:
    """Replicates, shape (len(scores), len(statistics), n_resamples), of every score
    against `truth` on the same resampled rows: equal, bit for bit, to
    `paired_replicates([(x, truth) for x in scores], statistics, n_resamples, rng)`."""
    n = truth.size
    replicates = np.full((len(scores), len(statistics), n_resamples), np.nan)
    if n == 0 or not scores:
        return replicates
    columns = [_Column(np.asarray(x, dtype=float), truth) for x in scores]
    fenwick = "kendall" in statistics and n > KENDALL_MATRIX_MAX_ROWS
    counts_of_chunks, untied_truth = [], []
    done = 0
    for indices in resample_index_chunks(rng, n, n_resamples):
        chunk = slice(done, done + indices.shape[0])
        counts = _row_counts(indices, n)
        weights = counts.astype(np.float64)
        step = max(1, SUB_CHUNK_ELEMENTS // n)
        parts = [slice(s, min(s + step, len(weights))) for s in range(0, len(weights), step)]
        truths = [_TruthChunk(columns[0], weights[part]) for part in parts]
        for c, column in enumerate(columns):
            whole = _whole_chunk(column, weights, statistics, block_elements)
            for part, shared in zip(parts, truths, strict=True):
                replicates[c, :, done + part.start : done + part.stop] = _score_replicates(
                    column, shared, statistics, {k: v[part] for k, v in whole.items()}
                )
        if fenwick:
            counts_of_chunks.append(counts.astype(np.int32))
            untied_truth += [shared.untied for shared in truths]
        done = chunk.stop
    if fenwick:
        k = list(statistics).index("kendall")
        weights = np.ascontiguousarray(np.concatenate(counts_of_chunks).T)
        untied_y = np.concatenate(untied_truth)
        for c, column in enumerate(columns):
            untied_x = replicates[c, k].copy()
            replicates[c, k] = _fenwick_kendall(column, weights, untied_x, untied_y)
    return replicates


def _fenwick_kendall(
    column: _Column, weights: np.ndarray, untied_x: np.ndarray, untied_y: np.ndarray
) -> np.ndarray:
    """Kendall tau-b of every resample (`weights`: n x R row counts, int32) as
    `_resample._concordance_sum` counts it, over all resamples at once and in integers
    (every count and sum is an integer: the same numbers, fewer and smaller passes)."""
    total = fenwick_pair_sums(column, weights, np.int32, np.int64)
    concordance = total.astype(np.float64) - untied_x / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        value = concordance / np.sqrt(untied_x / 2) / np.sqrt(untied_y / 2)
    value[(untied_x == 0) | (untied_y == 0)] = np.nan
    return np.clip(value, -1.0, 1.0)
