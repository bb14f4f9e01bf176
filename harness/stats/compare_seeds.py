"""Is a change between two runs more than seed and sampling noise? The seed-aware test.

`compare_seeded_runs`: the same proxy in a baseline and a candidate run, each scored under
one or more initial-weight seeds (a list of score mappings, one per seed, keyed by
architecture). delta = mean over the candidate's seeds of stat - the same for the
baseline, tested with the two-level bootstrap of `harness.stats.seeds`:

- architectures are resampled jointly for both runs when both scored the same set
  (paired over architectures; the rows are those with a known truth in both runs),
  independently otherwise;
- seeds are resampled jointly (the same seed positions drawn for both runs) when
  `pair_seeds` is set, which the caller does when both runs used the same seeds and
  batches, so the draw of weights is shared and cancels; independently otherwise, so
  each run's seed noise counts.

A run with one seed contributes no seed noise of its own (one seed cannot show it); its
caller should say so. Interval and p-value as in `harness.stats.compare`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.errors import ConfigError
from harness.stats._rows import check_confidence, check_resamples, make_generator
from harness.stats.compare import KeyedValues, _difference_test, _keyed
from harness.stats.rank import check_statistic
from harness.stats.seeds import (
    SeedColumns,
    mean_over_drawn_seeds,
    per_seed_estimates,
    seed_columns,
    seed_draws,
    statistic_replicates,
)


@dataclass(frozen=True)
class SeededRunDifference:
    """mean-over-seeds stat(candidate) - the baseline's, with its two-level bootstrap test."""

    statistic: str
    baseline: float
    candidate: float
    delta: float
    low: float
    high: float
    p_value: float
    confidence: float
    paired_archs: bool
    paired_seeds: bool
    seeds_baseline: int
    seeds_candidate: int
    n_baseline: int
    n_candidate: int
    n_resamples: int
    n_undefined: int


def _run_matrix(
    scores: Sequence[KeyedValues], truth: KeyedValues, name: str
) -> tuple[pd.DataFrame, pd.Series]:
    """(architectures x seeds) scores and the truth on the same architectures."""
    if not scores:
        raise ValueError(f"{name} has no seeds")
    series = [_keyed(s, f"{name}_score[{k}]") for k, s in enumerate(scores)]
    keys = series[0].index
    for k, other in enumerate(series[1:], start=1):
        if set(other.index) != set(keys):
            raise ValueError(f"{name} seed {k} scored other architectures than seed 0")
    frame = pd.concat([s.reindex(keys) for s in series], axis=1, ignore_index=True)
    return frame, _keyed(truth, f"{name}_truth").reindex(keys)


def compare_seeded_runs(
    baseline_scores: Sequence[KeyedValues],
    baseline_truth: KeyedValues,
    candidate_scores: Sequence[KeyedValues],
    candidate_truth: KeyedValues,
    *,
    higher_is_better: bool = True,
    statistic: str = "kendall",
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | np.random.Generator = 0,
    failures: str = "drop",
    pair_seeds: bool = False,
) -> SeededRunDifference:
    """Two-level bootstrap test of the change of the mean-over-seeds `statistic`."""
    statistic = check_statistic(statistic)
    confidence = check_confidence(confidence)
    n_resamples = check_resamples(n_resamples)
    rng = make_generator(seed)
    base, base_truth = _run_matrix(baseline_scores, baseline_truth, "baseline")
    new, new_truth = _run_matrix(candidate_scores, candidate_truth, "candidate")
    if pair_seeds and base.shape[1] != new.shape[1]:
        raise ConfigError(
            f"seeds can pair only between runs with as many seeds ({base.shape[1]} vs "
            f"{new.shape[1]})"
        )
    paired_archs = set(base.index) == set(new.index)
    if paired_archs:
        new, new_truth = new.loc[base.index], new_truth.loc[base.index]
        known = np.isfinite(base_truth.to_numpy()) & np.isfinite(new_truth.to_numpy())
        base, base_truth = base[known], base_truth[known]
        new, new_truth = new[known], new_truth[known]

    def columns(frame: pd.DataFrame, truth: pd.Series) -> SeedColumns:
        return seed_columns(
            frame.to_numpy().T,
            truth.to_numpy(),
            higher_is_better=higher_is_better,
            failures=failures,
        )

    base_columns, new_columns = columns(base, base_truth), columns(new, new_truth)
    if paired_archs:
        base_reps, new_reps = statistic_replicates(
            [base_columns, new_columns], [statistic], n_resamples, rng
        )
    else:
        (base_reps,) = statistic_replicates([base_columns], [statistic], n_resamples, rng)
        (new_reps,) = statistic_replicates([new_columns], [statistic], n_resamples, rng)
    base_draws = seed_draws(rng, base_columns.n_seeds, n_resamples)
    new_draws = base_draws if pair_seeds else seed_draws(rng, new_columns.n_seeds, n_resamples)
    base_means = mean_over_drawn_seeds(base_reps, base_draws)[0]
    new_means = mean_over_drawn_seeds(new_reps, new_draws)[0]
    baseline = float(np.mean(per_seed_estimates(base_columns, statistic)))
    candidate = float(np.mean(per_seed_estimates(new_columns, statistic)))
    return SeededRunDifference(
        statistic=statistic,
        baseline=baseline,
        candidate=candidate,
        paired_archs=paired_archs,
        paired_seeds=pair_seeds,
        seeds_baseline=base_columns.n_seeds,
        seeds_candidate=new_columns.n_seeds,
        n_baseline=base_columns.n,
        n_candidate=new_columns.n,
        **_difference_test(candidate - baseline, new_means - base_means, confidence),
    )
