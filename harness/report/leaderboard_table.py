"""Leaderboard rows as a DataFrame, Markdown, CSV or JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import pandas as pd

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
    rows: Sequence[ResultRow], *, title: str | None = None, images: str | None = None
) -> str:
    """A Markdown table, one line per proxy, in the given order, under a line saying which
    images the proxies scored on (`images`), one naming the failure policy and, for
    several seeds, one saying what the seed figures are."""
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
            "leaderboard", seeded=True, interval="95% CI", seed_label=", mean of seeds"
        )
        return "\n".join(lines + _markdown_lines(rows, columns)) + "\n"
    lines += _markdown_lines(rows, figure_columns("leaderboard", seeded=False, interval="95% CI"))
    members = members_note(rows)
    if members:
        lines += ["", escape_markdown(members)]
    return "\n".join(lines) + "\n"


def to_csv(rows: Sequence[ResultRow]) -> str:
    return rows_to_frame(rows).to_csv(index=False, float_format="%.6g")


def to_json(rows: Sequence[ResultRow]) -> str:
    frame = rows_to_frame(rows)
    records = json.loads(frame.to_json(orient="records"))
    return json.dumps(records, indent=2) + "\n"


def render(
    rows: Sequence[ResultRow], fmt: str, *, title: str | None = None, images: str | None = None
) -> str:
    if fmt == "md":
        return to_markdown(rows, title=title, images=images)
    if fmt == "csv":
        return to_csv(rows)
    if fmt == "json":
        return to_json(rows)
    raise ValueError(f"unknown format {fmt!r}")


def target_matrix(
    rows: Sequence[ResultRow],
    *,
    figures: Sequence[str] = ("kendall", "spearman"),
    title: str | None = None,
    lower_is_better: Sequence[str] = (),
) -> str:
    """A multi-target leaderboard in Markdown: for each figure, one table of proxies (by
    their mean of the figure over the targets, best first) x targets (in the rows' order),
    each cell the figure with its interval, the best proxy of each target in bold. Targets
    in `lower_is_better` are marked (↓: ranked against their negation)."""
    # deferred: pulls in matplotlib, PIL
    from harness.report.markdown import escape_markdown

    targets = list(dict.fromkeys(r.target for r in rows))
    cells = {(r.proxy, r.target): r for r in rows}
    lines = [f"### {escape_markdown(title)}", ""] if title else []
    header = failure_header(rows)
    if header:
        lines += [header, ""]
    if lower_is_better:
        lines += [
            "↓: a lower value is better (latency, energy); proxies are ranked against its "
            "negation, so a positive figure means the proxy favours cheaper networks.",
            "",
        ]
    for figure in figures:
        means = (
            pd.DataFrame([(r.proxy, getattr(r, figure)) for r in rows], columns=["proxy", "value"])
            .groupby("proxy", sort=False)["value"]
            .mean()
        )
        proxies = list(means.sort_values(ascending=False, kind="stable").index)
        best = {
            t: max((cells[p, t] for p in proxies if (p, t) in cells and getattr(cells[p, t], figure)
                    is not None), key=lambda r: getattr(r, figure), default=None)
            for t in targets
        }  # fmt: skip
        label = next((f.label for f in list_figures() if f.name == figure), figure)
        heads = [_target_label(t) + (" ↓" if t in lower_is_better else "") for t in targets]
        lines += [f"{escape_markdown(label)} [95% CI]", ""]
        lines.append("| proxy | mean | " + " | ".join(escape_markdown(h) for h in heads) + " |")
        lines.append("|---|---:|" + "---|" * len(targets))
        for proxy in proxies:
            texts = []
            for target in targets:
                row = cells.get((proxy, target))
                text = "—" if row is None else _interval(row, figure)
                texts.append(f"**{text}**" if row is not None and row is best[target] else text)
            lines.append(
                f"| {escape_markdown(proxy)} | {_num(means[proxy])} | " + " | ".join(texts) + " |"
            )
        lines.append("")
    return "\n".join(lines)


def _target_label(target: str) -> str:
    """A short column header for a ground-truth column: metric (data set, split)."""
    parts = target.split("/")
    if len(parts) != 4:
        return target
    dataset, metric, split, _ = parts
    return f"{metric} ({dataset}, {split})"


#: Characters LaTeX reads as commands, escaped in a cell's text.
_LATEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}", "τ": r"$\tau$", "ρ": r"$\rho$", "·": r"$\cdot$",
                  "ε": r"$\varepsilon$", "≈": r"$\approx$"}  # fmt: skip


def latex_escape(text: str) -> str:
    """`text` with LaTeX's special characters escaped."""
    return "".join(_LATEX_ESCAPES.get(c, c) for c in text)


def target_matrix_latex(
    rows: Sequence[ResultRow],
    *,
    figure: str = "kendall",
    lower_is_better: Sequence[str] = (),
    caption: str = "",
) -> str:
    """A multi-target leaderboard as a LaTeX (booktabs) table: proxies (by their mean
    figure over the targets) x targets, each cell the figure and its interval, the best
    proxy of each target in bold, lower-is-better targets marked $\\downarrow$."""
    targets = list(dict.fromkeys(r.target for r in rows))
    cells = {(r.proxy, r.target): r for r in rows}
    means = (
        pd.DataFrame([(r.proxy, getattr(r, figure)) for r in rows], columns=["proxy", "value"])
        .groupby("proxy", sort=False)["value"]
        .mean()
    )
    proxies = list(means.sort_values(ascending=False, kind="stable").index)
    best = {}
    for target in targets:
        present = [cells[p, target] for p in proxies if (p, target) in cells]
        scored = [r for r in present if getattr(r, figure) is not None]
        best[target] = max(scored, key=lambda r: getattr(r, figure), default=None)

    def cell(row: ResultRow | None) -> str:
        if row is None or getattr(row, figure) is None:
            return "--"
        point, lo, hi = (getattr(row, f"{figure}{s}") for s in ("", "_lo", "_hi"))
        text = f"{point:.3f}".replace("-", "$-$")
        if row is best[row.target]:
            text = rf"\textbf{{{text}}}"
        if lo is not None and hi is not None:
            text += rf" {{\scriptsize [{lo:.3f}, {hi:.3f}]}}".replace("-", "$-$")
        return text

    heads = [latex_escape(_target_label(t)) + (r" $\downarrow$" if t in lower_is_better else "")
             for t in targets]  # fmt: skip
    label = next((f.label for f in list_figures() if f.name == figure), figure)
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        rf"\caption{{{latex_escape(caption or label)}}}",
        r"\begin{tabular}{l" + "c" * len(targets) + "}",
        r"\toprule",
        "proxy & " + " & ".join(heads) + r" \\",
        r"\midrule",
        *(
            f"{latex_escape(p)} & " + " & ".join(cell(cells.get((p, t))) for t in targets) + r" \\"
            for p in proxies
        ),
        r"\bottomrule",
        r"\end{tabular}",
        r"\end{table}",
    ]
    return "\n".join(lines) + "\n"
