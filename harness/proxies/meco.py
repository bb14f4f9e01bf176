"""MeCo (Jiang et al., NeurIPS 2023): minimum eigenvalue of channel correlation.

Forward hooks on *every* module (leaves, containers and the root, so an output passed
through a container is counted once per enclosing module, as in the reference
`correlation/NAS_Bench_201.py`); one train-mode forward of a single real image. For each
4-D output, take sample 0, reshape to (C, H*W), compute the C x C Pearson correlation
between channels, replace NaN/inf entries by 0 and take the smallest eigenvalue
(`eigvalsh`; the reference's `linalg.eig` can return complex values). The score is the
sum over hooked calls, leaving out NaN/inf results. Higher is better.

Differences from the reference, all deliberate: outputs that are not 4-D tensors are
skipped (in the reference a 2-D output, e.g. the logits, gives a zero matrix and adds 0,
and a tuple output, e.g. xautodl's (features, logits), adds an artefact of 1); the
correlation is computed in float64 rather than float32. A 1 x 1 spatial output has no
variance, so its matrix is all zeros and it adds 0, as in the reference.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from harness.proxies.base import ProxyContext, register_proxy


def channel_correlation_min_eigenvalue(feature: torch.Tensor) -> float:
    """lambda_min of the channel x channel Pearson correlation of one (C, H, W) map."""
    rows = feature.detach().reshape(feature.shape[0], -1).double()
    centred = rows - rows.mean(dim=1, keepdim=True)
    norms = centred.norm(dim=1, keepdim=True)
    unit = centred / norms  # NaN (0/0) for a constant channel, zeroed below
    correlation = unit @ unit.T
    correlation = torch.where(torch.isfinite(correlation), correlation, 0.0)
    return float(torch.linalg.eigvalsh(correlation)[0])


def meco_score(ctx: ProxyContext, *, images: int = 1) -> float:
    """Sum of per-module lambda_min over one forward of `ctx.images[:images]`."""
    if ctx.images is None:
        raise ValueError("meco needs a real image batch (ctx.images is None)")
    net = ctx.fresh_network().to(ctx.device)
    net.train()
    values: list[float] = []

    def hook(_module: nn.Module, _inputs: tuple, output: object) -> None:
        # computed inside the hook: a later in-place op (ReLU(inplace=True)) must not
        # change what this module produced
        if isinstance(output, torch.Tensor) and output.dim() == 4:
            values.append(channel_correlation_min_eigenvalue(output[0]))

    handles = [module.register_forward_hook(hook) for module in net.modules()]
    try:
        with torch.no_grad():
            net(ctx.images[:images].to(ctx.device))
    finally:
        for handle in handles:
            handle.remove()
    return float(sum(v for v in values if math.isfinite(v)))


@register_proxy(
    name="meco",
    version="1",
    needs=("data", "own_pass"),
    higher_is_better=True,
    description="MeCo: sum over modules of the min eigenvalue of channel correlation, 1 image",
)
def meco(ctx: ProxyContext) -> float:
    """MeCo on the first image of the batch; see the module docstring."""
    return meco_score(ctx)
