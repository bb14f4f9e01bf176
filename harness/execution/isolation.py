"""Plugin proxies scored out of process under the serial executor (issue 27).

A plugin proxy that ends its process (`os._exit`, a segfault) would end a serial run with
it. So the serial executor hands the plugin proxies it can isolate to a one-worker process
pool (`ProcessExecutor`), which records such a crash as that proxy's failure on that
architecture ("proxy P crashed on architecture A (exit code 7)"), rebuilds the pool and
goes on, and which applies the same time limits (the worker's alarm, the driver's kill).
Built-in proxies stay in the driver's process: a run without plugins starts no process.

A proxy can be isolated when the worker can load it by itself: a file of the plan's
`includes` (`--include`, `include = [...]`) or an installed package's entry point.
Proxies registered by other code of the driver's process (a module a script imported, an
interactive session) stay in-process, as do all plugins when the environment variable
`HARNESS_PLUGINS_IN_PROCESS=1` is set (to debug a plugin: its crash then ends the run).
Scores are the same either way (each proxy starts from the same initial weights and
batch, whichever process and whichever other proxies); only its seconds can differ.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from harness.errors import ConfigError
from harness.execution.processes import ProcessExecutor
from harness.scoring import ScoringPlan, score_architecture, worker_loadable_plugins
from harness.store import ScoreRecord

#: Environment variable: "1" scores plugin proxies in the serial driver's own process.
IN_PROCESS_ENV = "HARNESS_PLUGINS_IN_PROCESS"


def plugins_in_process() -> bool:
    """Whether `HARNESS_PLUGINS_IN_PROCESS` asks for plugins in-process ("1"; "0" or unset:
    isolated); any other value is a `ConfigError` naming it."""
    value = os.environ.get(IN_PROCESS_ENV, "").strip()
    if value not in ("", "0", "1"):
        raise ConfigError(f"{IN_PROCESS_ENV} must be 0 or 1, got {value!r}")
    return value == "1"


def run_isolating_plugins(
    plan: ScoringPlan,
    work: Sequence[tuple[str, Sequence[str]]],
    on_done: Callable[[str, list[ScoreRecord]], None],
    *,
    threads: int,
) -> None:
    """Score `work` one thing at a time: the plugin proxies a worker can load by itself
    (`worker_loadable_plugins`) in a one-worker pool, the others here; `on_done(arch,
    records)` once per architecture with all its records, in the order of its proxies."""
    away = set(worker_loadable_plugins(plan, list(dict.fromkeys(p for _, ps in work for p in ps))))
    order = {arch: list(proxies) for arch, proxies in work}
    here = {arch: [p for p in ps if p not in away] for arch, ps in order.items()}
    pooled = [(arch, [p for p in ps if p in away]) for arch, ps in order.items()]
    pooled = [(arch, ps) for arch, ps in pooled if ps]

    def done(arch: str, records: list[ScoreRecord]) -> None:
        if here[arch]:
            records = score_architecture(plan, arch, here[arch]) + records
        position = {proxy: i for i, proxy in enumerate(order[arch])}
        on_done(arch, sorted(records, key=lambda r: position[r.key.proxy]))

    pooled_archs = {arch for arch, _ in pooled}
    for arch in order:
        if arch not in pooled_archs:
            done(arch, [])
    if pooled:
        # one task at a time: the worker waits while the driver scores the built-ins
        pool = ProcessExecutor(workers=1, threads=threads, tasks_per_worker=1)
        pool.run(plan, pooled, done)
