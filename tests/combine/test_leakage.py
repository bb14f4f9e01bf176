"""The leakage test: a truth copy on the labelled architectures only stays at chance held
out; on all architectures it does not; and a leaky evaluation is caught."""

from __future__ import annotations

import numpy as np

from harness.combine.leakage import EVERYWHERE, TRAIN_ONLY, leakage_test
from harness.combine.splits import Split, draw_splits

OPTIONS = dict(
    models=["ridge", "logistic", "pairwise", "gbt"],
    ks=[10, 40],
    n_splits=6,
    min_held_out=20,
    seed=11,
    n_resamples=60,
    confidence=0.95,
)


def test_an_honest_evaluation_passes_both_arms(score_set):
    result = leakage_test(groups=score_set.groups, truth=score_set.truth, **OPTIONS)
    assert result.passed
    train_only = [v for v in result.verdicts if v.arm == TRAIN_ONLY]
    everywhere = [v for v in result.verdicts if v.arm == EVERYWHERE]
    assert len(train_only) == len(everywhere) == 8
    assert all(not v.above_chance and abs(v.kendall) < 0.1 for v in train_only)
    assert all(v.above_chance and v.kendall > 0.5 for v in everywhere)


def test_an_evaluation_that_correlates_on_labelled_architectures_is_caught(score_set):
    def leaky(groups, k, n_splits, seed):
        # the bug the test exists for: held-out rows that include the fitted ones
        return [
            Split(s.k, s.index, s.seed, s.train, np.arange(len(groups)))
            for s in draw_splits(groups, k, n_splits, seed)
        ]

    result = leakage_test(groups=score_set.groups, truth=score_set.truth, splitter=leaky, **OPTIONS)
    assert not result.passed
    caught = [v for v in result.verdicts if v.arm == TRAIN_ONLY and not v.as_expected]
    assert {v.k for v in caught} == {40}  # 40 of 160 labelled rows lift tau above chance
