"""Score one architecture with many proxies: the unit of work every executor runs.

A `ScoringPlan` holds everything a worker needs (picklable, no open files), including
the plugin files to load. The seed of an architecture derives from (run seed,
architecture key), so its records are identical whichever executor, order or number of
workers ran it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from harness.inputs import Batches, load_batches
from harness.proxies import DEFAULT_PROXY_TIMEOUT, ProxyContext, compute_proxies, get_proxy
from harness.proxies.plugins import include_files, load_includes
from harness.seeds import derive_seed
from harness.spaces.networks import build_network, seeded_network
from harness.store import ScoreKey, ScoreRecord
from harness.tables import num_classes_for, scored_dataset

if TYPE_CHECKING:
    from harness.config import InputConfig
    from harness.execution import Executor
    from harness.store import ScoreStore


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
    #: seconds one proxy may take on one architecture (0: no limit), and per-proxy limits
    proxy_timeout: float = DEFAULT_PROXY_TIMEOUT
    proxy_timeouts: tuple[tuple[str, float], ...] = ()

    @classmethod
    def for_batch(
        cls,
        batches: Batches,
        *,
        space: str,
        dataset: str,
        network_variant: str,
        device: str,
        run_seed: int,
        proxies: Sequence[str],
        includes: Sequence[str] = (),
        proxy_timeout: float = DEFAULT_PROXY_TIMEOUT,
        proxy_timeouts: Mapping[str, float] | None = None,
    ) -> ScoringPlan:
        """A plan scoring `proxies` on the batches (`scoring_batches`) with the classifier
        head of `dataset` (`harness.tables.num_classes_for`)."""
        first, second = batches.first, batches.second
        return cls(
            space=space,
            dataset=dataset,
            num_classes=num_classes_for(dataset),
            network_variant=network_variant,
            device=device,
            run_seed=run_seed,
            proxies=tuple(proxies),
            images=first.images,
            labels=first.labels,
            input_source=first.source,
            input_hash=first.content_hash,
            second_images=None if second is None else second.images,
            second_labels=None if second is None else second.labels,
            second_input_hash=None if second is None else second.content_hash,
            includes=tuple(includes),
            proxy_timeout=float(proxy_timeout),
            proxy_timeouts=tuple(sorted((k, float(v)) for k, v in (proxy_timeouts or {}).items())),
        )

    def timeout_of(self, proxy: str) -> float:
        """The time limit of `proxy` on one architecture, in seconds (0: none)."""
        return dict(self.proxy_timeouts).get(proxy, self.proxy_timeout)

    @property
    def batch_size(self) -> int:
        return int(self.images.shape[0])

    def key(self, arch: str, proxy: str) -> ScoreKey:
        """The store key of one score. A proxy that reads the second batch is keyed by
        both batches' hashes ("first+second"), so its scores never mix with others'. The
        key's data set is the network's (`harness.tables.scored_dataset`): a run against a
        `cifar10-valid` target reuses the scores of one against `cifar10` on the same
        images."""
        spec = get_proxy(proxy)
        input_hash = self.input_hash
        if "second_batch" in spec.needs and self.second_input_hash is not None:
            input_hash = f"{self.input_hash}+{self.second_input_hash}"
        return ScoreKey(
            space=self.space,
            arch=arch,
            dataset=scored_dataset(self.dataset),
            proxy=proxy,
            proxy_version=spec.store_version,
            seed=self.run_seed,
            input_hash=input_hash,
            batch_size=self.batch_size,
            network_variant=self.network_variant,
        )

    def keys(self, arch: str, proxies: Iterable[str] | None = None) -> list[ScoreKey]:
        return [self.key(arch, p) for p in (self.proxies if proxies is None else proxies)]


def worker_loadable_plugins(plan: ScoringPlan, proxies: Iterable[str]) -> list[str]:
    """The plugin proxies among `proxies` that a fresh worker process loads by itself:
    those of the plan's include files and of installed packages' entry points (not
    built-ins, nor proxies registered by other code of this process)."""
    files = {str(f) for path in plan.includes for f in include_files(path)}
    out = []
    for name in proxies:
        origin = get_proxy(name).origin
        if (origin.kind == "file" and origin.name in files) or (
            origin.kind == "package" and origin.entry_point
        ):
            out.append(name)
    return out


def needs_second_batch(proxies: Iterable[str]) -> bool:
    """Whether one of the proxies reads a second, disjoint batch (ZiCo)."""
    return any("second_batch" in get_proxy(name).needs for name in proxies)


def scoring_batches(
    input: InputConfig,
    *,
    seed: int,
    dataset: str,
    proxies: Iterable[str] = (),
    data_dir: str | None = None,
) -> Batches:
    """The batches `proxies` score `dataset`'s networks on, drawn with `seed` as `input`
    says, falling back to synthetic (with a warning and a note) if the files are absent.

    The image size is `input.image_size`, else the data set's natural one (16 for
    ImageNet16-120, else 32). The second batch (only when one of `proxies` needs it) has
    the first's size and source, is drawn with a seed derived from `seed`, and never
    repeats an image of the first. Source `auto` reads `dataset`'s own images when found
    (the data folder `data_dir`, default $HARNESS_DATA or ./data, then the usual places),
    else Fashion-MNIST, with a note.
    """
    size = input.image_size or (16 if dataset.lower().startswith("imagenet16") else 32)
    return load_batches(
        input.source,
        path=input.path or None,
        dataset=dataset,
        data_dir=data_dir,
        seed=seed,
        num_classes=num_classes_for(dataset),
        second=needs_second_batch(proxies),
        fallback=input.fallback_to_synthetic,
        stacklevel=2,
        batch_size=input.batch_size,
        split=input.split,
        class_balanced=input.class_balanced,
        image_size=size,
    )


def missing_work(
    plan: ScoringPlan, archs: Iterable[str], store: ScoreStore
) -> list[tuple[str, list[str]]]:
    """(architecture, the plan's proxies the store lacks for it), in architecture order,
    for each architecture that lacks any."""
    archs = list(archs)
    todo: dict[str, list[str]] = {}
    for key in store.missing(k for arch in archs for k in plan.keys(arch)):
        todo.setdefault(key.arch, []).append(key.proxy)
    return [(arch, todo[arch]) for arch in archs if arch in todo]


def score_missing(
    plan: ScoringPlan,
    archs: Sequence[str],
    store: ScoreStore,
    executor: Executor | None,
    *,
    todo: list[tuple[str, list[str]]] | None = None,
    on_done: Callable[[str, list[ScoreRecord]], None] | None = None,
) -> tuple[dict[tuple[str, str], ScoreRecord], int]:
    """The store read-through: compute what the store lacks of the plan's scores for
    `archs` (`todo`, default `missing_work`), store each architecture's records as they
    arrive (then call `on_done`), and return every record found by (arch, proxy) and how
    many architectures were computed. `executor` None scores here, one after another,
    with this process's torch settings."""
    if todo is None:
        todo = missing_work(plan, archs, store)

    def done(arch: str, records: list[ScoreRecord]) -> None:
        store.put_many(records)
        if on_done is not None:
            on_done(arch, records)

    if todo:
        if executor is None:
            for arch, proxies in todo:
                done(arch, score_architecture(plan, arch, proxies))
        else:
            executor.run(plan, todo, done)
    records = {
        (r.key.arch, r.key.proxy): r
        for r in (store.get(k) for arch in archs for k in plan.keys(arch))
        if r is not None
    }
    return records, len(todo)


def arch_seed(run_seed: int, arch: str) -> int:
    """The seed of one architecture's initial weights and proxy randomness."""
    return derive_seed("arch", run_seed, arch)


def proxy_context(
    space: str,
    arch: str,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    run_seed: int | None = None,
    num_classes: int,
    variant: str,
    device: torch.device | str = "cpu",
    second_batch: tuple[torch.Tensor, torch.Tensor] | None = None,
    seed: int | None = None,
    network_options: Mapping[str, Any] | None = None,
) -> ProxyContext:
    """What a proxy scores `arch` with, as a run sets it up: the network with its initial
    weights under the architecture's seed (`arch_seed`), the builder of its variants, and
    the batch (and second batch) on `device`. The one set-up of scoring, bench, check and
    conformance.

    Conformance gives a reference row's own `seed` instead of `run_seed` (the network is
    seeded with it as it is), and its geometry as `network_options` (`build_network`'s
    `C`, `N`): the scored network is built with them, its variants as the space builds
    them, as the references did."""
    if (run_seed is None) == (seed is None):
        raise ValueError("proxy_context takes run_seed or seed, one of them")
    seed = arch_seed(run_seed, arch) if seed is None else seed
    network, build = seeded_network(
        space, arch, seed=seed, num_classes=num_classes, variant=variant, device=device,
        **(network_options or {}),
    )  # fmt: skip
    if network_options:
        build = functools.partial(
            build_network, space, arch, num_classes=num_classes, variant=variant
        )
    return ProxyContext(
        network=network,
        images=images.to(device),
        labels=labels.to(device),
        num_classes=num_classes,
        seed=seed,
        device=device,
        build_variant=build,
        second_batch=(
            None
            if second_batch is None
            else (second_batch[0].to(device), second_batch[1].to(device))
        ),
    )


def failure_records(
    plan: ScoringPlan, arch: str, proxies: Iterable[str], reason: str, seconds: float = 0.0
) -> list[ScoreRecord]:
    """Failed records ("error", `reason`) of `proxies` on `arch`: what an executor stores
    for a proxy whose worker crashed or was stopped past its time limit."""
    return [
        ScoreRecord(
            key=plan.key(arch, name),
            score=None,
            seconds=seconds,
            device=str(torch.device(plan.device)),
            threads=torch.get_num_threads(),
            input_source=plan.input_source,
            status="error",
            error=reason,
        )
        for name in proxies
    ]


def score_architecture(
    plan: ScoringPlan,
    arch: str,
    proxies: Iterable[str] | None = None,
    on_start: Callable[[str], None] | None = None,
) -> list[ScoreRecord]:
    """Records for `arch` and the given proxies (default: all of the plan's), each under
    its time limit (`ScoringPlan.timeout_of`); `on_start(proxy)` is called as each starts."""
    if plan.includes:  # a no-op where they are loaded already (each file runs once)
        load_includes(plan.includes)
    names = list(plan.proxies if proxies is None else proxies)
    device = torch.device(plan.device)
    ctx = proxy_context(
        plan.space,
        arch,
        plan.images,
        plan.labels,
        run_seed=plan.run_seed,
        num_classes=plan.num_classes,
        variant=plan.network_variant,
        device=device,
        second_batch=(
            None if plan.second_images is None else (plan.second_images, plan.second_labels)
        ),
    )
    outcomes = compute_proxies(
        names,
        ctx,
        timeout=plan.proxy_timeout,
        timeouts=dict(plan.proxy_timeouts),
        on_start=on_start,
    )
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
