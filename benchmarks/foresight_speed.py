"""The engine against foresight (SamsungLabs/zero-cost-nas) on foresight's 7 measures.

    python3 benchmarks/foresight_speed.py --foresight PATH [--archs 40] [--rounds 1]

PATH is a checkout of github.com/SamsungLabs/zero-cost-nas (a43bfbc, the commit of the
conformance rows); its `foresight` package is imported from there unchanged (it needs
nothing beyond torch and numpy). Both sides run in this one process on one torch thread,
on the same NB201 cells (`harness run`'s sample for the seed) and the same batch
(`harness bench`'s inputs: 64 Fashion-MNIST images by default), each from a fresh copy of
the same initial weights. For each cell, in turn (the side that goes first alternates from
cell to cell, so both see the same machine load):

* **foresight**: `measures.calc_measure(name, net, ...)` for each of grad_norm, snip,
  grasp, fisher, jacob_cov, plain and synflow, as `find_measures` calls them (the network
  given `copynet` as its `get_prunable_copy`, one batch, `split_data=1`), each timed, each
  on a fresh copy of the batch tensor (foresight's jacob_cov sets `requires_grad` on the
  tensor it is given and never clears its `.grad`: reusing one tensor adds up Jacobians);
* **ours**: one `compute_proxies` call with the seven harness proxies those measures
  conform to (grad_norm, snip, grasp, fisher_fanin, jacov, plain, synflow_nobn), as
  `harness run` scores a cell: shared passes once, their time charged to their users.

Prints seconds per cell for each measure on each side (mean over cells and rounds), the
ratio ours / foresight, the ratio of the totals, the median over cells of the per-cell
ratio, and the largest relative difference between the two sides' scores (a check that
both computed the same thing: conformance's tolerances apply).
"""

from __future__ import annotations

import argparse
import copy
import math
import platform
import statistics
import sys
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from harness.bench.workload import Workload, load_inputs, make_workload
from harness.spaces import get_space

#: foresight measure -> the harness proxy that conforms to it (docs/conformance.md)
MEASURES: dict[str, str] = {
    "grad_norm": "grad_norm",
    "snip": "snip",
    "grasp": "grasp",
    "fisher": "fisher_fanin",
    "jacob_cov": "jacov",
    "plain": "plain",
    "synflow": "synflow_nobn",
}


@dataclass
class Tally:
    """Seconds per (side, measure), one entry per cell and round; scores likewise."""

    seconds: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    totals: dict[str, list[float]] = field(default_factory=dict)
    scores: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def add(self, side: str, measure: str, seconds: float, score: float) -> None:
        self.seconds.setdefault((side, measure), []).append(seconds)
        self.scores.setdefault((side, measure), []).append(score)

    def add_total(self, side: str, seconds: float) -> None:
        self.totals.setdefault(side, []).append(seconds)


def import_foresight(path: Path) -> tuple[types.ModuleType, Callable]:
    """foresight's `measures` module and its `copynet`, imported from a checkout."""
    if not (path / "foresight" / "pruners" / "measures").is_dir():
        raise SystemExit(f"--foresight {path}: not a zero-cost-nas checkout (no foresight/pruners)")
    sys.path.insert(0, str(path))
    from foresight.pruners import measures, predictive  # type: ignore[import-not-found]

    missing = sorted(set(MEASURES) - set(measures.available_measures))
    if missing:
        raise SystemExit(f"--foresight {path}: measures missing: {', '.join(missing)}")
    return measures, predictive.copynet


def score_of(value: object) -> float:
    """A foresight measure's value as `find_measures` sums it (jacob_cov is a number)."""
    if isinstance(value, (list, tuple)):
        return float(sum(float(torch.sum(part)) for part in value))
    return float(value)


def run_foresight(
    work: Workload, measures: types.ModuleType, copynet: Callable, tally: Tally
) -> None:
    net = copy.deepcopy(work.network)
    net.get_prunable_copy = types.MethodType(copynet, net)
    total = 0.0
    for name in MEASURES:
        start = time.perf_counter()
        value = measures.calc_measure(
            name, net, torch.device("cpu"), work.images.clone(), work.labels,
            loss_fn=F.cross_entropy, split_data=1,
        )  # fmt: skip
        score = score_of(value)
        seconds = time.perf_counter() - start
        total += seconds
        tally.add("foresight", name, seconds, score)
    tally.add_total("foresight", total)


def run_ours(work: Workload, tally: Tally) -> None:
    start = time.perf_counter()
    outcomes = work.engine(list(MEASURES.values()))
    tally.add_total("ours", time.perf_counter() - start)
    for name, proxy in MEASURES.items():
        outcome = outcomes[proxy]
        tally.add("ours", name, outcome.seconds, outcome.score)


def relative_difference(a: float, b: float) -> float:
    if a == b or not (math.isfinite(a) or math.isfinite(b)):  # equal, or both failed
        return 0.0
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(a - b) / max(abs(b), 1e-12)


def report(tally: Tally, cells: int) -> str:
    lines = [
        "| measure (foresight → ours) | foresight s/cell | ours s/cell | ours / foresight | "
        "max rel. score difference |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, proxy in MEASURES.items():
        theirs = statistics.fmean(tally.seconds[("foresight", name)])
        ours = statistics.fmean(tally.seconds[("ours", name)])
        diff = max(
            relative_difference(a, b)
            for a, b in zip(
                tally.scores[("ours", name)], tally.scores[("foresight", name)], strict=True
            )
        )
        lines.append(
            f"| {name} → {proxy} | {theirs:.3f} | {ours:.3f} | {ours / theirs:.2f} | {diff:.1e} |"
        )
    theirs_total = statistics.fmean(tally.totals["foresight"])
    ours_total = statistics.fmean(tally.totals["ours"])
    per_cell = statistics.median(
        o / f for o, f in zip(tally.totals["ours"], tally.totals["foresight"], strict=True)
    )
    lines.append(
        f"| **all seven** | {theirs_total:.3f} | {ours_total:.3f} | "
        f"**{ours_total / theirs_total:.2f}** | |"
    )
    lines.append("")
    lines.append(
        f"{cells} cells x {len(tally.totals['ours']) // max(cells, 1)} round(s); median over "
        f"cells of the per-cell ratio: {per_cell:.2f}. Ours per measure: its own seconds plus "
        "its share of the shared passes (the engine's charge); the total is the engine call's "
        "wall time."
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--foresight", type=Path, required=True, help="zero-cost-nas checkout")
    parser.add_argument("--archs", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--input", default="fashion-mnist", help="input source (harness bench's)")
    args = parser.parse_args(argv)
    if args.archs < 1 or args.rounds < 1:
        parser.error("--archs and --rounds must be at least 1")
    torch.set_num_threads(1)
    measures, copynet = import_foresight(args.foresight)
    batch, second, _ = load_inputs(
        args.input, batch_size=args.batch_size, seed=args.seed, num_classes=10
    )
    archs = get_space("nb201").sample_keys(args.archs, args.seed)
    works = [
        make_workload("nb201", arch, batch, second=second, run_seed=args.seed,
                      network_variant="as_trained", num_classes=10, device="cpu")
        for arch in archs
    ]  # fmt: skip
    tally = Tally()
    for round_ in range(args.rounds):
        for index, work in enumerate(works):
            sides = [lambda w=work: run_ours(w, tally),
                     lambda w=work: run_foresight(w, measures, copynet, tally)]  # fmt: skip
            if (index + round_) % 2:
                sides.reverse()
            for side in sides:
                side()
            print(f"cell {index + 1}/{len(works)} round {round_ + 1}", file=sys.stderr, flush=True)
    print(
        f"# foresight's 7 measures against the engine · {batch.source} batch of "
        f"{args.batch_size} · {platform.processor() or platform.machine()} · 1 torch thread\n"
    )
    print(report(tally, len(works)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
