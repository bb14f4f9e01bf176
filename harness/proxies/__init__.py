"""Zero-cost proxies. Front door: `get_proxy`, `list_proxies`, `compute_proxies`.

Importing the package imports every module in it (`harness.registry.package_modules`),
so a proxy registers itself with `@register_proxy` and needs no hand-maintained import
list; plugins (entry points, `--include` files) are loaded on the first lookup.
"""

from __future__ import annotations

from harness.proxies.base import (
    NEEDS,
    STANDARD_PROXIES,
    ProxyContext,
    ProxySpec,
    get_proxy,
    list_proxies,
    register_proxy,
)
from harness.proxies.limits import DEFAULT_PROXY_TIMEOUT, ProxyTimeout, as_score, time_limit
from harness.proxies.selection import expand_proxies, match_proxies, proxies_with_parts
from harness.registry import package_modules

package_modules(__name__)()  # every proxy module registers itself (harness.registry)

from harness.proxies.engine import ProxyOutcome, compute_proxies  # noqa: E402

__all__ = [
    "DEFAULT_PROXY_TIMEOUT",
    "NEEDS",
    "STANDARD_PROXIES",
    "ProxyContext",
    "ProxyOutcome",
    "ProxySpec",
    "ProxyTimeout",
    "as_score",
    "compute_proxies",
    "expand_proxies",
    "proxies_with_parts",
    "get_proxy",
    "list_proxies",
    "match_proxies",
    "register_proxy",
    "time_limit",
]
