"""`harness distill`: train SPOS and RD-NAS supernets under one budget, rank subnets, compare.

Wiring only: the ground truth (tables), the subnet space and its evaluation sample, the
images (harness.distill.data), the teacher (harness.distill.teachers), training with
checkpoints (harness.distill.train) and the correlation engine (harness.stats). Every
(method, seed) run is checkpointed under `checkpoints`, keyed by its settings, so an
interrupted command resumes and a finished run is never trained twice.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from harness.distill.config import DistillConfig
from harness.distill.data import SupernetData, load_supernet_data
from harness.distill.space import get_subnet_space
from harness.distill.teachers import (
    ADDITIVE_PROXIES,
    AdditiveComplexityTeacher,
    OracleTeacher,
    StoreTeacher,
    Teacher,
)
from harness.distill.train import Method, RunHistory, rdnas_method, spos_method, train_run
from harness.errors import ConfigError
from harness.proxies import get_proxy
from harness.results import FIGURE_COLUMNS, PerArchValues, ResultRow, ResultsDocument
from harness.scoring import ScoringPlan, scoring_batches
from harness.stats import (
    COMPARED_BY,
    FIGURES,
    compare_runs,
    correlations,
    list_figures,
    mean_t_interval,
    summarise,
)
from harness.tables import (
    load_table,
    num_classes_for,
    parse_target,
    resolve_target,
)


@dataclass
class DistillOutcome:
    document: ResultsDocument
    histories: list[RunHistory]
    methods: list[Method]


def teacher_image_size(config: DistillConfig, dataset: str) -> int:
    """The image size `harness run` scores the dataset's networks at."""
    return config.teacher.input.image_size or (
        16 if dataset.lower().startswith("imagenet16") else 32
    )


def build_teacher(
    config: DistillConfig, table, target: str, dataset: str, num_classes: int
) -> tuple[Teacher, dict]:
    """The teacher and its identity (what makes two teachers give the same scores)."""

    name = config.rdnas.teacher
    tc = config.teacher
    if name == "oracle":
        oracle_target = parse_target(tc.target, table) if tc.target else target
        truth = table.column(oracle_target).dropna()
        identity = {"teacher": "oracle", "table": config.table, "target": oracle_target}
        return OracleTeacher(truth.to_dict(), oracle_target), identity
    spec = get_proxy(name)  # unknown names fail here with a did-you-mean
    identity = {
        "teacher": name,
        "proxy_version": spec.version,
        "dataset": dataset,
        "network_variant": tc.network_variant,
        "seed": tc.seed,
        "input": dataclasses.asdict(tc.input),
    }
    mode = tc.mode
    if mode == "auto":
        mode = "analytic" if name in ADDITIVE_PROXIES else "lazy"
    if mode == "analytic":
        if name not in ADDITIVE_PROXIES:
            raise ConfigError(
                f"teacher.mode analytic works for {', '.join(ADDITIVE_PROXIES)} only, "
                f"not {name!r} (use lazy or precompute)"
            )
        teacher = AdditiveComplexityTeacher(
            name, dataset, num_classes, teacher_image_size(config, dataset), tc.network_variant
        )
        return teacher, identity

    batches = scoring_batches(tc.input, seed=tc.seed, dataset=dataset, proxies=(name,))
    plan = ScoringPlan.for_batch(
        batches,
        space="nb201",
        dataset=dataset,
        network_variant=tc.network_variant,
        device=config.device,
        run_seed=tc.seed,
        proxies=(name,),
    )
    return StoreTeacher(plan, name, tc.store, mode), identity


def run_distill(
    config: DistillConfig,
    *,
    data_dir: str | None,
    run_id: str,
    progress: bool = True,
) -> DistillOutcome:
    if config.threads:
        torch.set_num_threads(config.threads)
    device = torch.device(config.device)
    table = load_table(config.table, data_dir, **config.table_options)
    resolved = resolve_target(table, config.target, registered=config.table)
    target, dataset = resolved.column, resolved.dataset
    space = get_subnet_space(config.supernet.space)
    eval_keys = space.sample_keys(config.eval.archs, config.eval.sample_seed)
    truth = resolved.values().reindex(eval_keys).to_numpy(dtype=float)
    data = load_supernet_data(config.data)
    teacher, identity = None, {}
    methods: list[Method] = []
    for kind in config.methods:
        if kind == "spos":
            methods.append(spos_method(space))
        else:
            teacher, identity = build_teacher(
                config, table, target, dataset, num_classes_for(dataset)
            )
            methods.append(rdnas_method(config, space, teacher, identity))
    if teacher is not None:
        teacher.prepare([space.key(s) for s in space.all_subnets()], progress=progress)
    eval_subnets = [space.from_key(k) for k in eval_keys]
    device_data = data.to(device)
    histories = []
    try:
        for seed in config.seed_list:
            for method in methods:
                histories.append(
                    train_run(
                        config,
                        method,
                        seed,
                        device_data,
                        eval_subnets,
                        device=device,
                        progress=progress,
                    )
                )
        teacher_reference = _teacher_reference(teacher, eval_keys, truth, config)
    finally:
        if isinstance(teacher, StoreTeacher):
            teacher.close()
    rows = [
        row
        for method, history in _pairs(methods, histories)
        for row in _rows(config, method, history, truth, dataset, target, data)
    ]
    per_arch = PerArchValues(
        space="nb201",
        dataset=dataset,
        target=target,
        archs=list(eval_keys),
        truth=[float(v) for v in truth],
        scores={
            f"{h.label}|seed={h.seed}|epoch={h.evaluations[-1].epoch}": _scores(
                config, h.evaluations[-1]
            ).tolist()
            for h in histories
            if h.evaluations
        },
    )
    config_dict = config.to_dict()
    config_dict["target"] = resolved.spec
    config_dict["resolved"] = {
        "target": target,
        "dataset": dataset,
        "space": space.name,
        "space_ops": list(space.ops),
        "eval_archs": len(eval_keys),
        "training_seeds": list(config.seed_list),
        "data_source": data.source,
        "data_hash": data.content_hash,
        "methods": {m.label: m.settings for m in methods},
        "teacher": None if teacher is None else {**teacher.describe(), **teacher_reference},
        "checkpoints": {f"{h.label}|seed={h.seed}": h.key for h in histories},
    }
    config_dict["summary"] = summarise_methods(config, methods, histories, truth, eval_keys)
    document = ResultsDocument.create(
        kind="distill",
        run_id=run_id,
        config=config_dict,
        sources=table.sources,
        seed=config.seed,
        rows=rows,
        per_arch=[per_arch],
        notes=list(table.notes) + list(data.notes) + _notes(config, teacher),
    )
    return DistillOutcome(document=document, histories=histories, methods=methods)


def _pairs(methods: list[Method], histories: list[RunHistory]):
    by_label = {m.label: m for m in methods}
    return [(by_label[h.label], h) for h in histories]


def _scores(config: DistillConfig, record) -> np.ndarray:
    if config.eval.score == "accuracy":
        return np.asarray(record.accuracy, dtype=float)
    return -np.asarray(record.loss, dtype=float)


def _rows(
    config: DistillConfig,
    method: Method,
    history: RunHistory,
    truth: np.ndarray,
    dataset: str,
    target: str,
    data: SupernetData,
) -> list[ResultRow]:
    rows = []
    for record in history.evaluations:
        summary = summarise(
            _scores(config, record),
            truth,
            higher_is_better=True,
            n_resamples=config.eval.bootstrap_resamples,
            confidence=config.eval.confidence,
            seed=config.seed,
        ).to_dict()
        extra = {
            "method": method.label,
            "kind": method.kind,
            "seed": history.seed,
            "epoch": record.epoch,
            "epochs": config.train.epochs,
            "upper_bound": bool(method.teacher is not None and method.teacher.is_upper_bound),
            "score": config.eval.score,
            "bn_mode": config.eval.bn_mode,
            "train_data": data.source,
            "mean_accuracy": float(np.mean(record.accuracy)),
            "max_accuracy": float(np.max(record.accuracy)),
            "train_loss": record.train_loss,
            "rank_loss": record.rank_loss,
            "lambda": record.lambda_value,
            "rank_pairs": record.rank_pairs,
            "teacher_ties": record.teacher_ties,
            "teacher_failures": record.teacher_failures,
            "train_seconds": record.train_seconds,
            "eval_seconds": record.eval_seconds,
            "checkpoint": history.key,
            **{key: summary[key] for f in list_figures(column=False) for key in f.keys},
        }
        rows.append(
            ResultRow(
                space="nb201",
                dataset=dataset,
                target=target,
                proxy=method.label,
                higher_is_better=True,
                **{key: summary[key] for key in FIGURE_COLUMNS},
                seconds_per_arch=record.eval_seconds / max(len(truth), 1),
                origin="computed",
                proxy_version=None,
                extra=extra,
            )
        )
    return rows


def seed_interval(values: list[float], confidence: float) -> tuple[float, float, float]:
    """Mean over the finite seeds' values and its Student-t interval (NaN bounds with fewer
    than 2 seeds)."""
    finite = np.asarray([v for v in values if v is not None and math.isfinite(v)], float)
    if finite.size == 0:
        return math.nan, math.nan, math.nan
    interval = mean_t_interval(finite, confidence)
    return float(interval.mean), float(interval.low), float(interval.high)


def summarise_methods(
    config: DistillConfig,
    methods: list[Method],
    histories: list[RunHistory],
    truth: np.ndarray,
    eval_keys: list[str],
) -> dict:
    """Final-epoch figures per method (per seed; mean with a t-interval over seeds) and,
    per seed, the paired bootstrap difference of each RD-NAS run against SPOS."""
    final = {(h.label, h.seed): h.evaluations[-1] for h in histories if h.evaluations}
    out: dict = {"statistic": COMPARED_BY, "confidence": config.eval.confidence, "methods": {}}
    correlation_names = [f.name for f in list_figures(column=True, interval=True)]
    for method in methods:
        per_seed = {}
        for seed in config.seed_list:
            record = final.get((method.label, seed))
            if record is None:
                continue
            point = correlations(_scores(config, record), truth)
            per_seed[seed] = {name: getattr(point, name) for name in correlation_names}
        entry: dict = {"per_seed": per_seed}
        for stat in correlation_names:
            mean, low, high = seed_interval(
                [v[stat] for v in per_seed.values()], config.eval.confidence
            )
            entry[stat] = {"mean": mean, "low": low, "high": high}
        out["methods"][method.label] = entry
    if "spos" in out["methods"]:
        truth_by_key = dict(zip(eval_keys, truth, strict=True))
        for method in methods:
            if method.kind != "rdnas":
                continue
            deltas = {}
            for seed in config.seed_list:
                base, cand = final.get(("spos", seed)), final.get((method.label, seed))
                if base is None or cand is None:
                    continue
                difference = compare_runs(
                    dict(zip(eval_keys, _scores(config, base), strict=True)),
                    truth_by_key,
                    dict(zip(eval_keys, _scores(config, cand), strict=True)),
                    truth_by_key,
                    n_resamples=config.eval.bootstrap_resamples,
                    confidence=config.eval.confidence,
                    seed=config.seed,
                )
                deltas[seed] = {
                    "delta": difference.delta,
                    "low": difference.low,
                    "high": difference.high,
                    "p_value": difference.p_value,
                }
            mean, low, high = seed_interval(
                [d["delta"] for d in deltas.values()], config.eval.confidence
            )
            out["methods"][method.label]["minus_spos"] = {
                "per_seed": deltas,
                "mean": mean,
                "low": low,
                "high": high,
            }
    return out


def _teacher_reference(
    teacher: Teacher | None, eval_keys: list[str], truth: np.ndarray, config: DistillConfig
) -> dict:
    """The teacher's own ranking of the evaluated subnets (from scores already known)."""
    if teacher is None:
        return {}
    known = teacher.known_scores(eval_keys)
    scores = np.asarray(
        [np.nan if known.get(k) is None else known[k] for k in eval_keys], dtype=float
    )
    s = summarise(
        scores,
        truth,
        n_resamples=config.eval.bootstrap_resamples,
        confidence=config.eval.confidence,
        seed=config.seed,
    ).to_dict()
    return {"reference": {k: s[k] for k in reference_keys()}}


def reference_keys() -> list[str]:
    """The figures a teacher's reference keeps (from `harness.stats.FIGURES`): the typed
    counts, the compared figure with its interval, then the other correlations' estimates."""
    counts = [f.name for f in list_figures(column=True) if f.count]
    correlations = list_figures(column=True, interval=True)
    return [
        *counts,
        *FIGURES[COMPARED_BY].keys,
        *(f.name for f in correlations if f.name != COMPARED_BY),
    ]


def _notes(config: DistillConfig, teacher: Teacher | None) -> list[str]:
    notes = [
        "Budgets are equal in epochs and batches; an RD-NAS step trains two subnets, a SPOS "
        "step one.",
        f"Subnets ranked by held-out {config.eval.score} with inherited weights, BN mode "
        f"{config.eval.bn_mode}, dropout off.",
    ]
    if teacher is not None and teacher.is_upper_bound:
        notes.append("The oracle teacher is the ground truth itself: an upper bound, not a method.")
    return notes


def output_files(out: Path) -> dict[str, Path]:
    return {
        "results": out / "results.json",
        "table": out / "distill.md",
        "plot": out / "kendall_vs_epoch.png",
    }
