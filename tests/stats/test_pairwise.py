"""Pairwise ranking accuracy: brute force, the (1 + tau_a)/2 identity, given pairs, gap bins."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from harness.errors import ConfigError
from harness.stats import pairwise as pairwise_module
from harness.stats import pairwise_accuracy, pairwise_accuracy_by_gap


def _brute_force(estimate, truth, pairs):
    counts = dict.fromkeys(
        ("concordant", "discordant", "estimator_tied", "truth_tied", "failed"), 0
    )
    for i, j in pairs:
        values = (estimate[i], estimate[j], truth[i], truth[j])
        if not all(np.isfinite(v) for v in values):
            counts["failed"] += 1
        elif truth[i] == truth[j]:
            counts["truth_tied"] += 1
        elif estimate[i] == estimate[j]:
            counts["estimator_tied"] += 1
        elif (estimate[i] > estimate[j]) == (truth[i] > truth[j]):
            counts["concordant"] += 1
        else:
            counts["discordant"] += 1
    return counts


def _tied_data(seed: int, n: int = 40):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 10, n).astype(float)
    estimate = truth + rng.integers(-3, 4, n)
    estimate[[1, 5]] = [np.nan, np.inf]
    truth[7] = np.nan
    return estimate, truth


def test_all_pairs_match_brute_force():
    estimate, truth = _tied_data(0)
    pairs = itertools.combinations(range(len(truth)), 2)
    counts = pairwise_accuracy(estimate, truth)
    assert vars(counts) == _brute_force(estimate, truth, pairs)
    expected = (counts.concordant + counts.estimator_tied / 2) / counts.ordered_by_truth
    assert counts.accuracy == pytest.approx(expected)


def test_pair_by_pair_counting_matches_brute_force(monkeypatch):
    # The O(n log n) shortcut steps aside when scipy's tau cannot be inverted exactly.
    monkeypatch.setattr(pairwise_module, "_all_pair_counts_from_kendall", lambda *_: None)
    estimate, truth = _tied_data(6)
    pairs = itertools.combinations(range(len(truth)), 2)
    assert vars(pairwise_accuracy(estimate, truth)) == _brute_force(estimate, truth, pairs)


def test_tie_free_accuracy_is_one_plus_tau_a_over_two():
    rng = np.random.default_rng(1)
    truth = rng.normal(size=200)
    estimate = truth + rng.normal(size=200)
    counts = pairwise_accuracy(estimate, truth)
    # Without ties tau_a = tau_b, which scipy computes.
    tau_a = stats.kendalltau(estimate, truth).statistic
    assert counts.estimator_tied == counts.truth_tied == 0
    assert counts.concordant + counts.discordant == 200 * 199 // 2
    for accuracy in (counts.accuracy, counts.accuracy_strict, counts.accuracy_untied):
        assert accuracy == pytest.approx((1 + tau_a) / 2, abs=1e-12)


def test_lower_is_better_flips_concordance():
    estimate, truth = _tied_data(2)
    up = pairwise_accuracy(estimate, truth)
    down = pairwise_accuracy(-estimate, truth, higher_is_better=False)
    assert up == down
    flipped = pairwise_accuracy(estimate, truth, higher_is_better=False)
    assert (flipped.concordant, flipped.discordant) == (up.discordant, up.concordant)


def test_given_pairs_index_the_callers_rows():
    estimate, truth = _tied_data(3)
    pairs = np.array([[0, 1], [2, 3], [3, 2], [7, 8], [10, 20], [5, 6], [11, 12]])
    assert vars(pairwise_accuracy(estimate, truth, pairs=pairs)) == _brute_force(
        estimate, truth, pairs
    )


def test_bad_pairs_are_refused():
    with pytest.raises(ValueError, match="lie in"):
        pairwise_accuracy([1, 2, 3], [1, 2, 3], pairs=[[0, 3]])
    with pytest.raises(ValueError, match="itself"):
        pairwise_accuracy([1, 2, 3], [1, 2, 3], pairs=[[1, 1]])
    with pytest.raises(ValueError, match=r"\(m, 2\)"):
        pairwise_accuracy([1, 2, 3], [1, 2, 3], pairs=[0, 1])


def test_gap_bins_split_pairs_by_true_gap():
    truth = np.array([70.0, 70.3, 71.0, 75.0])
    estimate = np.array([1.0, 0.0, 2.0, 3.0])
    # gaps: (0,1) 0.3 D; (0,2) 1.0 C; (0,3) 5.0 C; (1,2) 0.7 C; (1,3) 4.7 C; (2,3) 4.0 C
    bins = pairwise_accuracy_by_gap(estimate, truth)
    assert [(b.low, b.high) for b in bins] == [(0.0, 0.5), (0.5, 2.0), (2.0, np.inf)]
    assert [(b.counts.concordant, b.counts.discordant) for b in bins] == [(0, 1), (2, 0), (3, 0)]
    custom = pairwise_accuracy_by_gap(estimate, truth, edges=(1.0,))
    # [0, 1): 0.3, 0.7; [1, inf): 1.0, 5.0, 4.7, 4.0 (edges are half-open)
    assert [b.counts.ordered_by_truth for b in custom] == [2, 4]


def test_gap_bins_add_up_to_all_pairs_except_unknown_truth():
    estimate, truth = _tied_data(4)
    total = pairwise_accuracy(estimate, truth)
    bins = pairwise_accuracy_by_gap(estimate, truth, edges=(1.0, 3.0))
    for name in ("concordant", "discordant", "estimator_tied", "truth_tied"):
        assert sum(getattr(b.counts, name) for b in bins) == getattr(total, name)
    # Row 7 has no truth: its 39 pairs fall in no bin.
    assert sum(b.counts.failed for b in bins) == total.failed - 39


@pytest.mark.parametrize("edges", [(2.0, 0.5), (0.0, 1.0), (np.inf,)])
def test_bad_edges_are_refused(edges):
    with pytest.raises(ConfigError):
        pairwise_accuracy_by_gap([1, 2, 3], [1, 2, 3], edges=edges)


def test_no_orderable_pairs_give_nan():
    counts = pairwise_accuracy([1.0, 2.0], [3.0, 3.0])
    assert counts.truth_tied == 1 and np.isnan(counts.accuracy)
