"""GradSign (Zhang & Jia, ICLR 2022): agreement of per-sample gradient signs.

Reference: `ondratybl/VKDNW@6901b65`, `NB201/ZeroShotProxy/compute_gradsign_score.py`
`get_grad_conflict` (AZ-NAS's port of `cmu-catalyst/GradSign@26412be`
`zero-cost-nas-code/gradsign.py`; `cvlab-yonsei/AZ-NAS@5e6683a` carries the same file).

On a private copy of the context network (its initial weights; GradSign does not
re-initialise), in train mode: for each sample i of the batch alone, the gradient g_i of
its cross-entropy loss with respect to every Conv2d and Linear weight (zeros where a weight
gets no gradient), flattened in module order; GradSign = the mean over weight elements of
|sum_i sign(g_i)|, NaN elements skipped (`nanmean`). Higher is better; the largest value
is the batch size (every sample pushes every weight the same way).

Each sample is forwarded alone, as in the reference, so train-mode BatchNorm normalises
with that sample's own statistics; every forward updates the copy's running statistics,
which no later step reads (train mode).

**gradsign_sum**: the same |sum of signs| summed over the weight elements (`nansum`)
instead of averaged: the measure of GradSign's own code for its paper's Spearman
experiments, `cmu-catalyst/GradSign@26412be`
`zero-cost-nas-code/foresight/pruners/measures/grad_conflict.py` `get_grad_conflict`
(also `naswot-code/gradsign.py`). The port above (`zero-cost-nas-code/gradsign.py`, which
AZ-NAS and VKDNW copied) takes the mean. The two differ by the factor "number of weight
elements", so the sum also rewards size: on the default 200-cell sample the mean ranks
against accuracy (negative tau) and the sum with it. Both read one set of per-sample
passes per architecture (`shared_pass`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from harness.proxies.base import ProxyContext, register_proxy
from harness.proxies.passes import batch_for, labels_for, private_copy, shared_pass

#: `ctx.cache` key of the per-element |sum of signs| shared by gradsign and gradsign_sum.
SIGNS_KEY = "gradsign_sign_sums"


def _weights(net: nn.Module) -> list[torch.Tensor]:
    return [m.weight for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def sign_agreement(net: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """mean over weight elements of |sum over samples of sign(d loss_i / d w)|."""
    return float(torch.nanmean(sign_sums(net, images, labels)))


def sign_sums(net: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per weight element (module order, float64): |sum over samples of sign(d loss_i/d w)|."""
    weights = _weights(net)
    if not weights:
        raise ValueError("the network has no Conv2d or Linear weights")
    total = None
    for i in range(images.shape[0]):
        loss = F.cross_entropy(net(images[i : i + 1]), labels[i : i + 1])
        needed = [w for w in weights if w.requires_grad]
        found = torch.autograd.grad(loss, needed, allow_unused=True)
        grads = dict(zip(map(id, needed), found, strict=True))
        signs = torch.cat(
            [
                w.detach().new_zeros(w.numel())
                if grads.get(id(w)) is None
                else grads[id(w)].sign().flatten()
                for w in weights
            ]
        )
        total = signs if total is None else total + signs
    return total.abs().double()


@register_proxy(
    name="gradsign",
    version="1",
    needs=("data", "labels", "own_pass"),
    permutation_invariant=True,
    description="GradSign: mean over weights of |sum of per-sample gradient signs|",
)
def gradsign(ctx: ProxyContext) -> float:
    """GradSign on the context batch (the mean); see the module docstring."""
    return float(torch.nanmean(shared_pass(ctx, SIGNS_KEY, _context_sign_sums)))


@register_proxy(
    name="gradsign_sum",
    version="1",
    needs=("data", "labels", "own_pass"),
    permutation_invariant=True,
    description="GradSign as its own code sums it: sum over weights of |sum of gradient signs|",
)
def gradsign_sum(ctx: ProxyContext) -> float:
    """GradSign's official `grad_conflict` (the sum); see the module docstring."""
    return float(torch.nansum(shared_pass(ctx, SIGNS_KEY, _context_sign_sums)))


def _context_sign_sums(ctx: ProxyContext) -> torch.Tensor:
    net = private_copy(ctx)
    return sign_sums(net, batch_for(net, ctx), labels_for(ctx))
