"""Executors: who runs `score_architecture` for each architecture.

An executor takes a `ScoringPlan`, the work `[(arch, [proxy, ...]), ...]` and a callback
`on_done(arch, records)` that the *driver* calls as results arrive, so only the driver
writes to the score store (a retried or duplicated task writes nothing twice, because the
store ignores keys it already holds). Every executor computes each architecture with the
same number of torch threads (`threads`), which keeps scores bit-identical whichever
executor and however many workers ran them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from harness.errors import ConfigError
from harness.registry import Registry

if TYPE_CHECKING:
    from harness.scoring import ScoringPlan
    from harness.store import ScoreRecord

Work = Sequence[tuple[str, Sequence[str]]]
OnDone = Callable[[str, list["ScoreRecord"]], None]


class Executor(Protocol):
    name: str

    def run(self, plan: ScoringPlan, work: Work, on_done: OnDone) -> None: ...


class ExecutorFactory(Protocol):
    """Makes an executor; each takes the options it uses and ignores the others."""

    def __call__(self, *, workers: int, threads: int, address: str) -> Executor: ...


#: Every executor by name, in the order the help text lists them (the first is serial).
#: The command line's choices and the config's validation read their names from here.
EXECUTORS: Registry[ExecutorFactory] = Registry("executor", on_duplicate="error")


@EXECUTORS.register("serial")
def _serial(*, workers: int, threads: int, address: str) -> Executor:
    # deferred: pulls in torch, numpy, pandas, scipy, tqdm
    from harness.execution.isolation import plugins_in_process
    from harness.execution.serial import SerialExecutor

    return SerialExecutor(threads=threads, isolate_plugins=not plugins_in_process())


@EXECUTORS.register("processes")
def _processes(*, workers: int, threads: int, address: str) -> Executor:
    # deferred: pulls in torch, numpy, pandas, scipy, tqdm
    from harness.execution.processes import ProcessExecutor

    return ProcessExecutor(workers=workers, threads=threads)


@EXECUTORS.register("dask")
def _dask(*, workers: int, threads: int, address: str) -> Executor:
    # deferred: pulls in torch, numpy, pandas, scipy, tqdm
    from harness.execution.dask import DaskExecutor

    return DaskExecutor(workers=workers, threads=threads, address=address)


def executor_names() -> tuple[str, ...]:
    """The registered executors' names, in registration order (serial, processes, dask)."""
    return tuple(EXECUTORS)


def default_workers(threads: int) -> int:
    return max(1, (os.cpu_count() or 1) // max(1, threads))


def get_executor(
    name: str,
    *,
    workers: int = 0,
    threads: int = 1,
    address: str = "",
) -> Executor:
    """The executor `name` (serial, processes, dask); workers 0 = cores // threads."""
    if threads < 1:
        raise ConfigError(f"threads per worker must be >= 1, got {threads}")
    if workers < 0:
        raise ConfigError(f"workers must be >= 0, got {workers}")
    workers = workers or default_workers(threads)
    return EXECUTORS[name](workers=workers, threads=threads, address=address)
