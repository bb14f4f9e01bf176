"""Jackknife intervals: every closed-form leave-one-out value equals the figure recomputed
on the n - 1 rows (scipy, scikit-learn), the interval is the jackknife normal interval
of those values, and on a large sample it agrees with the percentile bootstrap."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from harness.errors import ConfigError
from harness.stats import summarise, summarise_shared
from harness.stats.bootstrap import bootstrap_correlations
from harness.stats.jackknife import (
    DOMINANT_SHARE,
    JACKKNIFE_STATISTICS,
    dominant_share,
    jackknife_correlations,
    jackknife_standard_error,
    leave_one_out,
    strictly_dominated,
)
from harness.stats.ndcg import ndcg_estimate


def _naive(statistic: str, x: np.ndarray, y: np.ndarray) -> float:
    """The figure on these rows, by the libraries (NaN for a constant vector)."""
    if statistic == "ndcg":
        return ndcg_estimate(x, y)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    function = {"kendall": stats.kendalltau, "spearman": stats.spearmanr,
                "pearson": stats.pearsonr}[statistic]  # fmt: skip
    return float(function(x, y).statistic)


def _vectors(kind: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if kind == "untied":
        x = rng.normal(size=n)
        return x, x + rng.normal(size=n) + 60
    if kind == "tied score":
        x = rng.integers(0, 4, n).astype(float)
        return x, rng.normal(70, 3, n)
    if kind == "tied both":
        x = rng.integers(0, 5, n).astype(float)
        return x, np.round(x + rng.normal(70, 1, n))
    if kind == "truth ties at the top":
        y = np.round(rng.normal(70, 2, n))
        y[:4] = y.max()
        return rng.normal(size=n) + y, y
    # constant but for one row: leaving that row out makes the score constant
    x = np.zeros(n)
    x[2] = 1.0
    return x, rng.normal(70, 3, n)


@pytest.mark.parametrize(
    "kind", ["untied", "tied score", "tied both", "truth ties at the top", "one off"]
)
@pytest.mark.parametrize("n", [6, 23, 64])
def test_leave_one_out_values_equal_the_figure_on_the_other_rows(kind, n):
    x, y = _vectors(kind, n, seed=n)
    values = leave_one_out(x, y)
    for i in range(n):
        keep = np.arange(n) != i
        for statistic in JACKKNIFE_STATISTICS:
            expected = _naive(statistic, x[keep], y[keep])
            got = values[statistic][i]
            if math.isnan(expected):
                assert math.isnan(got), (statistic, i)
            else:
                assert got == pytest.approx(expected, abs=1e-12), (statistic, i)


def test_strictly_dominated_counts_pairs_below_in_both():
    rng = np.random.default_rng(3)
    for n in (1, 2, 7, 100):
        x, y = rng.integers(0, 6, n).astype(float), rng.integers(0, 6, n).astype(float)
        expected = [int(np.sum((x < x[i]) & (y < y[i]))) for i in range(n)]
        assert strictly_dominated(x, y).tolist() == expected


def test_interval_is_the_jackknife_normal_interval_of_the_values():
    x, y = _vectors("tied both", 80, seed=1)
    figures = jackknife_correlations(x, y, confidence=0.9)
    values = leave_one_out(x, y)
    z = stats.norm.ppf(0.95)
    for statistic in JACKKNIFE_STATISTICS:
        loo = values[statistic]
        se = math.sqrt((loo.size - 1) / loo.size * np.sum((loo - loo.mean()) ** 2))
        interval = getattr(figures, statistic)
        low, high = (-1.0, 1.0) if statistic != "ndcg" else (0.0, 1.0)
        assert interval.estimate == pytest.approx(_naive(statistic, x, y), abs=1e-12)
        assert interval.low == pytest.approx(max(low, interval.estimate - z * se), abs=1e-12)
        assert interval.high == pytest.approx(min(high, interval.estimate + z * se), abs=1e-12)
        assert (interval.n_resamples, interval.n_undefined) == (80, 0)


def test_an_undefined_leave_one_out_value_leaves_no_interval():
    x, y = _vectors("one off", 30, seed=2)
    kendall = jackknife_correlations(x, y).kendall
    assert math.isfinite(kendall.estimate)
    assert math.isnan(kendall.low) and math.isnan(kendall.high)
    assert kendall.n_undefined == 1
    assert math.isnan(jackknife_standard_error(np.array([0.1, math.nan, 0.2])))


def test_failures_follow_the_policy_as_the_bootstrap_does():
    x, y = _vectors("untied", 120, seed=4)
    x[:3] = np.nan
    for failures in ("drop", "worst"):
        jack = jackknife_correlations(x, y, failures=failures)
        boot = bootstrap_correlations(x, y, failures=failures, n_resamples=50)
        assert (jack.n, jack.n_failed) == (boot.n, boot.n_failed)
        for statistic in JACKKNIFE_STATISTICS:
            a, b = getattr(jack, statistic).estimate, getattr(boot, statistic).estimate
            assert (math.isnan(a) and math.isnan(b)) or a == b
    assert math.isnan(jackknife_correlations(x, y, failures="worst").pearson.low)
    few = jackknife_correlations(x[:4], y[:4])
    assert math.isnan(few.kendall.estimate) and math.isnan(few.kendall.low)


def test_on_a_large_sample_the_jackknife_agrees_with_the_bootstrap():
    """The jackknife standard error of a smooth statistic agrees with the bootstrap's to
    O(1/n): at n = 3,000 every half-width is within 15% of the percentile bootstrap's
    (2,000 resamples), for correlations and nDCG@10% alike."""
    rng = np.random.default_rng(7)
    n = 3000
    y = np.round(rng.normal(70, 3, n), 1)
    x = np.round(y + rng.normal(0, 3, n), 1)
    jack = jackknife_correlations(x, y)
    boot = bootstrap_correlations(x, y, n_resamples=2000, seed=0)
    for statistic in JACKKNIFE_STATISTICS:
        j, b = getattr(jack, statistic), getattr(boot, statistic)
        width_j, width_b = j.high - j.low, b.high - b.low
        assert width_j == pytest.approx(width_b, rel=0.15), statistic


def test_summaries_record_the_method_and_no_resamples():
    x, y = _vectors("tied both", 60, seed=5)
    summary = summarise(x, y, interval="jackknife").to_dict()
    assert summary["interval"] == "jackknife" and summary["n_resamples"] == 0
    assert "interval" not in summarise(x, y, n_resamples=20).to_dict()
    shared = summarise_shared([x, -x], y, interval="jackknife")
    assert [s.to_dict() for s in shared] == [
        summarise(s, y, interval="jackknife").to_dict() for s in (x, -x)
    ]
    with pytest.raises(ConfigError, match="unknown interval method 'delta'"):
        summarise(x, y, interval="delta")


def test_an_interval_resting_on_one_architecture_is_flagged():
    """nDCG@10% where one cell holds the whole gain moves with that one row: its jackknife
    interval is flagged (more than DOMINANT_SHARE of the variance from one row), and so is
    Pearson r's (that row is an outlier of both vectors), while the rank correlations'
    on the same rows are not."""
    rng = np.random.default_rng(8)
    n = 400
    y = rng.uniform(0, 2, n)
    y[0] = 60.0  # one robust cell among near-zero accuracies (PGD at a large epsilon)
    x = y + rng.normal(0, 1, n)
    figures = jackknife_correlations(x, y)
    assert figures.unreliable == ("pearson", "ndcg")
    assert dominant_share(leave_one_out(x, y)["ndcg"]) > DOMINANT_SHARE
    assert dominant_share(leave_one_out(x, y)["kendall"]) < 0.1
    summary = summarise(x, y, interval="jackknife").to_dict()
    assert summary["unreliable_intervals"] == ["pearson", "ndcg"]
    smooth = summarise(*_vectors("untied", 400, seed=9), interval="jackknife").to_dict()
    assert "unreliable_intervals" not in smooth
    assert math.isnan(dominant_share(np.ones(5))) and math.isnan(dominant_share(np.array([1.0])))
