"""l2_norm, params, flops: data-free, against explicit loops and hand counts."""

from __future__ import annotations

import naive
import pytest
import torch

from harness.proxies import ProxyContext, get_proxy
from harness.proxies.complexity import count_flops
from harness.proxies.engine import compute_proxies

DATA_FREE = ("l2_norm", "params", "flops", "flops_xautodl")


def test_l2_norm_matches_naive_and_scales(make_context, score):
    ctx = make_context(0)
    expected = naive.l2_norm(ctx.network)
    assert score("l2_norm", ctx) == pytest.approx(expected, rel=1e-12)
    with torch.no_grad():
        for module in ctx.network.modules():
            if isinstance(module, torch.nn.Conv2d | torch.nn.Linear):
                module.weight.mul_(-2.0)
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.mul_(7.0)  # BN is never counted
    assert score("l2_norm", ctx) == pytest.approx(2 * expected, rel=1e-12)


def test_params_by_hand(make_context, score):
    # conv1 3*4*9 + 4, bn1 2*4, conv2 4*5*9 (no bias), bn2 2*5, linear 5*3 + 3
    assert score("params", make_context(0)) == 112 + 8 + 180 + 10 + 18


def test_flops_by_hand_and_through_the_counter(make_context, score):
    ctx = make_context(0)
    # conv1: 3*9 MACs per output, 4*6*6 outputs, + bias adds; conv2: 4*9 per output, 5*3*3
    # outputs; linear: 5*3 + 3 bias adds
    assert score("flops_xautodl", ctx) == 3 * 9 * 4 * 36 + 4 * 36 + 4 * 9 * 5 * 9 + 15 + 3
    assert score("flops", ctx) == count_flops(ctx.network, (3, 6, 6))


def test_data_free_without_a_batch(make_context, score):
    with_batch = make_context(1)
    no_batch = ProxyContext(network=with_batch.network, input_shape=(3, 6, 6))
    for name in DATA_FREE:
        assert get_proxy(name).data_free and get_proxy(name).higher_is_better
        assert score(name, no_batch) == score(name, with_batch)


def test_flops_without_any_input_shape_is_a_recorded_error(make_context):
    ctx = ProxyContext(network=make_context(0).network)
    outcomes = compute_proxies(DATA_FREE, ctx)
    assert outcomes["flops"].status == "error" and "input_shape" in outcomes["flops"].error
    assert outcomes["params"].status == outcomes["l2_norm"].status == "ok"
