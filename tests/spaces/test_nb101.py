"""NAS-Bench-101 space: round trips, pruning, isomorphism (against independent checks), errors."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from nasbench_pytorch.model import ModelSpec
from nasbench_pytorch.model.graph_util import hash_module

from harness.errors import ArchitectureError
from harness.spaces import get_space, nb101
from harness.spaces.nb101 import INPUT, OPS, OUTPUT, NB101Spec


def _try_spec(matrix, ops) -> NB101Spec | None:
    try:
        return NB101Spec(matrix, ops)
    except ArchitectureError:
        return None


@st.composite
def specs(draw, min_vertices: int = 2, max_vertices: int = 7) -> NB101Spec:
    """Valid specs as NB101's generator makes them: coin-flip edges, redrawn until valid."""
    n = draw(st.integers(min_vertices, max_vertices))
    matrix = [[0] * n for _ in range(n)]
    for u, v in itertools.combinations(range(n), 2):
        matrix[u][v] = int(draw(st.booleans()))
    middle = draw(st.lists(st.sampled_from(OPS), min_size=n - 2, max_size=n - 2))
    spec = _try_spec(matrix, (INPUT, *middle, OUTPUT))
    assume(spec is not None)
    return spec


def _nasbench_hash(spec: NB101Spec) -> str:
    """NAS-Bench-101's own graph hash (Weisfeiler-Lehman style) of the pruned spec."""
    pruned = spec.pruned()
    labels = [-1] + [OPS.index(op) for op in pruned.ops[1:-1]] + [-2]
    return hash_module(np.array(pruned.matrix), labels)


def _brute_force_canonical(spec: NB101Spec) -> tuple:
    """Smallest relabelling of the pruned spec over ALL vertex permutations (no ordering rule)."""
    pruned = spec.pruned()
    n = pruned.num_vertices
    best = None
    for perm in itertools.permutations(range(n)):
        form = (
            tuple(pruned.ops[perm[i]] for i in range(n)),
            tuple(pruned.matrix[perm[i]][perm[j]] for i in range(n) for j in range(n)),
        )
        best = form if best is None or form < best else best
    return best


def _isomorphic(a: NB101Spec, b: NB101Spec) -> bool:
    return _brute_force_canonical(a) == _brute_force_canonical(b)


# -- round trips ----------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(specs())
def test_string_round_trip(spec: NB101Spec) -> None:
    text = spec.to_string()
    assert NB101Spec.from_string(text) == spec
    assert nb101.canonical_key(text) == spec.key


@settings(max_examples=150, deadline=None)
@given(specs())
def test_naslib_round_trip(spec: NB101Spec) -> None:
    flat = spec.to_naslib()
    assert NB101Spec.from_naslib(flat) == spec
    assert NB101Spec.from_naslib(str(flat)) == spec
    assert nb101.key_from_naslib(str(flat)) == spec.key
    assert nb101.canonical_key(str(flat)) == spec.key


@settings(max_examples=150, deadline=None)
@given(specs(max_vertices=6))
def test_canonical_key_round_trip(spec: NB101Spec) -> None:
    key = spec.key
    parsed = nb101.parse(key)
    assert parsed.to_string() == key  # key -> spec -> key, exactly
    assert parsed.key == key
    assert parsed == parsed.canonical() == parsed.pruned()
    assert nb101.iso_key(key) == key
    assert _isomorphic(parsed, spec)  # spec -> key -> spec, up to isomorphism


# -- pruning --------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(specs())
def test_pruning_matches_nasbench_pytorch(spec: NB101Spec) -> None:
    reference = ModelSpec(np.array(spec.matrix), list(spec.ops))
    pruned = spec.pruned()
    assert reference.valid_spec
    assert reference.matrix.tolist() == [list(row) for row in pruned.matrix]
    assert reference.ops == list(pruned.ops)


CHAIN = NB101Spec(((0, 1, 0), (0, 0, 1), (0, 0, 0)), (INPUT, "conv3x3-bn-relu", OUTPUT))


def test_dangling_vertices_are_pruned() -> None:
    no_way_out = NB101Spec(  # vertex 2 has no outgoing edge
        ((0, 1, 1, 0), (0, 0, 0, 1), (0, 0, 0, 0), (0, 0, 0, 0)),
        (INPUT, "conv3x3-bn-relu", "maxpool3x3", OUTPUT),
    )
    no_way_in = NB101Spec(  # vertex 1 has no incoming edge
        ((0, 0, 1, 0), (0, 0, 1, 1), (0, 0, 0, 1), (0, 0, 0, 0)),
        (INPUT, "maxpool3x3", "conv3x3-bn-relu", OUTPUT),
    )
    for spec in (no_way_out, no_way_in):
        assert spec.pruned() == CHAIN
        assert spec.key == CHAIN.key == "ops=input,conv3x3-bn-relu,output;edges=0>1,1>2"
    # A vertex feeding only a dangling vertex is dangling too.
    chain_of_dangling = NB101Spec(
        ((0, 1, 1, 0, 0), (0, 0, 0, 0, 1), (0, 0, 0, 1, 0), (0, 0, 0, 0, 0), (0, 0, 0, 0, 0)),
        (INPUT, "conv3x3-bn-relu", "maxpool3x3", "maxpool3x3", OUTPUT),
    )
    assert chain_of_dangling.pruned() == CHAIN


def test_edge_limit_applies_after_pruning() -> None:
    # NB101 checks the limit on the pruned graph: 10 edges, 3 of them into a dead end.
    matrix = np.zeros((7, 7), dtype=int)
    for u, v in [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3), (3, 6), (0, 6), (0, 5), (1, 5), (2, 5)]:
        matrix[u, v] = 1
    ops = (INPUT, "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3", "maxpool3x3", "maxpool3x3")
    spec = NB101Spec(matrix, (*ops, OUTPUT))
    assert len(spec.edges) == 10
    assert spec.pruned().num_vertices == 5 and len(spec.pruned().edges) == 7
    # Vertex 4 is isolated and vertex 5 has no way out; dropping them changes nothing.
    assert spec.key == spec.pruned().key


def test_model_spec_of_a_dangling_spec() -> None:
    spec = NB101Spec(
        ((0, 1, 1, 0), (0, 0, 0, 1), (0, 0, 0, 0), (0, 0, 0, 0)),
        (INPUT, "conv3x3-bn-relu", "maxpool3x3", OUTPUT),
    )
    model_spec = spec.to_model_spec()
    assert model_spec.valid_spec
    assert model_spec.ops == list(CHAIN.ops)
    assert model_spec.matrix.tolist() == [list(row) for row in CHAIN.matrix]


def test_nasbench_pytorch_crashes_on_disconnected_specs() -> None:
    # Why NB101Spec prunes on its own: ModelSpec raises instead of marking them invalid.
    with pytest.raises(RuntimeError):
        ModelSpec(np.zeros((3, 3), dtype=int), [INPUT, "maxpool3x3", OUTPUT])


# -- isomorphism ----------------------------------------------------------------------------
@st.composite
def topological_relabelling(draw, spec: NB101Spec) -> list[int]:
    """A random order of the vertices that keeps every edge pointing forward."""
    order = [0]
    remaining = list(range(1, spec.num_vertices))
    while remaining:
        ready = [v for v in remaining if all(u in order for u, w in spec.edges if w == v)]
        ready = [v for v in ready if v != spec.num_vertices - 1 or len(remaining) == 1]
        vertex = draw(st.sampled_from(ready))
        order.append(vertex)
        remaining.remove(vertex)
    return order


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_isomorphic_specs_share_the_key(data) -> None:
    spec = data.draw(specs())
    order = data.draw(topological_relabelling(spec))
    relabelled = NB101Spec(
        tuple(tuple(spec.matrix[u][v] for v in order) for u in order),
        tuple(spec.ops[v] for v in order),
    )
    assert relabelled.key == spec.key
    assert _nasbench_hash(relabelled) == _nasbench_hash(spec)


@settings(max_examples=150, deadline=None)
@given(specs(), specs())
def test_key_agrees_with_nasbench_hash(a: NB101Spec, b: NB101Spec) -> None:
    assert (a.key == b.key) == (_nasbench_hash(a) == _nasbench_hash(b))
    assert _nasbench_hash(nb101.parse(a.key)) == _nasbench_hash(a)


def test_exhaustive_small_specs_against_brute_force() -> None:
    """Every spec with up to 4 vertices: key classes == brute-force isomorphism classes."""
    by_key: dict[str, set[NB101Spec]] = defaultdict(set)
    by_brute_force: dict[tuple, set[NB101Spec]] = defaultdict(set)
    for n in range(2, 5):
        pairs = list(itertools.combinations(range(n), 2))
        for bits in itertools.product((0, 1), repeat=len(pairs)):
            matrix = [[0] * n for _ in range(n)]
            for (u, v), bit in zip(pairs, bits, strict=True):
                matrix[u][v] = bit
            for middle in itertools.product(OPS, repeat=n - 2):
                spec = _try_spec(matrix, (INPUT, *middle, OUTPUT))
                if spec is not None:
                    by_key[spec.key].add(spec)
                    by_brute_force[_brute_force_canonical(spec)].add(spec)
    assert {frozenset(s) for s in by_key.values()} == {
        frozenset(s) for s in by_brute_force.values()
    }
    # 1 two-vertex cell, 6 with one op (with or without the skip), 84 with two ops.
    assert len(by_key) == 91


def test_iso_key_is_the_key() -> None:
    for key in nb101.sample_keys(20, seed=1):
        assert nb101.iso_key(key) == key


def test_space_front_door() -> None:
    assert get_space("nb101") is nb101
    assert nb101.NAME == "nb101"


# -- validation -----------------------------------------------------------------------------
def _chain(n: int) -> tuple[list[list[int]], list[str]]:
    matrix = [[int(v == u + 1) for v in range(n)] for u in range(n)]
    return matrix, [INPUT] + ["conv3x3-bn-relu"] * (n - 2) + [OUTPUT]


def _with(matrix: list[list[int]], u: int, v: int, value: int) -> list[list[int]]:
    changed = [row[:] for row in matrix]
    changed[u][v] = value
    return changed


M4, OPS4 = _chain(4)
FULL5 = [[int(v > u) for v in range(5)] for u in range(5)]  # 10 edges, nothing to prune
GOOD_KEY = CHAIN.to_string()
GOOD_NASLIB = str(CHAIN.to_naslib())


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (lambda: NB101Spec(*_chain(8)), "8 vertices"),
        (lambda: NB101Spec([[0]], [INPUT]), "1 vertices"),
        (lambda: NB101Spec(FULL5, [INPUT] + ["maxpool3x3"] * 3 + [OUTPUT]), "10 edges"),
        (lambda: NB101Spec([row[:3] for row in M4], OPS4), "square"),
        (lambda: NB101Spec(M4, OPS4[:3]), "3 ops"),
        (lambda: NB101Spec(_with(M4, 2, 1, 1), OPS4), "[2][1]"),
        (lambda: NB101Spec(_with(M4, 1, 1, 1), OPS4), "[1][1]"),
        (lambda: NB101Spec(_with(M4, 0, 2, 2), OPS4), "is 2"),
        (lambda: NB101Spec(M4, ["conv3x3-bn-relu"] + OPS4[1:]), "must start with 'input'"),
        (lambda: NB101Spec(M4, OPS4[:3] + ["maxpool3x3"]), "end with 'output'"),
        (lambda: NB101Spec(M4, [INPUT, "conv5x5", "maxpool3x3", OUTPUT]), "conv5x5"),
        (lambda: NB101Spec(M4, [INPUT, OUTPUT, "maxpool3x3", OUTPUT]), "'output'"),
        (lambda: NB101Spec(_with(M4, 1, 2, 0), OPS4), "does not reach output"),
        (lambda: NB101Spec([[0.5, 1], [0, 0]], [INPUT, OUTPUT]), "0.5"),
        (lambda: nb101.canonical_key("gibberish"), "gibberish"),
        (lambda: nb101.canonical_key(GOOD_KEY.replace("1>2", "2>1")), "2>1"),
        (lambda: nb101.canonical_key(GOOD_KEY.replace("1>2", "1>3")), "1>3"),
        (lambda: nb101.canonical_key(GOOD_KEY + ",0>1"), "appears twice"),
        (lambda: nb101.canonical_key(GOOD_KEY.replace("1>2", "1-2")), "1-2"),
        (lambda: nb101.canonical_key(GOOD_KEY.replace("conv3x3", "conv7x7")), "conv7x7"),
        (lambda: nb101.key_from_naslib(GOOD_NASLIB.replace(", 1)", ")")), "11 numbers"),
        (lambda: nb101.key_from_naslib(GOOD_NASLIB.replace(", 1)", ", 5)")), "op index 5"),
        (lambda: nb101.key_from_naslib(GOOD_NASLIB.replace("(", "[")), "malformed"),
        (lambda: nb101.key_from_naslib(GOOD_NASLIB.replace(", 1)", ", -1)")), "malformed"),
        (lambda: nb101.key_from_naslib(str((0,) * 56)), "must start with 'input'"),
        (lambda: nb101.sample_keys(500_000, seed=0), "500000"),
    ],
)
def test_bad_inputs(make, named: str) -> None:
    with pytest.raises(ArchitectureError) as info:
        make()
    message = str(info.value)
    assert "\n" not in message
    assert named in message


def test_non_text_is_rejected() -> None:
    with pytest.raises(ArchitectureError):
        nb101.canonical_key(None)  # type: ignore[arg-type]
    with pytest.raises(ArchitectureError):
        NB101Spec(42, [INPUT, OUTPUT])  # type: ignore[arg-type]


# -- sampling -------------------------------------------------------------------------------
def test_sample_keys() -> None:
    keys = nb101.sample_keys(100, seed=5)
    assert keys == nb101.sample_keys(100, seed=5)
    assert keys != nb101.sample_keys(100, seed=6)
    assert len(set(keys)) == 100
    assert all(nb101.canonical_key(key) == key for key in keys)
    assert len({_nasbench_hash(nb101.parse(key)) for key in keys}) == 100


# -- real data ------------------------------------------------------------------------------
def test_suite_zero_keys(real_data_dir) -> None:
    with open(real_data_dir / "suite_zero" / "zc_nasbench101.json") as f:
        records = json.load(f)["nasbench101"]["cifar10"]
    assert len(records) == 500
    by_key: dict[str, set[str]] = defaultdict(set)
    by_hash: dict[str, set[str]] = defaultdict(set)
    for text in records:
        spec = NB101Spec.from_naslib(text)
        assert spec.to_naslib() == tuple(int(t) for t in text.strip("()").split(","))
        key = nb101.key_from_naslib(text)
        assert nb101.parse(key).key == key
        by_key[key].add(text)
        by_hash[_nasbench_hash(spec)].add(text)
    # Many Suite-Zero keys are unpruned 7x7 matrices of the same cell.
    assert len(by_key) == 292
    assert {frozenset(s) for s in by_key.values()} == {frozenset(s) for s in by_hash.values()}
