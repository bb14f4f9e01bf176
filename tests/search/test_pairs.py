"""Pairwise accuracy figures of the search report: the (1 + tau_a) / 2 identity, pooling."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from harness.search.pairs import add_counts, pool_pairs, pooled_accuracy
from harness.stats import PairCounts, pairwise_accuracy
from harness.stats.pair_sampling import random_pairs


def _tau_a(estimate, truth, pairs):
    signs = [np.sign(estimate[i] - estimate[j]) * np.sign(truth[i] - truth[j]) for i, j in pairs]
    return float(np.mean(signs))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pairwise_accuracy_is_one_plus_tau_a_over_two_on_tie_free_data(seed):
    rng = np.random.default_rng(seed)
    truth = rng.permutation(60).astype(float)
    estimate = truth + rng.normal(0, 15, 60)  # continuous: no ties
    everything = list(itertools.combinations(range(60), 2))
    tau = stats.kendalltau(estimate, truth).statistic  # tau-b = tau-a without ties
    assert _tau_a(estimate, truth, everything) == pytest.approx(tau)
    assert pairwise_accuracy(estimate, truth).accuracy == pytest.approx((1 + tau) / 2)
    sampled = random_pairs(60, 400, seed)
    accuracy = pooled_accuracy("random", [(estimate, truth, sampled)]).counts.accuracy
    assert accuracy == pytest.approx((1 + _tau_a(estimate, truth, sampled)) / 2)


def test_pooled_counts_are_sums_over_parts_and_bins_partition_them():
    rng = np.random.default_rng(4)
    parts = []
    for _ in range(3):
        truth = np.round(rng.uniform(80, 95, 30), 1)
        estimate = np.round(truth + rng.normal(0, 2, 30))  # ties in both
        parts.append((estimate, truth, random_pairs(30, 200, rng)))
    pooled = pooled_accuracy("x", parts)
    total = PairCounts(0, 0, 0, 0, 0)
    for estimate, truth, pairs in parts:
        total = add_counts(total, pairwise_accuracy(estimate, truth, pairs=pairs))
    assert pooled.counts == total
    assert pooled.counts.estimator_tied > 0 and pooled.counts.truth_tied > 0
    assert sum(b.counts.ordered_by_truth for b in pooled.by_gap) == total.ordered_by_truth
    assert [b.low for b in pooled.by_gap] == [0.0, 0.5, 2.0]
    as_dict = pooled.to_dict()
    assert as_dict["pairs"] == total.ordered_by_truth and len(as_dict["by_gap"]) == 3


def test_no_parts_gives_empty_bins():
    empty = pooled_accuracy("trajectory", [])
    assert empty.counts.ordered_by_truth == 0 and len(empty.by_gap) == 3


def test_pool_pairs_margin_set_is_the_far_subset_of_a_small_pool():
    def distance(i, j):
        return np.abs(i - j).astype(float)

    small = pool_pairs(20, 10_000, seed=0, distance=distance, margin=5)
    assert len(small["random"]) == 190
    assert np.all(distance(small["margin"][:, 0], small["margin"][:, 1]) >= 5)
    assert len(small["margin"]) == sum(abs(i - j) >= 5 for i, j in small["random"])
    large = pool_pairs(300, 500, seed=0, distance=distance, margin=5)
    assert len(large["random"]) == 500 and len(large["margin"]) == 500
    assert "margin" not in pool_pairs(20, 10, seed=0, distance=None, margin=5)
