"""Per-proxy cost, an older commit against this tree, side by side in one sitting.

    python3 benchmarks/proxy_speedup.py                        # base beffc2f, grasp/zico/swap/zen
    python3 benchmarks/proxy_speedup.py --base HEAD~3 --archs 6 --rounds 3
    python3 benchmarks/proxy_speedup.py --proxies grasp --engine-set standard

The base commit is extracted with `git archive` into a temporary folder. Two worker
processes, one per side (each with `PYTHONPATH` on its own tree, one torch thread,
`OMP_NUM_THREADS=1`), build the same NB201 networks (the seeds `harness run` uses) and
load the same batch (`harness bench`'s inputs: the batch and ZiCo's disjoint second
batch) before any clock starts. Then, round after round, for each architecture, the
driver asks both sides for each measurement in turn, alternating which side goes first,
so that the two see the same machine load:

* **floor**: one cross-entropy forward + backward (`harness bench`'s floor);
* **each proxy alone** (`Workload.naive`: its own context and copy of the network, so
  it pays every pass it needs, shared or not);
* **the engine set** (`--engine-set`, default: the proxies above together): one
  `compute_proxies` call with shared passes, as `harness run` scores a cell.

It prints, per measurement, seconds per architecture on each side (median over the
rounds, mean over the architectures), the ratio new / base, each side's multiple of its
own floor, and whether every score is the same bit for bit on both sides.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_BASE = "beffc2f"
DEFAULT_PROXIES = "grasp,zico,swap,zen"

# Runs in each worker, against the harness of its own PYTHONPATH: reads one JSON request
# per line and answers one JSON line. Only APIs present in both trees are used.
WORKER = r"""
import copy, json, math, sys, time
import torch
torch.set_num_threads(1)
import harness
from harness.bench.workload import load_inputs, make_workload
from harness.proxies import compute_proxies, expand_proxies
from harness.spaces import get_space

def answer(value):
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()

works = []
for line in sys.stdin:
    request = json.loads(line)
    op = request["op"]
    if op == "setup":
        batch, second, notes = load_inputs(
            request["input"], batch_size=request["batch_size"], seed=request["seed"],
            num_classes=10,
        )
        archs = get_space("nb201").sample_keys(request["archs"], request["seed"])
        works = [
            make_workload("nb201", arch, batch, second=second, run_seed=request["seed"],
                          network_variant="as_trained", num_classes=10, device="cpu")
            for arch in archs
        ]
        engine_set = request["engine_set"]
        names = expand_proxies([engine_set])[0] if engine_set == "standard" else (
            engine_set.split(",") if engine_set else [])
        answer({"harness": harness.__file__, "archs": archs, "source": batch.source,
                "notes": notes, "engine_set": names})
    elif op == "floor":
        call = works[request["arch"]].floor_call()
        start = time.perf_counter(); call(); answer({"seconds": time.perf_counter() - start})
    elif op == "proxy":
        work = works[request["arch"]]
        start = time.perf_counter()
        outcome = work.naive(request["name"])
        seconds = time.perf_counter() - start
        answer({"seconds": seconds, "scores": {request["name"]: [outcome.score, outcome.status]}})
    elif op == "engine":
        work = works[request["arch"]]
        start = time.perf_counter()
        outcomes = work.engine(request["names"])
        seconds = time.perf_counter() - start
        answer({"seconds": seconds,
                "scores": {n: [o.score, o.status] for n, o in outcomes.items()}})
    else:
        answer({"error": f"unknown op {op}"})
"""


class Side:
    """One worker process on one source tree."""

    def __init__(self, label: str, tree: Path):
        self.label = label
        env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tree,
        )

    def ask(self, **request) -> dict:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"{self.label} worker died (exit {self.process.wait()})")
        reply = json.loads(line)
        if "error" in reply:
            raise SystemExit(f"{self.label}: {reply['error']}")
        return reply

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def extract(commit: str, into: Path) -> str:
    """`git archive` of `commit` unpacked into `into`; returns the full hash."""
    full = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--verify", f"{commit}^{{commit}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    archive = into / "base.tar"
    with archive.open("wb") as handle:
        subprocess.run(["git", "-C", str(REPO), "archive", full], stdout=handle, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    return full


def same_bits(a: list, b: list) -> bool:
    (score_a, status_a), (score_b, status_b) = a, b
    if status_a != status_b:
        return False
    if isinstance(score_a, float) and isinstance(score_b, float):
        return score_a == score_b or (math.isnan(score_a) and math.isnan(score_b))
    return score_a == score_b


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=DEFAULT_BASE, help=f"commit ({DEFAULT_BASE})")
    parser.add_argument("--proxies", default=DEFAULT_PROXIES, help="each timed alone")
    parser.add_argument(
        "--engine-set",
        default="",
        help="proxies timed together through the engine: names, 'standard', or 'none' "
        "(default: --proxies)",
    )
    parser.add_argument("--archs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--input", default="fashion-mnist")
    args = parser.parse_args(argv)
    proxies = [p for p in args.proxies.split(",") if p]
    engine_set = "" if args.engine_set == "none" else (args.engine_set or args.proxies)

    with tempfile.TemporaryDirectory(prefix="proxy-speedup-") as tmp:
        base_commit = extract(args.base, Path(tmp))
        sides = [Side("base", Path(tmp) / "tree"), Side("new", REPO)]
        try:
            setup = {
                "op": "setup",
                "archs": args.archs,
                "batch_size": args.batch_size,
                "seed": args.seed,
                "input": args.input,
                "engine_set": engine_set,
            }
            infos = [side.ask(**setup) for side in sides]
            if infos[0]["archs"] != infos[1]["archs"]:
                raise SystemExit("the two sides sampled different architectures")
            measures = [("floor", {"op": "floor"})]
            measures += [(name, {"op": "proxy", "name": name}) for name in proxies]
            if infos[1]["engine_set"]:
                names = infos[1]["engine_set"]
                label = f"engine: {len(names)} proxies together"
                measures.append((label, {"op": "engine", "names": names}))
            # seconds[side][measure][arch] = one value per round
            seconds = [{m: [[] for _ in infos[0]["archs"]] for m, _ in measures} for _ in sides]
            scores: list[dict] = [{}, {}]
            load_before = os.getloadavg()
            started = time.perf_counter()
            for round_index in range(args.rounds):
                for arch in range(args.archs):
                    for step, (measure, request) in enumerate(measures):
                        order = [0, 1] if (round_index + arch + step) % 2 == 0 else [1, 0]
                        for index in order:
                            reply = sides[index].ask(arch=arch, **request)
                            seconds[index][measure][arch].append(reply["seconds"])
                            for name, value in reply.get("scores", {}).items():
                                scores[index][(arch, name)] = value
            wall = time.perf_counter() - started
            load_after = os.getloadavg()
        finally:
            for side in sides:
                side.close()

    def per_arch(index: int, measure: str) -> float:
        return statistics.fmean(statistics.median(r) for r in seconds[index][measure])

    floors = [per_arch(0, "floor"), per_arch(1, "floor")]
    print(
        f"base {base_commit[:12]} vs this tree; {args.archs} NB201 archs (seed {args.seed}), "
        f"batch {args.batch_size} ({infos[1]['source']}), one torch thread per side, "
        f"{args.rounds} interleaved round(s), median per arch then mean; "
        f"{platform.processor() or platform.machine()}, load average "
        f"{load_before[0]:.1f} -> {load_after[0]:.1f}, {wall:.0f} s\n"
        f"(base imports {infos[0]['harness']}, new {infos[1]['harness']})\n"
    )
    print("| measure | base s/arch | new s/arch | new / base | base x floor | new x floor "
          "| scores bit-identical |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---|")
    differing = []
    for measure, request in measures:
        base_s, new_s = per_arch(0, measure), per_arch(1, measure)
        names = [request["name"]] if request["op"] == "proxy" else (request.get("names") or [])
        keys = [(arch, name) for arch in range(args.archs) for name in names]
        moved = [key for key in keys if not same_bits(scores[0][key], scores[1][key])]
        differing += moved
        identical = "" if not keys else ("yes" if not moved else f"NO ({len(moved)})")
        print(
            f"| {measure} | {base_s:.3f} | {new_s:.3f} | {new_s / base_s:.2f} "
            f"| {base_s / floors[0]:.2f} | {new_s / floors[1]:.2f} | {identical} |"
        )
    for arch, name in sorted(set(differing)):
        print(f"moved: {name} on {infos[0]['archs'][arch]}: {scores[0][(arch, name)]} -> "
              f"{scores[1][(arch, name)]}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
