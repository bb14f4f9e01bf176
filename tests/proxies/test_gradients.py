"""grad_norm, snip, plain, fisher, grasp against naive autograd.grad implementations."""

from __future__ import annotations

import naive
import pytest
import torch

from harness.proxies import get_proxy
from harness.proxies.engine import compute_proxies

TIGHT = {"rel": 1e-9, "abs": 1e-12}
NAIVE = {
    "grad_norm": naive.grad_norm,
    "snip": naive.snip,
    "plain": naive.plain,
    "fisher": lambda net, x, y: naive.fisher(net, x, y, fan_in=False),
    "fisher_fanin": lambda net, x, y: naive.fisher(net, x, y, fan_in=True),
    "grasp": naive.grasp,
}


@pytest.mark.parametrize("name", sorted(NAIVE))
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_naive(name, seed, make_context, score):
    ctx = make_context(seed)
    expected = NAIVE[name](ctx.network, ctx.images, ctx.labels)
    assert score(name, ctx) == pytest.approx(expected, **TIGHT)
    assert expected != 0


def test_grasp_matches_finite_differences(make_context, score):
    ctx = make_context(2)
    expected = naive.grasp_finite_difference(ctx.network, ctx.images, ctx.labels)
    assert score("grasp", ctx) == pytest.approx(expected, rel=1e-6)


def test_fisher_fanin_weights_each_channel_by_fan_in(make_context):
    ctx = make_context(0)
    channels = naive.fisher_channels(ctx.network, ctx.images, ctx.labels)
    fan_ins = [3 * 3 * 3, 4 * 3 * 3, 5]  # conv1, conv2, classifier
    expected = sum(float(c.sum()) * f for c, f in zip(channels, fan_ins, strict=True))
    got = compute_proxies(["fisher_fanin"], ctx)["fisher_fanin"].score
    assert got == pytest.approx(expected, **TIGHT)


class InPlaceNet(torch.nn.Module):
    """conv -> in-place ReLU: the hooked conv output is overwritten after the hook ran."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.relu = torch.nn.ReLU(inplace=True)
        self.classifier = torch.nn.Linear(4, 3)

    def forward(self, x):
        return self.classifier(self.relu(self.conv(x)).mean(dim=(2, 3)))


@pytest.mark.parametrize("name", ["fisher", "snip", "grasp"])
def test_in_place_activation_after_a_layer(name, make_context, score):
    torch.manual_seed(0)
    ctx = make_context(0, net=InPlaceNet().double())
    expected = NAIVE[name](ctx.network, ctx.images, ctx.labels)
    assert score(name, ctx) == pytest.approx(expected, **TIGHT)


def test_unused_layer_counts_zero(make_context, score):
    ctx = make_context(0)
    reference = {name: score(name, ctx) for name in NAIVE}
    net = ctx.network
    net.unused = torch.nn.Conv2d(3, 7, 3).double()  # registered, never called
    ctx = make_context(0, net=net)
    for name, value in reference.items():
        assert score(name, ctx) == pytest.approx(value, **TIGHT), name


def test_permuting_the_batch_changes_nothing(make_context, score):
    ctx = make_context(3)
    perm = torch.randperm(ctx.images.shape[0], generator=torch.Generator().manual_seed(0))
    permuted = make_context(3)
    permuted.images, permuted.labels = ctx.images[perm], ctx.labels[perm]
    for name in NAIVE:
        assert score(name, permuted) == pytest.approx(score(name, ctx), rel=1e-9), name


def test_registrations():
    for name in NAIVE:
        spec = get_proxy(name)
        assert spec.higher_is_better
        assert {"data", "labels", "loss_grads"} <= spec.needs
        assert spec.version == "1"
    assert "own_pass" in get_proxy("grasp").needs
