"""Time `harness leaderboard --targets` over the whole-space table, old code against new.

    python3 -m benchmarks.leaderboard_targets                 # 40 targets, both sides
    python3 -m benchmarks.leaderboard_targets --targets 4     # the first 4 of the 40
    python3 -m benchmarks.leaderboard_targets --methods       # bootstrap vs jackknife

Both sides run the same command line (suite-zero-nb201-full, cifar10 scores, 1,000
resamples, seed 0) in their own process, one after the other in this sitting: the old
side is the package at --base (default 55de6f7, before the shared bootstrap of issue 23)
extracted with `git archive` into a temporary folder, the new side the working tree.
Each side runs under `/usr/bin/time -v` where it exists (its elapsed time and peak
memory are printed). Prints each side's wall and CPU seconds (the child's user +
system), the ratio, the load (`os.getloadavg`) before and after, and whether the two
results documents hold the same rows, figure for figure (run ids, times and timings
masked).

`--methods` times the working tree twice instead, with the bootstrap's intervals and with
the jackknife's (`--interval jackknife`), and prints, per interval figure, whether the
estimates are identical and the largest and median difference between the two methods'
interval ends over the rows where both are defined.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_ROBUSTNESS = [f"pgd@Linf_eps-{e}" for e in ("0.1", "0.5", "1.0", "2.0", "3.0", "4.0", "8.0")]
_ROBUSTNESS += [f"fgsm@Linf_eps-{e}" for e in ("0.1", "0.5", "1.0", "2.0", "3.0", "4.0")]
_ROBUSTNESS += [f"fgsm@Linf_eps-{e}" for e in ("5.0", "6.0", "7.0", "8.0", "255.0")]
_ROBUSTNESS += ["aa_apgd-ce@Linf_eps-1.0", "aa_apgd-ce@Linf_eps-8.0"]
_DEVICES = ["edgegpu_latency", "edgegpu_energy", "raspi4_latency", "edgetpu_latency",
            "pixel3_latency", "eyeriss_latency", "eyeriss_energy", "fpga_latency",
            "fpga_energy"]  # fmt: skip

#: 2 accuracy + 18 hardware-cost + 20 robustness targets.
TARGETS: list[str] = (
    ["cifar10-valid/accuracy/valid/200", "ImageNet16-120/accuracy/valid/200"]
    + [f"hw-nas-bench:{data}/{d}" for data in ("cifar10", "ImageNet16-120") for d in _DEVICES]
    + [f"nb201-robustness:{attack}" for attack in _ROBUSTNESS]
)

_VOLATILE = {"run_id", "created", "git_revision", "machine", "python", "packages"}


def _extract(commit: str, folder: Path) -> Path:
    """The package at `commit`, extracted into `folder`."""
    archive = folder / "base.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", commit, "harness"], cwd=REPO, stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "src", filter="data")
    return folder / "src"


def _run(
    source: Path, out: Path, targets: list[str], resamples: int, extra: tuple[str, ...] = ()
) -> tuple[float, float]:
    """Wall and CPU seconds of the command (plus `extra` options) run with `source` first
    on the path."""
    env = {**os.environ, "PYTHONPATH": str(source), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "harness", "leaderboard", "--table",
               "suite-zero-nb201-full", "--dataset", "cifar10", "--targets", ",".join(targets),
               "--resamples", str(resamples), "--seed", "0", "--out", str(out), *extra]  # fmt: skip
    timer = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(timer + command, env=env, cwd=out.parent, check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    wall = time.perf_counter() - start
    for line in done.stderr.splitlines():  # /usr/bin/time -v's summary
        if "Elapsed (wall" in line or "Maximum resident" in line:
            print(f"    {out.name}: {line.strip()}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _masked(value):
    if isinstance(value, dict):
        return {
            k: _masked(v)
            for k, v in value.items()
            if k not in _VOLATILE and "second" not in k and "wall" not in k
        }
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def _rows(folder: Path) -> list:
    return _masked(json.loads((folder / "results.json").read_text())["rows"])


def _value(row: dict, key: str):
    """A figure's entry in a results row (a typed column or an `extra` entry)."""
    return row[key] if key in row else row["extra"].get(key)


def _compare_methods(boot: Path, jack: Path) -> None:
    """Per interval figure: estimates identical?, and |jackknife - bootstrap| of the ends."""
    booted = json.loads((boot / "results.json").read_text())["rows"]
    rows = {(r["target"], r["proxy"]): r for r in booted}
    jacked = json.loads((jack / "results.json").read_text())["rows"]
    pairs = [(rows[(r["target"], r["proxy"])], r) for r in jacked]
    for name in ("kendall", "spearman", "pearson", "ndcg"):
        same = all(_value(b, name) == _value(j, name) for b, j in pairs)
        ends = [(_value(b, name + end), _value(j, name + end))
                for b, j in pairs for end in ("_lo", "_hi")]  # fmt: skip
        gaps = [abs(j - b) for b, j in ends if b is not None and j is not None]
        print(f"  {name:9s} estimates identical: {same}; |jackknife - bootstrap| of the "
              f"interval ends: median {statistics.median(gaps):.4f}, max {max(gaps):.4f} "
              f"({len(gaps)} ends)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=len(TARGETS), help="first N of the 40")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--base", default="55de6f7", help="the old side's commit")
    parser.add_argument("--new-only", action="store_true", help="time the working tree only")
    parser.add_argument("--methods", action="store_true",
                        help="the working tree's bootstrap against its jackknife")  # fmt: skip
    args = parser.parse_args()
    targets = TARGETS[: args.targets]
    print(f"{len(targets)} targets, {args.resamples} resamples; load before "
          f"{os.getloadavg()[0]:.2f} (1-min average), {os.cpu_count()} CPUs")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.methods:
            jack = _run(REPO, folder / "jack", targets, args.resamples, ("--interval", "jackknife"))
            print(f"jackknife: wall {jack[0]:8.1f} s  CPU {jack[1]:8.1f} s")
            boot = _run(REPO, folder / "boot", targets, args.resamples)
            print(f"bootstrap: wall {boot[0]:8.1f} s  CPU {boot[1]:8.1f} s "
                  f"({args.resamples} resamples)")  # fmt: skip
            print(f"ratio bootstrap/jackknife: wall {boot[0] / jack[0]:.1f}x  CPU "
                  f"{boot[1] / jack[1]:.1f}x; load after {os.getloadavg()[0]:.2f}")  # fmt: skip
            _compare_methods(folder / "boot", folder / "jack")
            return
        new = _run(REPO, folder / "new", targets, args.resamples)
        print(f"new  ({REPO.name}): wall {new[0]:8.1f} s  CPU {new[1]:8.1f} s")
        if args.new_only:
            return
        old = _run(_extract(args.base, folder), folder / "old", targets, args.resamples)
        print(f"old  ({args.base}): wall {old[0]:8.1f} s  CPU {old[1]:8.1f} s")
        print(f"ratio old/new: wall {old[0] / new[0]:.1f}x  CPU {old[1] / new[1]:.1f}x; "
              f"load after {os.getloadavg()[0]:.2f}")  # fmt: skip
        same = _rows(folder / "old") == _rows(folder / "new")
        print(f"results rows identical (figures and intervals): {same}")


if __name__ == "__main__":
    main()
