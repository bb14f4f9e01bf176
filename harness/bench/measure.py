"""Measure the floor, the engine and the naive way on a seeded sample of architectures.

Per architecture and repeat, side by side in this order: the floor, the whole suite
through the engine, the shared-pass set through the engine, then every proxy naively
(see `harness.bench.workload`). Before the first architecture, `warmup` untimed rounds
of all of it on that architecture warm up imports, kernels and allocators. Everything
runs with `threads` torch threads (1 by default, as the executors score).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from harness.bench.clock import timed
from harness.bench.memory import MemoryPeak, cuda_peak, peak_spec, subprocess_peak
from harness.bench.workload import Workload, load_inputs, make_workload
from harness.devices import check_device
from harness.errors import ConfigError
from harness.execution.threads import torch_threads
from harness.proxies import expand_proxies
from harness.proxies.plugins import load_includes
from harness.spaces import get_space, list_spaces

#: The proxies that read the engine's shared passes (and synflow): the engine's target set.
SHARED_PASS_SET = ("grad_norm", "snip", "grasp", "fisher", "jacov", "plain", "synflow")


@dataclass(frozen=True)
class BenchOptions:
    space: str = "nb201"
    archs: int = 20
    batch_size: int = 64
    device: str = "cpu"
    #: names, globs or "standard"; set-level proxies bring the proxies they combine
    proxies: tuple[str, ...] = ("standard",)
    #: plugin files or folders to load first (`--include`)
    include: tuple[str, ...] = ()
    #: a second engine measurement on this subset alone ("" or () to skip)
    shared_set: tuple[str, ...] = SHARED_PASS_SET
    repeats: int = 3
    warmup: int = 1
    threads: int = 1
    #: seed of the architecture sample, the weights (per arch, as in a run) and the batch
    seed: int = 0
    input_source: str = "fashion-mnist"
    network_variant: str = "as_trained"
    num_classes: int = 10
    #: time every proxy naively too
    naive: bool = True
    #: architectures (the first ones) whose peak memory is measured; -1 = all
    memory_archs: int = -1

    def validate(self) -> None:
        spaces = list_spaces()  # every registered space
        if self.space not in spaces:
            raise ConfigError(f"space must be one of {', '.join(spaces)}, got {self.space!r}")
        for name in ("archs", "batch_size", "repeats", "threads"):
            if getattr(self, name) < 1:
                raise ConfigError(
                    f"{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}"
                )
        if self.warmup < 0:
            raise ConfigError(f"warmup must be >= 0, got {self.warmup}")
        check_device(self.device)


@dataclass(frozen=True)
class Repeat:
    """Seconds of one repeat on one architecture."""

    floor: float
    suite: float
    shared: float | None
    #: each proxy's charged seconds inside the suite (own time + share of shared passes)
    engine: dict[str, float]
    #: each proxy's seconds alone (None: naive timing off)
    naive: dict[str, float] | None


@dataclass
class ArchBench:
    arch: str
    repeats: list[Repeat] = field(default_factory=list)
    #: score and status of every proxy by the engine (suite, then shared-pass set) and
    #: naively, on the first repeat
    engine_scores: dict[str, tuple[float, str]] = field(default_factory=dict)
    naive_scores: dict[str, tuple[float, str]] = field(default_factory=dict)
    memory: dict[str, MemoryPeak] = field(default_factory=dict)


@dataclass
class BenchRun:
    options: BenchOptions
    proxies: list[str]
    set_level: list[str]
    shared_set: list[str]
    input_source: str
    input_hash: str
    archs: list[ArchBench]
    notes: list[str]


def resolve_proxies(options: BenchOptions) -> tuple[list[str], list[str], list[str]]:
    """(per-architecture proxies, set-level ones, the shared-pass subset)."""

    per_arch, set_level = expand_proxies(options.proxies)
    shared: list[str] = []
    if options.shared_set:
        shared, shared_set_level = expand_proxies(options.shared_set)
        if shared_set_level:
            raise ConfigError(
                f"the shared-pass set cannot hold set-level proxies: {shared_set_level}"
            )
    return per_arch, set_level, shared


def run_bench(options: BenchOptions, progress: Callable[[str], None] | None = None) -> BenchRun:
    options.validate()
    include_files = [str(f) for f in load_includes(options.include)]
    per_arch, set_level, shared = resolve_proxies(options)
    archs = get_space(options.space).sample_keys(options.archs, options.seed)
    batch, second, notes = load_inputs(
        options.input_source,
        batch_size=options.batch_size,
        seed=options.seed,
        num_classes=options.num_classes,
    )
    device = torch.device(options.device)
    results: list[ArchBench] = []
    with torch_threads(options.threads):
        for index, arch in enumerate(archs):
            work = make_workload(
                options.space,
                arch,
                batch,
                second=second,
                run_seed=options.seed,
                network_variant=options.network_variant,
                num_classes=options.num_classes,
                device=device,
            )
            if index == 0:
                for _ in range(options.warmup):
                    _one_repeat(work, per_arch, shared, options.naive)
            result = ArchBench(arch)
            for repeat in range(options.repeats):
                timing, engine_scores, naive_scores = _one_repeat(
                    work, per_arch, shared, options.naive
                )
                result.repeats.append(timing)
                if repeat == 0:
                    result.engine_scores, result.naive_scores = engine_scores, naive_scores
            if options.memory_archs < 0 or index < options.memory_archs:
                result.memory = _memory(options, work, per_arch, batch.source, include_files)
            results.append(result)
            if progress is not None:
                progress(arch)
    return BenchRun(
        options=options,
        proxies=per_arch,
        set_level=set_level,
        shared_set=shared,
        input_source=batch.source,
        input_hash=batch.content_hash,
        archs=results,
        notes=notes,
    )


def _score(outcome) -> tuple[float, str]:
    return (outcome.score if math.isfinite(outcome.score) else math.nan), outcome.status


def _one_repeat(work: Workload, proxies: list[str], shared: list[str], naive: bool):
    floor, _ = timed(work.floor_call(), work.device)
    suite, outcomes = timed(lambda: work.engine(proxies), work.device)
    scores = {name: _score(outcomes[name]) for name in proxies}
    shared_seconds = None
    if shared:
        shared_seconds, shared_outcomes = timed(lambda: work.engine(shared), work.device)
        scores.update({n: _score(o) for n, o in shared_outcomes.items() if n not in scores})
    naive_seconds: dict[str, float] | None = None
    naive_scores: dict[str, tuple[float, str]] = {}
    if naive:
        naive_seconds = {}
        for name in dict.fromkeys(proxies + shared):
            seconds, outcome = timed(lambda name=name: work.naive(name), work.device)
            naive_seconds[name] = seconds
            naive_scores[name] = _score(outcome)
    timing = Repeat(
        floor=floor,
        suite=suite,
        shared=shared_seconds,
        engine={name: outcomes[name].seconds for name in proxies},
        naive=naive_seconds,
    )
    return timing, scores, naive_scores


def _memory(
    options: BenchOptions,
    work: Workload,
    proxies: list[str],
    source: str,
    include_files: list[str],
) -> dict[str, MemoryPeak]:
    if work.device.type == "cuda":
        return {
            "floor": cuda_peak("floor", work.floor_call(), work.device),
            "suite": cuda_peak("suite", lambda: work.engine(proxies), work.device),
        }
    spec = {
        **peak_spec(options.space, work.arch, options, source, include_files),
        "proxies": proxies,
    }
    return {what: subprocess_peak({**spec, "what": what}) for what in ("floor", "suite")}
