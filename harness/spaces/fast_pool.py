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

**A cheaper second derivative** (`linear_double_backward`, off by default). grasp's
Hessian-vector product differentiates a backward pass, and PyTorch's double backward of a
convolution (`aten::_convolution_double_backward`) also forms the kernel's gradient, one
small convolution per channel group, although the all-ones kernel is a constant: on an
NB201 cell with pools that was 560 of grasp's 856 `mkldnn_convolution` calls. With the
flag set on an instance, the window sums go through `_DepthwiseSum`: the same forward
(`F.conv2d`) and the same input gradient (`aten::convolution_backward`, the kernel autograd
itself calls), so outputs and first-order gradients are the same bit for bit, while the
derivative of that input gradient is the window sum again (the map is linear in the
incoming gradient and does not depend on the input) with no kernel gradient. A custom
autograd function is not transform-safe, hence the flag: only grasp's private copy sets it.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable
from torch.nn.modules.utils import _pair


class _DepthwiseBackward(torch.autograd.Function):
    """The input gradient of a constant-kernel depthwise convolution (the native kernel);
    its own derivative is that convolution again, so no convolution double backward runs."""

    @staticmethod
    def forward(
        ctx: Any, grad_out: torch.Tensor, x: torch.Tensor, kernel: torch.Tensor, settings: tuple
    ) -> torch.Tensor:
        stride, padding = settings
        (grad_x, _, _) = torch.ops.aten.convolution_backward(
            grad_out, x, kernel, None, stride, padding, [1, 1], False, [0, 0], x.shape[1],
            [True, False, False],
        )  # fmt: skip
        ctx.save_for_backward(kernel)
        ctx.settings = settings
        return grad_x

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, v: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        (kernel,) = ctx.saved_tensors
        stride, padding = ctx.settings
        return F.conv2d(v, kernel, None, stride, padding, 1, v.shape[1]), None, None, None


class _DepthwiseSum(torch.autograd.Function):
    """`F.conv2d(x, kernel, groups=channels)` for a constant kernel, backward through
    `_DepthwiseBackward` (same values and input gradient, bit for bit)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, kernel: torch.Tensor, settings: tuple) -> torch.Tensor:
        stride, padding = settings
        ctx.save_for_backward(x, kernel)
        ctx.settings = settings
        return F.conv2d(x, kernel, None, stride, padding, 1, x.shape[1])

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, kernel = ctx.saved_tensors
        return _DepthwiseBackward.apply(grad_out, x, kernel, ctx.settings), None, None


class ExcludePadAvgPool2d(nn.AvgPool2d):
    """`nn.AvgPool2d(kernel_size, stride, padding, count_include_pad=False)`, faster on CPU."""

    #: differentiate the backward without a convolution double backward (module docstring)
    linear_double_backward: bool = False

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
        if self.linear_double_backward:
            settings = (list(_pair(self.stride)), list(_pair(self.padding)))
            return _DepthwiseSum.apply(x, kernel, settings) * divisor
        sums = F.conv2d(x, kernel, stride=self.stride, padding=self.padding, groups=x.shape[1])
        return sums * divisor
