"""VKDNW (Týbl & Neumann, CVPR 2025): entropy of the Fisher spectrum, its dimension term,
its rank aggregate, and the layer-count baseline of its table 1.

Reference: `ondratybl/VKDNW@6901b65`, `NB201/ZeroShotProxy/compute_vkdnw_score.py`
`compute_nas_score` (with `get_fisher`, `get_jacobian_index`, `cholesky_covariance`).

**vkdnw** (`vkdnw_entropy` there). On a private copy re-initialised as the reference does
(`harness.proxies.kaiming`, purpose "vkdnw"), in eval mode:

1. Parameters: the first `TENSORS` = 128 parameter tensors in `named_parameters()` order
   (the reference's `params_grad_len`, its default), and of each tensor `ELEMENTS` = 1
   element, the flat indices `linspace(0, numel - 1, ELEMENTS)` (the reference's `p`), so
   element 0. The NB201 notebook behind the paper's table is not in the repository; the
   NB201 function's own default `p=0` selects no element at all (an empty matrix), so the
   settings are read from the repository's MobileNetV2 search (`evolution_search_vkdnw.py`
   with `ImageNet_MBV2/ZeroShotProxy/compute_vkdnw_score.py`): 128 tensors, one element
   each. There the 128 tensors are a seeded random sample; the NB201 function takes the
   first 128, which is what the harness does. Empty tensors and tensors that do not
   require grad are skipped (NB101's placeholders; NB201 and DARTS have none).
2. J_b (C x P): the Jacobian of sample b's logits with respect to those P elements, each
   sample forwarded alone (`vmap` over samples of `jacrev`, as the reference; with
   eval-mode BN this equals the batch forward where BN keeps running statistics, and is
   per-sample statistics where it does not (`proxy_bn`), as in the reference).
3. L_b: the lower-triangular factor of Sigma_b = diag(q_b) - q_b q_b^T, q_b the softmax of
   the eval-mode batch logits smoothed as q = (1 - alpha) softmax + alpha / C with
   alpha = 0.05 rounded to float16 as the reference stores it (0.0500488...). Sigma_b
   has rank C - 1: L_b is the Cholesky factor of its leading (C - 1) block, the last row
   solved from it, and a zero last pivot (the unique such factor).
4. F = mean_b (L_b J_b)^T (L_b J_b) (P x P, float64). This is the reference's product
   `matmul(L, J)`, i.e. J^T L^T L J: not J^T Sigma J = J^T L L^T J (kept, as defined).
5. lambda: the singular values of F (eigenvalues of a PSD matrix; float64 `eigvalsh`,
   absolute values); the 9 quantiles at 0.1 .. 0.9 (linear interpolation); t = quantiles
   / (sum + 1e-10); vkdnw = -sum t log(t + 1e-10). Higher is better.

The reference computes F and its SVD in float32, so its smallest eigenvalues (and so the
lower quantiles) carry float32 noise of about 1e-7 lambda_max; the harness's float64
values differ from it by up to a few per cent on some cells (docs/conformance.md).

**vkdnw_dim**: `len(list(net.named_parameters()))`, the reference's `vkdnw_dim`, i.e. the
number of parameter tensors (not elements). Data-free.

**layers**: VKDNW's table 1 "number of trainable layers": the Conv2d and Linear modules
whose weight requires grad (BatchNorm is not counted as a layer). VKDNW's own code counts
parameter tensors (`vkdnw_dim`); on NB201 both are the same affine function of the number
of convolution ops in the cell (3 tensors per conv op as trained, 2 in `proxy_bn`), so the
two rank NB201 cells identically; they differ on DARTS and NB101. Data-free.

**vkdnw_single**: VKDNW's single-network ranking (the paper's eq. 12, "VKDNW_single" in
its table 1): `layers` + `vkdnw`, the trainable-layer count plus the entropy. The entropy
of 9 normalised quantiles lies in [0, log 9] (about 2.2), while one more convolution op in
an NB201 cell adds 15 trainable layers (one per cell, 15 cells): on NB201 the sum orders
cells by layer count first and breaks the count's ties by the entropy. The repository has
no code for it (its NB201 notebook is not published), so the harness adds the two terms as
the equation writes them, with `layers` counted as above. Within one context the entropy
is computed once and shared with `vkdnw` (`shared_pass`), so scoring both costs one
entropy.

**vkdnw_agg** (set-level): the aggregate of the paper's search, read from
`ImageNet_MBV2/evolution_search_vkdnw.py`: over the scored set, the sum of
log(rank / n) of complexity (`az_complexity`: FLOPs), AZ-NAS's expressivity,
progressivity and trainability, and `vkdnw` (scipy `rankdata`, ties averaged, ascending:
higher is better). Entries where any component is NaN get NaN and are left out of the
ranking (n counts the others); -inf components (AZ-NAS's "no gradient change") rank
lowest, as in the reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from scipy.stats import rankdata
from torch import nn
from torch.func import functional_call, jacrev, vmap

from harness.proxies.base import ProxyContext, register_proxy, set_level_only
from harness.proxies.kaiming import kaiming_fanin_
from harness.proxies.passes import batch_for, shared_pass

#: The reference's `params_grad_len` (tensors) and `p` (elements per tensor); see above.
TENSORS = 128
ELEMENTS = 1
#: The reference's label-smoothing alpha, stored as float16 (`torch.tensor(0.05, float16)`).
ALPHA = float(torch.tensor(0.05, dtype=torch.float16))
#: `ctx.cache` key of the entropy shared by vkdnw and vkdnw_single.
ENTROPY_KEY = "vkdnw_entropy"
#: Samples per vmap chunk of the Jacobian (memory bound, not a result setting).
CHUNK = 16


def selected_elements(
    net: nn.Module, *, tensors: int = TENSORS, elements: int = ELEMENTS
) -> dict[str, torch.Tensor]:
    """{parameter name: flat indices} of the elements whose Fisher VKDNW takes."""
    chosen: dict[str, torch.Tensor] = {}
    for name, param in net.named_parameters():
        if len(chosen) == tensors:
            break
        if param.numel() == 0 or not param.requires_grad:
            continue
        chosen[name] = torch.linspace(0, param.numel() - 1, steps=elements).long()
    return chosen


def logit_jacobian(
    net: nn.Module, images: torch.Tensor, chosen: Mapping[str, torch.Tensor], chunk: int = CHUNK
) -> torch.Tensor:
    """(B, C, P): d logits of each sample (forwarded alone) / d the chosen elements."""
    params = {k: v.detach() for k, v in net.named_parameters()}
    buffers = {k: v.detach() for k, v in net.named_buffers()}
    names = list(chosen)
    values = tuple(params[k].reshape(-1)[chosen[k]] for k in names)

    def logits_of(selected: tuple[torch.Tensor, ...], sample: torch.Tensor) -> torch.Tensor:
        current = dict(params)
        for name, value in zip(names, selected, strict=True):
            base = params[name]
            flat = base.reshape(-1).index_put((chosen[name],), value)
            current[name] = flat.reshape(base.shape)
        out = functional_call(net, (current, buffers), (sample.unsqueeze(0),))
        return out.squeeze(0)

    jac = vmap(jacrev(logits_of), in_dims=(None, 0), chunk_size=chunk)(values, images)
    return torch.cat([j.reshape(j.shape[0], j.shape[1], -1) for j in jac], dim=2)


def smoothed_probabilities(logits: torch.Tensor, alpha: float = ALPHA) -> torch.Tensor:
    probs = torch.softmax(logits.double(), dim=1)
    return probs * (1 - alpha) + alpha / logits.shape[1]


def covariance_factor(probs: torch.Tensor) -> torch.Tensor:
    """(B, C, C) lower-triangular L with L L^T = diag(q) - q q^T (rank C - 1, last pivot 0)."""
    probs = probs.double()
    batch, classes = probs.shape
    sigma = torch.diag_embed(probs) - probs.unsqueeze(2) * probs.unsqueeze(1)
    factor = torch.zeros_like(sigma)
    head = torch.linalg.cholesky(sigma[:, :-1, :-1])
    factor[:, :-1, :-1] = head
    # last row: L[C-1, :C-1] solves head @ row^T = sigma[:C-1, C-1]
    row = torch.linalg.solve_triangular(head, sigma[:, :-1, -1:], upper=False)
    factor[:, -1, :-1] = row.squeeze(2)
    rest = sigma[:, -1, -1] - (row.squeeze(2) ** 2).sum(dim=1)
    factor[:, -1, -1] = rest.clamp(min=0).sqrt()
    return factor


def fisher_matrix(jacobian: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """mean over samples of (L J)^T (L J), float64 (see the module docstring, step 4)."""
    weighted = factor.double() @ jacobian.double()
    return (weighted.transpose(1, 2) @ weighted).mean(dim=0)


def quantile_entropy(eigenvalues: torch.Tensor) -> float:
    """-sum t log(t + 1e-10), t the 0.1 .. 0.9 quantiles normalised by their sum."""
    levels = torch.arange(1, 10, dtype=torch.float64) / 10
    quantiles = torch.quantile(eigenvalues.double(), levels)
    share = quantiles / (quantiles.abs().sum() + 1e-10)
    return float(-(share * torch.log(share + 1e-10)).sum())


def vkdnw_network(ctx: ProxyContext) -> nn.Module:
    """The private copy VKDNW scores: re-initialised (purpose "vkdnw"), eval mode."""
    net = kaiming_fanin_(ctx.fresh_network().to(ctx.device), ctx.generator("vkdnw"))
    return net.eval()


def vkdnw_entropy(
    net: nn.Module, images: torch.Tensor, *, tensors: int = TENSORS, elements: int = ELEMENTS
) -> float:
    """VKDNW's entropy of `net` (already initialised, eval mode) on `images`."""
    chosen = selected_elements(net, tensors=tensors, elements=elements)
    if not chosen:
        raise ValueError("the network has no trainable parameter elements")
    jacobian = logit_jacobian(net, images, chosen)
    with torch.no_grad():
        factor = covariance_factor(smoothed_probabilities(net(images)))
    fisher = fisher_matrix(jacobian, factor)
    eigenvalues = torch.linalg.eigvalsh(fisher).abs()
    return quantile_entropy(eigenvalues)


@register_proxy(
    name="vkdnw",
    version="1",
    needs=("data", "own_pass"),
    permutation_invariant=True,
    description="VKDNW: entropy of the deciles of the Fisher spectrum (128 tensors x 1 element)",
)
def vkdnw(ctx: ProxyContext) -> float:
    """VKDNW's `vkdnw_entropy`; see the module docstring."""
    return shared_pass(ctx, ENTROPY_KEY, _context_entropy)


def _context_entropy(ctx: ProxyContext) -> float:
    net = vkdnw_network(ctx)
    return vkdnw_entropy(net, batch_for(net, ctx))


@register_proxy(
    name="vkdnw_dim",
    version="1",
    description="VKDNW's dimension term: the number of parameter tensors",
)
def vkdnw_dim(ctx: ProxyContext) -> float:
    """`len(list(net.named_parameters()))`, as VKDNW's `vkdnw_dim`."""
    return float(len(list(ctx.network.named_parameters())))


def count_trainable_layers(net: nn.Module) -> int:
    """Conv2d and Linear modules whose weight requires grad."""
    return sum(
        1
        for module in net.modules()
        if isinstance(module, (nn.Conv2d, nn.Linear)) and module.weight.requires_grad
    )


@register_proxy(
    name="layers",
    version="1",
    description="Number of trainable layers (Conv2d and Linear), VKDNW's table-1 baseline",
)
def layers(ctx: ProxyContext) -> float:
    """The layer-count baseline; see the module docstring."""
    return float(count_trainable_layers(ctx.network))


@register_proxy(
    name="vkdnw_single",
    version="1",
    needs=("data", "own_pass"),
    permutation_invariant=True,
    description="VKDNW_single: trainable layers + the vkdnw entropy (VKDNW's eq. 12)",
)
def vkdnw_single(ctx: ProxyContext) -> float:
    """`layers` + `vkdnw`; see the module docstring."""
    return count_trainable_layers(ctx.network) + shared_pass(ctx, ENTROPY_KEY, _context_entropy)


def log_rank_sum(scores: Mapping[str, Any], names: tuple[str, ...]) -> np.ndarray:
    """Sum over `names` of log(rank / n) within the set (ties averaged); NaN rows left out."""
    columns = [np.asarray(scores[name], dtype=float) for name in names]
    shape = columns[0].shape
    if len(shape) != 1 or any(column.shape != shape for column in columns):
        raise ValueError(f"{', '.join(names)} must be 1-D arrays of one length")
    valid = ~np.any([np.isnan(column) for column in columns], axis=0)
    total = np.full(shape, np.nan)
    count = int(valid.sum())
    if count:
        total[valid] = sum(np.log(rankdata(column[valid]) / count) for column in columns)
    return total


VKDNW_AGG_PARTS = (
    "az_complexity",
    "az_expressivity",
    "az_progressivity",
    "vkdnw",
    "az_trainability",
)


def vkdnw_aggregate(scores: Mapping[str, Any]) -> np.ndarray:
    """VKDNW_agg over the set: sum of log(rank / n) of `VKDNW_AGG_PARTS`."""
    return log_rank_sum(scores, VKDNW_AGG_PARTS)


register_proxy(
    name="vkdnw_agg",
    version="1",
    needs=("score_set",),
    description="VKDNW_agg: sum of log(rank/n) of FLOPs, AZ-NAS's three, and vkdnw in the set",
    combines=VKDNW_AGG_PARTS,
    combine=vkdnw_aggregate,
)(set_level_only("vkdnw_agg"))
