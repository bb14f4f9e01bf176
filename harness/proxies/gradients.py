"""Gradient proxies on the shared cross-entropy pass A: grad_norm, snip, plain, fisher, grasp.

References: `SamsungLabs/zero-cost-nas@a43bfbc` (foresight), `foresight.pruners.measures`
'grad_norm', 'snip', 'plain', 'grasp' and 'fisher' (through calc_measure/find_measures;
NASLib copies them). `fisher` (the paper's sum) has no reference implementation; the
reference's is `fisher_fanin`. Conventions of the reference code, kept here: only
`nn.Conv2d` and `nn.Linear` weights are counted (biases and BN never), the
network is a private copy in train mode (BN with batch statistics), the loss is
the mean cross-entropy on the context batch, and a score is the plain sum over
every element of every layer; nothing is averaged.

Where the references and the papers differ:

* fisher: the paper's quantity is the sum over output channels of
  F_k = 1/2 * mean_n (sum_spatial a * dL/da)^2 (Theis et al. 2018; Turner et
  al. 2020). foresight/NASLib copy F_k to every weight of channel k before
  summing, i.e. weight it by the fan-in C_in*kh*kw. `fisher` is the paper,
  `fisher_fanin` the reference convention (to reproduce published numbers).
* grasp: foresight's sign, -sum W * Hg (higher is better), with temperature 1
  and the same batch for both passes; the GraSP paper ranks by +W * Hg.

grasp's cost: the reference does a forward/backward for g, then a forward with a graph,
a backward with `create_graph` and a second backward for Hg. Both of its passes are the
same forward on the same weights, batch and mode, so here one serves both: the engine
runs grasp first (it needs "loss_grads_graph"), grasp builds pass A keeping the graph of
its backward (the records other proxies read are the same bit for bit), and Hg is one
more backward through that graph: one forward, two backwards, and the score is the one
two passes give, bit for bit. Only when pass A is already cached without a graph (an
earlier call on the same context) does grasp do the forward of its own again.
"""

from __future__ import annotations

import torch

from harness.proxies.base import ProxyContext, register_proxy
from harness.proxies.passes import (
    LossGradGraph,
    batch_for,
    labels_for,
    logits_of,
    loss_grad_pass,
    loss_grad_pass_with_graph,
    measured_layers,
    private_copy,
    sum_of_elements,
    use_cheap_double_backward,
)

_LOSS_PASS_NEEDS = ("data", "labels", "loss_grads")


@register_proxy(
    name="grad_norm",
    version="1",
    permutation_invariant=True,
    needs=_LOSS_PASS_NEEDS,
    description="Sum over conv/linear layers of the Frobenius norm of dL/dW.",
)
def grad_norm(ctx: ProxyContext) -> float:
    return sum_of_elements([layer.grad.norm() for layer in loss_grad_pass(ctx).layers])


@register_proxy(
    name="snip",
    version="1",
    permutation_invariant=True,
    needs=_LOSS_PASS_NEEDS,
    description="SNIP saliency: sum of |W * dL/dW| over conv/linear weights.",
)
def snip(ctx: ProxyContext) -> float:
    return sum_of_elements(
        [(layer.weight * layer.grad).abs() for layer in loss_grad_pass(ctx).layers]
    )


@register_proxy(
    name="plain",
    version="1",
    needs=_LOSS_PASS_NEEDS,
    description="Signed sum of W * dL/dW over conv/linear weights.",
)
def plain(ctx: ProxyContext) -> float:
    return sum_of_elements([layer.weight * layer.grad for layer in loss_grad_pass(ctx).layers])


@register_proxy(
    name="fisher",
    version="1",
    permutation_invariant=True,
    needs=_LOSS_PASS_NEEDS,
    description="Fisher channel saliency (paper): sum over conv/linear output channels of F_k.",
)
def fisher(ctx: ProxyContext) -> float:
    return sum_of_elements([layer.fisher for layer in loss_grad_pass(ctx).layers])


@register_proxy(
    name="fisher_fanin",
    version="1",
    permutation_invariant=True,
    needs=_LOSS_PASS_NEEDS,
    description="Fisher as foresight/NASLib sum it: each channel's F_k weighted by its fan-in.",
)
def fisher_fanin(ctx: ProxyContext) -> float:
    layers = loss_grad_pass(ctx).layers
    return sum_of_elements([layer.fisher * layer.weight[0].numel() for layer in layers])


@register_proxy(
    name="grasp",
    version="1",
    needs=("data", "labels", "loss_grads", "loss_grads_graph", "own_pass"),
    description="GraSP (foresight sign): -sum W * Hg, g from pass A, Hg by double backward.",
)
def grasp(ctx: ProxyContext) -> float:
    # Pass 1 of the reference is pass A: same initial weights, batch and mode; pass 2 is
    # the same forward again, so pass A's own graph serves it when grasp built pass A.
    shared, graph = loss_grad_pass_with_graph(ctx)
    first_grads = [layer.grad for layer in shared.layers]
    if graph is None:
        graph = _graph_pass(ctx)
    weights, grads = graph.weights, graph.grads
    pairs = [(g, f) for g, f in zip(first_grads, grads, strict=True) if f is not None]
    if not pairs:
        raise RuntimeError("no conv/linear weight reaches the loss")
    inner = sum((g * f).sum() for g, f in pairs)
    del graph, grads, pairs  # the graph is freed by the backward below
    hessian_grads = torch.autograd.grad(inner, weights, allow_unused=True)
    terms = [
        -w.detach() * hg for w, hg in zip(weights, hessian_grads, strict=True) if hg is not None
    ]
    return sum_of_elements(terms)


def _graph_pass(ctx: ProxyContext) -> LossGradGraph:
    """The CE forward and a backward with `create_graph`, on a private copy of its own
    (its average pools with a cheaper double backward: `use_cheap_double_backward`)."""
    net = use_cheap_double_backward(private_copy(ctx))
    weights = tuple(module.weight for _, module in measured_layers(net))
    loss = torch.nn.functional.cross_entropy(logits_of(net(batch_for(net, ctx))), labels_for(ctx))
    grads = torch.autograd.grad(loss, weights, create_graph=True, allow_unused=True)
    return LossGradGraph(weights, tuple(grads))
