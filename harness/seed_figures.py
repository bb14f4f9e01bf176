"""The leaderboard figures of one proxy scored under several initial-weight seeds.

A row of a multi-seed run reads like a single-seed row, with these meanings:

- `kendall`, `spearman`, `pearson` and (in `extra`) `ndcg`: the mean over the seeds;
  `*_lo` / `*_hi` their two-level bootstrap interval over seeds and architectures
  (`harness.stats.seed_correlations`);
- `n`: architectures compared; `n_failed`: the most any seed failed on (per seed in
  `seed_n_failed`); `n_used`: the fewest rows any seed's figures used;
- top-k, top-1 and pairwise accuracy: means over the seeds;
- `single_seed_*`: the first seed's figures with their architecture-only interval,
  exactly what a single-seed run with that seed reports;
- `seed_kendall` / `seed_spearman` / `seed_ndcg`: each seed's figure; `self_kendall` (and
  `self_kendall_min`): the mean (and lowest) Kendall tau between two seeds' scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from harness.stats import (
    FIGURES,
    SEED_REDUCERS,
    finite_or_none,
    json_value,
    seed_correlations,
    summarise,
)

#: How a multi-seed row's interval was made (recorded in the row).
SEED_INTERVAL = "two-level bootstrap over seeds and architectures"


def seed_summary(
    scores: Sequence[np.ndarray],
    truth: np.ndarray,
    *,
    seeds: Sequence[int],
    higher_is_better: bool,
    n_resamples: int,
    confidence: float,
    seed: int,
    failures: str,
) -> dict[str, Any]:
    """A summary dict (as `CorrelationSummary.to_dict`, for `row_from_summary`) of one
    proxy's scores under each of `seeds` (same architectures, same order): each figure of
    `harness.stats.FIGURES` summarised over the seeds as the figure says (`over_seeds`)."""
    if len(scores) != len(seeds) or len(seeds) < 2:
        raise ValueError(f"need one score vector per seed (>= 2), got {len(scores)}/{len(seeds)}")
    options = dict(
        higher_is_better=higher_is_better,
        n_resamples=n_resamples,
        confidence=confidence,
        seed=seed,
        failures=failures,
    )
    per_seed = [summarise(s, truth, **options).to_dict() for s in scores]
    seeded = seed_correlations(np.stack(scores), truth, **options)
    first = per_seed[0]
    counts: dict[str, Any] = {}
    figures: dict[str, Any] = {}
    for figure in FIGURES.values():
        reduce = SEED_REDUCERS[figure.over_seeds]
        value = reduce([p[figure.name] for p in per_seed], figure.name, seeded)
        entries = {k: json_value(v) for k, v in figure.flatten(value).items()}
        (counts if figure.count else figures).update(entries)
    per_seed_figures = [f for f in FIGURES.values() if f.per_seed]
    summary: dict[str, Any] = {**counts, "failures": failures, **figures}
    summary.update(
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
        higher_is_better=higher_is_better,
        seeds=[int(s) for s in seeds],
        n_seeds=len(seeds),
        interval=SEED_INTERVAL,
        single_seed=int(seeds[0]),
        **{
            f"single_seed_{key}": first[key]
            for figure in per_seed_figures
            if figure.interval
            for key in figure.keys
        },
        **{f"seed_{f.name}": [p[f.name] for p in per_seed] for f in per_seed_figures},
        self_kendall=finite_or_none(seeded.self_kendall),
        self_kendall_min=finite_or_none(seeded.self_kendall_min),
    )
    return summary
