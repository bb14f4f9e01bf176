"""Zen-score against a hand-computed version on a tiny net, plus sanity properties."""

from __future__ import annotations

import math

import pytest
import torch
from naive_ownpass import PlainConvNet, TinyNB201, naive_zen_plain, real_nb201_context

from harness.proxies import ProxyContext, get_proxy
from harness.proxies.zen import _BatchVariances, gaussian_reinit, zen_score

CONV_OPS = ("nor_conv_3x3", "skip_connect", "nor_conv_1x1", "avg_pool_3x3", "none", "nor_conv_3x3")


def _context(net: torch.nn.Module, shape=(6, 3, 8, 8), seed: int = 3) -> ProxyContext:
    torch.manual_seed(0)
    return ProxyContext(network=net, images=torch.randn(shape), seed=seed)


@pytest.mark.parametrize("convention", ["paper", "reference"])
def test_matches_step_by_step_computation(convention):
    torch.manual_seed(1)
    ctx = _context(PlainConvNet())
    got = zen_score(ctx, bn_convention=convention, batch_size=ctx.images.shape[0])
    expected = naive_zen_plain(
        ctx.network, tuple(ctx.images.shape), ctx.generator("zen"), convention
    )
    assert got == pytest.approx(expected, rel=1e-5, abs=1e-5)


def test_conventions_differ():
    ctx = _context(PlainConvNet())
    assert zen_score(ctx, bn_convention="paper") != zen_score(ctx, bn_convention="reference")


@pytest.mark.parametrize("convention", ["paper", "reference"])
def test_untracked_bn_scores_like_tracked_bn(convention):
    # same weights and draws; untracked layers use hooked batch variances (emulated
    # running_var for the reference convention), so both nets must score the same
    torch.manual_seed(1)
    tracked = PlainConvNet(track=True)
    untracked = PlainConvNet(track=False)
    untracked.load_state_dict(tracked.state_dict(), strict=False)
    a = zen_score(_context(tracked), bn_convention=convention)
    b = zen_score(_context(untracked), bn_convention=convention)
    assert a == pytest.approx(b, rel=1e-6)


def test_deterministic_per_seed_and_leaves_network_alone():
    torch.manual_seed(2)
    net = TinyNB201(CONV_OPS)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    ctx = _context(net)
    first = zen_score(ctx)
    assert zen_score(ctx) == first
    assert zen_score(_context(net, seed=4)) != first
    for key, value in net.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert math.isfinite(first)


def test_repeats_average_independent_draws():
    ctx = _context(TinyNB201(CONV_OPS))
    one = zen_score(ctx, repeats=1)
    three = zen_score(ctx, repeats=3)
    assert math.isfinite(three) and three != one


def test_all_none_network_does_not_crash():
    ctx = _context(TinyNB201(("none",) * 6))
    value = get_proxy("zen").compute(ctx)
    assert isinstance(value, float)
    assert value == -math.inf  # zero features: log(0)


def test_data_free_default_shape():
    ctx = ProxyContext(network=TinyNB201(CONV_OPS), images=None, seed=1)
    assert math.isfinite(zen_score(ctx))


@pytest.mark.parametrize("name", ["zen", "zen_paper"])
def test_the_score_never_reads_the_batch_not_even_its_size(name):
    # harness check found zen reading the batch size while declaring no data
    from harness.proxies import get_proxy

    compute = get_proxy(name).compute
    net = PlainConvNet()
    with_batch = compute(_context(net, shape=(6, 3, 8, 8)))
    assert compute(_context(net, shape=(20, 3, 8, 8))) == with_batch
    without = ProxyContext(network=net, images=None, input_shape=(3, 8, 8), seed=3)
    assert compute(without) == with_batch


def test_needs_forward_features():
    ctx = _context(torch.nn.Sequential(torch.nn.Conv2d(3, 2, 1)))
    with pytest.raises(TypeError, match="forward_features"):
        zen_score(ctx)


def test_gaussian_reinit_values():
    net = PlainConvNet()
    gen = torch.Generator().manual_seed(0)
    gaussian_reinit(net, gen)
    assert torch.all(net.conv1.bias == 0)
    assert torch.all(net.bn1.weight == 1) and torch.all(net.bn1.bias == 0)
    expected = torch.randn(net.conv1.weight.shape, generator=torch.Generator().manual_seed(0))
    assert torch.equal(net.conv1.weight, expected)


def test_registration_and_defaults():
    spec = get_proxy("zen")
    assert spec.higher_is_better and spec.version == "5"
    assert spec.needs == frozenset({"own_pass"}) and spec.data_free
    paper = get_proxy("zen_paper")
    assert paper.higher_is_better and paper.needs == spec.needs
    torch.manual_seed(1)
    ctx = _context(PlainConvNet())
    assert spec.compute(ctx) == zen_score(ctx) == zen_score(ctx, bn_convention="reference")
    assert paper.compute(ctx) == zen_score(ctx, bn_convention="paper")


def test_reference_convention_reads_tracked_buffers_without_reducing_inputs():
    torch.manual_seed(1)
    net = PlainConvNet(track=True).train()
    recorder = _BatchVariances(net, tracked="keep_running_variance")
    with torch.no_grad():
        net.forward_features(torch.randn(4, 3, 8, 8))
    recorder.remove()
    assert recorder.reached == {0, 1}
    assert recorder.biased == {0: [], 1: []}


@pytest.mark.parametrize("variant", ["as_trained", "proxy_bn"])
def test_with_the_real_nb201_builder(variant):
    # proxy_bn cells have untracked BN: both conventions must still count every layer
    ctx = real_nb201_context(CONV_OPS, C=4, N=1, variant=variant)
    for convention in ("paper", "reference"):
        assert math.isfinite(zen_score(ctx, bn_convention=convention))
    none = real_nb201_context(("none",) * 6, C=4, N=1, variant=variant)
    for convention in ("paper", "reference"):
        assert zen_score(none, bn_convention=convention) == -math.inf


def test_dead_branch_bn_is_skipped_not_minus_infinity():
    # node 1 is fed only by `none`, so the 1x1 conv out of node 1 sees exact zeros; the
    # cell still computes conv3x3(x) on 0 -> 3 and must get a finite score (bug seen on
    # real NB201 cells: 4 of 29 scored -inf before the fix).
    ops = ("none", "avg_pool_3x3", "skip_connect", "nor_conv_3x3", "nor_conv_1x1", "none")
    ctx = real_nb201_context(ops, C=4, N=1)
    assert math.isfinite(zen_score(ctx, bn_convention="paper"))


@pytest.mark.parametrize("zero_output", [False, True])
def test_through_the_engine_on_a_float64_net(make_context, zero_output):
    from harness.proxies.engine import compute_proxies

    outcome = compute_proxies(["zen"], make_context(zero_output=zero_output))["zen"]
    assert outcome.status == ("nan" if zero_output else "ok"), outcome.error


def test_variances_read_from_bn_buffers_equal_the_input_reduction():
    # the paper convention reads tracked layers' batch variance from running_var with
    # momentum 1; it must equal reducing the layer's input, and leave momentum as it was
    torch.manual_seed(5)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3),
        torch.nn.BatchNorm2d(4, momentum=None),
        torch.nn.Conv2d(4, 4, 1),
        torch.nn.BatchNorm2d(4, track_running_stats=False),
    ).train()
    x = torch.randn(5, 3, 7, 7)
    recorder = _BatchVariances(net, tracked="read_batch_variance")
    with torch.no_grad():
        net(x)
    recorder.remove()
    assert net[1].momentum is None and net[3].momentum == 0.1
    first_input = net[0](x).detach()
    expected = first_input.double().var(dim=(0, 2, 3), correction=0)
    assert torch.allclose(recorder.biased[0][0], expected, rtol=1e-6, atol=0)
    expected_second = net[2](net[1](first_input)).double().var(dim=(0, 2, 3), correction=0)
    assert torch.allclose(recorder.biased[1][0], expected_second, rtol=1e-5, atol=0)
    with torch.no_grad():
        net(x)  # hooks gone: nothing more is recorded
    assert len(recorder.biased[0]) == len(recorder.biased[1]) == 1


@pytest.mark.parametrize("ops", [CONV_OPS, ("nor_conv_3x3",) * 6, ("skip_connect", "none") * 3])
def test_bn_scaling_from_buffers_matches_input_reduction_on_nb201(ops):
    # the paper convention's BN term read from running_var (momentum 1) agrees with
    # reducing every BN input again, on the harness's own NB201 network
    from harness.proxies.zen import _log_bn_scaling

    net = real_nb201_context(ops, n=8).fresh_network().train()
    gaussian_reinit(net, torch.Generator().manual_seed(0))
    x = torch.randn((8, 3, 16, 16), generator=torch.Generator().manual_seed(1))
    terms = []
    for tracked in ("read_batch_variance", "reduce"):
        recorder = _BatchVariances(net, tracked=tracked)
        with torch.no_grad():
            net.forward_features(x)
        recorder.remove()
        terms.append(_log_bn_scaling(recorder, "paper"))
    assert math.isfinite(terms[0])
    assert terms[0] == pytest.approx(terms[1], rel=1e-8)
