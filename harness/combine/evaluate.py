"""Judging learned combinations on held-out architectures, over repeated random splits.

For every k and every split (`harness.combine.splits`: isomorphic cells on one side),
each model is fitted on the k labelled architectures (`harness.combine.models`: features
ranked on the training split only) and scores the held-out ones; Kendall tau and
Spearman rho are computed on those held-out architectures only, never on the ones fitted.
On the same held-out architectures of the same split, the best single proxy and the best
label-free combination are scored too, so every comparison is paired
(`harness.stats.pooled_splits`: per split a paired bootstrap over the held-out rows,
pooled over the splits).

The comparators are chosen with hindsight: the best single proxy (and the best label-free
combination) is the one with the highest Kendall tau over the whole evaluation set. That
favours the comparator, so a combination that beats it beats what any user could have
picked without labels.

`run_splits` is the one loop; a `Design` says, for one split, what the models are fitted
on and judged on: `held_out_design` (the set itself), `transfer_design` (a model fitted
on the source carried to another dataset or table) and the leakage test
(`harness.combine.leakage`) all go through it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from harness.combine.data import ScoreSet, TransferSet
from harness.combine.models import FitError, fit_combination, unlabelled_ranks
from harness.combine.splits import Split, draw_splits
from harness.seeds import derive_seed
from harness.stats import (
    COMPARED_BY,
    PooledDifference,
    PooledInterval,
    kendall_tau,
    list_figures,
    pooled_splits,
)

#: Candidate names of the comparators inside a pooled computation.
BEST_PROXY = "best single proxy"
BEST_LABEL_FREE = "best label-free combination"

Splitter = Callable[[Sequence[str], int, int, int], list[Split]]


@dataclass(frozen=True)
class SplitDesign:
    """What one split's models are fitted on and judged on."""

    train_features: np.ndarray
    train_truth: np.ndarray
    eval_features: np.ndarray
    eval_truth: np.ndarray
    #: rank transform for the evaluated features (None: the training split's)
    eval_ranks: object | None = None
    #: comparator name -> oriented scores on the evaluated rows
    baselines: dict[str, np.ndarray] = field(default_factory=dict)


Design = Callable[[Split], SplitDesign]


@dataclass(frozen=True)
class CurvePoint:
    """One model at one k: held-out figures over the splits, compared with the baselines."""

    model: str
    k: int
    n_splits: int
    #: held-out architectures per split (median; rows with a truth)
    held_out: int
    #: every figure pooled over the splits (`harness.stats.figures.split_figures`: Kendall,
    #: Spearman, nDCG...), by name; never fitted: the typed columns among them, undefined
    figures: dict[str, PooledInterval]
    #: model - comparator (by `COMPARED_BY`), per comparator present
    versus: dict[str, PooledDifference]
    #: mean and standard deviation over the splits of each feature's weight
    weights: dict[str, float]
    weights_sd: dict[str, float]
    #: the indices of the splits the model was fitted on
    splits: tuple[int, ...] = ()
    #: per pooled figure, its value on each of those splits
    per_split: dict[str, tuple[float, ...]] = field(default_factory=dict)
    fit_failures: int = 0

    @property
    def compared(self) -> PooledInterval:
        """The figure the comparisons are made by (`COMPARED_BY`)."""
        return self.figures[COMPARED_BY]


@dataclass(frozen=True)
class Evaluation:
    """A learning curve on one evaluation set (held-out, a transfer target, a leak test)."""

    label: str
    features: tuple[str, ...]
    points: tuple[CurvePoint, ...]
    #: comparator name -> (proxy it is, its Kendall tau over the whole evaluation set)
    comparators: dict[str, tuple[str, float]]
    #: every pooled figure of each comparator on the same held-out rows, per k
    baseline_figures: dict[int, dict[str, dict[str, PooledInterval]]]
    skipped: tuple[str, ...] = ()


def best_of(score_set: ScoreSet, names: Sequence[str]) -> tuple[str, float] | None:
    """The name among `names` with the highest Kendall tau over the whole set (failures
    ranked worst), and that tau."""
    best: tuple[str, float] | None = None
    for name in names:
        tau = kendall_tau(score_set.oriented_single(name), score_set.truth)
        if np.isfinite(tau) and (best is None or tau > best[1]):
            best = (name, float(tau))
    return best


def comparators(score_set: ScoreSet, features: Sequence[str]) -> dict[str, tuple[str, float]]:
    out = {}
    single = best_of(score_set, features)
    if single:
        out[BEST_PROXY] = single
    label_free = best_of(score_set, list(score_set.label_free))
    if label_free:
        out[BEST_LABEL_FREE] = label_free
    return out


def held_out_design(
    score_set: ScoreSet, features: Sequence[str], chosen: dict[str, tuple[str, float]]
) -> Design:
    """Fit on the split's labelled architectures, judge on its held-out ones."""
    matrix = score_set.oriented(features)
    baselines = {c: score_set.oriented_single(name) for c, (name, _) in chosen.items()}

    def design(split: Split) -> SplitDesign:
        return SplitDesign(
            train_features=matrix[split.train],
            train_truth=score_set.truth[split.train],
            eval_features=matrix[split.test],
            eval_truth=score_set.truth[split.test],
            baselines={c: v[split.test] for c, v in baselines.items()},
        )

    return design


def transfer_design(
    source: ScoreSet,
    target: TransferSet,
    features: Sequence[str],
    chosen: dict[str, tuple[str, float]],
) -> Design:
    """Fit on the source's labelled architectures; judge on the target's held-out ones
    (same architectures) or on all of the target's (another table). Scores computed
    another way than the source's are ranked on their own set, without labels."""
    train_matrix = source.oriented(features)
    target_set = target.scores
    target_matrix = target_set.oriented(features)
    baselines = {c: target_set.oriented_single(name) for c, (name, _) in chosen.items()}
    whole = np.arange(len(target_set))
    whole_ranks = None if target.same_scores else unlabelled_ranks(target_matrix)

    def design(split: Split) -> SplitDesign:
        rows = split.test if target.same_archs else whole
        ranks = None
        if not target.same_scores:
            ranks = unlabelled_ranks(target_matrix[rows]) if target.same_archs else whole_ranks
        return SplitDesign(
            train_features=train_matrix[split.train],
            train_truth=source.truth[split.train],
            eval_features=target_matrix[rows],
            eval_truth=target_set.truth[rows],
            eval_ranks=ranks,
            baselines={c: v[rows] for c, v in baselines.items()},
        )

    return design


@dataclass
class _SplitOutcome:
    """What one split gave: each model's held-out scores (None: it could not be fitted),
    the comparators' scores on the same rows, the truth, the models' weights."""

    split: Split
    models: dict[str, np.ndarray | None]
    baselines: dict[str, np.ndarray]
    truth: np.ndarray
    weights: dict[str, np.ndarray]


def _fit_and_score(split: Split, plan: SplitDesign, models: Sequence[str]) -> _SplitOutcome:
    scores: dict[str, np.ndarray | None] = {}
    weights: dict[str, np.ndarray] = {}
    for model in models:
        try:
            fitted = fit_combination(model, plan.train_features, plan.train_truth, seed=split.seed)
        except FitError:  # e.g. every training accuracy equal: no fit, no figure (counted)
            scores[model] = None
            continue
        scores[model] = fitted.score(plan.eval_features, plan.eval_ranks)
        weights[model] = fitted.weights()
    return _SplitOutcome(split, scores, dict(plan.baselines), plan.eval_truth, weights)


def _curve_point(
    model: str,
    k: int,
    outcomes: list[_SplitOutcome],
    features: Sequence[str],
    *,
    n_resamples: int,
    confidence: float,
    seed: int,
) -> CurvePoint:
    """One model at one k: pooled over the splits it could be fitted on, paired with the
    comparators on each split's same held-out rows."""
    fitted = [o for o in outcomes if o.models[model] is not None]
    failures = len(outcomes) - len(fitted)
    if not fitted:
        return CurvePoint(model, k, 0, 0, _undefined(confidence), {}, {}, {}, fit_failures=failures)
    pooled = pooled_splits(
        [({model: o.models[model], **o.baselines}, o.truth) for o in fitted],
        n_resamples=n_resamples,
        confidence=confidence,
        seed=seed,
    )
    baselines = [c for c in pooled.candidates if c != model]
    stacked = np.vstack([o.weights[model] for o in fitted])
    return CurvePoint(
        model=model,
        k=k,
        n_splits=len(fitted),
        held_out=int(np.median(pooled.sizes)),
        figures={s: pooled.interval(model, s) for s in pooled.statistics},
        versus={b: pooled.difference(model, b, COMPARED_BY) for b in baselines},
        weights=dict(zip(features, stacked.mean(axis=0).tolist(), strict=True)),
        weights_sd=dict(zip(features, stacked.std(axis=0).tolist(), strict=True)),
        splits=tuple(o.split.index for o in fitted),
        per_split={s: tuple(map(float, pooled.per_split(model, s))) for s in pooled.statistics},
        fit_failures=failures,
    )


def _undefined(confidence: float) -> dict[str, PooledInterval]:
    """The figures of a model never fitted: each pooled figure a results row keeps as a
    typed column, undefined (an extra is left out)."""
    nan = float("nan")
    return {
        f.name: PooledInterval(f.name, nan, nan, nan, confidence, 0, 0, 0, 0)
        for f in list_figures(column=True)
        if f.over_splits == "pooled"
    }


def _baseline_intervals(
    outcomes: list[_SplitOutcome], *, n_resamples: int, confidence: float, seed: int
) -> dict[str, dict[str, PooledInterval]]:
    """The comparators' pooled figures (Kendall, Spearman, nDCG...) by name, on the same
    held-out rows, over all splits."""
    if not outcomes or not outcomes[0].baselines:
        return {}
    pooled = pooled_splits(
        [(o.baselines, o.truth) for o in outcomes],
        n_resamples=n_resamples,
        confidence=confidence,
        seed=seed,
    )
    return {c: {s: pooled.interval(c, s) for s in pooled.statistics} for c in pooled.candidates}


def run_splits(
    *,
    label: str,
    groups: Sequence[str],
    features: Sequence[str],
    design: Design,
    models: Sequence[str],
    ks: Sequence[int],
    n_splits: int,
    min_held_out: int,
    seed: int,
    n_resamples: int,
    confidence: float,
    chosen: dict[str, tuple[str, float]] | None = None,
    splitter: Splitter = draw_splits,
) -> Evaluation:
    """The learning curve: every model at every k over `n_splits` splits (module doc)."""
    points: list[CurvePoint] = []
    baseline_figures: dict[int, dict[str, dict[str, PooledInterval]]] = {}
    skipped: list[str] = []
    for k in ks:
        if len(groups) - k < min_held_out:
            skipped.append(
                f"k = {k}: would leave {len(groups) - k} of {len(groups)} architectures held "
                f"out (fewer than min_held_out = {min_held_out}); not evaluated"
            )
            continue
        outcomes = [
            _fit_and_score(split, design(split), models)
            for split in splitter(groups, k, n_splits, seed)
        ]
        for model in models:
            points.append(
                _curve_point(
                    model,
                    k,
                    outcomes,
                    features,
                    n_resamples=n_resamples,
                    confidence=confidence,
                    seed=derive_seed(seed, "combine/bootstrap", label, k, model),
                )
            )
        baseline_figures[k] = _baseline_intervals(
            outcomes,
            n_resamples=n_resamples,
            confidence=confidence,
            seed=derive_seed(seed, "combine/bootstrap", label, k, "comparators"),
        )
    return Evaluation(
        label=label,
        features=tuple(features),
        points=tuple(points),
        comparators=dict(chosen or {}),
        baseline_figures=baseline_figures,
        skipped=tuple(skipped),
    )
