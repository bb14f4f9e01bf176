"""Run every architecture in this process, one after another; plugin proxies in a child.

Built-in proxies run here. Plugin proxies that a worker can load by itself (include files,
entry points) are scored in a one-worker process pool (`isolation`), so that one that
ends its process is recorded as a failure instead of ending the run (issue 27), unless
`isolate_plugins` is off (`HARNESS_PLUGINS_IN_PROCESS=1`).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.execution.isolation import run_isolating_plugins
from harness.execution.threads import torch_threads
from harness.scoring import ScoringPlan, score_architecture


@dataclass(frozen=True)
class SerialExecutor:
    threads: int = 1
    #: score plugin proxies in a child process (see `harness.execution.isolation`)
    isolate_plugins: bool = True
    name: str = "serial"

    def run(self, plan: ScoringPlan, work, on_done) -> None:
        with torch_threads(self.threads):
            if self.isolate_plugins:
                run_isolating_plugins(plan, work, on_done, threads=self.threads)
                return
            for arch, proxies in work:
                on_done(arch, score_architecture(plan, arch, proxies))
