"""A synthetic score set: one informative proxy, one weak, one noise, with isomorphism
classes of several sizes (so grouped splits are exercised)."""

from __future__ import annotations

import numpy as np
import pytest

from harness.combine.data import ScoreSet


def synthetic_set(n: int = 160, seed: int = 0, *, pairs: int = 20) -> ScoreSet:
    """`pairs` classes of two members (sharing their truth), the rest singletons."""
    rng = np.random.default_rng(seed)
    classes = n - pairs
    truth_of_class = rng.normal(70, 5, classes)
    group_of = np.concatenate([np.arange(classes), np.arange(pairs)])
    truth = truth_of_class[group_of] + rng.normal(0, 0.05, n)
    scores = {
        "strong": truth + rng.normal(0, 3, n),
        "weak": -(truth + rng.normal(0, 8, n)),  # lower is better
        "noise": rng.normal(0, 1, n),
    }
    scores["strong"][3] = np.nan  # a failure: ranked worst, imputed lowest
    return ScoreSet(
        table="synthetic",
        space="nb201",
        score_dataset="cifar10",
        target="cifar10/test/200",
        archs=tuple(f"a{i}" for i in range(n)),
        groups=tuple(f"g{g}" for g in group_of),
        truth=truth,
        scores=scores,
        higher_is_better={"strong": True, "weak": False, "noise": True},
        origin="computed",
    )


@pytest.fixture
def score_set() -> ScoreSet:
    return synthetic_set()


@pytest.fixture
def make_set():
    return synthetic_set
