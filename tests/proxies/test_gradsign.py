"""GradSign against a naive per-sample backward loop in numpy."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from harness.proxies import compute_proxies
from harness.proxies.gradsign import sign_agreement
from harness.spaces.networks import build_network

ARCH = "|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|none~1|avg_pool_3x3~2|"


def naive_sign_sums(net, images, labels) -> np.ndarray:
    layers = [m for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    signs = []
    for i in range(images.shape[0]):
        net.zero_grad(set_to_none=True)
        F.cross_entropy(net(images[[i]]), labels[[i]]).backward()
        grads = [
            np.zeros(m.weight.numel()) if m.weight.grad is None else m.weight.grad.numpy().ravel()
            for m in layers
        ]
        signs.append(np.sign(np.concatenate(grads)))
    return np.abs(np.sum(signs, axis=0))


def naive_gradsign(net, images, labels) -> float:
    return float(np.nanmean(naive_sign_sums(net, images, labels)))


@pytest.mark.parametrize("variant", ["as_trained", "proxy_bn"])
def test_matches_naive(variant):
    torch.manual_seed(0)
    net = build_network("nb201", ARCH, num_classes=4, variant=variant, C=2, N=1).double().train()
    gen = torch.Generator().manual_seed(1)
    images = torch.randn(6, 3, 8, 8, generator=gen, dtype=torch.float64)
    labels = torch.tensor([0, 1, 2, 3, 0, 1])
    ours = sign_agreement(copy.deepcopy(net), images, labels)
    assert ours == pytest.approx(naive_gradsign(copy.deepcopy(net), images, labels), rel=1e-12)
    assert 0 < ours <= images.shape[0]
    assert ours != pytest.approx(sign_agreement(copy.deepcopy(net), images, labels.flip(0)))


def test_the_sum_is_the_official_measure_and_shares_the_passes(make_context):
    ctx = make_context()
    out = compute_proxies(["gradsign", "gradsign_sum"], ctx)
    assert out["gradsign"].status == out["gradsign_sum"].status == "ok"
    net = copy.deepcopy(ctx.network).train()
    signs = naive_sign_sums(net, ctx.images, ctx.labels)
    assert out["gradsign_sum"].score == pytest.approx(float(np.nansum(signs)), rel=1e-12)
    assert out["gradsign"].score == pytest.approx(float(np.nanmean(signs)), rel=1e-12)
    computed = [use for use in ctx.cache["pass_log"] if use.key == "gradsign_sign_sums"]
    assert [use.seconds is not None for use in computed] == [True, False]
