"""Peak memory of one measurement of one architecture.

CPU: tracemalloc does not see torch's allocations, and the peak of a long-lived process
says nothing about one architecture, so every measurement runs in a fresh Python
subprocess (`python -m harness.bench.memory SPEC`). It imports, loads the batch, builds
the network and runs the call once on 2 images (so that loading libraries and setting
up kernels is not counted); then it reads its resident set size (RSS), resets its
high-water mark to it, runs the call and reads the high-water mark again. The report
gives that peak and its increase over the RSS before the call.

On Linux the high-water mark is `VmHWM` of /proc/self/status, reset by writing 5 to
/proc/self/clear_refs. `getrusage().ru_maxrss` would be wrong there: Linux carries it
across fork and exec, so a child starts with its parent's peak (we measured the bench
driver's growing RSS that way). Elsewhere the fallback is ru_maxrss, without reset.

CUDA: in the measuring process, `torch.cuda.max_memory_allocated` after
`reset_peak_memory_stats`, minus what was allocated before the call (tensors only,
not the caching allocator's reserve or the CUDA context).
"""

from __future__ import annotations

import gc
import json
import resource
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch

from harness.bench.workload import load_inputs, make_workload
from harness.proxies.plugins import load_includes

MIB = 1024.0 * 1024.0
RSS_METHOD = "fresh subprocess: peak RSS (VmHWM, reset before) during the call - RSS before it"
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


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def current_rss_bytes() -> int:
    """Resident set size of this process now."""
    kib = _status_kib("VmRSS")
    if kib is not None:
        return kib * 1024
    try:
        import psutil  # deferred: an optional dependency, used only without /proc
    except ImportError:
        return 0
    return int(psutil.Process().memory_info().rss)


def reset_peak_rss() -> bool:
    """Set this process's RSS high-water mark to its current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def peak_rss_bytes() -> int:
    """The highest RSS of this process (since the last `reset_peak_rss`)."""
    kib = _status_kib("VmHWM")
    if kib is not None:
        return kib * 1024
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


def peak_spec(
    space: str, arch: str, options: Any, source: str, include_files: list[str]
) -> dict[str, Any]:
    """The measurement set-up `subprocess_peak` sends to its fresh interpreter (add `what`
    and `proxies`). `options` is any options object with batch_size, seed, network_variant,
    num_classes and threads (`BenchOptions`, `CheckOptions`); `source` is the input source
    actually used (synthetic if the files were absent)."""
    return {
        "space": space,
        "arch": arch,
        "batch_size": options.batch_size,
        "seed": options.seed,
        "input_source": source,
        "network_variant": options.network_variant,
        "num_classes": options.num_classes,
        "threads": options.threads,
        "includes": include_files,
    }


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
    torch.set_num_threads(int(spec["threads"]))
    load_includes(spec.get("includes", ()))  # plugin files the measured proxies come from
    batch, second, _ = load_inputs(
        spec["input_source"],
        batch_size=int(spec["batch_size"]),
        seed=int(spec["seed"]),
        num_classes=int(spec["num_classes"]),
    )
    work = make_workload(
        spec["space"],
        spec["arch"],
        batch,
        second=second,
        run_seed=int(spec["seed"]),
        network_variant=spec["network_variant"],
        num_classes=int(spec["num_classes"]),
        device="cpu",
    )
    # One untimed run on 2 images first: library loading and kernel set-up are not the
    # architecture's memory.
    _call(spec, work.first_images(2))()
    call = _call(spec, work)
    gc.collect()
    before = current_rss_bytes()
    reset_peak_rss()
    call()
    return MemoryPeak(spec["what"], RSS_METHOD, before / MIB, peak_rss_bytes() / MIB)


if __name__ == "__main__":
    result = _measure(json.loads(sys.argv[1]))
    print(json.dumps(asdict(result)))
