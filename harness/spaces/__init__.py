"""Search spaces. One module per space; `get_space(name)` is the front door.

Every space module provides the same module-level functions:

- `NAME`: the space's name (`nb201`, `darts`, `nb101`);
- `parse(key) -> Arch`: the architecture value for a canonical key;
- `canonical_key(text) -> str`: validate any accepted textual form and return the canonical key;
- `iso_key(key) -> str`: a key shared by isomorphic (functionally equal) architectures;
- `key_from_naslib(text) -> str`: the canonical key of a NASLib / Suite-Zero key string;
- `sample_keys(n, seed) -> list[str]`: n random canonical keys, deterministic in the seed.

Errors are `harness.errors.ArchitectureError` with a one-line message.

`SPACES` is the one map of spaces: each entry names the space's module and its network
builder's module (see `harness.spaces.networks`), both imported on first use.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from harness.registry import Registry


@dataclass(frozen=True)
class SpaceEntry:
    """A registered search space: the modules of the space and of its network builder."""

    name: str
    module: str
    network_module: str

    def space(self) -> ModuleType:
        """The module implementing the space (imported on first use)."""
        return importlib.import_module(self.module)

    def builder(self) -> ModuleType:
        """The module building the space's networks (imported on first use)."""
        return importlib.import_module(self.network_module)


#: Every search space by name.
SPACES: Registry[SpaceEntry] = Registry("search space")


def register_space(name: str, module: str, network_module: str) -> SpaceEntry:
    """Register search space `name`: its module and its network builder's module."""
    return SPACES.register(name, SpaceEntry(name, module, network_module), stacklevel=2)


register_space("nb201", "harness.spaces.nb201", "harness.spaces.nb201_network")
register_space("darts", "harness.spaces.darts", "harness.spaces.darts_network")
register_space("nb101", "harness.spaces.nb101", "harness.spaces.nb101_network")


def list_spaces() -> list[str]:
    """The registered search spaces' names, sorted."""
    return SPACES.names()


def get_space(name: str) -> ModuleType:
    """The module implementing search space `name`."""
    return SPACES[name].space()
