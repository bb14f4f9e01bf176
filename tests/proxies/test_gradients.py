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


def _nb201_context():
    from harness.inputs import load_batch
    from harness.proxies import ProxyContext
    from harness.spaces.networks import seeded_network

    arch = "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|none~2|"
    net, _ = seeded_network("nb201", arch, seed=5)
    batch = load_batch("synthetic", batch_size=8, seed=0, class_balanced=True)
    return ProxyContext(
        network=net, images=batch.images, labels=batch.labels, num_classes=10, seed=5
    )


def test_grasp_and_pass_a_are_bit_identical_whoever_builds_pass_a():
    # float32 NB201 network (convolutions, batch norm): grasp building pass A with its
    # graph (one forward) must give what pass A without a graph plus grasp's own forward
    # gives (the two-pass reference path), and pass A's readers must not notice either
    alone = compute_proxies(["grasp", "grad_norm", "fisher"], _nb201_context())
    ctx = _nb201_context()
    first = compute_proxies(["grad_norm", "fisher"], ctx)  # pass A cached without a graph
    then = compute_proxies(["grasp"], ctx)  # grasp's own forward with a graph
    assert alone["grasp"].score == then["grasp"].score
    assert alone["grad_norm"].score == first["grad_norm"].score
    assert alone["fisher"].score == first["fisher"].score
    assert all(o.status == "ok" for o in [*alone.values(), *then.values()])
