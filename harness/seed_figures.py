"""The leaderboard figures of one proxy scored under several initial-weight seeds.

A row of a multi-seed run reads like a single-seed row, with these meanings:

- `kendall`, `spearman`, `pearson`: the mean over the seeds; `*_lo` / `*_hi` their
  two-level bootstrap interval over seeds and architectures
  (`harness.stats.seed_correlations`);
- `n`: architectures compared; `n_failed`: the most any seed failed on (per seed in
  `seed_n_failed`); `n_used`: the fewest rows any seed's figures used;
- top-k, top-1 and pairwise accuracy: means over the seeds;
- `single_seed_*`: the first seed's figures with their architecture-only interval,
  exactly what a single-seed run with that seed reports;
- `seed_kendall` / `seed_spearman`: each seed's figure; `self_kendall` (and
  `self_kendall_min`): the mean (and lowest) Kendall tau between two seeds' scores.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from harness.stats import seed_correlations, summarise

#: How a multi-seed row's interval was made (recorded in the row).
SEED_INTERVAL = "two-level bootstrap over seeds and architectures"


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _mean(values: Sequence[Any]) -> float | None:
    """Mean of the values; None when any is missing (undefined for some seed)."""
    numbers = [math.nan if v is None else float(v) for v in values]
    return _number(np.mean(numbers)) if numbers else None


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
    proxy's scores under each of `seeds` (same architectures, same order)."""
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
    summary: dict[str, Any] = {
        "n": first["n"],
        "n_failed": max(p["n_failed"] for p in per_seed),
        "n_used": min(p["n_used"] for p in per_seed),
        "failures": failures,
    }
    for name in ("kendall", "spearman", "pearson"):
        interval = getattr(seeded, name)
        summary[name] = _number(interval.estimate)
        summary[f"{name}_lo"] = _number(interval.low)
        summary[f"{name}_hi"] = _number(interval.high)
    summary["top_k"] = {k: _mean([p["top_k"][k] for p in per_seed]) for k in first["top_k"]}
    for name in ("top1_accuracy", "top1_percentile", "pairwise_accuracy"):
        summary[name] = _mean([p[name] for p in per_seed])
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
            f"single_seed_{name}{end}": first[f"{name}{end}"]
            for name in ("kendall", "spearman")
            for end in ("", "_lo", "_hi")
        },
        seed_kendall=[p["kendall"] for p in per_seed],
        seed_spearman=[p["spearman"] for p in per_seed],
        seed_n_failed=[p["n_failed"] for p in per_seed],
        self_kendall=_number(seeded.self_kendall),
        self_kendall_min=_number(seeded.self_kendall_min),
    )
    return summary
