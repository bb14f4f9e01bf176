"""The proxy contract: registration, what a proxy needs, and the context it reads.

A proxy is a plain function `f(ctx: ProxyContext) -> float` registered with
`@register_proxy(...)`. It never loads data, builds a network from a key or
touches files: everything arrives through the `ProxyContext`, which the engine
prepares once per (architecture, seed) so that every proxy starts from the same
initial weights and the same batch, and shared passes are computed only once.

The registry is one: built-in proxies (the modules of this package), proxies of
installed packages (entry-point group `harness.proxies`, loaded once, on first use) and
proxies of Python files (`--include`, `include = [...]`) all register through
`register_proxy` and differ only in their `origin` (see `harness.proxies.plugins`). A
name already registered by another source is a `ProxyClashError`, unless the newcomer
declares `overrides=True` and the proxy it replaces is a built-in.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import nn

from harness.errors import HarnessError
from harness.registry import Registry
from harness.seeds import derive_seed

#: What a proxy may declare it needs. The engine uses this to plan shared passes.
NEEDS: dict[str, str] = {
    "data": "a real image batch",
    "labels": "labels for the batch",
    "second_batch": "a second labelled batch, disjoint from the first (ZiCo's two batches)",
    "loss_grads": "the shared cross-entropy forward/backward (pass A)",
    "loss_grads_graph": "pass A's gradients with their graph (a Hessian-vector product); "
    "the engine runs such proxies first, so that they build pass A",
    "input_jacobian": "the shared input-Jacobian pass (pass B)",
    "activations": "ReLU activation codes recorded on pass B's forward",
    "own_pass": "its own forward/backward passes on a private copy of the network",
    "network_variant": "a differently shaped network of the same architecture (e.g. thin)",
    "score_set": "the scores of other proxies over the whole scored set (rank combination)",
}


#: Architecture conditions on which a proxy may declare that it legitimately fails
#: (`register_proxy(fails_on={condition: reason})`); `harness check` then expects a
#: recorded failure there, and a score everywhere else. A space is named `space:NAME`
#: (e.g. `space:nb101`: the proxy cannot score that space at all).
FAILURE_CONDITIONS: dict[str, str] = {
    "no_path": "no input -> output path through the cells: the logits do not depend on the "
    "input (e.g. an NB201 cell whose edges are all 'none')",
    "parameter_free": "cells without any parameterised operation (only skips, pools or 'none')",
    "space:NAME": "any architecture of the search space NAME",
}

OriginKind = Literal["builtin", "package", "file", "module"]


@dataclass(frozen=True)
class ProxyOrigin:
    """Where a registered proxy comes from.

    `builtin`: this package. `package`: an installed distribution (`name`, `version`;
    `entry_point` when its entry point loaded it). `file`: a Python file (`name` is its
    absolute path, `sha256` its content). `module`: code that is neither (an interactive
    session, a module of a folder on sys.path): `name` is the module.
    """

    kind: OriginKind = "builtin"
    name: str = ""
    version: str = ""
    sha256: str = ""
    entry_point: str = ""

    @property
    def builtin(self) -> bool:
        return self.kind == "builtin"

    def describe(self) -> str:
        """One short phrase, e.g. `package my-proxies 0.2.0` or `file x.py (sha256 1a2b…)`."""
        if self.kind == "builtin":
            return "built-in"
        if self.kind == "package":
            return f"package {self.name} {self.version}".rstrip()
        if self.kind == "file":
            return f"file {self.name} (sha256 {self.sha256[:12]})"
        return f"module {self.name}"

    def to_dict(self) -> dict[str, str]:
        out = {"kind": self.kind}
        for key in ("name", "version", "sha256", "entry_point"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out

    def same_source(self, other: ProxyOrigin) -> bool:
        """True when both are the same package or the same file (a reload, not a clash)."""
        return (self.kind, self.name) == (other.kind, other.name)


BUILTIN = ProxyOrigin()


class ProxyClashError(HarnessError):
    """Two sources register a proxy under the same name."""


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
    #: the score does not depend on the order of the batch's samples (`harness check`
    #: verifies it by permuting the batch)
    permutation_invariant: bool = False
    #: (condition, reason) pairs: architectures on which the proxy legitimately records a
    #: failure (see `FAILURE_CONDITIONS`)
    fails_on: tuple[tuple[str, str], ...] = ()
    origin: ProxyOrigin = BUILTIN
    #: the built-in this proxy replaces (`register_proxy(overrides=True)`), if any
    overridden: ProxySpec | None = None
    #: For proxies whose meaning depends on the batch's labels (EPE-NAS): `describe_batch(
    #: labels)` -> a one-line remark on how the batch serves the proxy, or None
    describe_batch: Callable[[Any], str | None] | None = None

    @property
    def data_free(self) -> bool:
        return not ({"data", "labels"} & self.needs)

    @property
    def store_version(self) -> str:
        """The version in score-store keys: `version`, tagged by origin for an override, so
        that an overriding proxy never reuses the scores of the built-in it replaces."""
        if self.overridden is None:
            return self.version
        tag = self.origin.name if self.origin.kind != "file" else self.origin.sha256[:12]
        return f"{self.version}+override.{tag}"

    def expected_failure(self, conditions: set[str] | frozenset[str]) -> str | None:
        """The declared reason this proxy fails on an architecture with `conditions`: a
        whole space's reason before a cell's (an NB101 cell without parameters fails
        because the proxy cannot score NB101 at all, whatever the cell)."""
        met = [(c, r) for c, r in self.fails_on if c in conditions]
        met.sort(key=lambda item: not item[0].startswith("space:"))
        return f"{met[0][0]}: {met[0][1]}" if met else None


def _load_builtin_proxies() -> None:
    # deferred: the registry's lazy discovery; importing the package registers every
    # built-in proxy module
    import harness.proxies  # noqa: F401


#: Every registered proxy: built-ins (discovered on first use), plugins and combinations.
#: Duplicates are resolved by `register_proxy` (plugin origins, overrides), which then
#: replaces the entry.
PROXIES: Registry[ProxySpec] = Registry("proxy", discover=_load_builtin_proxies)


def set_level_only(name: str) -> Callable[[ProxyContext], float]:
    """The per-architecture `compute` of a set-level proxy: it only raises, since such a
    proxy is combined from its members' scores over the set (`ProxySpec.combine`)."""

    def compute(ctx: ProxyContext) -> float:
        raise RuntimeError(
            f"{name} is a set-level proxy: it combines its members' scores over the whole "
            "scored set (ProxySpec.combine), so it cannot be computed for one architecture"
        )

    return compute


#: The standard suite: the seed papers' proxies, the usual zero-cost set and, since issue
#: 22, the trainable-layer count (free; the 2024-25 comparisons' trivial baseline). AZ-NAS
#: (`az_nas` and its four components: about 1 s an architecture on the CI machine, +100 s
#: on the default run), VKDNW (7 x the floor), vkdnw_agg and GradSign (3.3 x) are named
#: options: with them the default run would pass 15 minutes on the CI machine. Registered
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
    "layers",
)


#: (origin, module prefix) of the plugins being loaded, innermost last.
_LOADING: list[tuple[ProxyOrigin, str]] = []


@contextmanager
def registering_from(origin: ProxyOrigin, module: str) -> Iterator[None]:
    """Proxies that `module` (or its submodules) registers inside this block come from
    `origin`: the plugin loader says where the code it executes comes from."""
    _LOADING.append((origin, module))
    try:
        yield
    finally:
        _LOADING.pop()


def _origin_of(fn: Callable[..., Any]) -> ProxyOrigin:
    """Where `fn` comes from: the plugin being loaded, else the harness, else its module."""
    module = getattr(fn, "__module__", "") or ""
    for origin, prefix in reversed(_LOADING):
        if module == prefix or module.startswith(prefix + "."):
            return origin
    if module == "harness" or module.startswith("harness."):
        return BUILTIN
    from harness.proxies.plugins import origin_of_module  # deferred: plugins imports base

    return origin_of_module(module)


def _check_declarations(name: str, needs, fails_on: Mapping[str, str]) -> None:
    unknown = set(needs) - set(NEEDS)
    if unknown:
        raise ValueError(f"proxy {name!r} declares unknown needs {sorted(unknown)}")
    for condition, reason in fails_on.items():
        if condition not in FAILURE_CONDITIONS and not (
            condition.startswith("space:") and len(condition) > len("space:")
        ):
            known = ", ".join(FAILURE_CONDITIONS)
            raise ValueError(
                f"proxy {name!r} declares it fails on unknown condition {condition!r} "
                f"(known: {known})"
            )
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"proxy {name!r}: fails_on[{condition!r}] needs a reason")


def register_proxy(
    *,
    name: str,
    version: str,
    needs: tuple[str, ...] | frozenset[str] = (),
    higher_is_better: bool = True,
    description: str,
    combines: tuple[str, ...] = (),
    combine: Callable[[dict[str, Any]], Any] | None = None,
    permutation_invariant: bool = False,
    fails_on: Mapping[str, str] | None = None,
    overrides: bool = False,
    describe_batch: Callable[[Any], str | None] | None = None,
) -> Callable[[Callable[[ProxyContext], float]], Callable[[ProxyContext], float]]:
    """Decorator registering `fn(ctx) -> float` as proxy `name`.

    `needs` (keys of `NEEDS`) is what the engine must prepare; `permutation_invariant`
    says the score ignores the order of the batch; `fails_on` maps conditions of
    `FAILURE_CONDITIONS` to the reason the proxy legitimately fails there; `overrides`
    lets a plugin replace the built-in proxy of the same name (results say so);
    `describe_batch(labels)` remarks how the batch serves a label-dependent proxy.
    """
    failures = dict(fails_on or {})
    _check_declarations(name, needs, failures)

    def decorate(fn: Callable[[ProxyContext], float]) -> Callable[[ProxyContext], float]:
        origin = _origin_of(fn)
        existing = PROXIES.peek(name)
        overridden = None
        if existing is not None and existing.compute is not fn:
            overridden = _resolve_clash(name, existing, origin, overrides)
        elif existing is not None:
            overridden = existing.overridden
        spec = ProxySpec(
            name=name,
            version=version,
            needs=frozenset(needs),
            higher_is_better=higher_is_better,
            description=description,
            compute=fn,
            combines=tuple(combines),
            combine=combine,
            permutation_invariant=permutation_invariant,
            fails_on=tuple(failures.items()),
            origin=origin,
            overridden=overridden,
            describe_batch=describe_batch,
        )
        PROXIES.register(name, spec, replace=True)
        return fn

    return decorate


def _resolve_clash(
    name: str, existing: ProxySpec, origin: ProxyOrigin, overrides: bool
) -> ProxySpec | None:
    """The built-in a new registration of `name` replaces (None: none), or an error."""
    if existing.origin.same_source(origin):  # the same module or file, loaded again
        if existing.origin.builtin:
            warnings.warn(f"proxy {name!r} registered twice; the later one wins", stacklevel=3)
        return existing.overridden
    replaced = existing.overridden or existing
    if overrides and replaced.origin.builtin and existing.overridden is None:
        return existing
    where = f"{origin.describe()} registers proxy {name!r}"
    if existing.origin.builtin:
        raise ProxyClashError(
            f"{where}, which is a built-in proxy: rename it, or declare "
            "register_proxy(..., overrides=True) to replace the built-in (results then say so)"
        )
    raise ProxyClashError(f"{where}, already registered by {existing.origin.describe()}")


def _load_plugins() -> None:
    # The built-ins first (the registry's discovery, once); then installed packages'
    # proxies (entry-point group `harness.proxies`), loaded once, on first use, a failure
    # raised again by every later call.
    PROXIES.discover()
    from harness.proxies.plugins import load_entry_points  # deferred: plugins imports base

    load_entry_points()


def get_proxy(name: str) -> ProxySpec:
    """The registered proxy `name` (UnknownNameError with a did-you-mean otherwise)."""
    _load_plugins()
    return PROXIES[name]


def list_proxies(pattern: str = "*") -> list[str]:
    """Registered proxy names matching a glob pattern, sorted."""
    _load_plugins()
    return PROXIES.names(pattern)


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
