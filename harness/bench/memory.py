"""Peak memory of one measurement of one architecture.

CPU: tracemalloc does not see torch's allocations, and the peak of a long-lived process
says nothing about one architecture, so every measurement runs in a fresh Python
subprocess (`python -m harness.bench.memory SPEC`): it imports, loads the batch and
builds the network, reads its current RSS (`/proc/self/statm`, else psutil), runs the
measured call once and reads its peak RSS (`getrusage(RUSAGE_SELF).ru_maxrss`). The
report gives that peak and the increase over the RSS before the call. The increase is
exact when nothing before the call peaked higher than the RSS it left (imports and the
network build do not, in practice: they keep what they allocate). The call first runs
once on 2 images, so that loading libraries and setting up kernels is not counted.

CUDA: in the measuring process, `torch.cuda.max_memory_allocated` after
`reset_peak_memory_stats`, minus what was allocated before the call (tensors only,
not the caching allocator's reserve or the CUDA context).
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch

MIB = 1024.0 * 1024.0
RUSAGE_METHOD = "fresh subprocess: ru_maxrss after the call - RSS before it"
CUDA_METHOD = "torch.cuda.max_memory_allocated during the call - allocated before it"


@dataclass(frozen=True)
class MemoryPeak:
    what: str
    method: str
    before_mib: float
    peak_mib: float

    @property
    def increase_mib(self) -> float:
        return max(self.peak_mib - self.before_mib, 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "increase_mib": self.increase_mib}


def current_rss_bytes() -> int:
    """Resident set size of this process now."""
    try:
        with open("/proc/self/statm") as handle:
            resident_pages = int(handle.read().split()[1])
        return resident_pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        try:
            import psutil
        except ImportError:
            return 0
        return int(psutil.Process().memory_info().rss)


def peak_rss_bytes() -> int:
    """The highest resident set size this process has had (ru_maxrss: KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def cuda_peak(what: str, call: Callable[[], Any], device: torch.device) -> MemoryPeak:
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    before = torch.cuda.memory_allocated(device)
    call()
    torch.cuda.synchronize(device)
    peak = torch.cuda.max_memory_allocated(device)
    return MemoryPeak(what, CUDA_METHOD, before / MIB, peak / MIB)


def subprocess_peak(spec: dict[str, Any], timeout: float = 3600.0) -> MemoryPeak:
    """Run `spec` (see `_measure`) in a fresh interpreter and return its peak."""
    done = subprocess.run(
        [sys.executable, "-m", "harness.bench.memory", json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"memory measurement of {spec['what']} failed: {tail[0]}")
    return MemoryPeak(**json.loads(done.stdout.strip().splitlines()[-1]))


def _call(spec: dict[str, Any], work) -> Callable[[], Any]:
    if spec["what"] == "floor":
        return work.floor_call()
    names = list(spec["proxies"])
    return lambda: work.engine(names)


def _measure(spec: dict[str, Any]) -> MemoryPeak:
    from harness.bench.workload import load_inputs, make_workload

    torch.set_num_threads(int(spec["threads"]))
    batch, _ = load_inputs(
        spec["input_source"],
        batch_size=int(spec["batch_size"]),
        seed=int(spec["seed"]),
        num_classes=int(spec["num_classes"]),
    )
    work = make_workload(
        spec["space"],
        spec["arch"],
        batch,
        run_seed=int(spec["seed"]),
        network_variant=spec["network_variant"],
        num_classes=int(spec["num_classes"]),
        device="cpu",
    )
    # One untimed run on 2 images first: library loading and kernel set-up are not the
    # architecture's memory.
    _call(spec, dataclasses.replace(work, images=work.images[:2], labels=work.labels[:2]))()
    call = _call(spec, work)
    gc.collect()
    before = current_rss_bytes()
    call()
    return MemoryPeak(spec["what"], RUSAGE_METHOD, before / MIB, peak_rss_bytes() / MIB)


if __name__ == "__main__":
    result = _measure(json.loads(sys.argv[1]))
    print(json.dumps(asdict(result)))
