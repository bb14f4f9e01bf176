"""AZ-NAS (Lee & Ham, CVPR 2024): expressivity, progressivity, trainability, complexity,
and their non-linear rank aggregate.

Reference: `cvlab-yonsei/AZ-NAS@5e6683a`, `NB201/ZeroShotProxy/compute_az_nas_score.py`
`compute_nas_score` on the features of `NB201/custom/tss_model.py`
`TinyNetwork.extract_cell_features`; the aggregate is `NB201/tss_general.ipynb`'s
`az_nas` branch (VKDNW's repository, `ondratybl/VKDNW@6901b65`, carries the same file).

One pass on a private copy re-initialised as the reference does (`harness.proxies.kaiming`,
purpose "az_nas"), in train mode, on the context batch, shared by the four components
(cached in `ctx.cache`):

- features f_0 .. f_L: the stem's output, then every cell's (NB201: the 15 cells and the
  two basic blocks; DARTS: every cell; NB101: every layer of its `layers` list after the
  stem, i.e. cells and max-pools);
- **az_expressivity**: for each f_i (B x C x H x W read as BHW samples of C channels), the
  entropy -sum p log(p + 1e-8) of the eigenvalues p of its channel covariance (centred,
  divided by BHW), normalised to sum 1; the sum over i;
- **az_progressivity**: the least increase min_i (e_{i+1} - e_i) of those entropies;
- **az_trainability**: for i = L .. 1, a Rademacher cotangent g_out (shape of f_i, drawn
  in that order from the same generator, after the weights) pulled back to f_{i-1}:
  g_in = (d f_i / d f_{i-1})^T g_out, pixel-unshuffled to g_out's resolution when f_i is
  strided; M = g_in^T g_out / (B H W) (C_in x C_out); s = its largest singular value;
  the term is -s - 1 / (s + 1e-6) + 2 (0 at s = 1, negative elsewhere), and -inf when
  g_in equals g_out (an identity layer); the mean over i;
- **az_complexity**: FLOPs as NAS-Bench-201's API gives them (the reference reads them
  from the API): xautodl's counter, `flops_xautodl`. Data-free.

NaN components are failures (the reference maps them to -inf); -inf trainability is a
failure record too (status "nan") whose -inf the aggregates rank lowest, as the reference.

**az_nas** (set-level): sum over the four components of log(rank / n) within the set
(scipy `rankdata`, ties averaged; higher is better). AZ-NAS's NB201 notebook feeds the
three data-dependent components Gaussian noise (`torch.randn`); the harness uses the
context batch, as for every other proxy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from harness.proxies.base import ProxyContext, register_proxy, set_level_only
from harness.proxies.complexity import count_flops
from harness.proxies.kaiming import kaiming_fanin_
from harness.proxies.passes import batch_for
from harness.proxies.vkdnw import log_rank_sum

CACHE_KEY = "az_nas/pass"
#: Why expressivity and progressivity fail where no input reaches the output (harness check).
_ZERO_FEATURES = (
    "a cell whose output is always zero has a zero feature covariance: the eigenvalue shares "
    "are 0/0 and the entropy NaN (AZ-NAS maps it to -inf)"
)


@dataclass(frozen=True)
class AZScores:
    expressivity: float
    progressivity: float
    trainability: float


def feature_modules(net: nn.Module) -> list[nn.Module]:
    """The modules whose outputs are AZ-NAS's features: the stem, then each cell."""
    if hasattr(net, "stem") and hasattr(net, "cells") and net.stem is not None:
        return [net.stem, *net.cells]
    layers = getattr(net, "layers", None)
    if isinstance(layers, nn.ModuleList) and len(layers) > 1:  # NB101: stem conv, cells, pools
        return list(layers)
    raise ValueError(f"{type(net).__name__} exposes no stem and cell list for AZ-NAS features")


def cell_features(net: nn.Module, images: torch.Tensor) -> list[torch.Tensor]:
    """The outputs of `feature_modules(net)` in one forward (graph kept)."""
    features: list[torch.Tensor] = []

    def record(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
        features.append(output)

    handles = [m.register_forward_hook(record) for m in feature_modules(net)]
    try:
        net(images)
    finally:
        for handle in handles:
            handle.remove()
    return features


def spectral_entropy(feature: torch.Tensor) -> float:
    """Entropy of the normalised eigenvalues of the channel covariance of one feature map."""
    b, c, h, w = feature.shape
    samples = feature.detach().double().permute(0, 2, 3, 1).reshape(b * h * w, c)
    samples = samples - samples.mean(dim=0, keepdim=True)
    covariance = samples.T @ samples / samples.shape[0]
    eigenvalues = torch.linalg.eigvalsh(covariance)
    share = eigenvalues / eigenvalues.sum()
    return float(-(share * torch.log(share + 1e-8)).sum())


def trainability_terms(features: list[torch.Tensor], generator: torch.Generator) -> list[float]:
    """One term per consecutive pair, last pair first (see the module docstring)."""
    terms = []
    for i in reversed(range(1, len(features))):
        f_out, f_in = features[i], features[i - 1]
        g_out = (torch.bernoulli(torch.full_like(f_out, 0.5), generator=generator) - 0.5) * 2
        (g_in,) = torch.autograd.grad(f_out, f_in, grad_outputs=g_out, retain_graph=True)
        if g_in.shape == g_out.shape and bool(torch.equal(g_in, g_out)):
            terms.append(-np.inf)
            continue
        if g_in.shape[2:] != g_out.shape[2:]:
            g_in = nn.functional.pixel_unshuffle(g_in, g_in.shape[2] // g_out.shape[2])
        rows_out = g_out.double().permute(0, 2, 3, 1).reshape(-1, g_out.shape[1])
        rows_in = g_in.double().permute(0, 2, 3, 1).reshape(-1, g_in.shape[1])
        largest = float(torch.linalg.matrix_norm(rows_in.T @ rows_out / rows_out.shape[0], 2))
        terms.append(-largest - 1 / (largest + 1e-6) + 2)
    return terms


def az_pass(ctx: ProxyContext) -> AZScores:
    """The three data-dependent components, computed once per context."""
    cached = ctx.cache.get(CACHE_KEY)
    if cached is not None:
        return cached
    generator = ctx.generator("az_nas")
    net = kaiming_fanin_(ctx.fresh_network().to(ctx.device), generator).train()
    features = cell_features(net, batch_for(net, ctx))
    if len(features) < 2:
        raise ValueError("AZ-NAS needs at least two feature maps (a stem and a cell)")
    entropies = np.array([spectral_entropy(f) for f in features])
    scores = AZScores(
        expressivity=float(np.sum(entropies)),
        progressivity=float(np.min(entropies[1:] - entropies[:-1])),
        trainability=float(np.mean(trainability_terms(features, generator))),
    )
    ctx.cache[CACHE_KEY] = scores
    return scores


@register_proxy(
    name="az_expressivity",
    version="1",
    needs=("data", "own_pass"),
    fails_on={"no_path": _ZERO_FEATURES},
    permutation_invariant=True,
    description="AZ-NAS expressivity: summed spectral entropy of the cells' feature covariances",
)
def az_expressivity(ctx: ProxyContext) -> float:
    return az_pass(ctx).expressivity


@register_proxy(
    name="az_progressivity",
    version="1",
    needs=("data", "own_pass"),
    fails_on={"no_path": _ZERO_FEATURES},
    permutation_invariant=True,
    description="AZ-NAS progressivity: least increase of spectral entropy from cell to cell",
)
def az_progressivity(ctx: ProxyContext) -> float:
    return az_pass(ctx).progressivity


@register_proxy(
    name="az_trainability",
    version="1",
    needs=("data", "own_pass"),
    description="AZ-NAS trainability: mean -s - 1/s + 2 of cell-to-cell Jacobian spectral norms",
)
def az_trainability(ctx: ProxyContext) -> float:
    return az_pass(ctx).trainability


@register_proxy(
    name="az_complexity",
    version="1",
    description="AZ-NAS complexity: FLOPs by NAS-Bench-201's own counter (= flops_xautodl)",
)
def az_complexity(ctx: ProxyContext) -> float:
    net = ctx.fresh_network().to(ctx.device)
    return float(count_flops(net, ctx.sample_shape(), convention="xautodl"))


AZ_PARTS = ("az_complexity", "az_expressivity", "az_progressivity", "az_trainability")


def az_aggregate(scores) -> np.ndarray:
    """AZ-NAS over the set: sum of log(rank / n) of `AZ_PARTS`."""
    return log_rank_sum(scores, AZ_PARTS)


register_proxy(
    name="az_nas",
    version="1",
    needs=("score_set",),
    description="AZ-NAS: sum of log(rank/n) of its four components within the scored set",
    combines=AZ_PARTS,
    combine=az_aggregate,
)(set_level_only("az_nas"))
