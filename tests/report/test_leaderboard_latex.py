"""LaTeX leaderboards (single target and multi-target share `harness.report.latex`) and
the multi-target matrices' figures."""

from __future__ import annotations

import pytest

from harness.report.latex import booktabs, latex_cell, latex_escape
from harness.report.leaderboard_table import render, to_latex, to_markdown, undefined_notes
from harness.report.target_matrix import matrix_figures, target_matrix, to_html
from harness.results import ResultRow
from harness.stats import list_figures


def _row(proxy: str, target: str, tau: float, ndcg: float | None) -> ResultRow:
    extra = {} if ndcg is None else {"ndcg": ndcg, "ndcg_lo": ndcg - 0.1, "ndcg_hi": ndcg + 0.05}
    return ResultRow(space="nb201", dataset="cifar10", target=target, proxy=proxy,
                     higher_is_better=True, n=100, n_failed=0, kendall=tau,
                     kendall_lo=tau - 0.05, kendall_hi=tau + 0.05, spearman=tau + 0.1,
                     spearman_lo=tau, spearman_hi=tau + 0.2, pearson=None, extra=extra)  # fmt: skip


ACC, LAT = "cifar10/accuracy/valid/200", "cifar10/edgegpu_latency/hardware/-"


def test_single_target_latex_is_booktabs_with_intervals_and_the_best_in_bold():
    rows = [_row("my_proxy", ACC, 0.5, 0.7), _row("b", ACC, -0.25, 0.9)]
    latex = render(rows, "latex", title="nb201 · target acc")
    lines = latex.splitlines()
    assert lines[0] == r"\begin{table}[t]" and r"\caption{nb201 $\cdot$ target acc}" in lines
    assert r"\begin{tabular}{lrccc}" in lines
    assert lines.index(r"\toprule") < lines.index(r"\midrule") < lines.index(r"\bottomrule")
    assert r"proxy & n & Kendall $\tau$ & Spearman $\rho$ & nDCG@10\% \\" in lines
    first, second = (line for line in lines if line.startswith(("my", "b &")))
    # tau: my_proxy best (bold); nDCG: b best; intervals in small type; minus signs in math
    assert first.startswith(r"my\_proxy & 100 & \textbf{0.500} {\scriptsize [0.450, 0.550]}")
    assert r"\textbf{0.900} {\scriptsize [0.800, 0.950]}" in second
    assert r"$-$0.250 {\scriptsize [$-$0.300, $-$0.200]}" in second
    assert to_latex(rows, title="x") == render(rows, "latex", title="x")


def test_latex_helpers_escape_and_mark_missing_cells():
    assert latex_escape("a_b & 5% ↓") == r"a\_b \& 5\% $\downarrow$"
    assert latex_cell(None) == "--" and latex_cell(None, missing="n/a") == "n/a"
    assert latex_cell(0.5, bold=True) == r"\textbf{0.500}"
    table = booktabs(["h_1", "h2"], [["x", "y"]], caption="c")
    assert r"h\_1 & h2 \\" in table and r"x & y \\" in table and r"{lc}" in table


def test_matrix_figures_come_from_the_figure_list():
    shown = [f.name for f in list_figures(table="leaderboard") if f.interval and f.show_interval]
    assert [f.name for f in matrix_figures()] == shown
    assert {"kendall", "spearman", "ndcg"} <= set(shown)


def test_ndcg_is_na_with_its_reason_on_lower_is_better_targets():
    rows = [_row("a", ACC, 0.5, 0.7), _row("a", LAT, 0.2, None), _row("b", ACC, 0.3, 0.8),
            _row("b", LAT, 0.4, None)]  # fmt: skip
    ndcg = next(f for f in matrix_figures() if f.name == "ndcg")
    matrix = target_matrix(rows, ndcg, lower_is_better=[LAT])
    assert matrix.text("a", LAT) == "n/a" and matrix.best == {ACC: "b", LAT: None}
    assert matrix.means == {"a": pytest.approx(0.7), "b": pytest.approx(0.8)}
    assert "needs a non-negative truth" in matrix.note()
    kendall = target_matrix(rows, matrix_figures()[0], lower_is_better=[LAT])
    assert kendall.proxies == ["a", "b"] and kendall.best == {ACC: "a", LAT: "b"}
    assert kendall.note() == "" and kendall.frame().loc["b", LAT] == pytest.approx(0.4)
    # not on a higher-is-better target: a missing value stays "—"
    assert target_matrix(rows, ndcg).text("a", LAT) == "—"
    page = to_html(rows, title="t", lower_is_better=[LAT])
    assert page.count("<table>") == len(matrix_figures()) and "Best per target" in page


def test_single_leaderboard_against_a_cost_says_why_ndcg_is_undefined():
    rows = [_row("a", LAT, 0.2, None), _row("b", LAT, 0.4, None)]
    assert len(undefined_notes(rows)) == 1
    markdown = to_markdown(rows, lower_is_better=True)
    assert "nDCG@10% is undefined (—) here: its gain 2^truth − 1" in markdown.replace("\\", "")
    assert "undefined" not in to_markdown(rows)
    assert undefined_notes([_row("a", ACC, 0.2, 0.5)]) == []


def test_a_jackknife_interval_resting_on_one_architecture_is_marked_and_explained():
    from harness.report.target_matrix import UNRELIABLE_NOTE, to_latex, to_markdown

    rows = [_row("a", ACC, 0.5, 0.7), _row("b", ACC, 0.3, 0.8)]
    rows[0].extra.update(interval="jackknife", unreliable_intervals=["ndcg"])
    ndcg = next(f for f in matrix_figures() if f.name == "ndcg")
    matrix = target_matrix(rows, ndcg)
    assert matrix.text("a", ACC) == "0.700 [0.600, 0.750] †"
    assert matrix.text("b", ACC) == "0.800 [0.700, 0.850]"
    assert matrix.note() == UNRELIABLE_NOTE
    kendall = target_matrix(rows, matrix_figures()[0])
    assert "†" not in kendall.text("a", ACC) and kendall.note() == ""
    markdown = to_markdown(rows, title="t")
    assert markdown.count(" †") == 1 and UNRELIABLE_NOTE in markdown
    assert "[95% CI, jackknife]" in markdown
    latex = to_latex(rows, caption="t")
    assert latex.count(r"\textsuperscript{\dag}") == 2  # the cell and its caption's note


def test_the_single_target_leaderboard_marks_the_same_cells():
    from harness.report.leaderboard_table import UNRELIABLE_NOTE

    rows = [_row("a", ACC, 0.5, 0.7), _row("b", ACC, 0.3, 0.8)]
    rows[0].extra.update(interval="jackknife", unreliable_intervals=["ndcg"])
    markdown = to_markdown(rows, title="t")
    assert "0.700 [0.600, 0.750] †" in markdown and markdown.count("†") == 2
    assert UNRELIABLE_NOTE in markdown and "95% CI, jackknife" in markdown
    latex = to_latex(rows, title="t")
    assert latex.count(r"\textsuperscript{\dag}") == 2
    plain = [_row("a", ACC, 0.5, 0.7)]
    assert "†" not in to_markdown(plain, title="t") and "dag" not in to_latex(plain, title="t")
