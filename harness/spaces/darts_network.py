"""DARTS / NAS-Bench-301 networks: DARTS' `NetworkCIFAR`, as NAS-Bench-301 trained it.

Macro structure (NB301: init_channels C = 32, 8 layers): stem conv3x3(3 -> 3C, no bias)
+ BN; 8 cells, the ones at layers // 3 and 2 * layers // 3 reduction cells that double the
channels and halve the resolution; global average pooling of the last cell's output and
a Linear classifier. Each cell preprocesses its two inputs (the outputs of the two
previous cells) with ReLU-Conv1x1-BN, input 0 with FactorizedReduce instead when the
previous cell was a reduction cell (input 0 is then at twice the resolution); node k + 2
(k = 0..3) sums its two `(op, input)` pairs; the cell concatenates nodes 2..5. In a
reduction cell the ops reading an input node (0 or 1) have stride 2.

Ops: `max_pool_3x3` / `avg_pool_3x3` (padding 1; avg with count_include_pad=False),
`skip_connect` (identity, or FactorizedReduce when strided), `sep_conv_kxk` (ReLU,
depthwise kxk, pointwise, BN, twice; only the first depthwise conv strided),
`dil_conv_kxk` (ReLU, depthwise kxk with dilation 2, pointwise, BN). Drop path is not
implemented (it is off at initialisation anyway). With `auxiliary=True` the DARTS CIFAR
auxiliary head reads the cell at 2 * layers // 3; as in DARTS it runs only in training
mode, and its logits are kept in `auxiliary_logits` (forward still returns the main
logits only).

Variants:

- `as_trained`: the DARTS evaluation network as NB301 trained it: every BN affine, no BN
  after pooling.
- `proxy_bn`: NASLib's NB301 graph (branch `zerocost`), the network NAS-Bench-Suite-Zero
  scored: cell-op BNs (inside sep/dil convs and the strided skip's FactorizedReduce)
  affine=False, each pooling op followed by BatchNorm2d(affine=False); stem and
  preprocessing BNs affine; no auxiliary head.

Options: `C` (initial channels), `layers` (cells; reductions at layers // 3 and
2 * layers // 3), `auxiliary` (the auxiliary head), `stem_multiplier` (stem width =
stem_multiplier * C, 3 in DARTS) and `depth` (keep only the first `depth` cells; None
keeps all). Preset `tenas_ntk`: TE-NAS's NTK network (see `PRESETS`).

Parameter and FLOP counts against the `params` / `flops` columns of Suite-Zero's
`zc_nasbench301.json` (725 rows, `harness.proxies.complexity`, convention `suite_zero`,
32x32 input):

- `proxy_bn`: equal on all 725 rows, params and FLOPs.
- `as_trained`: params equal on no row: +0.55% .. +1.22% (median +0.98%; +3.2k .. +15.5k
  parameters, median +9.0k: the affine weights and biases of the cell-op BNs); FLOPs
  equal on 2 rows, -0.47% .. +0.78% (median +0.40%: affine BN counts twice, the pooling
  BNs are gone). Rank agreement with the Suite-Zero figures: params Spearman 0.99999,
  Kendall 0.9986; FLOPs Spearman 0.99995.
- `as_trained` with `auxiliary=True`: the head adds a constant 468,234 params for 10
  classes (+37% .. +82%, median +53% over the Suite-Zero figure); FLOPs unchanged, since
  the head does not run in eval mode, where FLOPs are counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from harness.errors import ArchitectureError, ConfigError
from harness.spaces.darts import CONCAT, DartsGenotype
from harness.spaces.fast_pool import ExcludePadAvgPool2d


@dataclass(frozen=True)
class OpNorm:
    """How the ops inside cells are normalised."""

    affine: bool
    bn_after_pool: bool


TRAINED_OP_NORM = OpNorm(affine=True, bn_after_pool=False)
NASLIB_OP_NORM = OpNorm(affine=False, bn_after_pool=True)

VARIANTS: dict[str, dict[str, Any]] = {
    "as_trained": {"op_norm": TRAINED_OP_NORM},
    "proxy_bn": {"op_norm": NASLIB_OP_NORM},
}
OPTIONS: tuple[str, ...] = ("C", "layers", "auxiliary", "stem_multiplier", "depth")
#: Named option sets of reference code. `tenas_ntk`: TE-NAS's NTK network for DARTS
#: (`prune_tenas.py` `model_config`: C 1, N 1, depth 2, stem multiplier 1), i.e. the first
#: two cells (normal at C, reduction at 2C) of the 3-cell layout. TE-NAS's NASNet-style
#: supernet also ends in BN + ReLU before pooling, which DARTS' evaluation network has not.
PRESETS: dict[str, dict[str, Any]] = {
    "tenas_ntk": {"C": 1, "layers": 3, "depth": 2, "stem_multiplier": 1},
}


class ReLUConvBN(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel_size: int, stride: int, padding: int) -> None:
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel_size, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class FactorizedReduce(nn.Module):
    """Halve the resolution with two offset strided 1x1 convs, concatenated, then BN."""

    def __init__(self, c_in: int, c_out: int, affine: bool = True) -> None:
        super().__init__()
        if c_out % 2:
            raise ConfigError(f"FactorizedReduce needs an even channel count, got {c_out}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, padding=0, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, padding=0, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        out = torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1)
        return self.bn(out)


def _relu_dw_pw_bn(
    channels: int, kernel_size: int, stride: int, padding: int, dilation: int, affine: bool
) -> list[nn.Module]:
    return [
        nn.ReLU(inplace=False),
        nn.Conv2d(
            channels,
            channels,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=channels,
            bias=False,
        ),
        nn.Conv2d(channels, channels, 1, padding=0, bias=False),
        nn.BatchNorm2d(channels, affine=affine),
    ]


class SepConv(nn.Module):
    def __init__(self, channels: int, kernel_size: int, stride: int, affine: bool) -> None:
        super().__init__()
        padding = kernel_size // 2
        self.op = nn.Sequential(
            *_relu_dw_pw_bn(channels, kernel_size, stride, padding, 1, affine),
            *_relu_dw_pw_bn(channels, kernel_size, 1, padding, 1, affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class DilConv(nn.Module):
    def __init__(self, channels: int, kernel_size: int, stride: int, affine: bool) -> None:
        super().__init__()
        padding = 2 * (kernel_size // 2)
        self.op = nn.Sequential(*_relu_dw_pw_bn(channels, kernel_size, stride, padding, 2, affine))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


def _pool(kind: str, channels: int, stride: int, norm: OpNorm) -> nn.Module:
    pool: nn.Module
    if kind == "max":
        pool = nn.MaxPool2d(3, stride=stride, padding=1)
    else:
        pool = ExcludePadAvgPool2d(3, stride=stride, padding=1)
    if norm.bn_after_pool:
        return nn.Sequential(pool, nn.BatchNorm2d(channels, affine=False))
    return pool


def _cell_op(name: str, channels: int, stride: int, norm: OpNorm) -> nn.Module:
    if name == "max_pool_3x3":
        return _pool("max", channels, stride, norm)
    if name == "avg_pool_3x3":
        return _pool("avg", channels, stride, norm)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(channels, channels, norm.affine)
    if name == "sep_conv_3x3":
        return SepConv(channels, 3, stride, norm.affine)
    if name == "sep_conv_5x5":
        return SepConv(channels, 5, stride, norm.affine)
    if name == "dil_conv_3x3":
        return DilConv(channels, 3, stride, norm.affine)
    if name == "dil_conv_5x5":
        return DilConv(channels, 5, stride, norm.affine)
    raise ArchitectureError(f"unknown DARTS op {name!r}")


class DartsCell(nn.Module):
    def __init__(
        self,
        pairs: tuple[tuple[str, int], ...],
        c_prev_prev: int,
        c_prev: int,
        channels: int,
        reduction: bool,
        reduction_prev: bool,
        norm: OpNorm,
    ) -> None:
        super().__init__()
        self.reduction = reduction
        if reduction_prev:
            self.preprocess0: nn.Module = FactorizedReduce(c_prev_prev, channels)
        else:
            self.preprocess0 = ReLUConvBN(c_prev_prev, channels, 1, 1, 0)
        self.preprocess1 = ReLUConvBN(c_prev, channels, 1, 1, 0)
        self.ops = nn.ModuleList(
            _cell_op(op, channels, 2 if reduction and source < 2 else 1, norm)
            for op, source in pairs
        )
        self._sources = tuple(source for _, source in pairs)
        self.multiplier = len(CONCAT)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for node in range(len(self._sources) // 2):
            first, second = 2 * node, 2 * node + 1
            states.append(
                self.ops[first](states[self._sources[first]])
                + self.ops[second](states[self._sources[second]])
            )
        return torch.cat([states[i] for i in CONCAT], dim=1)


class AuxiliaryHeadCIFAR(nn.Module):
    """DARTS' auxiliary classifier for an 8x8 input (CIFAR at 32x32)."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),
            nn.Conv2d(channels, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=False),
            nn.Conv2d(128, 768, 2, bias=False),
            nn.BatchNorm2d(768),
            nn.ReLU(inplace=False),
        )
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


class DartsNetwork(nn.Module):
    """DARTS `NetworkCIFAR` for one genotype; `forward` returns logits."""

    def __init__(
        self,
        genotype: DartsGenotype,
        num_classes: int = 10,
        *,
        C: int = 32,
        layers: int = 8,
        auxiliary: bool = False,
        op_norm: OpNorm = TRAINED_OP_NORM,
        stem_multiplier: int = 3,
        depth: int | None = None,
    ) -> None:
        super().__init__()
        self.genotype = genotype
        self.num_classes = num_classes
        self.in_channels = 3
        self._layers = layers
        stem_channels = stem_multiplier * C
        self.stem = nn.Sequential(
            nn.Conv2d(3, stem_channels, 3, padding=1, bias=False), nn.BatchNorm2d(stem_channels)
        )
        c_prev_prev, c_prev, c_curr = stem_channels, stem_channels, C
        self.cells = nn.ModuleList()
        reduction_prev = False
        c_auxiliary = c_prev
        for i in range(layers if depth is None else min(depth, layers)):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            pairs = genotype.reduce if reduction else genotype.normal
            cell = DartsCell(pairs, c_prev_prev, c_prev, c_curr, reduction, reduction_prev, op_norm)
            self.cells.append(cell)
            reduction_prev = reduction
            c_prev_prev, c_prev = c_prev, cell.multiplier * c_curr
            if i == 2 * layers // 3:
                c_auxiliary = c_prev
        self.auxiliary_head = AuxiliaryHeadCIFAR(c_auxiliary, num_classes) if auxiliary else None
        #: The auxiliary head's logits of the last training-mode forward (else None).
        self.auxiliary_logits: torch.Tensor | None = None
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last cell's output, before global pooling."""
        self.auxiliary_logits = None
        s0 = s1 = self.stem(x)
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1)
            if i == 2 * self._layers // 3 and self.auxiliary_head is not None and self.training:
                self.auxiliary_logits = self.auxiliary_head(s1)
        return s1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = self.global_pooling(self.forward_features(x))
        return self.classifier(pooled.flatten(1))


def _as_genotype(genotype: DartsGenotype | Any) -> DartsGenotype:
    if isinstance(genotype, DartsGenotype):
        return genotype
    normal, reduce = getattr(genotype, "normal", None), getattr(genotype, "reduce", None)
    if normal is None or reduce is None:
        raise ArchitectureError(
            f"expected a DARTS genotype with .normal and .reduce, got {genotype!r}"
        )
    return DartsGenotype(normal, reduce)


def build(
    genotype: DartsGenotype | Any,
    *,
    num_classes: int = 10,
    variant: str = "as_trained",
    **options: Any,
) -> DartsNetwork:
    """The network of `genotype` in `variant` (see the module docstring), with `options`."""
    settings = {
        "C": 32,
        "layers": 8,
        "auxiliary": False,
        "stem_multiplier": 3,
        "depth": None,
        **VARIANTS[variant],
        **options,
    }
    for name in ("C", "layers", "stem_multiplier", "depth"):
        value = settings[name]
        if value is None and name == "depth":
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"DARTS option {name} must be a positive integer, got {value!r}")
    if not isinstance(settings["auxiliary"], bool):
        raise ConfigError(
            f"DARTS option auxiliary must be True or False, got {settings['auxiliary']!r}"
        )
    return DartsNetwork(_as_genotype(genotype), num_classes, **settings)
