"""The one list of leaderboard figures.

A figure is what a leaderboard says about one proxy on one (space, dataset, target):
Kendall tau, top-k overlap, pairwise accuracy... Each is declared once here, in
`FIGURES`, with everything other rooms need to know about it:

- `compute`: how it is computed from one proxy's usable rows (`FigureInput`); a number,
  an `Interval` (estimate with its bootstrap ends, written `name`, `name_lo`, `name_hi`)
  or a mapping of numbers (top-k: one value per percentage);
- `over_seeds`: how a multi-seed row summarises it over the seeds (`SEED_REDUCERS`:
  the two-level seed bootstrap for the correlations, a mean, the first seed, max, min);
- `over_splits`: how repeated train/held-out splits summarise it (`"pooled"`: the
  pooled-splits interval of `harness.stats.splits`; `None`: not computed per split);
- `higher_is_better`: its direction (None for a count);
- `label`, `digits`, `tables`: how it is displayed and in which tables
  (`"leaderboard"`, `"report"`); `column`: whether a results row keeps it as a typed
  field (`harness.results.ResultRow`) rather than in the row's `extra`;
- `bounds`, `hint`: what a results document may hold for it (checked on read).

`summarise`, the seed summaries, results documents (columns, checks, extras), the
leaderboard and report tables, the failure-policy rescoring and the gate all read this
list. A new figure (say nDCG@k) is one `register_figure(Figure(...))` plus its function;
it then appears in every run's rows, leaderboards and reports.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from harness.errors import ConfigError
from harness.registry import Registry
from harness.stats._rows import MIN_ROWS, UsableRows
from harness.stats.bootstrap import BootstrapCorrelations, Interval, bootstrap_correlations
from harness.stats.jackknife import jackknife_correlations
from harness.stats.pairwise import pairwise_accuracy
from harness.stats.topk import DEFAULT_PERCENTAGES, TopRanked, top_k_overlap, top_ranked

#: Ends of an interval figure, as suffixes of its name.
INTERVAL_ENDS: tuple[str, ...] = ("", "_lo", "_hi")
#: The settings a summary records beside its figures (in this order, after them).
SUMMARY_SETTINGS: tuple[str, ...] = ("confidence", "n_resamples", "seed", "higher_is_better")
#: How interval figures get their intervals: the paired percentile bootstrap (default) or
#: the jackknife's normal interval (`harness.stats.jackknife`: no resampling, for whole
#: spaces). A summary records a method other than the default under `interval`.
INTERVAL_METHODS: tuple[str, ...] = ("bootstrap", "jackknife")


def check_interval_method(method: str) -> str:
    """`method` if it is one of INTERVAL_METHODS, else ConfigError."""
    if method not in INTERVAL_METHODS:
        raise ConfigError(
            f"unknown interval method {method!r} (known: {', '.join(INTERVAL_METHODS)})"
        )
    return method


def finite_or_none(value: Any) -> Any:
    """`value` as JSON would hold it: NaN/inf become None, numpy numbers plain ones;
    booleans, strings and None unchanged."""
    if isinstance(value, bool | str | None):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    number = float(value)
    return number if math.isfinite(number) else None


def json_value(value: Any) -> Any:
    """A figure's value as a document holds it: `finite_or_none`, a mapping's keys as
    short strings (top-k percentage 5.0 -> "5")."""
    if isinstance(value, Mapping):
        return {k if isinstance(k, str) else f"{k:g}": finite_or_none(v) for k, v in value.items()}
    return finite_or_none(value)


@dataclass
class FigureInput:
    """What a figure is computed from: one proxy's usable rows (`harness.stats._rows`,
    failure policy applied, score oriented) and the original vectors with the settings
    of the bootstrap. Shared work (the bootstrap, the top-ranked pick) is done once."""

    rows: UsableRows
    score: np.ndarray
    truth: np.ndarray
    higher_is_better: bool
    n_resamples: int
    confidence: float
    seed: int | np.random.Generator
    failures: str
    top_k: Sequence[float] = DEFAULT_PERCENTAGES
    #: how the interval figures get their intervals (`INTERVAL_METHODS`)
    interval: str = "bootstrap"

    @cached_property
    def bootstrap(self) -> BootstrapCorrelations:
        """The interval figures (Kendall, Spearman, Pearson, nDCG) with their intervals:
        percentile bootstrap, or jackknife normal (`harness.stats.jackknife`)."""
        common = {"higher_is_better": self.higher_is_better, "confidence": self.confidence,
                  "failures": self.failures}  # fmt: skip
        if check_interval_method(self.interval) == "jackknife":
            return jackknife_correlations(self.score, self.truth, **common)
        return bootstrap_correlations(
            self.score, self.truth, n_resamples=self.n_resamples, seed=self.seed, **common
        )

    @cached_property
    def top(self) -> TopRanked:
        return top_ranked(self.rows.score, self.rows.truth)


#: How a multi-seed row summarises a figure over its seeds: each takes the per-seed
#: values (None where undefined) and the two-level seed bootstrap's result.
def _mean(values: Sequence[Any]) -> float | None:
    """Mean of the values; None when any is missing (undefined for some seed)."""
    numbers = [math.nan if v is None else float(v) for v in values]
    return finite_or_none(np.mean(numbers)) if numbers else None


def _mean_over_seeds(values: Sequence[Any], _name: str, _seeded: Any) -> Any:
    if values and isinstance(values[0], Mapping):
        return {k: _mean([v[k] for v in values]) for k in values[0]}
    return _mean(values)


def _seed_bootstrap(_values: Sequence[Any], name: str, seeded: Any) -> Interval:
    return getattr(seeded, name)


SEED_REDUCERS: dict[str, Callable[[Sequence[Any], str, Any], Any]] = {
    "seed-bootstrap": _seed_bootstrap,
    "mean": _mean_over_seeds,
    "first": lambda values, _name, _seeded: values[0],
    "max": lambda values, _name, _seeded: max(values),
    "min": lambda values, _name, _seeded: min(values),
}


@dataclass(frozen=True)
class Figure:
    """One leaderboard figure (see the module docstring for each field's reader)."""

    name: str
    compute: Callable[[FigureInput], Any]
    over_seeds: str = "mean"
    over_splits: str | None = None
    higher_is_better: bool | None = True
    label: str = ""
    digits: int = 3
    tables: frozenset[str] = field(default_factory=frozenset)
    column: bool = False
    interval: bool = False
    bounds: tuple[float, float] | None = None
    hint: Any = float | None
    #: a count of rows (listed first in a summary, before the failure policy)
    count: bool = False
    #: shown as "estimate [low, high]" (an interval figure may show its estimate alone)
    show_interval: bool = False
    #: how a value is written in a table (default: `digits` decimals, "—" when missing)
    text: Callable[[Any], str] | None = None
    #: keep each seed's value (`seed_<name>`) and, for an interval, the first seed's
    #: figure with its interval (`single_seed_<name>`) in a multi-seed row
    per_seed: bool = False
    #: why it is undefined against a lower-is-better target (ranked against its negation),
    #: for the tables to say ("" when it is defined there)
    undefined_negated: str = ""

    def __post_init__(self) -> None:
        if self.over_seeds not in SEED_REDUCERS:
            raise ValueError(
                f"figure {self.name!r}: over_seeds must be one of {', '.join(SEED_REDUCERS)}"
            )

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys it is written under: `name`, plus `name_lo`, `name_hi` for an interval."""
        return (
            tuple(f"{self.name}{end}" for end in INTERVAL_ENDS) if self.interval else (self.name,)
        )

    def flatten(self, value: Any) -> dict[str, Any]:
        """Its value as summary entries: an interval as `name`, `name_lo`, `name_hi`."""
        if self.interval:
            return {self.name: value.estimate, f"{self.name}_lo": value.low,
                    f"{self.name}_hi": value.high}  # fmt: skip
        return {self.name: value}

    def cell(self, row: Any) -> str:
        """Its value in a results row as a table shows it."""
        value = self.value_of(row)
        if self.text is not None:
            return self.text(value)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        if self.show_interval:
            _, low, high = self.ends(row)
            if low is not None and high is not None:
                # † a jackknife interval resting on one architecture (`stats.jackknife`)
                mark = " †" if self.name in row.extra.get("unreliable_intervals", ()) else ""
                return f"{value:.3f} [{low:.3f}, {high:.3f}]{mark}"
        if self.digits == 0:
            return str(value)
        return f"{value:.{self.digits}f}"

    def value_of(self, row: Any, key: str | None = None) -> Any:
        """Its value in a results row (a typed field or an `extra` entry), or None; `key`
        reads another of its keys (an interval end, `name_lo`)."""
        key = self.name if key is None else key
        if self.column:
            return getattr(row, key, None)
        return row.extra.get(key)

    def ends(self, row: Any) -> tuple[Any, Any, Any]:
        """(value, low, high) of an interval figure in a results row (None where missing)."""
        return (
            self.value_of(row),
            self.value_of(row, f"{self.name}_lo"),
            self.value_of(row, f"{self.name}_hi"),
        )


FIGURES: Registry[Figure] = Registry("figure", on_duplicate="error")
#: The figure proxies and methods are ranked and compared by where one figure is chosen
#: (combine's comparators, distill's summary): Kendall τ.
COMPARED_BY = "kendall"


def register_figure(figure: Figure, *, replace: bool = False) -> Figure:
    """Add a figure to `FIGURES` (in order: it is listed after those registered before)."""
    return FIGURES.register(figure.name, figure, replace=replace)


def list_figures(
    *,
    column: bool | None = None,
    table: str | None = None,
    interval: bool | None = None,
    pooled: bool | None = None,
) -> list[Figure]:
    """The registered figures in order, optionally only typed columns (or only extras),
    only those a table shows, only intervals (or only plain values), only those pooled
    over repeated train/held-out splits (or only those that are not).

    `list_figures(column=True, interval=True)` are the correlations (Kendall τ,
    Spearman ρ, Pearson r): what distill's and combine's own tables show."""
    return [
        f
        for f in FIGURES.values()
        if (column is None or f.column == column)
        and (table is None or table in f.tables)
        and (interval is None or f.interval == interval)
        and (pooled is None or (f.over_splits == "pooled") == pooled)
    ]


def figure_keys(*, column: bool | None = None, bounded: bool = False) -> tuple[str, ...]:
    """Every key the figures are written under (intervals with their ends), in order."""
    return tuple(
        key
        for f in list_figures(column=column)
        if not bounded or f.bounds is not None
        for key in f.keys
    )


def split_figures() -> tuple[str, ...]:
    """The figures pooled over repeated train/held-out splits (`over_splits="pooled"`)."""
    return tuple(f.name for f in FIGURES.values() if f.over_splits == "pooled")


def compute_figures(data: FigureInput) -> dict[str, Any]:
    """Every registered figure of one proxy, as summary entries in `FIGURES` order."""
    out: dict[str, Any] = {}
    for figure in FIGURES.values():
        out.update(figure.flatten(figure.compute(data)))
    return out


def _pairwise(data: FigureInput) -> float:
    if data.rows.n < MIN_ROWS:
        return float("nan")
    return pairwise_accuracy(data.rows.score, data.rows.truth).accuracy


def _top_10_text(top_k: Any) -> str:
    value = (top_k or {}).get("10")
    return f"{100 * value:.0f}%" if isinstance(value, int | float) else "—"


def _correlation(name: str, label: str, *, per_seed: bool, tables: frozenset[str]) -> Figure:
    return Figure(
        name=name,
        compute=lambda data: getattr(data.bootstrap, name),
        over_seeds="seed-bootstrap",
        over_splits="pooled" if per_seed else None,
        label=label,
        tables=tables,
        column=True,
        interval=True,
        bounds=(-1.0, 1.0),
        per_seed=per_seed,
        show_interval=per_seed,
    )


_BOTH = frozenset({"leaderboard", "report"})
for _figure in (
    Figure("n", lambda d: d.rows.n_compared, over_seeds="first", higher_is_better=None,
           label="n", digits=0, tables=_BOTH, column=True, hint=int, count=True),
    Figure("n_failed", lambda d: d.rows.n_failed, over_seeds="max", higher_is_better=False,
           label="failed", digits=0, tables=_BOTH, column=True, hint=int, count=True,
           per_seed=True),
    Figure("n_used", lambda d: d.rows.n, over_seeds="min", higher_is_better=None,
           label="used", digits=0, hint=int, count=True),
    _correlation("kendall", "Kendall τ", per_seed=True, tables=_BOTH),
    _correlation("spearman", "Spearman ρ", per_seed=True, tables=_BOTH),
    _correlation("pearson", "Pearson r", per_seed=False, tables=_BOTH),
    # nDCG@10% (VKDNW's top-weighted figure, `harness.stats.ndcg`), from the same
    # resamples as the correlations; kept in a row's `extra`
    Figure("ndcg", lambda d: d.bootstrap.ndcg, over_seeds="seed-bootstrap",
           over_splits="pooled", label="nDCG@10%", tables=_BOTH, interval=True,
           bounds=(0.0, 1.0), per_seed=True, show_interval=True,
           undefined_negated="its gain 2^truth − 1 needs a non-negative truth, and a "
           "lower-is-better target is ranked against its negation (a negative value)"),
    Figure("top_k", lambda d: top_k_overlap(d.rows.score, d.rows.truth, percentages=d.top_k),
           label="top-10% found", tables=frozenset({"report"}), hint=dict[str, float | None],
           text=_top_10_text),
    Figure("top1_accuracy", lambda d: d.top.accuracy, label="top-1 accuracy"),
    Figure("top1_percentile", lambda d: d.top.percentile, label="top-1 percentile"),
    Figure("pairwise_accuracy", _pairwise, label="pairwise acc.", tables=frozenset({"report"}),
           bounds=(0.0, 1.0)),
):  # fmt: skip
    register_figure(_figure)
