"""The architectures `harness check` scores: per space, a typical one and the extremes.

Each space declares (`CHECK_ARCHS` in its module) a typical architecture (the
determinism, needs and permutation checks run on it), its smallest and largest, and its
degenerate ones. An architecture
carries the failure conditions it meets (see `harness.proxies.base.FAILURE_CONDITIONS`),
plus `space:NAME`: a proxy that declares one of them may record a failure there, and must
give a finite score everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import UnknownNameError
from harness.spaces import SPACES, get_space


@dataclass(frozen=True)
class CheckArch:
    space: str
    #: "typical", "smallest", "largest" or "degenerate"
    role: str
    #: a short name, e.g. "all-none"
    label: str
    key: str
    #: failure conditions this architecture meets (space:NAME excluded)
    conditions: frozenset[str] = frozenset()

    @property
    def all_conditions(self) -> frozenset[str]:
        return self.conditions | {f"space:{self.space}"}

    @property
    def name(self) -> str:
        return f"{self.space} {self.label}"


def check_spaces() -> list[str]:
    """The registered spaces that declare the architectures `harness check` scores, in
    the order they were registered."""
    return [s for s in SPACES if getattr(get_space(s), "CHECK_ARCHS", None)]


def check_archs(space: str) -> list[CheckArch]:
    """The architectures of `space` that `harness check` scores, typical first (the
    space module's `CHECK_ARCHS`: each space declares its own extremes)."""
    module = get_space(space)  # UnknownNameError with a did-you-mean
    declared = getattr(module, "CHECK_ARCHS", None)
    if not declared:
        raise UnknownNameError("search space with check architectures", space, check_spaces())
    return [
        CheckArch(space, role, label, module.canonical_key(key), conditions)
        for role, label, key, conditions in declared
    ]
