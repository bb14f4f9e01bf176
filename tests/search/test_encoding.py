"""Continuous encodings: decoding covers exactly the valid space, bounds reach every choice."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from harness.errors import ConfigError
from harness.search.encoding import DartsEncoding, NB201Encoding, decode_genes, get_encoding
from harness.spaces import darts, nb201


@pytest.mark.parametrize(("op_set", "ops"), [("all", nb201.OPS), ("no_none", nb201.OPS[1:])])
def test_nb201_decoding_covers_exactly_the_space(op_set, ops):
    encoding = NB201Encoding(op_set)
    assert encoding.lower.tolist() == [0.0] * 6
    assert encoding.upper.tolist() == [float(len(ops))] * 6
    # One point inside every box cell decodes to every cell of the space, once.
    decoded = {
        encoding.decode(np.asarray(cell, float) + 0.3)
        for cell in itertools.product(range(len(ops)), repeat=6)
    }
    assert decoded == {a.to_string() for a in nb201.enumerate_archs(ops)}
    assert len(decoded) == len(ops) ** 6


@pytest.mark.parametrize(("op_set", "ops"), [("all", nb201.OPS), ("no_none", nb201.OPS[1:])])
def test_nb201_bounds_reach_first_and_last_op(op_set, ops):
    encoding = NB201Encoding(op_set)
    assert nb201.parse(encoding.decode(encoding.lower)).ops == (ops[0],) * 6
    assert nb201.parse(encoding.decode(encoding.upper)).ops == (ops[-1],) * 6
    # Exact interior integers floor to their own choice.
    assert nb201.parse(encoding.decode(np.full(6, 2.0))).ops == (ops[2],) * 6


def test_nb201_random_vectors_decode_to_valid_cells_with_every_op_equally_likely():
    encoding = NB201Encoding("all")
    rng = np.random.default_rng(0)
    counts = np.zeros((6, 5))
    for _ in range(5000):
        arch = nb201.parse(encoding.decode(encoding.lower + encoding.upper * rng.random(6)))
        for edge, op in enumerate(arch.ops):
            counts[edge, nb201.OPS.index(op)] += 1
    assert np.all(np.abs(counts - 1000) < 5 * np.sqrt(1000))


def test_vectors_outside_the_box_are_refused():
    encoding = NB201Encoding("all")
    for bad in (np.full(6, -0.1), np.full(6, 5.01), np.full(5, 1.0), np.full(6, np.nan)):
        with pytest.raises(ValueError):
            encoding.decode(bad)
    with pytest.raises(ConfigError):
        NB201Encoding("three_ops")


def test_nb201_encode_decode_round_trip_and_mutation():
    encoding = NB201Encoding("no_none")
    rng = np.random.default_rng(5)
    for key in nb201.sample_keys(50, seed=2, ops=nb201.OPS_WITHOUT_NONE):
        assert encoding.decode(encoding.encode(key)) == key
        child = nb201.parse(encoding.mutate(key, rng)).ops
        parent = nb201.parse(key).ops
        assert sum(a != b for a, b in zip(child, parent, strict=True)) == 1
        assert "none" not in child
    with pytest.raises(ConfigError):
        encoding.encode("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")


def test_darts_genes_and_bounds_follow_relativenas_layout():
    encoding = DartsEncoding("allow")
    assert encoding.upper.size == 32
    per_cell = [2, 7, 2, 7, 3, 7, 3, 7, 4, 7, 4, 7, 5, 7, 5, 7]
    assert encoding.upper.tolist() == per_cell * 2
    top = darts.parse(encoding.decode(encoding.upper))
    for cell in top.cells():
        assert [source for _, source in cell] == [1, 1, 2, 2, 3, 3, 4, 4]  # last predecessor
        assert {op for op, _ in cell} == {darts.OPS[-1]}
    bottom = darts.parse(encoding.decode(encoding.lower))
    assert all(pair == (darts.OPS[0], 0) for cell in bottom.cells() for pair in cell)


def test_darts_every_source_and_op_is_reachable_and_decodes_valid():
    encoding = DartsEncoding("allow")
    rng = np.random.default_rng(1)
    seen_sources = [set() for _ in range(8)]
    seen_ops = set()
    flagged = 0
    for _ in range(3000):
        key = encoding.decode(encoding.upper * rng.random(32))
        genotype = darts.parse(key)  # valid by construction, or this raises
        flagged += encoding.flagged(key)
        for k, (op, source) in enumerate(genotype.normal):
            seen_sources[k].add(source)
            seen_ops.add(op)
    assert seen_sources == [set(range(darts.node_of_pair(k))) for k in range(8)]
    assert seen_ops == set(darts.OPS)
    assert flagged > 0  # duplicate-input nodes occur and are flagged under "allow"


def test_darts_repair_policy_never_yields_duplicate_inputs():
    encoding = get_encoding("darts", duplicate_policy="repair")
    rng = np.random.default_rng(2)
    for _ in range(500):
        key = encoding.decode(encoding.upper * rng.random(32))
        assert not darts.has_duplicate_inputs(darts.parse(key))
        assert not encoding.flagged(key)
        child = encoding.mutate(key, rng)
        assert not darts.has_duplicate_inputs(darts.parse(child))


def test_darts_round_trip_and_single_change_mutation():
    encoding = DartsEncoding("allow")
    rng = np.random.default_rng(3)
    for key in darts.sample_keys(40, seed=4):
        assert encoding.decode(encoding.encode(key)) == key
        before = darts.parse(key).cells()
        after = darts.parse(encoding.mutate(key, rng)).cells()
        changes = sum(
            (a[0] != b[0]) + (a[1] != b[1])
            for cb, ca in zip(before, after, strict=True)
            for b, a in zip(cb, ca, strict=True)
        )
        assert changes == 1


def test_decode_genes_maps_the_upper_bound_to_the_last_choice():
    upper = np.array([3.0, 7.0])
    assert decode_genes(np.array([3.0, 7.0]), upper).tolist() == [2, 6]
    assert decode_genes(np.array([2.999, 0.0]), upper).tolist() == [2, 0]
    assert decode_genes(np.array([1.0, 6.5]), upper).tolist() == [1, 6]
