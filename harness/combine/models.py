"""Learned combinations: scikit-learn models fitted on the proxy scores of k labelled
architectures. No learner is written here; this module builds scikit-learn estimators,
says what each is fitted to, and reads their weights.

Features are **ranks fitted on the training split only**: every proxy's score, oriented so
that higher is better, goes through a `QuantileTransformer` fitted on the k training
architectures (the empirical CDF of the training scores; a held-out score is placed by
interpolation between the training quantiles, never ranked among held-out scores), and a
failed score (NaN/inf) becomes 0, the lowest rank (`SimpleImputer`). So no rank is ever
computed over training and held-out architectures together.

- **ridge**: `Ridge(alpha=1)` fitted to the training accuracies' ranks (0..1); the score
  of an architecture is the predicted rank.
- **logistic**: `LogisticRegression(C=1)` fitted to "accuracy above the training median";
  the score is the decision function.
- **pairwise** (a RankNet-style linear ranker): `LogisticRegression(C=1, no intercept)`
  fitted, for every training pair with different accuracies (both orders), to which of
  the two is better from the difference of their features; the score is w · features.
- **gbt**: `GradientBoostingRegressor` (100 trees, depth 2, rate 0.1, subsample 0.8)
  fitted to the accuracy ranks (0..1); the score is the prediction.

- **forest**: `RandomForestRegressor` with scikit-learn's defaults (100 trees, full depth,
  bootstrap), GRAF's predictor (Kadlecova et al., ICML 2024: `RandomForestRegressor()` in
  its tutorial), fitted to the accuracy ranks (0..1); the score is the prediction. Trees
  split on orderings, so the rank features change nothing but the target's scale.

Weights: the linear models' coefficients (on rank features in [0, 1], comparable across
proxies), the trees' impurity-based feature importances.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import rankdata

from harness.registry import Registry


class FitError(ValueError):
    """A training split a model cannot be fitted on (e.g. every accuracy equal). Only this
    is counted as a failed fit; any other exception is a bug and propagates."""


def rank_features(n_train: int):
    """The training-split-only rank transform (see the module doc), unfitted."""
    # deferred: pulls in sklearn
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import QuantileTransformer

    return make_pipeline(
        QuantileTransformer(n_quantiles=max(2, min(1000, n_train)), output_distribution="uniform"),
        SimpleImputer(strategy="constant", fill_value=0.0, keep_empty_features=True),
    )


def accuracy_ranks(truth: np.ndarray) -> np.ndarray:
    """Ranks of the training accuracies scaled to [0, 1] (ties share their average)."""
    ranks = rankdata(truth)
    return (ranks - 1.0) / max(1.0, ranks.size - 1.0)


def pair_differences(features: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Feature differences x_i - x_j of every ordered pair with y_i != y_j, and whether
    i is the better one (both orders, so the classes balance)."""
    i, j = np.triu_indices(truth.size, k=1)
    differ = truth[i] != truth[j]
    i, j = i[differ], j[differ]
    diffs = np.concatenate([features[i] - features[j], features[j] - features[i]])
    better = np.concatenate([truth[i] > truth[j], truth[j] > truth[i]]).astype(int)
    return diffs, better


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    #: (rank features, truth, seed) -> fitted scikit-learn estimator
    fit: Callable[[np.ndarray, np.ndarray, int], Any]
    #: (fitted estimator, rank features) -> scores, higher is better
    score: Callable[[Any, np.ndarray], np.ndarray]
    #: fitted estimator -> one weight per feature
    weights: Callable[[Any], np.ndarray]
    weights_kind: str


def _check_varied(name: str, truth: np.ndarray) -> None:
    if truth.size < 2 or np.all(truth == truth[0]):
        raise FitError(f"{name}: every training accuracy is equal; nothing to learn from")


def _fit_ridge(features: np.ndarray, truth: np.ndarray, seed: int):
    # deferred: pulls in sklearn
    from sklearn.linear_model import Ridge

    _check_varied("ridge", truth)
    return Ridge(alpha=1.0).fit(features, accuracy_ranks(truth))


def _fit_logistic(features: np.ndarray, truth: np.ndarray, seed: int):
    # deferred: pulls in sklearn
    from sklearn.linear_model import LogisticRegression

    above = truth > np.median(truth)
    if above.all() or not above.any():  # many ties at the median
        above = truth >= np.median(truth)
    if above.all() or not above.any():
        raise FitError("logistic: every training accuracy is equal; nothing to separate")
    return LogisticRegression(C=1.0, max_iter=1000).fit(features, above.astype(int))


def _fit_pairwise(features: np.ndarray, truth: np.ndarray, seed: int):
    # deferred: pulls in sklearn
    from sklearn.linear_model import LogisticRegression

    diffs, better = pair_differences(features, truth)
    if better.size == 0:
        raise FitError("pairwise: every training accuracy is equal; no pair to learn from")
    return LogisticRegression(C=1.0, fit_intercept=False, max_iter=1000).fit(diffs, better)


def _fit_gbt(features: np.ndarray, truth: np.ndarray, seed: int):
    # deferred: pulls in sklearn
    from sklearn.ensemble import GradientBoostingRegressor

    _check_varied("gbt", truth)
    model = GradientBoostingRegressor(
        n_estimators=100,
        max_depth=2,
        learning_rate=0.1,
        subsample=0.8,
        random_state=seed % 2**32,  # scikit-learn takes 32-bit seeds; ours are 63-bit
    )
    return model.fit(features, accuracy_ranks(truth))


def _fit_forest(features: np.ndarray, truth: np.ndarray, seed: int):
    # deferred: pulls in sklearn
    from sklearn.ensemble import RandomForestRegressor

    _check_varied("forest", truth)
    model = RandomForestRegressor(random_state=seed % 2**32, n_jobs=1)
    return model.fit(features, accuracy_ranks(truth))


def _predict(model, features: np.ndarray) -> np.ndarray:
    return np.asarray(model.predict(features), dtype=float)


def _decision(model, features: np.ndarray) -> np.ndarray:
    return np.asarray(model.decision_function(features), dtype=float)


def _coefficients(model) -> np.ndarray:
    return np.asarray(model.coef_, dtype=float).ravel()


def _importances(model) -> np.ndarray:
    return np.asarray(model.feature_importances_, dtype=float)


#: The combination models, by name (the one registry `combine.models` is checked against).
MODELS: Registry[ModelSpec] = Registry("combination model", on_duplicate="error")
for _spec in (
    ModelSpec(
        "ridge",
        "ridge regression of the accuracy rank on the proxies' ranks",
        _fit_ridge,
        _predict,
        _coefficients,
        "coefficient",
    ),
    ModelSpec(
        "logistic",
        "logistic regression of 'accuracy above the training median' on the ranks",
        _fit_logistic,
        _decision,
        _coefficients,
        "coefficient",
    ),
    ModelSpec(
        "pairwise",
        "pairwise ranker: logistic regression of which of two is better on rank differences",
        _fit_pairwise,
        _decision,
        _coefficients,
        "coefficient",
    ),
    ModelSpec(
        "gbt",
        "gradient-boosted regression trees on the ranks (100 trees, depth 2)",
        _fit_gbt,
        _predict,
        _importances,
        "importance",
    ),
    ModelSpec(
        "forest",
        "random forest on the ranks (scikit-learn's defaults: GRAF's predictor)",
        _fit_forest,
        _predict,
        _importances,
        "importance",
    ),
):
    MODELS.register(_spec.name, _spec)


def get_model(name: str) -> ModelSpec:
    """The model `name` (UnknownNameError with a did-you-mean otherwise)."""
    return MODELS[name]


@dataclass(frozen=True)
class FittedCombination:
    """A model fitted on one training split, with the rank transform it was fitted on."""

    model: ModelSpec
    ranks: Any  # the fitted rank-features pipeline
    estimator: Any

    def score(self, features: np.ndarray, ranks: Any | None = None) -> np.ndarray:
        """Scores of architectures (rows of oriented raw `features`), higher is better.
        `ranks` replaces the training split's rank transform (transfer to scores computed
        another way, fitted on those scores without their labels)."""
        transform = self.ranks if ranks is None else ranks
        return self.model.score(self.estimator, transform.transform(features))

    def weights(self) -> np.ndarray:
        return self.model.weights(self.estimator)


def fit_combination(name: str, features: np.ndarray, truth: np.ndarray, seed: int):
    """Fit model `name` on the training split: oriented raw features (k x p) and truth."""
    model = get_model(name)
    ranks = rank_features(features.shape[0]).fit(features)
    estimator = model.fit(ranks.transform(features), np.asarray(truth, dtype=float), seed)
    return FittedCombination(model=model, ranks=ranks, estimator=estimator)


def unlabelled_ranks(features: np.ndarray):
    """A rank transform fitted on a set's own scores, no labels (transfer targets)."""
    return rank_features(features.shape[0]).fit(features)
