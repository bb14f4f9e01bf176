"""Vectorised bootstrap replicates of Kendall tau-b, Spearman rho and Pearson r.

A bootstrap resample draws n rows with replacement. Computing each statistic
with scipy in a Python loop costs about a millisecond per resample; here all
resamples of a chunk are computed at once from the (resamples x n) index matrix.

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

Memory is bounded by `block_elements`: resamples are drawn in chunks of about
block_elements / n rows, and M is built and multiplied in blocks of about
block_elements / n rows, never as a whole n x n matrix once n exceeds
sqrt(block_elements) (about 2,000). Large n (e.g. all 15,625 NAS-Bench-201
cells) is then slower, O(R n^2) arithmetic, but stays within a few hundred MB;
no per-resample scipy fallback is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
from scipy import stats

#: Upper bound on the elements of the largest (rows x n) working array.
BLOCK_ELEMENTS = 2**22


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


def _sign_block(values: np.ndarray, rows: slice) -> np.ndarray:
    """sign(values[i] - values[j]) for i in `rows`, all j, as int8."""
    block = values[rows, None]
    return (block > values[None, :]).astype(np.int8) - (block < values[None, :]).astype(np.int8)


def _untied_pair_weight(values: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """n^2 - sum over distinct values of (drawn rows with that value)^2, per resample."""
    _, groups = np.unique(values, return_inverse=True)
    group_counts = _row_counts(groups[indices], int(groups.max()) + 1).astype(np.float64)
    n = indices.shape[1]
    return float(n) ** 2 - np.einsum("rg,rg->r", group_counts, group_counts)


def kendall_tau_b_replicates(
    x: np.ndarray, y: np.ndarray, indices: np.ndarray, block_elements: int = BLOCK_ELEMENTS
) -> np.ndarray:
    """Kendall tau-b of (x[idx], y[idx]) for each row idx of `indices`."""
    n = x.size
    counts = _row_counts(indices, n).astype(np.float32)
    numerator = np.zeros(indices.shape[0])
    rows_per_block = max(1, block_elements // n)
    for start in range(0, n, rows_per_block):
        rows = slice(start, min(n, start + rows_per_block))
        concordance = (_sign_block(x, rows) * _sign_block(y, rows)).astype(np.float32)
        weighted = counts @ concordance.T  # (R x block): sum_j c_j M_ij, exact in float32
        numerator += np.einsum("rb,rb->r", weighted.astype(np.float64), counts[:, rows])
    denominator = np.sqrt(_untied_pair_weight(x, indices) * _untied_pair_weight(y, indices))
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = numerator / denominator
    tau[denominator == 0] = np.nan
    return np.clip(tau, -1.0, 1.0)


def _row_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson r of each row of `a` with the same row of `b`; NaN where a row is constant."""
    constant = (a.min(axis=1) == a.max(axis=1)) | (b.min(axis=1) == b.max(axis=1))
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.einsum("rn,rn->r", a, b) / np.sqrt(
            np.einsum("rn,rn->r", a, a) * np.einsum("rn,rn->r", b, b)
        )
    r[constant] = np.nan
    return np.clip(r, -1.0, 1.0)


def pearson_r_replicates(x: np.ndarray, y: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Pearson r of (x[idx], y[idx]) for each row idx of `indices`."""
    return _row_pearson(x[indices], y[indices])


def spearman_rho_replicates(x: np.ndarray, y: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Spearman rho (Pearson r of average ranks) of (x[idx], y[idx]) for each row of `indices`."""
    return _row_pearson(
        stats.rankdata(x[indices], axis=1), stats.rankdata(y[indices], axis=1)
    )


_REPLICATORS: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = {
    "kendall": kendall_tau_b_replicates,
    "spearman": spearman_rho_replicates,
    "pearson": pearson_r_replicates,
}


def paired_replicates(
    scores: Sequence[np.ndarray],
    truth: np.ndarray,
    statistics: Sequence[str],
    n_resamples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Replicates, shape (len(scores), len(statistics), n_resamples), on shared resampled rows.

    Every score column sees the same resampled rows, which makes differences
    between columns paired. With no rows at all every replicate is NaN.
    """
    n = truth.size
    replicates = np.full((len(scores), len(statistics), n_resamples), np.nan)
    if n == 0:
        return replicates
    done = 0
    for indices in resample_index_chunks(rng, n, n_resamples):
        chunk = slice(done, done + indices.shape[0])
        for s, score in enumerate(scores):
            for t, statistic in enumerate(statistics):
                replicates[s, t, chunk] = _REPLICATORS[statistic](score, truth, indices)
        done = chunk.stop
    return replicates
