"""The report of `harness combine`: Markdown, CSV tables and learning-curve plots.

Reads only the results document's rows (`harness.combine.runner` says what they hold),
so a report can be remade from results.json alone. The Markdown says plainly, per model,
whether and from which k a learned combination beats the best single proxy on the same
held-out architectures, and when it does not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from harness.combine.evaluate import BEST_LABEL_FREE, BEST_PROXY
from harness.combine.models import get_model
from harness.combine.runner import HELD_OUT, LEARNED, WHOLE_SET
from harness.report.leaderboard_table import to_markdown
from harness.results import ResultRow, ResultsDocument
from harness.stats import Figure, list_figures

#: Okabe-Ito: distinguishable under the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9")
COMPARATOR_STYLE = {BEST_PROXY: ("#000000", "--"), BEST_LABEL_FREE: ("#777777", ":")}


def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _interval(point: Any, low: Any, high: Any) -> str:
    if point is None:
        return "–"
    return f"{_num(point)} [{_num(low)}, {_num(high)}]"


def _signed(value: Any) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:+.3f}"


def evaluation_labels(rows: Sequence[ResultRow]) -> list[str]:
    """The evaluations with learned rows, in document order (held out first)."""
    labels = [
        str(r.extra["evaluation"])
        for r in rows
        if r.origin == LEARNED and r.extra.get("evaluation") is not None
    ]
    return list(dict.fromkeys(labels))


def learned_rows(rows: Sequence[ResultRow], label: str) -> list[ResultRow]:
    return [r for r in rows if r.origin == LEARNED and r.extra.get("evaluation") == label]


def comparator_rows(rows: Sequence[ResultRow], label: str) -> list[ResultRow]:
    return [
        r
        for r in rows
        if r.extra.get("evaluation") == label and r.extra.get("comparator") is not None
    ]


def verdict(difference: dict[str, Any] | None) -> str:
    """How a paired difference (model - comparator) reads."""
    if not difference or difference.get("low") is None or difference.get("high") is None:
        return "no figure"
    if difference["low"] > 0:
        return "beats it"
    if difference["high"] < 0:
        return "worse"
    return "does not beat it"


def needed_k(rows: Sequence[ResultRow], model: str, comparator: str = BEST_PROXY) -> int | None:
    """The smallest k at which `model` beats the comparator significantly (the lower end
    of the paired difference's interval above 0), or None."""
    for row in sorted((r for r in rows if r.extra.get("model") == model), key=_k):
        if verdict(row.extra.get("versus", {}).get(comparator)) == "beats it":
            return _k(row)
    return None


def held_out_figures() -> list[Figure]:
    """The figures a learning curve shows (`harness.stats.FIGURES`): the correlations
    pooled over the train/held-out splits (Kendall τ, Spearman ρ)."""
    return list_figures(column=True, interval=True, pooled=True)


def _k(row: ResultRow) -> int:
    return int(row.extra["k"])


def curve_frame(rows: Sequence[ResultRow]) -> pd.DataFrame:
    """One record per learned (evaluation, model, k): figures and paired differences."""
    records = []
    for row in rows:
        if row.origin != LEARNED:
            continue
        record: dict[str, Any] = {
            "evaluation": row.extra["evaluation"],
            "dataset": row.dataset,
            "target": row.target,
            "model": row.extra["model"],
            "k": row.extra["k"],
            "splits": row.extra["splits"],
            "fit_failures": row.extra.get("fit_failures", 0),
            "held_out": row.n,
        }
        for figure in held_out_figures():
            record.update(zip(figure.keys, figure.ends(row), strict=True))
        for comparator, short in ((BEST_PROXY, "best_proxy"), (BEST_LABEL_FREE, "best_label_free")):
            difference = row.extra.get("versus", {}).get(comparator)
            if difference is None:
                continue
            record[f"{short}"] = difference["proxy"]
            record[f"{short}_kendall"] = difference["comparator_kendall"]
            for key in ("delta", "low", "high", "p_value", "n_better", "n_worse"):
                record[f"vs_{short}_{key}"] = difference[key]
            record[f"vs_{short}_verdict"] = verdict(difference)
        records.append(record)
    return pd.DataFrame.from_records(records)


def weights_frame(rows: Sequence[ResultRow]) -> pd.DataFrame:
    """Mean and spread over the splits of every fitted weight or importance."""
    records = []
    for row in rows:
        if row.origin != LEARNED:
            continue
        sd = row.extra.get("feature_weights_sd", {})
        for feature, weight in row.extra.get("feature_weights", {}).items():
            records.append(
                {
                    "evaluation": row.extra["evaluation"],
                    "model": row.extra["model"],
                    "k": row.extra["k"],
                    "feature": feature,
                    "kind": get_model(row.extra["model"]).weights_kind,
                    "mean": weight,
                    "sd": sd.get(feature),
                }
            )
    return pd.DataFrame.from_records(records)


def curve_csv(document: ResultsDocument) -> str:
    return curve_frame(document.rows).to_csv(index=False, float_format="%.6g")


def weights_csv(document: ResultsDocument) -> str:
    return weights_frame(document.rows).to_csv(index=False, float_format="%.6g")


def _curve_table(rows: Sequence[ResultRow], confidence: float) -> list[str]:
    pct = f"{confidence:.0%}"
    lines = [
        f"| model | k | splits | held out | Kendall τ [{pct}] | Spearman ρ [{pct}] | "
        f"Δτ vs best single proxy [{pct}] | verdict | splits better / worse | "
        f"Δτ vs best label-free [{pct}] |",
        "|---|---:|---:|---:|---|---|---|---|---:|---|",
    ]
    for row in sorted(rows, key=lambda r: (r.extra["model"], _k(r))):
        versus = row.extra.get("versus", {})
        single, label_free = versus.get(BEST_PROXY), versus.get(BEST_LABEL_FREE)

        def diff(d: dict[str, Any] | None) -> str:
            if not d:
                return "–"
            return f"{_signed(d['delta'])} [{_signed(d['low'])}, {_signed(d['high'])}]"

        def tally(d: dict[str, Any] | None) -> str:
            return "–" if not d else f"{d['n_better']} / {d['n_worse']}"

        failures = row.extra.get("fit_failures", 0)
        splits = f"{row.extra['splits']}" + (f" ({failures} unfit)" if failures else "")
        lines.append(
            f"| {row.extra['model']} | {_k(row)} | {splits} | {row.n} | "
            f"{_interval(row.kendall, row.kendall_lo, row.kendall_hi)} | "
            f"{_interval(row.spearman, row.spearman_lo, row.spearman_hi)} | "
            f"{diff(single)} | {verdict(single)} | {tally(single)} | {diff(label_free)} |"
        )
    return lines


def _comparator_table(rows: Sequence[ResultRow], confidence: float) -> list[str]:
    if not rows:
        return []
    pct = f"{confidence:.0%}"
    lines = [
        f"| comparator | proxy | k | Kendall τ on the same held-out archs [{pct}] | whole set τ |",
        "|---|---|---:|---|---:|",
    ]
    for row in sorted(rows, key=lambda r: (r.extra["comparator"], _k(r))):
        name = row.proxy.rsplit(" (k=", 1)[0]
        whole = row.extra.get("whole_set", {}).get("kendall")
        lines.append(
            f"| {row.extra['comparator']} | {name} | {_k(row)} | "
            f"{_interval(row.kendall, row.kendall_lo, row.kendall_hi)} | {_num(whole)} |"
        )
    return lines


def plain_statements(rows: Sequence[ResultRow]) -> list[str]:
    """Per model: from which k it beats the best single proxy significantly, or that it
    does not at any k evaluated (and whether it is significantly worse somewhere)."""
    lines = []
    models = list(dict.fromkeys(str(r.extra["model"]) for r in rows))
    for model in models:
        own = sorted((r for r in rows if r.extra["model"] == model), key=_k)
        if not own:
            continue
        comparator = own[0].extra.get("versus", {}).get(BEST_PROXY, {}).get("proxy", "?")
        k = needed_k(own, model)
        ks = ", ".join(str(_k(r)) for r in own)
        worse = [_k(r) for r in own if verdict(r.extra["versus"].get(BEST_PROXY)) == "worse"]
        if k is None:
            text = (
                f"**{model} does not beat the best single proxy ({comparator})** significantly "
                f"at any k evaluated ({ks})"
            )
        else:
            later = [
                _k(r)
                for r in own
                if _k(r) > k and verdict(r.extra["versus"].get(BEST_PROXY)) != "beats it"
            ]
            text = (
                f"**{model} beats the best single proxy ({comparator})** significantly from "
                f"k = {k} labelled architectures"
            )
            if later:
                text += f" (but not at k = {', '.join(map(str, later))})"
        if worse:
            text += f"; it is significantly worse at k = {', '.join(map(str, worse))}"
        label_free = own[0].extra.get("versus", {}).get(BEST_LABEL_FREE)
        if label_free:
            k_free = needed_k(own, model, BEST_LABEL_FREE)
            text += (
                f"; it beats the best label-free combination ({label_free['proxy']}) from "
                f"k = {k_free}"
                if k_free is not None
                else f"; it does not beat the best label-free combination "
                f"({label_free['proxy']}) at any k"
            )
        lines.append(f"- {text}.")
    return lines


def _weights_table(rows: Sequence[ResultRow]) -> list[str]:
    """Weights at the largest k evaluated, one column per model."""
    if not rows:
        return []
    largest = max(_k(r) for r in rows)
    at = [r for r in rows if _k(r) == largest]
    features = list(at[0].extra.get("features", []))
    header = "| feature | " + " | ".join(str(r.extra["model"]) for r in at) + " |"
    trees = [
        r.extra["model"] for r in at if get_model(r.extra["model"]).weights_kind == "importance"
    ]
    lines = [
        f"Fitted weights at k = {largest} (mean ± sd over the splits; ridge, logistic and "
        f"pairwise: coefficients on rank features in [0, 1]; {' and '.join(trees or ['gbt'])}: "
        "impurity importances):",
        "",
        header,
        "|---|" + "---:|" * len(at),
    ]
    for feature in features:
        cells = []
        for row in at:
            mean = row.extra.get("feature_weights", {}).get(feature)
            sd = row.extra.get("feature_weights_sd", {}).get(feature)
            cells.append("–" if mean is None else f"{mean:.3f} ± {sd:.3f}")
        lines.append(f"| {feature} | " + " | ".join(cells) + " |")
    return lines


def _whole_set_table(rows: Sequence[ResultRow]) -> list[str]:
    whole = sorted(
        (r for r in rows if r.extra.get("evaluation") == WHOLE_SET),
        key=lambda r: -(r.kendall if r.kendall is not None else -2),
    )
    if not whole:
        return []
    lines = [
        "| proxy | kind | Kendall τ [95%] | Spearman ρ [95%] | Δτ vs best single proxy "
        "[95%], paired |",
        "|---|---|---|---|---|",
    ]
    for row in whole:
        kind = "label-free combination" if row.extra.get("combination") else "single proxy"
        versus = row.extra.get("versus_best_proxy")
        difference = "–"
        if versus:
            difference = (
                f"{_signed(versus['delta'])} [{_signed(versus['low'])}, "
                f"{_signed(versus['high'])}] ({verdict(versus)})"
            )
        lines.append(
            f"| {row.proxy} | {kind} | {_interval(row.kendall, row.kendall_lo, row.kendall_hi)} "
            f"| {_interval(row.spearman, row.spearman_lo, row.spearman_hi)} | {difference} |"
        )
    return lines


def _leakage_section(rows: Sequence[ResultRow]) -> list[str]:
    leak = [r for r in rows if r.origin == "leakage test"]
    if not leak:
        return []
    passed = all(r.extra.get("as_expected") for r in leak)
    noise = leak[0].extra.get("noise")
    lines = [
        "## Leakage test",
        "",
        "One feature, a noisy copy of the ground truth (normal scores of the truth's ranks "
        f"+ noise of sd {noise}), "
        "given to the labelled architectures only must leave the held-out Kendall τ at "
        "chance (interval not above 0); given to all architectures it must lift it above "
        "chance (this shows the test can see a leak). "
        + ("**Passed**: every arm behaved as it must." if passed else "**FAILED**."),
        "",
        "| arm | model | k | held-out τ [95%] | above chance | as expected |",
        "|---|---|---:|---|---|---|",
    ]
    for row in leak:
        lines.append(
            f"| {row.extra['arm']} | {row.extra['model']} | {_k(row)} | "
            f"{_interval(row.kendall, row.kendall_lo, row.kendall_hi)} | "
            f"{'yes' if row.extra['above_chance'] else 'no'} | "
            f"{'yes' if row.extra['as_expected'] else '**no**'} |"
        )
    return lines


def combine_markdown(document: ResultsDocument) -> str:
    """The whole report (see the module doc)."""
    rows = document.rows
    resolved = document.config.get("resolved", {})
    combine = document.config.get("combine", {})
    confidence = float(combine.get("confidence", 0.95))
    lines = [
        f"# Learned combinations · {resolved.get('table')} · {resolved.get('target')}",
        "",
        f"{resolved.get('archs')} architectures ({resolved.get('iso_classes')} isomorphism "
        f"classes; a class is never split between labelled and held-out), scores: "
        f"{combine.get('scores')} ({resolved.get('score_dataset')}); features: "
        f"{', '.join(resolved.get('features', []))}. Per k, {combine.get('splits')} random "
        "splits; every model is fitted on the k labelled architectures (features ranked on "
        "them only) and judged on the held-out ones only. Intervals pool the per-split "
        "paired bootstraps over the held-out architectures "
        f"({combine.get('split_resamples')} resamples per split), so they cover both which "
        "architectures were labelled and the sampling of the held-out ones: a difference "
        "whose interval lies above 0 is one a user labelling k random architectures can "
        "count on. 'splits better / worse' counts the splits whose own paired interval lies "
        "above / below 0. The comparators are chosen with hindsight (highest τ over the "
        "whole set), which favours them.",
        "",
        "![Held-out Kendall τ and Spearman ρ against k](learning_curve.png)",
        "",
        "## Whole set, no labels",
        "",
        *_whole_set_table(rows),
    ]
    for label in evaluation_labels(rows):
        if label.startswith("leakage"):
            continue
        learned = learned_rows(rows, label)
        heading = "Held-out architectures" if label == HELD_OUT else label[:1].upper() + label[1:]
        lines += ["", f"## {heading}", ""]
        if label != HELD_OUT and learned:
            lines += [
                f"Fitted on the source's labelled architectures ({resolved.get('target')}), "
                f"judged against {learned[0].target}.",
                "",
            ]
        lines += [*plain_statements(learned), "", *_curve_table(learned, confidence), ""]
        lines += _comparator_table(comparator_rows(rows, label), confidence)
        lines += ["", *_weights_table(learned)]
    lines += ["", *_leakage_section(rows)]
    if document.notes:
        lines += ["", "## Notes", "", *[f"- {n}" for n in document.notes]]
    return "\n".join(lines).rstrip() + "\n"


def leaderboard_markdown(rows: Sequence[ResultRow], title: str) -> str:
    """One leaderboard per k: the learned rows and the comparators on the same held-out
    architectures."""

    board = leaderboard_rows(rows)
    parts = [f"## {title}", ""]
    for k in sorted({_k(r) for r in board}):
        parts.append(to_markdown([r for r in board if _k(r) == k], title=f"k = {k}"))
    return "\n".join(parts)


def leaderboard_rows(rows: Sequence[ResultRow]) -> list[ResultRow]:
    """The held-out rows (a row per model and k, and the comparators on the same
    held-out architectures), best Kendall first within each k, k ascending."""
    held = [r for r in rows if r.extra.get("evaluation") == HELD_OUT and r.origin != "leakage test"]
    return sorted(held, key=lambda r: (_k(r), -(r.kendall if r.kendall is not None else -2)))


def plot_learning_curves(document: ResultsDocument, path: Path) -> Path:
    """Held-out τ and ρ (pooled interval bands) against k, a panel pair per evaluation,
    the comparators as flat lines at their whole-set figures."""
    # deferred: pulls in matplotlib, PIL
    from harness.report.style import plt

    rows = document.rows
    labels = [x for x in evaluation_labels(rows) if not x.startswith("leakage")]
    panels = held_out_figures()
    figure, axes = plt.subplots(
        max(1, len(labels)),
        len(panels),
        figsize=(4.75 * len(panels), 3.3 * max(1, len(labels))),
        squeeze=False,
    )
    for line, label in enumerate(labels):
        learned = learned_rows(rows, label)
        models = list(dict.fromkeys(str(r.extra["model"]) for r in learned))
        comparators = {r.extra["comparator"]: r for r in comparator_rows(rows, label)}
        for column, shown in enumerate(panels):
            statistic = shown.name
            ax = axes[line, column]
            for index, model in enumerate(models):
                own = sorted((r for r in learned if r.extra["model"] == model), key=_k)
                ks = [_k(r) for r in own]
                mid = [_nan(getattr(r, statistic)) for r in own]
                lo = [_nan(getattr(r, f"{statistic}_lo")) for r in own]
                hi = [_nan(getattr(r, f"{statistic}_hi")) for r in own]
                color = PALETTE[index % len(PALETTE)]
                ax.plot(ks, mid, marker="o", color=color, label=model)
                ax.fill_between(ks, lo, hi, color=color, alpha=0.15, linewidth=0)
            for comparator, row in comparators.items():
                value = row.extra.get("whole_set", {}).get(statistic)
                if value is None:
                    continue
                color, style = COMPARATOR_STYLE.get(comparator, ("#000000", "-"))
                name = row.proxy.rsplit(" (k=", 1)[0]
                ax.axhline(value, color=color, linestyle=style, label=f"{name} ({comparator})")
            ax.set_xscale("log")
            ks_all = sorted({_k(r) for r in learned})
            if ks_all:
                ax.set_xticks(ks_all, [str(k) for k in ks_all])
                ax.minorticks_off()
            ax.set_xlabel("labelled architectures k")
            ax.set_ylabel(f"held-out {shown.label}")
            ax.set_title(label if column == 0 else "", fontsize=9, loc="left")
            ax.grid(alpha=0.3)
        axes[line, 0].legend(frameon=False, fontsize=7)
    resolved = document.config.get("resolved", {})
    figure.suptitle(f"{resolved.get('table')} · {resolved.get('target')}", fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)
