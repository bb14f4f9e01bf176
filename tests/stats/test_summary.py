"""The one-call summary agrees with the parts and serialises to strict JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import scipy.stats

from harness.stats import (
    bootstrap_correlations,
    pairwise_accuracy,
    summarise,
    top_k_overlap,
    top_ranked,
)


def _data(n: int = 150):
    rng = np.random.default_rng(11)
    truth = rng.normal(70, 4, n)
    score = -(truth + rng.normal(0, 4, n))  # a lower-is-better proxy
    score[:4] = [np.nan, np.inf, -np.inf, np.nan]
    return score, truth


def test_summary_agrees_with_the_parts():
    score, truth = _data()
    summary = summarise(score, truth, higher_is_better=False, n_resamples=200, seed=3)
    boot = bootstrap_correlations(score, truth, higher_is_better=False, n_resamples=200, seed=3)
    assert (summary.n, summary.n_failed, summary.n_used) == (150, 4, 146)
    assert (summary.kendall, summary.kendall_lo, summary.kendall_hi) == (
        boot.kendall.estimate,
        boot.kendall.low,
        boot.kendall.high,
    )
    assert (summary.pearson_lo, summary.spearman_hi) == (boot.pearson.low, boot.spearman.high)
    assert summary.kendall > 0  # oriented
    assert dict(summary.top_k) == top_k_overlap(score, truth, higher_is_better=False)
    top = top_ranked(score, truth, higher_is_better=False)
    assert (summary.top1_accuracy, summary.top1_percentile) == (top.accuracy, top.percentile)
    pairs = pairwise_accuracy(score, truth, higher_is_better=False)
    assert summary.pairwise_accuracy == pytest.approx(pairs.accuracy)


def test_to_dict_is_strict_json():
    score, truth = _data()
    document = summarise(score, truth, n_resamples=50).to_dict()
    text = json.dumps(document, allow_nan=False)
    assert json.loads(text)["top_k"].keys() == {"1", "5", "10", "20", "50"}
    assert document["n_failed"] == 4 and document["seed"] == 0


def test_too_few_rows_give_nulls_not_a_crash():
    summary = summarise([1.0, np.nan, 2.0], [3.0, 4.0, 5.0], n_resamples=20)
    assert (summary.n, summary.n_failed, summary.n_used) == (3, 1, 2)
    document = summary.to_dict()
    json.dumps(document, allow_nan=False)
    figures = [
        k
        for k in document
        if k
        not in {
            "n",
            "n_failed",
            "n_used",
            "failures",
            "confidence",
            "n_resamples",
            "seed",
            "higher_is_better",
            "top_k",
        }
    ]
    assert all(document[k] is None for k in figures)
    assert all(v is None for v in document["top_k"].values())


def test_constant_score_keeps_nan_correlations():
    summary = summarise(np.ones(20), np.arange(20.0), n_resamples=20)
    assert np.isnan([summary.kendall, summary.kendall_lo, summary.spearman]).all()
    assert summary.to_dict()["kendall"] is None
    assert summary.pairwise_accuracy == 0.5  # every pair tied: a coin flip
    assert summary.top_k[50] == pytest.approx(0.5)  # what a random pick finds


def test_summary_is_frozen():
    summary = summarise([1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 2.0, 4.0], n_resamples=10)
    with pytest.raises(AttributeError):
        summary.kendall = 1.0
    with pytest.raises(TypeError):
        summary.top_k[1] = 1.0


def test_worst_ranks_failures_below_every_scored_architecture():
    truth = np.arange(10.0)
    score = truth.copy()
    score[:3] = np.nan  # the proxy fails on the three worst architectures
    drop = summarise(score, truth, n_resamples=50, failures="drop")
    worst = summarise(score, truth, n_resamples=50, failures="worst")
    assert (drop.n, drop.n_failed, drop.n_used) == (worst.n, worst.n_failed, 7) == (10, 3, 7)
    assert worst.n_used == 10 and worst.failures == "worst"
    assert drop.kendall == pytest.approx(1.0)
    # the three failures tie among themselves, below all others: tau-b with one tie group
    expected = scipy.stats.kendalltau(np.r_[[-1.0] * 3, truth[3:]], truth).statistic
    assert worst.kendall == pytest.approx(expected) and worst.kendall < 1.0
    assert math.isnan(worst.pearson) and math.isnan(worst.pearson_lo)
    assert drop.pearson == pytest.approx(1.0)


def test_lower_is_better_failures_are_still_worst():
    truth = np.arange(8.0)
    score = -truth  # lower is better, perfect
    score[-1] = np.nan  # fails on the best architecture: ranked worst, tau drops
    worst = summarise(score, truth, higher_is_better=False, failures="worst", n_resamples=20)
    assert worst.kendall < 1.0 and worst.n_used == 8


def test_a_row_without_truth_is_not_a_failure():
    summary = summarise([1.0, 2.0, 3.0, 4.0], [1.0, np.nan, 3.0, 4.0], failures="worst",
                        n_resamples=20)  # fmt: skip
    assert (summary.n, summary.n_failed, summary.n_used) == (3, 0, 3)


def test_unknown_policy_is_a_config_error():
    from harness.errors import ConfigError

    with pytest.raises(ConfigError, match="failures must be one of worst, drop, common"):
        summarise([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], failures="skip")
