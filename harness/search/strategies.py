"""The search strategies by name: `relativenas`, `rea`, `random`.

Every strategy is called as `strategy(encoding, evaluator, rng, **options)` and returns a
`SearchTrace`; `get_strategy(name)` is the front door (did-you-mean on a typo).
"""

from __future__ import annotations

from collections.abc import Callable

from harness.registry import Registry
from harness.search.baselines import random_search, regularized_evolution
from harness.search.relativenas import relativenas_search
from harness.search.trace import SearchTrace

Strategy = Callable[..., SearchTrace]

#: Every search strategy by name, in registration order.
STRATEGIES: Registry[Strategy] = Registry("search strategy")
STRATEGIES.register("relativenas", relativenas_search)
STRATEGIES.register("rea", regularized_evolution)
STRATEGIES.register("random", random_search)


def list_strategies() -> list[str]:
    """The strategies' names in registration order (relativenas, rea, random)."""
    return list(STRATEGIES)


def get_strategy(name: str) -> Strategy:
    """The strategy `name` (UnknownNameError with a did-you-mean otherwise)."""
    return STRATEGIES[name]
