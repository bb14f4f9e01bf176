"""Score one architecture with many proxies: the unit of work every executor runs.

A `ScoringPlan` holds everything a worker needs (picklable, no open files), including
the plugin files to load. The seed of an architecture derives from (run seed,
architecture key), so its records are identical whichever executor, order or number of
workers ran it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

import torch

from harness.inputs import ImageBatch
from harness.proxies import ProxyContext, derive_seed, get_proxy
from harness.proxies.engine import compute_proxies
from harness.proxies.plugins import load_includes
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
    #: a second labelled batch, disjoint from the first, for proxies that need two (ZiCo)
    second_images: torch.Tensor | None = None
    second_labels: torch.Tensor | None = None
    second_input_hash: str | None = None
    #: plugin files (`--include`, `include = [...]`, absolute paths) every worker loads
    #: before scoring, so that their proxies exist there too
    includes: tuple[str, ...] = ()

    @classmethod
    def for_batches(cls, batch: ImageBatch, second: ImageBatch | None = None, **fields):
        """A plan scoring on `batch` (and `second`, for proxies that need two batches)."""
        return cls(
            images=batch.images,
            labels=batch.labels,
            input_source=batch.source,
            input_hash=batch.content_hash,
            second_images=None if second is None else second.images,
            second_labels=None if second is None else second.labels,
            second_input_hash=None if second is None else second.content_hash,
            **fields,
        )

    @property
    def batch_size(self) -> int:
        return int(self.images.shape[0])

    def key(self, arch: str, proxy: str) -> ScoreKey:
        """The store key of one score. A proxy that reads the second batch is keyed by
        both batches' hashes ("first+second"), so its scores never mix with others'."""
        spec = get_proxy(proxy)
        input_hash = self.input_hash
        if "second_batch" in spec.needs and self.second_input_hash is not None:
            input_hash = f"{self.input_hash}+{self.second_input_hash}"
        return ScoreKey(
            space=self.space,
            arch=arch,
            dataset=self.dataset,
            proxy=proxy,
            proxy_version=spec.store_version,
            seed=self.run_seed,
            input_hash=input_hash,
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
    if plan.includes:  # a no-op where they are loaded already (each file runs once)
        load_includes(plan.includes)
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
        second_batch=(
            None
            if plan.second_images is None
            else (plan.second_images.to(device), plan.second_labels.to(device))
        ),
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
