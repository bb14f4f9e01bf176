"""RelativeNAS's slow-fast learning (Tan, Cheng et al., TNNLS), over any continuous encoding.

A population of m real vectors (m even) starts uniform in the encoding's box, with zero
velocities. Each generation:

1. a random permutation splits the population into m/2 disjoint pairs;
2. the estimator compares the two members of each pair (their decoded architectures): the
   better one is the fast learner, the other the slow learner; a tie makes the first member
   of the pair fast, as the reference code does;
3. only slow learners move, each with fresh uniform factors r1, r2 in [0, 1)^d:
   v_s <- r1 * v_s + r2 * (x_f - x_s);  x_s <- clip(x_s + v_s, lower, upper).
   The velocity itself is not clipped (as in the reference code); fast learners keep
   their place and velocity.

Estimator calls are counted by the `BudgetedEvaluator`: an unchanged fast learner or a
slow learner that still decodes to a scored cell costs nothing. The search ends when the
budget is spent, or after `stall_generations` generations in a row without a new call (the
population has converged onto cells it has scored).

With a deterministic estimator this is the paper's operator with its weight-sharing
low-fidelity estimate replaced by the estimator; the comparisons it made are logged for
the on-trajectory pairwise accuracy.
"""

from __future__ import annotations

import numpy as np

from harness.errors import ConfigError
from harness.search.budget import BudgetedEvaluator, BudgetExhausted
from harness.search.encoding import ContinuousEncoding, uniform_vectors
from harness.search.trace import SearchTrace

DEFAULT_POPULATION = 20
DEFAULT_STALL_GENERATIONS = 50


def slow_fast_update(
    positions: np.ndarray,
    velocities: np.ndarray,
    fast: np.ndarray,
    slow: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Move the slow learners toward their fast partners, in place (rows `slow`, `fast`)."""
    r1 = rng.random((slow.size, positions.shape[1]))
    r2 = rng.random((slow.size, positions.shape[1]))
    velocities[slow] = r1 * velocities[slow] + r2 * (positions[fast] - positions[slow])
    positions[slow] = np.clip(positions[slow] + velocities[slow], lower, upper)


def relativenas_search(
    encoding: ContinuousEncoding,
    evaluator: BudgetedEvaluator,
    rng: np.random.Generator,
    *,
    population: int = DEFAULT_POPULATION,
    stall_generations: int = DEFAULT_STALL_GENERATIONS,
) -> SearchTrace:
    """Run slow-fast learning until the evaluator's budget is spent (or the search stalls)."""
    if population < 2 or population % 2:
        raise ConfigError(f"relativenas.population must be an even number >= 2, got {population}")
    if stall_generations < 1:
        raise ConfigError(f"relativenas.stall_generations must be >= 1, got {stall_generations}")
    positions = uniform_vectors(encoding, population, rng)
    velocities = np.zeros_like(positions)
    compared: list[tuple[str, str]] = []
    generations, idle, stop = 0, 0, "budget"
    try:
        while evaluator.remaining > 0:
            calls_before = evaluator.calls
            pairs = rng.permutation(population).reshape(population // 2, 2)
            keys = [encoding.decode(x) for x in positions]
            fast = np.empty(len(pairs), dtype=np.intp)
            slow = np.empty(len(pairs), dtype=np.intp)
            for i, (a, b) in enumerate(pairs):
                a_wins = evaluator.compare(keys[a], keys[b]) >= 0
                fast[i], slow[i] = (a, b) if a_wins else (b, a)
                if keys[a] != keys[b]:
                    compared.append((keys[a], keys[b]))
            slow_fast_update(positions, velocities, fast, slow, encoding.lower, encoding.upper, rng)
            generations += 1
            idle = idle + 1 if evaluator.calls == calls_before else 0
            if idle >= stall_generations:
                stop = "stalled"
                break
    except BudgetExhausted:
        pass
    archs, scores = evaluator.evaluated()
    return SearchTrace(
        strategy="relativenas",
        evaluated=tuple(archs),
        scores=tuple(scores),
        requests=evaluator.requests,
        stop_reason=stop,
        compared=tuple(compared),
        iterations=generations,
    )
