"""Bootstrap intervals: reproducible, sensible, and covering a known population tau."""

from __future__ import annotations

import numpy as np
import pytest

from harness.errors import ConfigError
from harness.stats import bootstrap_correlations, correlations


def _bivariate_normal(rng: np.random.Generator, n: int, r: float):
    x = rng.normal(size=n)
    y = r * x + np.sqrt(1 - r**2) * rng.normal(size=n)
    # shifted to positive, accuracy-like values: the correlations do not change, and
    # nDCG (computed on the same resamples) is defined only for a non-negative truth
    return x, y + 10.0


def test_interval_coverage_of_known_population_tau():
    # Bivariate normal with correlation r has Kendall tau = 2/pi * arcsin(r) (Greiner).
    r = 0.6
    true_tau = 2 / np.pi * np.arcsin(r)
    rng = np.random.default_rng(2024)
    covered = 0
    n_datasets = 150
    for dataset in range(n_datasets):
        x, y = _bivariate_normal(rng, 200, r)
        interval = bootstrap_correlations(x, y, n_resamples=300, seed=dataset).kendall
        covered += interval.low <= true_tau <= interval.high
    assert 0.88 <= covered / n_datasets <= 0.99


def test_same_seed_same_interval_and_estimates_match_point_estimates():
    x, y = _bivariate_normal(np.random.default_rng(0), 120, 0.5)
    first = bootstrap_correlations(x, y, n_resamples=200, seed=5)
    second = bootstrap_correlations(x, y, n_resamples=200, seed=np.random.default_rng(5))
    assert first == second
    points = correlations(x, y)
    for name in ("kendall", "spearman", "pearson"):
        interval = getattr(first, name)
        assert interval.estimate == getattr(points, name)
        assert interval.low < interval.estimate < interval.high
        assert interval.n_resamples == 200 and interval.n_undefined == 0
    assert bootstrap_correlations(x, y, n_resamples=200, seed=6) != first


def test_wider_confidence_gives_wider_interval():
    x, y = _bivariate_normal(np.random.default_rng(1), 100, 0.4)
    narrow = bootstrap_correlations(x, y, n_resamples=400, confidence=0.5, seed=0).kendall
    wide = bootstrap_correlations(x, y, n_resamples=400, confidence=0.99, seed=0).kendall
    assert wide.low < narrow.low < narrow.high < wide.high


def test_failures_are_counted_and_lower_is_better_flips_signs():
    x, y = _bivariate_normal(np.random.default_rng(2), 80, 0.5)
    x[:3] = np.nan
    up = bootstrap_correlations(x, y, n_resamples=100, seed=0)
    down = bootstrap_correlations(-x, y, n_resamples=100, seed=0, higher_is_better=False)
    assert up.n == 77 and up.n_failed == 3
    assert up == down


def test_too_few_rows_give_nan_intervals():
    result = bootstrap_correlations([1.0, 2.0], [2.0, 1.0], n_resamples=50)
    assert result.n == 2
    assert np.isnan([result.kendall.estimate, result.kendall.low, result.kendall.high]).all()


def test_degenerate_resamples_are_counted_not_hidden():
    # With 3 rows, resamples that draw a single row are constant: tau undefined.
    result = bootstrap_correlations([1.0, 2.0, 3.0], [1.0, 3.0, 2.0], n_resamples=500, seed=0)
    assert 0 < result.kendall.n_undefined < 500
    assert np.isfinite([result.kendall.low, result.kendall.high]).all()


@pytest.mark.parametrize(
    "kwargs", [{"confidence": 1.0}, {"confidence": 0}, {"n_resamples": 0}, {"seed": None}]
)
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ConfigError):
        bootstrap_correlations([1, 2, 3, 4], [1, 2, 4, 3], **kwargs)


@pytest.mark.slow
def test_all_nb201_sized_sample_works():
    # 15,625 rows exceed the one-block limit: the Kendall matrix is built in blocks.
    x, y = _bivariate_normal(np.random.default_rng(3), 15_625, 0.5)
    result = bootstrap_correlations(x, y, n_resamples=20, seed=0)
    assert result.kendall.low < result.kendall.estimate < result.kendall.high
