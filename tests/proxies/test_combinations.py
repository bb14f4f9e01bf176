"""Label-free combinations, each checked against a naive implementation of its rule."""

from __future__ import annotations

import itertools
import statistics

import numpy as np
import pytest

from harness.errors import ConfigError, UnknownNameError
from harness.proxies import get_proxy, list_proxies
from harness.proxies.combinations import (
    STANDARD_MEMBERS,
    VOTE_MEMBERS,
    RankCombination,
    combination_rule,
    define_combinations,
    forget_combinations,
    member_ranks,
)
from harness.proxies.selection import expand_proxies, members_extra

MEMBERS = ("a", "b", "c")


@pytest.fixture(autouse=True)
def _no_user_combinations_left():
    yield
    forget_combinations()


SIGNS = {"a": True, "b": False, "c": True}


def _scores(n: int, seed: int, ties: bool = False, failures: bool = False) -> dict:
    rng = np.random.default_rng(seed)
    out = {m: rng.normal(size=n) for m in MEMBERS}
    if ties:
        out["a"] = np.round(out["a"])  # a handful of distinct values
    if failures:
        out["b"][[1, 4]] = np.nan
        out["c"][2] = np.inf
    return out


def _naive_oriented(scores: dict) -> dict:
    """Member values oriented higher-is-better, failures as -inf."""
    out = {}
    for m, values in scores.items():
        oriented = [v if SIGNS[m] else -v for v in values]
        out[m] = [v if np.isfinite(v) else -np.inf for v in oriented]
    return out


def _naive_average_rank(values: list[float], i: int) -> float:
    below = sum(1 for v in values if v < values[i])
    equal = sum(1 for v in values if v == values[i])
    return below + (equal + 1) / 2


def naive_mean_rank(scores):
    oriented = _naive_oriented(scores)
    n = len(next(iter(oriented.values())))
    return [
        statistics.fmean(_naive_average_rank(oriented[m], i) for m in oriented) for i in range(n)
    ]


def naive_median_rank(scores):
    oriented = _naive_oriented(scores)
    n = len(next(iter(oriented.values())))
    return [
        statistics.median(_naive_average_rank(oriented[m], i) for m in oriented) for i in range(n)
    ]


def naive_borda(scores):
    oriented = _naive_oriented(scores)
    n = len(next(iter(oriented.values())))
    return [
        sum(sum(1 for v in oriented[m] if v < oriented[m][i]) for m in oriented) for i in range(n)
    ]


def naive_vote(scores):
    oriented = _naive_oriented(scores)
    n = len(next(iter(oriented.values())))
    wins = [0.0] * n
    for i, j in itertools.permutations(range(n), 2):
        for_i = sum(1 for m in oriented if oriented[m][i] > oriented[m][j])
        for_j = sum(1 for m in oriented if oriented[m][i] < oriented[m][j])
        wins[i] += 1.0 if for_i > for_j else 0.5 if for_i == for_j else 0.0
    return wins


def naive_weighted(scores, weights):
    oriented = _naive_oriented(scores)
    n = len(next(iter(oriented.values())))
    return [
        sum(w * _naive_average_rank(oriented[m], i) for m, w in weights.items()) for i in range(n)
    ]


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("failures", [False, True])
@pytest.mark.parametrize(
    ("kind", "naive"),
    [
        ("mean_rank", naive_mean_rank),
        ("median_rank", naive_median_rank),
        ("borda", naive_borda),
        ("vote", naive_vote),
    ],
)
def test_each_rule_matches_its_naive_implementation(kind, naive, ties, failures):
    scores = _scores(23, seed=3, ties=ties, failures=failures)
    got = RankCombination(kind, MEMBERS)(scores, higher_is_better=SIGNS)
    np.testing.assert_allclose(got, naive(scores))


def test_weighted_rank_sum_matches_naive_and_negative_weights_count_against():
    scores = _scores(17, seed=5, ties=True, failures=True)
    weights = {"a": 2.0, "c": -0.5}
    rule = RankCombination("weighted_rank", tuple(weights), tuple(weights.values()))
    got = rule({m: scores[m] for m in weights}, higher_is_better=SIGNS)
    np.testing.assert_allclose(got, naive_weighted({m: scores[m] for m in weights}, weights))


def test_borda_orders_like_mean_rank_without_ties_and_differs_with_them():
    plain = _scores(40, seed=1)
    mean = RankCombination("mean_rank", MEMBERS)(plain, higher_is_better=SIGNS)
    borda = RankCombination("borda", MEMBERS)(plain, higher_is_better=SIGNS)
    np.testing.assert_allclose(borda, len(MEMBERS) * (mean - 1))
    tied = _scores(40, seed=1, ties=True)
    mean = RankCombination("mean_rank", MEMBERS)(tied, higher_is_better=SIGNS)
    borda = RankCombination("borda", MEMBERS)(tied, higher_is_better=SIGNS)
    assert not np.allclose(borda, len(MEMBERS) * (mean - 1))


def test_a_combination_is_nan_only_where_every_member_failed():
    scores = {"a": np.array([1.0, np.nan, 3.0]), "b": np.array([2.0, np.nan, np.nan])}
    got = RankCombination("mean_rank", ("a", "b"))(scores, higher_is_better={"a": 1, "b": 1})
    assert np.isnan(got[1]) and np.isfinite(got[[0, 2]]).all()


def test_member_ranks_put_failures_below_every_scored_architecture():
    ranks = member_ranks([0.5, np.nan, -3.0, np.inf], higher_is_better=False)
    # oriented: -0.5, fail, 3.0, fail -> failures tied at the bottom
    np.testing.assert_allclose(ranks, [3.0, 1.5, 4.0, 1.5])


def test_vote_is_blocked_without_changing_the_answer(monkeypatch):
    import harness.proxies.combinations as module

    scores = _scores(50, seed=9, ties=True)
    whole = RankCombination("vote", MEMBERS)(scores, higher_is_better=SIGNS)
    monkeypatch.setattr(module, "_VOTE_BLOCK_ELEMENTS", 7)
    blocked = RankCombination("vote", MEMBERS)(scores, higher_is_better=SIGNS)
    np.testing.assert_allclose(whole, blocked)


def test_built_in_combinations_are_registered_set_level_and_listed():
    assert {"mean_rank", "borda", "median_rank", "vote"} <= set(list_proxies())
    for name in ("mean_rank", "borda", "median_rank"):
        spec = get_proxy(name)
        assert spec.needs == frozenset({"score_set"}) and spec.higher_is_better
        assert spec.combines == STANDARD_MEMBERS and "tenas" not in spec.combines
        assert spec.version == "1"
    assert get_proxy("vote").combines == VOTE_MEMBERS == ("synflow", "jacov", "snip")
    with pytest.raises(RuntimeError, match="set-level"):
        get_proxy("vote").compute(None)


def test_signs_come_from_the_registry_by_default():
    rng = np.random.default_rng(0)
    scores = {"ntk_cond": rng.normal(size=9), "params": rng.normal(size=9)}
    rule = RankCombination("mean_rank", ("ntk_cond", "params"))
    np.testing.assert_allclose(
        rule(scores), rule(scores, higher_is_better={"ntk_cond": False, "params": True})
    )


def test_expanding_a_combination_brings_its_members():
    per_arch, set_level = expand_proxies(["vote"])
    assert per_arch == list(VOTE_MEMBERS) and set_level == ["vote"]


def test_user_named_combinations_register_and_redefine():
    names = define_combinations(
        {
            "test_pair": {"kind": "median_rank", "members": ["params", "flops"]},
            "test_weighted": {"weights": {"meco": 2, "synflow": 1}},
        }
    )
    assert names == ["test_pair", "test_weighted"]
    rule = combination_rule(get_proxy("test_weighted"))
    assert rule.kind == "weighted_rank" and rule.weights == (2.0, 1.0)
    assert members_extra(get_proxy("test_weighted")) == {
        "members": ["meco", "synflow"],
        "combination": "weighted_rank",
        "weights": {"meco": 2.0, "synflow": 1.0},
    }
    define_combinations({"test_pair": {"kind": "mean_rank", "members": ["params", "nwot"]}})
    assert get_proxy("test_pair").combines == ("params", "nwot")
    forget_combinations()
    assert "test_pair" not in list_proxies() and "vote" in list_proxies()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"kind": "mean_rank", "members": ["params"]}, "two or more"),
        ({"kind": "mean_rank", "members": ["params", "params"]}, "distinct"),
        ({"kind": "average", "members": ["params", "flops"]}, "unknown combination kind"),
        ({"kind": "mean_rank", "members": ["params", "tenas"]}, "set-level"),
        ({"kind": "weighted_rank", "weights": {"params": 0, "flops": 0}}, "not all zero"),
        ({"kind": "weighted_rank", "weights": {"params": "x", "flops": 1}}, "number"),
        ({"kind": "mean_rank", "members": ["params", "flops"], "weights": {}}, "only a"),
        ({"kind": "vote", "members": "params"}, "list of proxy names"),
        ({"members": ["params", "flops"], "extra": 1}, "unknown key"),
    ],
)
def test_bad_combination_tables_are_one_line_config_errors(entry, message):
    with pytest.raises(ConfigError, match=message):
        define_combinations({"test_bad": entry})


def test_a_user_name_may_not_shadow_a_proxy_and_members_must_exist():
    with pytest.raises(ConfigError, match="registered proxy"):
        define_combinations({"synflow": {"kind": "mean_rank", "members": ["params", "flops"]}})
    with pytest.raises(UnknownNameError, match="did you mean"):
        define_combinations({"test_typo": {"kind": "mean_rank", "members": ["parms", "flops"]}})
