"""NAS-Bench-201 networks: xautodl's `TinyNetwork` as the benchmark trained it, and variants.

Macro structure (config `infer.tiny`, C = 16, N = 5): stem conv3x3(3 -> C, no bias) + BN;
N cells at C; a ResNet basic block C -> 2C with stride 2; N cells at 2C; a basic block
2C -> 4C; N cells at 4C; head BN + ReLU, global average pooling, Linear.

- Cell: node i (1..3) is the sum, in source order, of its incoming edges' outputs; the
  cell returns node 3. Ops: `none` multiplies by zero (so NaN/inf still propagate, as in
  xautodl), `skip_connect` is the identity, `avg_pool_3x3` is
  AvgPool2d(3, stride 1, padding 1, count_include_pad=False) (computed as a depthwise
  sum divided by the window's pixel count: `harness.spaces.fast_pool`), `nor_conv_kxk` is
  ReLU -> Conv(k, padding k // 2) -> BN.
- Basic block: ReLU-Conv3x3(stride 2)-BN -> ReLU-Conv3x3-BN, plus a shortcut
  AvgPool2d(2, 2) -> Conv1x1 (no bias, no BN). Its BNs are always affine and tracked.
- BN momentum and eps are PyTorch's defaults (0.1, 1e-5), as in xautodl.

Variants (`VARIANTS`):

- `as_trained`: cell BN affine, tracking running stats, conv without bias. Its counts
  (`harness.proxies.complexity`) equal the Suite-Zero `params` and `flops` columns on
  every row of `zc_nasbench201.json` (CIFAR-10/100 at 32x32, ImageNet16-120 at 16x16,
  num_classes 10 / 100 / 120); with the `xautodl` FLOP convention they reproduce the
  NB201 API's published extremes (smallest and largest cell, three datasets).
- `proxy_bn`: the foresight `NAS201Model` convention of the proxy literature: cell BN
  affine=False, track_running_stats=False, and cell convs WITH bias (foresight sets
  `bias = not affine`); stem, basic blocks and head unchanged. (NASLib's NB201 graph has
  the same BN but no conv bias.) Per conv op it has C fewer parameters (2C BN weights
  gone, C biases added): equal to the Suite-Zero `params` only for the 41 rows per
  dataset without convs, otherwise up to 1.2% lower (median 0.3%); its `suite_zero`
  FLOPs are the same as `as_trained`'s (one count per element for a non-affine BN, one
  per bias instead of two per affine BN).
- `tenas_thin`: TE-NAS's linear-region network (`prune_tenas.py`, `model_config_thin`):
  C = 1, N = 1, depth = 1 (only the first cell), no stem; lastact, pooling and
  classifier kept. Without a stem the first cell reads the input directly, so the input
  must have C channels: TE-NAS feeds 1-channel 3x3 images (a random 3x3 crop of a
  train image, one randomly chosen colour channel, `RandChannel(1)`; input_size
  (1000, 1, 3, 3)). `in_channels` on the network says what it expects. TE-NAS builds its
  thin net from the search supernet (all ops of an edge run, pruned ones weighted 0);
  this is the discrete network of one architecture.

Options (any variant): `C` (stem / first-stage width), `N` (cells per stage), `depth`
(keep only the first `depth` layers, counting cells and basic blocks, like TE-NAS's
`depth`; None keeps all) and `stem` (False: no stem, the input must have C channels).

Presets (named options, any variant): `tenas_ntk` = C 3, N 1 (TE-NAS's NTK network,
`prune_tenas.py` `model_config` for nas-bench-201: stem on, all layers); `tenas_thin` =
C 1, N 1, depth 1, no stem (its linear-region network, `model_config_thin`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from harness.errors import ArchitectureError, ConfigError
from harness.spaces.fast_pool import ExcludePadAvgPool2d
from harness.spaces.nb201 import EDGES, NUM_NODES, NB201Arch


@dataclass(frozen=True)
class CellNorm:
    """How the convolutions inside cells are normalised."""

    affine: bool
    track_running_stats: bool
    conv_bias: bool


TRAINED_CELL_NORM = CellNorm(affine=True, track_running_stats=True, conv_bias=False)
PROXY_CELL_NORM = CellNorm(affine=False, track_running_stats=False, conv_bias=True)

#: Variant name -> the settings it fixes (options may still override C, N, depth, stem).
VARIANTS: dict[str, dict[str, Any]] = {
    "as_trained": {"cell_norm": TRAINED_CELL_NORM},
    "proxy_bn": {"cell_norm": PROXY_CELL_NORM},
    "tenas_thin": {"cell_norm": TRAINED_CELL_NORM, "C": 1, "N": 1, "depth": 1, "stem": False},
}
#: Options a caller may pass to `build`.
OPTIONS: tuple[str, ...] = ("C", "N", "depth", "stem")
#: Named option sets of reference code (see the module docstring).
PRESETS: dict[str, dict[str, Any]] = {
    "tenas_ntk": {"C": 3, "N": 1},
    "tenas_thin": {"C": 1, "N": 1, "depth": 1, "stem": False},
}


class ReLUConvBN(nn.Module):
    def __init__(
        self,
        c_in: int,
        c_out: int,
        kernel_size: int,
        stride: int,
        norm: CellNorm,
    ) -> None:
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(
                c_in,
                c_out,
                kernel_size,
                stride=stride,
                padding=kernel_size // 2,
                bias=norm.conv_bias,
            ),
            nn.BatchNorm2d(c_out, affine=norm.affine, track_running_stats=norm.track_running_stats),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Zero(nn.Module):
    """The `none` op: zeros shaped like the input (x * 0, so NaN and inf propagate)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


def _cell_op(name: str, channels: int, norm: CellNorm) -> nn.Module:
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "avg_pool_3x3":
        return ExcludePadAvgPool2d(3, stride=1, padding=1)
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1, 1, norm)
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3, 1, norm)
    raise ArchitectureError(f"unknown NB201 op {name!r}")


class NB201Cell(nn.Module):
    """One cell: six edges in benchmark-string order (0->1, 0->2, 1->2, 0->3, 1->3, 2->3)."""

    def __init__(self, arch: NB201Arch, channels: int, norm: CellNorm) -> None:
        super().__init__()
        self.edges = nn.ModuleList(_cell_op(op, channels, norm) for op in arch.ops)
        self._incoming = tuple(
            tuple((k, source) for k, (source, target) in enumerate(EDGES) if target == node)
            for node in range(1, NUM_NODES)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for incoming in self._incoming:
            nodes.append(sum(self.edges[k](nodes[source]) for k, source in incoming))
        return nodes[-1]


class ResNetBasicBlock(nn.Module):
    """xautodl's reduction block between stages (stride 2, channels c_in -> c_out)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2, TRAINED_CELL_NORM)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, TRAINED_CELL_NORM)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, stride=1, padding=0, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class NB201Network(nn.Module):
    """The NB201 macro network around one cell; `forward` returns logits."""

    def __init__(
        self,
        arch: NB201Arch,
        num_classes: int = 10,
        *,
        C: int = 16,
        N: int = 5,
        depth: int | None = None,
        stem: bool = True,
        cell_norm: CellNorm = TRAINED_CELL_NORM,
    ) -> None:
        super().__init__()
        self.arch = arch
        self.num_classes = num_classes
        #: Channels the input must have: 3 with a stem, C without.
        self.in_channels = 3 if stem else C
        self.stem = (
            nn.Sequential(nn.Conv2d(3, C, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(C))
            if stem
            else None
        )
        layer_channels = [C] * N + [2 * C] + [2 * C] * N + [4 * C] + [4 * C] * N
        layer_reductions = [False] * N + [True] + [False] * N + [True] + [False] * N
        if depth is not None:
            layer_channels, layer_reductions = layer_channels[:depth], layer_reductions[:depth]
        self.cells = nn.ModuleList()
        c_prev = C
        for c_curr, reduction in zip(layer_channels, layer_reductions, strict=True):
            if reduction:
                self.cells.append(ResNetBasicBlock(c_prev, c_curr))
            else:
                self.cells.append(NB201Cell(arch, c_curr, cell_norm))
            c_prev = c_curr
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The feature map after the head's BN + ReLU, before global pooling."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"NB201 network expects a [B, {self.in_channels}, H, W] input, got {list(x.shape)}"
            )
        feature = self.stem(x) if self.stem is not None else x
        for cell in self.cells:
            feature = cell(feature)
        return self.lastact(feature)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = self.global_pooling(self.forward_features(x))
        return self.classifier(pooled.flatten(1))


def _as_arch(arch: NB201Arch | Any) -> NB201Arch:
    if isinstance(arch, NB201Arch):
        return arch
    ops = getattr(arch, "ops", None)
    if ops is None:
        raise ArchitectureError(f"expected an NB201 architecture with .ops, got {arch!r}")
    return NB201Arch(tuple(ops))


def build(
    arch: NB201Arch | Any, *, num_classes: int = 10, variant: str = "as_trained", **options: Any
) -> NB201Network:
    """The network of `arch` in `variant` (see the module docstring), with `options`."""
    settings = {"C": 16, "N": 5, "depth": None, "stem": True, **VARIANTS[variant], **options}
    for name in ("C", "N"):
        if not isinstance(settings[name], int) or isinstance(settings[name], bool):
            raise ConfigError(
                f"NB201 option {name} must be a positive integer, got {settings[name]!r}"
            )
        if settings[name] < 1:
            raise ConfigError(
                f"NB201 option {name} must be a positive integer, got {settings[name]!r}"
            )
    depth = settings["depth"]
    if depth is not None and (not isinstance(depth, int) or isinstance(depth, bool) or depth < 1):
        raise ConfigError(f"NB201 option depth must be None or a positive integer, got {depth!r}")
    if not isinstance(settings["stem"], bool):
        raise ConfigError(f"NB201 option stem must be True or False, got {settings['stem']!r}")
    return NB201Network(_as_arch(arch), num_classes, **settings)
