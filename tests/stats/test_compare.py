"""Bootstrap tests of a difference: two proxies on the same rows, one proxy in two runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from harness.errors import ConfigError
from harness.stats import compare_proxies, compare_runs, kendall_tau
from harness.stats.compare import two_sided_p_value


def _proxies(seed: int = 0, n: int = 300):
    rng = np.random.default_rng(seed)
    truth = rng.normal(70, 3, n)
    good = truth + rng.normal(0, 1, n)
    weak = truth + rng.normal(0, 6, n)
    return good, weak, truth


def test_p_value_formula():
    # delta > 0, 2 of 9 replicates <= 0: p = 2 (2 + 1) / (9 + 1) = 0.6
    replicates = np.array([-1, 0, 1, 2, 3, 4, 5, 6, 7, np.nan])
    assert two_sided_p_value(2.0, replicates) == pytest.approx(0.6)
    # delta < 0, 8 of 9 replicates >= 0: capped at 1
    assert two_sided_p_value(-1.0, replicates) == 1.0
    assert two_sided_p_value(1.0, np.ones(99)) == pytest.approx(2 / 100)
    assert np.isnan(two_sided_p_value(np.nan, replicates))


def test_identical_proxies_differ_by_nothing():
    good, _, truth = _proxies()
    result = compare_proxies(good, good, truth, n_resamples=200)
    assert result.delta == 0.0 and result.p_value == 1.0
    assert result.low == result.high == 0.0


def test_clearly_better_proxy_has_small_p():
    good, weak, truth = _proxies()
    result = compare_proxies(good, weak, truth, n_resamples=500, seed=1)
    assert result.delta == pytest.approx(kendall_tau(good, truth) - kendall_tau(weak, truth))
    assert result.delta > 0 and result.low > 0
    assert result.p_value == pytest.approx(2 / 501)  # no replicate reached 0
    swapped = compare_proxies(weak, good, truth, n_resamples=500, seed=1)
    assert swapped.delta == -result.delta and swapped.p_value == result.p_value


def test_paired_test_sees_a_difference_an_unpaired_view_would_miss():
    # B is A plus small noise: their taus are close, but consistently apart on every resample.
    rng = np.random.default_rng(5)
    truth = rng.normal(size=400)
    a = truth + rng.normal(0, 1.0, 400)
    b = a + rng.normal(0, 0.6, 400)
    result = compare_proxies(a, b, truth, n_resamples=500, seed=0, statistic="spearman")
    assert 0 < result.delta < 0.1
    assert result.p_value < 0.05


def test_failed_rows_are_excluded_from_both_and_counted_per_proxy():
    good, weak, truth = _proxies(2, n=100)
    good[:3] = np.nan
    weak[2:6] = np.inf
    truth[99] = np.nan
    result = compare_proxies(good, weak, truth, n_resamples=50)
    assert result.n == 100 - 6 - 1
    assert (result.n_failed_a, result.n_failed_b) == (4, 5)
    keep = np.r_[6:99]
    assert result.estimate_a == pytest.approx(stats.kendalltau(good[keep], truth[keep]).statistic)


def test_orientation_per_proxy():
    good, weak, truth = _proxies(3)
    plain = compare_proxies(good, weak, truth, n_resamples=100)
    flipped = compare_proxies(good, -weak, truth, higher_is_better_b=False, n_resamples=100)
    assert plain == flipped


def test_unknown_statistic_is_refused():
    with pytest.raises(ConfigError, match="did you mean|known"):
        compare_proxies([1, 2, 3], [1, 2, 3], [1, 2, 3], statistic="tau")


def _keyed(values, keys):
    return pd.Series(values, index=keys)


def test_same_keys_are_paired_in_any_order():
    good, weak, truth = _proxies(4, n=200)
    keys = [f"arch{i}" for i in range(200)]
    truth_series = _keyed(truth, keys)
    baseline = _keyed(weak, keys)
    candidate = _keyed(good, keys).sample(frac=1.0, random_state=0)  # shuffled order
    result = compare_runs(baseline, truth_series, candidate, truth_series, n_resamples=300)
    assert result.paired
    assert result.delta == pytest.approx(kendall_tau(good, truth) - kendall_tau(weak, truth))
    assert result.delta > 0 and result.p_value < 0.01
    aligned = compare_proxies(good, weak, truth, n_resamples=300)
    assert (result.low, result.high) == pytest.approx((aligned.low, aligned.high))


def test_identical_runs_differ_by_nothing():
    good, _, truth = _proxies(5, n=100)
    keys = [f"a{i}" for i in range(100)]
    result = compare_runs(
        dict(zip(keys, good, strict=True)),
        dict(zip(keys, truth, strict=True)),
        dict(zip(keys, good, strict=True)),
        dict(zip(keys, truth, strict=True)),
        n_resamples=100,
    )
    assert result.paired and result.delta == 0.0 and result.p_value == 1.0


def test_paired_runs_use_rows_usable_in_both():
    good, weak, truth = _proxies(6, n=100)
    keys = [f"a{i}" for i in range(100)]
    weak[:5] = np.nan
    good[95:] = np.nan
    result = compare_runs(
        _keyed(weak, keys),
        _keyed(truth, keys),
        _keyed(good, keys),
        _keyed(truth, keys),
        n_resamples=100,
    )
    assert result.paired and result.n_baseline == result.n_candidate == 90
    assert (result.n_failed_baseline, result.n_failed_candidate) == (5, 5)
    shared = slice(5, 95)
    assert result.candidate == pytest.approx(kendall_tau(good[shared], truth[shared]))


def test_different_key_sets_are_unpaired():
    good, weak, truth = _proxies(7, n=300)
    keys = np.array([f"a{i}" for i in range(300)])
    truth_series = _keyed(truth, keys)  # truth may cover more keys than a run scored
    result = compare_runs(
        _keyed(weak[:200], keys[:200]),
        truth_series,
        _keyed(good[100:], keys[100:]),
        truth_series,
        n_resamples=300,
    )
    assert not result.paired
    assert result.baseline == pytest.approx(kendall_tau(weak[:200], truth[:200]))
    assert result.candidate == pytest.approx(kendall_tau(good[100:], truth[100:]))
    assert result.delta > 0 and result.low > 0 and result.p_value < 0.01
    assert (result.n_baseline, result.n_candidate) == (200, 200)


def test_a_key_missing_from_truth_is_a_failure_and_duplicates_are_refused():
    good, _, truth = _proxies(8, n=50)
    keys = [f"a{i}" for i in range(50)]
    scores = _keyed(good, keys)
    result = compare_runs(scores, _keyed(truth, keys)[1:], scores, _keyed(truth, keys)[1:])
    assert result.n_failed_baseline == 1 and result.n_baseline == 49
    with pytest.raises(ValueError, match="duplicate"):
        compare_runs(_keyed([1.0, 2.0], ["a", "a"]), {"a": 1.0}, scores, truth)
