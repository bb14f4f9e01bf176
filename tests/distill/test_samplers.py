"""Samplers: uniform marginals, the distance rules, and the margin's acceptance rate."""

from __future__ import annotations

import numpy as np
import pytest

from harness.distill.samplers import PairSampler, UniformSampler
from harness.distill.space import get_subnet_space
from harness.errors import ConfigError

SPACE4 = get_subnet_space("nb201_4op")
SPACE5 = get_subnet_space("nb201_5op")
GROUP = {
    "nor_conv_1x1": "param",
    "nor_conv_3x3": "param",
    "skip_connect": "free",
    "avg_pool_3x3": "free",
    "none": "none",
}


def reference_cost(a: str, b: str) -> float:
    """RD-NAS's per-edge cost, written out independently of the harness."""
    if a == b:
        return 0.0
    return 0.5 if GROUP[a] == GROUP[b] else 2.0


def reference_distance(space, first, second) -> float:
    return sum(
        reference_cost(space.ops[i], space.ops[j]) for i, j in zip(first, second, strict=True)
    )


def exact_margin_acceptance(space, margin: float) -> float:
    """P(D >= margin) for two independent uniform subnets: the per-edge cost distribution
    (in half units, so costs are integers) convolved with itself over the six edges."""
    per_edge = [round(2 * reference_cost(a, b)) for a in space.ops for b in space.ops]
    edge = np.bincount(per_edge) / len(per_edge)
    total = np.array([1.0])
    for _ in range(6):
        total = np.convolve(total, edge)
    return float(total[np.arange(total.size) >= 2 * margin].sum())


def test_space_sizes_and_keys_round_trip():
    assert SPACE4.size == 4096 and len(SPACE4.all_subnets()) == 4096
    assert SPACE5.size == 15625
    assert "none" not in SPACE4.ops
    for subnet in SPACE4.all_subnets()[::517]:
        assert SPACE4.from_key(SPACE4.key(subnet)) == subnet
    assert len(set(SPACE4.sample_keys(0, 0))) == 4096


def test_uniform_sampler_marginals_are_uniform():
    rng = np.random.default_rng(0)
    sampler = UniformSampler(SPACE4)
    draws = np.array([sampler.sample(rng)[0] for _ in range(4000)])
    for edge in range(6):
        counts = np.bincount(draws[:, edge], minlength=4)
        # each op ~ 1000 +- 27 (sd); 5 sd is a generous bound that still catches a bias
        assert np.all(np.abs(counts - 1000) < 140), counts


def test_group_distance_matches_the_reference_costs():
    rng = np.random.default_rng(1)
    for space in (SPACE4, SPACE5):
        for _ in range(200):
            a = tuple(rng.integers(0, len(space.ops), 6))
            b = tuple(rng.integers(0, len(space.ops), 6))
            assert space.group_distance(a, b) == pytest.approx(reference_distance(space, a, b))
    conv1, conv3, skip = (
        SPACE4.ops.index(o) for o in ("nor_conv_1x1", "nor_conv_3x3", "skip_connect")
    )
    assert SPACE4.group_distance((conv1,) * 6, (conv3,) * 6) == 3.0
    assert SPACE4.group_distance((conv1,) * 6, (skip,) * 6) == 12.0
    assert SPACE4.max_group_distance() == 12.0


def test_margin_acceptance_is_about_one_half_for_the_reference_margin():
    exact = exact_margin_acceptance(SPACE4, 6.7)
    assert 0.45 < exact < 0.55  # RD-NAS put m near the mean distance of uniform pairs (6.75)
    sampler = PairSampler(SPACE4, "margin", 6.7)
    rng = np.random.default_rng(2)
    n = 20000
    accepted = sum(
        sampler.accepts(
            UniformSampler(SPACE4).sample(rng)[0], UniformSampler(SPACE4).sample(rng)[0]
        )
        for _ in range(n)
    )
    sd = np.sqrt(exact * (1 - exact) / n)
    assert abs(accepted / n - exact) < 4 * sd


def test_margin_pairs_respect_the_margin_and_are_otherwise_uniform():
    sampler = PairSampler(SPACE4, "margin", 6.7)
    rng = np.random.default_rng(3)
    pairs = [sampler.sample(rng) for _ in range(3000)]
    assert all(reference_distance(SPACE4, a, b) >= 6.7 for a, b in pairs)
    firsts = np.array([a for a, _ in pairs])
    counts = np.bincount(firsts[:, 0], minlength=4)
    assert np.all(np.abs(counts - 750) < 120), counts  # the anchor stays uniform
    # the partner is uniform over the accepted set: for the all-conv1x1 anchor, count the
    # accepted partners by brute force and compare with the rejection sampler's frequencies
    anchor = (SPACE4.ops.index("nor_conv_1x1"),) * 6
    accepted = [b for b in SPACE4.all_subnets() if reference_distance(SPACE4, anchor, b) >= 6.7]
    partners = []
    local = np.random.default_rng(4)
    while len(partners) < 2000:
        b = tuple(int(i) for i in local.integers(0, 4, 6))
        if sampler.accepts(anchor, b):
            partners.append(b)
    assert set(partners) <= set(accepted)
    assert len(set(partners)) > 0.3 * len(accepted)


def test_hamming_and_random_pairs():
    rng = np.random.default_rng(5)
    hamming = PairSampler(SPACE4, "hamming", 4.5)
    for _ in range(500):
        a, b = hamming.sample(rng)
        assert sum(x != y for x, y in zip(a, b, strict=True)) >= 5
    random_pairs = PairSampler(SPACE4, "random")
    pairs = [random_pairs.sample(rng) for _ in range(2000)]
    same = np.mean([x == y for a, b in pairs for x, y in zip(a, b, strict=True)])
    assert abs(same - 0.25) < 0.03  # independent uniform edges agree a quarter of the time


def test_unreachable_thresholds_are_refused():
    with pytest.raises(ConfigError, match="above the largest distance"):
        PairSampler(SPACE4, "margin", 12.5)
    with pytest.raises(ConfigError, match="above the largest distance"):
        PairSampler(SPACE4, "hamming", 6.5)
    with pytest.raises(ConfigError, match="unknown pair sampler"):
        PairSampler(SPACE4, "adaptive")


def test_five_op_space_prices_none_against_everything():
    none = SPACE5.ops.index("none")
    for op in range(len(SPACE5.ops)):
        expected = 0.0 if op == none else 12.0
        assert SPACE5.group_distance((none,) * 6, (op,) * 6) == expected
