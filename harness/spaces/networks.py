"""Network builders' front door: `build_network(space, key, ...)` and `list_variants(space)`.

Every network returned is a plain `nn.Module` with:

- `forward(x)` -> logits (one tensor);
- `forward_features(x)` -> the feature map just before global average pooling;
- attributes `num_classes`, `in_channels` (channels the input must have) and
  `classifier` (the final Linear).

Builders do not seed: the caller seeds torch (same seed, same initial weights) and the
weights keep PyTorch's default initialisation. A variant names a convention that
changes what the network computes (BN settings); options change its geometry; a preset
names a geometry some reference code uses (e.g. `tenas_ntk`, TE-NAS's small NTK network),
so that a proxy can ask for it without knowing the space. Record all three with any
score computed on the network. The variants and options of each space
are described in its builder module: `nb201_network`, `darts_network`, `nb101_network`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import ModuleType
from typing import Any

import torch
from torch import nn

from harness.errors import ConfigError, UnknownNameError
from harness.spaces import SPACES, get_space


def _builder(space: str) -> ModuleType:
    # the builder's module comes from the one space registry (harness.spaces.SPACES)
    return SPACES[space].builder()


def list_variants(space: str) -> list[str]:
    """The network variants of `space`; the first, `as_trained`, is the default."""
    return list(_builder(space).VARIANTS)


def list_presets(space: str) -> list[str]:
    """The named geometries (option presets) of `space`."""
    return list(getattr(_builder(space), "PRESETS", {}))


def build_network(
    space: str,
    key: str | Any,
    *,
    num_classes: int = 10,
    variant: str = "as_trained",
    preset: str | None = None,
    **options: Any,
) -> nn.Module:
    """The network of the architecture `key` of `space`.

    `key` is a canonical key of the space (or an architecture value the space's `parse`
    returns). `num_classes` sizes the classifier; `variant` is one of
    `list_variants(space)`; `preset` one of `list_presets(space)` (its options, which
    explicit `options` override); `options` are the space's geometry options.
    """
    builder = _builder(space)
    if variant not in builder.VARIANTS:
        raise UnknownNameError(f"{space} network variant", variant, list(builder.VARIANTS))
    if preset is not None:
        presets = getattr(builder, "PRESETS", {})
        if preset not in presets:
            raise UnknownNameError(f"{space} network preset", preset, list(presets))
        options = {**presets[preset], **options}
    unknown = sorted(set(options) - set(builder.OPTIONS))
    if unknown:
        raise ConfigError(
            f"unknown {space} network option(s) {', '.join(unknown)} "
            f"(known: {', '.join(builder.OPTIONS)})"
        )
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
        raise ConfigError(f"num_classes must be a positive integer, got {num_classes!r}")
    arch = get_space(space).parse(key) if isinstance(key, str) else key
    return builder.build(arch, num_classes=num_classes, variant=variant, **options)


def seeded_network(
    space: str,
    key: str | Any,
    *,
    seed: int,
    num_classes: int = 10,
    variant: str = "as_trained",
    device: torch.device | str | None = None,
    **options: Any,
) -> tuple[nn.Module, Callable[..., nn.Module]]:
    """The network of `key` with its initial weights drawn under `seed` (the global torch
    generator forked, so the caller's stream is untouched), moved to `device`, and the
    builder of its variants (`build(**options)`) a proxy context hands to proxies. The
    one way scoring, bench and conformance build the network a proxy scores."""
    build = functools.partial(
        build_network, space, key, num_classes=num_classes, variant=variant, **options
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        network = build()
    return (network if device is None else network.to(device)), build
