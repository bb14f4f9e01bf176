"""Point estimates: scipy on the cleaned rows, orientation, failures counted, NaN rules."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from harness.stats import correlations, kendall_tau, pearson_r, spearman_rho


def _random_pair(seed: int, n: int = 60):
    rng = np.random.default_rng(seed)
    truth = rng.normal(70, 5, n)
    score = truth + rng.normal(0, 5, n)
    return score, truth


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_scipy_on_random_data(seed):
    score, truth = _random_pair(seed)
    result = correlations(score, truth)
    assert result.n == 60 and result.n_failed == 0
    assert result.kendall == pytest.approx(stats.kendalltau(score, truth).statistic, abs=1e-12)
    assert result.spearman == pytest.approx(stats.spearmanr(score, truth).statistic, abs=1e-12)
    assert result.pearson == pytest.approx(stats.pearsonr(score, truth).statistic, abs=1e-12)
    assert kendall_tau(score, truth) == result.kendall
    assert spearman_rho(score, truth) == result.spearman
    assert pearson_r(score, truth) == result.pearson


def test_hand_computed_tau_b_with_ties():
    # x = [1, 2, 2, 3], y = [1, 3, 2, 2]; the 6 pairs:
    # (0,1) C, (0,2) C, (0,3) C, (1,2) tied in x, (1,3) D, (2,3) tied in y.
    # tau_b = (C - D) / sqrt((n0 - n1)(n0 - n2)) = (3 - 1) / sqrt((6 - 1)(6 - 1)) = 0.4
    assert kendall_tau([1, 2, 2, 3], [1, 3, 2, 2]) == pytest.approx(0.4, abs=1e-15)


def test_hand_computed_tau_b_five_rows():
    # x = [1, 1, 2, 3, 3], y = [2, 1, 3, 3, 4]; 10 pairs:
    # (0,1) tied x; (0,2) C; (0,3) C; (0,4) C; (1,2) C; (1,3) C; (1,4) C;
    # (2,3) tied y; (2,4) C; (3,4) tied x.  C = 7, D = 0, n1 = 2 (x ties), n2 = 1.
    # tau_b = 7 / sqrt((10 - 2)(10 - 1)) = 7 / sqrt(72)
    assert kendall_tau([1, 1, 2, 3, 3], [2, 1, 3, 3, 4]) == pytest.approx(7 / np.sqrt(72))


def test_lower_is_better_negates_the_score():
    score, truth = _random_pair(3)
    flipped = correlations(-score, truth, higher_is_better=False)
    plain = correlations(score, truth)
    assert (flipped.kendall, flipped.spearman, flipped.pearson) == pytest.approx(
        (plain.kendall, plain.spearman, plain.pearson)
    )
    assert kendall_tau(score, truth, higher_is_better=False) == pytest.approx(-plain.kendall)


def test_non_finite_rows_are_left_out_and_counted():
    score, truth = _random_pair(4)
    score[[0, 1, 2]] = [np.nan, np.inf, -np.inf]
    truth[3] = np.nan
    result = correlations(score, truth)
    # a row without ground truth is left out but is not the proxy's failure
    assert result.n_failed == 3 and result.n == 56
    keep = slice(4, None)
    assert result.kendall == pytest.approx(stats.kendalltau(score[keep], truth[keep]).statistic)
    assert result.pearson == pytest.approx(stats.pearsonr(score[keep], truth[keep]).statistic)


def test_fewer_than_three_rows_give_nan():
    result = correlations([1.0, 2.0, np.nan], [1.0, 2.0, 3.0])
    assert result.n == 2 and result.n_failed == 1
    assert np.isnan([result.kendall, result.spearman, result.pearson]).all()
    assert np.isnan(kendall_tau([], []))


def test_constant_score_gives_nan_without_warning(recwarn):
    result = correlations(np.ones(10), np.arange(10.0))
    assert np.isnan([result.kendall, result.spearman, result.pearson]).all()
    assert len(recwarn) == 0


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="differ in length"):
        correlations([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="1-D"):
        correlations([[1, 2]], [[1, 2]])
