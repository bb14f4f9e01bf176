"""`harness combine`: wires the rooms together and writes one results document.

Reads the scores (`harness.combine.data`), evaluates the learned combinations on held-out
architectures, on every transfer target and in the leakage test
(`harness.combine.evaluate`, `harness.combine.leakage`), and turns every figure into a
row of a results document (kind "combine"), from which `harness.combine.report` makes
the report without recomputing anything. Rows, told apart by `extra["evaluation"]`:

- `whole set`: every feature proxy and label-free combination over the whole set (no
  labels used; the flat lines of the learning curve);
- the held-out evaluation and each transfer: one row per (model, k) (`origin` "learned",
  `n` = held-out architectures per split) with the paired differences from the
  comparators in `extra["versus"]` and the fitted weights, and one row per (comparator, k)
  on the same held-out architectures;
- `leakage: ...`: one row per (model, k) of each arm of the leakage test.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from harness.combine import graf
from harness.combine.config import CombineConfig
from harness.combine.data import (
    ScoreSet,
    TransferSet,
    computed_set,
    reference_set,
    results_set,
    select_features,
    transfer_set,
)
from harness.combine.evaluate import (
    BEST_LABEL_FREE,
    BEST_PROXY,
    CurvePoint,
    Evaluation,
    comparators,
    held_out_design,
    run_splits,
    transfer_design,
)
from harness.combine.leakage import LeakageResult, leakage_test
from harness.config import RunConfig
from harness.errors import DataError
from harness.results import PerArchValues, ResultRow, ResultsDocument, row_from_summary
from harness.stats import COMPARED_BY, compare_proxies, list_figures, spearman_rho, summarise
from harness.tables import load_table, resolve_target

WHOLE_SET = "whole set"
HELD_OUT = "held out"
LEARNED = "learned"


@dataclass
class CombineOutcome:
    document: ResultsDocument
    source: ScoreSet
    held_out: Evaluation
    transfers: list[Evaluation]
    leakage: LeakageResult | None


def label_free_names(run: RunConfig, config: CombineConfig) -> list[str]:
    """The label-free combinations to compare with: the config's and the run file's own."""
    # deferred: pulls in torch, tqdm
    from harness.proxies.combinations import define_combinations

    return list(dict.fromkeys([*config.label_free, *define_combinations(run.combinations)]))


def _reference_dataset(run: RunConfig, config: CombineConfig, data_dir: str | None) -> str:
    """Whose reference scores are the features: `combine.dataset`, else the target's."""
    if config.dataset:
        return config.dataset

    table = load_table(run.table, data_dir, **run.table_options)
    target = resolve_target(
        table,
        run.target,
        registered=run.table,
        data_dir=data_dir,
        table_options=run.table_options,
    )
    return target.dataset.removesuffix("-valid")


def load_source(
    run: RunConfig,
    config: CombineConfig,
    *,
    data_dir: str | None,
    run_id: str,
    progress: bool,
) -> tuple[ScoreSet, ResultsDocument | None]:
    names = label_free_names(run, config)
    if config.scores == "computed":
        return computed_set(run, names, data_dir=data_dir, run_id=run_id, progress=progress)
    if config.scores == "results":
        return results_set(config.results, names)
    dataset = _reference_dataset(run, config, data_dir)
    source = reference_set(
        run.table, dataset, run.target, names, data_dir=data_dir, table_options=run.table_options
    )
    return source, None


def _transfer_features(features: Sequence[str], target: TransferSet) -> list[str]:
    have = [f for f in features if f in target.scores.scores]
    if len(have) < 2:
        raise DataError(
            f"combine.transfer {target.label!r}: its scores hold {len(have)} of the features "
            f"({', '.join(features)}); a learned combination needs two or more"
        )
    return have


def with_graf(score_set: ScoreSet) -> ScoreSet:
    """`score_set` with the GRAF graph features of its cells beside its proxies."""
    features = graf.graf_matrix(score_set.space, score_set.archs)
    return replace(
        score_set,
        scores={**score_set.scores, **features},
        higher_is_better={**score_set.higher_is_better, **dict.fromkeys(features, True)},
        notes=(
            *score_set.notes,
            f"{len(features)} GRAF graph features of each cell (harness.combine.graf)",
        ),
    )


def _proxies(score_set: ScoreSet) -> list[str]:
    """The proxies of a set (its features that are not graph features)."""
    return [p for p in score_set.scores if not p.startswith(graf.PREFIX)]


def _select(source: ScoreSet, patterns: Sequence[str]) -> list[str]:
    """The features `patterns` name: proxies by glob, and the GRAF feature set by its name
    (`graf`; it must have been added, `with_graf`); "*" never matches a graph feature."""
    wanted = [p for p in patterns if p != graf.FEATURE_SET]
    graph = [f for f in source.scores if f.startswith(graf.PREFIX)]
    if len(wanted) == len(patterns):
        return select_features(_proxies(source), wanted)
    if not wanted:
        return graph
    proxies = _proxies(source)
    unmatched = [w for w in wanted if not any(fnmatch.fnmatchcase(p, w) for p in proxies)]
    if unmatched:
        select_features(proxies, unmatched)  # the one-line error naming what is available
    chosen = [p for p in proxies if any(fnmatch.fnmatchcase(p, w) for w in wanted)]
    return [*chosen, *graph]


def evaluate_all(
    run: RunConfig,
    config: CombineConfig,
    source: ScoreSet,
    *,
    data_dir: str | None,
) -> tuple[list[str], Evaluation, list[Evaluation], LeakageResult | None, list[TransferSet]]:
    """Held-out learning curve, transfers (with their targets) and leakage test."""

    seed = config.resolved_seed(run)
    features = _select(source, config.features)
    proxies = [f for f in features if not f.startswith(graf.PREFIX)]
    common = dict(
        models=config.models,
        ks=config.ks,
        n_splits=config.splits,
        min_held_out=config.min_held_out,
        seed=seed,
        n_resamples=config.split_resamples,
        confidence=config.confidence,
    )
    # the comparator is the best single proxy (never a graph feature)
    chosen = comparators(source, proxies or _proxies(source))
    held_out = run_splits(
        label=HELD_OUT,
        groups=source.groups,
        features=features,
        design=held_out_design(source, features, chosen),
        chosen=chosen,
        **common,
    )
    transfers, targets = [], []
    for spec in config.transfer:
        target = transfer_set(
            source,
            spec,
            label_free_names(run, config),
            data_dir=data_dir,
            table_options=run.table_options,
        )
        if len(proxies) < len(features):  # the graph features of the target's cells
            target = replace(target, scores=with_graf(target.scores))
        targets.append(target)
        used = _transfer_features(features, target)
        # the comparators are the best on the transfer target itself (hindsight again)
        used_proxies = [f for f in used if not f.startswith(graf.PREFIX)]
        picked = comparators(target.scores, used_proxies or _proxies(target.scores))
        transfers.append(
            run_splits(
                label=f"transfer to {target.scores.name}",
                groups=source.groups,
                features=used,
                design=transfer_design(source, target, used, picked),
                chosen=picked,
                **common,
            )
        )
    leakage = None
    if config.leakage:
        leakage = leakage_test(
            groups=source.groups, truth=source.truth, noise=config.leakage_noise, **common
        )
    return features, held_out, transfers, leakage, targets


def _figure_fields(intervals: dict[str, Any], *, column: bool = True) -> dict[str, float | None]:
    """The figures of a row (`harness.stats.FIGURES`) from pooled intervals by figure name:
    the typed columns, or (`column=False`) the entries a row keeps in `extra`; a figure not
    pooled over splits (or None) is left empty, and out of `extra`."""
    fields: dict[str, float | None] = {}
    for figure in list_figures(column=column):
        if figure.count:
            continue
        interval = intervals.get(figure.name)
        if interval is None and not column:
            continue
        values = (
            (None,) * 3 if interval is None else (interval.estimate, interval.low, interval.high)
        )
        fields.update(zip(figure.keys, values, strict=False))
    return fields


def _versus(point: CurvePoint, chosen: dict[str, tuple[str, float]]) -> dict[str, Any]:
    out = {}
    for comparator, difference in point.versus.items():
        out[comparator] = {
            "proxy": chosen.get(comparator, (comparator, None))[0],
            "comparator_kendall": difference.estimate_b,
            "delta": difference.delta,
            "low": difference.low,
            "high": difference.high,
            "p_value": difference.p_value,
            "n_better": difference.n_better,
            "n_worse": difference.n_worse,
        }
    return out


def whole_set_figures(score_set: ScoreSet, evaluation: Evaluation) -> dict[str, dict[str, float]]:
    """Each comparator's Kendall and Spearman over the whole evaluated set (no split): the
    flat lines of the learning curve."""

    out = {}
    for comparator, (name, tau) in evaluation.comparators.items():
        rho = spearman_rho(score_set.oriented_single(name), score_set.truth)
        out[comparator] = {"kendall": tau, "spearman": float(rho)}
    return out


def curve_rows(
    evaluation: Evaluation,
    space: str,
    dataset: str,
    target: str,
    origin: str,
    whole: dict[str, dict[str, float]] | None = None,
) -> list[ResultRow]:
    """One row per (model, k), then one per (comparator, k), of an evaluation; `whole`
    gives each comparator's figures over the whole set (kept in its rows)."""
    held_out = {p.k: p.held_out for p in evaluation.points}
    rows = []
    for point in evaluation.points:
        rows.append(
            ResultRow(
                space=space,
                dataset=dataset,
                target=target,
                proxy=f"{point.model} (k={point.k})",
                higher_is_better=True,
                n=point.held_out,
                n_failed=0,
                **_figure_fields(point.figures),
                origin=LEARNED,
                extra={
                    **_figure_fields(point.figures, column=False),
                    "evaluation": evaluation.label,
                    "model": point.model,
                    "k": point.k,
                    "splits": point.n_splits,
                    "fit_failures": point.fit_failures,
                    "confidence": point.compared.confidence,
                    "features": list(evaluation.features),
                    "feature_weights": point.weights,
                    "feature_weights_sd": point.weights_sd,
                    "versus": _versus(point, evaluation.comparators),
                    "per_split_kendall": list(point.per_split.get("kendall", ())),
                },
            )
        )
    for k, by_comparator in evaluation.baseline_figures.items():
        for comparator, pooled in by_comparator.items():
            compared = pooled[COMPARED_BY]
            name = evaluation.comparators.get(comparator, (comparator, None))[0]
            rows.append(
                ResultRow(
                    space=space,
                    dataset=dataset,
                    target=target,
                    proxy=f"{name} (k={k})",
                    higher_is_better=True,
                    n=held_out.get(k, 0),
                    n_failed=0,
                    **_figure_fields(pooled),
                    origin=origin,
                    extra={
                        **_figure_fields(pooled, column=False),
                        "evaluation": evaluation.label,
                        "comparator": comparator,
                        "whole_set": (whole or {}).get(comparator, {}),
                        "k": k,
                        "splits": compared.n_splits,
                        "confidence": compared.confidence,
                    },
                )
            )
    return rows


def whole_set_rows(
    score_set: ScoreSet,
    features: Sequence[str],
    *,
    confidence: float,
    seed: int,
    best_proxy: str | None = None,
) -> list[ResultRow]:
    """Every feature and label-free combination over the whole set, failures worst; each
    label-free combination with its paired difference from `best_proxy` (Kendall)."""

    rows = []
    for name in [*features, *score_set.label_free]:
        summary = summarise(
            score_set.oriented_single(name),
            score_set.truth,
            n_resamples=1000,
            confidence=confidence,
            seed=seed,
        ).to_dict()
        extra: dict[str, Any] = {"evaluation": WHOLE_SET}
        if name in score_set.label_free:
            extra.update(score_set.label_free[name][1])
            if best_proxy is not None:
                difference = compare_proxies(
                    score_set.oriented_single(name),
                    score_set.oriented_single(best_proxy),
                    score_set.truth,
                    n_resamples=1000,
                    confidence=confidence,
                    seed=seed,
                )
                extra["versus_best_proxy"] = {
                    "proxy": best_proxy,
                    "delta": difference.delta,
                    "low": difference.low,
                    "high": difference.high,
                    "p_value": difference.p_value,
                }
        else:
            extra["n_failed_scores"] = int((~np.isfinite(score_set.scores[name])).sum())
        rows.append(
            row_from_summary(
                summary,
                space=score_set.space,
                dataset=score_set.score_dataset,
                target=score_set.target,
                proxy=name,
                higher_is_better=True,
                origin=score_set.origin,
                extra=extra,
            )
        )
    return rows


def leakage_rows(result: LeakageResult, space: str, dataset: str, target: str) -> list[ResultRow]:
    rows = []
    verdicts = {(v.arm, v.model, v.k): v for v in result.verdicts}
    for arm, evaluation in result.evaluations.items():
        for row in curve_rows(evaluation, space, dataset, target, "leakage"):
            if row.origin != LEARNED:
                continue
            verdict = verdicts[(arm, row.extra["model"], row.extra["k"])]
            row.origin = "leakage test"
            # never mistaken for a real combination on a merged leaderboard
            row.proxy = f"leakage test ({arm}): {row.proxy}"
            row.extra.update(
                arm=arm,
                noise=result.noise,
                above_chance=verdict.above_chance,
                as_expected=verdict.as_expected,
            )
            rows.append(row)
    return rows


def run_combine(
    run: RunConfig,
    config: CombineConfig,
    *,
    data_dir: str | None,
    run_id: str,
    progress: bool = True,
) -> CombineOutcome:
    """Everything `harness combine` computes, as a results document (module doc)."""

    source, run_document = load_source(
        run, config, data_dir=data_dir, run_id=run_id, progress=progress
    )
    if graf.FEATURE_SET in config.features:
        source = with_graf(source)
    features, held_out, transfers, leakage, targets = evaluate_all(
        run, config, source, data_dir=data_dir
    )
    seed = config.resolved_seed(run)
    best = held_out.comparators.get(BEST_PROXY)
    # whole-set rows and per-architecture scores: the proxies (graph features are recomputed
    # from the keys, and one row each would bury the proxies)
    proxies = [f for f in features if not f.startswith(graf.PREFIX)] or _proxies(source)
    rows = whole_set_rows(
        source,
        proxies,
        confidence=config.confidence,
        seed=seed,
        best_proxy=best[0] if best else None,
    )
    rows += curve_rows(
        held_out,
        source.space,
        source.score_dataset,
        source.target,
        source.origin,
        whole_set_figures(source, held_out),
    )
    for evaluation, target in zip(transfers, targets, strict=True):
        rows += curve_rows(
            evaluation,
            target.scores.space,
            target.scores.score_dataset,
            target.scores.target,
            target.scores.origin,
            whole_set_figures(target.scores, evaluation),
        )
    if leakage is not None:
        rows += leakage_rows(leakage, source.space, source.score_dataset, source.target)
    notes = list(source.notes)
    for evaluation in [held_out, *transfers]:
        notes += [f"{evaluation.label}: {s}" for s in evaluation.skipped]
    config_dict: dict[str, Any] = {
        "run": run.to_dict(),
        "combine": config.to_dict(),
        "resolved": {
            "table": source.table,
            "space": source.space,
            "score_dataset": source.score_dataset,
            "target": source.target,
            "archs": len(source),
            "iso_classes": len(set(source.groups)),
            "features": features,
            "label_free": list(source.label_free),
            "seed": seed,
            "comparators": {c: list(v) for c, v in held_out.comparators.items()},
        },
    }
    if run_document is not None:
        config_dict["scores_run_id"] = run_document.run_id
    if leakage is not None:
        config_dict["leakage_passed"] = leakage.passed
    scores = {p: [None if not np.isfinite(v) else float(v) for v in source.scores[p]]
              for p in proxies}  # fmt: skip
    document = ResultsDocument.create(
        kind="combine",
        run_id=run_id,
        config=config_dict,
        sources=source.data_files,
        seed=seed,
        rows=rows,
        per_arch=[
            PerArchValues(
                space=source.space,
                dataset=source.score_dataset,
                target=source.target,
                archs=list(source.archs),
                truth=[float(v) for v in source.truth],
                scores=scores,
            )
        ],
        notes=notes,
        packages=("scikit-learn",),
    )
    return CombineOutcome(document, source, held_out, transfers, leakage)


__all__ = [
    "BEST_LABEL_FREE",
    "BEST_PROXY",
    "HELD_OUT",
    "LEARNED",
    "WHOLE_SET",
    "CombineOutcome",
    "run_combine",
]
