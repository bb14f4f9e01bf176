"""`harness run`: sample architectures, score proxies into the store, correlate, report.

Wiring only: sampling (tables), inputs, scoring (proxies via `harness.scoring`),
the store, and the correlation engine. Scores already in the store are reused, so
an interrupted run resumes where it stopped and reruns compute nothing twice.
`run_experiment` is a few named steps: `set_up` (table, target, proxies), `sample`,
`draw_batches` + `scoring_plans`, `_score` (the store read-through,
`harness.scoring.score_missing`), `correlate` (rows) and `build_document`.

With several initial-weight seeds (`seeds`), the same sample is scored once per seed
(the weights and every proxy's own randomness derive from that seed; the batch is the
run seed's, or each seed's own with `vary_batch`), and each row's figures are means
over the seeds with intervals over seeds and architectures (`harness.seed_figures`).
"""

from __future__ import annotations

import hashlib
import itertools
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from tqdm import tqdm

from harness.config import TIME_LIMIT_DEFAULTS, RunConfig
from harness.devices import check_device
from harness.errors import DataError
from harness.execution import get_executor
from harness.inputs import IMAGE_LABELS, Batches, ImageBatch, describe_images
from harness.proxies import get_proxy
from harness.proxies.plugins import load_includes, origin_notes, plugin_packages, proxy_origins
from harness.proxies.selection import (
    expand_proxies,
    is_requested,
    members_extra,
    requested_patterns,
)
from harness.results import (
    PerArchValues,
    ResultRow,
    ResultsDocument,
    row_from_summary,
    sort_by_kendall,
)
from harness.sampling import sample_archs
from harness.scoring import ScoringPlan, missing_work, score_missing, scoring_batches
from harness.seed_figures import seed_summary
from harness.stats import common_rows, summarise
from harness.store import ScoreRecord, ScoreStore
from harness.tables import (
    BenchmarkTable,
    Target,
    load_table,
    num_classes_for,
    resolve_target,
)


@dataclass
class RunOutcome:
    document: ResultsDocument
    #: architectures scored now and found in the store (per seed: (arch, seed) pairs)
    computed_archs: int
    reused_archs: int


@dataclass(frozen=True)
class RunSetup:
    """What a run ranks against and with: the table, its target and data set, the
    requested proxy patterns, what they expand to, and the plugin files loaded."""

    table: BenchmarkTable
    target: str
    dataset: str
    num_classes: int
    patterns: list[str]
    per_arch: list[str]
    set_level: list[str]
    include_files: list[Path]
    #: the target as `harness.tables.resolve_target` resolved it (parsed once)
    resolved: Target | None = None
    #: the data folder given (None: $HARNESS_DATA, else ./data), where input auto looks first
    data_dir: str | None = None


@dataclass(frozen=True)
class RunBatches:
    """The run seed's batches, and each scoring seed's (the run seed's unless
    `vary_batch`)."""

    run: Batches
    by_seed: dict[int, Batches]


@dataclass(frozen=True)
class Correlated:
    """A run's leaderboard rows, per-architecture values and notes, before the document."""

    rows: list[ResultRow]
    per_arch: PerArchValues
    wanted: list[str]
    origins: dict[str, dict]
    notes: list[str]


def run_experiment(
    config: RunConfig,
    *,
    data_dir: str | None,
    run_id: str,
    progress: bool = True,
) -> RunOutcome:
    """`harness run`: set up, sample, draw batches, score, correlate, build the document."""
    setup = set_up(config, data_dir)
    archs = sample(config, setup)
    batches = draw_batches(config, setup)
    plans = scoring_plans(config, setup, batches)
    records_by_plan, computed = _score(config, plans, archs, len(setup.per_arch), progress)
    correlated = correlate(config, setup, archs, batches, plans, records_by_plan)
    document = build_document(config, run_id, setup, batches, correlated)
    reused = len(archs) * len(plans) - computed
    return RunOutcome(document=document, computed_archs=computed, reused_archs=reused)


def set_up(config: RunConfig, data_dir: str | None) -> RunSetup:
    """Check the device, load the plugin files and the table (printing its notes),
    resolve the target, and expand the requested proxies (combinations registered)."""
    check_device(config.device)  # before any work: a machine without that device stops here
    include_files = load_includes(config.include)  # plugin files: before any proxy name
    table = load_table(config.table, data_dir, **config.table_options)
    for note in table.notes:  # e.g. the embedded ground truth standing in for a missing file
        if note not in table.warnings:  # load_table printed those
            print(f"harness: note: {note}", file=sys.stderr)
    resolved = resolve_target(
        table,
        config.target,
        registered=config.table,
        data_dir=data_dir,
        table_options=config.table_options,
    )
    table = resolved.table  # joined with the table a `table:target` names, else the same
    target, dataset = resolved.column, resolved.dataset
    num_classes = num_classes_for(dataset)
    patterns = requested_patterns(config.proxies, config.combinations)
    per_arch, set_level = expand_proxies(patterns)
    return RunSetup(
        table, target, dataset, num_classes, patterns, per_arch, set_level, include_files,
        resolved, data_dir,
    )  # fmt: skip


def sample(config: RunConfig, setup: RunSetup) -> list[str]:
    """The architectures to score: `archs` of the table, drawn with the sample seed
    (the run seed unless `sample_seed` is set)."""

    return sample_archs(
        setup.table,
        config.archs,
        config.sample_seed if config.sample_seed >= 0 else config.seed,
        unique=config.unique,
        stratify=config.stratify_quantiles or None,
        target=setup.resolved or setup.target,
    )


def draw_batches(config: RunConfig, setup: RunSetup) -> RunBatches:
    """The run seed's batches and, with `vary_batch`, each other seed's own."""

    def draw(seed: int) -> Batches:
        return scoring_batches(
            config.input,
            seed=seed,
            dataset=setup.dataset,
            proxies=setup.per_arch,
            data_dir=setup.data_dir,
        )

    batches = draw(config.seed)
    by_seed = {
        s: draw(s) if config.vary_batch and s != config.seed else batches for s in config.seed_list
    }
    return RunBatches(batches, by_seed)


def scoring_plans(config: RunConfig, setup: RunSetup, batches: RunBatches) -> list[ScoringPlan]:
    """One scoring plan per seed, on that seed's batches."""
    return [
        ScoringPlan.for_batch(
            batches.by_seed[s],
            space=setup.table.space,
            dataset=setup.dataset,
            network_variant=config.network_variant,
            device=config.device,
            run_seed=s,
            proxies=setup.per_arch,
            includes=[str(f) for f in setup.include_files],
            proxy_timeout=config.proxy_timeout,
            proxy_timeouts=config.proxy_timeouts,
        )
        for s in config.seed_list
    ]


def correlate(
    config: RunConfig,
    setup: RunSetup,
    archs: list[str],
    batches: RunBatches,
    plans: list[ScoringPlan],
    records_by_plan: list[dict[tuple[str, str], ScoreRecord]],
) -> Correlated:
    """Each requested proxy's leaderboard row (scores against the target's truth, means
    over seeds with several), sorted by Kendall's tau, with the per-architecture values
    and the notes on reused scores, plugin proxies and batches."""
    names = setup.per_arch + setup.set_level
    # a lower-is-better target (latency) is ranked against its negation
    resolved = setup.resolved
    values = setup.table.frame[setup.target] if resolved is None else resolved.oriented_values()
    truth = values.reindex(archs).to_numpy(dtype=float)
    collected = [
        _collect(plan, archs, records, setup.per_arch, setup.set_level, config.store)
        for plan, records in zip(plans, records_by_plan, strict=True)
    ]
    computed_by = {
        proxy: _computed_by(
            itertools.chain.from_iterable(
                (records[(arch, proxy)] for arch in archs) for records in records_by_plan
            )
        )
        for proxy in setup.per_arch
    }
    notes = batches.run.notes + _reuse_notes(config, computed_by)
    if setup.resolved is not None and not setup.resolved.higher_is_better:
        notes.append(f"target {setup.target}: {setup.resolved.orientation}")
    wanted = [p for p in names if is_requested(p, setup.patterns)]
    origins = proxy_origins(names)
    notes += origin_notes(names)
    rows_of = common_rows(
        {f"{p}@{k}": c.scores[p] for p in wanted for k, c in enumerate(collected)}, config.failures
    )
    rows = []
    for proxy in wanted:
        spec = get_proxy(proxy)
        extra = {
            "statuses": collected[0].statuses[proxy],
            **members_extra(spec),
            **computed_by.get(proxy, {}),
            **batch_notes(spec, batches.run.first, batches.run.second),
            **({"proxy_origin": origins[proxy]} if proxy in origins else {}),
        }
        rows.append(_row(config, setup, proxy, collected, truth[rows_of], rows_of, extra))
    rows = sort_by_kendall(rows)
    for row in rows:
        if "batch_note" in row.extra:
            notes.append(f"{row.proxy}: {row.extra['batch_note']}")
            if str(row.extra["batch_note"]).startswith("degenerate"):
                print(f"WARNING: {row.proxy}: {row.extra['batch_note']}", file=sys.stderr)
    per_arch = _per_arch_values(config, setup, archs, truth, collected, wanted)
    return Correlated(rows, per_arch, wanted, origins, notes)


def _row(
    config: RunConfig,
    setup: RunSetup,
    proxy: str,
    collected: list[SeedScores],
    truth: np.ndarray,
    rows_of: np.ndarray,
    extra: dict[str, object],
) -> ResultRow:
    """One proxy's leaderboard row: its figures on the common rows (means over seeds with
    several, statuses summed over them), its seconds per architecture and `extra`."""
    spec, seeds = get_proxy(proxy), config.seed_list
    options = dict(
        higher_is_better=spec.higher_is_better,
        n_resamples=config.bootstrap_resamples,
        confidence=config.confidence,
        seed=config.seed,
        failures=config.failures,
    )
    seconds = collected[0].seconds[proxy]
    if len(seeds) == 1:
        summary = summarise(collected[0].scores[proxy][rows_of], truth, **options).to_dict()
    else:
        summary = seed_summary(
            [c.scores[proxy][rows_of] for c in collected], truth, seeds=seeds, **options
        )
        extra["statuses"] = _summed_statuses([c.statuses[proxy] for c in collected])
        seconds = float(np.mean([c.seconds[proxy] for c in collected]))
    return row_from_summary(
        summary,
        space=setup.table.space,
        dataset=setup.dataset,
        target=setup.target,
        proxy=proxy,
        higher_is_better=spec.higher_is_better,
        seconds_per_arch=seconds,
        origin="computed",
        proxy_version=spec.version,
        extra=extra,
    )


def _per_arch_values(
    config: RunConfig,
    setup: RunSetup,
    archs: list[str],
    truth: np.ndarray,
    collected: list[SeedScores],
    wanted: list[str],
) -> PerArchValues:
    """The truth and every requested proxy's score per architecture (the first seed's,
    and with several seeds each seed's)."""
    seeds = config.seed_list
    per_arch = PerArchValues(
        space=setup.table.space,
        dataset=setup.dataset,
        target=setup.target,
        archs=list(archs),
        truth=[float(v) for v in truth],
        scores={p: [float(v) for v in collected[0].scores[p]] for p in wanted},
    )
    if len(seeds) > 1:
        per_arch.seeds = list(seeds)
        per_arch.seed_scores = {
            p: [[float(v) for v in c.scores[p]] for c in collected] for p in wanted
        }
    return per_arch


def images_used(config: RunConfig, setup: RunSetup, batch: ImageBatch) -> dict[str, object]:
    """Which images the proxies scored on, for the document and every leaderboard header:
    the source used (and the one asked for, e.g. `auto`), a one-line description, and
    whether they are the target data set's own images."""
    text, own = describe_images(
        batch.source,
        batch_size=batch.batch_size,
        split=batch.split,
        class_balanced=config.input.class_balanced,
        dataset=setup.dataset,
    )
    return {
        "source": batch.source,
        "label": IMAGE_LABELS.get(batch.source, batch.source),
        "asked": config.input.source,
        "target_dataset": setup.dataset,
        "target_images": own,
        "description": text,
    }


def build_document(
    config: RunConfig,
    run_id: str,
    setup: RunSetup,
    batches: RunBatches,
    correlated: Correlated,
) -> ResultsDocument:
    """The results document: the config with what the run resolved (target, proxies,
    batches, store, plugin files, seeds), the rows and values, and the provenance."""
    seeds = config.seed_list
    table, batch, second = setup.table, batches.run.first, batches.run.second
    notes, seed_batches = correlated.notes, batches.by_seed
    per_arch_proxies, set_level = setup.per_arch, setup.set_level
    config_dict = config.to_dict()
    for key, default in TIME_LIMIT_DEFAULTS.items():  # recorded when set, not by default
        if config_dict.get(key) == default:
            del config_dict[key]
    config_dict["resolved"] = {
        "target": setup.target,
        "num_classes": setup.num_classes,
        "proxies": correlated.wanted,
        "input_source": batch.source,
        "images": images_used(config, setup, batch),
        "input_hash": batch.content_hash,
        "input_indices_sha": _indices_digest(batch.indices),
        "second_batch": None
        if second is None
        else {
            "batch_size": second.batch_size,
            "input_hash": second.content_hash,
            "input_indices_sha": _indices_digest(second.indices),
        },
        "store": str(Path(config.store).resolve()),
        "include_files": [str(f) for f in setup.include_files],
        "proxy_origins": correlated.origins,
        "seeds": list(seeds),
    }
    if config.vary_batch:
        config_dict["resolved"]["seed_batches"] = [
            {
                "seed": s,
                "input_hash": seed_batches[s].first.content_hash,
                "input_indices_sha": _indices_digest(seed_batches[s].first.indices),
                "second_input_hash": None
                if seed_batches[s].second is None
                else seed_batches[s].second.content_hash,
            }
            for s in seeds
        ]
        notes += [n for s in seeds if s != config.seed for n in seed_batches[s].notes]
    return ResultsDocument.create(
        kind="run",
        run_id=run_id,
        config=config_dict,
        sources=table.sources,
        seed=config.seed,
        seeds=seeds,
        rows=correlated.rows,
        per_arch=[correlated.per_arch],
        notes=list(table.notes) + notes,
        packages=tuple(plugin_packages(per_arch_proxies + set_level)),
    )


def _score(
    config: RunConfig, plans: list[ScoringPlan], archs: list[str], n_proxies: int, progress: bool
) -> tuple[list[dict[tuple[str, str], ScoreRecord]], int]:
    """Score what the store lacks for every plan (one per seed); each plan's records by
    (arch, proxy), and how many (arch, plan) pairs were computed."""

    # the executor first: one that cannot start (Dask missing) stops the run before the
    # store is created and before a progress bar is drawn
    executor = get_executor(
        config.executor,
        workers=config.workers,
        threads=config.threads,
        address=config.scheduler,
    )
    with ScoreStore(config.store, busy_timeout=config.store_timeout) as store:
        work = [missing_work(plan, archs, store) for plan in plans]
        seeds_text = f" x {len(plans)} seeds" if len(plans) > 1 else ""
        bar = tqdm(
            total=sum(len(todo) for todo in work),
            desc=f"scoring {n_proxies} proxies{seeds_text}",
            unit="arch",
            disable=not progress,
            file=sys.stderr,
        )
        try:
            scored = [
                score_missing(plan, archs, store, executor, todo=todo, on_done=_tick(bar))
                for plan, todo in zip(plans, work, strict=True)
            ]
        finally:
            bar.close()
    return [records for records, _ in scored], sum(n for _, n in scored)


def _tick(bar):
    """An `on_done` that advances the progress bar by one architecture."""

    def on_done(arch: str, records: list[ScoreRecord]) -> None:
        bar.update(1)

    return on_done


class SeedScores(NamedTuple):
    """One seed's (plan's) scores (archs in order), mean seconds and status counts, by proxy."""

    scores: dict[str, np.ndarray]
    seconds: dict[str, float]
    statuses: dict[str, dict]


def _collect(
    plan: ScoringPlan,
    archs: list[str],
    records: dict[tuple[str, str], ScoreRecord],
    per_arch_proxies: list[str],
    set_level: list[str],
    store_path: str,
) -> SeedScores:
    """One plan's scores, mean seconds and status counts per proxy (set-level combined)."""
    scores: dict[str, np.ndarray] = {}
    seconds: dict[str, float] = {}
    statuses: dict[str, dict] = {}
    for proxy in per_arch_proxies:
        values, secs, counts = [], [], {"ok": 0, "nan": 0, "error": 0}
        for arch in archs:
            record = records.get((arch, proxy))
            if record is None:
                raise DataError(f"{store_path}: no record for {proxy} on {arch} after scoring")
            values.append(np.nan if record.score is None else record.score)
            secs.append(record.seconds)
            counts[record.status] += 1
        scores[proxy] = np.asarray(values, dtype=float)
        seconds[proxy] = float(np.mean(secs))
        statuses[proxy] = counts
    for name in set_level:
        spec = get_proxy(name)
        scores[name] = np.asarray(spec.combine({p: scores[p] for p in spec.combines}), float)
        seconds[name] = float(sum(seconds[p] for p in spec.combines))
        statuses[name] = {"combined_from": list(spec.combines)}
    return SeedScores(scores, seconds, statuses)


def _summed_statuses(per_seed: list[dict]) -> dict:
    """Status counts added over seeds (a set-level proxy's `combined_from` kept as is)."""
    if "combined_from" in per_seed[0]:
        return per_seed[0]
    return {status: sum(counts[status] for counts in per_seed) for status in per_seed[0]}


def _computed_by(records: Iterable[ScoreRecord]) -> dict[str, dict[str, int]]:
    """How many of a proxy's scores each device and each torch thread count computed
    (stored scores are reused whatever computed them: neither is part of the key)."""
    devices: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    for record in records:
        devices[record.device] += 1
        threads["unknown" if record.threads is None else str(record.threads)] += 1
    return {"devices": dict(sorted(devices.items())), "threads": dict(sorted(threads.items()))}


def _reuse_notes(config: RunConfig, computed_by: dict[str, dict[str, dict[str, int]]]) -> list[str]:
    """A note per proxy whose scores were not all computed the way this run computes."""
    notes = []
    for proxy, seen in computed_by.items():
        other_devices = {d: n for d, n in seen["devices"].items() if d != config.device}
        other_threads = {t: n for t, n in seen["threads"].items() if t != str(config.threads)}
        parts = [f"{n} on {d}" for d, n in other_devices.items()]
        parts += [f"{n} with {t} thread(s)" for t, n in other_threads.items()]
        if parts:
            notes.append(
                f"{proxy}: scores reused from the store were computed {', '.join(parts)}, not "
                f"as this run computes (device {config.device}, {config.threads} thread(s)); "
                "device and threads are recorded, not part of the score key (docs/score-store.md)"
            )
    return notes


def batch_notes(spec, batch: ImageBatch, second: ImageBatch | None) -> dict[str, object]:
    """What a row says about the batches its proxy read: the sizes of both for a proxy
    that reads two (ZiCo), and for EPE-NAS how the batch's classes serve it."""
    notes: dict[str, object] = {}
    if "second_batch" in spec.needs and second is not None:
        notes["batch_sizes"] = [batch.batch_size, second.batch_size]
    if spec.describe_batch is not None:
        note = spec.describe_batch(batch.labels)
        if note is not None:
            notes["batch_note"] = note
    return notes


def _indices_digest(indices: Iterable[int]) -> str:
    return hashlib.sha256(",".join(str(i) for i in indices).encode()).hexdigest()[:16]
