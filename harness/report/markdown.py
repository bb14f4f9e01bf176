"""A report as Markdown, figures linked by relative path (figures/<name>.png).

Every text that reaches the Markdown (titles, notes, run ids, proxy names, config values,
cells) may come from a user's file, so it is escaped: raw HTML, links, images and code
spans in it are shown as the characters they are, never rendered (the HTML report
escapes the same strings with `html.escape`).
"""

from __future__ import annotations

import re
from pathlib import Path

from harness.report.model import Report, ReportFigure, ReportSection, ReportTable

#: Characters that open HTML, entities, links, images or code spans, or end a table cell.
_SPECIAL = re.compile(r"([\\`<>&\[\]|])")


def escape_markdown(text: str) -> str:
    """`text` as literal Markdown on one line (CommonMark backslash escapes)."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).splitlines()))


def _cell(text: str) -> str:
    return escape_markdown(text)


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks in `text` (which it cannot close)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def table_markdown(table: ReportTable, *, heading: str = "###") -> str:
    lines = [f"{heading} {escape_markdown(table.title)}", ""] if table.title else []
    lines.append("| " + " | ".join(_cell(h) for h in table.header) + " |")
    lines.append("|" + "|".join("---" for _ in table.header) + "|")
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    if table.note:
        lines += ["", escape_markdown(table.note)]
    return "\n".join(lines) + "\n"


def _figure(figure: ReportFigure, base: Path) -> str:
    png = figure.files.png.relative_to(base).as_posix()
    svg = figure.files.svg.relative_to(base).as_posix()
    provenance = "\n".join(f"> {escape_markdown(line)}  " for line in figure.provenance)
    title = escape_markdown(figure.title)
    return (
        f"![{title}]({png})\n\n"
        f"**{title}.** {escape_markdown(figure.description)} ([SVG]({svg}))\n\n"
        f"> Provenance:  \n{provenance}\n"
    )


def _section(section: ReportSection, base: Path) -> str:
    parts = [f"## {escape_markdown(section.title)}", ""]
    parts += [escape_markdown(p) + "\n" for p in section.text]
    parts += [table_markdown(t) for t in section.tables]
    parts += [_figure(f, base) for f in section.figures]
    for title, text in section.blocks:
        fence = _fence(text)
        parts += [f"### {escape_markdown(title)}", "", fence, text, fence, ""]
    return "\n".join(parts)


def render_markdown(report: Report, base: Path) -> str:
    """The report; figure paths are written relative to `base` (the report's folder)."""
    parts = [f"# {escape_markdown(report.title)}", ""]
    parts += [escape_markdown(p) + "\n" for p in report.intro]
    parts += [_section(s, base) for s in report.sections]
    return "\n".join(parts).rstrip() + "\n"
