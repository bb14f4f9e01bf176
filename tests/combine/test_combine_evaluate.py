"""Learning curves on held-out architectures: what is fitted, what is judged, the paired
comparison with the best single proxy."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

from harness.combine.data import TransferSet
from harness.combine.evaluate import (
    BEST_LABEL_FREE,
    BEST_PROXY,
    comparators,
    held_out_design,
    run_splits,
    transfer_design,
)
from harness.combine.models import fit_combination
from harness.combine.runner import curve_rows
from harness.combine.splits import draw_splits
from harness.stats import COMPARED_BY, FIGURES
from harness.stats.figures import split_figures

FEATURES = ["strong", "weak", "noise"]


def _curve(score_set, design=None, **kwargs):
    chosen = comparators(score_set, FEATURES)
    options = dict(
        label="held out",
        groups=score_set.groups,
        features=FEATURES,
        design=design or held_out_design(score_set, FEATURES, chosen),
        models=["ridge", "gbt"],
        ks=[10, 40],
        n_splits=4,
        min_held_out=20,
        seed=5,
        n_resamples=50,
        confidence=0.95,
        chosen=chosen,
    )
    return run_splits(**{**options, **kwargs})


def test_the_best_single_proxy_is_chosen_over_the_whole_set_with_its_sign(score_set):
    chosen = comparators(score_set, FEATURES)
    assert chosen[BEST_PROXY][0] == "strong"
    assert BEST_LABEL_FREE not in chosen  # the synthetic set has no label-free combination


def test_figures_are_computed_on_the_held_out_architectures_only(score_set):
    evaluation = _curve(score_set)
    ridge_10 = next(p for p in evaluation.points if p.model == "ridge" and p.k == 10)
    assert ridge_10.held_out == len(score_set) - 10
    assert ridge_10.n_splits == 4 and ridge_10.fit_failures == 0
    # recompute split 0 by hand: fit on its train rows, Kendall on its test rows
    split = draw_splits(score_set.groups, 10, 4, 5)[0]
    matrix = score_set.oriented(FEATURES)
    fitted = fit_combination("ridge", matrix[split.train], score_set.truth[split.train], split.seed)
    tau = stats.kendalltau(fitted.score(matrix[split.test]), score_set.truth[split.test])
    assert ridge_10.per_split["kendall"][0] == pytest.approx(tau.statistic)
    assert ridge_10.figures["kendall"].estimate == pytest.approx(
        np.mean(ridge_10.per_split["kendall"])
    )


def test_the_comparison_is_paired_on_the_same_held_out_rows(score_set):
    evaluation = _curve(score_set)
    point = next(p for p in evaluation.points if p.model == "ridge" and p.k == 40)
    difference = point.versus[BEST_PROXY]
    baseline = evaluation.baseline_figures[40][BEST_PROXY]["kendall"]
    assert difference.estimate_b == pytest.approx(baseline.estimate)
    assert difference.delta == pytest.approx(point.compared.estimate - baseline.estimate)
    assert difference.low <= difference.delta <= difference.high
    assert set(point.weights) == set(FEATURES)


def test_a_model_that_cannot_be_fitted_on_one_split_leaves_the_others_intact(score_set):
    base = held_out_design(score_set, FEATURES, comparators(score_set, FEATURES))

    def design(split):
        plan = base(split)
        if split.index == 0:  # every training accuracy equal: no fit possible
            plan = replace(plan, train_truth=np.full(plan.train_truth.shape, 70.0))
        return plan

    evaluation = _curve(score_set, design=design)
    for point in evaluation.points:
        assert point.fit_failures == 1 and point.n_splits == 3
        assert np.isfinite(point.figures["kendall"].estimate)
        assert point.splits == (1, 2, 3)
    assert evaluation.baseline_figures[10][BEST_PROXY]["kendall"].n_splits == 4


def test_a_k_leaving_too_few_held_out_architectures_is_skipped_and_said(score_set):
    evaluation = _curve(score_set, ks=[10, len(score_set) - 5])
    assert {p.k for p in evaluation.points} == {10}
    assert "not evaluated" in evaluation.skipped[0]


def test_a_combination_that_adds_information_beats_the_best_single_proxy():
    from harness.combine.data import ScoreSet

    rng = np.random.default_rng(4)
    n = 300
    truth = rng.normal(70, 5, n)
    # b alone is mediocre (tau ~ 0.5); b + a recovers the truth: a learner must beat b
    a = rng.normal(0, 1, n)
    b = truth - 70 - 5 * a
    score_set = ScoreSet(
        "synthetic", "nb201", "cifar10", "t", tuple(map(str, range(n))),
        tuple(map(str, range(n))), truth,
        {"a": 5 * a + rng.normal(0, 1, n), "b": b + rng.normal(0, 1, n), "c": rng.normal(0, 1, n)},
        dict.fromkeys("abc", True),
    )  # fmt: skip
    chosen = comparators(score_set, ["a", "b", "c"])
    evaluation = run_splits(
        label="held out",
        groups=score_set.groups,
        features=["a", "b", "c"],
        design=held_out_design(score_set, ["a", "b", "c"], chosen),
        models=["ridge"],
        ks=[10, 100],
        n_splits=5,
        min_held_out=20,
        seed=0,
        n_resamples=100,
        confidence=0.95,
        chosen=chosen,
    )
    at_100 = next(p for p in evaluation.points if p.k == 100)
    assert evaluation.comparators[BEST_PROXY][0] == "b"
    assert at_100.versus[BEST_PROXY].low > 0
    assert at_100.versus[BEST_PROXY].n_better == 5 and at_100.versus[BEST_PROXY].n_worse == 0


def test_transfer_with_the_same_scores_judges_the_held_out_rows_against_the_other_truth(
    score_set,
):
    other_truth = score_set.truth + np.random.default_rng(1).normal(0, 1, len(score_set))
    target = TransferSet("cifar100", score_set.with_truth("cifar100", other_truth), True, True)
    chosen = comparators(target.scores, FEATURES)
    design = transfer_design(score_set, target, FEATURES, chosen)
    split = draw_splits(score_set.groups, 20, 1, 0)[0]
    plan = design(split)
    assert np.array_equal(plan.train_truth, score_set.truth[split.train])
    assert np.array_equal(plan.eval_truth, other_truth[split.test])
    assert plan.eval_ranks is None  # the training split's rank transform applies


def test_transfer_to_another_table_judges_all_its_architectures_ranked_on_their_own(
    score_set, make_set
):
    other = make_set(n=90, seed=1)
    target = TransferSet("other:cifar10", other, same_archs=False, same_scores=False)
    chosen = comparators(other, FEATURES)
    design = transfer_design(score_set, target, FEATURES, chosen)
    split = draw_splits(score_set.groups, 20, 1, 0)[0]
    plan = design(split)
    assert plan.eval_truth.size == 90 and np.array_equal(plan.eval_truth, other.truth)
    assert plan.eval_ranks is not None  # fitted on the target's own scores, no labels
    evaluation = _curve(score_set, design=design, chosen=chosen, ks=[20])
    assert all(p.held_out == 90 for p in evaluation.points)


def test_a_model_never_fitted_gives_no_figure_and_says_so(score_set):
    base = held_out_design(score_set, FEATURES, comparators(score_set, FEATURES))

    def design(split):
        plan = base(split)
        return replace(plan, train_truth=np.full(plan.train_truth.shape, 70.0))

    evaluation = _curve(score_set, design=design, ks=[10])
    for point in evaluation.points:
        assert point.n_splits == 0 and point.fit_failures == 4
        assert np.isnan(point.figures["kendall"].estimate) and point.versus == {}
        assert set(point.figures) == {"kendall", "spearman"}  # the typed columns, undefined
    assert np.isfinite(evaluation.baseline_figures[10][BEST_PROXY]["kendall"].estimate)


def test_every_pooled_figure_reaches_the_curve_rows_ndcg_included(score_set):
    assert "ndcg" in split_figures()
    evaluation = _curve(score_set, ks=[40])
    point = next(p for p in evaluation.points if p.model == "ridge")
    assert set(point.figures) == set(split_figures())
    assert point.compared == point.figures[COMPARED_BY]
    rows = curve_rows(evaluation, "nb201", "cifar10", "cifar10/test/200", "computed")
    assert rows and all(r.extra["ndcg_lo"] <= r.extra["ndcg"] <= r.extra["ndcg_hi"] for r in rows)
    model_row = next(r for r in rows if r.proxy == "ridge (k=40)")
    assert model_row.extra["ndcg"] == point.figures["ndcg"].estimate
    comparator = evaluation.baseline_figures[40][BEST_PROXY]["ndcg"]
    comparator_row = next(r for r in rows if r.extra.get("comparator") == BEST_PROXY)
    assert FIGURES["ndcg"].ends(comparator_row) == (
        comparator.estimate, comparator.low, comparator.high,
    )  # fmt: skip
