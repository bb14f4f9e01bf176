"""Which proxies react to which swept key of an ablation, and by how much.

For every swept key, every combination of the other keys' values (the context)
and every proxy, each value of the key is compared with the key's first value:
delta = stat(value) - stat(first), tested with `harness.stats.compare_runs` on
the stored per-architecture values (paired when both settings scored the same
architectures, which they do unless the sweep changes the sample). A proxy is
called sensitive to a key when at least one of its changes is significant at
`alpha`; no correction for the number of tests is applied, so read single
borderline p-values with care (the table gives them all).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.report.documents import LoadedDocument, setting_label
from harness.report.sweeps import ablation_contexts, ablation_grid, ablation_rows
from harness.results import PerArchValues, ResultRow
from harness.stats import compare_runs


@dataclass(frozen=True)
class SettingChange:
    """stat(key = value) - stat(key = first value) for one proxy in one context."""

    proxy: str
    parameter: str
    context: str
    from_value: Any
    to_value: Any
    before: float
    after: float
    delta: float
    low: float
    high: float
    p_value: float
    paired: bool
    n: int


@dataclass(frozen=True)
class Sensitivity:
    """How much one proxy moved along one swept key, over all contexts."""

    proxy: str
    parameter: str
    changes: int
    significant: int
    mean_abs_delta: float
    largest_delta: float


def _keyed(values: PerArchValues, proxy: str) -> tuple[dict[str, float], dict[str, float]]:
    def number(v: float | None) -> float:
        return np.nan if v is None else float(v)

    score = {a: number(s) for a, s in zip(values.archs, values.scores[proxy], strict=True)}
    truth = {a: number(t) for a, t in zip(values.archs, values.truth, strict=True)}
    return score, truth


def _find(rows: list[ResultRow], proxy: str, wanted: dict[str, Any]) -> ResultRow | None:
    return next((r for r in rows if r.proxy == proxy and r.extra["ablation"] == wanted), None)


def _per_arch(source: LoadedDocument, row: ResultRow) -> PerArchValues | None:
    index = row.extra.get("setting")
    per_arch = source.document.per_arch
    if (
        isinstance(index, int)
        and 0 <= index < len(per_arch)
        and row.proxy in per_arch[index].scores
    ):
        return per_arch[index]
    return None


def setting_changes(
    source: LoadedDocument,
    *,
    statistic: str = "kendall",
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> list[SettingChange]:
    """Every (proxy, key, context, value) change against the key's first value."""
    grid = ablation_grid(source)
    rows = ablation_rows(source)
    proxies = list(dict.fromkeys(r.proxy for r in rows))
    changes = []
    for parameter, values in grid.items():
        for context in ablation_contexts(grid, parameter):
            for proxy in proxies:
                base_row = _find(rows, proxy, {**context, parameter: values[0]})
                base_values = _per_arch(source, base_row) if base_row else None
                for value in values[1:]:
                    row = _find(rows, proxy, {**context, parameter: value})
                    row_values = _per_arch(source, row) if row else None
                    if base_values is None or row_values is None:
                        continue
                    difference = compare_runs(
                        *_keyed(base_values, proxy),
                        *_keyed(row_values, proxy),
                        higher_is_better=row.higher_is_better,
                        statistic=statistic,
                        n_resamples=n_resamples,
                        confidence=confidence,
                        seed=seed,
                    )
                    changes.append(
                        SettingChange(
                            proxy=proxy,
                            parameter=parameter,
                            context=setting_label(context),
                            from_value=values[0],
                            to_value=value,
                            before=difference.baseline,
                            after=difference.candidate,
                            delta=difference.delta,
                            low=difference.low,
                            high=difference.high,
                            p_value=difference.p_value,
                            paired=difference.paired,
                            n=min(difference.n_baseline, difference.n_candidate),
                        )
                    )
    return changes


def sensitivities(changes: list[SettingChange], alpha: float = 0.05) -> list[Sensitivity]:
    """Per (proxy, key): how many changes, how many significant, mean |delta|, largest delta;
    most sensitive first."""
    grouped: dict[tuple[str, str], list[SettingChange]] = {}
    for change in changes:
        grouped.setdefault((change.proxy, change.parameter), []).append(change)
    summary = []
    for (proxy, parameter), items in grouped.items():
        deltas = [c.delta for c in items if math.isfinite(c.delta)]
        significant = sum(1 for c in items if math.isfinite(c.p_value) and c.p_value < alpha)
        summary.append(
            Sensitivity(
                proxy=proxy,
                parameter=parameter,
                changes=len(items),
                significant=significant,
                mean_abs_delta=float(np.mean(np.abs(deltas))) if deltas else math.nan,
                largest_delta=max(deltas, key=abs) if deltas else math.nan,
            )
        )
    summary.sort(key=lambda s: (s.parameter, -s.significant, -_nan_low(s.mean_abs_delta)))
    return summary


def _nan_low(value: float) -> float:
    return value if math.isfinite(value) else -math.inf


def _n(value: float, digits: int = 3) -> str:
    return f"{value:+.{digits}f}" if math.isfinite(value) else "—"
