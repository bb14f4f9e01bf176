"""VKDNW: the entropy against a naive per-sample, per-class loop; counts; the aggregate."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from harness.proxies import ProxyContext, compute_proxies
from harness.proxies.kaiming import kaiming_fanin_
from harness.proxies.vkdnw import (
    ALPHA,
    covariance_factor,
    log_rank_sum,
    vkdnw_aggregate,
    vkdnw_entropy,
)
from harness.spaces.networks import build_network

ARCH = "|nor_conv_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"


def small_net(variant: str = "as_trained", seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    net = build_network("nb201", ARCH, num_classes=5, variant=variant, C=2, N=1).double()
    return kaiming_fanin_(net, torch.Generator().manual_seed(seed)).eval()


def batch(n: int = 6) -> torch.Tensor:
    return torch.randn(n, 3, 8, 8, generator=torch.Generator().manual_seed(3), dtype=torch.float64)


def naive_factor(sigma: np.ndarray) -> np.ndarray:
    """Textbook Cholesky (row by row), a zero pivot giving a zero column below it."""
    n = sigma.shape[0]
    factor = np.zeros_like(sigma)
    for i in range(n):
        for j in range(i + 1):
            rest = sigma[i, j] - factor[i, :j] @ factor[j, :j]
            if i == j:
                factor[i, i] = math.sqrt(max(rest, 0.0))
            else:
                factor[i, j] = rest / factor[j, j] if factor[j, j] > 0 else 0.0
    return factor


def naive_vkdnw(net: torch.nn.Module, images: torch.Tensor) -> float:
    params = [p for p in net.parameters() if p.requires_grad and p.numel()][:128]
    with torch.no_grad():
        logits = net(images)
    rows = []
    for b in range(images.shape[0]):
        out = net(images[b : b + 1])[0]
        jac = [
            [
                float(g.reshape(-1)[0])
                for g in torch.autograd.grad(out[c], params, retain_graph=True)
            ]
            for c in range(out.shape[0])
        ]
        prob = torch.softmax(logits[b], 0).numpy() * (1 - ALPHA) + ALPHA / logits.shape[1]
        factor = naive_factor(np.diag(prob) - np.outer(prob, prob))
        weighted = factor @ np.array(jac)
        rows.append(weighted.T @ weighted)
    eigenvalues = np.abs(np.linalg.eigvalsh(np.mean(rows, axis=0)))
    quantiles = np.quantile(eigenvalues, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    share = quantiles / (np.abs(quantiles).sum() + 1e-10)
    return float(-(share * np.log(share + 1e-10)).sum())


@pytest.mark.parametrize("variant", ["as_trained", "proxy_bn"])
def test_entropy_matches_a_naive_loop(variant):
    net, images = small_net(variant), batch()
    assert vkdnw_entropy(net, images) == pytest.approx(naive_vkdnw(net, images), rel=1e-9)


def test_covariance_factor_is_the_lower_cholesky_factor():
    probs = torch.softmax(torch.randn(4, 6, dtype=torch.float64), 1) * 0.9 + 0.1 / 6
    factor = covariance_factor(probs)
    sigma = torch.diag_embed(probs) - probs.unsqueeze(2) * probs.unsqueeze(1)
    torch.testing.assert_close(factor @ factor.transpose(1, 2), sigma)
    assert torch.equal(factor, factor.tril())
    expected = naive_factor(sigma[0].numpy())
    np.testing.assert_allclose(factor[0].numpy(), expected, atol=1e-12)


def test_entropy_reads_the_weights_and_the_batch():
    net, images = small_net(), batch()
    base = vkdnw_entropy(net, images)
    assert base != pytest.approx(vkdnw_entropy(small_net(seed=1), images), rel=1e-6)
    assert base != pytest.approx(vkdnw_entropy(net, images * 2 + 1), rel=1e-6)


def test_counts_on_nb201():
    ctx = ProxyContext(network=build_network("nb201", ARCH, num_classes=10), input_shape=(3, 8, 8))
    out = compute_proxies(["vkdnw_dim", "layers"], ctx)
    convs = 3  # conv ops in ARCH
    # stem conv, 15 cells x 3 convs, 2 basic blocks x 3 convs, classifier
    assert out["layers"].score == 1 + 15 * convs + 6 + 1
    # tensors: stem conv + BN (3), conv + BN weight + BN bias per op, blocks 2 x 7, head 2 + 2
    assert out["vkdnw_dim"].score == 3 + 15 * convs * 3 + 14 + 4
    assert out["vkdnw_dim"].score == len(list(ctx.network.parameters()))


def test_log_rank_sum_by_hand_ties_and_failures():
    scores = {"a": [1.0, 3.0, 2.0, np.nan], "b": [2.0, 2.0, 1.0, 5.0]}
    total = log_rank_sum(scores, ("a", "b"))
    # valid rows 0..2, n = 3: a ranks 1, 3, 2; b ranks 2.5, 2.5, 1
    expected = [math.log(1 / 3) + math.log(2.5 / 3), math.log(1) + math.log(2.5 / 3)]
    expected.append(math.log(2 / 3) + math.log(1 / 3))
    np.testing.assert_allclose(total[:3], expected)
    assert math.isnan(total[3])
    with_inf = log_rank_sum({"a": [-np.inf, 1.0], "b": [1.0, 1.0]}, ("a", "b"))
    assert with_inf[0] < with_inf[1]


def test_vkdnw_agg_combines_its_five_parts():
    parts = ("az_complexity", "az_expressivity", "az_progressivity", "vkdnw", "az_trainability")
    scores = {name: [1.0, 2.0] for name in parts}
    np.testing.assert_allclose(vkdnw_aggregate(scores), [5 * math.log(0.5), 0.0])
    with pytest.raises(KeyError):
        vkdnw_aggregate({"vkdnw": [1.0]})


def test_vkdnw_single_is_layers_plus_the_entropy_computed_once(make_context, score):
    from harness.proxies.passes import PASS_LOG_KEY
    from harness.proxies.vkdnw import ENTROPY_KEY, count_trainable_layers

    ctx = make_context()
    out = compute_proxies(["vkdnw", "layers", "vkdnw_single"], ctx)
    assert {name: o.status for name, o in out.items()} == dict.fromkeys(out, "ok")
    assert out["vkdnw_single"].score == out["layers"].score + out["vkdnw"].score
    computed = [use for use in ctx.cache[PASS_LOG_KEY] if use.key == ENTROPY_KEY]
    assert [use.seconds is not None for use in computed] == [True, False]
    # alone, on a fresh context of the same seed: the same value, from its own entropy
    alone = make_context()
    layers = count_trainable_layers(alone.network)
    assert score("vkdnw_single", alone) == layers + score("vkdnw", make_context())
    assert layers == out["layers"].score
