"""One call for the leaderboard: every figure of one (score, truth) pairing.

All figures use the same rows, chosen by the failure policy (`harness.stats._rows`):
`n` is the number of architectures compared (finite ground truth), the same under
"drop" and "worst"; `n_failed` how many of them the proxy failed on; `n_used` how many
rows the figures used (n - n_failed under "drop", n under "worst"). With fewer than
MIN_ROWS usable rows every figure is NaN (null in `to_dict`). A constant score gives NaN
correlations (scipy's answer; kept, not replaced by 0), while top-k, top-1, pairwise
accuracy and nDCG@k then show what a random pick would score (every row tied).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from harness.stats._rows import usable_rows
from harness.stats.bootstrap import bootstrap_correlations_shared
from harness.stats.figures import (
    FIGURES,
    SUMMARY_SETTINGS,
    FigureInput,
    check_interval_method,
    compute_figures,
    finite_or_none,
    json_value,
)
from harness.stats.jackknife import jackknife_correlations
from harness.stats.topk import DEFAULT_PERCENTAGES


@dataclass(frozen=True)
class CorrelationSummary:
    """Every figure of `harness.stats.figures.FIGURES` for one proxy (under their keys:
    `kendall`, `kendall_lo`, ..., `top_k`; NaN where undefined), with the failure policy and
    the bootstrap settings they were computed under. A figure reads as an attribute
    (`summary.kendall`)."""

    figures: Mapping[str, Any]
    failures: str
    confidence: float
    n_resamples: int
    seed: int | None
    higher_is_better: bool
    #: how the intervals were made (`INTERVAL_METHODS`); written only when not "bootstrap"
    interval: str = "bootstrap"
    #: figures whose jackknife interval rests on one architecture (written when any)
    unreliable: tuple[str, ...] = ()

    def __getattr__(self, name: str) -> Any:
        figures = self.__dict__.get("figures")
        if figures is not None and name in figures:
            return figures[name]
        raise AttributeError(name)

    def to_dict(self) -> dict[str, Any]:
        """The counts, the failure policy, the other figures, then the settings."""
        counts = {f.name for f in FIGURES.values() if f.count}
        result = {k: json_value(v) for k, v in self.figures.items() if k in counts}
        result["failures"] = self.failures
        result.update((k, json_value(v)) for k, v in self.figures.items() if k not in counts)
        for name in SUMMARY_SETTINGS:
            result[name] = finite_or_none(getattr(self, name))
        if self.interval != "bootstrap":
            result["interval"] = self.interval
        if self.unreliable:
            result["unreliable_intervals"] = list(self.unreliable)
        return result


def summarise(
    score: ArrayLike,
    truth: ArrayLike,
    *,
    higher_is_better: bool = True,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | np.random.Generator = 0,
    top_k: Sequence[float] = DEFAULT_PERCENTAGES,
    failures: str = "drop",
    interval: str = "bootstrap",
) -> CorrelationSummary:
    """Every leaderboard figure (`FIGURES`) for one proxy's scores against the ground
    truth, with failed architectures dropped or ranked worst (`failures`), intervals by
    the percentile bootstrap or the jackknife (`interval`; the jackknife draws nothing,
    so its summary records no resamples: `n_resamples` 0).

    `pairwise_accuracy` is over all pairs of usable rows, an estimator tie
    counting one half (see harness.stats.pairwise); top-k and top-1 break ties
    as expectations over random tie-breaks (see harness.stats.topk).
    """
    rows = usable_rows(score, truth, higher_is_better=higher_is_better, failures=failures)
    data = FigureInput(
        rows=rows,
        score=np.asarray(score),
        truth=np.asarray(truth),
        higher_is_better=higher_is_better,
        n_resamples=n_resamples,
        confidence=confidence,
        seed=seed,
        failures=failures,
        top_k=top_k,
        interval=check_interval_method(interval),
    )
    return _summary(data)


def _summary(data: FigureInput) -> CorrelationSummary:
    seed = data.seed
    jackknife = data.interval == "jackknife"
    return CorrelationSummary(
        figures=MappingProxyType(
            {
                k: MappingProxyType(dict(v)) if isinstance(v, Mapping) else v
                for k, v in compute_figures(data).items()
            }
        ),
        failures=data.failures,
        confidence=data.confidence,
        n_resamples=0 if jackknife else data.n_resamples,
        seed=int(seed) if isinstance(seed, int | np.integer) else None,
        higher_is_better=data.higher_is_better,
        interval=data.interval,
        unreliable=data.bootstrap.unreliable if jackknife else (),
    )


def summarise_shared(
    scores: Sequence[ArrayLike],
    truth: ArrayLike,
    *,
    higher_is_better: bool = True,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    top_k: Sequence[float] = DEFAULT_PERCENTAGES,
    failures: str = "drop",
    interval: str = "bootstrap",
) -> list[CorrelationSummary]:
    """`summarise(score, truth, ...)` for each of `scores` against one truth, equal to it
    figure for figure; the bootstrap's resamples and the truth's share of each replicate
    are computed once for all of them (`bootstrap_correlations_shared`), which makes
    many proxies against one target several times faster. `seed` must be an int.
    With `interval="jackknife"` each score gets its own jackknife (nothing to share)."""
    common = {"higher_is_better": higher_is_better, "confidence": confidence,
              "failures": failures}  # fmt: skip
    if check_interval_method(interval) == "jackknife":
        bootstraps = [jackknife_correlations(score, truth, **common) for score in scores]
    else:
        bootstraps = bootstrap_correlations_shared(
            scores, truth, n_resamples=n_resamples, seed=seed, **common
        )
    summaries = []
    for score, bootstrap in zip(scores, bootstraps, strict=True):
        data = FigureInput(
            rows=usable_rows(score, truth, higher_is_better=higher_is_better, failures=failures),
            score=np.asarray(score),
            truth=np.asarray(truth),
            higher_is_better=higher_is_better,
            n_resamples=n_resamples,
            confidence=confidence,
            seed=seed,
            failures=failures,
            top_k=top_k,
            interval=interval,
        )
        data.bootstrap = bootstrap  # the cached property, computed with the others
        summaries.append(_summary(data))
    return summaries
