"""TE-NAS (Chen et al., ICLR 2021): NTK condition number, linear regions, and their rank sum.

**ntk_cond** (`VITA-Group/TENAS@9df78ff`, `lib/procedures/ntk.py` `get_ntk_n`, on the
network `prune_tenas.py` builds). TE-NAS computes the NTK on its own small network, not
the benchmark's: for NAS-Bench-201 `model_config` is C = 3, N = 1 (stem on, all layers),
for DARTS C = 1, N = 1, depth 2, stem multiplier 1. `ntk_cond` asks the space's builder
for that geometry by name (preset `tenas_ntk`, freshly initialised from a seed derived
from the context's seed and "ntk_cond"; same variant, i.e. BN convention, as the scored
network); a space without the preset (NB101: TE-NAS defines no network for it) records
an error. `ntk_cond_full` is the same statistic on the benchmark's own network (the
context network), about 10x the cost on NB201; no published figure uses it.

One train-mode forward of the real batch; for each sample i, the gradient of the sum of
*its* logits with respect to every parameter whose name contains "weight" (conv, linear
and affine-BN gamma), taken through that batch forward, so train-mode BN couples the
samples exactly as in the reference (this is not the same as vmapping single-sample
forwards). Theta = G G^T (B x B, float64; the reference uses float32, which moves kappa by
up to 4e-4 relative), kappa = lambda_max / lambda_min from `torch.linalg.eigvalsh`.

Degenerate networks are failures, not numbers: when lambda_max <= 0, the matrix is not
finite, or Theta is numerically singular (lambda_min <= B * float64-eps * lambda_max: no
input dependence reaches the logits, e.g. an NB201 cell with no input -> output path,
whose Theta is rounding noise), kappa is NaN, recorded with status "nan" and handled by
the correlation's failure policy. TE-NAS maps a NaN kappa to 1e5 and, on such a cell, can
return a negative float32 kappa (ranked best); neither is reproduced.

The paper uses one batch of 32 repeated 3 times with fresh Kaiming init; its launcher's
init string matches no branch, so the released code keeps PyTorch's default init. We use
the first 32 images of the engine's batch, once (repeat over seeds instead). The cost
is B backwards through a batch of B; on CUDA the backwards are vmapped
(`method="batched"`); on a CPU a plain loop was faster.

**linear_regions** (`VITA-Group/TENAS@9df78ff`, `lib/procedures/linear_region_counter.py`
Linear_Region_Collector, `prune_tenas.py`). A thin
network of the same cell: C = 1, N = 1, no stem, and only the first cell (the
reference's `depth=1`), followed by the final BN + ReLU. Its inputs are 1 x 3 x 3 patches:
random crops of one random channel of the real images (the reference's RandomCrop +
RandChannel; the reference crops a fresh train image per sample, we draw the images with
replacement from `ctx.images`, using `ctx.generator`). Batches of 1000 go
through the net in train mode; the sign of every ReLU output (ReLUs with 4-D input) is
concatenated per sample and the count of distinct rows over all batches is the number of
linear regions (the reference's fp16 sum of 1 / multiplicity computes that count). The
reference uses 3 batches of 1000 (the paper says 5000 samples) and repeats 3 times; its
re-init is a no-op for the same init-string reason, so its repeats differ only in data.
Defaults here: 3 x 1000 samples, 3 repeats, each repeat a freshly initialised thin net
(the builder's preset `tenas_thin`) and fresh patches, mean count (a few hundredths of a
second per NB201 cell on a CPU).
Higher is better; R <= number of samples, and it comes close to that bound (2,817 of
3,000 for one NB201 cell we tried). Spaces whose builder has no `tenas_thin` preset (DARTS:
its reduction cells cannot halve a 3 x 3 input; NB101) record an error for this proxy.

**tenas** (set-level). Within the scored set, rank kappa ascending and R descending with
dense ranks (ties share a rank, as the reference's sorted loop does) and add the ranks;
lower is better. The paper ranks the *change* caused by pruning an operator from a
supernet; per architecture the rank sum depends on which architectures are in the set.
Entries with a non-finite kappa or R get NaN and are left out of the ranking.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import torch
from scipy.stats import rankdata
from torch import nn

from harness.proxies.base import ProxyContext, register_proxy
from harness.proxies.swap import ReluCodes, count_unique_rows

GradientMethod = Literal["auto", "batched", "loop"]

#: Network presets (see `harness.spaces.networks`) of TE-NAS's NTK and linear-region nets.
NTK_PRESET = "tenas_ntk"
THIN_PRESET = "tenas_thin"
#: The paper's NTK batch (appendix A); the cost grows as batch^2 (batch backwards of a batch).
NTK_BATCH_SIZE = 32
LR_PATCH_SIZE = 3
LR_BATCH_SIZE = 1000
LR_BATCHES = 3
LR_REPEATS = 3
#: Why the TE-NAS proxies record failures (harness check): see the module docstring.
_SINGULAR_NTK = (
    "no input dependence reaches the logits: Theta is rounding noise, numerically singular, "
    "kappa NaN"
)
_POOLING_NTK = (
    "cells of pooling only can leave TE-NAS's one-channel NTK network with a numerically "
    "singular Theta (DARTS all max_pool_3x3): kappa NaN"
)
_NO_NTK_NET = "TE-NAS defines no NTK network for NAS-Bench-101 (no tenas_ntk preset)"
_NO_THIN_DARTS = "no tenas_thin preset for DARTS: its reduction cells cannot halve a 3 x 3 input"
_NO_THIN_NB101 = "TE-NAS defines no thin network for NAS-Bench-101 (no tenas_thin preset)"


# --------------------------------------------------------------------------- NTK


def _weight_parameters(net: nn.Module) -> list[torch.Tensor]:
    return [p for name, p in net.named_parameters() if "weight" in name and p.requires_grad]


def per_sample_weight_gram(
    net: nn.Module, images: torch.Tensor, *, method: GradientMethod = "auto", chunk: int = 16
) -> torch.Tensor:
    """Theta = G G^T, G[i] = d(sum of sample i's logits)/d(weights) through one batch forward.

    `method="batched"` vmaps the backward over one-hot output cotangents
    (`torch.autograd.grad(..., is_grads_batched=True)`, `chunk` samples at a time);
    `"loop"` runs one retained-graph backward per sample, which is faster on a CPU;
    `"auto"` picks batched on CUDA and the loop elsewhere. Both give the same Theta.
    """
    params = _weight_parameters(net)
    logits = net(images)
    if isinstance(logits, tuple):  # xautodl-style (features, logits)
        logits = logits[1]
    batch = logits.shape[0]
    if method == "auto":
        method = "batched" if logits.device.type == "cuda" else "loop"
    rows: list[torch.Tensor] = []
    if method == "batched":
        for start in range(0, batch, chunk):
            stop = min(start + chunk, batch)
            cotangents = logits.new_zeros((stop - start, *logits.shape))
            cotangents[torch.arange(stop - start), torch.arange(start, stop)] = 1.0
            grads = torch.autograd.grad(
                logits,
                params,
                grad_outputs=cotangents,
                retain_graph=True,
                allow_unused=True,
                is_grads_batched=True,
            )
            rows.append(_flatten(grads, stop - start, logits.device))
    elif method == "loop":
        for i in range(batch):
            grads = torch.autograd.grad(
                logits[i].sum(), params, retain_graph=True, allow_unused=True
            )
            rows.append(
                _flatten([None if g is None else g.unsqueeze(0) for g in grads], 1, logits.device)
            )
    else:
        raise ValueError(f"method must be 'auto', 'batched' or 'loop', got {method!r}")
    return _gram(torch.cat(rows, dim=0))


def _flatten(grads, n: int, device: torch.device) -> torch.Tensor:
    parts = [g.reshape(n, -1) for g in grads if g is not None]
    if not parts:
        return torch.zeros((n, 0), device=device)
    return torch.cat(parts, dim=1)


def _gram(gradients: torch.Tensor, block: int = 1 << 18) -> torch.Tensor:
    """G G^T in float64, casting `block` columns at a time to bound memory."""
    batch = gradients.shape[0]
    theta = torch.zeros((batch, batch), dtype=torch.float64, device=gradients.device)
    for start in range(0, gradients.shape[1], block):
        part = gradients[:, start : start + block].double()
        theta += part @ part.T
    return theta


def condition_number(theta: torch.Tensor) -> float:
    """lambda_max / lambda_min of a symmetric PSD matrix; NaN when it is degenerate
    (not finite, lambda_max <= 0, or numerically singular: see the module docstring)."""
    theta = theta.double()
    if not bool(torch.isfinite(theta).all()):
        return float("nan")
    eigenvalues = torch.linalg.eigvalsh(theta)
    largest, smallest = float(eigenvalues[-1]), float(eigenvalues[0])
    singular = smallest <= theta.shape[0] * torch.finfo(torch.float64).eps * largest
    if not largest > 0 or singular:
        return float("nan")
    return largest / smallest


def ntk_condition_number(
    ctx: ProxyContext,
    *,
    network: nn.Module | None = None,
    batch_size: int | None = NTK_BATCH_SIZE,
    method: GradientMethod = "auto",
) -> float:
    """kappa of the empirical NTK on the first `batch_size` images of `ctx.images` (all of
    them if None), in train mode, of `network` (default: a copy of the context network)."""
    if ctx.images is None:
        raise ValueError("ntk_cond needs a real image batch (ctx.images is None)")
    net = (ctx.fresh_network() if network is None else network).to(ctx.device)
    net.train()
    images = ctx.images if batch_size is None else ctx.images[:batch_size]
    theta = per_sample_weight_gram(net, images.to(ctx.device), method=method)
    return condition_number(theta)


@register_proxy(
    name="ntk_cond",
    version="2",
    fails_on={"no_path": _SINGULAR_NTK, "parameter_free": _POOLING_NTK, "space:nb101": _NO_NTK_NET},
    needs=("data", "network_variant", "own_pass"),
    higher_is_better=False,
    description="TE-NAS NTK condition number on TE-NAS's own small network (C=3, N=1 on NB201)",
)
def ntk_cond(ctx: ProxyContext) -> float:
    """kappa_N of TE-NAS on its NTK network (lower is better); see the module docstring."""
    return ntk_condition_number(ctx, network=ctx.variant("ntk_cond", preset=NTK_PRESET))


@register_proxy(
    name="ntk_cond_full",
    version="1",
    fails_on={"no_path": _SINGULAR_NTK},
    needs=("data", "own_pass"),
    higher_is_better=False,
    description="TE-NAS NTK condition number on the benchmark's own (full) network",
)
def ntk_cond_full(ctx: ProxyContext) -> float:
    """kappa_N on the context network; see the module docstring."""
    return ntk_condition_number(ctx)


# --------------------------------------------------------------------------- linear regions


def random_patches(
    images: torch.Tensor, count: int, size: int, generator: torch.Generator
) -> torch.Tensor:
    """`count` patches (count, 1, size, size): a random image, one random channel, random crop."""
    n_images, channels, height, width = images.shape
    if height < size or width < size:
        raise ValueError(f"images of {height}x{width} are smaller than the {size}x{size} patch")
    index = torch.randint(n_images, (count,), generator=generator)
    channel = torch.randint(channels, (count,), generator=generator)
    top = torch.randint(height - size + 1, (count,), generator=generator)
    left = torch.randint(width - size + 1, (count,), generator=generator)
    offsets = torch.arange(size)
    rows = (top[:, None] + offsets)[:, :, None]  # (count, size, 1)
    cols = (left[:, None] + offsets)[:, None, :]  # (count, 1, size)
    source = images.detach().cpu()
    patches = source[index[:, None, None], channel[:, None, None], rows, cols]
    return patches.unsqueeze(1).contiguous()


def count_linear_regions(net: nn.Module, batches: list[torch.Tensor]) -> int:
    """Distinct ReLU sign patterns over all samples, each batch forwarded in train mode."""
    net.train()
    recorder = ReluCodes(net)
    try:
        codes = []
        for batch in batches:
            with torch.no_grad():
                net(batch)
            codes.append(recorder.take(batch.shape[0]))
    finally:
        recorder.remove()
    return count_unique_rows(np.concatenate(codes, axis=0))


def linear_region_count(
    ctx: ProxyContext,
    *,
    batch_size: int = LR_BATCH_SIZE,
    batches: int = LR_BATCHES,
    repeats: int = LR_REPEATS,
    patch_size: int = LR_PATCH_SIZE,
    thin_options: Mapping[str, Any] | None = None,
) -> float:
    """Mean number of linear regions of the thin network over `repeats` (see module doc)."""
    if ctx.images is None:
        raise ValueError("linear_regions needs a real image batch (ctx.images is None)")
    options = {"preset": THIN_PRESET} if thin_options is None else dict(thin_options)
    generator = ctx.generator("linear_regions/patches")
    counts = []
    for repeat in range(repeats):
        net = ctx.variant(f"linear_regions/{repeat}", **options)
        inputs = [
            random_patches(ctx.images, batch_size, patch_size, generator).to(ctx.device)
            for _ in range(batches)
        ]
        counts.append(count_linear_regions(net, inputs))
    return float(np.mean(counts))


@register_proxy(
    name="linear_regions",
    version="1",
    fails_on={"space:darts": _NO_THIN_DARTS, "space:nb101": _NO_THIN_NB101},
    needs=("data", "network_variant", "own_pass"),
    higher_is_better=True,
    description="TE-NAS number of linear regions of the thin net on 3x3 single-channel patches",
)
def linear_regions(ctx: ProxyContext) -> float:
    """R_N of TE-NAS, 3 x 1000 patches, 3 repeats; see the module docstring."""
    return linear_region_count(ctx)


# --------------------------------------------------------------------------- rank combination


def tenas_rank_sum(scores: Mapping[str, Any]) -> np.ndarray:
    """Dense rank of kappa (ascending) plus dense rank of R (descending), 0-based; NaN if
    either is non-finite. Lower is better."""
    kappa = np.asarray(scores["ntk_cond"], dtype=float)
    regions = np.asarray(scores["linear_regions"], dtype=float)
    if kappa.shape != regions.shape or kappa.ndim != 1:
        raise ValueError(
            f"ntk_cond and linear_regions must be 1-D arrays of one length, got "
            f"{kappa.shape} and {regions.shape}"
        )
    valid = np.isfinite(kappa) & np.isfinite(regions)
    total = np.full(kappa.shape, np.nan)
    if valid.any():
        kappa_rank = rankdata(kappa[valid], method="dense") - 1
        regions_rank = rankdata(-regions[valid], method="dense") - 1
        total[valid] = kappa_rank + regions_rank
    return total


@register_proxy(
    name="tenas",
    version="1",
    needs=("score_set",),
    higher_is_better=False,
    description="TE-NAS: rank(kappa ascending) + rank(regions descending) within the scored set",
    combines=("ntk_cond", "linear_regions"),
    combine=tenas_rank_sum,
)
def tenas(ctx: ProxyContext) -> float:
    """Set-level only: the engine must call `combine` on the set's ntk_cond/linear_regions."""
    raise RuntimeError(
        "tenas is a set-level proxy: it ranks ntk_cond and linear_regions over the whole "
        "scored set (ProxySpec.combine), so it cannot be computed for one architecture"
    )
