"""Score one architecture with many proxies: the unit of work every executor runs.

A `ScoringPlan` holds everything a worker needs (picklable, no open files). The
seed of an architecture derives from (run seed, architecture key), so its
records are identical whichever executor, order or number of workers ran it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

import torch

from harness.proxies import ProxyContext, derive_seed, get_proxy
from harness.proxies.engine import compute_proxies
from harness.spaces.networks import build_network
from harness.store import ScoreKey, ScoreRecord


@dataclass(frozen=True)
class ScoringPlan:
    space: str
    dataset: str
    num_classes: int
    network_variant: str
    device: str
    run_seed: int
    #: per-architecture proxies (set-level ones are combined later from these)
    proxies: tuple[str, ...]
    images: torch.Tensor
    labels: torch.Tensor
    input_source: str
    input_hash: str

    @property
    def batch_size(self) -> int:
        return int(self.images.shape[0])

    def key(self, arch: str, proxy: str) -> ScoreKey:
        return ScoreKey(
            space=self.space,
            arch=arch,
            dataset=self.dataset,
            proxy=proxy,
            proxy_version=get_proxy(proxy).version,
            seed=self.run_seed,
            input_hash=self.input_hash,
            batch_size=self.batch_size,
            network_variant=self.network_variant,
        )

    def keys(self, arch: str, proxies: Iterable[str] | None = None) -> list[ScoreKey]:
        return [self.key(arch, p) for p in (self.proxies if proxies is None else proxies)]


def arch_seed(run_seed: int, arch: str) -> int:
    """The seed of one architecture's initial weights and proxy randomness."""
    return derive_seed("arch", run_seed, arch)


def score_architecture(
    plan: ScoringPlan, arch: str, proxies: Iterable[str] | None = None
) -> list[ScoreRecord]:
    """Records for `arch` and the given proxies (default: all of the plan's)."""
    names = list(plan.proxies if proxies is None else proxies)
    seed = arch_seed(plan.run_seed, arch)
    device = torch.device(plan.device)
    build = functools.partial(
        build_network,
        plan.space,
        arch,
        num_classes=plan.num_classes,
        variant=plan.network_variant,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        network = build().to(device)
    ctx = ProxyContext(
        network=network,
        images=plan.images.to(device),
        labels=plan.labels.to(device),
        num_classes=plan.num_classes,
        seed=seed,
        device=device,
        build_variant=build,
    )
    outcomes = compute_proxies(names, ctx)
    records = []
    for name in names:
        outcome = outcomes[name]
        records.append(
            ScoreRecord(
                key=plan.key(arch, name),
                score=outcome.score if outcome.status == "ok" else None,
                seconds=outcome.seconds,
                device=str(device),
                threads=torch.get_num_threads(),
                input_source=plan.input_source,
                status=outcome.status,
                error=outcome.error or ("" if outcome.status == "ok" else outcome.status),
            )
        )
    return records
