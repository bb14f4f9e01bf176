"""ZiCo (Li et al. ICLR 2023): inverse coefficient of variation of gradients over batches.

For every conv/linear layer, with g_b the mean cross-entropy gradient of batch b:
S_l = sum over weights with std != 0 of mean_b |g_b| / std_b(g_b) (population std,
ddof 0, computed in float64); ZiCo = sum over layers of log S_l, skipping S_l = 0.

Which two batches (the paper uses two; with two the ratio is
(|g1| + |g2|) / |g1 - g2|):

* If the context carries a second labelled batch in
  `ctx.cache["second_batch"]` = (images, labels), batch 1 is the context batch,
  whose gradients come from the shared pass A, and batch 2 is one more CE
  forward/backward on the same initial weights. This is the paper's setting.
* Otherwise the context batch is split deterministically into its first and
  second halves (first ceil(B/2) samples, then the rest), each with its own CE
  pass. Pass A cannot be reused then: its gradient is that of the whole batch.

Gradients are zeroed between batches (the MeCo port forgot, making g2 = g1 + g2).
"""

from __future__ import annotations

import math

import torch

from harness.proxies.base import ProxyContext, register_proxy
from harness.proxies.passes import (
    SECOND_BATCH_KEY,
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


def _batch_gradients(ctx: ProxyContext) -> list[list[torch.Tensor]]:
    second = ctx.cache.get(SECOND_BATCH_KEY)
    net = private_copy(ctx)
    if second is not None:
        images, labels = second
        first = [layer.grad for layer in loss_grad_pass(ctx).layers]
        return [
            first,
            cross_entropy_weight_grads(net, batch_for(net, ctx, images), labels_for(ctx, labels)),
        ]
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
    version="1",
    needs=("data", "labels", "loss_grads", "own_pass"),
    description="ZiCo: sum over layers of log sum mean|g|/std(g) across two batches.",
)
def zico(ctx: ProxyContext) -> float:
    return zico_from_gradients(_batch_gradients(ctx))
