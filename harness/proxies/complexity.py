"""Parameter and FLOP counts of any `nn.Module`, in the conventions the benchmark files use.

`count_params` counts trainable parameters (each shared tensor once). NAS-Bench-201's
`count_parameters_in_MB` and the Suite-Zero `params` column are this count / 1e6.

`count_flops` runs one forward pass with hooks on the leaf modules and adds up a cost per
call, from shapes only (the values of the input do not matter). Two conventions:

- ``"suite_zero"`` (default): the counter NAS-Bench-Suite-Zero used, NASLib's
  `get_model_stats`, which is tensorwatch's port of `torchstat`:

  - Conv2d: k_h * k_w * C_in / groups * C_out * H_out * W_out, plus C_out * H_out * W_out
    when it has a bias;
  - Linear: in_features * out_features (the bias is not counted);
  - BatchNorm2d: numel(input), twice that when affine;
  - ReLU, ReLU6, PReLU, ELU, LeakyReLU: numel(input);
  - AvgPool2d, MaxPool2d: numel(output) * k_h * k_w;
  - AdaptiveAvgPool2d, AdaptiveMaxPool2d: N * C * (bin_h + 1) * (bin_w + 1) summed over
    the output cells, a bin spanning floor(i * H / H_out) .. ceil((i + 1) * H / H_out)
    (torchstat's formula, "+ 1" included: 81 per channel for 8x8 -> 1x1);
  - Upsample: numel(output);
  - anything else (Identity, zero ops, Flatten, and functional ops such as torch.cat or
    a mean, which are not modules): 0.

  With this convention the counts of our networks equal the Suite-Zero `flops`
  figures (count / 1e6 at batch 1) exactly, for every row of the NB201 (3 datasets),
  NB301 (`darts`, variant `proxy_bn`) and NB101 files.

- ``"xautodl"``: NAS-Bench-201's own counter (xautodl `get_model_infos`), which gives
  the `flops` of the NB201 / NATS-Bench API: Conv2d and Linear multiply-accumulates,
  each plus one add per output element when the layer has a bias; nothing else. On the
  NB201 `as_trained` network it reproduces the API's published extremes (smallest and
  largest cell, three datasets). Against the Suite-Zero figures it is 1.2% .. 41% lower
  (median 4.8%; Spearman 0.996) on the NB201 rows and 0.2% .. 13% lower (median 1.6%;
  Spearman 0.999) on the NB101 rows.

Two deliberate differences from the reference counters, neither of which changes a
figure for the benchmark networks (each of their leaf modules runs once per forward):
a module called several times is counted at every call (torchstat keeps only the last
call), and pooling cost uses the actual output size (torchstat recomputes it with a
formula that ignores `ceil_mode`).

The count is per example: the forward runs on a batch of `N` zeros (N = 1 by default),
in eval mode under `torch.no_grad()`, and the total is divided by `N`. The global random
number generator is not used.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from harness.errors import ConfigError

FLOP_CONVENTIONS: tuple[str, ...] = ("suite_zero", "xautodl")

_ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.PReLU, nn.ELU, nn.LeakyReLU)


def count_params(model: nn.Module) -> int:
    """Number of trainable parameter elements (shared tensors counted once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_flops(
    model: nn.Module, input_shape: Sequence[int], *, convention: str = "suite_zero"
) -> float:
    """FLOPs of one forward pass per example, for an input of `input_shape`.

    `input_shape` is `(C, H, W)` or `(N, C, H, W)`. See the module docstring for what each
    convention counts. The model's train/eval flags are restored afterwards.
    """
    cost_of = _COST_FUNCTIONS.get(convention)
    if cost_of is None:
        raise ConfigError(
            f"unknown FLOP convention {convention!r} (known: {', '.join(FLOP_CONVENTIONS)})"
        )
    shape = tuple(int(s) for s in input_shape)
    if len(shape) == 3:
        shape = (1, *shape)
    if len(shape) != 4 or min(shape) < 1:
        raise ConfigError(
            f"input_shape must be (C, H, W) or (N, C, H, W) of positive sizes, got {input_shape!r}"
        )

    total = 0.0

    def hook(module: nn.Module, inputs: tuple, output: object) -> None:
        nonlocal total
        if inputs and isinstance(inputs[0], torch.Tensor) and isinstance(output, torch.Tensor):
            total += cost_of(module, inputs[0], output)

    leaves = [m for m in model.modules() if next(m.children(), None) is None]
    handles = [m.register_forward_hook(hook) for m in leaves]
    modes = {m: m.training for m in model.modules()}
    reference = next(iter(model.parameters()), None)
    if reference is None:
        reference = next(iter(model.buffers()), None)
    device = reference.device if reference is not None else torch.device("cpu")
    dtype = reference.dtype if reference is not None and reference.is_floating_point() else None
    try:
        model.eval()
        with torch.no_grad():
            # Zeros, not random values: the count depends on shapes only, and the caller's
            # random number generator must not move (it decides initial weights).
            model(torch.zeros(shape, device=device, dtype=dtype or torch.float32))
    finally:
        for handle in handles:
            handle.remove()
        for module, training in modes.items():
            module.training = training
    return total / shape[0]


# -- suite_zero (torchstat) ------------------------------------------------------------------
def _conv_cost(conv: nn.Conv2d, x: torch.Tensor, out: torch.Tensor) -> float:
    batch, c_out, h_out, w_out = out.shape
    k_h, k_w = conv.kernel_size
    positions = batch * h_out * w_out
    cost = k_h * k_w * (x.shape[1] // conv.groups) * c_out * positions
    if conv.bias is not None:
        cost += c_out * positions
    return float(cost)


def _adaptive_pool_cost(x: torch.Tensor, out: torch.Tensor) -> float:
    height, width = x.shape[2], x.shape[3]
    out_h, out_w = out.shape[2], out.shape[3]
    bins = 0
    for i in range(out_h):
        span_h = math.ceil((i + 1) * height / out_h) - math.floor(i * height / out_h) + 1
        for j in range(out_w):
            span_w = math.ceil((j + 1) * width / out_w) - math.floor(j * width / out_w) + 1
            bins += span_h * span_w
    return float(x.shape[0] * x.shape[1] * bins)


def _suite_zero_cost(module: nn.Module, x: torch.Tensor, out: torch.Tensor) -> float:
    if isinstance(module, nn.Conv2d):
        return _conv_cost(module, x, out)
    if isinstance(module, nn.Linear):
        return float(x.numel() // x.shape[-1] * module.in_features * module.out_features)
    if isinstance(module, nn.BatchNorm2d):
        return float(x.numel() * (2 if module.affine else 1))
    if isinstance(module, _ACTIVATIONS):
        return float(x.numel())
    if isinstance(module, (nn.AvgPool2d, nn.MaxPool2d)):
        k_h, k_w = _pair(module.kernel_size)
        return float(out.numel() * k_h * k_w)
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        return _adaptive_pool_cost(x, out)
    if isinstance(module, nn.Upsample):
        return float(out.numel())
    return 0.0


# -- xautodl (NAS-Bench-201 API) --------------------------------------------------------------
def _xautodl_cost(module: nn.Module, x: torch.Tensor, out: torch.Tensor) -> float:
    if isinstance(module, nn.Conv2d):
        return _conv_cost(module, x, out)
    if isinstance(module, nn.Linear):
        rows = x.numel() // x.shape[-1]
        cost = rows * module.in_features * module.out_features
        if module.bias is not None:
            cost += rows * module.out_features
        return float(cost)
    return 0.0


def _pair(value: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    return int(value[0]), int(value[1])


_COST_FUNCTIONS: dict[str, Callable[[nn.Module, torch.Tensor, torch.Tensor], float]] = {
    "suite_zero": _suite_zero_cost,
    "xautodl": _xautodl_cost,
}
