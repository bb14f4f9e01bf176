"""A report as Markdown, figures linked by relative path (figures/<name>.png)."""

from __future__ import annotations

from pathlib import Path

from harness.report.model import Report, ReportFigure, ReportSection, ReportTable


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table_markdown(table: ReportTable, *, heading: str = "###") -> str:
    lines = [f"{heading} {table.title}", ""] if table.title else []
    lines.append("| " + " | ".join(_cell(h) for h in table.header) + " |")
    lines.append("|" + "|".join("---" for _ in table.header) + "|")
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    if table.note:
        lines += ["", table.note]
    return "\n".join(lines) + "\n"


def _figure(figure: ReportFigure, base: Path) -> str:
    png = figure.files.png.relative_to(base).as_posix()
    svg = figure.files.svg.relative_to(base).as_posix()
    provenance = "\n".join(f"> {line}  " for line in figure.provenance)
    return (
        f"![{figure.title}]({png})\n\n"
        f"**{figure.title}.** {figure.description} ([SVG]({svg}))\n\n"
        f"> Provenance:  \n{provenance}\n"
    )


def _section(section: ReportSection, base: Path) -> str:
    parts = [f"## {section.title}", ""]
    parts += [p + "\n" for p in section.text]
    parts += [table_markdown(t) for t in section.tables]
    parts += [_figure(f, base) for f in section.figures]
    for title, text in section.blocks:
        parts += [f"### {title}", "", "```", text, "```", ""]
    return "\n".join(parts)


def render_markdown(report: Report, base: Path) -> str:
    """The report; figure paths are written relative to `base` (the report's folder)."""
    parts = [f"# {report.title}", ""]
    parts += [p + "\n" for p in report.intro]
    parts += [_section(s, base) for s in report.sections]
    return "\n".join(parts).rstrip() + "\n"
