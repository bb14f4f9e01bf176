"""Leaderboards as LaTeX booktabs tables (`harness leaderboard --format latex`, the
multi-target `leaderboard.tex`): one renderer for both, so that a paper's tables read
alike. A cell is an estimate with its interval in small type; the best of a column is
bold. Needs `\\usepackage{booktabs}`."""

from __future__ import annotations

from collections.abc import Sequence

#: Characters LaTeX reads as commands, escaped in a cell's text.
_LATEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}", "τ": r"$\tau$", "ρ": r"$\rho$", "·": r"$\cdot$",
                  "ε": r"$\varepsilon$", "≈": r"$\approx$", "↓": r"$\downarrow$",
                  "−": "$-$", "†": r"\textsuperscript{\dag}"}  # fmt: skip


def latex_escape(text: str) -> str:
    """`text` with LaTeX's special characters escaped."""
    return "".join(_LATEX_ESCAPES.get(c, c) for c in text)


def latex_number(value: float, digits: int = 3) -> str:
    """A number with a LaTeX minus sign."""
    return f"{value:.{digits}f}".replace("-", "$-$")


def latex_cell(
    point: float | None,
    low: float | None = None,
    high: float | None = None,
    *,
    bold: bool = False,
    missing: str = "--",
) -> str:
    """An estimate (bold if `bold`) with its interval in small type; `missing` if None."""
    if point is None:
        return missing
    text = latex_number(point)
    if bold:
        text = rf"\textbf{{{text}}}"
    if low is not None and high is not None:
        text += rf" {{\scriptsize [{latex_number(low)}, {latex_number(high)}]}}"
    return text


def booktabs(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, caption: str, align: str = ""
) -> str:
    """A booktabs table of already written LaTeX cells (`header` is escaped here, the
    cells are not); `align` defaults to one left column and centred others."""
    align = align or "l" + "c" * (len(header) - 1)
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        rf"\caption{{{latex_escape(caption)}}}",
        rf"\begin{{tabular}}{{{align}}}",
        r"\toprule",
        " & ".join(latex_escape(h) for h in header) + r" \\",
        r"\midrule",
        *(" & ".join(cells) + r" \\" for cells in rows),
        r"\bottomrule",
        r"\end{tabular}",
        r"\end{table}",
    ]
    return "\n".join(lines) + "\n"
