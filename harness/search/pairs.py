"""Pairwise ranking accuracy of an estimator on the three pair sets of the search report.

1. `random`: uniform random pairs of a pool of architectures (all pool pairs when the pool
   has no more than the asked number);
2. `margin`: pairs of the pool at least a group distance apart (RD-NAS's margin;
   `harness.spaces.nb201_distance`): all pool pairs above the margin when the pool is
   small enough, else RD-NAS's anchor-and-reject sampler;
3. `trajectory`: the pairs RelativeNAS actually compared during the searches.

Counts are summed over seeds where the estimator depends on the seed (noisy oracle) and
over the searches' seeds for the trajectory pairs, so the accuracy is pooled over all
the pairs. Every set is also split by true accuracy gap (`pairwise_accuracy_by_gap`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.stats import (
    DEFAULT_GAP_EDGES,
    GapBin,
    PairCounts,
    pairwise_accuracy,
    pairwise_accuracy_by_gap,
)
from harness.stats.pair_sampling import (
    PairDistance,
    margin_pairs,
    pairs_at_least,
    random_pairs,
)

PAIR_SETS: tuple[str, ...] = ("random", "margin", "trajectory")


def add_counts(first: PairCounts, second: PairCounts) -> PairCounts:
    return PairCounts(
        concordant=first.concordant + second.concordant,
        discordant=first.discordant + second.discordant,
        estimator_tied=first.estimator_tied + second.estimator_tied,
        truth_tied=first.truth_tied + second.truth_tied,
        failed=first.failed + second.failed,
    )


_ZERO = PairCounts(0, 0, 0, 0, 0)


@dataclass(frozen=True)
class PairSetAccuracy:
    """Pooled pair counts of one pair set, overall and per true-gap bin."""

    name: str
    counts: PairCounts
    by_gap: tuple[GapBin, ...]

    def to_dict(self) -> dict[str, Any]:
        def counts(c: PairCounts) -> dict[str, Any]:
            return {
                "pairs": c.ordered_by_truth,
                "accuracy": c.accuracy,
                "accuracy_untied": c.accuracy_untied,
                "concordant": c.concordant,
                "discordant": c.discordant,
                "estimator_tied": c.estimator_tied,
                "truth_tied": c.truth_tied,
                "failed": c.failed,
            }

        return {
            "name": self.name,
            **counts(self.counts),
            "by_gap": [{"low": b.low, "high": b.high, **counts(b.counts)} for b in self.by_gap],
        }


def pooled_accuracy(
    name: str,
    parts: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]],
    edges: Sequence[float] = DEFAULT_GAP_EDGES,
) -> PairSetAccuracy:
    """Counts summed over (estimate, truth, pairs) parts, each pairs indexing its arrays."""
    total = _ZERO
    bins: list[GapBin] | None = None
    for estimate, truth, pairs in parts:
        total = add_counts(total, pairwise_accuracy(estimate, truth, pairs=pairs))
        part_bins = pairwise_accuracy_by_gap(estimate, truth, pairs=pairs, edges=edges)
        if bins is None:
            bins = list(part_bins)
        else:
            bins = [
                GapBin(b.low, b.high, add_counts(b.counts, p.counts))
                for b, p in zip(bins, part_bins, strict=True)
            ]
    if bins is None:
        bounds = [0.0, *edges, float("inf")]
        bins = [GapBin(bounds[i], bounds[i + 1], _ZERO) for i in range(len(bounds) - 1)]
    return PairSetAccuracy(name=name, counts=total, by_gap=tuple(bins))


def pool_pairs(
    n: int,
    n_pairs: int,
    seed: int,
    distance: PairDistance | None,
    margin: float,
) -> dict[str, np.ndarray]:
    """The random and (given a distance) margin pairs of a pool of n architectures."""
    pairs = {"random": random_pairs(n, n_pairs, seed)}
    if distance is not None:
        if n * (n - 1) // 2 <= n_pairs:
            pairs["margin"] = pairs_at_least(pairs["random"], distance, margin)
        else:
            pairs["margin"] = margin_pairs(n, n_pairs, distance, margin, seed)
    return pairs
