"""Shared passes: computed once per context, lazily, and cached in `ctx.cache`.

Several proxies read the same forward/backward pass, so the engine computes it
once and hands every user the same result:

* **Pass A** (`loss_grad_pass`): ONE cross-entropy forward/backward on the
  context batch, on a private copy in train mode (BN normalises with batch
  statistics), hooks registered before the pass. It yields, for every
  `nn.Conv2d` / `nn.Linear` layer, the initial weight W, the gradient
  g = dL/dW and the per-output-channel Fisher value
  F_k = 1/2 * mean_n (sum_spatial a * dL/da)^2 (a = the layer's output,
  bias included). It serves grad_norm, snip, plain, fisher, grasp's first
  pass and ZiCo's first batch. When grasp builds it (`loss_grad_pass_with_graph`; the
  engine runs the proxies that need "loss_grads_graph" first), the backward is
  `torch.autograd.grad(..., create_graph=True)`: the records are the same bit for bit,
  and grasp's Hessian-vector product differentiates that same backward instead of a
  second forward/backward of its own.
* **Pass B** (`jacobian_pass`): ONE forward with input gradient on a private
  copy in train mode, backpropagating ones from the logits, giving the input
  Jacobian J [B, C*H*W] (jacov, epe_nas). Forward hooks on that same forward
  build the NASWOT kernels K = sum_l c_l c_l^T + (1 - c_l)(1 - c_l)^T with
  c_l = 1[module input > 0], in float64: one over the ReLU activation modules of
  `torch.nn` (ReLU, ReLU6, LeakyReLU, ...: NASLib's rule on its own graphs) and one
  over every module whose type name contains "ReLU" (the original NASWOT rule, which
  also counts wrappers such as a `ReLUConvBN`). The input is a fresh leaf tensor and J comes from
  `torch.autograd.grad`, so nothing accumulates in a shared `x.grad` (the
  NASLib pitfall where a second Jacobian included the first).

Every access is logged in `ctx.cache["pass_log"]` as a `PassUse`, so the engine
can charge the time of a shared pass to the proxies that used it. A pass that
fails is cached as failed: every later user gets the same reason without
recomputing it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from harness.proxies.base import ProxyContext

#: `ctx.cache` key of the list of `PassUse` records.
PASS_LOG_KEY = "pass_log"
LOSS_GRADS_KEY = "pass_a_loss_grads"
JACOBIAN_KEY = "pass_b_input_jacobian"


@dataclass(frozen=True)
class PassUse:
    """One access to a shared pass; `seconds` is set when this access computed it."""

    key: str
    seconds: float | None


@dataclass(frozen=True)
class LayerGrads:
    """Pass A's record of one conv/linear layer."""

    name: str
    weight: torch.Tensor
    grad: torch.Tensor
    fisher: torch.Tensor


@dataclass(frozen=True)
class LossGradPass:
    """Pass A: per-layer weights, loss gradients and Fisher values, in module order."""

    layers: tuple[LayerGrads, ...]
    loss: float


@dataclass(frozen=True)
class LossGradGraph:
    """Pass A's gradients still differentiable (create_graph): for one consumer only.

    Never cached (it holds the pass's whole autograd graph): `loss_grad_pass_with_graph`
    hands it to the proxy that built pass A, which drops it when done.
    """

    #: the private copy's conv/linear weights (leaves), in module order
    weights: tuple[torch.Tensor, ...]
    #: dL/dW of each, with its graph (None where the weight does not reach the loss)
    grads: tuple[torch.Tensor | None, ...]


@dataclass(frozen=True)
class JacobianPass:
    """Pass B: the input Jacobian and the NASWOT ReLU kernel from the same forward."""

    jacobian: torch.Tensor
    logit_width: int
    #: NASWOT kernel over torch.nn ReLU activations, and how many calls it sums
    relu_kernel: torch.Tensor
    relu_calls: int
    #: NASWOT kernel over every module whose type name contains "ReLU"
    relu_name_kernel: torch.Tensor
    relu_name_calls: int


class SharedPassError(RuntimeError):
    """A shared pass failed; raised for every proxy that needs it."""


@dataclass(frozen=True)
class _FailedPass:
    reason: str


def logits_of(output: Any) -> torch.Tensor:
    """The logits of a network output (xautodl nets return `(features, logits)`)."""
    if isinstance(output, tuple | list):
        return output[-1]
    return output


def measured_layers(net: nn.Module) -> list[tuple[str, nn.Module]]:
    """The layers every gradient proxy counts: nn.Conv2d and nn.Linear, in module order."""
    return [(n, m) for n, m in net.named_modules() if isinstance(m, nn.Conv2d | nn.Linear)]


def sum_of_elements(values: list[torch.Tensor]) -> float:
    """The sum of every element of every tensor: the reference aggregation (float64)."""
    return math.fsum(float(v.detach().to(torch.float64).sum()) for v in values)


def synchronize(device: torch.device | str) -> None:
    """Wait for queued device work so that a clock read covers it."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def private_copy(ctx: ProxyContext) -> nn.Module:
    """A deep copy with the initial weights, on the context device, train mode, no grads."""
    net = ctx.fresh_network().to(ctx.device)
    for param in net.parameters():
        param.grad = None
    return net.train()


def use_cheap_double_backward(net: nn.Module) -> nn.Module:
    """Set `linear_double_backward` on every module of `net` that declares it (the spaces'
    average pools, `ExcludePadAvgPool2d`): for a network whose backward is differentiated
    again (grasp's Hg). Same values and gradients bit for bit, without the convolution
    double backward's per-channel kernel gradients. For a private copy only; not
    transform-safe (`torch.func`). Returns `net`."""
    for module in net.modules():
        if hasattr(module, "linear_double_backward"):
            module.linear_double_backward = True
    return net


def _param_dtype(net: nn.Module) -> torch.dtype:
    for param in net.parameters():
        if param.is_floating_point():
            return param.dtype
    return torch.get_default_dtype()


def batch_for(
    net: nn.Module, ctx: ProxyContext, images: torch.Tensor | None = None
) -> torch.Tensor:
    """The images on the context device, in the network's floating dtype."""
    images = ctx.images if images is None else images
    if images is None:
        raise RuntimeError("this proxy needs a data batch but the context has none")
    return images.to(device=ctx.device, dtype=_param_dtype(net))


def labels_for(ctx: ProxyContext, labels: torch.Tensor | None = None) -> torch.Tensor:
    labels = ctx.labels if labels is None else labels
    if labels is None:
        raise RuntimeError("this proxy needs labels but the context has none")
    return labels.to(device=ctx.device, dtype=torch.long)


def cross_entropy_weight_grads(
    net: nn.Module, images: torch.Tensor, labels: torch.Tensor
) -> list[torch.Tensor]:
    """dL/dW of every conv/linear weight for one CE forward/backward (zeros where unused).

    `net` must be a private copy: its `.grad` fields are overwritten.
    """
    for param in net.parameters():
        param.grad = None
    loss = F.cross_entropy(logits_of(net(images)), labels)
    loss.backward()
    return [_grad_or_zeros(m.weight) for _, m in measured_layers(net)]


def _grad_or_zeros(weight: torch.Tensor) -> torch.Tensor:
    if weight.grad is None:
        return torch.zeros_like(weight).detach()
    return weight.grad.detach().clone()


def shared_pass(ctx: ProxyContext, key: str, build: Callable[[ProxyContext], Any]) -> Any:
    """`build(ctx)`, computed once per context and cached under `key` (timed and logged
    as a `PassUse`; a failure is cached and re-raised to every later user)."""
    log = ctx.cache.setdefault(PASS_LOG_KEY, [])
    if key in ctx.cache:
        log.append(PassUse(key, None))
        value = ctx.cache[key]
    else:
        synchronize(ctx.device)
        start = time.perf_counter()
        try:
            with torch.enable_grad():
                value = build(ctx)
        except Exception as exc:  # recorded: every user of the pass reports it
            value = _FailedPass(f"{type(exc).__name__}: {exc}".replace("\n", " "))
        synchronize(ctx.device)
        ctx.cache[key] = value
        log.append(PassUse(key, time.perf_counter() - start))
    if isinstance(value, _FailedPass):
        raise SharedPassError(f"shared pass {key!r} failed: {value.reason}")
    return value


def loss_grad_pass(ctx: ProxyContext) -> LossGradPass:
    """Pass A (computed on first use, then cached)."""
    return shared_pass(ctx, LOSS_GRADS_KEY, _build_loss_grad_pass)


def loss_grad_pass_with_graph(
    ctx: ProxyContext,
) -> tuple[LossGradPass, LossGradGraph | None]:
    """Pass A, and its differentiable gradients when this call computed it.

    If pass A is not cached yet, it is computed with `create_graph=True` (same records,
    bit for bit) and the graph comes back with it; if an earlier proxy computed it, the
    graph is gone and the second element is None (the caller does its own pass).
    """
    if LOSS_GRADS_KEY in ctx.cache:
        return loss_grad_pass(ctx), None
    kept: list[LossGradGraph] = []
    shared = shared_pass(ctx, LOSS_GRADS_KEY, lambda c: _loss_grad_records(c, kept))
    return shared, (kept[0] if kept else None)


def jacobian_pass(ctx: ProxyContext) -> JacobianPass:
    """Pass B (computed on first use, then cached)."""
    return shared_pass(ctx, JACOBIAN_KEY, _build_jacobian_pass)


def _fisher_hook(name: str, fisher: dict[str, torch.Tensor]) -> Callable[..., None]:
    def on_forward(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        if not output.requires_grad:
            return
        # A copy, so that an in-place op after the layer cannot change it.
        activation = output.detach().clone()

        def on_grad(grad: torch.Tensor) -> None:
            product = activation * grad.detach()  # a graph-keeping pass A: no graph here
            if product.dim() > 2:
                product = product.sum(dim=tuple(range(2, product.dim())))
            value = 0.5 * product.pow(2).mean(dim=0)
            fisher[name] = fisher[name] + value if name in fisher else value

        output.register_hook(on_grad)

    return on_forward


def _build_loss_grad_pass(ctx: ProxyContext) -> LossGradPass:
    return _loss_grad_records(ctx, None)


def _loss_grad_records(ctx: ProxyContext, keep_graph: list[LossGradGraph] | None) -> LossGradPass:
    """Pass A; with `keep_graph` (a list), the backward keeps its graph, appended there.

    A graph-keeping pass A is differentiated again (grasp's Hessian-vector product), so its
    average pools skip the convolution double backward (`use_cheap_double_backward`): the
    same records bit for bit, a cheaper second backward."""
    net = private_copy(ctx)
    if keep_graph is not None:
        use_cheap_double_backward(net)
    layers = measured_layers(net)
    weights = [module.weight for _, module in layers]
    fisher: dict[str, torch.Tensor] = {}
    handles = [m.register_forward_hook(_fisher_hook(n, fisher)) for n, m in layers]
    try:
        images, labels = batch_for(net, ctx), labels_for(ctx)
        loss = F.cross_entropy(logits_of(net(images)), labels)
        if keep_graph is None:
            loss.backward()
            grads = [_grad_or_zeros(weight) for weight in weights]
        else:
            graph_grads = torch.autograd.grad(loss, weights, create_graph=True, allow_unused=True)
            keep_graph.append(LossGradGraph(tuple(weights), tuple(graph_grads)))
            grads = [
                torch.zeros_like(w).detach() if g is None else g.detach().clone()
                for w, g in zip(weights, graph_grads, strict=True)
            ]
    finally:
        for handle in handles:
            handle.remove()
    records = []
    for (name, module), grad in zip(layers, grads, strict=True):
        weight = module.weight
        channel_values = fisher.get(name)
        if channel_values is None:
            channel_values = weight.new_zeros(weight.shape[0])
        records.append(
            LayerGrads(
                name=name,
                weight=weight.detach().clone(),
                grad=grad,
                fisher=channel_values.detach(),
            )
        )
    return LossGradPass(layers=tuple(records), loss=float(loss.detach()))


def _named_relu(module: nn.Module) -> bool:
    # The NASWOT reference matches 'ReLU' in the type name: activations and wrappers alike.
    return "ReLU" in type(module).__name__


def _relu_activation(module: nn.Module) -> bool:
    # An activation of torch.nn (ReLU, ReLU6, LeakyReLU, PReLU, RReLU), not a wrapper.
    return _named_relu(module) and type(module).__module__.startswith("torch.nn")


def agreement_kernel(active: torch.Tensor) -> torch.Tensor:
    """c c^T + (1 - c)(1 - c)^T for binary codes c [B, N] (bool), exactly, in float64.

    It equals 2 c c^T + N - r_i - r_j (r = the row sums). c c^T sums 0/1 products, so
    every partial sum is an integer <= N: float32 holds them exactly while N < 2**24, and
    the result is bit for bit the float64 one at a fraction of the cost of two float64
    products (this kernel was most of pass B's time).
    """
    width = active.shape[1]
    dtype = torch.float32 if width < 2**24 else torch.float64
    codes = active.to(dtype)
    overlap = (codes @ codes.T).to(torch.float64)
    ones = codes.sum(dim=1).to(torch.float64)
    return 2.0 * overlap + width - ones[:, None] - ones[None, :]


def _build_jacobian_pass(ctx: ProxyContext) -> JacobianPass:
    net = private_copy(ctx)
    images = batch_for(net, ctx).detach().clone().requires_grad_(True)
    batch = images.shape[0]
    kernel = torch.zeros(batch, batch, dtype=torch.float64, device=ctx.device)
    name_kernel = kernel.clone()
    calls = name_calls = 0
    # the agreement term of each ReLU input seen in this forward: NB201's edges out of one
    # node all apply a ReLU to the same tensor, whose term is then computed once and added
    # once per call, as before (sums of integers in float64: the same kernels bit for bit)
    terms: list[tuple[torch.Tensor, int, torch.Tensor]] = []

    def term_of(source: torch.Tensor) -> torch.Tensor:
        for seen, version, term in terms:
            if seen is source and version == source._version:
                return term
        term = agreement_kernel(source.detach().reshape(batch, -1) > 0)
        terms.append((source, source._version, term))
        return term

    def record_codes(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        nonlocal kernel, name_kernel, calls, name_calls
        term = term_of(inputs[0])
        name_kernel = name_kernel + term
        name_calls += 1
        if _relu_activation(module):
            kernel = kernel + term
            calls += 1

    handles = [m.register_forward_hook(record_codes) for m in net.modules() if _named_relu(m)]
    try:
        logits = logits_of(net(images))
    finally:
        for handle in handles:
            handle.remove()
        terms.clear()
    jacobian = None
    if logits.requires_grad:
        (jacobian,) = torch.autograd.grad(
            logits, images, grad_outputs=torch.ones_like(logits), allow_unused=True
        )
    if jacobian is None:  # the logits do not depend on the input at all
        jacobian = torch.zeros_like(images)
    return JacobianPass(
        jacobian=jacobian.detach().reshape(batch, -1).cpu(),
        logit_width=int(logits.shape[1]),
        relu_kernel=kernel.cpu(),
        relu_calls=calls,
        relu_name_kernel=name_kernel.cpu(),
        relu_name_calls=name_calls,
    )
