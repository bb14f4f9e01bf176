"""The NAS-Bench-201 one-shot supernet: one choice block per edge, weights shared by subnets.

Macro skeleton as NAS-Bench-201's `TinyNetwork` (harness.spaces.nb201_network): a stem
conv3x3 + BN, N cells at C, a residual reduction block to 2C, N cells at 2C, a block to
4C, N cells at 4C, then BN + ReLU, global average pooling, Dropout and a linear
classifier. Following RD-NAS's reference supernet (PicoNAS `OneShotNASBench201Network`):

- every cell edge is a choice block holding one module per candidate op; a subnet runs
  exactly one candidate per edge, so two subnets choosing the same op on an edge (in the
  same cell) use the same tensors;
- edge e takes the same op in every cell (the reference's `with_alias=True`), so a subnet
  is one NB201 cell;
- BN inside the choice blocks is non-affine (`bn_affine=False`); it tracks running
  statistics so that evaluation may recalibrate them (harness.distill.evaluate);
- Dropout(0.1) before the classifier (reference default; `dropout` changes it).

Stem, reduction blocks and head are shared by every subnet. Width `C` and cells per stage
`N` are options (the reference uses C=16, N=5).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from harness.errors import ArchitectureError, ConfigError
from harness.spaces.nb201 import EDGES, NUM_NODES
from harness.spaces.nb201_network import CellNorm, ReLUConvBN, ResNetBasicBlock, Zero

#: Non-affine BN in the choice blocks, as the reference; running stats kept for recalibration.
CHOICE_NORM = CellNorm(affine=False, track_running_stats=True, conv_bias=False)


def candidate_op(name: str, channels: int, norm: CellNorm = CHOICE_NORM) -> nn.Module:
    """The module of one candidate op at `channels` (stride 1, shape-preserving)."""
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1, 1, norm)
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3, 1, norm)
    raise ArchitectureError(f"unknown NB201 op {name!r}")


class ChoiceBlock(nn.Module):
    """One edge: a module per candidate op; `forward(x, choice)` runs only the chosen one."""

    def __init__(self, ops: Sequence[str], channels: int) -> None:
        super().__init__()
        self.candidates = nn.ModuleList(candidate_op(op, channels) for op in ops)

    def forward(self, x: torch.Tensor, choice: int) -> torch.Tensor:
        return self.candidates[choice](x)


class ChoiceCell(nn.Module):
    """A NB201 cell whose six edges are choice blocks (edges in benchmark-string order)."""

    def __init__(self, ops: Sequence[str], channels: int) -> None:
        super().__init__()
        self.edges = nn.ModuleList(ChoiceBlock(ops, channels) for _ in EDGES)
        self._incoming = tuple(
            tuple((k, source) for k, (source, target) in enumerate(EDGES) if target == node)
            for node in range(1, NUM_NODES)
        )

    def forward(self, x: torch.Tensor, subnet: Sequence[int]) -> torch.Tensor:
        nodes = [x]
        for incoming in self._incoming:
            total = None
            for k, source in incoming:
                out = self.edges[k](nodes[source], subnet[k])
                total = out if total is None else total + out
            nodes.append(total)
        return nodes[-1]


class NB201Supernet(nn.Module):
    """The weight-sharing supernet; `forward(x, subnet)` is the subnet's logits.

    `subnet` is six op indices into `ops` (harness.distill.space), one per edge, applied
    in every cell.
    """

    def __init__(
        self,
        ops: Sequence[str],
        *,
        num_classes: int = 10,
        C: int = 16,
        N: int = 5,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        for name, value in (("C", C), ("N", N)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"supernet {name} must be a positive integer, got {value!r}")
        if not 0 <= dropout < 1:
            raise ConfigError(f"supernet dropout must lie in [0, 1), got {dropout!r}")
        self.ops = tuple(ops)
        self.num_classes = num_classes
        self.stem = nn.Sequential(nn.Conv2d(3, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        channels = [C] * N + [2 * C] + [2 * C] * N + [4 * C] + [4 * C] * N
        reductions = [False] * N + [True] + [False] * N + [True] + [False] * N
        self.layers = nn.ModuleList()
        previous = C
        for current, reduction in zip(channels, reductions, strict=True):
            if reduction:
                self.layers.append(ResNetBasicBlock(previous, current))
            else:
                self.layers.append(ChoiceCell(self.ops, current))
            previous = current
        self.lastact = nn.Sequential(nn.BatchNorm2d(previous), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(previous, num_classes)

    def forward(self, x: torch.Tensor, subnet: Sequence[int]) -> torch.Tensor:
        feature = self.stem(x)
        for layer in self.layers:
            feature = layer(feature, subnet) if isinstance(layer, ChoiceCell) else layer(feature)
        pooled = self.global_pooling(self.lastact(feature)).flatten(1)
        return self.classifier(self.dropout(pooled))

    def subnet_parameters(self, subnet: Sequence[int]) -> list[nn.Parameter]:
        """The parameters a subnet's forward pass uses (shared ones included)."""
        chosen = {
            id(p)
            for layer in self.layers
            if isinstance(layer, ChoiceCell)
            for edge, op in zip(layer.edges, subnet, strict=True)
            for p in edge.candidates[op].parameters()
        }
        choice_params = {
            id(p)
            for layer in self.layers
            if isinstance(layer, ChoiceCell)
            for p in layer.parameters()
        }
        return [p for p in self.parameters() if id(p) not in choice_params or id(p) in chosen]
