"""MeCo (Jiang et al., NeurIPS 2023): minimum eigenvalue of channel correlation.

Reference: `HamsterMimi/MeCo@0d830dd`, `correlation/NAS_Bench_201.py` get_score. Forward
hooks on *every* module of the network it is given (leaves, containers and the root, so
an output passed through a container is counted once per enclosing module); one
train-mode forward of a single real image. Run on our networks, the reference code gives
our score (to float32 precision: it computes the correlation and `linalg.eig` in float32,
which moves small scores by up to 4e-3 relative).

Which network: MeCo's published NB201 figures (NeurIPS'23 Tables 1-2) were computed on
foresight's `NAS201Model`, whose module tree has wrapper modules ours has not (around the
stem, the cell stack and the pooling), each adding one lambda_min term. The sum therefore
depends on how a network is split into modules, not only on what it computes: our `meco`
is MeCo's rule applied to the harness's NB201 network, so its figures are comparable with
MeCo's but not expected to equal them. For each
4-D output, take sample 0, reshape to (C, H*W), compute the C x C Pearson correlation
between channels, replace NaN/inf entries by 0 and take the smallest eigenvalue
(`eigvalsh`; the reference's `linalg.eig` can return complex values). The score is the
sum over hooked calls, leaving out NaN/inf results. Higher is better.

Differences from the reference's code, all deliberate: outputs that are not 4-D tensors are
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
