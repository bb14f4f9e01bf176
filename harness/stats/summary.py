"""One call for the leaderboard: every figure of one (score, truth) pairing.

All figures use the same rows, chosen by the failure policy (`harness.stats._rows`):
`n` is the number of architectures compared (finite ground truth), the same under
"drop" and "worst"; `n_failed` how many of them the proxy failed on; `n_used` how many
rows the figures used (n - n_failed under "drop", n under "worst"). With fewer than
MIN_ROWS usable rows every figure is NaN (null in `to_dict`). A constant score gives NaN
correlations (scipy's answer; kept, not replaced by 0), while top-k, top-1 and pairwise
accuracy then show what a random pick would score (every row tied).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from harness.stats._rows import MIN_ROWS, usable_rows
from harness.stats.bootstrap import bootstrap_correlations
from harness.stats.pairwise import pairwise_accuracy
from harness.stats.topk import DEFAULT_PERCENTAGES, top_k_overlap, top_ranked


@dataclass(frozen=True)
class CorrelationSummary:
    """Point estimates, bootstrap intervals, top-k and pairwise figures of one proxy."""

    n: int
    n_failed: int
    n_used: int
    failures: str
    kendall: float
    kendall_lo: float
    kendall_hi: float
    spearman: float
    spearman_lo: float
    spearman_hi: float
    pearson: float
    pearson_lo: float
    pearson_hi: float
    top_k: Mapping[float, float]
    top1_accuracy: float
    top1_percentile: float
    pairwise_accuracy: float
    confidence: float
    n_resamples: int
    seed: int | None
    higher_is_better: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe values: NaN/inf become None, top-k keys become strings like "5"."""
        result: dict[str, Any] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "top_k":
                result["top_k"] = {f"{p:g}": _json_number(v) for p, v in value.items()}
            else:
                result[field.name] = _json_number(value)
        return result


def _json_number(value: Any) -> Any:
    if isinstance(value, bool | str | None):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    number = float(value)
    return number if math.isfinite(number) else None


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
) -> CorrelationSummary:
    """Every leaderboard figure for one proxy's scores against the ground truth, with
    failed architectures dropped or ranked worst (`failures`).

    `pairwise_accuracy` is over all pairs of usable rows, an estimator tie
    counting one half (see harness.stats.pairwise); top-k and top-1 break ties
    as expectations over random tie-breaks (see harness.stats.topk).
    """
    rows = usable_rows(score, truth, higher_is_better=higher_is_better, failures=failures)
    bootstrap = bootstrap_correlations(
        score,
        truth,
        higher_is_better=higher_is_better,
        n_resamples=n_resamples,
        confidence=confidence,
        seed=seed,
        failures=failures,
    )
    top = top_ranked(rows.score, rows.truth)
    pairwise = (
        pairwise_accuracy(rows.score, rows.truth).accuracy if rows.n >= MIN_ROWS else float("nan")
    )
    return CorrelationSummary(
        n=rows.n_compared,
        n_failed=rows.n_failed,
        n_used=rows.n,
        failures=failures,
        kendall=bootstrap.kendall.estimate,
        kendall_lo=bootstrap.kendall.low,
        kendall_hi=bootstrap.kendall.high,
        spearman=bootstrap.spearman.estimate,
        spearman_lo=bootstrap.spearman.low,
        spearman_hi=bootstrap.spearman.high,
        pearson=bootstrap.pearson.estimate,
        pearson_lo=bootstrap.pearson.low,
        pearson_hi=bootstrap.pearson.high,
        top_k=MappingProxyType(top_k_overlap(rows.score, rows.truth, percentages=top_k)),
        top1_accuracy=top.accuracy,
        top1_percentile=top.percentile,
        pairwise_accuracy=pairwise,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=int(seed) if isinstance(seed, int | np.integer) else None,
        higher_is_better=higher_is_better,
    )
