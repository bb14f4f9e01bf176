"""A local pool of worker processes; workers x threads <= cores by default.

Workers are spawned (not forked: torch's thread pools do not survive a fork), receive
the plan once at start-up, and return records; the driver writes them to the store.
"""

from __future__ import annotations

import multiprocessing
import signal
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass

import torch

from harness.scoring import ScoringPlan, score_architecture

_PLAN: ScoringPlan | None = None


def _start_worker(plan: ScoringPlan, threads: int) -> None:
    global _PLAN
    # Ctrl-C is the driver's to handle: it cancels what has not started and keeps the rest.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    torch.set_num_threads(threads)
    _PLAN = plan


def _score(arch: str, proxies: list[str]):
    assert _PLAN is not None, "worker started without a plan"
    return arch, score_architecture(_PLAN, arch, proxies)


@dataclass(frozen=True)
class ProcessExecutor:
    workers: int = 2
    threads: int = 1
    name: str = "processes"

    def run(self, plan: ScoringPlan, work, on_done) -> None:
        if not work:
            return
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(
            max_workers=min(self.workers, len(work)),
            mp_context=context,
            initializer=_start_worker,
            initargs=(plan, self.threads),
        )
        pending = set()
        queue = iter(work)
        try:
            # Keep at most two tasks per worker in flight, so an interrupt loses little.
            for arch, proxies in queue:
                pending.add(pool.submit(_score, arch, list(proxies)))
                if len(pending) >= 2 * self.workers:
                    break
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    arch, records = future.result()
                    on_done(arch, records)
                    for arch_next, proxies_next in queue:
                        pending.add(pool.submit(_score, arch_next, list(proxies_next)))
                        break
        except BaseException:
            _stop_now(pool)
            raise
        pool.shutdown(wait=True)


def _stop_now(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and stop the workers at once (Ctrl-C, SIGTERM, an error).

    Only the driver writes the store, so a worker stopped mid-architecture loses nothing
    stored: a resumed run scores that architecture again. Waiting for the workers instead
    would hold the interrupt up to the end of every task already handed to them (we saw
    ~50 s on the default run).
    """
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
        return
    # shutdown() forgets the processes, so take them first (a private attribute before 3.14)
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
