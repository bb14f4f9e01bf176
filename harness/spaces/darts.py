"""DARTS / NAS-Bench-301 cell space: genotype value, encodings, validation, isomorphism, sampling.

A genotype has a normal and a reduction cell. Each cell has two input nodes (0 and 1: the
outputs of the two previous cells) and four intermediate nodes 2..5; pairs 2k and 2k+1 of
the cell's eight `(op, input)` pairs feed node k + 2, which may read any node before it.
The cell's output concatenates nodes 2..5. `none` is not an op of this space.

Encodings:

- canonical key: `normal=op~in,...;reduce=op~in,...`, eight pairs per cell in genotype
  order (nothing reordered, so every encoding round-trips through it exactly);
- NASLib compact (the Suite-Zero JSON keys): `[[(input, op_index), ...8], [...8]]` with
  op indices into `OPS`;
- the DARTS `Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], ...)`
  string.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from harness.errors import ArchitectureError

NAME = "darts"

#: NASLib's op order: compact op index i means OPS[i].
OPS: tuple[str, ...] = (
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
CELL_TYPES: tuple[str, ...] = ("normal", "reduce")
NUM_INPUT_NODES = 2
NUM_INTERMEDIATE_NODES = 4
PAIRS_PER_CELL = 2 * NUM_INTERMEDIATE_NODES
#: Nodes concatenated into the cell output (all intermediate nodes).
CONCAT: tuple[int, ...] = tuple(range(NUM_INPUT_NODES, NUM_INPUT_NODES + NUM_INTERMEDIATE_NODES))

Pair = tuple[str, int]
Cell = tuple[Pair, ...]


def node_of_pair(k: int) -> int:
    """The intermediate node that pair k of a cell feeds."""
    return k // 2 + NUM_INPUT_NODES


def _validated_cell(cell_type: str, pairs: Sequence[Sequence[object]]) -> Cell:
    if isinstance(pairs, str) or not isinstance(pairs, Sequence):
        raise ArchitectureError(
            f"DARTS {cell_type} cell must be a sequence of (op, input) pairs, got {pairs!r}"
        )
    if len(pairs) != PAIRS_PER_CELL:
        raise ArchitectureError(
            f"DARTS {cell_type} cell needs {PAIRS_PER_CELL} (op, input) pairs, got {len(pairs)}"
        )
    out = []
    for k, pair in enumerate(pairs):
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ArchitectureError(
                f"DARTS {cell_type} cell pair {k} must be (op, input), got {pair!r}"
            )
        op, source = pair
        if op not in OPS:
            hint = " ('none' is not an op of this space)" if op == "none" else ""
            raise ArchitectureError(
                f"unknown DARTS op {op!r} in {cell_type} cell pair {k}{hint} "
                f"(known: {', '.join(OPS)})"
            )
        node = node_of_pair(k)
        if isinstance(source, bool) or not isinstance(source, int) or not 0 <= source < node:
            raise ArchitectureError(
                f"DARTS {cell_type} cell pair {k} feeds node {node}, so its input must be in "
                f"0..{node - 1}, got {source!r}"
            )
        out.append((op, source))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class DartsGenotype:
    """A DARTS genotype: normal and reduce cells of eight `(op, input)` pairs each."""

    normal: Cell
    reduce: Cell

    def __post_init__(self) -> None:
        # Accept lists (as DARTS code writes them) but store hashable tuples.
        object.__setattr__(self, "normal", _validated_cell("normal", self.normal))
        object.__setattr__(self, "reduce", _validated_cell("reduce", self.reduce))

    def cells(self) -> tuple[Cell, Cell]:
        return (self.normal, self.reduce)

    # -- canonical key -------------------------------------------------------------
    @classmethod
    def from_string(cls, text: str) -> DartsGenotype:
        """Parse the canonical key `normal=op~in,...;reduce=op~in,...`."""
        if not isinstance(text, str):
            raise ArchitectureError(f"DARTS key must be text, got {type(text).__name__}")
        match = _KEY_RE.fullmatch(text.strip())
        if match is None:
            raise ArchitectureError(
                f"malformed DARTS key {text!r}: expected 'normal=op~in,...;reduce=op~in,...'"
            )
        cells = []
        for cell_type in CELL_TYPES:
            pairs = []
            for entry in match[cell_type].split(","):
                pair = _KEY_PAIR_RE.fullmatch(entry.strip())
                if pair is None:
                    raise ArchitectureError(
                        f"malformed DARTS key {text!r}: bad {cell_type} entry {entry!r} "
                        "(expected op~input)"
                    )
                pairs.append((pair[1], int(pair[2])))
            cells.append(pairs)
        return cls(*cells)

    def to_string(self) -> str:
        return ";".join(
            f"{cell_type}=" + ",".join(f"{op}~{source}" for op, source in cell)
            for cell_type, cell in zip(CELL_TYPES, self.cells(), strict=True)
        )

    @property
    def key(self) -> str:
        return self.to_string()

    def __str__(self) -> str:
        return self.to_string()

    # -- NASLib compact ------------------------------------------------------------
    @classmethod
    def from_compact(cls, compact: str | Sequence[Sequence[Sequence[int]]]) -> DartsGenotype:
        """NASLib's compact encoding: two cells of eight `(input_node, op_index)` pairs."""
        value = _parse_int_nesting(compact) if isinstance(compact, str) else compact
        shape_error = ArchitectureError(
            f"NASLib DARTS compact encoding must be 2 cells of {PAIRS_PER_CELL} "
            f"(input, op_index) pairs, got {compact!r}"
        )
        if not _is_sequence(value) or len(value) != len(CELL_TYPES):
            raise shape_error
        cells = []
        for cell_type, cell in zip(CELL_TYPES, value, strict=True):
            if not _is_sequence(cell) or len(cell) != PAIRS_PER_CELL:
                raise shape_error
            pairs = []
            for pair in cell:
                if not _is_sequence(pair) or len(pair) != 2:
                    raise shape_error
                source, op_index = pair
                if isinstance(op_index, bool) or not isinstance(op_index, int):
                    raise shape_error
                if not 0 <= op_index < len(OPS):
                    raise ArchitectureError(
                        f"NASLib DARTS op index {op_index} in {cell_type} cell out of range "
                        f"0..{len(OPS) - 1}: {compact!r}"
                    )
                pairs.append((OPS[op_index], source))
            cells.append(pairs)
        return cls(*cells)

    def to_compact(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        return tuple(tuple((source, OPS.index(op)) for op, source in cell) for cell in self.cells())

    def to_compact_string(self) -> str:
        """The compact encoding written as the Suite-Zero JSON keys write it."""
        return (
            "["
            + ", ".join(
                "[" + ", ".join(f"({source}, {op})" for source, op in cell) + "]"
                for cell in self.to_compact()
            )
            + "]"
        )

    # -- DARTS Genotype string -----------------------------------------------------
    @classmethod
    def from_genotype_string(cls, text: str) -> DartsGenotype:
        """Parse `Genotype(normal=[('op', in), ...], normal_concat=..., reduce=..., ...)`."""
        match = _GENOTYPE_RE.fullmatch(text.strip())
        if match is None:
            raise ArchitectureError(f"malformed DARTS Genotype string {text!r}")
        for cell_type in CELL_TYPES:
            concat = _parse_concat(match[f"{cell_type}_concat"])
            if concat != CONCAT:
                raise ArchitectureError(
                    f"DARTS Genotype {cell_type}_concat must be nodes {list(CONCAT)} in this "
                    f"space, got {match[f'{cell_type}_concat']!r}"
                )
        cells = []
        for cell_type in CELL_TYPES:
            body = match[cell_type]
            if not _GENOTYPE_PAIRS_RE.fullmatch(body):
                raise ArchitectureError(
                    f"malformed DARTS Genotype string {text!r}: bad {cell_type} list"
                )
            cells.append([(op, int(src)) for op, src in _GENOTYPE_PAIR_RE.findall(body)])
        return cls(*cells)

    def to_genotype_string(self) -> str:
        concat = list(CONCAT)
        return (
            f"Genotype(normal={list(self.normal)!r}, normal_concat={concat!r}, "
            f"reduce={list(self.reduce)!r}, reduce_concat={concat!r})"
        )

    # -- structure -----------------------------------------------------------------
    def iso_key(self) -> str:
        """A key shared by genotypes that differ only by relabellings computing the same cell.

        Covered, per cell independently: swapping the two inputs of a node (the node sums
        them), and renumbering the intermediate nodes 2..5 in any way that keeps every input
        coming from a lower-numbered node (the output concatenates all four nodes, so only
        the channel order of the concatenation changes, which the next cell's 1x1
        preprocessing absorbs). Nodes 0 and 1 keep their roles.
        Not covered: different ops or wirings that happen to compute equal values (e.g.
        two identical nodes), and the normal and reduce cells are never exchanged.

        The result is the canonical key of one member of the class: per cell, the
        renumbering whose nodes, each with its pairs sorted by (input, op index), give the
        lexicographically smallest list (an exact canonical form: at most 4! renumberings).
        """
        return DartsGenotype(*(_canonical_cell(cell) for cell in self.cells())).to_string()


def _canonical_cell(cell: Cell) -> Cell:
    first = NUM_INPUT_NODES
    intermediates = range(first, first + NUM_INTERMEDIATE_NODES)
    nodes = [cell[2 * i : 2 * i + 2] for i in range(NUM_INTERMEDIATE_NODES)]
    best: tuple[tuple[tuple[int, int], ...], ...] | None = None
    for perm in itertools.permutations(intermediates):
        relabel = {0: 0, 1: 1, **dict(zip(intermediates, perm, strict=True))}
        renumbered: list[tuple[tuple[int, int], ...]] = [()] * NUM_INTERMEDIATE_NODES
        valid = True
        for old, pairs in enumerate(nodes, start=first):
            new = relabel[old]
            mapped = [(relabel[source], OPS.index(op)) for op, source in pairs]
            if any(source >= new for source, _ in mapped):
                valid = False
                break
            renumbered[new - first] = tuple(sorted(mapped))
        if valid and (best is None or tuple(renumbered) < best):
            best = tuple(renumbered)
    assert best is not None  # the identity renumbering is always valid
    return tuple((OPS[op], source) for node in best for source, op in node)


def has_duplicate_inputs(genotype: DartsGenotype) -> bool:
    """True when some node takes both of its inputs from the same predecessor.

    Valid in this space (RelativeNAS produces such cells), but DARTS-style derivation and
    NAS-Bench-301's training data always pick two distinct predecessors.
    """
    return any(
        cell[2 * i][1] == cell[2 * i + 1][1]
        for cell in genotype.cells()
        for i in range(NUM_INTERMEDIATE_NODES)
    )


def repair_duplicate_inputs(genotype: DartsGenotype) -> DartsGenotype:
    """Move the second input of every duplicate-input node to the nearest other predecessor.

    Nearest by node number; a tie goes to the lower-numbered node. Ops and all other pairs
    stay as they are, so a genotype without duplicates comes back unchanged.
    """
    repaired = []
    for cell in genotype.cells():
        pairs = list(cell)
        for i in range(NUM_INTERMEDIATE_NODES):
            (_, first_source), (op, second_source) = pairs[2 * i], pairs[2 * i + 1]
            if first_source == second_source:
                node = node_of_pair(2 * i)
                candidates = [s for s in range(node) if s != first_source]
                nearest = min(candidates, key=lambda s: (abs(s - first_source), s))
                pairs[2 * i + 1] = (op, nearest)
        repaired.append(pairs)
    return DartsGenotype(*repaired)


# -- parsing helpers ---------------------------------------------------------------------
_KEY_RE = re.compile(r"normal=(?P<normal>[^;=]*);reduce=(?P<reduce>[^;=]*)")
_KEY_PAIR_RE = re.compile(r"([a-z0-9_]+)~(\d+)")
_GENOTYPE_RE = re.compile(
    r"Genotype\(\s*normal\s*=\s*\[(?P<normal>[^\]]*)\]\s*,"
    r"\s*normal_concat\s*=\s*(?P<normal_concat>range\([^)]*\)|\[[^\]]*\])\s*,"
    r"\s*reduce\s*=\s*\[(?P<reduce>[^\]]*)\]\s*,"
    r"\s*reduce_concat\s*=\s*(?P<reduce_concat>range\([^)]*\)|\[[^\]]*\])\s*\)"
)
_GENOTYPE_PAIR = r"\(\s*['\"](\w+)['\"]\s*,\s*(\d+)\s*\)"
_GENOTYPE_PAIR_RE = re.compile(_GENOTYPE_PAIR)
_GENOTYPE_PAIRS_RE = re.compile(rf"\s*{_GENOTYPE_PAIR}(?:\s*,\s*{_GENOTYPE_PAIR})*\s*,?\s*")
_TOKEN_RE = re.compile(r"\d+|\S")


def _is_sequence(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _parse_concat(text: str) -> tuple[int, ...]:
    numbers = [int(t) for t in re.findall(r"\d+", text)]
    if text.startswith("range"):
        if len(numbers) != 2:
            raise ArchitectureError(f"malformed DARTS Genotype concat {text!r}")
        return tuple(range(*numbers))
    return tuple(numbers)


def _parse_int_nesting(text: str) -> list[object]:
    """Parse nested `[...]` / `(...)` lists of non-negative integers, nothing else."""
    tokens = _TOKEN_RE.findall(text)
    position = 0

    def fail(reason: str) -> ArchitectureError:
        return ArchitectureError(f"malformed NASLib DARTS compact encoding {text!r}: {reason}")

    def value() -> object:
        nonlocal position
        if position >= len(tokens):
            raise fail("unexpected end")
        token = tokens[position]
        position += 1
        if token.isdigit():
            return int(token)
        closer = {"[": "]", "(": ")"}.get(token)
        if closer is None:
            raise fail(f"unexpected {token!r}")
        items: list[object] = []
        while position < len(tokens) and tokens[position] != closer:
            items.append(value())
            if position < len(tokens) and tokens[position] == ",":
                position += 1
            elif position < len(tokens) and tokens[position] != closer:
                raise fail(f"expected ',' or {closer!r}, got {tokens[position]!r}")
        if position >= len(tokens):
            raise fail(f"missing {closer!r}")
        position += 1
        return items

    result = value()
    if position != len(tokens) or not isinstance(result, list):
        raise fail("expected one bracketed list")
    return result


# -- module-level contract ----------------------------------------------------------------
def parse(key: str) -> DartsGenotype:
    """The genotype of a canonical key."""
    return DartsGenotype.from_string(key)


def from_text(text: str) -> DartsGenotype:
    """A genotype from any accepted form: canonical key, NASLib compact, Genotype string."""
    if not isinstance(text, str):
        raise ArchitectureError(f"DARTS architecture text must be text, got {type(text).__name__}")
    stripped = text.strip()
    if stripped.startswith("Genotype"):
        return DartsGenotype.from_genotype_string(stripped)
    if stripped.startswith(("[", "(")):
        return DartsGenotype.from_compact(stripped)
    return DartsGenotype.from_string(stripped)


def canonical_key(text: str) -> str:
    """Validate any accepted form (see `from_text`) and return the canonical key."""
    return from_text(text).to_string()


def iso_key(key: str) -> str:
    return parse(key).iso_key()


def key_from_naslib(text: str) -> str:
    """Canonical key of a NASLib compact string such as the Suite-Zero NB301 keys."""
    return DartsGenotype.from_compact(text).to_string()


def sample_keys(n: int, seed: int, distinct_inputs: bool = False) -> list[str]:
    """n distinct uniformly random genotypes, deterministic in `seed`.

    Every pair draws its op and its input uniformly, so duplicate-input nodes occur; with
    `distinct_inputs=True` each node instead draws two different predecessors, as DARTS and
    NAS-Bench-301 cells have.
    """
    # deferred: pulls in numpy
    import numpy as np

    if n < 0:
        raise ArchitectureError(f"cannot sample {n} DARTS genotypes")
    rng = np.random.default_rng(seed)
    keys: list[str] = []
    seen: set[str] = set()
    while len(keys) < n:
        cells = []
        for _ in CELL_TYPES:
            pairs = []
            for i in range(NUM_INTERMEDIATE_NODES):
                node = NUM_INPUT_NODES + i
                if distinct_inputs:
                    sources = rng.choice(node, size=2, replace=False).tolist()
                else:
                    sources = rng.integers(0, node, size=2).tolist()
                ops = rng.integers(0, len(OPS), size=2).tolist()
                pairs += [(OPS[op], source) for op, source in zip(ops, sources, strict=True)]
            cells.append(pairs)
        key = DartsGenotype(*cells).to_string()
        if key not in seen:
            seen.add(key)
            keys.append(key)
    return keys


# -- the architectures `harness check` scores ------------------------------------------

_FREE = frozenset({"parameter_free"})


def _check_key(op: str) -> str:
    cell = ",".join(f"{op}~{source}" for source in (0, 1) * 4)
    return f"normal={cell};reduce={cell}"


#: What `harness check` scores in this space: (role, label, key, failure conditions met);
#: role is "typical" (the determinism, needs and permutation checks run on it),
#: "smallest", "largest" or "degenerate"; the conditions are names of
#: `harness.proxies.base.FAILURE_CONDITIONS` ("no_path", "parameter_free").
CHECK_ARCHS: list[tuple[str, str, str, frozenset[str]]] = [
    # DARTS-V2 (Liu et al. 2019)
    (
        "typical",
        "darts-v2",
        "normal=sep_conv_3x3~0,sep_conv_3x3~1,sep_conv_3x3~0,sep_conv_3x3~1,sep_conv_3x3~1,"
        "skip_connect~0,skip_connect~0,dil_conv_3x3~2;reduce=max_pool_3x3~0,max_pool_3x3~1,"
        "skip_connect~2,max_pool_3x3~1,max_pool_3x3~0,skip_connect~2,skip_connect~2,"
        "max_pool_3x3~1",
        frozenset(),
    ),  # fmt: skip
    ("smallest", "all-max-pool", _check_key("max_pool_3x3"), _FREE),
    ("largest", "all-sep-conv5x5", _check_key("sep_conv_5x5"), frozenset()),
    ("degenerate", "all-skip", _check_key("skip_connect"), _FREE),
]
