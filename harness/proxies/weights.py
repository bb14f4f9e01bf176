"""Data-free size proxies: l2_norm, params, flops.

They read the initial weights or the architecture only, never a batch. References:
l2_norm is `automl/NASLib@0b51bc1` `pruners.measures.l2_norm.get_l2_norm_array` (summed);
params and flops are NASLib's `predictive.find_measures('params'/'flops')` ->
`get_model_stats` (counts, not millions; `flops_xautodl` is NAS-Bench-201's own counter,
with no reference implementation run here, tested against the API's published values).
params and flops use the shared counters of `harness.proxies.complexity`
(imported on use, so that this module never fails to register).
"""

from __future__ import annotations

import torch

from harness.proxies.base import ProxyContext, register_proxy
from harness.proxies.complexity import count_flops, count_params
from harness.proxies.passes import measured_layers, sum_of_elements


@register_proxy(
    name="l2_norm",
    version="1",
    permutation_invariant=True,
    description="Sum over conv/linear layers of the Frobenius norm of the initial weights.",
)
def l2_norm(ctx: ProxyContext) -> float:
    with torch.no_grad():
        return sum_of_elements([m.weight.norm() for _, m in measured_layers(ctx.network)])


@register_proxy(
    name="params",
    version="1",
    permutation_invariant=True,
    description="Number of trainable parameters.",
)
def params(ctx: ProxyContext) -> float:
    return float(count_params(ctx.network))


@register_proxy(
    name="flops",
    version="1",
    permutation_invariant=True,
    description="FLOPs per example at the input size (NAS-Bench-Suite-Zero's counting).",
)
def flops(ctx: ProxyContext) -> float:
    return float(count_flops(ctx.fresh_network().to(ctx.device), ctx.sample_shape()))


@register_proxy(
    name="flops_xautodl",
    version="1",
    permutation_invariant=True,
    description="FLOPs per example as NAS-Bench-201's API counts them (conv/linear MACs).",
)
def flops_xautodl(ctx: ProxyContext) -> float:
    net = ctx.fresh_network().to(ctx.device)
    return float(count_flops(net, ctx.sample_shape(), convention="xautodl"))
