"""SWAP against explicit sets of row tuples, plus bounds and the regulariser."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from naive_ownpass import (
    TinyNB201,
    naive_gaussian_init,
    naive_swap,
    real_nb201_context,
    relu_sign_rows,
)

from harness.proxies import ProxyContext, get_proxy
from harness.proxies.swap import (
    ReluCodes,
    ReluPatternSet,
    count_unique_rows,
    parameter_count_thousands,
    regular_factor,
    swap_score,
)

CONV_OPS = ("nor_conv_3x3", "skip_connect", "nor_conv_1x1", "avg_pool_3x3", "none", "nor_conv_3x3")


def _context(ops=CONV_OPS, n=16, seed=7) -> ProxyContext:
    torch.manual_seed(3)
    images = torch.randn((n, 3, 8, 8), generator=torch.Generator().manual_seed(0))
    return ProxyContext(network=TinyNB201(ops, C=4, N=1), images=images, seed=seed)


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        dtype=bool,
        shape=st.tuples(st.integers(0, 40), st.integers(0, 150)),
        elements=st.booleans(),
    )
)
def test_count_unique_rows_equals_set_of_tuples(matrix):
    expected = len({tuple(row) for row in matrix.tolist()})
    if matrix.shape[0] > 0 and matrix.shape[1] == 0:
        expected = 1
    assert count_unique_rows(matrix) == expected


def test_count_unique_rows_few_distinct_patterns():
    rng = np.random.default_rng(0)
    base = rng.random((5, 70)) > 0.5
    matrix = base[rng.integers(0, 5, 200)]
    assert count_unique_rows(matrix) == len({tuple(r) for r in base.tolist()})


@pytest.mark.parametrize("repeats", [1, 3])
def test_matches_naive_set_of_neuron_patterns(repeats):
    ctx = _context()
    got = swap_score(ctx, repeats=repeats)
    net = ctx.fresh_network()
    gen = ctx.generator("swap")
    counts = []
    for _ in range(repeats):
        naive_gaussian_init(net, gen)
        counts.append(naive_swap(net, ctx.images[:16]))
    assert got == pytest.approx(np.mean(counts))


def test_bounded_by_neurons_and_patterns():
    ctx = _context(n=4)
    neurons = len(relu_sign_rows(copy.deepcopy(ctx.network).train(), ctx.images)[0])
    value = swap_score(ctx, samples=4, repeats=2)
    assert 1 <= value <= min(neurons, 2**4)


def test_deterministic_per_seed():
    assert swap_score(_context()) == swap_score(_context())
    assert swap_score(_context(seed=1), repeats=1) != swap_score(_context(seed=2), repeats=1)


def test_regularised_variant():
    ctx = _context()
    theta = sum(p.numel() for p in ctx.network.parameters()) / 1e3
    assert parameter_count_thousands(ctx.network) == pytest.approx(theta)
    assert regular_factor(2.0, mu=1.0, sigma=4.0) == pytest.approx(math.exp(-0.25))
    plain = get_proxy("swap").compute(ctx)
    regularised = get_proxy("swap_reg").compute(ctx)
    assert regularised == pytest.approx(plain * math.exp(-((theta - 1500.0) ** 2) / 1.5e6))
    custom = swap_score(ctx, regularise=True, mu=theta, sigma=1.0)
    assert custom == pytest.approx(plain)


def test_auxiliary_parameters_are_not_counted():
    net = torch.nn.Module()
    net.body = torch.nn.Linear(10, 10)  # 110 parameters
    net.auxiliary_head = torch.nn.Linear(10, 10)
    assert parameter_count_thousands(net) == pytest.approx(0.11)


def test_all_none_network_does_not_crash():
    value = get_proxy("swap").compute(_context(("none",) * 6))
    assert isinstance(value, float) and value >= 1


def test_registrations():
    for name in ("swap", "swap_reg"):
        spec = get_proxy(name)
        assert spec.higher_is_better and spec.version == "1"
        assert spec.needs == frozenset({"data", "own_pass"})


def test_variant_options_score_another_network():
    ctx = real_nb201_context(CONV_OPS, C=4, N=1, n=16)
    narrow = swap_score(ctx, repeats=2, variant_options={"C": 2})
    assert narrow != swap_score(ctx, repeats=2)
    assert 1 <= narrow <= 2**16


@pytest.mark.parametrize("ops", [CONV_OPS, ("none",) * 6])
def test_with_the_real_nb201_builder(ops):
    ctx = real_nb201_context(ops, C=4, N=1, n=16)
    value = swap_score(ctx, repeats=2)
    assert 1 <= value <= 2**16


@pytest.mark.parametrize("zero_output", [False, True])
def test_through_the_engine_on_a_float64_net(make_context, zero_output):
    from harness.proxies.engine import compute_proxies

    outcomes = compute_proxies(["swap", "swap_reg"], make_context(zero_output=zero_output))
    for outcome in outcomes.values():
        assert outcome.status == "ok", outcome.error


def _distinct_patterns(net, images, recorder_type) -> int:
    recorder = (
        ReluPatternSet(net, images.shape[0]) if recorder_type is ReluPatternSet else ReluCodes(net)
    )
    try:
        with torch.no_grad():
            net(images)
        if isinstance(recorder, ReluPatternSet):
            return recorder.take()
        return count_unique_rows(recorder.take(images.shape[0]).T)
    finally:
        recorder.remove()


@pytest.mark.parametrize("samples", [1, 2, 5, 16, 20])
def test_the_pattern_table_counts_what_the_bit_packed_rows_count(samples):
    ctx = real_nb201_context(CONV_OPS, C=4, N=1, n=samples)
    net = ctx.fresh_network().train()
    naive_gaussian_init(net, ctx.generator("swap"))
    table = _distinct_patterns(net, ctx.images, ReluPatternSet)
    assert table == _distinct_patterns(net, ctx.images, ReluCodes)
    assert 1 < table <= 2**samples or samples == 1


def test_more_samples_than_the_table_holds_use_the_rows():
    ctx = real_nb201_context(CONV_OPS, C=4, N=1, n=24)
    net = ctx.fresh_network()
    naive_gaussian_init(net, ctx.generator("swap"))
    assert swap_score(ctx, samples=24, repeats=1) == naive_swap(net, ctx.images)
    with pytest.raises(ValueError, match="0 to 20"):
        ReluPatternSet(net, 24)


class _ReluTwiceInPlace(torch.nn.Module):
    """Two ReLUs of one tensor object, changed in place between them."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.first, self.second = torch.nn.ReLU(), torch.nn.ReLU()

    def forward(self, x):
        h = self.conv(x)
        a = self.first(h)
        h.mul_(-1.0)  # same object, new contents: its patterns must count again
        b = self.second(h)
        return a.sum() + b.sum()


def test_a_tensor_changed_in_place_is_recorded_again():
    torch.manual_seed(0)
    net = _ReluTwiceInPlace()
    images = torch.randn(6, 3, 6, 6, generator=torch.Generator().manual_seed(1))
    table = _distinct_patterns(net, images, ReluPatternSet)
    assert table == _distinct_patterns(net, images, ReluCodes)
    net.second = torch.nn.Identity()  # only the first ReLU: fewer patterns
    assert _distinct_patterns(net, images, ReluPatternSet) < table
