"""The scikit-learn combinations: features ranked on the training split only, each model
learns a signal, unfittable splits are FitErrors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from harness.combine.models import (
    MODELS,
    FitError,
    fit_combination,
    get_model,
    pair_differences,
    rank_features,
)
from harness.errors import UnknownNameError


def _data(n: int = 60, seed: int = 0):
    rng = np.random.default_rng(seed)
    truth = rng.normal(70, 5, n)
    features = np.column_stack([truth + rng.normal(0, 2, n), rng.normal(0, 1, n)])
    return features, truth


def test_rank_features_are_the_training_splits_empirical_cdf():
    train = np.array([[1.0], [2.0], [3.0], [4.0], [5.0]])
    ranks = rank_features(5).fit(train)
    assert ranks.transform(train)[:, 0] == pytest.approx([0, 0.25, 0.5, 0.75, 1])
    # held-out values are placed among the training quantiles, clipped at the ends
    assert ranks.transform(np.array([[2.5], [0.0], [9.0]]))[:, 0] == pytest.approx([0.375, 0, 1])
    # a failed score becomes the lowest rank
    assert ranks.transform(np.array([[np.nan]]))[0, 0] == 0


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_held_out_architecture_is_scored_alone_not_ranked_among_the_others(name):
    features, truth = _data()
    fitted = fit_combination(name, features[:30], truth[:30], seed=2**62 + 5)
    together = fitted.score(features[30:])
    alone = np.array([fitted.score(features[i : i + 1])[0] for i in range(30, 60)])
    assert together == pytest.approx(alone)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_each_model_learns_the_informative_feature(name):
    features, truth = _data(n=200, seed=1)
    fitted = fit_combination(name, features[:100], truth[:100], seed=0)
    tau = stats.kendalltau(fitted.score(features[100:]), truth[100:]).statistic
    assert tau > 0.6
    weights = fitted.weights()
    assert weights.shape == (2,) and abs(weights[0]) > abs(weights[1])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_equal_training_accuracies_are_a_fit_error(name):
    features, _ = _data(n=10)
    with pytest.raises(FitError, match="equal"):
        fit_combination(name, features, np.full(10, 70.0), seed=0)


def test_pair_differences_cover_both_orders_and_skip_ties():
    features = np.array([[1.0], [2.0], [3.0]])
    diffs, better = pair_differences(features, np.array([1.0, 2.0, 2.0]))
    # pairs (0,1), (0,2) differ; (1,2) tie
    assert diffs[:, 0].tolist() == [-1.0, -2.0, 1.0, 2.0]
    assert better.tolist() == [0, 0, 1, 1]


def test_unknown_model_says_what_exists():
    with pytest.raises(UnknownNameError, match="ridge"):
        get_model("ridg")


def test_forest_is_scikit_learns_default_forest_on_the_ranks():
    from sklearn.ensemble import RandomForestRegressor

    features, truth = _data(n=80, seed=3)
    fitted = fit_combination("forest", features[:40], truth[:40], seed=7)
    ranks = rank_features(40).fit(features[:40])
    target = (stats.rankdata(truth[:40]) - 1) / 39
    reference = RandomForestRegressor(random_state=7).fit(ranks.transform(features[:40]), target)
    expected = reference.predict(ranks.transform(features[40:]))
    assert fitted.score(features[40:]) == pytest.approx(expected)
    other = fit_combination("forest", features[:40], truth[:40], seed=8).score(features[40:])
    assert not np.allclose(other, expected)  # the seed reaches the forest
