"""One leaderboard over several results documents (`harness leaderboard --results`).

Rows are merged per (space, dataset, target, setting, proxy, origin): reference
scores shipped with a benchmark file and scores computed here stay apart even
when the proxy name is the same, and so do different targets.

How the figures of a merged line are made:

- one document: its own row, interval included (nothing is recomputed);
- several documents (runs): Kendall tau is the mean of the runs' tau; its
  interval is a percentile bootstrap of that mean over architectures: each
  replicate resamples every run's stored per-architecture values (with the same
  resampled architectures for all runs when they scored the same set, so the
  shared sampling noise is counted once; independently otherwise), computes
  each run's tau (scipy) and averages them. This interval describes the
  uncertainty from which architectures were scored; the spread between runs
  (seed noise) is shown separately as the min and max of the runs' tau. If a
  run lacks per-architecture values, or scored several initial-weight seeds (its tau is
  then a mean over seeds with a two-level interval), the interval is the mean of the
  runs' own interval ends (labelled so).
- the interval figures a row keeps in `extra` (`harness.stats.FIGURES`, e.g. nDCG@10%):
  the same rules as Kendall tau, their bootstrap from the vectorised replicates
  (`harness.stats.mean_statistic_interval`) with a generator of their own, so adding a
  figure leaves the Kendall intervals as they were;
- seconds per architecture: the mean over runs weighted by each run's n;
  architectures: how many distinct architectures the runs scored usably.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness import stats
from harness.report.documents import (
    GroupKey,
    LoadedDocument,
    ResultGroup,
    groups_of,
    provenance_line,
)
from harness.report.leaderboard_table import failure_header, is_seeded
from harness.report.members import members_note
from harness.results import ResultRow

INTERVAL_OWN = "document"
INTERVAL_BOOTSTRAP = "bootstrap of the mean over architectures"
INTERVAL_MEAN_ENDS = "mean of the runs' intervals"


@dataclass(frozen=True)
class MergedRow:
    space: str
    dataset: str
    target: str
    setting: str
    proxy: str
    origin: str
    runs: int
    kendall: float
    kendall_lo: float
    kendall_hi: float
    kendall_min: float
    kendall_max: float
    spearman: float
    seconds_per_arch: float
    n_archs: int
    n_failed: int
    interval: str
    sources: tuple[str, ...]
    #: (name, mean, low, high) of each interval figure kept in a row's extra (`figures()`)
    figures: tuple[tuple[str, float, float, float], ...] = ()


def merged_figures() -> list[stats.Figure]:
    """The figures a merged leaderboard adds after Spearman: the interval figures that
    leaderboards show and rows keep in `extra` (nDCG@10%, ...)."""
    return [f for f in stats.list_figures(column=False, table="leaderboard") if f.interval]


@dataclass(frozen=True)
class _Entry:
    group: ResultGroup
    row: ResultRow


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _usable(entry: _Entry) -> pd.DataFrame | None:
    """Oriented score and truth per architecture, finite rows only."""
    values = entry.group.per_arch
    if values is None or entry.row.proxy not in values.scores:
        return None
    score = np.array([_number(v) for v in values.scores[entry.row.proxy]])
    truth = np.array([_number(v) for v in values.truth])
    frame = pd.DataFrame(
        {"score": score if entry.row.higher_is_better else -score, "truth": truth},
        index=pd.Index(values.archs, name="arch"),
    )
    return frame[np.isfinite(frame["score"]) & np.isfinite(frame["truth"])]


def mean_kendall_interval(
    tables: Sequence[pd.DataFrame],
    *,
    n_resamples: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Percentile interval of the mean Kendall tau over runs (see the module docstring):
    runs that scored the same architectures are resampled together, on the shared ones."""
    paired = all(set(t.index) == set(tables[0].index) for t in tables[1:])
    if paired:
        shared = tables[0].index
        for table in tables[1:]:
            shared = shared.intersection(table.index)
        tables = [t.loc[shared] for t in tables]
    return stats.mean_kendall_interval(
        [(t["score"].to_numpy(), t["truth"].to_numpy()) for t in tables],
        paired=paired,
        n_resamples=n_resamples,
        confidence=confidence,
        rng=rng,
    )


def _figure_line(
    figure: stats.Figure,
    entries: list[_Entry],
    tables: list[pd.DataFrame],
    *,
    bootstrap: bool,
    n_resamples: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[str, float, float, float]:
    """(name, mean over runs, low, high) of one extra figure, by the rules for tau."""
    ends = [tuple(_number(v) for v in figure.ends(e.row)) for e in entries]
    values = np.array([value for value, _, _ in ends])
    mean = float(np.nanmean(values)) if np.isfinite(values).any() else math.nan
    if len(entries) == 1:
        return figure.name, *ends[0]
    if bootstrap:
        paired = all(set(t.index) == set(tables[0].index) for t in tables[1:])
        if paired:
            shared = tables[0].index
            for table in tables[1:]:
                shared = shared.intersection(table.index)
            tables = [t.loc[shared] for t in tables]
        low, high = stats.mean_statistic_interval(
            [(t["score"].to_numpy(), t["truth"].to_numpy()) for t in tables],
            figure.name,
            paired=paired,
            n_resamples=n_resamples,
            confidence=confidence,
            rng=rng,
        )
        return figure.name, mean, low, high
    lows = np.array([low for _, low, _ in ends])
    highs = np.array([high for _, _, high in ends])
    low = float(np.nanmean(lows)) if np.isfinite(lows).any() else math.nan
    high = float(np.nanmean(highs)) if np.isfinite(highs).any() else math.nan
    return figure.name, mean, low, high


def _merge_entries(
    entries: list[_Entry],
    *,
    n_resamples: int,
    confidence: float,
    rng: np.random.Generator,
    figure_rng: np.random.Generator,
) -> MergedRow:
    first = entries[0]
    key: GroupKey = first.group.key
    rows = [e.row for e in entries]
    kendalls = np.array([_number(r.kendall) for r in rows])
    finite = kendalls[np.isfinite(kendalls)]
    tables = [_usable(e) for e in entries]
    known_tables = [t for t in tables if t is not None]
    bootstrap = (
        len(entries) > 1
        and len(known_tables) == len(entries)
        and all(len(t) >= 3 for t in known_tables)
        and not any(is_seeded(e.row) for e in entries)
    )
    if len(entries) == 1:
        low, high, interval = (
            _number(first.row.kendall_lo),
            _number(first.row.kendall_hi),
            (INTERVAL_OWN),
        )
    elif bootstrap:
        low, high = mean_kendall_interval(
            known_tables, n_resamples=n_resamples, confidence=confidence, rng=rng
        )
        interval = INTERVAL_BOOTSTRAP
    else:
        low = float(np.nanmean([_number(r.kendall_lo) for r in rows]))
        high = float(np.nanmean([_number(r.kendall_hi) for r in rows]))
        interval = INTERVAL_MEAN_ENDS
    weights = np.array([r.n for r in rows], dtype=float)
    seconds = np.array([_number(r.seconds_per_arch) for r in rows])
    timed = np.isfinite(seconds) & (weights > 0)
    if len(known_tables) == len(entries):
        n_archs = len(set().union(*(set(t.index) for t in known_tables)))
    else:
        n_archs = max(r.n for r in rows)
    spearmans = np.array([_number(r.spearman) for r in rows])
    return MergedRow(
        space=key.space,
        dataset=key.dataset,
        target=key.target,
        setting=key.setting,
        proxy=first.row.proxy,
        origin=first.row.origin,
        runs=len(entries),
        kendall=float(finite.mean()) if finite.size else math.nan,
        kendall_lo=low,
        kendall_hi=high,
        kendall_min=float(finite.min()) if finite.size else math.nan,
        kendall_max=float(finite.max()) if finite.size else math.nan,
        spearman=float(np.nanmean(spearmans)) if np.isfinite(spearmans).any() else math.nan,
        seconds_per_arch=(
            float(np.average(seconds[timed], weights=weights[timed])) if timed.any() else math.nan
        ),
        n_archs=n_archs,
        n_failed=sum(r.n_failed for r in rows),
        interval=interval,
        sources=tuple(e.group.source.label for e in entries),
        figures=tuple(
            _figure_line(
                figure,
                entries,
                known_tables,
                bootstrap=bootstrap,
                n_resamples=n_resamples,
                confidence=confidence,
                rng=figure_rng,
            )
            for figure in merged_figures()
        ),  # fmt: skip
    )


def merge_documents(
    sources: Sequence[LoadedDocument],
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> list[MergedRow]:
    """Merged lines, grouped by (space, dataset, target, setting), best mean tau first."""
    entries: dict[tuple, list[_Entry]] = {}
    for source in sources:
        if source.document.kind == "distill":
            continue  # per-epoch rows of a training run are not a ranking of proxies
        for group in groups_of(source):
            for row in group.rows:
                key = (group.key, row.proxy, row.origin)
                entries.setdefault(key, []).append(_Entry(group, row))
    rng = np.random.default_rng(seed)
    figure_rng = np.random.default_rng([seed, 1])  # the extra figures' own draws
    merged = [
        _merge_entries(
            items, n_resamples=n_resamples, confidence=confidence, rng=rng, figure_rng=figure_rng
        )
        for items in entries.values()
    ]
    merged.sort(
        key=lambda m: (
            m.space, m.dataset, m.target, m.setting,
            -m.kendall if math.isfinite(m.kendall) else math.inf,
        )
    )  # fmt: skip
    return merged


def merged_frame(merged: Sequence[MergedRow]) -> pd.DataFrame:
    records = []
    for m in merged:
        record = {k: v for k, v in m.__dict__.items() if k != "figures"}
        for name, value, low, high in m.figures:
            record.update({name: value, f"{name}_lo": low, f"{name}_hi": high})
        records.append(record)
    frame = pd.DataFrame(records)
    if not frame.empty:
        frame["sources"] = frame["sources"].map(" ".join)
    return frame


def _f(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if math.isfinite(value) else "—"


def merged_sections(merged: Sequence[MergedRow]) -> list[tuple[str, list[tuple[str, ...]]]]:
    """(title, formatted rows) per (space, dataset, target, setting)."""
    sections: dict[str, list[tuple[str, ...]]] = {}
    for m in merged:
        title = " · ".join(p for p in (m.space, m.dataset, m.target, m.setting) if p)
        lines = sections.setdefault(title, [])
        lines.append(
            (
                str(len(lines) + 1),
                m.proxy,
                m.origin,
                str(m.runs),
                f"{_f(m.kendall)} [{_f(m.kendall_lo)}, {_f(m.kendall_hi)}]",
                f"{_f(m.kendall_min)} – {_f(m.kendall_max)}" if m.runs > 1 else "—",
                _f(m.spearman),
                *(f"{_f(value)} [{_f(low)}, {_f(high)}]" for _, value, low, high in m.figures),
                f"{m.seconds_per_arch:.3g}" if math.isfinite(m.seconds_per_arch) else "—",
                str(m.n_archs),
                str(m.n_failed),
                " ".join(m.sources),
            )
        )
    return list(sections.items())


MERGED_HEADER = (
    "rank", "proxy", "origin", "runs", "mean Kendall τ [interval]", "τ range over runs",
    "mean Spearman ρ", "s/arch", "archs", "failed", "documents",
)  # fmt: skip


def merged_header() -> tuple[str, ...]:
    """MERGED_HEADER with a column per extra figure (`merged_figures`) after Spearman."""
    at = MERGED_HEADER.index("mean Spearman ρ") + 1
    added = tuple(f"mean {f.label} [interval]" for f in merged_figures())
    return MERGED_HEADER[:at] + added + MERGED_HEADER[at:]


MERGE_NOTE = (
    "One document: its own figures and interval. Several: mean tau over the runs, interval = "
    "percentile bootstrap of that mean over the stored per-architecture values (architectures "
    "resampled jointly when the runs scored the same set), τ range = min to max of the runs."
)


def images_line(config: dict) -> str | None:
    """The document's line on which images its proxies scored (a run's `resolved.images`,
    a table leaderboard's `images`); None for documents written before it was recorded."""
    resolved = config.get("resolved")
    images = resolved.get("images") if isinstance(resolved, dict) else None
    images = images if isinstance(images, dict) else config.get("images")
    if isinstance(images, dict) and isinstance(images.get("description"), str):
        return images["description"]
    return None


def merged_markdown(merged: Sequence[MergedRow], sources: Sequence[LoadedDocument]) -> str:
    # deferred: pulls in matplotlib, PIL
    from harness.report.markdown import escape_markdown

    lines = ["# Leaderboard across runs", ""]
    header = failure_header([row for source in sources for row in source.document.rows])
    if header:
        lines += [escape_markdown(header), ""]
    for source in sources:
        doc = source.document
        images = images_line(doc.config)
        lines.append(
            f"- {source.label}: {escape_markdown(f'{doc.kind} {doc.run_id} ({source.path})')}"
            + (f"; images: {escape_markdown(images)}" if images else "")
        )
    lines.append("")
    for title, rows in merged_sections(merged):
        lines += [f"### {escape_markdown(title)}", ""]
        header = merged_header()
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join("---" for _ in header) + "|")
        lines += ["| " + " | ".join(escape_markdown(c) for c in r) + " |" for r in rows]
        lines.append("")
    lines.append(MERGE_NOTE)
    members = members_note([row for source in sources for row in source.document.rows])
    if members:
        lines += ["", escape_markdown(members)]
    return "\n".join(lines) + "\n"


def merged_html(merged: Sequence[MergedRow], sources: Sequence[LoadedDocument]) -> str:
    # deferred: pulls in matplotlib, PIL
    from harness.report.html import render_html
    from harness.report.model import Report, ReportSection, ReportTable

    section = ReportSection(title="Ranking", anchor="ranking")
    for title, rows in merged_sections(merged):
        section.tables.append(ReportTable(title, merged_header(), tuple(rows)))
    section.text.append(MERGE_NOTE)
    members = members_note([row for source in sources for row in source.document.rows])
    if members:
        section.text.append(members)
    provenance = ReportSection(title="Documents", anchor="documents")
    provenance.text += [provenance_line(s) for s in sources]
    return render_html(
        Report(title="Leaderboard across runs", intro=[], sections=[section, provenance])
    )
