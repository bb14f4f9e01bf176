"""Run every architecture in this process, one after another."""

from __future__ import annotations

from dataclasses import dataclass

from harness.execution.threads import torch_threads
from harness.scoring import ScoringPlan, score_architecture


@dataclass(frozen=True)
class SerialExecutor:
    threads: int = 1
    name: str = "serial"

    def run(self, plan: ScoringPlan, work, on_done) -> None:
        with torch_threads(self.threads):
            for arch, proxies in work:
                on_done(arch, score_architecture(plan, arch, proxies))
