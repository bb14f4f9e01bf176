"""ZiCo (Li et al. ICLR 2023): inverse coefficient of variation of gradients over batches.

Reference: `SLDGroup/ZiCo@b0fec65`, `ZeroShotProxy/compute_zico.py` getzico. For every
conv/linear layer, with g_b the mean cross-entropy gradient of batch b:
S_l = sum over weights with std != 0 of mean_b |g_b| / std_b(g_b) (population std,
ddof 0); ZiCo = sum over layers of log S_l, skipping S_l = 0. The statistic is computed
in float64; the reference's numpy float32 moves the score by up to 6e-3 relative on
NB201 networks (recomputed in float64 from its own gradients it equals ours to 1e-12).
With two batches the ratio is (|g1| + |g2|) / |g1 - g2|.

* `zico` (the paper's setting): two separate labelled batches. Batch 1 is the context
  batch, whose gradients come from the shared pass A; batch 2 is `ctx.second_batch`
  (a disjoint batch of the same size: `harness run` draws it from the same source), one
  more CE forward/backward on the same initial weights. Without a second batch the
  engine records an error rather than silently changing the statistic.
* `zico_halves`: one batch split deterministically into its first ceil(B/2) samples and
  the rest, each with its own CE pass (pass A cannot be reused: its gradient is that of
  the whole batch). For a caller with a single batch; it halves the batch size.

Gradients are zeroed between batches (the MeCo port forgot, making g2 = g1 + g2).
"""

from __future__ import annotations

import math

import torch

from harness.proxies.base import ProxyContext, register_proxy
from harness.proxies.passes import (
    batch_for,
    cross_entropy_weight_grads,
    labels_for,
    loss_grad_pass,
    private_copy,
)


def zico_from_gradients(per_batch: list[list[torch.Tensor]]) -> float:
    """ZiCo from per-batch lists of per-layer gradients (same layers in the same order)."""
    if len(per_batch) < 2:
        raise ValueError("ZiCo needs the gradients of at least two batches")
    total = 0.0
    for layer_grads in zip(*per_batch, strict=True):
        stacked = torch.stack([g.detach().to(torch.float64).reshape(-1) for g in layer_grads])
        std = stacked.std(dim=0, unbiased=False)
        varying = std != 0
        ratio_sum = float((stacked.abs().mean(dim=0)[varying] / std[varying]).sum())
        if ratio_sum != 0:
            total += math.log(ratio_sum)
    return total


def _two_batch_gradients(ctx: ProxyContext) -> list[list[torch.Tensor]]:
    images, labels = ctx.second_batch
    first = [layer.grad for layer in loss_grad_pass(ctx).layers]
    net = private_copy(ctx)
    return [
        first,
        cross_entropy_weight_grads(net, batch_for(net, ctx, images), labels_for(ctx, labels)),
    ]


def _half_batch_gradients(ctx: ProxyContext) -> list[list[torch.Tensor]]:
    net = private_copy(ctx)
    images, labels = batch_for(net, ctx), labels_for(ctx)
    if images.shape[0] < 2:
        raise ValueError("ZiCo needs at least 2 samples to split the batch in two halves")
    half = (images.shape[0] + 1) // 2
    return [
        cross_entropy_weight_grads(net, images[:half], labels[:half]),
        cross_entropy_weight_grads(net, images[half:], labels[half:]),
    ]


@register_proxy(
    name="zico",
    version="2",
    needs=("data", "labels", "loss_grads", "own_pass", "second_batch"),
    description="ZiCo: sum over layers of log sum mean|g|/std(g) across two separate batches.",
)
def zico(ctx: ProxyContext) -> float:
    return zico_from_gradients(_two_batch_gradients(ctx))


@register_proxy(
    name="zico_halves",
    version="1",
    needs=("data", "labels", "own_pass"),
    description="ZiCo on the two halves of one batch (for callers with a single batch).",
)
def zico_halves(ctx: ProxyContext) -> float:
    return zico_from_gradients(_half_batch_gradients(ctx))
