"""The proxy contract: registration, what a proxy needs, and the context it reads.

A proxy is a plain function `f(ctx: ProxyContext) -> float` registered with
`@register_proxy(...)`. It never loads data, builds a network from a key or
touches files: everything arrives through the `ProxyContext`, which the engine
prepares once per (architecture, seed) so that every proxy starts from the same
initial weights and the same batch, and shared passes are computed only once.
"""

from __future__ import annotations

import copy
import fnmatch
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from harness.errors import UnknownNameError
from harness.seeds import derive_seed

#: What a proxy may declare it needs. The engine uses this to plan shared passes.
NEEDS: dict[str, str] = {
    "data": "a real image batch",
    "labels": "labels for the batch",
    "second_batch": "a second labelled batch, disjoint from the first (ZiCo's two batches)",
    "loss_grads": "the shared cross-entropy forward/backward (pass A)",
    "input_jacobian": "the shared input-Jacobian pass (pass B)",
    "activations": "ReLU activation codes recorded on pass B's forward",
    "own_pass": "its own forward/backward passes on a private copy of the network",
    "network_variant": "a differently shaped network of the same architecture (e.g. thin)",
    "score_set": "the scores of other proxies over the whole scored set (rank combination)",
}


@dataclass(frozen=True)
class ProxySpec:
    """A registered proxy."""

    name: str
    version: str
    needs: frozenset[str]
    higher_is_better: bool
    description: str
    compute: Callable[[ProxyContext], float]
    #: For set-level proxies (needs "score_set"): the proxies whose scores it combines,
    #: and `combine(scores)` mapping {proxy: array over the scored set} to an array.
    combines: tuple[str, ...] = ()
    combine: Callable[[dict[str, Any]], Any] | None = None
    #: For proxies whose meaning depends on the batch's labels (EPE-NAS): `describe_batch(
    #: labels)` -> a one-line remark on how the batch serves the proxy, or None
    describe_batch: Callable[[Any], str | None] | None = None

    @property
    def data_free(self) -> bool:
        return not ({"data", "labels"} & self.needs)


_REGISTRY: dict[str, ProxySpec] = {}

#: The standard suite: the seed papers' proxies and the usual zero-cost set. Registered
#: variants (e.g. `fisher_fanin`, `synflow_nobn`, `swap_reg`) are named options on top.
STANDARD_PROXIES: tuple[str, ...] = (
    "synflow",
    "snip",
    "grasp",
    "fisher",
    "grad_norm",
    "jacov",
    "plain",
    "l2_norm",
    "params",
    "flops",
    "nwot",
    "epe_nas",
    "zen",
    "ntk_cond",
    "linear_regions",
    "tenas",
    "zico",
    "meco",
    "swap",
)


def register_proxy(
    *,
    name: str,
    version: str,
    needs: tuple[str, ...] | frozenset[str] = (),
    higher_is_better: bool = True,
    description: str,
    combines: tuple[str, ...] = (),
    combine: Callable[[dict[str, Any]], Any] | None = None,
    describe_batch: Callable[[Any], str | None] | None = None,
) -> Callable[[Callable[[ProxyContext], float]], Callable[[ProxyContext], float]]:
    """Decorator registering `fn(ctx) -> float` as proxy `name`."""
    unknown = set(needs) - set(NEEDS)
    if unknown:
        raise ValueError(f"proxy {name!r} declares unknown needs {sorted(unknown)}")

    def decorate(fn: Callable[[ProxyContext], float]) -> Callable[[ProxyContext], float]:
        if name in _REGISTRY and _REGISTRY[name].compute is not fn:
            warnings.warn(f"proxy {name!r} registered twice; the later one wins", stacklevel=2)
        _REGISTRY[name] = ProxySpec(
            name=name,
            version=version,
            needs=frozenset(needs),
            higher_is_better=higher_is_better,
            description=description,
            compute=fn,
            combines=tuple(combines),
            combine=combine,
            describe_batch=describe_batch,
        )
        return fn

    return decorate


def _load_builtin_proxies() -> None:
    # Importing the package registers every built-in proxy module.
    import harness.proxies  # noqa: F401


def get_proxy(name: str) -> ProxySpec:
    _load_builtin_proxies()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError("proxy", name, list(_REGISTRY)) from None


def list_proxies(pattern: str = "*") -> list[str]:
    """Registered proxy names matching a glob pattern, sorted."""
    _load_builtin_proxies()
    return sorted(n for n in _REGISTRY if fnmatch.fnmatchcase(n, pattern))


@dataclass
class ProxyContext:
    """Everything a proxy may read for one (architecture, seed).

    `network` holds the initial weights; proxies never modify it: they call
    `fresh_network()` for a private deep copy (same initial weights every time).
    `build_variant(**options)` builds the same architecture with other options
    (e.g. the thin network for linear regions), freshly initialised from a seed
    derived from this context's seed. `cache` holds the results of shared passes,
    filled lazily by the engine (see harness.proxies.engine).
    """

    network: nn.Module
    images: torch.Tensor | None = None
    labels: torch.Tensor | None = None
    num_classes: int = 10
    seed: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    build_variant: Callable[..., nn.Module] | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    #: (C, H, W) of one input sample, for data-free proxies when there is no batch.
    input_shape: tuple[int, ...] | None = None
    #: a second labelled batch (images, labels), disjoint from the first, for proxies
    #: that need two (ZiCo); None when the caller supplies one batch only
    second_batch: tuple[torch.Tensor, torch.Tensor] | None = None

    def sample_shape(self) -> tuple[int, ...]:
        """(C, H, W) of one input sample: from `images` when present, else `input_shape`."""
        if self.images is not None:
            return tuple(int(d) for d in self.images.shape[1:])
        if self.input_shape is not None:
            return tuple(int(d) for d in self.input_shape)
        raise RuntimeError("this context has neither images nor input_shape")

    def fresh_network(self) -> nn.Module:
        """A private copy of the network with the shared initial weights."""
        return copy.deepcopy(self.network)

    def generator(self, purpose: str) -> torch.Generator:
        """A torch generator seeded from (context seed, purpose), on the CPU."""
        gen = torch.Generator()
        gen.manual_seed(derive_seed(self.seed, purpose))
        return gen

    def variant(self, purpose: str, **options: Any) -> nn.Module:
        """The same architecture built with other options, seeded from (seed, purpose)."""
        if self.build_variant is None:
            raise RuntimeError("this context cannot build network variants")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(derive_seed(self.seed, purpose))
            net = self.build_variant(**options)
        return net.to(self.device)
