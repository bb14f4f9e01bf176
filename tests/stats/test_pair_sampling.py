"""Pair samplers: all / uniform random / RD-NAS margin pairs, margin filter, keyed pairs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from harness.errors import ConfigError
from harness.stats.pair_sampling import (
    all_pairs,
    index_pairs,
    margin_pairs,
    pairs_at_least,
    random_pairs,
)


def _as_set(pairs):
    return {tuple(p) for p in pairs.tolist()}


@pytest.mark.parametrize("n", [0, 1, 2, 7, 50])
def test_all_pairs_are_every_i_less_than_j(n):
    assert _as_set(all_pairs(n)) == set(itertools.combinations(range(n), 2))


@pytest.mark.parametrize(("n", "k"), [(10, 7), (50, 300), (301, 4000)])
def test_random_pairs_are_distinct_valid_pairs(n, k):
    pairs = random_pairs(n, k, seed=1)
    assert pairs.shape == (k, 2)
    assert np.all(pairs[:, 0] < pairs[:, 1])
    assert pairs.min() >= 0 and pairs.max() < n
    assert len(_as_set(pairs)) == k
    np.testing.assert_array_equal(pairs, random_pairs(n, k, seed=1))
    assert not np.array_equal(pairs, random_pairs(n, k, seed=2))


def test_random_pairs_cover_all_pairs_when_asked_for_more():
    assert _as_set(random_pairs(6, 100, seed=0)) == _as_set(all_pairs(6))


def test_random_pairs_are_uniform():
    n, k, draws = 6, 3, 3000
    counts = np.zeros((n, n))
    for seed in range(draws):
        for i, j in random_pairs(n, k, seed=seed):
            counts[i, j] += 1
    observed = counts[np.triu_indices(n, 1)]
    expected = draws * k / 15
    assert np.all(np.abs(observed - expected) < 5 * np.sqrt(expected))


def _line_distance(i, j):
    return np.abs(np.asarray(i, float) - np.asarray(j, float))


def test_margin_pairs_reach_the_margin_and_anchor_uniformly():
    n = 40
    pairs = margin_pairs(n, 20000, _line_distance, margin=10, seed=0)
    assert pairs.shape == (20000, 2)
    assert np.all(_line_distance(pairs[:, 0], pairs[:, 1]) >= 10)
    anchors = np.bincount(pairs[:, 0], minlength=n)
    assert np.all(np.abs(anchors - 500) < 5 * np.sqrt(500))
    # Partner uniform among the anchor's far rows: anchor 0's partners are 10..39.
    partners = pairs[pairs[:, 0] == 0, 1]
    assert set(partners.tolist()) <= set(range(10, 40))
    assert len(set(partners.tolist())) > 20


def test_margin_pairs_redraw_anchors_without_a_distant_partner():
    # Only rows 0 and 5 are far apart: every other anchor must be redrawn.
    def distance(i, j):
        i, j = np.asarray(i), np.asarray(j)
        return np.where(((i == 0) & (j == 5)) | ((i == 5) & (j == 0)), 3.0, 0.0)

    pairs = margin_pairs(6, 50, distance, margin=1, seed=4)
    assert _as_set(np.sort(pairs, axis=1)) == {(0, 5)}


def test_margin_pairs_fail_when_no_pair_reaches_the_margin():
    with pytest.raises(ConfigError, match="at least"):
        margin_pairs(5, 3, lambda i, j: np.zeros(len(i)), margin=1, seed=0)


def test_pairs_at_least_filters():
    pairs = all_pairs(5)
    kept = pairs_at_least(pairs, _line_distance, 3)
    assert _as_set(kept) == {(0, 3), (0, 4), (1, 4)}


def test_index_pairs_maps_keys_and_drops_self_pairs():
    keys = ["a", "b", "c"]
    got = index_pairs([("a", "c"), ("b", "b"), ("c", "b")], keys)
    np.testing.assert_array_equal(got, [[0, 2], [2, 1]])
    assert index_pairs([], keys).shape == (0, 2)
    with pytest.raises(ValueError, match="'z'"):
        index_pairs([("a", "z")], keys)
