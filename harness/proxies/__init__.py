"""Zero-cost proxies. Front door: `get_proxy`, `list_proxies`, `compute_proxies`.

Every module in this package is imported on first use, so a proxy registers
itself with `@register_proxy` and needs no hand-maintained import list.
"""

from __future__ import annotations

import importlib
import pkgutil

from harness.proxies.base import (
    NEEDS,
    STANDARD_PROXIES,
    ProxyContext,
    ProxySpec,
    get_proxy,
    list_proxies,
    register_proxy,
)
from harness.proxies.selection import expand_proxies, match_proxies


def _import_all() -> None:
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


_import_all()

from harness.proxies.engine import ProxyOutcome, compute_proxies  # noqa: E402

__all__ = [
    "NEEDS",
    "STANDARD_PROXIES",
    "ProxyContext",
    "ProxyOutcome",
    "ProxySpec",
    "compute_proxies",
    "expand_proxies",
    "get_proxy",
    "list_proxies",
    "match_proxies",
    "register_proxy",
]
