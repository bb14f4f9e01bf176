"""Vectorised bootstrap replicates against scipy applied to each resample explicitly."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from harness.stats import _resample as resample
from harness.stats._resample import (
    kendall_tau_b_replicates,
    paired_replicates,
    pearson_r_replicates,
    resample_index_chunks,
    spearman_rho_replicates,
)


def _tied_data(seed: int, n: int = 40):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, n).astype(float)  # many ties
    y = x + rng.integers(0, 4, n)
    return x, y, rng.integers(0, n, size=(6, n))


@pytest.mark.parametrize("seed", [0, 1])
def test_kendall_replicates_match_scipy_per_resample(seed):
    x, y, indices = _tied_data(seed)
    expected = [stats.kendalltau(x[i], y[i]).statistic for i in indices]
    np.testing.assert_allclose(kendall_tau_b_replicates(x, y, indices), expected, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_spearman_and_pearson_replicates_match_scipy_per_resample(seed):
    x, y, indices = _tied_data(seed)
    spearman = [stats.spearmanr(x[i], y[i]).statistic for i in indices]
    pearson = [stats.pearsonr(x[i], y[i]).statistic for i in indices]
    np.testing.assert_allclose(spearman_rho_replicates(x, y, indices), spearman, atol=1e-12)
    np.testing.assert_allclose(pearson_r_replicates(x, y, indices), pearson, atol=1e-12)


def test_continuous_data_match_scipy():
    rng = np.random.default_rng(7)
    x = rng.normal(size=300)
    y = 0.5 * x + rng.normal(size=300)
    indices = rng.integers(0, 300, size=(4, 300))
    expected = [stats.kendalltau(x[i], y[i]).statistic for i in indices]
    np.testing.assert_allclose(kendall_tau_b_replicates(x, y, indices), expected, atol=1e-12)


def test_duplicated_rows_count_as_tied_pairs():
    x, y = np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0])
    # [0, 0, 1] -> x' = [1, 1, 2], y' = [1, 1, 3]: pairs tied-both, C, C.
    # tau_b = 2 / sqrt((3 - 1)(3 - 1)) = 1.  [1, 2, 2] -> x' = [2, 3, 3], y' = [3, 2, 2]: D, D,
    # tied-both, tau_b = -1.  [0, 0, 0]: constant -> undefined.
    result = kendall_tau_b_replicates(x, y, np.array([[0, 0, 1], [1, 2, 2], [0, 0, 0]]))
    np.testing.assert_allclose(result[:2], [1.0, -1.0])
    assert np.isnan(result[2])


def test_constant_resample_is_nan_for_every_statistic():
    x, y = np.arange(5.0), np.arange(5.0) ** 2
    indices = np.array([[2, 2, 2, 2, 2], [0, 1, 2, 3, 4]])
    for replicate in (kendall_tau_b_replicates, spearman_rho_replicates, pearson_r_replicates):
        result = replicate(x, y, indices)
        assert np.isnan(result[0]) and result[1] == pytest.approx(
            1.0 if replicate is not pearson_r_replicates else stats.pearsonr(x, y).statistic
        )


def test_blocked_kendall_equals_one_block():
    x, y, indices = _tied_data(3, n=50)
    whole = kendall_tau_b_replicates(x, y, indices)
    np.testing.assert_array_equal(
        kendall_tau_b_replicates(x, y, indices, block_elements=120), whole
    )
    np.testing.assert_array_equal(kendall_tau_b_replicates(x, y, indices, block_elements=1), whole)


def test_index_chunks_cover_all_resamples_and_bound_memory():
    chunks = list(resample_index_chunks(np.random.default_rng(0), 100, 25, block_elements=1000))
    assert [c.shape for c in chunks] == [(10, 100), (10, 100), (5, 100)]
    assert all(c.min() >= 0 and c.max() < 100 for c in chunks)


def test_paired_replicates_use_the_same_rows_for_every_column():
    x, y, _ = _tied_data(4)
    replicates = paired_replicates(
        [(x, y), (x, y)], ["kendall", "pearson"], 30, np.random.default_rng(1)
    )
    assert replicates.shape == (2, 2, 30)
    np.testing.assert_array_equal(replicates[0], replicates[1])


def test_large_n_scipy_fallback_equals_the_matrix_form(monkeypatch):
    x, y, indices = _tied_data(5, n=30)
    matrix_form = kendall_tau_b_replicates(x, y, indices)
    monkeypatch.setattr(resample, "KENDALL_MATRIX_MAX_ROWS", 10)
    np.testing.assert_allclose(kendall_tau_b_replicates(x, y, indices), matrix_form, atol=1e-12)
    constant = np.zeros((1, 30), dtype=int)
    assert np.isnan(kendall_tau_b_replicates(x, y, constant)).all()


def test_huge_scores_keep_pearson_finite():
    # synflow-like magnitudes: squaring them raw would overflow float64.
    x, y, indices = _tied_data(6)
    huge = x * 1e200 + 1e201
    expected = [stats.pearsonr(huge[i], y[i]).statistic for i in indices]
    np.testing.assert_allclose(pearson_r_replicates(huge, y, indices), expected, atol=1e-12)


@pytest.mark.parametrize("matrix_max_rows", [5000, 10])
def test_masked_rows_are_left_out_of_each_replicate(monkeypatch, matrix_max_rows):
    # Above the matrix limit Kendall comes from the scipy loop, which must mask too.
    monkeypatch.setattr(resample, "KENDALL_MATRIX_MAX_ROWS", matrix_max_rows)
    x, y, _ = _tied_data(4)
    used = np.ones(x.size, dtype=bool)
    used[[0, 5, 9, 30]] = False
    x_filled = x.copy()
    x_filled[~used] = 1e9  # ignored: masked rows never count
    rng = np.random.default_rng(8)
    got = paired_replicates(
        [(x_filled, y), (x, y)], ("kendall", "spearman", "pearson"), 20, rng, used=[used, None]
    )
    indices = next(resample_index_chunks(np.random.default_rng(8), x.size, 20))
    for r, rows in enumerate(indices):
        kept = rows[used[rows]]
        expected = [
            stats.kendalltau(x[kept], y[kept]).statistic,
            stats.spearmanr(x[kept], y[kept]).statistic,
            stats.pearsonr(x[kept], y[kept]).statistic,
        ]
        np.testing.assert_allclose(got[0, :, r], expected, atol=1e-12)
        assert got[1, 0, r] == pytest.approx(stats.kendalltau(x[rows], y[rows]).statistic)


def test_large_n_kendall_is_scipys_bit_for_bit(monkeypatch):
    # Above the matrix limit: the Fenwick concordance sum and scipy's own formula give
    # scipy's tau-b on every resample exactly, masked rows, ties in x and y included.
    monkeypatch.setattr(resample, "KENDALL_MATRIX_MAX_ROWS", 10)
    x, y, _ = _tied_data(9, n=60)
    used = np.ones(x.size, dtype=bool)
    used[[1, 7, 33]] = False
    got = paired_replicates([(x, y)], ["kendall"], 50, np.random.default_rng(2), used=[used])
    indices = next(resample_index_chunks(np.random.default_rng(2), x.size, 50))
    expected = [
        min(1.0, max(-1.0, stats.kendalltau(x[r[used[r]]], y[r[used[r]]]).statistic))
        for r in indices
    ]
    np.testing.assert_array_equal(got[0, 0], expected)
