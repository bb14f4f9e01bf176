"""Random train / held-out splits that keep isomorphic architectures together.

Two isomorphic NAS-Bench-201 cells compute the same function and share their accuracy
(up to training noise), so one labelled and its twin held out would let a model score
a held-out architecture by recognising a training one. Splits are therefore drawn over
isomorphism classes (`space.iso_key`): a class is wholly labelled or wholly held out.
Classes are taken in random order, each one only while it fits in the k labels still
free, so the training split holds exactly k architectures whenever enough small classes
remain (always, when every class has one member, as in `unique = true` samples).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.errors import ConfigError
from harness.seeds import derive_seed


@dataclass(frozen=True)
class Split:
    """One split: positions of the k labelled (train) and the held-out (test) rows."""

    k: int
    index: int
    seed: int
    train: np.ndarray
    test: np.ndarray


def grouped_split(groups: Sequence[str], k: int, rng: np.random.Generator):
    """(train, test) positions: whole groups, in random order, while they fit in k."""
    labels, inverse = np.unique(np.asarray(groups, dtype=object), return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(labels.size)]
    train: list[np.ndarray] = []
    free = k
    for g in rng.permutation(labels.size):
        if free == 0:
            break
        if members[g].size <= free:
            train.append(members[g])
            free -= members[g].size
    chosen = np.sort(np.concatenate(train)) if train else np.empty(0, dtype=int)
    held_out = np.setdiff1d(np.arange(len(groups)), chosen)
    return chosen, held_out


def draw_splits(groups: Sequence[str], k: int, n_splits: int, seed: int) -> list[Split]:
    """`n_splits` grouped splits with k labelled architectures, each seeded from
    (seed, k, split index) so adding a k or a split changes no other split."""
    if k >= len(groups):
        raise ConfigError(f"k = {k} leaves no held-out architecture of {len(groups)}")
    splits = []
    for index in range(n_splits):
        split_seed = derive_seed(seed, "combine/split", k, index)
        train, test = grouped_split(groups, k, np.random.default_rng(split_seed))
        splits.append(Split(k=k, index=index, seed=split_seed, train=train, test=test))
    return splits
