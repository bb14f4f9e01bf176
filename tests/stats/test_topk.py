"""Top-k overlap and top-1 on constructed cases, ties as expectations over random tie-breaks."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest

from harness.errors import ConfigError
from harness.stats import top_k_overlap, top_ranked
from harness.stats.topk import top_k_size


def test_constructed_case_without_ties():
    truth = np.arange(10.0)  # true top-20 % = rows 9 and 8
    score = np.array([0, 1, 2, 3, 4, 8, 5, 6, 7, 9.0])  # predicted top-20 % = rows 9 and 5
    overlap = top_k_overlap(score, truth, percentages=(10, 20, 50, 100))
    # top-10 %: {9} vs {9} -> 1; top-20 %: {9, 5} vs {9, 8} -> 1/2;
    # top-50 %: {9, 5, 8, 7, 6} vs {9, 8, 7, 6, 5} -> 1; top-100 % -> 1.
    assert overlap == {10: 1.0, 20: 0.5, 50: 1.0, 100: 1.0}


def test_lower_is_better_and_failures():
    truth = np.arange(10.0)
    score = -np.array([0, 1, 2, 3, 4, 8, 5, 6, 7, 9.0])
    score = np.append(score, np.nan)
    truth = np.append(truth, 100.0)  # the failed row would be the true best: must not count
    assert top_k_overlap(score, truth, higher_is_better=False, percentages=(20,)) == {20: 0.5}


def test_tied_score_at_the_boundary_counts_its_expected_share():
    truth = np.arange(10.0)  # true top-2: rows 9, 8
    score = np.array([9, 1, 2, 3, 4, 5, 6, 7, 9, 9.0])  # rows 0, 8, 9 tie for first
    # Each tied row is in the predicted top-2 with probability 2/3; rows 8 and 9 are
    # truly top-2: expected overlap = (2/3 + 2/3) / 2 = 2/3.
    assert top_k_overlap(score, truth, percentages=(20,))[20] == pytest.approx(2 / 3)


def _top_sets_over_all_tie_breaks(values, k):
    """How often each top-k set arises when every row order is used as the tie-break."""
    sets = Counter()
    for order in itertools.permutations(range(len(values))):
        order = np.array(order)
        sets[frozenset(order[np.argsort(-values[order], kind="stable")[:k]].tolist())] += 1
    return sets


def _overlap_over_all_tie_breaks(score, truth, k):
    """Mean overlap over all pairs of (independent) tie-breaks of score and truth."""
    predicted = _top_sets_over_all_tie_breaks(score, k)
    true = _top_sets_over_all_tie_breaks(truth, k)
    total = sum(
        p_count * t_count * len(p_set & t_set) / k
        for p_set, p_count in predicted.items()
        for t_set, t_count in true.items()
    )
    return total / (sum(predicted.values()) * sum(true.values()))


def test_ties_in_both_equal_the_average_over_all_tie_breaks():
    score = np.array([3, 3, 3, 1, 2, 2, 0.0])
    truth = np.array([5, 4, 4, 4, 1, 0, 2.0])
    for k in (1, 2, 3, 4):
        percentage = 100 * k / len(score)
        expected = _overlap_over_all_tie_breaks(score, truth, k)
        assert top_k_overlap(score, truth, percentages=(percentage,))[percentage] == (
            pytest.approx(expected)
        )


def test_top_k_size_rounds_up_and_never_reaches_zero():
    assert [top_k_size(p, 100) for p in (1, 5, 10, 50)] == [1, 5, 10, 50]
    assert top_k_size(1, 15_625) == 157
    assert top_k_size(1, 30) == 1
    assert top_k_size(0.01, 3) == 1


def test_too_few_rows_and_bad_percentages():
    assert np.isnan(top_k_overlap([1, 2], [1, 2], percentages=(50,))[50])
    with pytest.raises(ConfigError):
        top_k_overlap([1, 2, 3], [1, 2, 3], percentages=(0,))
    with pytest.raises(ConfigError):
        top_k_overlap([1, 2, 3], [1, 2, 3], percentages=(101,))


def test_top_ranked_single_winner():
    truth = np.arange(10.0) + 80
    score = np.array([0, 1, 2, 3, 4, 9, 5, 6, 7, 8.0])  # proxy's first choice: row 5 (truth 85)
    result = top_ranked(score, truth)
    # 6 of 10 architectures are not better than 85 -> percentile 60.
    assert (result.accuracy, result.percentile, result.n_tied_first) == (85.0, 60.0, 1)
    assert top_ranked(-score, truth, higher_is_better=False) == result


def test_top_ranked_tied_first_takes_the_mean():
    truth = np.array([90.0, 80.0, 70.0, 60.0])
    score = np.array([5.0, 5.0, 1.0, np.nan])
    result = top_ranked(score, truth)
    # Usable rows: 90, 80, 70. Tied first: 90 (percentile 100) and 80 (percentile 200/3).
    assert result.accuracy == 85.0
    assert result.percentile == pytest.approx((100 + 200 / 3) / 2)
    assert result.n_tied_first == 2
