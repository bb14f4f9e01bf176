"""`harness run`: sample architectures, score proxies into the store, correlate, report.

Wiring only: sampling (tables), inputs, scoring (proxies via `harness.scoring`),
the store, and the correlation engine. Scores already in the store are reused, so
an interrupted run resumes where it stopped and reruns compute nothing twice.

With several initial-weight seeds (`seeds`), the same sample is scored once per seed
(the weights and every proxy's own randomness derive from that seed; the batch is the
run seed's, or each seed's own with `vary_batch`), and each row's figures are means
over the seeds with intervals over seeds and architectures (`harness.seed_figures`).
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.config import RunConfig
from harness.devices import check_device
from harness.errors import ConfigError, DataError
from harness.execution import get_executor
from harness.inputs import ImageBatch
from harness.proxies import STANDARD_PROXIES, get_proxy, list_proxies
from harness.proxies.plugins import load_includes, origin_notes, plugin_packages, proxy_origins
from harness.results import PerArchValues, ResultsDocument, row_from_summary, sort_by_kendall
from harness.scoring import ScoringPlan
from harness.seed_figures import seed_summary
from harness.seeds import SECOND_BATCH, derive_seed
from harness.stats import summarise
from harness.store import ScoreRecord, ScoreStore
from harness.tables import load_table, resolve_target, split_target_name

#: Classes of the classifier head for each NAS-Bench-201 data set name.
_NUM_CLASSES = {"cifar10": 10, "cifar10-valid": 10, "cifar100": 100, "imagenet16-120": 120}


def num_classes_for(dataset: str) -> int:
    try:
        return _NUM_CLASSES[dataset.lower()]
    except KeyError:
        raise ConfigError(
            f"unknown number of classes for data set {dataset!r} "
            f"(known: {', '.join(sorted(_NUM_CLASSES))})"
        ) from None


def expand_proxies(patterns: Iterable[str]) -> tuple[list[str], list[str]]:
    """(per-architecture proxies to compute, set-level proxies to combine), in order.

    Patterns are names or globs; `*` is every registered proxy. A set-level proxy
    brings the per-architecture proxies it combines.
    """
    names: list[str] = []
    for pattern in patterns:
        if pattern == "standard":
            matched = list(STANDARD_PROXIES)
        elif any(c in pattern for c in "*?["):
            matched = list_proxies(pattern)
        else:
            matched = [pattern]
        if not matched:
            raise ConfigError(f"no proxy matches {pattern!r}")
        for name in matched:
            get_proxy(name)  # unknown names fail here with a did-you-mean
            if name not in names:
                names.append(name)
    per_arch, set_level = [], []
    for name in names:
        spec = get_proxy(name)
        if spec.combine is not None:
            set_level.append(name)
            for part in spec.combines:
                if part not in per_arch:
                    per_arch.append(part)
        elif name not in per_arch:
            per_arch.append(name)
    return per_arch, set_level


def requested_patterns(config: RunConfig) -> list[str]:
    """The config's proxy patterns plus its user-named combinations (registered here)."""
    from harness.proxies.combinations import define_combinations

    names = define_combinations(config.combinations)
    return list(dict.fromkeys([*config.proxies, *names]))


def members_extra(spec) -> dict[str, object]:
    """What a set-level proxy's row says about its members: their names, and for a
    label-free combination its rule (weights included)."""
    from harness.proxies.combinations import combination_rule

    if spec.combine is None:
        return {}
    extra: dict[str, object] = {"members": list(spec.combines)}
    rule = combination_rule(spec)
    if rule is not None:
        extra["combination"] = rule.kind
        if rule.weights:
            extra["weights"] = dict(zip(rule.members, rule.weights, strict=True))
    return extra


@dataclass
class RunOutcome:
    document: ResultsDocument
    #: architectures scored now and found in the store (per seed: (arch, seed) pairs)
    computed_archs: int
    reused_archs: int


def run_seeds(config: RunConfig) -> tuple[int, ...]:
    """The initial-weight seeds a run scores under: `seeds`, else the run seed alone."""
    return tuple(config.seeds) or (config.seed,)


@dataclass(frozen=True)
class Batches:
    """The batch every proxy reads, a second disjoint one for proxies that need two (ZiCo;
    None when no requested proxy does), and notes on how they were obtained."""

    first: ImageBatch
    second: ImageBatch | None
    notes: list[str]


def prepare_batches(
    config: RunConfig, num_classes: int, dataset: str, proxies: Iterable[str] = ()
) -> Batches:
    """The image batches, falling back to synthetic (with a warning) if the files are absent.

    The second batch (only when one of `proxies` needs it) has the first's size and
    source, is drawn with a seed derived from the run seed, and never repeats an image of
    the first.
    """
    from harness.inputs import load_batch

    size = config.input.image_size or (16 if dataset.lower().startswith("imagenet16") else 32)
    options = dict(
        batch_size=config.input.batch_size,
        split=config.input.split,
        class_balanced=config.input.class_balanced,
        image_size=size,
    )
    notes: list[str] = []
    try:
        source, path = config.input.source, config.input.path or None
        first = load_batch(source, path=path, seed=config.seed, **options)
    except DataError as exc:
        if not config.input.fallback_to_synthetic:
            raise
        message = f"{exc}; using synthetic Gaussian inputs instead"
        print(f"WARNING: {message}", file=sys.stderr)
        warnings.warn(message, stacklevel=2)
        notes.append(f"input fallback: {message}")
        source, path = "synthetic", None
        options["num_classes"] = num_classes
        first = load_batch(source, seed=config.seed, **options)
    second = None
    if any("second_batch" in get_proxy(name).needs for name in proxies):
        second = load_batch(
            source,
            path=path,
            seed=derive_seed(config.seed, SECOND_BATCH),
            exclude=first.indices,
            **options,
        )
        notes.append(
            f"second batch (proxies that need two, e.g. zico): {second.batch_size} more "
            f"{second.source} images, disjoint from the first, content hash {second.content_hash}"
        )
    return Batches(first, second, notes)


def run_experiment(
    config: RunConfig,
    *,
    data_dir: str | None,
    run_id: str,
    progress: bool = True,
) -> RunOutcome:
    from harness.provenance import git_revision, machine_info, package_versions
    from harness.sampling import sample_archs

    check_device(config.device)  # before any work: a machine without that device stops here
    include_files = load_includes(config.include)  # plugin files: before any proxy name
    table = load_table(config.table, data_dir, **config.table_options)
    for note in table.notes:  # e.g. the embedded ground truth standing in for a missing file
        if note not in table.warnings:  # load_table printed those
            print(f"harness: note: {note}", file=sys.stderr)
    target = resolve_target(config.table, config.target, table)
    dataset = split_target_name(target).dataset
    num_classes = num_classes_for(dataset)
    patterns = requested_patterns(config)
    per_arch_proxies, set_level = expand_proxies(patterns)
    archs = sample_archs(
        table,
        config.archs,
        config.sample_seed if config.sample_seed >= 0 else config.seed,
        unique=config.unique,
        stratify=config.stratify_quantiles or None,
        target=target,
    )
    seeds = run_seeds(config)
    batches = prepare_batches(config, num_classes, dataset, per_arch_proxies)
    batch, notes = batches.first, batches.notes
    seed_batches = {
        s: prepare_batches(dataclasses.replace(config, seed=s), num_classes, dataset,
                           per_arch_proxies)
        if config.vary_batch and s != config.seed else batches
        for s in seeds
    }  # fmt: skip
    plans = [
        ScoringPlan.for_batches(
            seed_batches[s].first,
            seed_batches[s].second,
            space=table.space,
            dataset=dataset,
            num_classes=num_classes,
            network_variant=config.network_variant,
            device=config.device,
            run_seed=s,
            proxies=tuple(per_arch_proxies),
            includes=tuple(str(f) for f in include_files),
        )
        for s in seeds
    ]
    records_by_plan, computed = _score(config, plans, archs, len(per_arch_proxies), progress)

    truth = table.column(target).reindex(archs).to_numpy(dtype=float)
    collected = [
        _collect(plan, archs, records, per_arch_proxies, set_level, config.store)
        for plan, records in zip(plans, records_by_plan, strict=True)
    ]
    scores, seconds, statuses = collected[0]
    computed_by = {
        proxy: _computed_by(
            itertools.chain.from_iterable(
                (records[(arch, proxy)] for arch in archs) for records in records_by_plan
            )
        )
        for proxy in per_arch_proxies
    }
    notes += _reuse_notes(config, computed_by)

    wanted = [p for p in per_arch_proxies + set_level if _requested(p, patterns)]
    origins = proxy_origins(per_arch_proxies + set_level)
    notes += origin_notes(per_arch_proxies + set_level)
    rows_of = common_rows(
        {f"{p}@{k}": c[0][p] for p in wanted for k, c in enumerate(collected)}, config.failures
    )
    rows = []
    for proxy in wanted:
        spec = get_proxy(proxy)
        options = dict(
            higher_is_better=spec.higher_is_better,
            n_resamples=config.bootstrap_resamples,
            confidence=config.confidence,
            seed=config.seed,
            failures=config.failures,
        )
        extra = {
            "statuses": statuses[proxy],
            **members_extra(spec),
            **computed_by.get(proxy, {}),
            **batch_notes(spec, batch, batches.second),
            **({"proxy_origin": origins[proxy]} if proxy in origins else {}),
        }
        if len(seeds) == 1:
            summary = summarise(scores[proxy][rows_of], truth[rows_of], **options).to_dict()
        else:
            summary = seed_summary(
                [c[0][proxy][rows_of] for c in collected], truth[rows_of], seeds=seeds, **options
            )
            extra["statuses"] = _summed_statuses([c[2][proxy] for c in collected])
            seconds[proxy] = float(np.mean([c[1][proxy] for c in collected]))
        rows.append(
            row_from_summary(
                summary,
                space=table.space,
                dataset=dataset,
                target=target,
                proxy=proxy,
                higher_is_better=spec.higher_is_better,
                seconds_per_arch=seconds[proxy],
                origin="computed",
                proxy_version=spec.version,
                extra=extra,
            )
        )
    rows = sort_by_kendall(rows)
    for row in rows:
        if "batch_note" in row.extra:
            notes.append(f"{row.proxy}: {row.extra['batch_note']}")
            if str(row.extra["batch_note"]).startswith("degenerate"):
                print(f"WARNING: {row.proxy}: {row.extra['batch_note']}", file=sys.stderr)
    per_arch = PerArchValues(
        space=table.space,
        dataset=dataset,
        target=target,
        archs=list(archs),
        truth=[float(v) for v in truth],
        scores={p: [float(v) for v in scores[p]] for p in wanted},
    )
    if len(seeds) > 1:
        per_arch.seeds = list(seeds)
        per_arch.seed_scores = {p: [[float(v) for v in c[0][p]] for c in collected] for p in wanted}
    config_dict = config.to_dict()
    config_dict["resolved"] = {
        "target": target,
        "num_classes": num_classes,
        "proxies": wanted,
        "input_source": batch.source,
        "input_hash": batch.content_hash,
        "input_indices_sha": _indices_digest(batch.indices),
        "second_batch": None
        if batches.second is None
        else {
            "batch_size": batches.second.batch_size,
            "input_hash": batches.second.content_hash,
            "input_indices_sha": _indices_digest(batches.second.indices),
        },
        "store": str(Path(config.store).resolve()),
        "include_files": [str(f) for f in include_files],
        "proxy_origins": origins,
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
    document = ResultsDocument(
        kind="run",
        run_id=run_id,
        config=config_dict,
        versions=package_versions(tuple(plugin_packages(per_arch_proxies + set_level))),
        git_revision=git_revision(),
        data_files={s.name: s.sha256 or "" for s in table.sources},
        seed=config.seed,
        seeds=list(seeds),
        rows=rows,
        per_arch=[per_arch],
        machine=machine_info(),
        notes=list(table.notes) + notes,
    )
    reused = len(archs) * len(plans) - computed
    return RunOutcome(document=document, computed_archs=computed, reused_archs=reused)


def _score(
    config: RunConfig, plans: list[ScoringPlan], archs: list[str], n_proxies: int, progress: bool
) -> tuple[list[dict[tuple[str, str], ScoreRecord]], int]:
    """Score what the store lacks for every plan (one per seed); each plan's records by
    (arch, proxy), and how many (arch, plan) pairs were computed."""
    from tqdm import tqdm

    with ScoreStore(config.store, busy_timeout=config.store_timeout) as store:
        work = []
        for plan in plans:
            missing = store.missing(k for arch in archs for k in plan.keys(arch))
            todo_map: dict[str, list[str]] = {}
            for key in missing:
                todo_map.setdefault(key.arch, []).append(key.proxy)
            work.append([(arch, todo_map[arch]) for arch in archs if arch in todo_map])
        seeds_text = f" x {len(plans)} seeds" if len(plans) > 1 else ""
        bar = tqdm(
            total=sum(len(todo) for todo in work),
            desc=f"scoring {n_proxies} proxies{seeds_text}",
            unit="arch",
            disable=not progress,
            file=sys.stderr,
        )

        def on_done(arch: str, records) -> None:
            store.put_many(records)
            bar.update(1)

        executor = get_executor(
            config.executor,
            workers=config.workers,
            threads=config.threads,
            address=config.scheduler,
        )
        try:
            for plan, todo in zip(plans, work, strict=True):
                executor.run(plan, todo, on_done)
        finally:
            bar.close()
        records = [
            {
                (r.key.arch, r.key.proxy): r
                for r in (store.get(k) for arch in archs for k in plan.keys(arch))
                if r is not None
            }
            for plan in plans
        ]
    return records, sum(len(todo) for todo in work)


def _collect(
    plan: ScoringPlan,
    archs: list[str],
    records: dict[tuple[str, str], ScoreRecord],
    per_arch_proxies: list[str],
    set_level: list[str],
    store_path: str,
) -> tuple[dict[str, np.ndarray], dict[str, float], dict[str, dict]]:
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
    return scores, seconds, statuses


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


def common_rows(scores: dict[str, np.ndarray], failures: str) -> np.ndarray:
    """The rows every figure uses before the per-proxy policy: all of them, or under
    "common" those where every proxy of the leaderboard has a finite score."""
    length = len(next(iter(scores.values()))) if scores else 0
    if failures != "common":
        return np.ones(length, dtype=bool)
    keep = np.ones(length, dtype=bool)
    for values in scores.values():
        keep &= np.isfinite(values)
    return keep


def _requested(proxy: str, patterns: Iterable[str]) -> bool:
    import fnmatch

    return any(
        fnmatch.fnmatchcase(proxy, p) or (p == "standard" and proxy in STANDARD_PROXIES)
        for p in patterns
    )


def _indices_digest(indices: Iterable[int]) -> str:
    import hashlib

    return hashlib.sha256(",".join(str(i) for i in indices).encode()).hexdigest()[:16]
