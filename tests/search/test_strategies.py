"""RelativeNAS slow-fast learning, random search and REA: update rule, budget, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from harness.errors import ConfigError, UnknownNameError
from harness.search.budget import BudgetedEvaluator
from harness.search.encoding import DartsEncoding, NB201Encoding
from harness.search.estimators import Estimator, oracle_estimator
from harness.search.relativenas import slow_fast_update
from harness.search.strategies import get_strategy, list_strategies
from harness.spaces import darts, nb201


def test_slow_learners_move_toward_fast_ones_and_fast_ones_stay():
    rng = np.random.default_rng(0)
    lower, upper = np.zeros(6), np.full(6, 5.0)
    positions = rng.uniform(0, 5, (8, 6))
    velocities = np.zeros((8, 6))
    fast, slow = np.array([0, 2, 4, 6]), np.array([1, 3, 5, 7])
    before = positions.copy()
    slow_fast_update(positions, velocities, fast, slow, lower, upper, np.random.default_rng(1))
    np.testing.assert_array_equal(positions[fast], before[fast])
    np.testing.assert_array_equal(velocities[fast], 0)
    # From rest: x_s + r2 (x_f - x_s) with r2 in [0, 1), so every gene moves toward x_f
    # and no farther than it; the distance to the fast learner shrinks.
    step = positions[slow] - before[slow]
    gap = before[fast] - before[slow]
    assert np.all(step * gap >= 0) and np.all(np.abs(step) <= np.abs(gap))
    assert np.all(
        np.linalg.norm(positions[slow] - before[fast], axis=1) < np.linalg.norm(gap, axis=1)
    )


def test_the_update_is_the_velocity_rule_with_fresh_factors_then_clip():
    rng_state = np.random.default_rng(3)
    positions = np.array([[1.0, 4.5], [2.0, 0.5], [4.0, 4.0], [0.0, 1.0]])
    velocities = np.array([[0.0, 0.0], [3.0, -2.0], [0.0, 0.0], [0.5, 0.5]])
    fast, slow = np.array([0, 2]), np.array([1, 3])
    draws = np.random.default_rng(3)
    r1, r2 = draws.random((2, 2)), draws.random((2, 2))
    want_v = r1 * velocities[slow] + r2 * (positions[fast] - positions[slow])
    want_x = np.clip(positions[slow] + want_v, 0.0, 5.0)
    slow_fast_update(positions, velocities, fast, slow, np.zeros(2), np.full(2, 5.0), rng_state)
    np.testing.assert_allclose(velocities[slow], want_v)  # the velocity is not clipped
    np.testing.assert_allclose(positions[slow], want_x)


def _run(name, estimator, budget, seed, encoding=None, **options):
    evaluator = BudgetedEvaluator(estimator, budget)
    return get_strategy(name)(
        encoding or NB201Encoding("all"), evaluator, np.random.default_rng(seed), **options
    )


@pytest.mark.parametrize("name", ["relativenas", "rea", "random"])
def test_searches_are_deterministic_under_a_seed_and_respect_the_budget(name, synthetic_table):
    oracle = oracle_estimator(synthetic_table, "cifar10/test/200")
    first = _run(name, oracle, 150, seed=4)
    again = _run(name, oracle, 150, seed=4)
    other = _run(name, oracle, 150, seed=5)
    assert first == again
    assert first.evaluated != other.evaluated
    assert first.calls <= 150 and len(set(first.evaluated)) == first.calls
    assert first.requests >= first.calls
    if first.stop_reason == "budget":
        assert first.calls == 150


def test_relativenas_logs_the_pairs_it_compared(synthetic_table):
    oracle = oracle_estimator(synthetic_table, "cifar10/test/200")
    trace = _run("relativenas", oracle, 100, seed=0, population=10)
    assert trace.compared
    scored = set(trace.evaluated)
    assert all(a != b and a in scored and b in scored for a, b in trace.compared)
    assert trace.iterations >= 10  # 10 first calls, then at most 5 new per generation


class _Flat(Estimator):
    name = "flat"

    def score(self, arch):
        return 0.0


def test_relativenas_stops_when_the_population_stalls():
    # Every comparison ties, the first of each pair is fast, the slow ones converge onto
    # scored cells: the search ends by stalling, not by looping forever.
    trace = _run("relativenas", _Flat(), 15625, seed=1, population=4, stall_generations=5)
    assert trace.stop_reason == "stalled"
    assert trace.calls < 15625


def test_strategy_options_are_checked():
    with pytest.raises(ConfigError):
        _run("relativenas", _Flat(), 10, 0, population=3)
    with pytest.raises(ConfigError):
        _run("rea", _Flat(), 10, 0, population=4, sample=5)
    with pytest.raises(UnknownNameError, match="did you mean rea"):
        get_strategy("reaa")
    assert list_strategies() == ["relativenas", "rea", "random"]


def test_random_search_stalls_on_a_space_smaller_than_the_budget(synthetic_table):
    encoding = NB201Encoding("no_none")
    oracle = oracle_estimator(synthetic_table, "cifar10/test/200")
    trace = _run("random", oracle, 5000, seed=0, encoding=encoding, stall_proposals=500)
    assert trace.stop_reason == "stalled"
    assert 3000 < trace.calls <= 4**6  # stalls only once nearly every cell is scored
    assert all("none" not in key for key in trace.evaluated)


class _SepConvCount(Estimator):
    """A synthetic DARTS estimator: how many inputs use sep_conv_3x3, plus deeper sources."""

    name = "sep_conv_count"

    def score(self, arch):
        genotype = darts.parse(arch)
        pairs = [p for cell in genotype.cells() for p in cell]
        return sum(op == "sep_conv_3x3" for op, _ in pairs) + 0.01 * sum(s for _, s in pairs)


@pytest.mark.parametrize("policy", ["repair", "allow"])
def test_relativenas_searches_darts_with_a_synthetic_estimator(policy):
    encoding = DartsEncoding(policy)
    estimator = _SepConvCount()
    trace = _run("relativenas", estimator, 400, seed=0, encoding=encoding)
    randoms = _run("random", estimator, 400, seed=0, encoding=encoding)
    for key in trace.evaluated:
        darts.parse(key)
        if policy == "repair":
            assert not darts.has_duplicate_inputs(darts.parse(key))
    # Random cells average 16/7 sep_conv_3x3 inputs; the search climbs well above that.
    assert max(trace.scores) > max(randoms.scores)
    assert max(trace.scores) >= 8


def test_a_1000_call_oracle_search_ends_near_the_best_of_nb201_cifar10(real_data_dir):
    from harness.search.trace import search_curves
    from harness.tables import load_table

    table = load_table("nb201-csv", real_data_dir)
    oracle = oracle_estimator(table, "cifar10/test/200")
    truth = table.column("cifar10/test/200")
    best = float(truth.max())
    assert best == pytest.approx(94.3733, abs=1e-3)
    truth_map = truth.to_dict()
    for name in ("relativenas", "rea", "random"):
        regrets = [
            search_curves(_run(name, oracle, 1000, seed=s), truth_map, best, 1000).regret[-1]
            for s in range(10)
        ]
        assert sum(r <= 0.5 for r in regrets) >= 8, (name, regrets)


def test_rea_children_differ_from_a_population_member_by_one_edge(synthetic_table):
    oracle = oracle_estimator(synthetic_table, "cifar10/test/200")
    trace = _run("rea", oracle, 60, seed=2, population=10, sample=3)
    seen = list(trace.evaluated[:10])
    for child in trace.evaluated[10:]:
        ops = nb201.parse(child).ops
        assert any(
            sum(a != b for a, b in zip(ops, nb201.parse(p).ops, strict=True)) == 1 for p in seen
        )
        seen.append(child)
