"""Which proxies a request names: patterns -> registered names, set-level ones with parts.

A pattern is a proxy name, a glob (`synflow*`, `*` for every registered proxy) or
`standard` (the standard suite). A set-level proxy (a combination) brings the
per-architecture proxies it combines.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from typing import Any

from harness.errors import ConfigError
from harness.proxies.base import STANDARD_PROXIES, ProxySpec, get_proxy, list_proxies
from harness.proxies.combinations import combination_rule, define_combinations


def match_proxies(pattern: str) -> list[str]:
    """The registered names one pattern names, in order (unknown names fail with a
    did-you-mean, a glob that matches nothing with a ConfigError)."""
    if pattern == "standard":
        matched = list(STANDARD_PROXIES)
    elif any(c in pattern for c in "*?["):
        matched = list_proxies(pattern)
    else:
        matched = [pattern]
    if not matched:
        raise ConfigError(f"no proxy matches {pattern!r}")
    for name in matched:
        get_proxy(name)  # unknown names fail here with a did-you-mean
    return matched


def proxies_with_parts(patterns: Iterable[str]) -> list[str]:
    """Every proxy the patterns name, in order, each set-level proxy right after the
    per-architecture proxies it combines (those not named before it)."""
    names: list[str] = []
    for pattern in patterns:
        for name in match_proxies(pattern):
            spec = get_proxy(name)
            parts = spec.combines if spec.combine is not None else ()
            for part in (*parts, name):
                if part not in names:
                    names.append(part)
    return names


def expand_proxies(patterns: Iterable[str]) -> tuple[list[str], list[str]]:
    """(per-architecture proxies to compute, set-level proxies to combine), in order.

    Patterns are names or globs; `*` is every registered proxy. A set-level proxy
    brings the per-architecture proxies it combines (`proxies_with_parts`, split).
    """
    names = proxies_with_parts(patterns)
    set_level = [name for name in names if get_proxy(name).combine is not None]
    per_arch = [name for name in names if name not in set_level]
    return per_arch, set_level


def requested_patterns(proxies: Iterable[str], combinations: Mapping[str, Any]) -> list[str]:
    """The proxy patterns plus the user-named combinations (registered here), in order;
    `combinations` is a run config's `combinations` table."""

    names = define_combinations(combinations)
    return list(dict.fromkeys([*proxies, *names]))


def is_requested(proxy: str, patterns: Iterable[str]) -> bool:
    """Whether one of the patterns names `proxy` itself (not only as a combination's part)."""
    return any(
        fnmatch.fnmatchcase(proxy, p) or (p == "standard" and proxy in STANDARD_PROXIES)
        for p in patterns
    )


def members_extra(spec: ProxySpec) -> dict[str, object]:
    """What a set-level proxy's row says about its members: their names, and for a
    label-free combination its rule (weights included)."""

    if spec.combine is None:
        return {}
    extra: dict[str, object] = {"members": list(spec.combines)}
    rule = combination_rule(spec)
    if rule is not None:
        extra["combination"] = rule.kind
        if rule.weights:
            extra["weights"] = dict(zip(rule.members, rule.weights, strict=True))
    return extra
