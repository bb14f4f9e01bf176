"""Baselines under the same budget: random search and regularised evolution (REA).

- Random search draws architectures uniformly (a uniform vector of the encoding, decoded:
  for NB201 every edge's op uniform, so every cell equally likely) until the budget is
  spent.
- REA (Real et al., 2019, "aging evolution"): a population of `population` uniform random
  architectures; then, repeatedly, `sample` members drawn without replacement compete,
  the best by the estimator (ties: the first drawn) is the parent, its mutation (one edge's
  op changed, `encoding.mutate`) joins the population and the oldest member leaves. The
  child joins even when it repeats an architecture already scored (a free request).
  Defaults: population 20 (RelativeNAS's), sample 5 (a quarter of it; NAS-Bench-201's REA
  used 10 of 10 over 25k-second budgets, too greedy at 100 calls).

Both stop after `stall_proposals` proposals in a row that cost no call (a space smaller
than the budget, or an evolution stuck on scored cells).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from harness.errors import ConfigError
from harness.search.budget import BudgetedEvaluator, BudgetExhausted
from harness.search.encoding import ContinuousEncoding
from harness.search.estimators import compare_scores
from harness.search.trace import SearchTrace

DEFAULT_REA_POPULATION = 20
DEFAULT_REA_SAMPLE = 5
DEFAULT_STALL_PROPOSALS = 1000


def _trace(strategy: str, evaluator: BudgetedEvaluator, stop: str, iterations: int):
    archs, scores = evaluator.evaluated()
    return SearchTrace(
        strategy=strategy,
        evaluated=tuple(archs),
        scores=tuple(scores),
        requests=evaluator.requests,
        stop_reason=stop,
        iterations=iterations,
    )


def _check_stall(stall_proposals: int) -> None:
    if stall_proposals < 1:
        raise ConfigError(f"stall_proposals must be >= 1, got {stall_proposals}")


def random_search(
    encoding: ContinuousEncoding,
    evaluator: BudgetedEvaluator,
    rng: np.random.Generator,
    *,
    stall_proposals: int = DEFAULT_STALL_PROPOSALS,
) -> SearchTrace:
    """Uniform random architectures until the budget is spent."""
    _check_stall(stall_proposals)
    proposals, idle, stop = 0, 0, "budget"
    try:
        while evaluator.remaining > 0:
            calls_before = evaluator.calls
            evaluator.evaluate(encoding.random_key(rng))
            proposals += 1
            idle = idle + 1 if evaluator.calls == calls_before else 0
            if idle >= stall_proposals:
                stop = "stalled"
                break
    except BudgetExhausted:  # pragma: no cover - the loop checks `remaining` first
        pass
    return _trace("random", evaluator, stop, proposals)


def regularized_evolution(
    encoding: ContinuousEncoding,
    evaluator: BudgetedEvaluator,
    rng: np.random.Generator,
    *,
    population: int = DEFAULT_REA_POPULATION,
    sample: int = DEFAULT_REA_SAMPLE,
    stall_proposals: int = DEFAULT_STALL_PROPOSALS,
) -> SearchTrace:
    """Aging evolution: tournament of `sample`, mutate the winner, drop the oldest."""
    if population < 1:
        raise ConfigError(f"rea.population must be >= 1, got {population}")
    if not 1 <= sample <= population:
        raise ConfigError(f"rea.sample must lie in 1..population ({population}), got {sample}")
    _check_stall(stall_proposals)
    members: deque[str] = deque()
    proposals, idle, stop = 0, 0, "budget"
    try:
        while len(members) < population and evaluator.remaining > 0:
            key = encoding.random_key(rng)
            evaluator.evaluate(key)
            members.append(key)
            proposals += 1
        while evaluator.remaining > 0:
            calls_before = evaluator.calls
            drawn = rng.choice(len(members), size=sample, replace=False)
            parent = members[drawn[0]]
            for index in drawn[1:]:
                if (
                    compare_scores(evaluator.evaluate(members[index]), evaluator.evaluate(parent))
                    > 0
                ):
                    parent = members[index]
            child = encoding.mutate(parent, rng)
            evaluator.evaluate(child)
            members.append(child)
            members.popleft()
            proposals += 1
            idle = idle + 1 if evaluator.calls == calls_before else 0
            if idle >= stall_proposals:
                stop = "stalled"
                break
    except BudgetExhausted:  # pragma: no cover - the loops check `remaining` first
        pass
    return _trace("rea", evaluator, stop, proposals)
