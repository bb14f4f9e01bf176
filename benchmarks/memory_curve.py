"""Memory of `harness run` over time: does it stay flat as architectures stream through?

    python3 benchmarks/memory_curve.py --data-dir ../shared/data --archs 300
    python3 benchmarks/memory_curve.py --archs 300 --executor dask --workers 2 --out reports/mem

Starts `harness run` on N architectures with a fast proxy set (default params, flops,
synflow, nwot, jacov, zen) and a fresh store, and every `--interval` seconds reads, from
/proc, the resident set size of every process of its tree (the driver, its workers, and
for Dask the nanny and scheduler processes) and how many records the store holds. Writes
memory_curve.csv, memory_curve.png and memory_curve.json (a summary) under --out.

Flat means: after the first architectures (imports, first kernels, allocator growth)
the total RSS stops growing; the summary gives the RSS at 10 % of the architectures and
at the end, the maximum, and the least-squares slope over the second half of the run
in MiB per 100 architectures. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FAST_SET = "params,flops,synflow,nwot,jacov,zen"
MIB = 1024.0 * 1024.0
PAGE = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces: split after it
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry))
    return tree


def process_tree(root: int) -> list[int]:
    """root and all its descendants, alive now."""
    tree, found, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, []))
    return found


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def stored_records(store: Path) -> int:
    if not store.exists():
        return 0
    from harness.store import ScoreStore

    try:
        with ScoreStore(store, create=False) as s:
            return s.count()
    except Exception:  # the writer may hold the file at this instant: try next time
        return -1


def sample(root: int, store: Path, started: float, proxies: int) -> dict[str, float]:
    pids = process_tree(root)
    sizes = {pid: rss_bytes(pid) for pid in pids}
    others = [size for pid, size in sizes.items() if pid != root]
    records = stored_records(store)
    return {
        "seconds": round(time.monotonic() - started, 2),
        "archs_done": records // proxies if records >= 0 else -1,
        "driver_mib": sizes.get(root, 0) / MIB,
        "children_mib": sum(others) / MIB,
        "largest_child_mib": max(others, default=0) / MIB,
        "total_mib": sum(sizes.values()) / MIB,
        "processes": len(pids),
    }


def summarise(rows: list[dict[str, float]], archs: int) -> dict[str, float | int | None]:
    """Figures over the samples taken while workers were alive and scoring."""
    import numpy as np

    scoring = [r for r in rows if r["archs_done"] >= 0 and r["children_mib"] > 0]
    done = np.array([r["archs_done"] for r in scoring], dtype=float)
    total = np.array([r["total_mib"] for r in scoring], dtype=float)

    def median_between(low: float, high: float) -> float | None:
        chosen = total[(done >= low * archs) & (done <= high * archs)]
        return float(np.median(chosen)) if chosen.size else None

    second_half = done >= 0.5 * archs
    slope = None
    if second_half.sum() >= 3 and np.ptp(done[second_half]) > 0:
        slope = float(np.polyfit(done[second_half], total[second_half], 1)[0] * 100)
    return {
        "archs": archs,
        "samples": len(rows),
        "wall_seconds": rows[-1]["seconds"] if rows else None,
        "total_mib_median_10_to_20pct": median_between(0.1, 0.2),
        "total_mib_median_90_to_100pct": median_between(0.9, 1.0),
        "total_mib_max": float(total.max()) if total.size else None,
        "driver_mib_max": max(r["driver_mib"] for r in rows) if rows else None,
        "largest_child_mib_max": max(r["largest_child_mib"] for r in rows) if rows else None,
        "slope_mib_per_100_archs_second_half": slope,
    }


def plot(rows: list[dict[str, float]], path: Path, heading: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seconds = [r["seconds"] for r in rows]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    ax.plot(seconds, [r["total_mib"] for r in rows], label="whole process tree")
    ax.plot(seconds, [r["children_mib"] for r in rows], label="all workers (children)")
    ax.plot(seconds, [r["driver_mib"] for r in rows], label="driver")
    ax.set_xlabel("seconds")
    ax.set_ylabel("resident memory (MiB)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    done = ax.twinx()
    done.plot(seconds, [max(r["archs_done"], 0) for r in rows], color="grey", ls=":")
    done.set_ylabel("architectures stored (dotted)")
    done.set_ylim(bottom=0)
    ax.legend(loc="lower right")
    ax.set_title(heading, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archs", type=int, default=300)
    parser.add_argument("--proxies", default=FAST_SET)
    parser.add_argument("--executor", default="processes")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--out", default="reports/memory_curve")
    parser.add_argument("--set", action="append", default=[], help="passed to harness run")
    parser.add_argument(
        "--from-csv", help="only summarise and plot an existing memory_curve.csv into --out"
    )
    args = parser.parse_args(argv)
    heading = (
        f"harness run: {args.archs} NB201 archs, {args.proxies}, "
        f"{args.executor} x {args.workers} workers"
    )
    if args.from_csv:
        with open(args.from_csv) as handle:
            rows = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(handle)]
        previous = Path(args.out) / "memory_curve.json"
        command = json.loads(previous.read_text()).get("command") if previous.exists() else None
        _write(rows, Path(args.out), args, heading, command=command)
        return

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="memory_curve-"))
    store = scratch / "scores.sqlite"
    command = [
        sys.executable,
        "-m",
        "harness.cli",
        "run",
        "--archs",
        str(args.archs),
        "--proxies",
        args.proxies,
        "--executor",
        args.executor,
        "--workers",
        str(args.workers),
        "--no-progress",
        "--out",
        str(scratch / "run"),
        "--set",
        f'store="{store}"',
    ]
    if args.data_dir:
        command += ["--data-dir", args.data_dir]
    for item in args.set:
        command += ["--set", item]
    proxies = len([p for p in args.proxies.split(",") if p.strip()])
    started = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    rows = []
    while proc.poll() is None:
        rows.append(sample(proc.pid, store, started, proxies))
        time.sleep(args.interval)
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"harness run failed ({proc.returncode}): {err.strip()[-2000:]}")

    _write(rows, out, args, heading, command=" ".join(command[2:]))


def _write(rows, out: Path, args, heading: str, command: str | None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "memory_curve.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    summary = summarise(rows, args.archs)
    summary.update({"command": command, "executor": args.executor, "workers": args.workers})
    (out / "memory_curve.json").write_text(json.dumps(summary, indent=2) + "\n")
    plot(rows, out / "memory_curve.png", heading)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
