"""Figures of ranking quality, drawn from stored results (never from recomputed scores).

    plot_rank_scatter     per proxy: rank of its score vs rank of the true accuracy
    plot_tau_heatmap      Kendall tau, proxies x (space, dataset[, setting])
    plot_tau_bars         tau with its interval whiskers, sorted
    plot_quality_vs_cost  tau against seconds per architecture (log), Pareto front marked
    plot_top_k_curves     share of the true top-k% found in the proxy's top-k%, k = 1..50%
    plot_target_heatmap   a multi-target leaderboard's tau, proxies x targets

Every function writes `<name>.png` and `<name>.svg` and returns their paths, or
None when the group holds nothing to draw (e.g. no per-architecture values).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from scipy.stats import rankdata

from harness.report.documents import ResultGroup
from harness.report.style import (
    DIVERGING_MAP,
    DPI,
    NEUTRAL,
    OKABE_ITO,
    SEQUENTIAL_MAP,
    FigureFiles,
    save_figure,
    series_style,
    styled,
)
from harness.report.target_matrix import matrix_figures, target_matrix
from harness.results import ResultRow
from harness.stats import list_figures, top_k_overlap

#: k of the top-k curves, in percent of the usable architectures.
TOP_K_PERCENTAGES: tuple[int, ...] = tuple(range(1, 51))
#: Above this many architectures a rank plot bins points (hexbin) instead of scattering.
HEXBIN_ABOVE = 300


def statistic_label(statistic: str) -> str:
    """A correlation's label (`harness.stats.FIGURES`); another name as it is."""
    labels = {f.name: f.label for f in list_figures(column=True, interval=True)}
    return labels.get(statistic, statistic)


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _fmt(value: float | None) -> str:
    return f"{value:.3f}" if _finite(value) else "n/a"


def oriented_ranks(
    score: Sequence[float | None], truth: Sequence[float | None], higher_is_better: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile ranks (0-100, 100 = best) of the finite (score, truth) pairs."""
    x = np.array([np.nan if v is None else v for v in score], dtype=float)
    y = np.array([np.nan if v is None else v for v in truth], dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = (x[keep] if higher_is_better else -x[keep]), y[keep]
    if x.size == 0:
        return x, y
    return 100.0 * rankdata(x) / x.size, 100.0 * rankdata(y) / y.size


def _grid(n: int, max_columns: int = 4) -> tuple[int, int]:
    columns = min(max_columns, max(1, n))
    return math.ceil(n / columns), columns


def plot_rank_scatter(group: ResultGroup, out_dir: Path, name: str) -> FigureFiles | None:
    """One panel per proxy: its score rank against the true-accuracy rank, tau/rho in a corner."""
    values = group.per_arch
    rows = [r for r in group.rows if values is not None and r.proxy in values.scores]
    if values is None or not rows:
        return None
    n_rows, n_cols = _grid(len(rows))
    with styled():
        figure = Figure(figsize=(2.6 * n_cols, 2.5 * n_rows + 0.4), dpi=DPI, layout="constrained")
        axes = figure.subplots(n_rows, n_cols, squeeze=False)
        for ax in axes.flat[len(rows) :]:
            ax.set_visible(False)
        for ax, row in zip(axes.flat, rows, strict=False):
            x, y = oriented_ranks(values.scores[row.proxy], values.truth, row.higher_is_better)
            if x.size > HEXBIN_ABOVE:
                # rasterized: hundreds of hexagons would make the SVG megabytes large
                ax.hexbin(
                    x, y, gridsize=22, cmap=SEQUENTIAL_MAP, mincnt=1, extent=(0, 100, 0, 100),
                    rasterized=True,
                )  # fmt: skip
            elif x.size:
                ax.scatter(x, y, s=12, alpha=0.7, color=OKABE_ITO[0], edgecolors="none")
            ax.set_xlim(0, 100)
            ax.set_ylim(0, 100)
            ax.set_title(row.proxy)
            ax.set_xlabel("proxy score rank (percentile)")
            ax.set_ylabel("true accuracy rank (percentile)")
            ax.text(
                0.03,
                0.97,
                _scatter_label(row),
                transform=ax.transAxes,
                va="top",
                ha="left",
                fontsize=8,
                bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": NEUTRAL, "lw": 0.5},
            )
        figure.suptitle(f"Rank of proxy score vs rank of true accuracy\n{group.title}")
        return save_figure(figure, out_dir, name)


def _scatter_label(row) -> str:
    """τ, ρ and n of the plotted values; a multi-seed row plots its first seed's scores."""
    if int(row.extra.get("n_seeds") or 1) < 2:
        return f"τ = {_fmt(row.kendall)}\nρ = {_fmt(row.spearman)}\nn = {row.n}"
    return (
        f"seed {row.extra.get('single_seed')}: τ = {_fmt(row.extra.get('single_seed_kendall'))}"
        f"\nρ = {_fmt(row.extra.get('single_seed_spearman'))}\nn = {row.n}"
        f"\nmean of {row.extra['n_seeds']} seeds: τ = {_fmt(row.kendall)}"
    )


_COLUMN_PARTS = ("space", "dataset", "target", "setting")


def _column_parts(groups: Sequence[ResultGroup]) -> tuple[list[int], list[tuple[str, ...]]]:
    """Which of (space, dataset, target, setting) vary between the groups, and each
    group's parts.

    Parts shared by every column go to the title instead of every label; with a
    single kind of column, space and dataset stay.
    """
    parts = [(g.key.space, g.key.dataset, g.key.target, g.key.setting) for g in groups]
    varying = [i for i in range(len(_COLUMN_PARTS)) if len({p[i] for p in parts}) > 1]
    return varying or [0, 1], parts


def heatmap_columns(groups: Sequence[ResultGroup]) -> list[str]:
    """Column labels: the parts of (space, dataset, target, setting) that differ,
    with the document label where two columns would read alike."""
    varying, parts = _column_parts(groups)
    plain = [" · ".join(p[i] for i in varying if p[i]) or f"{p[0]} · {p[1]}" for p in parts]
    return [
        f"{label} ({g.source.label})" if plain.count(label) > 1 else label
        for label, g in zip(plain, groups, strict=True)
    ]


def _heatmap_axis_names(groups: Sequence[ResultGroup]) -> tuple[str, str]:
    """(x-axis label, the shared parts for the title)."""
    varying, parts = _column_parts(groups)
    shared = [parts[0][i] for i in range(len(_COLUMN_PARTS)) if i not in varying and parts[0][i]]
    axis = ", ".join(_COLUMN_PARTS[i] for i in varying)
    return f"({axis})", " · ".join(shared)


def tau_matrix(
    groups: Sequence[ResultGroup], statistic: str = "kendall"
) -> tuple[list[str], list[str], np.ndarray]:
    """(proxies, columns, values): proxies sorted by their mean over the columns, best first."""
    columns = heatmap_columns(groups)
    proxies: list[str] = []
    for group in groups:
        proxies += [r.proxy for r in group.rows if r.proxy not in proxies]
    matrix = np.full((len(proxies), len(groups)), np.nan)
    for j, group in enumerate(groups):
        for row in group.rows:
            value = getattr(row, statistic)
            if _finite(value):
                matrix[proxies.index(row.proxy), j] = value
    with np.errstate(all="ignore"):
        means = np.array([np.nanmean(r) if np.isfinite(r).any() else -np.inf for r in matrix])
    order = np.argsort(-means, kind="stable")
    return [proxies[i] for i in order], columns, matrix[order]


def plot_tau_heatmap(
    groups: Sequence[ResultGroup], out_dir: Path, name: str, statistic: str = "kendall"
) -> FigureFiles | None:
    """Kendall tau (or another statistic) per proxy and (space, dataset), values written in."""
    if not groups:
        return None
    proxies, columns, matrix = tau_matrix(groups, statistic)
    if not proxies:
        return None
    axis_name, shared = _heatmap_axis_names(groups)
    title = f"{statistic_label(statistic)} per proxy and {axis_name}"
    return draw_heatmap(
        proxies,
        columns,
        matrix,
        out_dir,
        name,
        label=statistic_label(statistic),
        title=title + (f"\n{shared}" if shared else ""),
        xlabel=axis_name,
    )


def draw_heatmap(
    proxies: Sequence[str],
    columns: Sequence[str],
    matrix: np.ndarray,
    out_dir: Path,
    name: str,
    *,
    label: str,
    title: str,
    xlabel: str,
) -> FigureFiles:
    """A proxies x columns heat map of a correlation (diverging around 0, values written
    in, grey "—" where undefined)."""
    limit = max(0.05, float(np.nanmax(np.abs(matrix))) if np.isfinite(matrix).any() else 1.0)
    with styled():
        width = 2.2 + 1.1 * len(columns)
        height = 1.2 + 0.32 * len(proxies)
        figure = Figure(figsize=(max(4.5, width), max(3.0, height)), dpi=DPI, layout="constrained")
        ax = figure.subplots()
        ax.grid(False)
        masked = np.ma.masked_invalid(matrix)
        cmap = matplotlib.colormaps[DIVERGING_MAP].with_extremes(bad="#e0e0e0")
        image = ax.imshow(masked, cmap=cmap, norm=TwoSlopeNorm(0.0, -limit, limit), aspect="auto")
        ax.set_xticks(range(len(columns)), columns, rotation=30, ha="right")
        ax.set_yticks(range(len(proxies)), proxies)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("proxy")
        for i in range(len(proxies)):
            for j in range(len(columns)):
                value = matrix[i, j]
                text = f"{value:.2f}" if np.isfinite(value) else "—"
                dark = np.isfinite(value) and abs(value) > 0.6 * limit
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "black",
                )
        figure.colorbar(image, ax=ax, label=label, shrink=0.8)
        ax.set_title(title)
        return save_figure(figure, out_dir, name)


def _interval_errors(rows: Sequence[ResultRow], statistic: str) -> np.ndarray:
    """(2, n) distances from the estimate to the interval ends (0 where unknown)."""
    errors = np.zeros((2, len(rows)))
    for i, row in enumerate(rows):
        value = getattr(row, statistic)
        low, high = getattr(row, f"{statistic}_lo"), getattr(row, f"{statistic}_hi")
        if _finite(value) and _finite(low) and _finite(high):
            errors[:, i] = (max(0.0, value - low), max(0.0, high - value))
    return errors


def plot_tau_bars(
    group: ResultGroup, out_dir: Path, name: str, statistic: str = "kendall"
) -> FigureFiles | None:
    """Horizontal bars of the statistic with interval whiskers, best proxy on top."""
    rows = [r for r in group.rows if _finite(getattr(r, statistic))]
    if not rows:
        return None
    rows.sort(key=lambda r: getattr(r, statistic), reverse=True)
    values = np.array([getattr(r, statistic) for r in rows])
    confidence = rows[0].extra.get("confidence", 0.95)
    with styled():
        figure = Figure(figsize=(6.4, 1.0 + 0.3 * len(rows)), dpi=DPI, layout="constrained")
        ax = figure.subplots()
        positions = np.arange(len(rows))[::-1]
        colours = [OKABE_ITO[0] if v >= 0 else OKABE_ITO[3] for v in values]
        ax.barh(
            positions,
            values,
            xerr=_interval_errors(rows, statistic),
            color=colours,
            ecolor="black",
            capsize=3,
            height=0.7,
        )
        ax.set_yticks(positions, [r.proxy for r in rows])
        ax.axvline(0.0, color="black", lw=0.8)
        ax.set_xlabel(f"{statistic_label(statistic)} ({confidence:.0%} bootstrap interval)")
        ax.set_ylabel("proxy")
        ax.set_title(f"{statistic_label(statistic)} with intervals\n{group.title}")
        return save_figure(figure, out_dir, name)


def pareto_front(seconds: Sequence[float], quality: Sequence[float]) -> list[int]:
    """Indices of the points no other point beats (cheaper or equal AND better or equal,
    strictly in one), ordered from cheapest to most expensive."""
    order = sorted(range(len(seconds)), key=lambda i: (seconds[i], -quality[i]))
    front: list[int] = []
    best = -math.inf
    for i in order:
        if quality[i] > best:
            front.append(i)
            best = quality[i]
    return front


def plot_quality_vs_cost(
    group: ResultGroup, out_dir: Path, name: str, statistic: str = "kendall"
) -> FigureFiles | None:
    """Ranking quality against seconds per architecture (log scale), the Pareto front joined."""
    rows = [
        r
        for r in group.rows
        if _finite(getattr(r, statistic)) and _finite(r.seconds_per_arch) and r.seconds_per_arch > 0
    ]
    if not rows:
        return None
    seconds = [r.seconds_per_arch for r in rows]
    quality = [getattr(r, statistic) for r in rows]
    front = pareto_front(seconds, quality)
    left_out = [r.proxy for r in group.rows if r not in rows]
    with styled():
        figure = Figure(figsize=(6.4, 4.4), dpi=DPI, layout="constrained")
        ax = figure.subplots()
        others = [i for i in range(len(rows)) if i not in front]
        ax.scatter(
            [seconds[i] for i in others],
            [quality[i] for i in others],
            s=30,
            facecolors="none",
            edgecolors=OKABE_ITO[0],
            label="dominated",
        )
        ax.step(
            [seconds[i] for i in front],
            [quality[i] for i in front],
            where="post",
            color=OKABE_ITO[1],
            lw=1.5,
        )
        ax.scatter(
            [seconds[i] for i in front],
            [quality[i] for i in front],
            s=45,
            color=OKABE_ITO[1],
            edgecolors="black",
            zorder=3,
            label="Pareto front",
        )
        for row, x, y in zip(rows, seconds, quality, strict=True):
            ax.annotate(row.proxy, (x, y), xytext=(4, 3), textcoords="offset points", fontsize=7)
        ax.set_xscale("log")
        ax.set_xlabel("seconds per architecture (log scale)")
        ax.set_ylabel(statistic_label(statistic))
        ax.legend(loc="lower right")
        title = f"Quality vs cost\n{group.title}"
        if left_out:
            title += f"\n(no timing: {', '.join(left_out)})"
        ax.set_title(title)
        return save_figure(figure, out_dir, name)


def top_k_curves(
    group: ResultGroup, percentages: Sequence[float] = TOP_K_PERCENTAGES
) -> dict[str, dict[float, float]]:
    """Per proxy, share of the true top-k% found in its top-k%, from the stored values."""
    values = group.per_arch
    if values is None:
        return {}
    truth = np.array([np.nan if v is None else v for v in values.truth], dtype=float)
    curves = {}
    for row in group.rows:
        if row.proxy not in values.scores:
            continue
        score = np.array([np.nan if v is None else v for v in values.scores[row.proxy]], float)
        curves[row.proxy] = top_k_overlap(
            score, truth, higher_is_better=row.higher_is_better, percentages=percentages
        )
    return curves


def plot_top_k_curves(
    group: ResultGroup,
    out_dir: Path,
    name: str,
    percentages: Sequence[float] = TOP_K_PERCENTAGES,
) -> FigureFiles | None:
    """One line per proxy; the dashed diagonal is what a random ranking finds on average."""
    curves = top_k_curves(group, percentages)
    if not curves:
        return None
    ks = np.asarray(percentages, dtype=float)
    with styled():
        figure = Figure(figsize=(6.8, 4.4), dpi=DPI, layout="constrained")
        ax = figure.subplots()
        for index, (proxy, curve) in enumerate(curves.items()):
            style = series_style(index)
            ax.plot(
                ks,
                [100.0 * curve[k] for k in percentages],
                color=style.color,
                linestyle=style.linestyle,
                marker=style.marker,
                markevery=max(1, len(ks) // 6),
                markersize=4,
                lw=1.4,
                label=proxy,
            )
        ax.plot(ks, ks, color=NEUTRAL, linestyle="--", lw=1, label="random ranking")
        ax.set_xlim(ks.min(), ks.max())
        ax.set_ylim(0, 100)
        ax.set_xlabel("k (% of architectures)")
        ax.set_ylabel("share of the true top-k% found (%)")
        ax.set_title(f"Top-k: does the proxy find the best architectures?\n{group.title}")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
        return save_figure(figure, out_dir, name)


def plot_target_heatmap(
    rows: Sequence[ResultRow],
    out_dir: Path,
    name: str,
    *,
    lower_is_better: Sequence[str] = (),
    statistic: str = "kendall",
) -> FigureFiles | None:
    """A multi-target leaderboard's proxies x targets heat map of Kendall τ (or another
    figure of `target_matrix.matrix_figures`), proxies by their mean over the targets,
    ↓ on lower-is-better targets (ranked against their negation)."""
    figure = next((f for f in matrix_figures() if f.name == statistic), None)
    if figure is None or not rows:
        return None
    matrix = target_matrix(rows, figure, lower_is_better)
    return draw_heatmap(
        matrix.proxies,
        matrix.header(),
        matrix.frame().to_numpy(dtype=float),
        out_dir,
        name,
        label=figure.label,
        title=f"{figure.label} per proxy and target (↓: against the negated cost)",
        xlabel="target",
    )
