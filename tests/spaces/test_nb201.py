"""NAS-Bench-201 space: encodings round-trip, isomorphism classes, paths, errors, real data."""

from __future__ import annotations

import json
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.errors import ArchitectureError
from harness.spaces import get_space, nb201
from harness.spaces.nb201 import EDGES, OPS, NB201Arch

cells = st.tuples(*[st.sampled_from(OPS)] * len(EDGES)).map(NB201Arch)


@settings(max_examples=200, deadline=None)
@given(cells)
def test_string_round_trip(arch: NB201Arch) -> None:
    text = arch.to_string()
    assert NB201Arch.from_string(text) == arch
    assert nb201.canonical_key(text) == text
    assert nb201.parse(text) == arch


@settings(max_examples=200, deadline=None)
@given(cells)
def test_naslib_tuple_round_trip(arch: NB201Arch) -> None:
    indices = arch.to_naslib_tuple()
    assert NB201Arch.from_naslib_tuple(indices) == arch
    text = str(indices)  # the Suite-Zero key form, e.g. "(0, 2, 3, 2, 3, 1)"
    assert NB201Arch.from_naslib_tuple(text) == arch
    assert nb201.key_from_naslib(text) == arch.key


@settings(max_examples=200, deadline=None)
@given(cells, st.permutations(OPS))
def test_indices_round_trip(arch: NB201Arch, op_order: list[str]) -> None:
    assert NB201Arch.from_indices(arch.to_indices()) == arch
    assert NB201Arch.from_indices(arch.to_indices(op_order), op_order) == arch


def test_naslib_tuple_by_hand() -> None:
    # NASLib edge order 0>1, 0>2, 0>3, 1>2, 1>3, 2>3; ops [skip, none, conv3, conv1, avg].
    arch = NB201Arch.from_naslib_tuple("(0, 2, 3, 2, 3, 1)")
    assert arch.to_string() == (
        "|skip_connect~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|nor_conv_1x1~1|none~2|"
    )
    assert arch.edge_op(0, 3) == "nor_conv_1x1"
    assert arch.edge_op(1, 2) == "nor_conv_3x3"


def test_space_front_door() -> None:
    assert get_space("nb201") is nb201
    assert nb201.NAME == "nb201"


# -- isomorphism and paths ----------------------------------------------------------------
def test_iso_classes_of_the_whole_space() -> None:
    archs = list(nb201.enumerate_archs())
    assert len(archs) == 15_625
    assert len(set(archs)) == 15_625
    assert len({arch.iso_key() for arch in archs}) == 6_466


def _has_path_by_matrix(arch: NB201Arch) -> bool:
    adjacency = np.zeros((4, 4), dtype=int)
    for (source, target), op in zip(EDGES, arch.ops, strict=True):
        adjacency[source, target] = op != "none"
    reach = np.linalg.matrix_power(np.eye(4, dtype=int) + adjacency, 3)
    return bool(reach[0, 3])


def test_cells_without_path() -> None:
    archs = list(nb201.enumerate_archs())
    no_path = [arch for arch in archs if not arch.has_path()]
    assert len(no_path) == 341
    assert all(arch.has_path() == _has_path_by_matrix(arch) for arch in archs)
    # Cells in one iso class agree on having a path (the key is finer than "outputs zero",
    # as the docstring of `iso_key` explains, so no-path cells span several classes).
    path_by_class: dict[str, set[bool]] = defaultdict(set)
    for arch in archs:
        path_by_class[arch.iso_key()].add(arch.has_path())
    assert all(len(values) == 1 for values in path_by_class.values())


@pytest.mark.parametrize(
    ("text", "has_path"),
    [
        ("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", False),
        ("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|nor_conv_3x3~2|", False),
        ("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|avg_pool_3x3~1|none~2|", True),
        ("|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|", True),
        ("|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|nor_conv_1x1~2|", True),
    ],
)
def test_has_path_examples(text: str, has_path: bool) -> None:
    assert NB201Arch.from_string(text).has_path() is has_path


def test_iso_examples() -> None:
    # A skip edge is transparent: conv after a skip equals the conv straight from the input.
    a = "|skip_connect~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|none~2|"
    b = "|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|"
    assert nb201.iso_key(a) == nb201.iso_key(b)
    # Branches that never reach the output do not matter.
    c = "|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|none~1|none~2|"
    d = "|avg_pool_3x3~0|+|skip_connect~0|nor_conv_3x3~1|+|skip_connect~0|none~1|none~2|"
    assert nb201.iso_key(c) == nb201.iso_key(d)
    # An edge out of a dead node is irrelevant.
    e = "|none~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|none~0|none~1|skip_connect~2|"
    f = "|none~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|none~1|skip_connect~2|"
    assert nb201.iso_key(e) == nb201.iso_key(f)
    # Genuinely different cells (one op changed).
    assert nb201.iso_key(a) != nb201.iso_key(a.replace("nor_conv_3x3", "nor_conv_1x1"))
    assert nb201.iso_key(e) != nb201.iso_key(e.replace("nor_conv_3x3", "avg_pool_3x3"))
    # The benchmark's convention (which defines the 6,466 classes) keeps these two apart
    # although nodes 1 and 2 merely exchange roles: a skip copies a node's sum unbracketed,
    # so the output's sorted terms flatten differently.
    g = "|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|none~0|skip_connect~1|skip_connect~2|"
    h = "|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|none~0|skip_connect~1|skip_connect~2|"
    assert nb201.iso_key(g) != nb201.iso_key(h)


# -- errors ---------------------------------------------------------------------------------
GOOD = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|"
    "+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
)


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (lambda: nb201.canonical_key(GOOD.replace("avg_pool_3x3", "conv_9x9")), "conv_9x9"),
        (lambda: NB201Arch(("none",) * 5), "5"),
        (lambda: NB201Arch(("none",) * 6 + ("conv_9x9",)), "7"),
        (lambda: nb201.canonical_key("not an arch"), "not an arch"),
        (lambda: nb201.canonical_key("|none~0|+|none~0|none~1|"), "|none~0|+|none~0|none~1|"),
        (lambda: nb201.canonical_key(GOOD.replace("|skip_connect~0|", "|skip_connect~0||")), "||"),
        (lambda: nb201.canonical_key(GOOD.replace("avg_pool_3x3~1", "avg_pool_3x3~0")), "~0"),
        (lambda: nb201.canonical_key(GOOD.replace("~2|", "~3|")), "~3"),
        (lambda: nb201.canonical_key("|none~0|+|none~0|+|none~0|none~1|none~2|"), "node 2"),
        (lambda: nb201.key_from_naslib("(0, 2, 3, 2, 3)"), "(0, 2, 3, 2, 3)"),
        (lambda: nb201.key_from_naslib("(0, 2, 3, 2, 3, 5)"), "5"),
        (lambda: nb201.key_from_naslib("[0, 2, 3, 2, 3, 1]"), "[0, 2, 3, 2, 3, 1]"),
    ],
)
def test_bad_inputs(make, named: str) -> None:
    with pytest.raises(ArchitectureError) as info:
        make()
    message = str(info.value)
    assert "\n" not in message
    assert named in message


def test_sample_keys() -> None:
    keys = nb201.sample_keys(50, seed=3)
    assert keys == nb201.sample_keys(50, seed=3)
    assert keys != nb201.sample_keys(50, seed=4)
    assert len(set(keys)) == 50
    assert all(nb201.canonical_key(key) == key for key in keys)
    with pytest.raises(ArchitectureError):
        nb201.sample_keys(15_626, seed=0)


# -- real data ------------------------------------------------------------------------------
def test_suite_zero_keys_are_benchmark_strings(real_data_dir) -> None:
    table = pd.read_csv(real_data_dir / "nb201" / "nats_tss_test_accuracy.csv")
    strings = set(table["ArchitectureString"])
    assert len(strings) == 15_625
    with open(real_data_dir / "suite_zero" / "zc_nasbench201.json") as f:
        suite = json.load(f)
    naslib_keys = {key for records in suite.values() for key in records}
    assert len(naslib_keys) >= 700
    assert all(nb201.key_from_naslib(key) in strings for key in naslib_keys)


def test_unique_string_column_matches_iso_key(real_data_dir) -> None:
    table = pd.read_csv(real_data_dir / "nb201" / "nats_tss_test_accuracy.csv")
    iso = table["ArchitectureString"].map(nb201.iso_key)
    groups_by_iso: dict[str, set[str]] = defaultdict(set)
    groups_by_unique: dict[str, set[str]] = defaultdict(set)
    for arch, iso_class, unique in zip(
        table["ArchitectureString"], iso, table["UniqueString"], strict=True
    ):
        groups_by_iso[iso_class].add(arch)
        groups_by_unique[unique].add(arch)
    assert len(groups_by_iso) == len(groups_by_unique) == 6_466
    assert {frozenset(g) for g in groups_by_iso.values()} == {
        frozenset(g) for g in groups_by_unique.values()
    }
