"""From per-architecture timings to the benchmark's table rows (statistics, no I/O).

Per architecture, every quantity is the median over its repeats; a row's milliseconds
are the median over architectures of those; a row's ratios are the median over
architectures of the per-architecture ratio (paired: both sides were measured on the
same architecture, side by side, under the same load).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from harness.bench.measure import ArchBench, BenchRun, Repeat

FLOOR = "floor (forward+backward)"


@dataclass(frozen=True)
class BenchRow:
    measure: str
    engine_ms: float | None
    naive_ms: float | None = None
    engine_over_naive: float | None = None
    over_floor: float | None = None
    peak_mib: float | None = None
    #: engine and naive scores identical on every architecture ("yes"), or the largest
    #: relative difference
    agree: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _median(values: Sequence[float | None]) -> float | None:
    kept = [v for v in values if v is not None and math.isfinite(v)]
    return statistics.median(kept) if kept else None


def _per_arch(arch: ArchBench, value: Callable[[Repeat], float | None]) -> float | None:
    return _median([value(r) for r in arch.repeats])


def _ratio(top: float | None, bottom: float | None) -> float | None:
    if top is None or bottom is None or bottom <= 0:
        return None
    return top / bottom


def _row(
    run: BenchRun,
    measure: str,
    engine: Callable[[Repeat], float | None],
    naive: Callable[[Repeat], float | None] | None,
    *,
    peak: str | None = None,
    agree: str = "",
) -> BenchRow:
    engine_per_arch = [_per_arch(a, engine) for a in run.archs]
    floor_per_arch = [_per_arch(a, lambda r: r.floor) for a in run.archs]
    naive_per_arch = [_per_arch(a, naive) for a in run.archs] if naive else [None] * len(run.archs)
    peaks = [a.memory[peak].increase_mib for a in run.archs if peak and peak in a.memory]
    engine_ms = _median(engine_per_arch)
    naive_ms = _median(naive_per_arch)
    return BenchRow(
        measure=measure,
        engine_ms=None if engine_ms is None else 1000 * engine_ms,
        naive_ms=None if naive_ms is None else 1000 * naive_ms,
        engine_over_naive=_median(
            [_ratio(e, n) for e, n in zip(engine_per_arch, naive_per_arch, strict=True)]
        ),
        over_floor=_median(
            [_ratio(e, f) for e, f in zip(engine_per_arch, floor_per_arch, strict=True)]
        ),
        peak_mib=_median(peaks),
        agree=agree,
    )


def _naive_sum(names: Sequence[str]) -> Callable[[Repeat], float | None]:
    def total(repeat: Repeat) -> float | None:
        if repeat.naive is None:
            return None
        return sum(repeat.naive[name] for name in names)

    return total


def score_agreement(run: BenchRun, names: Sequence[str]) -> str:
    """ "yes" if engine and naive gave the same status and bits for every arch, else the
    largest relative difference (or "status differs"); "" without naive scores."""
    worst = 0.0
    compared = False
    for arch in run.archs:
        for name in names:
            if name not in arch.naive_scores:
                continue
            compared = True
            (a, status_a), (b, status_b) = arch.engine_scores[name], arch.naive_scores[name]
            if status_a != status_b:
                return "status differs"
            if math.isnan(a) and math.isnan(b) or a == b:
                continue
            worst = max(worst, abs(a - b) / max(abs(a), abs(b)))
    if not compared:
        return ""
    return "yes" if worst == 0.0 else f"{worst:.1e}"


def summarise_bench(run: BenchRun) -> list[BenchRow]:
    naive = run.options.naive
    rows = [_row(run, FLOOR, lambda r: r.floor, None, peak="floor")]
    for name in run.proxies:
        rows.append(
            _row(
                run,
                name,
                lambda r, name=name: r.engine[name],
                (lambda r, name=name: r.naive[name] if r.naive else None) if naive else None,
                agree=score_agreement(run, [name]),
            )
        )
    if run.shared_set:
        rows.append(
            _row(
                run,
                f"shared-pass set ({len(run.shared_set)} proxies)",
                lambda r: r.shared,
                _naive_sum(run.shared_set) if naive else None,
                agree=score_agreement(run, run.shared_set),
            )
        )
    extra = f" + {', '.join(run.set_level)}" if run.set_level else ""
    rows.append(
        _row(
            run,
            f"suite ({len(run.proxies)} per-arch proxies{extra})",
            lambda r: r.suite,
            _naive_sum(run.proxies) if naive else None,
            peak="suite",
            agree=score_agreement(run, run.proxies),
        )
    )
    return rows
