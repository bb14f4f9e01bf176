"""What `harness distill` prints and writes: a Markdown table, a CSV, and the tau-vs-epoch plot.

Reads only the results document (rows of kind "distill", `extra` = method, seed, epoch, ...
and `config["summary"]`); it never recomputes a figure.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from pathlib import Path

from harness.results import CORRELATION_COLUMNS, ResultRow, ResultsDocument
from harness.stats import list_figures


def _number(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{digits}f}"


def _interval(estimate, low, high) -> str:
    if low is None or high is None or not all(math.isfinite(v) for v in (low, high)):
        return _number(estimate)
    return f"{_number(estimate)} [{_number(low)}, {_number(high)}]"


def final_rows(rows: list[ResultRow]) -> list[ResultRow]:
    """Each (method, seed)'s last evaluation."""
    last: dict[tuple[str, int], ResultRow] = {}
    for row in rows:
        key = (row.extra["method"], row.extra["seed"])
        if key not in last or row.extra["epoch"] > last[key].extra["epoch"]:
            last[key] = row
    return list(last.values())


def to_markdown(document: ResultsDocument) -> str:
    config, summary = document.config, document.config.get("summary", {})
    resolved = config.get("resolved", {})
    confidence = summary.get("confidence", 0.95)
    pct = f"{confidence * 100:g}%"
    shown = list_figures(column=True, interval=True)
    headers = " | ".join(f.label for f in shown)
    lines = [
        f"# RD-NAS vs SPOS · {resolved.get('space')} supernet trained on "
        f"{resolved.get('data_source')} · ranked against {resolved.get('target')}",
        "",
        f"{resolved.get('eval_archs')} subnets ranked by held-out "
        f"{config['eval']['score']} (BN mode {config['eval']['bn_mode']}), "
        f"{config['train']['epochs']} epochs, seeds {resolved.get('training_seeds')}.",
        "",
        f"## Final epoch, per seed (bootstrap {pct} interval over subnets)",
        "",
        f"| method | seed | epoch | {headers} | mean acc % | n |",
        "|---|---:|---:|" + "---|" * len(shown) + "---:|---:|",
    ]
    for row in sorted(
        final_rows(document.rows), key=lambda r: (r.extra["method"], r.extra["seed"])
    ):
        cells = " | ".join(_interval(*f.ends(row)) for f in shown)
        lines.append(
            f"| {row.proxy} | {row.extra['seed']} | {row.extra['epoch']} | {cells} | "
            f"{_number(row.extra.get('mean_accuracy'), 2)} | {row.n} |"
        )
    lines += [
        "",
        f"## Final epoch, mean over seeds (Student-t {pct} interval over seeds)",
        "",
        f"| method | seeds | {headers} |",
        "|---|---:|" + "---|" * len(shown),
    ]
    for label, entry in summary.get("methods", {}).items():
        cells = [
            _interval(entry[f.name]["mean"], entry[f.name]["low"], entry[f.name]["high"])
            for f in shown
        ]
        lines.append(f"| {label} | {len(entry['per_seed'])} | " + " | ".join(cells) + " |")
    differences = {
        label: entry["minus_spos"]
        for label, entry in summary.get("methods", {}).items()
        if "minus_spos" in entry
    }
    if differences:
        lines += [
            "",
            "## Kendall τ difference to SPOS (paired bootstrap over subnets per seed; "
            "mean with t-interval over seeds)",
            "",
            "| method | per seed: Δτ [interval] (p) | mean Δτ |",
            "|---|---|---|",
        ]
        for label, diff in differences.items():
            per_seed = "; ".join(
                f"seed {seed}: {_interval(d['delta'], d['low'], d['high'])} "
                f"(p={_number(d['p_value'])})"
                for seed, d in diff["per_seed"].items()
            )
            lines.append(
                f"| {label} | {per_seed} | {_interval(diff['mean'], diff['low'], diff['high'])} |"
            )
    teacher = resolved.get("teacher") or {}
    reference = teacher.get("reference")
    if reference:
        bound = (
            " (ground truth: an upper bound, not a method)" if teacher.get("upper_bound") else ""
        )
        lines += [
            "",
            f"Teacher {teacher.get('teacher')}{bound} alone on the same subnets: Kendall τ "
            f"{_interval(reference['kendall'], reference['kendall_lo'], reference['kendall_hi'])}"
            f" (n = {reference['n']}).",
        ]
    lines += ["", "## Kendall τ per evaluation epoch (mean over seeds)", ""]
    by_method: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in document.rows:
        if row.kendall is not None:
            by_method[row.proxy][row.extra["epoch"]].append(row.kendall)
    epochs = sorted({e for values in by_method.values() for e in values})
    lines.append("| method | " + " | ".join(f"epoch {e}" for e in epochs) + " |")
    lines.append("|---|" + "---:|" * len(epochs))
    for label, values in by_method.items():
        cells = [_number(sum(values[e]) / len(values[e])) if values.get(e) else "–" for e in epochs]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def to_csv(document: ResultsDocument) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = [*CORRELATION_COLUMNS, "n"]
    writer.writerow(["method", "seed", "epoch", *columns, "mean_accuracy", "train_loss"])
    for row in document.rows:
        writer.writerow(
            [row.proxy, row.extra["seed"], row.extra["epoch"]]
            + [getattr(row, c) for c in columns]
            + [row.extra.get("mean_accuracy"), row.extra.get("train_loss")]
        )
    return buffer.getvalue()


#: The methods' colours in the tau-vs-epoch plot (Okabe-Ito, in this order).
_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


def plot_kendall_vs_epoch(document: ResultsDocument, path: Path) -> Path:
    """Kendall tau against epoch: per method the mean over seeds, a min-max band over
    seeds and each seed's thin line; the teacher's own tau as a dashed line."""
    # deferred: pulls in matplotlib
    import matplotlib

    matplotlib.use("Agg")
    # deferred: pulls in matplotlib, PIL
    import matplotlib.pyplot as plt

    from harness.report.style import SeriesStyle
    from harness.report.sweeps import draw_epoch_curves

    series: dict[str, dict[int, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    for row in document.rows:
        if row.kendall is not None:
            series[row.proxy][row.extra["seed"]][row.extra["epoch"]] = row.kendall
    figure, axes = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    draw_epoch_curves(axes, series, [SeriesStyle(c, "-", "o") for c in _COLOURS * 4])
    teacher = document.config.get("resolved", {}).get("teacher") or {}
    reference = teacher.get("reference") or {}
    if reference.get("kendall") is not None:
        axes.axhline(
            reference["kendall"],
            color="#7f7f7f",
            linestyle="--",
            linewidth=1,
            label=f"teacher {teacher.get('teacher')} alone",
        )
    resolved = document.config.get("resolved", {})
    axes.set_xlabel("epoch")
    axes.set_ylabel(f"Kendall τ ({resolved.get('target')})")
    axes.set_title(
        f"{resolved.get('eval_archs')} subnets, supernet trained on "
        f"{resolved.get('data_source')}; band: min–max over seeds",
        fontsize=9,
    )
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="best")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
