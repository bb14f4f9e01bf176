"""Average pooling without padded zeros, computed as a depthwise convolution.

`nn.AvgPool2d(k, s, p, count_include_pad=False)` is what NB201's and DARTS' `avg_pool_3x3`
ops are, but PyTorch's CPU kernel for it (and above all its backward) is slow: forward +
backward on one thread is 2.5x (64 x 16 x 32 x 32) to 10x (64 x 32 x 16 x 16) slower than
this module (`python3 -m benchmarks.bench_pool`), and `avg_pool2d_backward` was 19 % of
the TE-NAS NTK's profile. `ExcludePadAvgPool2d` sums
each window with a constant all-ones depthwise kernel and divides by the number of real
(unpadded) pixels in it. The result agrees with `nn.AvgPool2d` to float rounding (about
one ulp; the order of the additions differs), has no parameters, and is a subclass of
`nn.AvgPool2d`, so FLOP counters, `repr` and `isinstance` checks treat it as the pool it
replaces.

The cached constants are made with `torch.ones(..., dtype=, device=)`, never from `x`
(`x.new_ones`): under a `torch.func` transform (`vmap`, `jacrev`, `jvp`) `x` is a
wrapped tensor, and a constant made from it would carry the transform's level out of the
call into the cache, failing on the next call ("escaped" batched or dual tensor). Plain
constants are the same in and out of a transform, so the module is transform-safe.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.utils import _pair


class ExcludePadAvgPool2d(nn.AvgPool2d):
    """`nn.AvgPool2d(kernel_size, stride, padding, count_include_pad=False)`, faster on CPU."""

    def __init__(self, kernel_size: int, stride: int = 1, padding: int = 0) -> None:
        super().__init__(kernel_size, stride=stride, padding=padding, count_include_pad=False)
        #: (channels, height, width, dtype, device) -> (all-ones depthwise kernel, 1 / count)
        self._constants: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}

    def _kernel_and_divisor(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        channels, height, width = x.shape[1:]
        key = (channels, height, width, x.dtype, x.device)
        if key not in self._constants:
            window = _pair(self.kernel_size)
            like = {"dtype": x.dtype, "device": x.device}
            ones = torch.ones((1, 1, height, width), **like)
            window_ones = torch.ones((1, 1, *window), **like)
            counts = F.conv2d(ones, window_ones, None, self.stride, self.padding)
            self._constants[key] = (torch.ones((channels, 1, *window), **like), counts.reciprocal())
        return self._constants[key]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:  # unbatched input: PyTorch's own kernel
            return super().forward(x)
        kernel, divisor = self._kernel_and_divisor(x)
        sums = F.conv2d(x, kernel, stride=self.stride, padding=self.padding, groups=x.shape[1])
        return sums * divisor
