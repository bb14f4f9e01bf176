"""Figures over repeated train / held-out splits: per-split estimates, pooled intervals,
paired differences."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from harness.stats import compare_proxies, pooled_splits


def _split(seed: int, n: int = 80):
    rng = np.random.default_rng(seed)
    truth = rng.normal(70, 3, n)
    return {"good": truth + rng.normal(0, 1, n), "weak": truth + rng.normal(0, 6, n)}, truth


def test_per_split_estimates_are_scipy_figures_on_each_splits_rows():
    splits = [_split(s) for s in range(3)]
    pooled = pooled_splits(splits, n_resamples=20, seed=0)
    for i, (scores, truth) in enumerate(splits):
        assert pooled.per_split("good", "kendall")[i] == pytest.approx(
            stats.kendalltau(scores["good"], truth).statistic
        )
        assert pooled.per_split("weak", "spearman")[i] == pytest.approx(
            stats.spearmanr(scores["weak"], truth).statistic
        )
    interval = pooled.interval("good")
    assert interval.estimate == pytest.approx(pooled.per_split("good").mean())
    assert interval.low < interval.estimate < interval.high
    assert interval.n_splits == 3 and interval.n_resamples == 60


def test_difference_is_paired_and_finds_the_better_candidate():
    splits = [_split(s) for s in range(4)]
    pooled = pooled_splits(splits, n_resamples=100, seed=1)
    difference = pooled.difference("good", "weak")
    expected = np.mean([stats.kendalltau(s["good"], t).statistic
                        - stats.kendalltau(s["weak"], t).statistic for s, t in splits])  # fmt: skip
    assert difference.delta == pytest.approx(expected)
    assert difference.low > 0 and difference.n_better == 4 and difference.n_worse == 0
    assert difference.p_value < 0.05
    same = pooled.difference("good", "good")
    assert same.delta == 0 and same.low == 0 and same.high == 0


def test_one_split_agrees_with_compare_proxies_on_the_same_rows():
    # one split: the pooled difference is the single-split paired bootstrap's figure
    (scores, truth) = _split(7, n=120)
    pooled = pooled_splits([(scores, truth)], n_resamples=400, seed=3)
    single = compare_proxies(scores["good"], scores["weak"], truth, n_resamples=400, seed=3)
    assert pooled.difference("good", "weak").delta == pytest.approx(single.delta)
    assert pooled.difference("good", "weak").low == pytest.approx(single.low, abs=0.03)


def test_rows_not_finite_are_dropped_within_their_split_for_every_candidate():
    scores, truth = _split(2)
    scores["weak"][:5] = np.nan
    pooled = pooled_splits([(scores, truth)], n_resamples=10, seed=0)
    assert pooled.sizes == (75,)
    assert pooled.per_split("good")[0] == pytest.approx(
        stats.kendalltau(scores["good"][5:], truth[5:]).statistic
    )


def test_too_few_rows_give_undefined_figures_not_errors():
    scores, truth = _split(3, n=2)
    pooled = pooled_splits([(scores, truth)], n_resamples=10, seed=0)
    assert np.isnan(pooled.interval("good").estimate)


def test_splits_must_name_the_same_candidates():
    a, b = _split(0), _split(1)
    with pytest.raises(ValueError, match="names candidates"):
        pooled_splits([a, ({"good": b[0]["good"]}, b[1])], n_resamples=5)
    with pytest.raises(KeyError, match="no candidate"):
        pooled_splits([a], n_resamples=5).interval("absent")
