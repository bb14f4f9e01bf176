"""NAS-Bench-101 networks, built by `nasbench_pytorch` (`nasbench_pytorch.model.Network`).

The package's network (stem ConvBnRelu 3x3 to 128 channels; 3 stacks of 3 cells, a 2x2
max pool between stacks doubling the channels; mean over H, W; Linear) is taken apart
into a plain module: `layers` (the package's stem, cells and pools, unchanged) and
`classifier`, so that `forward_features` (the last cell's output, before the mean) exists
and `forward` returns the logits.

Two adjustments, both documented choices:

- Each package `Cell` holds `Placeholder` modules with a scalar parameter that the forward
  pass never uses, and an empty `dev_param` it reads the device from. These are frozen
  (`requires_grad=False`), so they have no missing gradients to trip gradient-based
  proxies and `count_params` leaves them out. With that,
  the trainable parameter count equals the Suite-Zero `params` figure.
- Weights: `init="pytorch"` (default) resets every Conv2d, BatchNorm2d and Linear to
  PyTorch's default initialisation, as every builder of the harness does (NASLib's NB101
  graph, which Suite-Zero scored, uses the defaults too); `init="package"` keeps
  nasbench_pytorch's own He-normal conv / N(0, 0.01) linear init.

The package's BN settings are kept: momentum 0.997 on the stem and the input
projections (a port of TensorFlow's decay, harmless in train mode), PyTorch's default
elsewhere.

The network depends on the vertex order, not only on the graph: nasbench_pytorch (like
NAS-Bench-101) splits the output channels evenly over the vertices feeding the output and
gives the remainder to the lowest-numbered ones, and upstream widths follow. Isomorphic
specs written in a different order can therefore differ by a channel here and there.
To reproduce a benchmark network exactly, pass the spec in the benchmark's own vertex
order (e.g. `NB101Spec.from_naslib(key)`, pruned by the builder) rather than the
canonical key, whose order is the harness's own.

Counts against Suite-Zero's `zc_nasbench101.json` (500 rows, 32x32 input,
`harness.proxies.complexity` with convention `suite_zero`): built from each row's spec as
given, params and FLOPs equal on every row. Built from the canonical keys, 467 rows are
equal and 33 differ (params -0.11% .. +0.85%, FLOPs -0.19% .. +1.4%).
"""

from __future__ import annotations

from typing import Any

import torch
from nasbench_pytorch.model import Network
from nasbench_pytorch.model.model import Cell, Placeholder
from torch import nn

from harness.errors import ArchitectureError, ConfigError
from harness.spaces.nb101 import NB101Spec

VARIANTS: dict[str, dict[str, Any]] = {"as_trained": {}}
OPTIONS: tuple[str, ...] = ("stem_channels", "num_stacks", "modules_per_stack", "init")
INITS: tuple[str, ...] = ("pytorch", "package")


class NB101Network(nn.Module):
    """A nasbench_pytorch network with `forward_features`; `forward` returns logits."""

    def __init__(
        self,
        spec: NB101Spec,
        num_classes: int = 10,
        *,
        stem_channels: int = 128,
        num_stacks: int = 3,
        modules_per_stack: int = 3,
        init: str = "pytorch",
    ) -> None:
        super().__init__()

        package_network = Network(
            spec.to_model_spec(),
            num_labels=num_classes,
            stem_out_channels=stem_channels,
            num_stacks=num_stacks,
            num_modules_per_stack=modules_per_stack,
        )
        self.spec = spec
        self.num_classes = num_classes
        self.in_channels = 3
        self.layers = package_network.layers
        self.classifier = package_network.classifier
        for module in self.modules():
            if isinstance(module, Placeholder):
                module.a.requires_grad_(False)
            elif isinstance(module, Cell):  # an empty tensor the package reads the device from
                module.dev_param.requires_grad_(False)
        if init == "pytorch":
            for module in self.modules():
                if isinstance(module, (nn.Conv2d, nn.BatchNorm2d, nn.Linear)):
                    module.reset_parameters()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last cell's output, before the mean over H and W."""
        for layer in self.layers:
            x = layer(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.mean(self.forward_features(x), (2, 3)))


def _as_spec(spec: NB101Spec | Any) -> NB101Spec:
    if isinstance(spec, NB101Spec):
        return spec
    matrix, ops = getattr(spec, "matrix", None), getattr(spec, "ops", None)
    if matrix is None or ops is None:
        raise ArchitectureError(f"expected an NB101 spec with .matrix and .ops, got {spec!r}")
    if hasattr(matrix, "tolist"):
        matrix = matrix.tolist()
    return NB101Spec(matrix, tuple(ops))


def build(
    spec: NB101Spec | Any, *, num_classes: int = 10, variant: str = "as_trained", **options: Any
) -> NB101Network:
    """The network of `spec` (see the module docstring), with `options`."""
    settings = {
        "stem_channels": 128,
        "num_stacks": 3,
        "modules_per_stack": 3,
        "init": "pytorch",
        **VARIANTS[variant],
        **options,
    }
    for name in ("stem_channels", "num_stacks", "modules_per_stack"):
        value = settings[name]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"NB101 option {name} must be a positive integer, got {value!r}")
    if settings["init"] not in INITS:
        raise ConfigError(
            f"NB101 option init must be one of {', '.join(INITS)}, got {settings['init']!r}"
        )
    return NB101Network(_as_spec(spec), num_classes, **settings)
