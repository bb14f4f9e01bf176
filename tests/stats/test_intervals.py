"""The Student-t interval of a mean over seeds, and the bootstrap of a mean tau over runs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from harness.stats import mean_kendall_interval, mean_t_interval


def test_mean_t_interval_is_the_textbook_interval():
    values = np.array([0.1, 0.4, 0.35, 0.2])
    interval = mean_t_interval(values, 0.95)
    half = stats.t.ppf(0.975, 3) * values.std(ddof=1) / math.sqrt(4)
    assert interval.n == 4
    assert float(interval.mean) == float(values.mean())
    assert float(interval.low) == float(values.mean() - half)
    assert float(interval.high) == float(values.mean() + half)
    assert float(interval.sd) == float(values.std(ddof=1))


def test_mean_t_interval_along_an_axis_and_without_an_interval_from_one_value():
    matrix = np.arange(12.0).reshape(3, 4) ** 1.5
    interval = mean_t_interval(matrix, 0.9, axis=0)
    assert interval.mean.shape == interval.low.shape == (4,)
    for j in range(4):
        column = mean_t_interval(matrix[:, j], 0.9)
        assert float(column.low) == interval.low[j] and float(column.high) == interval.high[j]
    single = mean_t_interval([2.5], 0.95)
    assert float(single.mean) == 2.5 and single.n == 1
    assert all(math.isnan(float(v)) for v in (single.low, single.high, single.sd))


def _columns(rng: np.random.Generator, n: int, runs: int) -> list[tuple[np.ndarray, np.ndarray]]:
    truth = rng.normal(size=n)
    return [(truth + rng.normal(size=n), truth) for _ in range(runs)]


@pytest.mark.parametrize("paired", [True, False])
def test_mean_kendall_interval_covers_the_mean_tau_and_repeats(paired):
    columns = _columns(np.random.default_rng(0), 40, 3)
    mean_tau = np.mean([stats.kendalltau(x, y).statistic for x, y in columns])
    first = mean_kendall_interval(
        columns, paired=paired, n_resamples=200, confidence=0.9, rng=np.random.default_rng(1)
    )
    again = mean_kendall_interval(
        columns, paired=paired, n_resamples=200, confidence=0.9, rng=np.random.default_rng(1)
    )
    assert first == again
    assert first[0] < mean_tau < first[1]


def test_mean_kendall_interval_of_constant_scores_is_undefined():
    columns = [(np.zeros(5), np.arange(5.0))]
    low, high = mean_kendall_interval(
        columns, paired=True, n_resamples=20, confidence=0.95, rng=np.random.default_rng(0)
    )
    assert math.isnan(low) and math.isnan(high)
