"""What one search did, and the curves made from it.

A `SearchTrace` is the log of one search: the architectures it scored, in call order, with
their estimator scores, how many requests it made (repeats included), the pairs it
compared (RelativeNAS's fast/slow decisions) and why it stopped.

`search_curves` turns a trace into per-step figures, step k = after k estimator calls:

- `returned`: the true accuracy of the architecture the search would return, the best by
  the estimator among those it scored (ties: the first scored; a NaN score never wins
  over a number). For RelativeNAS this is the population best: the best member wins its
  pair, so it never moves (the reference code keeps the first of a tied pair, so a tie
  can let a best member move; then the two differ). For REA it is the best in history
  (REA's usual answer), not only the current, aged population;
- `best_evaluated`: the best true accuracy among the architectures scored so far (what an
  oracle looking over the search's shoulder would pick);
- regret = best true accuracy of the space - `returned`.

A search that stopped early (stalled) is carried forward at its last value to the budget.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

#: Why a search stopped: its budget ran out, or it kept proposing architectures it had
#: already scored (a converged population) for the allowed number of rounds.
STOP_REASONS: tuple[str, ...] = ("budget", "stalled")


@dataclass(frozen=True)
class SearchTrace:
    strategy: str
    evaluated: tuple[str, ...]
    scores: tuple[float, ...]
    requests: int
    stop_reason: str
    #: pairs the search compared (unordered, two different architectures), in order
    compared: tuple[tuple[str, str], ...] = ()
    #: generations (RelativeNAS) or proposals (random search, REA) made
    iterations: int = 0
    extra: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.evaluated) != len(self.scores):
            raise ValueError("a trace needs one score per evaluated architecture")
        if self.stop_reason not in STOP_REASONS:
            raise ValueError(f"stop_reason must be one of {STOP_REASONS}, got {self.stop_reason}")

    @property
    def calls(self) -> int:
        return len(self.evaluated)


@dataclass(frozen=True)
class SearchCurves:
    """Per-step figures of one search (index k-1 = after k estimator calls)."""

    returned: np.ndarray
    best_evaluated: np.ndarray
    regret: np.ndarray
    #: the architecture returned after each step
    returned_archs: tuple[str, ...]

    @property
    def final_arch(self) -> str:
        return self.returned_archs[-1]

    def returned_changes(self) -> list[tuple[int, str]]:
        """(step, architecture) where the returned architecture changes; steps from 1."""
        changes = []
        for step, arch in enumerate(self.returned_archs, start=1):
            if not changes or changes[-1][1] != arch:
                changes.append((step, arch))
        return changes


def returned_indices(scores: np.ndarray) -> np.ndarray:
    """Index of the best score among the first k, for every k (ties: earliest; NaN loses)."""
    values = np.where(np.isnan(scores), -np.inf, scores)
    out = np.empty(values.size, dtype=np.intp)
    best, best_value = 0, -math.inf
    for k, value in enumerate(values):
        if value > best_value or k == 0:
            best, best_value = k, value
        out[k] = best
    return out


def search_curves(
    trace: SearchTrace, truth: Mapping[str, float], best: float, budget: int
) -> SearchCurves:
    """The trace's curves over `budget` steps, against the space's best true accuracy."""
    if trace.calls == 0:
        raise ValueError("a search that scored nothing has no curves")
    scores = np.asarray(trace.scores, dtype=float)
    true = np.asarray([truth.get(a, math.nan) for a in trace.evaluated], dtype=float)
    picks = returned_indices(scores)
    returned = true[picks]
    best_evaluated = np.fmax.accumulate(true)
    if trace.calls < budget:
        pad = budget - trace.calls
        returned = np.concatenate([returned, np.full(pad, returned[-1])])
        best_evaluated = np.concatenate([best_evaluated, np.full(pad, best_evaluated[-1])])
    returned, best_evaluated = returned[:budget], best_evaluated[:budget]
    archs = [trace.evaluated[i] for i in picks[:budget]]
    archs += [archs[-1]] * (budget - len(archs))
    return SearchCurves(
        returned=returned,
        best_evaluated=best_evaluated,
        regret=best - returned,
        returned_archs=tuple(archs),
    )
