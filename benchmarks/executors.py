"""Speed-up of the executors: the same `harness run`, serial, processes and dask, 1 and 2 workers.

    python3 benchmarks/executors.py --data-dir ../shared/data --archs 100
    python3 benchmarks/executors.py --archs 20 --configs serial:1,processes:2 --format csv

Runs `harness run` once per configuration, one after the other, on the same N
architectures with the same proxies (default: the fast set) and a fresh store each, and
prints one table: the wall time of the whole command (start-up of workers included) and
the scoring time the run itself records (`wall_seconds` in results.json), each with its
speed-up over the first configuration. It then checks that every store holds the same
records with bit-identical scores, as the executors promise; a difference exits 1.
The table and a JSON with the versions and machine go under --out.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FAST_SET = "params,flops,synflow,nwot,jacov,zen"
DEFAULT_CONFIGS = "serial:1,processes:1,processes:2,dask:1,dask:2"


def parse_configs(text: str) -> list[tuple[str, int]]:
    configs = []
    for item in text.split(","):
        name, _, workers = item.strip().partition(":")
        if not name or not workers.isdigit() or int(workers) < 1:
            raise SystemExit(f"--configs: {item!r} is not EXECUTOR:WORKERS (e.g. processes:2)")
        configs.append((name, int(workers)))
    return configs


def run_once(name: str, workers: int, args: argparse.Namespace, work: Path) -> dict:
    tag = f"{name}-{workers}"
    store, out = work / f"{tag}.sqlite", work / f"{tag}-out"
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
        name,
        "--workers",
        str(workers),
        "--no-progress",
        "--out",
        str(out),
        "--set",
        f'store="{store}"',
    ]
    if args.data_dir:
        command += ["--data-dir", args.data_dir]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
        raise SystemExit(f"harness run --executor {name} --workers {workers} failed: {tail}")
    results = json.loads((out / "results.json").read_text())
    return {
        "executor": name,
        "workers": workers,
        "wall_seconds": round(wall, 2),
        "scoring_seconds": results["config"]["wall_seconds"],
        "store": str(store),
    }


def stored_scores(store: str):
    """The store's keys, scores and statuses, in key order."""
    from harness.store import KEY_COLUMNS, ScoreStore

    with ScoreStore(store, create=False) as s:
        frame = s.records()
    columns = list(KEY_COLUMNS)
    return frame[columns + ["score", "status"]].sort_values(columns).reset_index(drop=True)


def identical(stores: list[str]) -> tuple[bool, int]:
    """(all stores hold the same keys with bit-identical scores and statuses, record count)."""
    first = stored_scores(stores[0])
    # DataFrame.equals: same shape, dtypes and values, NaN (a failed score) equal to NaN
    same = all(stored_scores(other).equals(first) for other in stores[1:])
    return same, len(first)


def table(rows: list[dict], fmt: str) -> str:
    from harness.report.markdown import table_markdown
    from harness.report.model import ReportTable

    base_wall, base_scoring = rows[0]["wall_seconds"], rows[0]["scoring_seconds"]
    header = ("executor", "workers", "wall s", "speed-up", "scoring s", "speed-up (scoring)")
    cells = tuple(
        (
            r["executor"],
            str(r["workers"]),
            f"{r['wall_seconds']:.1f}",
            f"{base_wall / r['wall_seconds']:.2f}",
            f"{r['scoring_seconds']:.1f}",
            f"{base_scoring / r['scoring_seconds']:.2f}",
        )
        for r in rows
    )
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([header, *cells])
        return out.getvalue().rstrip("\n")
    return table_markdown(ReportTable(title="", header=header, rows=cells)).rstrip("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--archs", type=int, default=100)
    parser.add_argument("--proxies", default=FAST_SET)
    parser.add_argument(
        "--configs",
        default=DEFAULT_CONFIGS,
        help=f"EXECUTOR:WORKERS,... (default {DEFAULT_CONFIGS})",
    )
    parser.add_argument("--data-dir", default=os.environ.get("HARNESS_DATA", ""))
    parser.add_argument("--format", choices=("md", "csv"), default="md")
    parser.add_argument("--out", default="reports/executors")
    args = parser.parse_args()
    configs = parse_configs(args.configs)

    with tempfile.TemporaryDirectory(prefix="executors-") as tmp:
        rows = []
        for name, workers in configs:
            rows.append(run_once(name, workers, args, Path(tmp)))
            print(f"{name} x{workers}: {rows[-1]['wall_seconds']:.1f} s", file=sys.stderr)
        same, records = identical([r["store"] for r in rows])

    from harness.provenance import git_revision, machine_info, package_versions

    text = table(rows, args.format)
    print(text)
    print(
        f"\n{records} records per store; scores bit-identical across all stores: "
        f"{'yes' if same else 'NO'}"
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"executors.{args.format}").write_text(text + "\n")
    summary = {
        "archs": args.archs,
        "proxies": args.proxies.split(","),
        "records_per_store": records,
        "bit_identical": same,
        "runs": [{k: v for k, v in r.items() if k != "store"} for r in rows],
        "versions": package_versions(("distributed",)),
        "git_revision": git_revision(),
        "machine": machine_info(),
    }
    (out / "executors.json").write_text(json.dumps(summary, indent=2) + "\n")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
