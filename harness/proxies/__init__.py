"""Zero-cost proxies. Front door: `get_proxy`, `list_proxies`, `compute_proxies`.

Every module in this package is imported on first use, so a proxy registers
itself with `@register_proxy` and needs no hand-maintained import list.
"""

from __future__ import annotations

from harness.proxies.base import (
    NEEDS,
    STANDARD_PROXIES,
    ProxyContext,
    ProxySpec,
    derive_seed,
    get_proxy,
    list_proxies,
    register_proxy,
)
from harness.registry import package_modules

package_modules(__name__)()  # every proxy module registers itself (harness.registry)

from harness.proxies.engine import ProxyOutcome, compute_proxies  # noqa: E402

__all__ = [
    "NEEDS",
    "STANDARD_PROXIES",
    "ProxyContext",
    "ProxyOutcome",
    "ProxySpec",
    "compute_proxies",
    "derive_seed",
    "get_proxy",
    "list_proxies",
    "register_proxy",
]
