"""Figures of quantities that vary along a sweep: distillation epochs and ablation grids.

Distillation documents (kind "distill", written by `harness distill`): one row per
(method, seed, epoch) whose `kendall` is the supernet's ranking quality at that epoch,
with `extra = {"method": ..., "seed": ..., "epoch": ...}` (`method` defaults to the row's
proxy name, `seed` to the document's seed). Rows without an `epoch` are not drawn.
`draw_epoch_curves` draws them, here and in `harness distill`'s own plot: per method
the mean over seeds, the range (min to max) over seeds as a band and each seed's thin line.

Ablation documents (kind "ablation", written by `harness ablate`): rows carry
`extra = {"ablation": {grid key: value}, "setting": index}` and the document's
config holds the grid (`config["grid"]`, key -> list of values, in sweep order).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from harness.report.documents import LoadedDocument, setting_label
from harness.report.plots import statistic_label
from harness.report.style import (
    DPI,
    FigureFiles,
    SeriesStyle,
    save_figure,
    series_style,
    styled,
)
from harness.results import ResultRow


@dataclass(frozen=True)
class DistillPoint:
    method: str
    seed: int | None
    epoch: float
    value: float
    group: str


def distill_points(source: LoadedDocument, statistic: str = "kendall") -> list[DistillPoint]:
    """The (method, seed, epoch, value) points of a distillation document."""
    doc = source.document
    points = []
    for row in doc.rows:
        epoch = row.extra.get("epoch")
        value = getattr(row, statistic)
        if epoch is None or value is None or not math.isfinite(value):
            continue
        points.append(
            DistillPoint(
                method=str(row.extra.get("method", row.proxy)),
                seed=row.extra.get("seed", doc.seed),
                epoch=float(epoch),
                value=float(value),
                group=" · ".join((row.space, row.dataset, row.target)),
            )
        )
    return points


def distill_curves(points: Sequence[DistillPoint]) -> list[dict[str, Any]]:
    """Per (group, method, epoch): mean, min, max over seeds and how many seeds."""
    table: dict[tuple[str, str, float], list[float]] = {}
    for point in points:
        table.setdefault((point.group, point.method, point.epoch), []).append(point.value)
    return [
        {
            "group": group,
            "method": method,
            "epoch": epoch,
            "mean": float(np.mean(values)),
            "low": float(np.min(values)),
            "high": float(np.max(values)),
            "seeds": len(values),
        }
        for (group, method, epoch), values in sorted(table.items())
    ]


#: method -> seed -> epoch -> value (e.g. Kendall tau at that epoch)
EpochSeries = Mapping[str, Mapping[Any, Mapping[float, float]]]


def draw_epoch_curves(ax: Axes, series: EpochSeries, styles: Sequence[SeriesStyle]) -> None:
    """A statistic against epoch, per method (styled by `styles`, in order): the mean over
    seeds with markers, and with several seeds a min-max band over seeds and each seed's
    thin line. A seed without an epoch that another seed has leaves a gap there."""
    for style, (method, seeds) in zip(styles, series.items(), strict=False):
        epochs = sorted({e for values in seeds.values() for e in values})
        table = [[seeds[s].get(e, math.nan) for e in epochs] for s in sorted(seeds)]
        columns = list(zip(*table, strict=True))
        mean = [sum(c) / len(c) for c in columns]
        ax.plot(
            epochs,
            mean,
            color=style.color,
            linestyle=style.linestyle,
            marker=style.marker,
            markersize=3,
            label=f"{method} (mean)",
        )
        if len(seeds) > 1:
            ax.fill_between(
                epochs,
                [min(c) for c in columns],
                [max(c) for c in columns],
                color=style.color,
                alpha=0.18,
                linewidth=0,
            )
            for values in table:
                ax.plot(epochs, values, color=style.color, linewidth=0.6, alpha=0.5)


def plot_distill_curves(
    source: LoadedDocument, out_dir: Path, name: str, statistic: str = "kendall"
) -> FigureFiles | None:
    """Ranking quality against epoch, one panel per (space, dataset, target), drawn by
    `draw_epoch_curves` (a method keeps its style across panels)."""
    points = distill_points(source, statistic)
    if not points:
        return None
    groups = sorted({p.group for p in points})
    methods = sorted({p.method for p in points})
    with styled():
        figure = Figure(figsize=(6.4, 3.8 * len(groups)), dpi=DPI, layout="constrained")
        axes = figure.subplots(len(groups), 1, squeeze=False)[:, 0]
        for ax, group in zip(axes, groups, strict=True):
            series: dict[str, dict[Any, dict[float, float]]] = defaultdict(dict)
            for method in methods:
                for p in points:
                    if p.group == group and p.method == method:
                        seed = -1 if p.seed is None else p.seed  # sortable with the others
                        series[method].setdefault(seed, {})[p.epoch] = p.value
            styles = [series_style(methods.index(m)) for m in series]
            draw_epoch_curves(ax, series, styles)
            ax.set_xlabel("epoch")
            ax.set_ylabel(statistic_label(statistic))
            ax.set_title(f"{statistic_label(statistic)} vs epoch — {source.label} · {group}")
            ax.legend(loc="lower right")
        return save_figure(figure, out_dir, name)


def ablation_grid(source: LoadedDocument) -> dict[str, list[Any]]:
    """The swept keys and their values in sweep order (from the config, else the rows)."""
    grid = source.document.config.get("grid")
    if isinstance(grid, dict) and grid:
        return {str(k): list(v) for k, v in grid.items()}
    found: dict[str, list[Any]] = {}
    for row in source.document.rows:
        for key, value in row.extra.get("ablation", {}).items():
            if value not in found.setdefault(key, []):
                found[key].append(value)
    return found


def ablation_rows(source: LoadedDocument) -> list[ResultRow]:
    return [r for r in source.document.rows if isinstance(r.extra.get("ablation"), dict)]


def ablation_contexts(grid: dict[str, list[Any]], parameter: str) -> list[dict[str, Any]]:
    """Every combination of the other swept keys' values (one panel each)."""
    others = [k for k in grid if k != parameter]
    return [
        dict(zip(others, combo, strict=True))
        for combo in itertools.product(*(grid[k] for k in others))
    ]


def plot_ablation(
    source: LoadedDocument, out_dir: Path, name: str, statistic: str = "kendall"
) -> list[FigureFiles]:
    """Per swept key: the statistic against its values, one line per proxy, one panel per
    combination of the other keys' values; whiskers are the rows' bootstrap intervals."""
    grid = ablation_grid(source)
    rows = ablation_rows(source)
    if not grid or not rows:
        return []
    proxies = list(dict.fromkeys(r.proxy for r in rows))
    files = []
    for parameter, values in grid.items():
        contexts = ablation_contexts(grid, parameter)
        columns = min(len(contexts), 2)
        panel_rows = math.ceil(len(contexts) / columns)
        with styled():
            figure = Figure(
                figsize=(4.6 * columns + 1.6, 3.6 * panel_rows), dpi=DPI, layout="constrained"
            )
            axes = figure.subplots(panel_rows, columns, squeeze=False)
            for ax in axes.flat[len(contexts) :]:
                ax.set_visible(False)
            for ax, context in zip(axes.flat, contexts, strict=False):
                _draw_ablation_panel(ax, rows, proxies, parameter, values, context, statistic)
            handles, labels = axes.flat[0].get_legend_handles_labels()
            figure.legend(handles, labels, loc="outside right center", frameon=False)
            short = parameter.rsplit(".", 1)[-1]
            figure.suptitle(f"{statistic_label(statistic)} vs {short} — {source.label}")
            files.append(save_figure(figure, out_dir, f"{name}-{_slug(parameter)}"))
    return files


def _draw_ablation_panel(ax, rows, proxies, parameter, values, context, statistic) -> None:
    positions = np.arange(len(values), dtype=float)
    width = 0.25 / max(1, len(proxies))
    for index, proxy in enumerate(proxies):
        y, low, high = [], [], []
        for value in values:
            wanted = {**context, parameter: value}
            row = next(
                (r for r in rows if r.proxy == proxy and r.extra["ablation"] == wanted), None
            )
            estimate = getattr(row, statistic) if row is not None else None
            finite = estimate is not None and math.isfinite(estimate)
            y.append(estimate if finite else np.nan)
            lo = getattr(row, f"{statistic}_lo") if finite else None
            hi = getattr(row, f"{statistic}_hi") if finite else None
            # A percentile bootstrap interval of a few architectures can lie wholly on one
            # side of the estimate; matplotlib refuses negative bar lengths, so that side
            # draws no bar (the CSVs and tables keep the interval itself).
            low.append(max(estimate - lo, 0.0) if finite and lo is not None else 0.0)
            high.append(max(hi - estimate, 0.0) if finite and hi is not None else 0.0)
        style = series_style(index)
        offset = (index - (len(proxies) - 1) / 2) * width
        ax.errorbar(
            positions + offset,
            y,
            yerr=[low, high],
            color=style.color,
            linestyle=style.linestyle,
            marker=style.marker,
            markersize=4,
            capsize=2,
            elinewidth=0.7,
            label=proxy,
        )
    ax.set_xticks(positions, [str(v) for v in values])
    ax.set_xlim(-0.5, len(values) - 0.5)
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_xlabel(parameter)
    ax.set_ylabel(statistic_label(statistic))
    ax.set_title(setting_label(context) or "all settings")


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_")
