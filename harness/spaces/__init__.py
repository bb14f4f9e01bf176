"""Search spaces. One module per space; `get_space(name)` is the front door.

Every space module provides the same module-level functions:

- `NAME`: the space's name (`nb201`, `darts`, `nb101`);
- `parse(key) -> Arch`: the architecture value for a canonical key;
- `canonical_key(text) -> str`: validate any accepted textual form and return the canonical key;
- `iso_key(key) -> str`: a key shared by isomorphic (functionally equal) architectures;
- `key_from_naslib(text) -> str`: the canonical key of a NASLib / Suite-Zero key string;
- `sample_keys(n, seed) -> list[str]`: n random canonical keys, deterministic in the seed.

Errors are `harness.errors.ArchitectureError` with a one-line message.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from harness.errors import UnknownNameError

_SPACE_MODULES = {
    "nb201": "harness.spaces.nb201",
    "darts": "harness.spaces.darts",
    "nb101": "harness.spaces.nb101",
}


def list_spaces() -> list[str]:
    return sorted(_SPACE_MODULES)


def get_space(name: str) -> ModuleType:
    """The module implementing search space `name`."""
    try:
        module = _SPACE_MODULES[name]
    except KeyError:
        raise UnknownNameError("search space", name, list(_SPACE_MODULES)) from None
    return importlib.import_module(module)
