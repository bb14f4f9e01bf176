"""A fresh process scoring proxies for the determinism check: `python -m harness.check.worker`.

The parent hands it a JSON spec (architectures, proxies, include files, batch, seed,
threads); it loads the plugins and the batch as a run does, scores every proxy on every
architecture `repeats` times, each on a fresh context, and prints one JSON line:
`{proxy: {arch key: [[status, score bits, error], ...]}}`.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from typing import Any

import torch

from harness.bench.workload import load_inputs, make_workload
from harness.check.contract import full_context, run_proxy, score_bits
from harness.proxies.plugins import load_includes

#: seconds a determinism process may take before the check gives up on it
TIMEOUT = 3600.0


#: what the worker prints on stderr before each proxy, so a crash can be placed
PROGRESS = "harness-check-worker: scoring "


def score_in_fresh_process(
    spec: dict[str, Any], timeout: float = TIMEOUT, what: str = "determinism process"
) -> dict[str, Any]:
    """Run `spec` in a new interpreter; its results, or a RuntimeError saying how it ended
    (its last line, or its exit code or signal and what it was scoring when it died).
    Past `timeout` seconds it is killed: a RuntimeError too."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "harness.check.worker", json.dumps(spec)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        where = _last_progress(exc.stderr)
        raise RuntimeError(f"{what} did not finish within {timeout:g} s{where} (killed)") from None
    lines = done.stdout.strip().splitlines()
    if done.returncode == 0 and lines:
        return json.loads(lines[-1])
    where = _last_progress(done.stderr)
    if done.returncode < 0:
        try:
            name = signal.Signals(-done.returncode).name
        except ValueError:
            name = str(-done.returncode)
        raise RuntimeError(f"{what} crashed (signal {name}){where}")
    tail = [
        line
        for line in done.stderr.strip().splitlines()
        if not line.startswith(PROGRESS) and not re.search(r"\w+Warning: ", line)
    ]
    if tail:
        raise RuntimeError(f"{what} failed: {tail[-1]}")
    raise RuntimeError(f"{what} crashed (exit code {done.returncode}){where}")


def _last_progress(stderr: str | bytes | None) -> str:
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    steps = [line for line in (stderr or "").splitlines() if line.startswith(PROGRESS)]
    return f" while scoring {steps[-1][len(PROGRESS) :]}" if steps else ""


def _score(spec: dict[str, Any]) -> dict[str, dict[str, list[list[Any]]]]:
    torch.set_num_threads(int(spec["threads"]))
    load_includes(spec.get("includes", ()))
    batch, second, _ = load_inputs(
        spec["input_source"],
        batch_size=int(spec["batch_size"]),
        seed=int(spec["seed"]),
        num_classes=int(spec["num_classes"]),
    )
    results: dict[str, dict[str, list[list[Any]]]] = {name: {} for name in spec["proxies"]}
    timed_out: set[str] = set()  # with "stop_on_timeout": not scored again once it timed out
    for case in spec["cases"]:
        work = make_workload(
            case["space"],
            case["arch"],
            batch,
            second=second,
            run_seed=int(spec["seed"]),
            network_variant=spec["network_variant"],
            num_classes=int(spec["num_classes"]),
            device=spec["device"],
        )
        for name in spec["proxies"]:
            if name in timed_out:
                continue
            runs = []
            for _ in range(int(spec["repeats"])):
                print(f"{PROGRESS}{name} on {case['space']} {case['arch']}", file=sys.stderr,
                      flush=True)  # fmt: skip
                outcome = run_proxy(name, full_context(work), spec.get("timeout"))
                runs.append([outcome.status, score_bits(outcome.score), outcome.error])
                if spec.get("stop_on_timeout") and (outcome.error or "").startswith("timed out"):
                    timed_out.add(name)
                    break
            results[name][case["arch"]] = runs
    return results


if __name__ == "__main__":
    print(json.dumps(_score(json.loads(sys.argv[1]))))
