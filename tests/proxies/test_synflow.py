"""SynFlow: closed forms on linear networks, a naive version per BN convention, sanity."""

from __future__ import annotations

import math

import naive
import pytest
import torch
from torch import nn

from harness.proxies import ProxyContext, get_proxy
from harness.proxies.engine import compute_proxies

BN_MODES = {"synflow": "eval", "synflow_nobn": "identity", "synflow_bn": "train"}


class TwoLinear(nn.Module):
    """x -> W2 (BN?) W1 flatten(x): synflow has a closed form."""

    def __init__(self, inputs: int, hidden: int, outputs: int, batchnorm: bool = False):
        super().__init__()
        self.first = nn.Linear(inputs, hidden, bias=False)
        self.norm = nn.BatchNorm1d(hidden) if batchnorm else nn.Identity()
        self.second = nn.Linear(hidden, outputs, bias=False)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.first(x.flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.second(self.forward_features(x))


def _linear_context(batchnorm: bool = False, seed: int = 0) -> ProxyContext:
    torch.manual_seed(seed)
    net = TwoLinear(2 * 3 * 3, 7, 4, batchnorm).double()
    return ProxyContext(network=net, input_shape=(2, 3, 3), seed=seed)


def test_closed_form_of_a_two_layer_linear_net(score):
    ctx = _linear_context()
    expected = naive.synflow_two_linear_closed_form(
        ctx.network.first.weight, ctx.network.second.weight
    )
    for name in BN_MODES:
        if name != "synflow_bn":
            assert score(name, ctx) == pytest.approx(expected, rel=1e-12), name


def test_batchnorm_conventions_on_the_closed_form(score):
    ctx = _linear_context(batchnorm=True)
    plain = naive.synflow_two_linear_closed_form(
        ctx.network.first.weight, ctx.network.second.weight
    )
    eps = ctx.network.norm.eps
    # paper default (eval mode): BN at init is x / sqrt(1 + eps), scaling R and every gradient
    assert score("synflow", ctx) == pytest.approx(plain / math.sqrt(1 + eps), rel=1e-12)
    # NASLib: BN is the identity
    assert score("synflow_nobn", ctx) == pytest.approx(plain, rel=1e-12)
    # train-mode BN1d cannot normalise a batch of one sample: a recorded error, not a crash
    outcome = compute_proxies(["synflow_bn"], ctx)["synflow_bn"]
    assert outcome.status == "error" and "channel" in outcome.error


@pytest.mark.parametrize("factor", [3.0, -0.5])
def test_scales_with_the_absolute_value_of_a_layer_scale(factor, score):
    ctx = _linear_context(seed=1)
    before = score("synflow", ctx)
    with torch.no_grad():
        ctx.network.first.weight.mul_(factor)
    assert score("synflow", ctx) == pytest.approx(abs(factor) * before, rel=1e-12)


@pytest.mark.parametrize("name", sorted(BN_MODES))
def test_matches_naive_on_a_conv_bn_net(name, make_context, score):
    ctx = make_context(0)
    with torch.no_grad():  # non-trivial BN state, so that the conventions differ
        for module in ctx.network.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-1, 1)
                module.running_var.uniform_(0.5, 2)
                module.weight.uniform_(-2, 2)
                module.bias.uniform_(-1, 1)
    expected = naive.synflow(ctx.network, ctx.sample_shape(), BN_MODES[name])
    assert score(name, ctx) == pytest.approx(expected, rel=1e-10)
    others = {score(other, ctx) for other in BN_MODES if other != name}
    assert all(abs(o - expected) > 1e-6 * abs(expected) for o in others)


def test_data_free_and_leaves_the_network_alone(make_context, score):
    with_batch = make_context(1)
    state = {k: v.clone() for k, v in with_batch.network.state_dict().items()}
    no_batch = ProxyContext(network=with_batch.network, input_shape=with_batch.sample_shape())
    for name in BN_MODES:
        assert get_proxy(name).data_free
        assert score(name, no_batch) == score(name, with_batch)
    for key, value in with_batch.network.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_no_input_to_output_path_gives_zero(make_context, score):
    ctx = make_context(0, zero_output=True)
    assert score("synflow", ctx) == 0.0
    assert score("synflow_nobn", ctx) == 0.0


def test_float32_network_is_scored_in_float64_without_overflow(score):
    ctx = _linear_context(seed=2)
    before = score("synflow", ctx)
    with torch.no_grad():
        ctx.network.first.weight.mul_(1e25)
        ctx.network.second.weight.mul_(1e25)
    ctx.network.float()  # R ~ 1e50 overflows float32 (max ~3e38)
    assert score("synflow", ctx) == pytest.approx(1e50 * before, rel=1e-6)
