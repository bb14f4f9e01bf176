"""A local pool of worker processes; workers x threads <= cores by default.

Workers are spawned (not forked: torch's thread pools do not survive a fork), receive
the plan once at start-up, and return records; the driver writes them to the store.

Faults of a proxy's code do not end the run (issue 27). Each worker tells the driver,
through a queue, which proxy it starts on which architecture. A worker that dies (a
proxy calling `os._exit`, a segfault) breaks the pool: the driver records that proxy on
that architecture as a failure ("crashed: signal SIGSEGV" / "exit code 7"), builds a new
pool and hands it what the old one had not finished (the crashed architecture's other
proxies included). A proxy stuck past its time limit that the worker's own alarm cannot
stop (a long C call) is killed by the driver `KILL_GRACE` seconds after its limit and
recorded as timed out. When a break cannot be pinned on one proxy (several workers
stopped at once), the architectures that were running are retried one at a time.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import torch

from harness.errors import HarnessError
from harness.scoring import ScoringPlan, failure_records, score_architecture

_PLAN: ScoringPlan | None = None
_REPORTS: Any = None

#: Seconds past a proxy's time limit after which the driver kills its worker (the
#: worker's own alarm normally stops the proxy at the limit), plus 10% of the limit.
KILL_GRACE = 10.0
#: Seconds between the driver's looks at the workers (start reports, overruns).
POLL = 0.5
#: Pool breaks in a row that no proxy can be blamed for (workers dying at start-up)
#: before the run stops with an error.
MAX_UNEXPLAINED_BREAKS = 3


def _start_worker(plan: ScoringPlan, threads: int, reports: Any = None) -> None:
    global _PLAN, _REPORTS
    # Ctrl-C is the driver's to handle: it cancels what has not started and keeps the rest.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    torch.set_num_threads(threads)
    _PLAN = plan
    _REPORTS = reports


def _report(arch: str, proxy: str | None) -> None:
    if _REPORTS is not None:
        _REPORTS.put((os.getpid(), arch, proxy, time.time()))


def _score(arch: str, proxies: list[str]):
    assert _PLAN is not None, "worker started without a plan"
    _report(arch, None)  # building the network
    records = score_architecture(_PLAN, arch, proxies, on_start=lambda p: _report(arch, p))
    return arch, records


@dataclass
class _Running:
    """What one worker last said it was doing."""

    pid: int
    proxy: str | None
    since: float


@dataclass
class _Pool:
    pool: ProcessPoolExecutor
    reports: Any
    workers: int
    tasks: dict[Future, tuple[str, list[str]]] = field(default_factory=dict)
    running: dict[str, _Running] = field(default_factory=dict)
    processes: dict[int, Any] = field(default_factory=dict)
    killed: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProcessExecutor:
    workers: int = 2
    threads: int = 1
    #: tasks handed to each worker at once (more keeps it busy; fewer loses less on Ctrl-C)
    tasks_per_worker: int = 2
    name: str = "processes"

    def run(self, plan: ScoringPlan, work, on_done) -> None:
        if not work:
            return
        queue: list[tuple[str, list[str]]] = [(a, list(p)) for a, p in work]
        failed: dict[str, list] = {}  # arch -> failure records waiting for its other proxies
        isolate: set[str] = set()  # archs to retry alone (a break no proxy was blamed for)
        unexplained = 0
        while queue:
            alone = [item for item in queue if item[0] in isolate]
            batch = alone[:1] if alone else list(queue)
            workers = 1 if alone else min(self.workers, len(batch))
            state = self._start(plan, workers)
            try:
                done, broken = self._drive(state, plan, batch, failed, on_done)
            except BaseException:
                _stop_now(state.pool)
                raise
            queue = [item for item in queue if item[0] not in done]
            if broken is None:
                state.pool.shutdown(wait=True)
                continue
            _stop_now(state.pool)
            blamed = self._blame(state, plan, broken, failed)
            for arch in done:
                isolate.discard(arch)
            if blamed:
                unexplained = 0
                queue = [(a, [p for p in ps if p not in blamed.get(a, ())]) for a, ps in queue]
                for arch in [a for a, ps in queue if not ps]:
                    on_done(arch, failed.pop(arch))
                    isolate.discard(arch)
                queue = [(a, ps) for a, ps in queue if ps]
                continue
            unexplained += 1
            if unexplained >= MAX_UNEXPLAINED_BREAKS:
                raise HarnessError(
                    f"executor processes: worker processes died {unexplained} times before "
                    f"scoring ({broken}); a plugin may end the process at import (rerun with "
                    "--executor serial and HARNESS_PLUGINS_IN_PROCESS=1 to see its error)"
                )
            isolate.update(state.running)

    def _start(self, plan: ScoringPlan, workers: int) -> _Pool:
        context = multiprocessing.get_context("spawn")
        reports = context.SimpleQueue()
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(plan, self.threads, reports),
        )
        return _Pool(pool, reports, workers)

    def _drive(self, state: _Pool, plan: ScoringPlan, batch, failed, on_done):
        """Run `batch` on the pool: (archs done, None) or, when the pool broke, (archs done
        before it broke, what broke it)."""
        done: set[str] = set()
        queue = iter(batch)
        # Keep at most `tasks_per_worker` tasks per worker in flight (an interrupt loses little).
        for arch, proxies in queue:
            state.tasks[state.pool.submit(_score, arch, proxies)] = (arch, proxies)
            if len(state.tasks) >= self.tasks_per_worker * state.workers:
                break
        while state.tasks:
            finished, _ = wait(list(state.tasks), timeout=POLL, return_when=FIRST_COMPLETED)
            self._read_reports(state, done)
            self._kill_overrunning(state, plan)
            for future in finished:
                arch = state.tasks[future][0]
                try:
                    _, records = future.result()
                except BrokenProcessPool as exc:
                    self._read_reports(state, done)
                    return done, str(exc) or "a worker died"
                del state.tasks[future]
                done.add(arch)
                state.running.pop(arch, None)
                on_done(arch, records + failed.pop(arch, []))
                for arch_next, proxies_next in queue:
                    future_next = state.pool.submit(_score, arch_next, proxies_next)
                    state.tasks[future_next] = (arch_next, proxies_next)
                    break
        return done, None

    def _read_reports(self, state: _Pool, done: set[str]) -> None:
        while not state.reports.empty():
            pid, arch, proxy, since = state.reports.get()
            if arch in done:
                continue
            state.running[arch] = _Running(pid, proxy, since)
            if pid not in state.processes:
                process = (getattr(state.pool, "_processes", None) or {}).get(pid)
                if process is not None:
                    state.processes[pid] = process

    def _kill_overrunning(self, state: _Pool, plan: ScoringPlan) -> None:
        now = time.time()
        for _arch, running in state.running.items():
            if running.proxy is None or running.pid in state.killed:
                continue
            limit = plan.timeout_of(running.proxy)
            if limit > 0 and now - running.since > limit + KILL_GRACE + 0.1 * limit:
                state.killed[running.pid] = (
                    f"timed out after {limit:g} s (proxy_timeout; the worker did not stop "
                    "and was killed)"
                )
                with contextlib.suppress(OSError):
                    os.kill(running.pid, signal.SIGKILL)

    def _blame(self, state: _Pool, plan: ScoringPlan, broken: str, failed) -> dict[str, set]:
        """The proxies whose worker died, by architecture; their failure records join
        `failed`. Empty when the break cannot be pinned on a proxy."""
        blamed: dict[str, set] = {}
        for arch, running in state.running.items():
            reason = state.killed.get(running.pid)
            if reason is None:
                reason = _death(state.processes.get(running.pid))
            if reason is None:
                continue
            if running.proxy is not None:
                proxies = [running.proxy]
                what = f"proxy {running.proxy} crashed on architecture {arch}"
            else:
                proxies = _proxies_of(state, arch)
                what = f"the worker crashed building architecture {arch}"
            if not reason.startswith("timed out"):
                reason = f"{what} ({reason})"
            seconds = max(0.0, time.time() - running.since)
            print(
                f"harness: warning: {reason}; recorded as a failure, the pool restarted",
                file=sys.stderr,
                flush=True,
            )
            failed.setdefault(arch, []).extend(
                failure_records(plan, arch, proxies, reason, seconds)
            )
            blamed.setdefault(arch, set()).update(proxies)
        return blamed


def _proxies_of(state: _Pool, arch: str) -> list[str]:
    for task_arch, proxies in state.tasks.values():
        if task_arch == arch:
            return list(proxies)
    return []


def _death(process: Any) -> str | None:
    """How a worker that died by itself ended ("signal SIGSEGV", "exit code 7"); None if it is
    alive, unknown, or was stopped by the pool (SIGTERM after another worker's death)."""
    if process is None:
        return None
    process.join(timeout=1.0)
    code = process.exitcode
    if code is None or code == -signal.SIGTERM:
        return None
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return f"signal {name}"
    return f"exit code {code}"


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
