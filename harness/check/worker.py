"""A fresh process scoring proxies for the determinism check: `python -m harness.check.worker`.

The parent hands it a JSON spec (architectures, proxies, include files, batch, seed,
threads); it loads the plugins and the batch as a run does, scores every proxy on every
architecture `repeats` times, each on a fresh context, and prints one JSON line:
`{proxy: {arch key: [[status, score bits, error], ...]}}`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import torch

from harness.bench.workload import load_inputs, make_workload
from harness.check.contract import full_context, run_proxy, score_bits
from harness.proxies.plugins import load_includes

#: seconds a determinism process may take before the check gives up on it
TIMEOUT = 3600.0


def score_in_fresh_process(spec: dict[str, Any], timeout: float = TIMEOUT) -> dict[str, Any]:
    """Run `spec` in a new interpreter; its results, or a RuntimeError with its last line."""
    done = subprocess.run(
        [sys.executable, "-m", "harness.check.worker", json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"determinism process failed: {tail[0]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


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
            runs = []
            for _ in range(int(spec["repeats"])):
                outcome = run_proxy(name, full_context(work))
                runs.append([outcome.status, score_bits(outcome.score), outcome.error])
            results[name][case["arch"]] = runs
    return results


if __name__ == "__main__":
    print(json.dumps(_score(json.loads(sys.argv[1]))))
