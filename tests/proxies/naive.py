"""Naive reference implementations of the engine's proxies, written another way.

No engine code is imported here. Where the engine uses `.backward()` and hooks,
these use `torch.autograd.grad`, `torch.func.functional_call`,
`torch.autograd.functional`, explicit loops over layers, samples and pairs,
and scipy for linear algebra. Slow and simple on purpose: for tiny networks.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import scipy.linalg
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

K = 1e-5


def counted_layers(net: nn.Module) -> list[nn.Module]:
    layers = []
    for module in net.modules():
        if type(module) in (nn.Conv2d, nn.Linear):
            layers.append(module)
    return layers


def loss_grads(net: nn.Module, images: torch.Tensor, labels: torch.Tensor):
    """(weights, dL/dW) of every conv/linear layer, by torch.autograd.grad on a copy."""
    net = copy.deepcopy(net).train()
    weights = [layer.weight for layer in counted_layers(net)]
    loss = F.cross_entropy(net(images), labels)
    grads = torch.autograd.grad(loss, weights, allow_unused=True)
    grads = [torch.zeros_like(w) if g is None else g for w, g in zip(weights, grads, strict=True)]
    return [w.detach() for w in weights], grads


def grad_norm(net, images, labels) -> float:
    _, grads = loss_grads(net, images, labels)
    total = 0.0
    for g in grads:
        total += math.sqrt(float((g.double() ** 2).sum()))
    return total


def snip(net, images, labels) -> float:
    weights, grads = loss_grads(net, images, labels)
    return sum(
        float((w.double() * g.double()).abs().sum()) for w, g in zip(weights, grads, strict=True)
    )


def plain(net, images, labels) -> float:
    weights, grads = loss_grads(net, images, labels)
    return sum(float((w.double() * g.double()).sum()) for w, g in zip(weights, grads, strict=True))


def fisher_channels(net, images, labels) -> list[torch.Tensor]:
    """Per-layer F_k through a per-(sample, channel) scale s = 1 multiplying each output.

    dL/ds[n, k] = sum over positions of a * dL/da, so F_k = 1/2 mean_n (dL/ds[n, k])^2.
    """
    net = copy.deepcopy(net).train()
    scales: list[torch.Tensor] = []

    def scale_output(module, inputs, output):
        shape = output.shape[:2] + (1,) * (output.dim() - 2)
        s = torch.ones(shape, dtype=output.dtype, requires_grad=True)
        scales.append(s)
        return output * s

    handles = [layer.register_forward_hook(scale_output) for layer in counted_layers(net)]
    loss = F.cross_entropy(net(images), labels)
    for h in handles:
        h.remove()
    grads = torch.autograd.grad(loss, scales)
    channels = []
    for grad in grads:
        grad = grad.reshape(grad.shape[0], grad.shape[1])
        values = []
        for k in range(grad.shape[1]):
            values.append(
                0.5
                * float(sum(float(grad[n, k]) ** 2 for n in range(grad.shape[0])))
                / grad.shape[0]
            )
        channels.append(torch.tensor(values, dtype=torch.float64))
    return channels


def fisher(net, images, labels, fan_in: bool = False) -> float:
    channels = fisher_channels(net, images, labels)
    total = 0.0
    for layer, values in zip(counted_layers(net), channels, strict=True):
        weight_per_channel = layer.weight[0].numel() if fan_in else 1
        total += float(values.sum()) * weight_per_channel
    return total


def _weight_loss(net: nn.Module, images, labels):
    """L(W_1..W_n) as a pure function of the conv/linear weights (other params fixed)."""
    names = [
        name + ".weight" for name, m in net.named_modules() if type(m) in (nn.Conv2d, nn.Linear)
    ]
    fixed = {n: p.detach() for n, p in net.named_parameters() if n not in names}

    def loss_of(*weights):
        state = dict(fixed)
        state.update(zip(names, weights, strict=True))
        return F.cross_entropy(functional_call(net, state, (images,)), labels)

    start = tuple(dict(net.named_parameters())[n].detach().clone() for n in names)
    return loss_of, start


def grasp(net, images, labels) -> float:
    """-sum W * Hg with Hg from torch.autograd.functional.hvp."""
    net = copy.deepcopy(net).train()
    loss_of, weights = _weight_loss(net, images, labels)
    g = torch.autograd.functional.jacobian(loss_of, weights)
    _, hg = torch.autograd.functional.hvp(loss_of, weights, tuple(g))
    return -sum(float((w * h).sum()) for w, h in zip(weights, hg, strict=True))


def grasp_finite_difference(net, images, labels, step: float = 1e-4) -> float:
    """-sum W * Hg with Hg = (grad(W + e g) - grad(W - e g)) / 2e (central differences)."""
    net = copy.deepcopy(net).train()
    loss_of, weights = _weight_loss(net, images, labels)
    g = torch.autograd.functional.jacobian(loss_of, weights)
    scale = step / math.sqrt(sum(float((x**2).sum()) for x in g))
    plus = torch.autograd.functional.jacobian(
        loss_of, tuple(w + scale * d for w, d in zip(weights, g, strict=True))
    )
    minus = torch.autograd.functional.jacobian(
        loss_of, tuple(w - scale * d for w, d in zip(weights, g, strict=True))
    )
    total = 0.0
    for w, p, m in zip(weights, plus, minus, strict=True):
        total -= float((w * (p - m) / (2 * scale)).sum())
    return total


def _replace_batchnorm_by_identity(net: nn.Module) -> None:
    for name, child in list(net.named_children()):
        if isinstance(child, nn.BatchNorm1d | nn.BatchNorm2d):
            setattr(net, name, nn.Identity())
        else:
            _replace_batchnorm_by_identity(child)


def synflow(net, sample_shape, batchnorm: str = "eval") -> float:
    net = copy.deepcopy(net).double()
    if batchnorm == "identity":
        _replace_batchnorm_by_identity(net)
    if batchnorm == "eval":
        net.eval()
    else:
        net.train()
    for _, p in net.named_parameters():
        p.data = p.data.abs()
    for _, b in net.named_buffers():
        if b.dtype == torch.float64:
            b.data.copy_(b.data.abs())
    x = torch.ones((1, *sample_shape), dtype=torch.float64)
    weights = [layer.weight for layer in counted_layers(net)]
    grads = torch.autograd.grad(net(x).sum(), weights, allow_unused=True)
    total = 0.0
    for w, g in zip(weights, grads, strict=True):
        if g is not None:
            total += float((w.detach() * g).abs().sum())
    return total


def synflow_two_linear_closed_form(w1: torch.Tensor, w2: torch.Tensor) -> float:
    """SynFlow of x -> W2 W1 x (no bias, no nonlinearity that matters for |W|) = 2 R.

    R = 1^T |W2| |W1| 1; dR/d|W1|_ij = (1^T|W2|)_i, dR/d|W2|_ki = (|W1| 1)_i, so each
    layer's sum |W * dR/dW| equals R.
    """
    a = w1.detach().abs().double()
    b = w2.detach().abs().double()
    r = float(
        torch.ones(1, b.shape[0], dtype=torch.float64)
        @ b
        @ a
        @ torch.ones(a.shape[1], 1, dtype=torch.float64)
    )
    return 2 * r


def per_sample_jacobian(net, images) -> torch.Tensor:
    """Row i = d(sum of logits of sample i)/d(sample i), one sample at a time."""
    rows = []
    for i in range(images.shape[0]):
        x = images[i : i + 1].clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(net(x).sum(), x)
        rows.append(grad.reshape(-1))
    return torch.stack(rows)


def batch_jacobian_rows(net, images) -> torch.Tensor:
    """Row n = sum over output samples m of d(sum of logits of m)/d x[n], m by m.

    In train mode BN couples the samples, so output m depends on every input n.
    """
    net = copy.deepcopy(net).train()
    x = images.clone().requires_grad_(True)
    logits = net(x)
    total = torch.zeros_like(x)
    for m in range(images.shape[0]):
        (grad,) = torch.autograd.grad(logits[m].sum(), x, retain_graph=True)
        total = total + grad
    return total.reshape(images.shape[0], -1)


def pearson_matrix(rows: torch.Tensor) -> np.ndarray:
    rows = rows.double()
    n = rows.shape[0]
    out = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            a = rows[i] - rows[i].mean()
            b = rows[j] - rows[j].mean()
            out[i, j] = float(
                (a * b).sum() / math.sqrt(float((a * a).sum()) * float((b * b).sum()))
            )
    return out


def jacov(rows: torch.Tensor) -> float:
    eigenvalues = scipy.linalg.eigh(pearson_matrix(rows), eigvals_only=True)
    return -float(sum(math.log(v + K) + 1.0 / (v + K) for v in eigenvalues))


def epe_nas(rows: torch.Tensor, labels: torch.Tensor, num_classes: int) -> float:
    classes: dict[int, list[int]] = {}
    for i, label in enumerate(labels.tolist()):
        classes.setdefault(label, []).append(i)
    scores = []
    for members in classes.values():
        if len(members) == 1:
            if num_classes > 100:
                continue
            scores.append(math.log(1.0 + K))
            continue
        corr = pearson_matrix(rows[members])
        s = sum(math.log(abs(c) + K) for c in corr.reshape(-1))
        scores.append(s / len(members) if num_classes > 100 else s)
    if num_classes <= 100:
        return sum(abs(s) for s in scores)
    return sum(abs(a - b) for a in scores for b in scores) / len(scores)


def relu_codes(net, images) -> list[torch.Tensor]:
    """Per ReLU call, the binary code of its output (> 0) per sample."""
    net = copy.deepcopy(net).train()
    codes = []

    def record(module, inputs, output):
        codes.append((output.detach() > 0).reshape(output.shape[0], -1))

    handles = [m.register_forward_hook(record) for m in net.modules() if isinstance(m, nn.ReLU)]
    with torch.no_grad():
        net(images)
    for h in handles:
        h.remove()
    return codes


def nwot(net, images) -> float:
    """log|det K|, K[i, j] = sum over ReLU layers of (units - Hamming(c_i, c_j)), via LU."""
    codes = relu_codes(net, images)
    n = images.shape[0]
    kernel = np.zeros((n, n))
    for c in codes:
        units = c.shape[1]
        for i in range(n):
            for j in range(n):
                kernel[i, j] += units - int((c[i] != c[j]).sum())
    lu, _ = scipy.linalg.lu_factor(kernel)
    return float(np.sum(np.log(np.abs(np.diag(lu)))))


def zico(net, batches) -> float:
    """ZiCo over explicit (images, labels) batches, numpy per layer, explicit std."""
    per_batch = [loss_grads(net, x, y)[1] for x, y in batches]
    total = 0.0
    for layer in range(len(per_batch[0])):
        g = np.stack([b[layer].double().reshape(-1).numpy() for b in per_batch])
        mean = g.mean(axis=0)
        std = np.sqrt(((g - mean) ** 2).mean(axis=0))
        keep = std != 0
        s = float(np.sum(np.abs(g).mean(axis=0)[keep] / std[keep]))
        if s != 0:
            total += math.log(s)
    return total


def l2_norm(net) -> float:
    total = 0.0
    for layer in counted_layers(net):
        total += math.sqrt(sum(float(v) ** 2 for v in layer.weight.detach().reshape(-1)))
    return total
