"""Estimators, the budget of unique calls, and the curves made from a trace."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from search_synthetic import LOW_FIDELITY, TARGET

from harness.errors import ConfigError
from harness.search.budget import BudgetedEvaluator, BudgetExhausted
from harness.search.estimators import (
    Estimator,
    NoisyOracleEstimator,
    ProxyEstimator,
    SupernetEstimator,
    TableEstimator,
    compare_scores,
    low_fidelity_estimator,
    oracle_estimator,
)
from harness.search.trace import SearchTrace, returned_indices, search_curves
from harness.tables.base import BenchmarkTable, frame_from_columns


class _Counting(Estimator):
    name = "counting"

    def __init__(self, values):
        self.values = values
        self.calls = []

    def score(self, arch):
        self.calls.append(arch)
        return self.values[arch]


def test_compare_scores_orders_numbers_and_nan_loses():
    assert compare_scores(2.0, 1.0) == 1
    assert compare_scores(1.0, 2.0) == -1
    assert compare_scores(1.0, 1.0) == 0
    assert compare_scores(math.nan, -1e300) == -1
    assert compare_scores(-1e300, math.nan) == 1
    assert compare_scores(math.nan, math.nan) == 0


def test_budget_counts_unique_architectures_and_caches_repeats():
    inner = _Counting({"a": 1.0, "b": 3.0, "c": math.nan})
    evaluator = BudgetedEvaluator(inner, budget=3)
    assert evaluator.compare("a", "b") == -1
    assert evaluator.compare("b", "a") == 1  # repeats: free
    assert evaluator.evaluate("c") != evaluator.evaluate("c")  # NaN, cached
    assert (evaluator.calls, evaluator.remaining, evaluator.requests) == (3, 0, 6)
    assert inner.calls == ["a", "b", "c"]
    assert evaluator.evaluate("a") == 1.0  # a repeat still answers after the budget
    with pytest.raises(BudgetExhausted):
        evaluator.evaluate("d")
    assert evaluator.evaluated() == (["a", "b", "c"], [1.0, 3.0, evaluator.evaluate("c")])
    with pytest.raises(ConfigError):
        BudgetedEvaluator(inner, budget=0)


def test_oracle_and_low_fidelity_read_table_columns(synthetic_table):
    key = synthetic_table.archs[123]
    oracle = oracle_estimator(synthetic_table, "cifar10/test/200")
    assert oracle.score(key) == synthetic_table.frame.loc[key, TARGET]
    assert math.isnan(oracle.score("|none~0|+|x~0|"))  # not in the table
    low = low_fidelity_estimator(synthetic_table, "cifar10/test/200")
    assert low.score(key) == synthetic_table.frame.loc[key, LOW_FIDELITY]
    assert low.name == f"lowfi({LOW_FIDELITY})"


def test_low_fidelity_needs_a_12_epoch_column():
    frame = frame_from_columns(["a"], {TARGET: [1.0]})
    table = BenchmarkTable(name="csv-like", space="nb201", frame=frame)
    with pytest.raises(ConfigError, match="12-epoch columns: none"):
        low_fidelity_estimator(table, "cifar10/test/200")


def test_noisy_oracle_is_fixed_per_seed_and_arch_with_the_asked_sd():
    keys = [f"arch{i}" for i in range(4000)]
    truth = {k: float(i % 97) for i, k in enumerate(keys)}
    noisy = NoisyOracleEstimator(truth, sd=2.0, seed=7)
    noise = np.asarray([noisy.score(k) - truth[k] for k in keys])
    assert noise.std() == pytest.approx(2.0, rel=0.05)
    assert abs(noise.mean()) < 0.1
    assert stats.normaltest(noise).pvalue > 1e-3
    again = NoisyOracleEstimator(truth, sd=2.0, seed=7)
    assert [again.score(k) for k in keys[::-1]][::-1] == [noisy.score(k) for k in keys]
    other = NoisyOracleEstimator(truth, sd=2.0, seed=8)
    assert other.score(keys[0]) != noisy.score(keys[0])
    assert NoisyOracleEstimator(truth, sd=0, seed=1).score(keys[5]) == truth[keys[5]]
    assert noisy.seed_dependent and not TableEstimator({}, "t").seed_dependent
    with pytest.raises(ConfigError):
        NoisyOracleEstimator(truth, sd=-1, seed=0)


class _FakeProxyScores:
    def __init__(self, values):
        self.values = values

    def score(self, arch, proxy):
        return self.values[arch]


def test_proxy_estimator_orients_by_sign_and_scores_failures_nan():
    source = _FakeProxyScores({"a": 2.0, "b": None})
    higher = ProxyEstimator(source, "nwot")  # higher is better
    assert higher.score("a") == 2.0
    assert math.isnan(higher.score("b"))
    from harness.proxies import get_proxy, list_proxies

    lower = next(p for p in list_proxies() if not get_proxy(p).higher_is_better)
    assert ProxyEstimator(source, lower).score("a") == -2.0


def test_supernet_estimator_loads_the_checkpoint_once(tmp_path):
    checkpoint = tmp_path / "supernet.pt"
    checkpoint.write_bytes(b"fake")
    loads = []

    def loader(path):  # the SupernetLoader protocol: checkpoint -> scorer
        loads.append(path)
        return lambda arch: {"a": 0.5, "b": 0.7}[arch]

    estimator = SupernetEstimator(checkpoint, loader)
    assert estimator.compare("a", "b") == -1
    assert estimator.score("b") == 0.7
    assert loads == [checkpoint]
    assert estimator.name == "supernet(supernet.pt)"
    with pytest.raises(ConfigError, match="no such supernet checkpoint"):
        SupernetEstimator(tmp_path / "missing.pt", loader).score("a")


def test_returned_index_keeps_the_first_best_and_nan_never_wins():
    scores = np.array([np.nan, 1.0, 3.0, 3.0, np.nan, 2.0, 4.0])
    assert returned_indices(scores).tolist() == [0, 1, 2, 2, 2, 2, 6]


def test_curves_follow_the_estimator_pick_and_pad_a_short_search():
    truth = {"a": 90.0, "b": 93.0, "c": 91.0, "d": 94.0}
    trace = SearchTrace(
        strategy="x",
        evaluated=("a", "b", "c"),
        scores=(1.0, 0.5, 2.0),  # the estimator prefers c, then a, over the better b
        requests=5,
        stop_reason="stalled",
    )
    curves = search_curves(trace, truth, best=94.0, budget=5)
    assert curves.returned.tolist() == [90.0, 90.0, 91.0, 91.0, 91.0]
    assert curves.best_evaluated.tolist() == [90.0, 93.0, 93.0, 93.0, 93.0]
    assert curves.regret.tolist() == [4.0, 4.0, 3.0, 3.0, 3.0]
    assert curves.final_arch == "c"
    assert curves.returned_archs == ("a", "a", "c", "c", "c")
    assert curves.returned_changes() == [(1, "a"), (3, "c")]
    with pytest.raises(ValueError):
        SearchTrace("x", ("a",), (), 0, "budget")
