"""DARTS / NAS-Bench-301 space: encodings round-trip, isomorphism, validation, real keys."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.errors import ArchitectureError
from harness.spaces import darts, get_space
from harness.spaces.darts import OPS, DartsGenotype


@st.composite
def cell_pairs(draw) -> list[tuple[str, int]]:
    pairs = []
    for k in range(8):
        node = k // 2 + 2
        pairs.append((draw(st.sampled_from(OPS)), draw(st.integers(0, node - 1))))
    return pairs


genotypes = st.builds(DartsGenotype, cell_pairs(), cell_pairs())


# -- round trips ----------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(genotypes)
def test_key_round_trip(genotype: DartsGenotype) -> None:
    key = genotype.to_string()
    assert darts.parse(key) == genotype
    assert darts.canonical_key(key) == key
    assert darts.parse(key).to_string() == key


@settings(max_examples=150, deadline=None)
@given(genotypes)
def test_compact_round_trip(genotype: DartsGenotype) -> None:
    compact = genotype.to_compact()
    assert DartsGenotype.from_compact(compact) == genotype
    text = genotype.to_compact_string()
    assert DartsGenotype.from_compact(text) == genotype
    assert DartsGenotype.from_compact(text).to_compact_string() == text
    assert darts.key_from_naslib(text) == genotype.key
    assert darts.canonical_key(str(compact)) == genotype.key  # tuple-of-tuples form


@settings(max_examples=150, deadline=None)
@given(genotypes)
def test_genotype_string_round_trip(genotype: DartsGenotype) -> None:
    text = genotype.to_genotype_string()
    assert DartsGenotype.from_genotype_string(text) == genotype
    assert darts.canonical_key(text) == genotype.key


def test_compact_by_hand() -> None:
    # Pairs are (input_node, op_index) into NASLib's op list; genotype pairs are (op, input).
    compact = (
        "[[(0, 0), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], "
        "[(1, 0), (0, 2), (1, 3), (0, 3), (3, 0), (0, 1), (2, 0), (3, 6)]]"
    )
    genotype = DartsGenotype.from_compact(compact)
    assert genotype.normal[:2] == (("max_pool_3x3", 0), ("dil_conv_3x3", 1))
    assert genotype.normal[7] == ("skip_connect", 3)
    assert genotype.reduce[7] == ("dil_conv_5x5", 3)
    assert darts.key_from_naslib(compact).startswith(
        "normal=max_pool_3x3~0,dil_conv_3x3~1,avg_pool_3x3~1,avg_pool_3x3~0,"
    )


def test_darts_paper_genotype_string() -> None:
    # DARTS (second order) as the DARTS repository writes it, with range() concats.
    text = (
        "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
        "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), "
        "('dil_conv_3x3', 2)], normal_concat=range(2, 6), reduce=[('max_pool_3x3', 0), "
        "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
        "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], "
        "reduce_concat=range(2, 6))"
    )
    genotype = darts.from_text(text)
    assert genotype.normal[7] == ("dil_conv_3x3", 2)
    assert genotype.to_compact()[0][7] == (2, 5)
    assert not darts.has_duplicate_inputs(genotype)


def test_space_front_door() -> None:
    assert get_space("darts") is darts
    assert darts.NAME == "darts"


# -- isomorphism ------------------------------------------------------------------------------
def _swap_inputs(cell: tuple, flags: list[bool]) -> list:
    pairs = list(cell)
    for i, flag in enumerate(flags):
        if flag:
            pairs[2 * i], pairs[2 * i + 1] = pairs[2 * i + 1], pairs[2 * i]
    return pairs


@st.composite
def valid_relabelling(draw, cell: tuple) -> dict[int, int]:
    """A random renumbering of nodes 2..5 under which every input still comes from earlier."""
    inputs = {2 + i: {cell[2 * i][1], cell[2 * i + 1][1]} for i in range(4)}
    placed = [0, 1]
    remaining = [2, 3, 4, 5]
    while remaining:
        ready = [node for node in remaining if inputs[node] <= set(placed)]
        node = draw(st.sampled_from(ready))
        placed.append(node)
        remaining.remove(node)
    return {old: new for new, old in enumerate(placed)}


def _relabel(cell: tuple, mapping: dict[int, int]) -> list:
    by_new_node = {
        mapping[2 + i]: [(op, mapping[source]) for op, source in cell[2 * i : 2 * i + 2]]
        for i in range(4)
    }
    return [pair for node in sorted(by_new_node) for pair in by_new_node[node]]


@settings(max_examples=150, deadline=None)
@given(genotypes, st.lists(st.booleans(), min_size=8, max_size=8))
def test_iso_key_ignores_input_order(genotype: DartsGenotype, flags: list[bool]) -> None:
    swapped = DartsGenotype(
        _swap_inputs(genotype.normal, flags[:4]), _swap_inputs(genotype.reduce, flags[4:])
    )
    assert swapped.iso_key() == genotype.iso_key()


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_iso_key_ignores_valid_relabelling(data) -> None:
    genotype = data.draw(genotypes)
    normal_map = data.draw(valid_relabelling(genotype.normal))
    reduce_map = data.draw(valid_relabelling(genotype.reduce))
    relabelled = DartsGenotype(
        _relabel(genotype.normal, normal_map), _relabel(genotype.reduce, reduce_map)
    )
    assert relabelled.iso_key() == genotype.iso_key()
    # The iso key is the key of a member of the class, and a fixed point.
    assert darts.iso_key(genotype.iso_key()) == genotype.iso_key()


@settings(max_examples=150, deadline=None)
@given(genotypes, st.integers(0, 15), st.integers(1, len(OPS) - 1))
def test_iso_key_sees_a_changed_op(genotype: DartsGenotype, position: int, shift: int) -> None:
    # Relabelling keeps each cell's multiset of ops, so changing one op changes the class.
    cells = [list(genotype.normal), list(genotype.reduce)]
    op, source = cells[position // 8][position % 8]
    cells[position // 8][position % 8] = (OPS[(OPS.index(op) + shift) % len(OPS)], source)
    changed = DartsGenotype(*cells)
    assert changed.iso_key() != genotype.iso_key()


def test_iso_examples() -> None:
    base = DartsGenotype(
        [("sep_conv_3x3", 0), ("sep_conv_5x5", 1)]
        + [("skip_connect", 0), ("max_pool_3x3", 2)]
        + [("dil_conv_3x3", 1), ("avg_pool_3x3", 0)]
        + [("sep_conv_3x3", 4), ("skip_connect", 3)],
        [("max_pool_3x3", 0), ("max_pool_3x3", 1)] * 4,
    )
    # Nodes 3 and 4 renumbered (node 3 reads node 2, node 4 reads only inputs: both orders work).
    swapped_nodes = DartsGenotype(
        [("sep_conv_3x3", 0), ("sep_conv_5x5", 1)]
        + [("dil_conv_3x3", 1), ("avg_pool_3x3", 0)]
        + [("skip_connect", 0), ("max_pool_3x3", 2)]
        + [("sep_conv_3x3", 3), ("skip_connect", 4)],
        base.reduce,
    )
    assert swapped_nodes.key != base.key
    assert swapped_nodes.iso_key() == base.iso_key()
    # Inputs 0 and 1 are different tensors (the cells two back and one back): not equivalent.
    previous_cells_swapped = DartsGenotype(
        [(op, {0: 1, 1: 0}.get(source, source)) for op, source in base.normal], base.reduce
    )
    assert previous_cells_swapped.iso_key() != base.iso_key()
    # Same ops, different wiring.
    rewired = DartsGenotype(base.normal[:7] + (("skip_connect", 2),), base.reduce)
    assert rewired.iso_key() != base.iso_key()
    # Normal and reduce cells are never exchanged.
    exchanged = DartsGenotype(base.reduce, base.normal)
    assert exchanged.iso_key() != base.iso_key()


# -- duplicate inputs ---------------------------------------------------------------------------
def test_duplicate_inputs_are_valid_and_repairable() -> None:
    cell = (
        [("sep_conv_3x3", 0), ("sep_conv_5x5", 0)]  # node 2: both from 0 -> second to 1
        + [("skip_connect", 2), ("max_pool_3x3", 2)]  # node 3: both from 2 -> second to 1
        + [("dil_conv_3x3", 1), ("avg_pool_3x3", 1)]  # node 4: tie 0 / 2 -> lower, 0
        + [("sep_conv_3x3", 4), ("skip_connect", 4)]  # node 5: both from 4 -> second to 3
    )
    genotype = DartsGenotype(cell, cell)
    assert darts.has_duplicate_inputs(genotype)
    repaired = darts.repair_duplicate_inputs(genotype)
    assert [source for _, source in repaired.normal] == [0, 1, 2, 1, 1, 0, 4, 3]
    assert [op for op, _ in repaired.normal] == [op for op, _ in cell]
    assert repaired.reduce == repaired.normal
    assert not darts.has_duplicate_inputs(repaired)


@settings(max_examples=150, deadline=None)
@given(genotypes)
def test_repair_properties(genotype: DartsGenotype) -> None:
    repaired = darts.repair_duplicate_inputs(genotype)
    assert not darts.has_duplicate_inputs(repaired)
    assert darts.repair_duplicate_inputs(repaired) == repaired
    for before, after in zip(genotype.cells(), repaired.cells(), strict=True):
        assert [op for op, _ in before] == [op for op, _ in after]
        assert [source for _, source in before[::2]] == [source for _, source in after[::2]]
    if not darts.has_duplicate_inputs(genotype):
        assert repaired == genotype


# -- validation -------------------------------------------------------------------------------
GOOD_CELL = [("sep_conv_3x3", 0), ("sep_conv_5x5", 1)] * 4
GOOD_KEY = DartsGenotype(GOOD_CELL, GOOD_CELL).key
GOOD_COMPACT = DartsGenotype(GOOD_CELL, GOOD_CELL).to_compact_string()


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (lambda: DartsGenotype(GOOD_CELL[:7] + [("conv_7x7", 1)], GOOD_CELL), "conv_7x7"),
        (lambda: DartsGenotype(GOOD_CELL[:7] + [("none", 1)], GOOD_CELL), "'none'"),
        (lambda: darts.canonical_key(GOOD_KEY.replace("sep_conv_5x5", "sep_conv_9x9")), "9x9"),
        (lambda: DartsGenotype([("sep_conv_3x3", 2)] + GOOD_CELL[1:], GOOD_CELL), "got 2"),
        (lambda: DartsGenotype(GOOD_CELL, GOOD_CELL[:6] + [("skip_connect", 5)] * 2), "got 5"),
        (lambda: DartsGenotype(GOOD_CELL, GOOD_CELL[:6] + [("skip_connect", -1)] * 2), "got -1"),
        (lambda: DartsGenotype(GOOD_CELL[:7], GOOD_CELL), "got 7"),
        (lambda: DartsGenotype(GOOD_CELL, GOOD_CELL + GOOD_CELL[:1]), "got 9"),
        (lambda: darts.canonical_key(GOOD_KEY.replace(";", ",")), GOOD_KEY.replace(";", ",")),
        (lambda: darts.canonical_key(GOOD_KEY.replace("~0", "-0", 1)), "sep_conv_3x3-0"),
        (lambda: darts.canonical_key("normal=;reduce="), "normal=;reduce="),
        (lambda: darts.canonical_key("gibberish"), "gibberish"),
        (lambda: darts.key_from_naslib(GOOD_COMPACT.replace("(1, 4)", "(1, 7)", 1)), "7"),
        (lambda: darts.key_from_naslib(GOOD_COMPACT.replace("(1, 4)", "(3, 4)", 1)), "got 3"),
        (lambda: darts.key_from_naslib(GOOD_COMPACT[:-1]), "missing"),
        (lambda: darts.key_from_naslib(GOOD_COMPACT.replace("(0, 3)", "(0, x)", 1)), "'x'"),
        (lambda: darts.key_from_naslib(GOOD_COMPACT.replace("(0, 3)", "(0, 3, 1)", 1)), "2 cells"),
        (lambda: darts.key_from_naslib("[[(0, 0)], [(0, 0)]]"), "[[(0, 0)], [(0, 0)]]"),
        (lambda: darts.key_from_naslib(GOOD_COMPACT + " 1"), "one bracketed list"),
        (
            lambda: darts.canonical_key(
                DartsGenotype(GOOD_CELL, GOOD_CELL)
                .to_genotype_string()
                .replace("reduce_concat=[2, 3, 4, 5]", "reduce_concat=[4, 5]")
            ),
            "[4, 5]",
        ),
        (lambda: darts.canonical_key("Genotype(normal=[])"), "Genotype(normal=[])"),
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
        darts.canonical_key(None)  # type: ignore[arg-type]
    with pytest.raises(ArchitectureError):
        DartsGenotype.from_string(42)  # type: ignore[arg-type]


# -- sampling ---------------------------------------------------------------------------------
def test_sample_keys() -> None:
    keys = darts.sample_keys(100, seed=7)
    assert keys == darts.sample_keys(100, seed=7)
    assert keys != darts.sample_keys(100, seed=8)
    assert len(set(keys)) == 100
    assert all(darts.canonical_key(key) == key for key in keys)
    # Uniform inputs: node 2 has 2 choices per pair, so about half of those nodes duplicate.
    duplicates = sum(darts.parse(key).normal[0][1] == darts.parse(key).normal[1][1] for key in keys)
    assert 30 <= duplicates <= 70
    distinct = darts.sample_keys(100, seed=7, distinct_inputs=True)
    assert not any(darts.has_duplicate_inputs(darts.parse(key)) for key in distinct)
    ops = Counter(op for key in keys for op, _ in darts.parse(key).normal)
    assert set(ops) == set(OPS)


# -- real data --------------------------------------------------------------------------------
def test_suite_zero_keys(real_data_dir) -> None:
    with open(real_data_dir / "suite_zero" / "zc_nasbench301.json") as f:
        naslib_keys = list(json.load(f)["cifar10"])
    assert len(naslib_keys) == 725
    keys = [darts.key_from_naslib(text) for text in naslib_keys]
    assert len(set(keys)) == 725
    for text, key in zip(naslib_keys, keys, strict=True):
        genotype = darts.parse(key)
        assert genotype.to_compact_string() == text  # exactly the file's own spelling
        assert not darts.has_duplicate_inputs(genotype)  # NB301 cells: distinct inputs
    assert len({darts.iso_key(key) for key in keys}) == 725
