"""The search strategies by name: `relativenas`, `rea`, `random`.

Every strategy is called as `strategy(encoding, evaluator, rng, **options)` and returns a
`SearchTrace`; `get_strategy(name)` is the front door (did-you-mean on a typo).
"""

from __future__ import annotations

from collections.abc import Callable

from harness.errors import UnknownNameError
from harness.search.baselines import random_search, regularized_evolution
from harness.search.relativenas import relativenas_search
from harness.search.trace import SearchTrace

Strategy = Callable[..., SearchTrace]

STRATEGIES: dict[str, Strategy] = {
    "relativenas": relativenas_search,
    "rea": regularized_evolution,
    "random": random_search,
}


def list_strategies() -> list[str]:
    return list(STRATEGIES)


def get_strategy(name: str) -> Strategy:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise UnknownNameError("search strategy", name, list(STRATEGIES)) from None
