"""The search report: summary tables (markdown, CSV) and regret-vs-evaluations plots.

Reads only the results document's rows (their `extra["search"]`, `extra["curves"]` and
`extra["pairwise"]`), so a report can be remade from results.json alone.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from harness.results import ResultRow

#: Okabe-Ito: distinguishable under the common colour-vision deficiencies.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#000000",
)
LINE_STYLES: tuple[str, ...] = ("-", "--", "-.", ":")

SUMMARY_COLUMNS: tuple[str, ...] = (
    "estimator",
    "kendall_pool",
    "kendall_space",
    "strategy",
    "seeds",
    "final_accuracy_mean",
    "final_accuracy_lo",
    "final_accuracy_hi",
    "final_regret_mean",
    "best_evaluated_mean",
    "share_within_0.5",
    "calls_mean",
    "stalled",
    "seconds_total",
)


def summary_records(rows: Sequence[ResultRow]) -> list[dict[str, Any]]:
    """One record per (estimator, strategy), in document order."""
    records = []
    for row in rows:
        for strategy, s in row.extra.get("search", {}).items():
            final = s["final_accuracy"]
            records.append(
                {
                    "estimator": row.proxy,
                    "kendall_pool": row.kendall,
                    "kendall_space": row.extra.get("kendall_space", {}).get("mean"),
                    "strategy": strategy,
                    "seeds": final["n"],
                    "final_accuracy_mean": final["mean"],
                    "final_accuracy_lo": final["lo"],
                    "final_accuracy_hi": final["hi"],
                    "final_regret_mean": s["final_regret"]["mean"],
                    "best_evaluated_mean": s["best_evaluated_accuracy"]["mean"],
                    "share_within_0.5": s["share_within_0.5"],
                    "calls_mean": s["calls_mean"],
                    "stalled": s["stalled"],
                    "seconds_total": s["seconds_total"],
                }
            )
    return records


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def summary_markdown(rows: Sequence[ResultRow], title: str) -> str:
    lines = [
        f"# {title}",
        "",
        "| estimator | τ pool | τ space | strategy | seeds | final acc. (mean [95% CI]) "
        "| regret | best evaluated | ≤0.5 pt | calls | stalled | s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in summary_records(rows):
        interval = f"{_fmt(r['final_accuracy_mean'])} [{_fmt(r['final_accuracy_lo'])}, " + (
            f"{_fmt(r['final_accuracy_hi'])}]"
        )
        lines.append(
            f"| {r['estimator']} | {_fmt(r['kendall_pool'], 3)} | {_fmt(r['kendall_space'], 3)} "
            f"| {r['strategy']} | {r['seeds']} | {interval} | {_fmt(r['final_regret_mean'])} "
            f"| {_fmt(r['best_evaluated_mean'])} | {_fmt(r['share_within_0.5'])} "
            f"| {_fmt(r['calls_mean'], 1)} | {r['stalled']} | {_fmt(r['seconds_total'], 1)} |"
        )
    pairwise = pairwise_markdown(rows)
    return "\n".join(lines) + "\n" + (f"\n{pairwise}" if pairwise else "")


def _gap_label(low: float, high: float | None) -> str:
    """`[low, high)`, or `≥ low` for the open last bin (its inf high is null in JSON)."""
    if high is None or not math.isfinite(high):
        return f"≥ {low:g}"
    return f"[{low:g}, {high:g})"


def pairwise_markdown(rows: Sequence[ResultRow]) -> str:
    """Pairwise accuracy per estimator and pair set, overall and per true-gap bin."""
    body = []
    header: list[str] | None = None
    for row in rows:
        for name, figure in row.extra.get("pairwise", {}).items():
            bins = figure["by_gap"]
            if header is None:
                header = [_gap_label(b["low"], b["high"]) for b in bins]
            cells = " | ".join(f"{_fmt(b['accuracy'], 3)} ({b['pairs']})" for b in bins)
            body.append(
                f"| {row.proxy} | {name} | {figure['pairs']} | {_fmt(figure['accuracy'], 3)} "
                f"| {figure['estimator_tied']} | {cells} |"
            )
    if header is None:
        return ""
    gaps = " | ".join(f"gap {h} pt" for h in header)
    return (
        "\n".join(
            [
                "## Pairwise ranking accuracy (accuracy (pairs); estimator ties count ½)",
                "",
                f"| estimator | pairs | n | accuracy | estimator ties | {gaps} |",
                "|---|---|---|---|---|" + "---|" * len(header),
                *body,
            ]
        )
        + "\n"
    )


def summary_csv(rows: Sequence[ResultRow]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(SUMMARY_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for record in summary_records(rows):
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return buffer.getvalue()


def plot_regret(rows: Sequence[ResultRow], path: Path, title: str) -> Path:
    """Mean regret (95% band) vs estimator calls: one panel per estimator, a line per strategy."""
    # deferred: pulls in matplotlib
    import matplotlib

    matplotlib.use("Agg")
    # deferred: pulls in matplotlib
    import matplotlib.pyplot as plt

    panels = [r for r in rows if r.extra.get("curves")]
    columns = min(3, max(1, len(panels)))
    lines = math.ceil(len(panels) / columns) if panels else 1
    figure, axes = plt.subplots(
        lines, columns, figsize=(4.2 * columns, 3.2 * lines), squeeze=False, sharey=True
    )
    strategies: list[str] = []
    for row in panels:
        for name in row.extra["curves"]:
            if name not in strategies:
                strategies.append(name)
    for index, ax in enumerate(axes.flat):
        if index >= len(panels):
            ax.set_visible(False)
            continue
        row = panels[index]
        for name, curve in row.extra["curves"].items():
            k = strategies.index(name)
            steps = np.arange(1, curve["steps"] + 1)
            mean = np.asarray(curve["regret_mean"], dtype=float)
            color = PALETTE[k % len(PALETTE)]
            ax.plot(steps, mean, color=color, linestyle=LINE_STYLES[k % 4], label=name)
            lo = np.asarray(curve["regret_lo"], dtype=float)
            hi = np.asarray(curve["regret_hi"], dtype=float)
            if np.all(np.isfinite(lo)):
                ax.fill_between(steps, lo, hi, color=color, alpha=0.18, linewidth=0)
        ax.set_xscale("log")
        ax.set_title(row.proxy, fontsize=10)
        ax.set_xlabel("estimator calls")
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("regret (accuracy points)")
    if panels:
        axes.flat[0].legend(frameon=False, fontsize=8)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
