"""The search budget: estimator calls, counted as unique architectures scored.

A search asks its `BudgetedEvaluator` for scores. The first request for an architecture
calls the estimator and counts one call; a repeat (an unchanged RelativeNAS fast learner, a
slow learner that decodes to a cell already scored, a REA child equal to an earlier one, a
random draw seen before) is answered from the evaluator's own cache and costs nothing.
`requests` counts every request, repeats included. Once `budget` calls are spent, a request
for a new architecture raises `BudgetExhausted`, which ends the search.

The evaluator keeps the scored architectures in call order: the curves are made from that
log (`harness.search.trace`).
"""

from __future__ import annotations

from harness.errors import ConfigError
from harness.search.estimators import Estimator, compare_scores


class BudgetExhausted(Exception):
    """The search asked for a new architecture after its last estimator call."""


class BudgetedEvaluator:
    """An estimator behind a per-search cache and a budget of unique calls."""

    def __init__(self, estimator: Estimator, budget: int) -> None:
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
            raise ConfigError(f"budget must be a positive integer, got {budget!r}")
        self.estimator = estimator
        self.budget = budget
        self.requests = 0
        self._scores: dict[str, float] = {}

    @property
    def calls(self) -> int:
        """Estimator calls made: unique architectures scored."""
        return len(self._scores)

    @property
    def remaining(self) -> int:
        return self.budget - self.calls

    def evaluate(self, arch: str) -> float:
        """The estimator's score of `arch` (cached); BudgetExhausted for a new one past budget."""
        self.requests += 1
        score = self._scores.get(arch)
        if score is not None:
            return score
        if self.calls >= self.budget:
            raise BudgetExhausted
        score = float(self.estimator.score(arch))
        self._scores[arch] = score
        return score

    def compare(self, first: str, second: str) -> int:
        """1 if `first` is better by the estimator's scores, -1 if `second` is, 0 for a tie."""
        return compare_scores(self.evaluate(first), self.evaluate(second))

    def evaluated(self) -> tuple[list[str], list[float]]:
        """Architectures scored, in call order, and their scores."""
        return list(self._scores), list(self._scores.values())
