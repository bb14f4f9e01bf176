"""SWAP-score (Peng et al., ICLR 2024): distinct sample-wise activation patterns.

Forward S real images through a network re-initialised as in ZenNAS (conv/linear
N(0, 1), BN gamma 1 / beta 0), in train mode under no_grad. Every `nn.ReLU` whose
input is 4-D contributes its outputs, binarised as post-ReLU > 0; concatenated they
form an S x V matrix (samples x neurons). The score is the number of distinct rows of
its transpose, i.e. of distinct per-neuron patterns across the S samples, so
Psi <= min(V, 2^S). Rows are bit-packed before `unique` (never floats). For S <= 20
(the default S = 16) the matrix is never built: each ReLU's hook turns its neurons'
patterns into S-bit integers and marks them in a table of 2^S flags, and Psi is the
number of flags set (the same count, without concatenating and sorting millions of
rows, which took as long as the forwards).

Reference (`pym1024/SWAP@f6049f7`, `src/metrics/swap.py` SWAP, `correlation.py`): S = 16 real
CIFAR-10 images, 32 repeats with a fresh N(0, 1) re-init each, mean of the repeats.
Our default is S = 16 (the first 16 images of `ctx.images`) and **8** repeats, which
keeps the proxy around a second per NB201 network on a CPU; pass `repeats=32` to
`swap_score` for the reference setting. The reference scores its DARTS networks with a
C = 3, one-cell, stem-less net; we score the network the engine built (or a variant,
see `swap_score(variant_options=...)`). On a full NB201 network (millions of ReLU
outputs) Psi comes close to its bound 2^16 = 65,536 (64,100 for one cell we tried), so
differences between large networks are small; that is the reference's setting.

`swap_reg` is the regularised score Psi * exp(-(Theta - mu)^2 / sigma), with Theta
the parameter count in thousands (parameters whose name contains "auxiliary" are left
out, as in the reference). The reference code ships no values for mu and sigma (its
`SWAP(regular=False, mu=None, sigma=None)` leaves them to the caller) and the paper's
values were not found, so the defaults are the harness's: mu = 1500 and sigma = 1.5e6
(thousands), i.e. mu = sigma = 1.5 with Theta in millions as a public port of SWAP
uses; this centres the factor on the largest NB201 networks (about 1.5M parameters).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from harness.proxies.base import ProxyContext, register_proxy
from harness.proxies.zen import gaussian_reinit

DEFAULT_SAMPLES = 16
DEFAULT_REPEATS = 8
DEFAULT_MU = 1500.0
DEFAULT_SIGMA = 1.5e6


def count_unique_rows(codes: np.ndarray) -> int:
    """Number of distinct rows of a 2-D boolean matrix, compared as packed bit strings."""
    codes = np.asarray(codes, dtype=bool)
    if codes.ndim != 2:
        raise ValueError(f"expected a 2-D matrix of codes, got shape {codes.shape}")
    n_rows, n_bits = codes.shape
    if n_rows == 0:
        return 0
    if n_bits == 0:
        return 1
    packed = np.packbits(codes, axis=1)
    padded_bytes = -(-packed.shape[1] // 8) * 8
    if padded_bytes != packed.shape[1]:
        packed = np.pad(packed, ((0, 0), (0, padded_bytes - packed.shape[1])))
    words = np.ascontiguousarray(packed).view(np.uint64)
    if words.shape[1] == 1:
        return int(np.unique(words[:, 0]).size)
    return int(np.unique(words, axis=0).shape[0])


class ReluCodes:
    """Records, per forward, the binary codes (output > 0) of every nn.ReLU with 4-D input.

    `codes()` returns one (batch, neurons) boolean matrix per recorded forward, neurons
    concatenated in call order. Codes are taken inside the hook, so later in-place ops
    cannot change them.
    """

    def __init__(self, net: nn.Module):
        self._current: list[torch.Tensor] = []
        self._handles = [
            module.register_forward_hook(self._record)
            for module in net.modules()
            if isinstance(module, nn.ReLU)
        ]

    def _record(self, _module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        if isinstance(inputs, tuple) and inputs and inputs[0].dim() == 4:
            self._current.append((output.detach() > 0).reshape(output.shape[0], -1).cpu())

    def take(self, batch_size: int) -> np.ndarray:
        """The codes of the forward just run, as a (batch, neurons) bool array; then reset."""
        parts, self._current = self._current, []
        if not parts:
            return np.zeros((batch_size, 0), dtype=bool)
        return torch.cat(parts, dim=1).numpy()

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()


#: Up to this many samples, patterns are counted in a table of 2**S flags (`ReluPatternSet`).
PATTERN_TABLE_MAX_SAMPLES = 20


class ReluPatternSet:
    """The distinct per-neuron binary patterns (output > 0 across the batch of S <=
    `PATTERN_TABLE_MAX_SAMPLES` samples) of every nn.ReLU with 4-D input, per forward.

    Each neuron's pattern is the S-bit integer sum_s 2^s [output[s] > 0], marked in a
    table of 2^S flags (a ReLU of a tensor already recorded in this forward, unchanged,
    adds the same patterns again and is skipped); `take()` returns how many distinct
    patterns the forward just run produced (the number of distinct rows of `ReluCodes`'
    matrix transposed) and resets.
    """

    def __init__(self, net: nn.Module, samples: int):
        if not 0 <= samples <= PATTERN_TABLE_MAX_SAMPLES:
            raise ValueError(f"a pattern table holds 0 to {PATTERN_TABLE_MAX_SAMPLES} samples")
        self.samples = samples
        self._seen: torch.Tensor | None = None
        #: the inputs recorded in this forward (held, so that identity means the same tensor)
        self._inputs: list[tuple[torch.Tensor, int]] = []
        self._handles = [
            module.register_forward_hook(self._record)
            for module in net.modules()
            if isinstance(module, nn.ReLU)
        ]

    def _record(self, _module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        if not (isinstance(inputs, tuple) and inputs and inputs[0].dim() == 4):
            return
        if output.shape[0] != self.samples:
            raise ValueError(f"expected {self.samples} samples, the forward had {output.shape[0]}")
        source = inputs[0]
        if any(seen is source and version == source._version for seen, version in self._inputs):
            return  # a ReLU of a tensor already recorded (NB201: every edge out of a node)
        self._inputs.append((source, source._version))
        active = (output.detach() > 0).reshape(self.samples, -1)
        # sum_s 2^s * active[s] as one product: integers below 2^20, exact in float32
        # (float64 off the CPU, where a TF32 setting could round the product)
        dtype = torch.float32 if active.device.type == "cpu" else torch.float64
        bit_values = 2.0 ** torch.arange(self.samples, dtype=dtype, device=active.device)
        patterns = (bit_values @ active.to(dtype)).to(torch.int64)
        if self._seen is None:
            self._seen = torch.zeros(2**self.samples, dtype=torch.bool, device=active.device)
        self._seen[patterns] = True

    def take(self) -> int:
        """The number of distinct patterns of the forward just run; then reset."""
        seen, self._seen, self._inputs = self._seen, None, []
        return 0 if seen is None else int(seen.sum())

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()


def parameter_count_thousands(net: nn.Module) -> float:
    """Theta of the regulariser: parameters (without auxiliary heads) in thousands."""
    total = sum(p.numel() for name, p in net.named_parameters() if "auxiliary" not in name)
    return total / 1e3


def regular_factor(theta_thousands: float, mu: float, sigma: float) -> float:
    """exp(-(Theta - mu)^2 / sigma), the SWAP size regulariser."""
    return math.exp(-((theta_thousands - mu) ** 2) / sigma)


def swap_score(
    ctx: ProxyContext,
    *,
    samples: int = DEFAULT_SAMPLES,
    repeats: int = DEFAULT_REPEATS,
    regularise: bool = False,
    mu: float = DEFAULT_MU,
    sigma: float = DEFAULT_SIGMA,
    variant_options: Mapping[str, Any] | None = None,
) -> float:
    """Mean SWAP-score over `repeats` Gaussian re-inits (optionally size-regularised).

    `variant_options` scores `ctx.variant("swap", **variant_options)` (e.g. a narrower
    network, as the reference's C = 3 DARTS net) instead of the engine's network.
    """
    if ctx.images is None:
        raise ValueError("swap needs a real image batch (ctx.images is None)")
    cache_key = ("swap", samples, repeats, tuple(sorted((variant_options or {}).items())))
    cached = ctx.cache.get(cache_key)
    if cached is None:
        cached = ctx.cache[cache_key] = _mean_unique_patterns(
            ctx, samples, repeats, variant_options
        )
    score, params_thousands = cached
    if regularise:
        score *= regular_factor(params_thousands, mu, sigma)
    return score


def _mean_unique_patterns(
    ctx: ProxyContext, samples: int, repeats: int, variant_options: Mapping[str, Any] | None
) -> tuple[float, float]:
    """(mean SWAP count over the repeats, parameters in thousands); swap and swap_reg share it."""
    images = ctx.images[:samples].to(ctx.device)
    generator = ctx.generator("swap")
    if variant_options is None:
        net = ctx.fresh_network().to(ctx.device)
    else:
        net = ctx.variant("swap", **variant_options)
    net.train()
    table = images.shape[0] <= PATTERN_TABLE_MAX_SAMPLES
    recorder = ReluPatternSet(net, images.shape[0]) if table else ReluCodes(net)
    counts = []
    try:
        for _ in range(repeats):
            gaussian_reinit(net, generator)
            with torch.no_grad():
                net(images)
            if isinstance(recorder, ReluPatternSet):
                counts.append(recorder.take())
            else:
                counts.append(count_unique_rows(recorder.take(images.shape[0]).T))
    finally:
        recorder.remove()
    return float(np.mean(counts)), parameter_count_thousands(net)


@register_proxy(
    name="swap",
    version="1",
    needs=("data", "own_pass"),
    higher_is_better=True,
    description="SWAP: distinct per-neuron ReLU patterns over 16 images, Gaussian re-init",
)
def swap(ctx: ProxyContext) -> float:
    """SWAP-score, 16 images, 8 repeats (reference: 32); see the module docstring."""
    return swap_score(ctx)


@register_proxy(
    name="swap_reg",
    version="1",
    needs=("data", "own_pass"),
    higher_is_better=True,
    description="SWAP times the size regulariser exp(-(Theta - mu)^2 / sigma), Theta in 1e3",
)
def swap_reg(ctx: ProxyContext) -> float:
    """Regularised SWAP-score, mu = 1500, sigma = 1.5e6 (harness defaults; see docstring)."""
    return swap_score(ctx, regularise=True)
