"""A multi-target leaderboard (`harness leaderboard --targets`): for each figure a
leaderboard shows with its interval (`matrix_figures`, read from `harness.stats.FIGURES`),
one matrix of proxies x targets, as Markdown, HTML, LaTeX (booktabs) and the frame the
report's heatmap draws."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.report.latex import booktabs, latex_cell, latex_escape
from harness.report.leaderboard_table import UNRELIABLE_NOTE, failure_header, interval_label
from harness.results import ResultRow
from harness.stats import Figure, list_figures

#: What the ↓ of a lower-is-better target means.
LOWER_IS_BETTER_NOTE = (
    "↓: a lower value is better (latency, energy); proxies are ranked against its "
    "negation, so a positive figure means the proxy favours cheaper networks."
)


def matrix_figures() -> list[Figure]:
    """The figures of a multi-target leaderboard: those a leaderboard shows with their
    interval (Kendall τ, Spearman ρ, nDCG@10%), in the figure list's order."""
    return [f for f in list_figures(table="leaderboard") if f.interval and f.show_interval]


Ends = tuple[float, float | None, float | None]


def _ends(figure: Figure, row: ResultRow) -> Ends | None:
    point, low, high = figure.ends(row)
    if point is None or (isinstance(point, float) and math.isnan(point)):
        return None
    return float(point), low, high


@dataclass(frozen=True)
class TargetMatrix:
    """One figure over proxies x targets: proxies by their mean over the targets where the
    figure is defined (best first), targets in the rows' order, the best proxy of each."""

    figure: Figure
    proxies: list[str]
    targets: list[str]
    cells: dict[tuple[str, str], Ends | None]
    means: dict[str, float | None]
    best: dict[str, str | None]
    lower_is_better: frozenset[str]
    #: (proxy, target) cells whose jackknife interval rests on one architecture (marked †)
    flagged: frozenset[tuple[str, str]] = frozenset()

    def undefined(self, proxy: str, target: str) -> bool:
        """Whether the cell is missing because the figure is undefined on a ↓ target."""
        return (
            self.cells.get((proxy, target)) is None
            and target in self.lower_is_better
            and bool(self.figure.undefined_negated)
        )

    def note(self) -> str:
        """Why some cells are n/a and what † means (empty when neither occurs)."""
        notes = []
        if any(self.undefined(p, t) for p in self.proxies for t in self.targets):
            notes.append(
                f"n/a: {self.figure.label} is undefined on the ↓ targets: "
                f"{self.figure.undefined_negated}."
            )
        if self.flagged:
            notes.append(UNRELIABLE_NOTE)
        return " ".join(notes)

    def text(self, proxy: str, target: str) -> str:
        """A cell as Markdown and HTML show it: estimate [interval], "n/a" or "—"."""
        ends = self.cells.get((proxy, target))
        if ends is None:
            return "n/a" if self.undefined(proxy, target) else "—"
        point, low, high = ends
        if low is None or high is None:
            return f"{point:.3f}"
        mark = " †" if (proxy, target) in self.flagged else ""
        return f"{point:.3f} [{low:.3f}, {high:.3f}]{mark}"

    def header(self) -> list[str]:
        return [target_label(t) + (" ↓" if t in self.lower_is_better else "") for t in self.targets]

    def frame(self) -> pd.DataFrame:
        """The estimates as a proxies x targets frame (NaN where undefined)."""
        values = [
            [
                np.nan if self.cells.get((p, t)) is None else self.cells[p, t][0]
                for t in self.targets
            ]
            for p in self.proxies
        ]
        return pd.DataFrame(values, index=self.proxies, columns=self.targets)


def target_matrix(
    rows: Sequence[ResultRow], figure: Figure, lower_is_better: Sequence[str] = ()
) -> TargetMatrix:
    """The matrix of one figure over the rows' proxies and targets."""
    targets = list(dict.fromkeys(r.target for r in rows))
    cells = {(r.proxy, r.target): _ends(figure, r) for r in rows}
    flagged = frozenset(
        (r.proxy, r.target) for r in rows if figure.name in r.extra.get("unreliable_intervals", ())
    )
    proxies = list(dict.fromkeys(r.proxy for r in rows))
    means: dict[str, float | None] = {}
    for proxy in proxies:
        defined = [c[0] for t in targets if (c := cells.get((proxy, t))) is not None]
        means[proxy] = float(np.mean(defined)) if defined else None
    proxies.sort(key=lambda p: -math.inf if means[p] is None else means[p], reverse=True)
    best = {}
    for target in targets:
        scored = [p for p in proxies if cells.get((p, target)) is not None]
        best[target] = max(scored, key=lambda p: cells[p, target][0], default=None)
    return TargetMatrix(
        figure, proxies, targets, cells, means, best, frozenset(lower_is_better), flagged
    )


def target_matrices(
    rows: Sequence[ResultRow], lower_is_better: Sequence[str] = ()
) -> list[TargetMatrix]:
    """One matrix per figure of `matrix_figures`."""
    return [target_matrix(rows, f, lower_is_better) for f in matrix_figures()]


def target_label(target: str) -> str:
    """A short column header for a ground-truth column: metric (data set, split)."""
    parts = target.split("/")
    if len(parts) != 4:
        return target
    dataset, metric, split, _ = parts
    return f"{metric} ({dataset}, {split})"


def _mean_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def to_markdown(
    rows: Sequence[ResultRow], *, title: str | None = None, lower_is_better: Sequence[str] = ()
) -> str:
    """The matrices in Markdown under the title, the failure policy and the ↓ note; the
    best proxy of each target in bold, each matrix followed by its n/a note."""
    # deferred: pulls in matplotlib, PIL
    from harness.report.markdown import escape_markdown

    lines = [f"### {escape_markdown(title)}", ""] if title else []
    header = failure_header(rows)
    if header:
        lines += [header, ""]
    if lower_is_better:
        lines += [LOWER_IS_BETTER_NOTE, ""]
    for matrix in target_matrices(rows, lower_is_better):
        lines += [f"{escape_markdown(matrix.figure.label)} [{interval_label(rows)}]", ""]
        heads = " | ".join(escape_markdown(h) for h in matrix.header())
        lines += [f"| proxy | mean | {heads} |", "|---|---:|" + "---|" * len(matrix.targets)]
        for proxy in matrix.proxies:
            texts = [
                f"**{matrix.text(proxy, t)}**" if matrix.best[t] == proxy else matrix.text(proxy, t)
                for t in matrix.targets
            ]
            mean = _mean_text(matrix.means[proxy])
            lines.append(f"| {escape_markdown(proxy)} | {mean} | " + " | ".join(texts) + " |")
        lines += ["", *([matrix.note(), ""] if matrix.note() else [])]
    return "\n".join(lines)


def to_html(rows: Sequence[ResultRow], *, title: str, lower_is_better: Sequence[str] = ()) -> str:
    """The matrices as one self-contained HTML page (`harness.report.html`)."""
    # deferred: pulls in matplotlib, PIL
    from harness.report.html import render_html
    from harness.report.model import Report, ReportSection, ReportTable

    section = ReportSection(title="Proxies x targets", anchor="targets")
    section.text += [t for t in (failure_header(rows), lower_is_better and LOWER_IS_BETTER_NOTE)
                     if t]  # fmt: skip
    for matrix in target_matrices(rows, lower_is_better):
        body = tuple(
            (proxy, _mean_text(matrix.means[proxy]),
             *(matrix.text(proxy, t) for t in matrix.targets))
            for proxy in matrix.proxies
        )  # fmt: skip
        best = "; ".join(f"{target_label(t)}: {p}" for t, p in matrix.best.items() if p)
        section.tables.append(
            ReportTable(
                f"{matrix.figure.label} [{interval_label(rows)}]",
                ("proxy", "mean", *matrix.header()),
                body,
                note=" ".join(n for n in (f"Best per target: {best}.", matrix.note()) if n),
            )
        )
    return render_html(Report(title=title, intro=[], sections=[section]))


def to_latex(
    rows: Sequence[ResultRow], *, caption: str = "", lower_is_better: Sequence[str] = ()
) -> str:
    """The matrices as LaTeX booktabs tables, one per figure (`harness.report.latex`)."""
    tables = []
    for matrix in target_matrices(rows, lower_is_better):
        body = []
        for proxy in matrix.proxies:
            cells = []
            for target in matrix.targets:
                ends = matrix.cells.get((proxy, target))
                missing = "n/a" if matrix.undefined(proxy, target) else "--"
                point, low, high = ends if ends is not None else (None, None, None)
                bold = matrix.best[target] == proxy
                cell = latex_cell(point, low, high, bold=bold, missing=missing)
                if (proxy, target) in matrix.flagged:
                    cell += latex_escape("†")
                cells.append(cell)
            body.append([latex_escape(proxy), *cells])
        label = f"{caption}: {matrix.figure.label}" if caption else matrix.figure.label
        if matrix.note():
            label += f" ({matrix.note()})"
        tables.append(booktabs(["proxy", *matrix.header()], body, caption=label))
    return "\n".join(tables)
