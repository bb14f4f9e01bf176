"""Dask distributed: a given scheduler, or a local cluster of worker processes.

Install with the optional extra `dist` (`pip install 'proxy-ranking-harness[dist]'`,
or `.[dist]` in a checkout). The plan is shipped once to every worker (`client.scatter`,
broadcast); the work is cut into chunks of at most `chunk_size` architectures (64: a
task is then worth a minute or so, long enough to amortise scheduling, short enough to
lose little when a worker dies). A chunk's task key is derived from the plan's identity
and the chunk's (arch, proxies) list, like the store's keys, so the same chunk always
has the same key and submitting it twice computes it once.

Results stream back as chunks finish (`as_completed`) and only the driver writes them,
through `on_done`. A failed task is retried (`retries`); a worker that dies has its
tasks rescheduled by the scheduler. Either way a chunk's records reach `on_done` once:
`as_completed` yields each future once, and architectures already delivered are skipped
(the store would ignore them anyway). Each architecture is scored with `threads` torch
threads inside a one-thread Dask worker, so the scores are bit-identical to the serial
and process executors'.

Speed: Dask's nanny starts workers with `MALLOC_TRIM_THRESHOLD_=65536`, which fixes
glibc's allocation thresholds so that every large tensor is mmapped and unmapped anew:
torch on a CPU ran 2x slower for us (20 NB201 archs, fast proxy set). The local cluster
is started without that variable, and a worker that has it anyway (a cluster started
elsewhere) sets glibc's thresholds back to the values its dynamic rule would reach
(`mallopt`: mmap threshold 32 MiB, trim threshold 64 MiB) before its first task.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import math
import os
import sys
import time
from dataclasses import dataclass

from harness.errors import ConfigError
from harness.execution.threads import torch_threads
from harness.scoring import ScoringPlan, score_architecture

#: At most this many architectures per task.
CHUNK_SIZE = 64
#: seconds without a delivered chunk after which the driver asks the scheduler whether a
#: result it never heard of is already in a worker's memory (see `_recover_stalled`)
STALL_SECONDS = 10.0
#: consecutive failed stall checks (each STALL_SECONDS apart) before the run gives up
MAX_FAILED_CHECKS = 6
#: Tasks per worker to aim for on small runs, so that every worker gets work.
TASKS_PER_WORKER = 4

_MISSING_DASK = (
    "executor 'dask' needs Dask distributed, which is not installed: "
    "pip install 'proxy-ranking-harness[dist]' (or pip install '.[dist]' in a checkout)"
)


def _require_distributed():
    try:
        # deferred: pulls in distributed
        import distributed
    except ImportError:
        raise ConfigError(_MISSING_DASK) from None
    return distributed


def chunk_work(work, workers: int, chunk_size: int = CHUNK_SIZE) -> list[list[tuple[str, list]]]:
    """The work in consecutive chunks of at most `chunk_size` architectures, smaller on
    small runs so that each of `workers` gets about `TASKS_PER_WORKER` tasks."""
    items = [(arch, list(proxies)) for arch, proxies in work]
    if not items:
        return []
    size = max(1, min(chunk_size, math.ceil(len(items) / (TASKS_PER_WORKER * max(1, workers)))))
    return [items[i : i + size] for i in range(0, len(items), size)]


def plan_identity(plan: ScoringPlan) -> str:
    """What makes two plans compute the same records (the store key's fields but the arch)."""
    fields = [
        plan.space,
        plan.dataset,
        plan.num_classes,
        plan.network_variant,
        plan.device,
        plan.run_seed,
        plan.input_hash,
        plan.batch_size,
        list(plan.includes),
    ]
    return json.dumps(fields)


def task_key(plan: ScoringPlan, chunk: list[tuple[str, list]]) -> str:
    """A deterministic Dask key for one chunk of this plan."""
    text = plan_identity(plan) + json.dumps(chunk)
    return "harness-score-" + hashlib.sha256(text.encode()).hexdigest()[:24]


_MALLOC_SETTING = "MALLOC_TRIM_THRESHOLD_"
_malloc_restored = False


def _restore_malloc_thresholds() -> None:
    """Undo Dask's fixed glibc trim threshold in this worker (see the module docstring)."""
    global _malloc_restored
    if (
        _malloc_restored
        or _MALLOC_SETTING not in os.environ
        or not sys.platform.startswith("linux")
    ):
        return
    _malloc_restored = True

    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024)
    libc.mallopt(m_trim_threshold, 64 * 1024 * 1024)


def _score_chunk(plan: ScoringPlan, chunk: list[tuple[str, list]], threads: int):
    _restore_malloc_thresholds()
    with torch_threads(threads):
        return [(arch, score_architecture(plan, arch, proxies)) for arch, proxies in chunk]


@dataclass(frozen=True)
class DaskExecutor:
    workers: int = 2
    threads: int = 1
    #: scheduler address (e.g. tcp://10.0.0.5:8786); "" starts a local cluster on loopback
    address: str = ""
    chunk_size: int = CHUNK_SIZE
    #: times a failed task is retried before the run fails
    retries: int = 2
    name: str = "dask"

    def __post_init__(self) -> None:
        _require_distributed()
        if self.chunk_size < 1:
            raise ConfigError(f"dask chunk size must be >= 1, got {self.chunk_size}")

    def run(self, plan: ScoringPlan, work, on_done) -> None:
        if not work:
            return
        distributed = _require_distributed()
        cluster = None
        if self.address:
            client = distributed.Client(self.address)
        else:
            cluster = _local_cluster(distributed, self.workers)
            client = distributed.Client(cluster)
        try:
            self._run_on(client, plan, work, on_done)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    def _run_on(self, client, plan: ScoringPlan, work, on_done) -> None:
        # deferred: pulls in distributed
        from distributed import as_completed

        workers = len(client.scheduler_info().get("workers", {})) or self.workers
        shipped_plan = client.scatter(plan, broadcast=True, hash=False)
        futures = [
            client.submit(
                _score_chunk,
                shipped_plan,
                chunk,
                self.threads,
                key=task_key(plan, chunk),
                retries=self.retries,
                pure=False,
            )
            for chunk in chunk_work(work, workers, self.chunk_size)
        ]
        results = as_completed(futures, with_results=True, raise_errors=False)
        pending = {future.key: future for future in futures}
        # Only `results` and `pending` hold the futures now: a chunk's records are freed
        # once delivered.
        del futures
        delivered: set[str] = set()

        def deliver(key, chunk_records) -> None:
            future = pending.pop(key, None)
            if future is None:
                return  # already delivered (recovered directly, then reported again)
            for arch, records in chunk_records:
                if arch not in delivered:
                    delivered.add(arch)
                    on_done(arch, records)
            future.release()

        try:
            last_delivery, failed_checks = time.monotonic(), 0
            while pending:
                batch = results.next_batch(block=False)
                for future, outcome in batch:
                    if future.status == "error":
                        _kind, error, traceback = outcome
                        raise error.with_traceback(traceback)
                    if future.status != "finished":
                        raise RuntimeError(f"dask task {future.key} ended as {future.status}")
                    deliver(future.key, outcome)
                if batch:
                    last_delivery = time.monotonic()
                elif time.monotonic() - last_delivery > STALL_SECONDS:
                    recovered = []
                    try:
                        recovered = list(_recover_stalled(client, list(pending)))
                        failed_checks = 0
                    except Exception as error:  # a comm broken by the dead worker: retry
                        failed_checks += 1
                        if failed_checks > MAX_FAILED_CHECKS:
                            raise
                        print(f"dask: stall check failed ({error!r}); retrying", file=sys.stderr)
                    for key, chunk_records in recovered:
                        deliver(key, chunk_records)
                    last_delivery = time.monotonic()
                else:
                    time.sleep(0.05)
        except BaseException:
            client.cancel(list(pending.values()), force=True)
            raise


def _scheduler_holders(dask_scheduler, keys: list[str]) -> dict[str, list[str]]:
    """Runs on the scheduler: the workers holding each key that is in memory."""
    holders = {}
    for key in keys:
        task = dask_scheduler.tasks.get(key)
        if task is not None and task.state == "memory" and task.who_has:
            holders[key] = sorted(worker.address for worker in task.who_has)
    return holders


def _worker_value(key: str, dask_worker):
    """Runs on a worker: a result it holds in memory."""
    return dask_worker.data[key]


def _recover_stalled(client, keys: list[str]):
    """Results the scheduler has in memory but the client never reported, fetched directly.

    After a worker dies, `as_completed` can miss that a recomputed task finished
    (dask/dask#8882, dask/distributed#6074): the scheduler holds the result and the
    driver waits forever. Each such result is read straight from a worker that holds it.
    """
    holders = client.run_on_scheduler(_scheduler_holders, keys=keys)
    for key, workers in holders.items():
        try:
            value = client.run(_worker_value, key, workers=workers[:1])
        except Exception:  # the holder went away meanwhile: ask again at the next stall
            continue
        print(
            f"dask: chunk {key} finished but was never reported; read from {workers[0]}",
            file=sys.stderr,
        )
        yield key, next(iter(value.values()))


def _local_cluster(distributed, workers: int):
    # deferred: pulls in dask
    import dask

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {})
    environ.pop(_MALLOC_SETTING, None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        return distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
