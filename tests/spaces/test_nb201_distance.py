"""RD-NAS group distance on NB201 cells: costs, the 4-op mean of 6.75, `none`, vectorised form."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from harness.errors import ArchitectureError
from harness.spaces import nb201
from harness.spaces.nb201_distance import (
    COST_MATRIX,
    edge_cost,
    group_distance,
    group_distances,
    hamming_distance,
    op_index_matrix,
)

CONV1, CONV3, SKIP, POOL, NONE = (
    "nor_conv_1x1",
    "nor_conv_3x3",
    "skip_connect",
    "avg_pool_3x3",
    "none",
)


@pytest.mark.parametrize(
    ("first", "second", "cost"),
    [
        (CONV3, CONV3, 0.0),
        (CONV1, CONV3, 0.5),
        (SKIP, POOL, 0.5),
        (CONV1, SKIP, 2.0),
        (CONV3, POOL, 2.0),
        (NONE, NONE, 0.0),
        (NONE, SKIP, 2.0),
        (NONE, CONV1, 2.0),
    ],
)
def test_edge_costs_follow_the_groups(first, second, cost):
    assert edge_cost(first, second) == cost
    assert edge_cost(second, first) == cost


def test_distance_sums_edge_costs():
    a = nb201.NB201Arch((CONV3, CONV3, SKIP, NONE, POOL, CONV1))
    b = nb201.NB201Arch((CONV1, CONV3, CONV3, SKIP, POOL, CONV1))
    # 0.5 (conv1 vs conv3) + 0 + 2 (skip vs conv3) + 2 (none vs skip) + 0 + 0
    assert group_distance(a, b) == 4.5
    assert group_distance(a.to_string(), b.to_string()) == 4.5
    assert group_distance(a, a) == 0.0
    assert hamming_distance(a, b) == 3


def test_mean_distance_of_uniform_four_op_pairs_is_rdnas_6_75():
    ops = nb201.OPS_WITHOUT_NONE
    per_edge = np.mean([edge_cost(a, b) for a, b in itertools.product(ops, ops)])
    assert per_edge * 6 == pytest.approx(6.75)  # RD-NAS's margin 6.7 sits at the mean
    five = np.mean([edge_cost(a, b) for a, b in itertools.product(nb201.OPS, nb201.OPS)])
    assert five * 6 == pytest.approx(8.16)


def test_vectorised_distances_match_the_scalar_form():
    keys = nb201.sample_keys(60, seed=3)
    first, second = keys[:30], keys[30:]
    got = group_distances(op_index_matrix(first), op_index_matrix(second))
    want = [group_distance(a, b) for a, b in zip(first, second, strict=True)]
    np.testing.assert_allclose(got, want)
    assert COST_MATRIX.shape == (5, 5)
    np.testing.assert_array_equal(COST_MATRIX, COST_MATRIX.T)


def test_bad_input_is_refused():
    with pytest.raises(ArchitectureError):
        edge_cost("conv_7x7", SKIP)
    with pytest.raises(ValueError):
        group_distances(np.zeros((2, 6), int), np.zeros((3, 6), int))
