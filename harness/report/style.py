"""How report figures look: a colour-blind-safe palette, line styles, saving as PNG + SVG.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies), yellow last because it is faint on white. Beyond eight series the
colours repeat with another line style and marker, so no two series look alike.
Maps use `cividis` (sequential) and ColorBrewer `RdBu` (diverging), both safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display, same output everywhere

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)
LINE_STYLES: tuple[str, ...] = ("-", "--", ":", "-.")
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")
SEQUENTIAL_MAP = "cividis"
DIVERGING_MAP = "RdBu"
NEUTRAL = "#7f7f7f"
DPI = 110

_RC = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "svg.fonttype": "none",  # text stays text in the SVG (searchable, small)
    "svg.hashsalt": "harness",  # stable ids: the same figure gives the same file
}


@dataclass(frozen=True)
class SeriesStyle:
    color: str
    linestyle: str
    marker: str


def series_style(index: int) -> SeriesStyle:
    """Style of the index-th series: colour first, then line style and marker."""
    n = len(OKABE_ITO)
    return SeriesStyle(
        color=OKABE_ITO[index % n],
        linestyle=LINE_STYLES[(index // n) % len(LINE_STYLES)],
        marker=MARKERS[(index + index // n) % len(MARKERS)],
    )


def styled():
    """Context manager that applies the report style while axes are drawn."""
    return plt.rc_context(_RC)


@dataclass(frozen=True)
class FigureFiles:
    """One saved figure: its name and the PNG and SVG written."""

    name: str
    png: Path
    svg: Path


def save_figure(figure: Figure, out_dir: Path, name: str) -> FigureFiles:
    """Write `name.png` and `name.svg` into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{name}.png", out_dir / f"{name}.svg"
    with styled():
        figure.savefig(png, dpi=DPI, metadata={"Software": None})
        figure.savefig(svg, metadata={"Date": None})
    return FigureFiles(name=name, png=png, svg=svg)
