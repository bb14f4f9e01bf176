"""Grouped random splits: isomorphic architectures always on the same side."""

from __future__ import annotations

import numpy as np
import pytest

from harness.combine.splits import draw_splits
from harness.errors import ConfigError


def test_isomorphic_architectures_are_never_split_and_the_sides_partition(score_set):
    groups = np.asarray(score_set.groups)
    for k in (10, 21, 50):
        for split in draw_splits(score_set.groups, k, 10, seed=3):
            assert set(groups[split.train]).isdisjoint(groups[split.test])
            assert np.array_equal(
                np.sort(np.concatenate([split.train, split.test])), np.arange(groups.size)
            )
            assert split.train.size == k  # enough singletons to fill k exactly


def test_singletons_give_exactly_k_and_splits_differ_but_repeat_by_seed():
    groups = [f"g{i}" for i in range(100)]
    first = draw_splits(groups, 20, 5, seed=1)
    again = draw_splits(groups, 20, 5, seed=1)
    other = draw_splits(groups, 20, 5, seed=2)
    assert all(s.train.size == 20 and s.test.size == 80 for s in first)
    assert all(np.array_equal(a.train, b.train) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a.train, b.train) for a, b in zip(first, other, strict=True))
    assert len({tuple(s.train) for s in first}) == 5


def test_adding_splits_leaves_the_earlier_ones_unchanged():
    groups = [f"g{i // 2}" for i in range(60)]
    few, more = draw_splits(groups, 10, 2, seed=0), draw_splits(groups, 10, 4, seed=0)
    assert all(np.array_equal(a.train, b.train) for a, b in zip(few, more[:2], strict=True))


def test_k_must_leave_architectures_held_out():
    with pytest.raises(ConfigError, match="no held-out"):
        draw_splits(["a", "b", "c"], 3, 1, seed=0)
