"""AZ-NAS components against a naive cell-by-cell computation in numpy; the aggregate."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from harness.proxies import ProxyContext, compute_proxies
from harness.proxies.aznas import az_aggregate
from harness.proxies.kaiming import kaiming_fanin_
from harness.spaces.networks import build_network

ARCH = "|nor_conv_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
PARTS = ["az_expressivity", "az_progressivity", "az_trainability"]


def entropy(feature: np.ndarray) -> float:
    b, c, h, w = feature.shape
    rows = feature.transpose(0, 2, 3, 1).reshape(-1, c)
    rows = rows - rows.mean(axis=0)
    values = np.linalg.eigvalsh(rows.T @ rows / rows.shape[0])
    share = values / values.sum()
    return float(-(share * np.log(share + 1e-8)).sum())


def naive(ctx: ProxyContext) -> dict[str, float]:
    generator = ctx.generator("az_nas")
    net = kaiming_fanin_(ctx.fresh_network(), generator).train()
    inputs, features = [], []
    x = net.stem(ctx.images)
    features.append(x.detach())
    for cell in net.cells:
        x_in = x.detach().requires_grad_(True)
        x = cell(x_in)
        inputs.append(x_in)
        features.append(x)
    entropies = np.array([entropy(f.detach().numpy()) for f in features])
    terms = []
    for i in reversed(range(1, len(features))):
        g_out = torch.bernoulli(torch.full_like(features[i], 0.5), generator=generator) * 2 - 1
        (g_in,) = torch.autograd.grad(features[i], inputs[i - 1], g_out, retain_graph=True)
        if g_in.shape == g_out.shape and torch.equal(g_in, g_out):
            terms.append(-math.inf)
            continue
        stride = g_in.shape[2] // g_out.shape[2]
        g_in = torch.nn.functional.pixel_unshuffle(g_in, stride).numpy()
        g_out = g_out.numpy()
        a = g_in.transpose(0, 2, 3, 1).reshape(-1, g_in.shape[1])
        o = g_out.transpose(0, 2, 3, 1).reshape(-1, g_out.shape[1])
        s = np.linalg.svd(a.T @ o / o.shape[0], compute_uv=False).max()
        terms.append(-s - 1 / (s + 1e-6) + 2)
    return {
        "az_expressivity": float(entropies.sum()),
        "az_progressivity": float(np.min(np.diff(entropies))),
        "az_trainability": float(np.mean(terms)),
    }


def context(variant: str, arch: str = ARCH) -> ProxyContext:
    torch.manual_seed(0)
    net = build_network("nb201", arch, num_classes=4, variant=variant, C=4, N=1).double()
    images = torch.randn(
        4, 3, 8, 8, generator=torch.Generator().manual_seed(2), dtype=torch.float64
    )
    return ProxyContext(network=net, images=images, labels=torch.arange(4), num_classes=4, seed=7)


@pytest.mark.parametrize("variant", ["as_trained", "proxy_bn"])
def test_components_match_naive(variant):
    ctx = context(variant)
    ours = compute_proxies(PARTS, ctx)
    expected = naive(context(variant))
    for name in PARTS:
        assert ours[name].status == "ok"
        assert ours[name].score == pytest.approx(expected[name], rel=1e-9), name


def test_identity_cell_has_minus_inf_trainability():
    arch = "|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|"
    out = compute_proxies(["az_trainability"], context("as_trained", arch))["az_trainability"]
    assert out.score == -math.inf and out.status == "nan"


def test_az_nas_is_the_log_rank_sum_of_four():
    scores = {
        "az_complexity": [1.0, 2.0, 3.0],
        "az_expressivity": [3.0, 2.0, 1.0],
        "az_progressivity": [1.0, 1.0, 2.0],
        "az_trainability": [-math.inf, 0.0, -1.0],
    }
    ranks = np.array([[1, 2, 3], [3, 2, 1], [1.5, 1.5, 3], [1, 3, 2]])
    np.testing.assert_allclose(az_aggregate(scores), np.log(ranks / 3).sum(axis=0))
