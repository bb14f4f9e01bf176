"""Time per architecture vs batch size (NB201) and vs network (NB201, DARTS, NB101).

    nice -n 10 python3 benchmarks/scaling.py                 # writes docs/performance_scaling.png
    python3 benchmarks/scaling.py --archs 1 --batch-sizes 8,16 --spaces nb201 --png /tmp/s.png

Each point is `harness.bench.run_bench` on a seeded sample (--archs, one repeat after a
warm-up round, one torch thread, no naive timing, no memory): the floor (one
forward+backward), a fast proxy set and the shared-pass set through the engine, as the
median milliseconds per architecture. Networks are each space's default (as trained):
NB201 C=16 N=5, DARTS C=32 with 8 cells, NB101 stem 128 with 3 stacks of 3 cells.
Writes the PNG (--png) and the numbers as JSON (--data, under reports/ by default).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.bench import SHARED_PASS_SET, BenchOptions, environment, run_bench, summarise_bench

FAST_SET = ("params", "flops", "synflow", "nwot", "jacov", "zen")
SERIES = {
    "floor": "floor: forward+backward",
    "fast": "fast set: " + ", ".join(FAST_SET),
    "shared": "shared-pass set: " + ", ".join(SHARED_PASS_SET),
}


def measure(space: str, batch_size: int, archs: int, seed: int) -> dict[str, float]:
    options = BenchOptions(
        space=space,
        archs=archs,
        batch_size=batch_size,
        proxies=FAST_SET,
        shared_set=SHARED_PASS_SET,
        repeats=1,
        warmup=1,
        seed=seed,
        naive=False,
        memory_archs=0,
    )
    run = run_bench(options)
    rows = summarise_bench(run)
    floor, shared, fast = rows[0], rows[-2], rows[-1]
    point = {
        "space": space,
        "batch_size": batch_size,
        "archs": archs,
        "input": run.input_source,
        "floor": floor.engine_ms,
        "fast": fast.engine_ms,
        "shared": shared.engine_ms,
    }
    print(json.dumps(point), flush=True)
    return point


def plot(by_batch: list[dict], by_network: list[dict], path: Path, heading: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.3))
    for key, label in SERIES.items():
        if by_batch:
            left.plot(
                [p["batch_size"] for p in by_batch],
                [p[key] for p in by_batch],
                marker="o",
                label=label,
            )
    left.set_xscale("log", base=2)
    left.set_yscale("log")
    left.set_xlabel("batch size")
    left.set_ylabel("ms per architecture (median)")
    left.set_title("NB201 (C=16), by batch size", fontsize=10)
    left.grid(alpha=0.3, which="both")
    left.legend(fontsize=7)
    width = 0.27
    for offset, (key, label) in enumerate(SERIES.items()):
        right.bar(
            [i + (offset - 1) * width for i in range(len(by_network))],
            [p[key] for p in by_network],
            width=width,
            label=label,
        )
    right.set_xticks(range(len(by_network)))
    right.set_xticklabels(
        [f"{p['space']}\n(batch {p['batch_size']})" for p in by_network], fontsize=8
    )
    right.set_yscale("log")
    right.set_ylabel("ms per architecture (median)")
    right.set_title("by network: NB201 C=16, DARTS C=32, NB101 stem 128", fontsize=10)
    right.grid(alpha=0.3, axis="y", which="both")
    fig.suptitle(heading, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archs", type=int, default=3)
    parser.add_argument("--batch-sizes", default="16,32,64,128")
    parser.add_argument("--spaces", default="nb201,darts,nb101")
    parser.add_argument("--network-batch", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--png", default="docs/performance_scaling.png")
    parser.add_argument(
        "--data", default="reports/performance_scaling.json", help="JSON of the points"
    )
    args = parser.parse_args(argv)

    batches = [int(b) for b in args.batch_sizes.split(",") if b.strip()]
    spaces = [s.strip() for s in args.spaces.split(",") if s.strip()]
    by_batch = [measure("nb201", b, args.archs, args.seed) for b in batches]
    by_network = []
    for space in spaces:
        reuse = [p for p in by_batch if space == "nb201" and p["batch_size"] == args.network_batch]
        point = reuse[0] if reuse else measure(space, args.network_batch, args.archs, args.seed)
        by_network.append(point)
    env = environment("cpu", 1)
    heading = (
        f"{env['cpu']} · torch {env['torch']} · 1 thread · median over {args.archs} archs, "
        f"1 repeat after a warm-up"
    )
    png = Path(args.png)
    png.parent.mkdir(parents=True, exist_ok=True)
    plot(by_batch, by_network, png, heading)
    data = Path(args.data)
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text(
        json.dumps({"environment": env, "by_batch": by_batch, "by_network": by_network}, indent=2)
        + "\n"
    )
    print(f"wrote {png} and {data}")


if __name__ == "__main__":
    main()
