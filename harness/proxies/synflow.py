"""SynFlow (Tanaka et al. 2020): data-free synaptic flow through |weights|.

On a private float64 copy, every floating tensor of the state (parameters and
buffers, BN running statistics included) is replaced by its absolute value. The
input is all ones, of shape [1, C, H, W]; R = sum of the logits, and the score
is sum over conv/linear weights of |W * dR/dW| (the raw float64 sum: NASLib's
signed log afterwards does not change a ranking).

References: `synflow_nobn` is `SamsungLabs/zero-cost-nas@a43bfbc` `foresight.pruners.
measures` 'synflow' with bn=False (NASLib's too), `synflow_bn` its 'synflow_bn'; `synflow`
follows the SynFlow authors' code (ganguli-lab/Synaptic-Flow, not run here: no reference
scores). BN handling is where the references differ; each is a registered name:

* `synflow` (paper default): the SynFlow code scores the model in **eval
  mode**, so BN keeps its place and uses its |running statistics| and |affine|
  parameters; at PyTorch's init that is x / sqrt(1 + eps). A BN without running
  statistics (`track_running_stats=False`, the proxy-literature NB201 cells)
  normalises with the single sample's statistics even in eval mode.
* `synflow_nobn` (NASLib convention, `bn=False`): every BN's forward is the
  identity, net in train mode. This is the variant behind NAS-Bench-Suite-Zero's
  synflow numbers.
* `synflow_bn` (foresight/NASLib `synflow_bn`): BN kept in train mode, so it
  normalises with the statistics of the single all-ones sample.

Not implemented: foresight's own NB201 `synflow` rebuilds the network with
`use_bn=False`, which removes the stem/cell/head BN but keeps the BN of the
reduction blocks (train mode, batch 1); that needs a network variant from the
space's builder rather than a rule applicable to any `nn.Module`.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from harness.proxies.base import ProxyContext, register_proxy
from harness.proxies.passes import logits_of, measured_layers, private_copy, sum_of_elements

BatchNormMode = Literal["eval", "identity", "train"]


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def synflow_score(ctx: ProxyContext, batchnorm: BatchNormMode) -> float:
    """SynFlow of the context network with the given BN handling (see the module doc)."""
    net = private_copy(ctx).to(torch.float64)
    if batchnorm == "identity":
        for module in net.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.forward = _identity  # the instance attribute shadows the class method
    net.train(batchnorm != "eval")
    with torch.no_grad():
        for tensor in [*net.parameters(), *net.buffers()]:
            if tensor.is_floating_point():
                tensor.abs_()
    ones = torch.ones((1, *ctx.sample_shape()), dtype=torch.float64, device=ctx.device)
    flow = logits_of(net(ones)).sum()
    weights = [module.weight for _, module in measured_layers(net)]
    if not flow.requires_grad:  # no weight between input and output
        return 0.0
    grads = torch.autograd.grad(flow, weights, allow_unused=True)
    return sum_of_elements(
        [(w * g).abs() for w, g in zip(weights, grads, strict=True) if g is not None]
    )


@register_proxy(
    name="synflow",
    version="1",
    permutation_invariant=True,
    needs=("own_pass",),
    description="SynFlow, paper default: |state|, float64, ones input, BN in eval mode.",
)
def synflow(ctx: ProxyContext) -> float:
    return synflow_score(ctx, "eval")


@register_proxy(
    name="synflow_nobn",
    version="1",
    permutation_invariant=True,
    needs=("own_pass",),
    description="SynFlow, NASLib convention: every BN replaced by the identity.",
)
def synflow_nobn(ctx: ProxyContext) -> float:
    return synflow_score(ctx, "identity")


@register_proxy(
    name="synflow_bn",
    version="1",
    permutation_invariant=True,
    needs=("own_pass",),
    description="SynFlow with BN kept in train mode (foresight/NASLib synflow_bn).",
)
def synflow_bn(ctx: ProxyContext) -> float:
    return synflow_score(ctx, "train")
