"""A report as one self-contained HTML page.

Self-contained means it opens from disk with no network: figures are inline PNG
data URIs, the style sheet is inline, there is no script and no external
reference of any kind (no http(s) src or href), so it also renders in CI
artefact viewers that block remote content.
"""

from __future__ import annotations

import base64
from html import escape

from harness.report.model import Report, ReportFigure, ReportSection, ReportTable

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1em; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: .88em; }
th, td { border: 1px solid #d0d0d0; padding: .25em .55em; text-align: left; }
th { background: #f2f2f2; } tr:nth-child(even) td { background: #fafafa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.2em 0 2em; } figure img { max-width: 100%; height: auto;
       border: 1px solid #e4e4e4; }
figcaption { font-size: .85em; color: #333; } figcaption .prov { color: #555;
       font-family: ui-monospace, monospace; font-size: .92em; }
pre { background: #f6f6f6; padding: .7em; overflow-x: auto; font-size: .82em; }
nav ul { columns: 2; } .note { color: #555; font-size: .88em; }
"""


def _image(figure: ReportFigure) -> str:
    data = base64.b64encode(figure.files.png.read_bytes()).decode("ascii")
    return (
        f'<img src="data:image/png;base64,{data}" alt="{escape(figure.title)}" '
        f'title="{escape(figure.title)}">'
    )


def _figure(figure: ReportFigure) -> str:
    provenance = "".join(
        f'<br><span class="prov">{escape(line)}</span>' for line in figure.provenance
    )
    return (
        f'<figure id="fig-{escape(figure.files.name)}">{_image(figure)}'
        f"<figcaption><strong>{escape(figure.title)}.</strong> {escape(figure.description)}"
        f"<br>Provenance (files {escape(figure.files.png.name)}, {escape(figure.files.svg.name)}):"
        f"{provenance}</figcaption></figure>"
    )


def _looks_numeric(cell: str) -> bool:
    head = cell.split(" ", 1)[0].lstrip("+-−")
    return bool(head) and (head[0].isdigit() or head in ("—", "n/a"))


def _table(table: ReportTable) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
    body = []
    for row in table.rows:
        cells = "".join(
            f'<td class="num">{escape(c)}</td>' if _looks_numeric(c) else f"<td>{escape(c)}</td>"
            for c in row
        )
        body.append(f"<tr>{cells}</tr>")
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    return (
        f"<h3>{escape(table.title)}</h3><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>{note}"
    )


def _section(section: ReportSection) -> str:
    parts = [f'<section id="{escape(section.anchor)}"><h2>{escape(section.title)}</h2>']
    parts += [f"<p>{escape(p)}</p>" for p in section.text]
    parts += [_table(t) for t in section.tables]
    parts += [_figure(f) for f in section.figures]
    parts += [
        f"<h3>{escape(title)}</h3><pre>{escape(text)}</pre>" for title, text in section.blocks
    ]
    parts.append("</section>")
    return "\n".join(parts)


def render_html(report: Report) -> str:
    """The whole page as a string."""
    contents = "".join(
        f'<li><a href="#{escape(s.anchor)}">{escape(s.title)}</a></li>' for s in report.sections
    )
    intro = "".join(f"<p>{escape(p)}</p>" for p in report.intro)
    body = "\n".join(_section(s) for s in report.sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(report.title)}</title><style>{_STYLE}</style></head>\n"
        f"<body><h1>{escape(report.title)}</h1>{intro}"
        f"<nav><h2>Contents</h2><ul>{contents}</ul></nav>\n{body}\n</body></html>\n"
    )
