"""Leaderboard rows as a DataFrame, Markdown, CSV or JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from harness.report.latex import booktabs, latex_cell, latex_escape
from harness.report.members import members_note
from harness.results import FIGURE_COLUMNS, ResultRow
from harness.stats import POLICY_MEANINGS, Figure, list_figures

#: Columns every leaderboard CSV carries, in this order, before any others.
CSV_COLUMNS = [
    "space",
    "dataset",
    "target",
    "proxy",
    *FIGURE_COLUMNS,
    "seconds_per_arch",
    "origin",
]


def rows_to_frame(rows: Sequence[ResultRow]) -> pd.DataFrame:
    records = []
    for row in rows:
        record = {k: v for k, v in asdict(row).items() if k != "extra"}
        for key, value in row.extra.items():
            if not isinstance(value, dict | list):
                record[key] = value
            elif isinstance(value, dict):
                for sub, subvalue in value.items():
                    if not isinstance(subvalue, dict | list):
                        record[f"{key}_{sub}"] = subvalue
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        return pd.DataFrame(columns=CSV_COLUMNS)
    ordered = CSV_COLUMNS + [c for c in frame.columns if c not in CSV_COLUMNS]
    return frame.reindex(columns=ordered)


def _num(value: object, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}"


def _interval(row: ResultRow, name: str) -> str:
    point = getattr(row, name)
    lo, hi = getattr(row, f"{name}_lo"), getattr(row, f"{name}_hi")
    if point is None:
        return "—"
    if lo is None or hi is None:
        return _num(point)
    return f"{point:.3f} [{lo:.3f}, {hi:.3f}]"


@dataclass(frozen=True)
class Column:
    """One column of a leaderboard table: its header, Markdown alignment and cell text."""

    header: str
    align: str
    cell: Callable[[ResultRow], str]


def _seconds_column() -> Column:
    return Column("s/arch", "---:", lambda row: _seconds(row.seconds_per_arch))


def _seed_columns(interval: str) -> list[Column]:
    return [
        Column(f"τ one seed [{interval}]", "---", single_seed_text),
        Column("self τ [min]", "---", self_agreement_text),
    ]


def figure_columns(
    table: str, *, seeded: bool, interval: str, seed_label: str = ""
) -> list[Column]:
    """The figure columns of a table (`"leaderboard"` or `"report"`), from the figure list
    (`harness.stats.FIGURES`): the typed figures, the seconds per architecture, then the
    figures kept in a row's extra. A multi-seed table adds the one-seed figure and the
    seeds' agreement after the figures with a per-seed interval."""

    def column(figure: Figure) -> Column:
        header = figure.label
        if figure.show_interval:
            header = f"{header}{seed_label if seeded else ''} [{interval}]"
        return Column(header, "---" if figure.show_interval else "---:", figure.cell)

    shown = list_figures(table=table)
    columns = [column(f) for f in shown if f.column]
    if seeded:
        last = max(
            (i for i, f in enumerate(f for f in shown if f.column) if f.per_seed and f.interval),
            default=len(columns) - 1,
        )
        columns[last + 1 : last + 1] = _seed_columns(interval)
    return [*columns, _seconds_column(), *(column(f) for f in shown if not f.column)]


def _markdown_lines(rows: Sequence[ResultRow], columns: list[Column]) -> list[str]:
    # deferred: pulls in matplotlib, PIL
    from harness.report.markdown import escape_markdown

    lines = [
        "| rank | proxy | " + " | ".join(c.header for c in columns) + " |",
        "|---:|---|" + "|".join(c.align for c in columns) + "|",
    ]
    for i, row in enumerate(rows, start=1):
        cells = " | ".join(c.cell(row) for c in columns)
        lines.append(f"| {i} | {escape_markdown(row.proxy)} | {cells} |")
    return lines


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3g}"


#: What † after a cell means (`harness.stats.jackknife.DOMINANT_SHARE`).
UNRELIABLE_NOTE = (
    "†: jackknife interval resting on one architecture (it carries more than half of the "
    "leave-one-out variance), so not to be trusted; rank with the bootstrap (the default) "
    "for these cells."
)


def unreliable_note(rows: Sequence[ResultRow]) -> str | None:
    """`UNRELIABLE_NOTE` when some row's jackknife interval rests on one architecture."""
    return UNRELIABLE_NOTE if any(r.extra.get("unreliable_intervals") for r in rows) else None


def interval_label(rows: Sequence[ResultRow]) -> str:
    """How the rows' intervals read in a column or matrix heading: "95% CI" (the first
    row's confidence), with ", jackknife" when they are jackknife intervals."""
    level = next((r.extra["confidence"] for r in rows if r.extra.get("confidence")), 0.95)
    jackknife = any(r.extra.get("interval") == "jackknife" for r in rows)
    return f"{100 * float(level):g}% CI" + (", jackknife" if jackknife else "")


def failure_header(rows: Sequence[ResultRow]) -> str | None:
    """The line saying which failure policy the rows' figures used (None if none says)."""
    policies = sorted({str(r.extra["failures"]) for r in rows if r.extra.get("failures")})
    if not policies:
        return None
    described = "; ".join(f"{p}: {POLICY_MEANINGS.get(p, p)}" for p in policies)
    return (
        f"Failures: {described}. n = architectures compared, failed = of them the proxy "
        "failed on (NaN, inf or an error)."
    )


def is_seeded(row: ResultRow) -> bool:
    """Whether the row's figures are means over several initial-weight seeds."""
    return int(row.extra.get("n_seeds") or 1) > 1


def seed_header(rows: Sequence[ResultRow]) -> str | None:
    """The line saying what a multi-seed leaderboard's figures are (None for one seed)."""
    seeded = [r for r in rows if is_seeded(r)]
    if not seeded:
        return None
    seeds = sorted({tuple(r.extra.get("seeds") or ()) for r in seeded})
    named = "; ".join(", ".join(str(s) for s in group) for group in seeds)
    first = seeded[0].extra.get("single_seed")
    return (
        f"Seeds: every proxy scored the same architectures under {len(seeds[0])} initial-weight "
        f"seeds ({named}). τ and ρ are means over the seeds, with a two-level bootstrap "
        "interval over seeds and architectures; `τ one seed` is seed "
        f"{first}'s τ with its interval over architectures alone (what a single-seed run "
        "reports); `self τ` is the mean Kendall τ between two seeds' scores (1: the weights "
        "do not move the ranking), the lowest pair in brackets; failed = the most of any seed."
    )


def single_seed_text(row: ResultRow) -> str:
    """The first seed's τ with its interval over architectures alone."""
    point = row.extra.get("single_seed_kendall")
    low, high = row.extra.get("single_seed_kendall_lo"), row.extra.get("single_seed_kendall_hi")
    if point is None:
        return "—"
    if low is None or high is None:
        return _num(point)
    return f"{point:.3f} [{low:.3f}, {high:.3f}]"


def self_agreement_text(row: ResultRow) -> str:
    """Mean Kendall τ between two seeds' scores [the lowest pair]."""
    mean, low = row.extra.get("self_kendall"), row.extra.get("self_kendall_min")
    if mean is None:
        return "—"
    return f"{mean:.3f} [{_num(low)}]"


def to_markdown(
    rows: Sequence[ResultRow],
    *,
    title: str | None = None,
    images: str | None = None,
    lower_is_better: bool = False,
) -> str:
    """A Markdown table, one line per proxy, in the given order, under a line saying which
    images the proxies scored on (`images`), one naming the failure policy and, for
    several seeds, one saying what the seed figures are; against a `lower_is_better`
    target, followed by why a figure is undefined there (`undefined_notes`)."""
    # deferred: pulls in matplotlib, PIL
    from harness.report.markdown import escape_markdown

    lines = []
    if title:
        lines += [f"### {escape_markdown(title)}", ""]
    if images:
        lines += [f"Images: {escape_markdown(images)}.", ""]
    header = failure_header(rows)
    if header:
        lines += [header, ""]
    seeds = seed_header(rows)
    if seeds:
        lines += [seeds, ""]
        columns = figure_columns(
            "leaderboard", seeded=True, interval=interval_label(rows), seed_label=", mean of seeds"
        )
        return "\n".join(lines + _markdown_lines(rows, columns)) + "\n"
    columns = figure_columns("leaderboard", seeded=False, interval=interval_label(rows))
    lines += _markdown_lines(rows, columns)
    members = members_note(rows)
    if members:
        lines += ["", escape_markdown(members)]
    notes = undefined_notes(rows) if lower_is_better else []
    notes += [note] if (note := unreliable_note(rows)) else []
    if notes:
        lines += ["", *(escape_markdown(n) for n in notes)]
    return "\n".join(lines) + "\n"


def undefined_notes(rows: Sequence[ResultRow]) -> list[str]:
    """For a leaderboard against a lower-is-better target, why its undefined figures are
    (the figures that say so, `Figure.undefined_negated`, where the rows lack them)."""
    return [
        f"{f.label} is undefined (—) here: {f.undefined_negated}."
        for f in list_figures(table="leaderboard")
        if f.undefined_negated and rows and all(f.value_of(r) is None for r in rows)
    ]


def to_latex(rows: Sequence[ResultRow], *, title: str | None = None) -> str:
    """A LaTeX (booktabs) table, one line per proxy in the given order: n, then each figure
    a leaderboard shows with its interval, the best of each column in bold
    (`harness.report.latex`, shared with the multi-target tables)."""
    shown = [f for f in list_figures(table="leaderboard") if f.interval and f.show_interval]
    best = {}
    for figure in shown:
        values = [(figure.value_of(r), i) for i, r in enumerate(rows)]
        defined = [(v, i) for v, i in values if v is not None and math.isfinite(v)]
        best[figure.name] = max(defined, key=lambda d: d[0])[1] if defined else None
    body = []
    for i, row in enumerate(rows):
        cells = [latex_escape(row.proxy), str(row.n)]
        for figure in shown:
            point, low, high = figure.ends(row)
            cell = latex_cell(point, low, high, bold=best[figure.name] == i)
            if figure.name in row.extra.get("unreliable_intervals", ()):
                cell += latex_escape("†")
            cells.append(cell)
        body.append(cells)
    header = ["proxy", "n", *(f.label for f in shown)]
    caption = " ".join(t for t in (title or "Leaderboard", unreliable_note(rows)) if t)
    return booktabs(header, body, caption=caption, align="lr" + "c" * len(shown))


def to_csv(rows: Sequence[ResultRow]) -> str:
    return rows_to_frame(rows).to_csv(index=False, float_format="%.6g")


def to_json(rows: Sequence[ResultRow]) -> str:
    frame = rows_to_frame(rows)
    records = json.loads(frame.to_json(orient="records"))
    return json.dumps(records, indent=2) + "\n"


def render(
    rows: Sequence[ResultRow],
    fmt: str,
    *,
    title: str | None = None,
    images: str | None = None,
    lower_is_better: bool = False,
) -> str:
    if fmt == "md":
        return to_markdown(rows, title=title, images=images, lower_is_better=lower_is_better)
    if fmt == "csv":
        return to_csv(rows)
    if fmt == "json":
        return to_json(rows)
    if fmt == "latex":
        return to_latex(rows, title=title)
    raise ValueError(f"unknown format {fmt!r}")
