"""Continuous encodings of architectures: box-bounded real vectors that decode to keys.

RelativeNAS moves real vectors; an architecture is what a vector decodes to. Each gene is
a real number in [0, k] that picks one of k choices by `floor`; the upper bound itself
(exactly k) maps to the last choice, so every choice owns an interval of width 1 and a
vector drawn uniformly in the box picks every choice with equal probability. (The
reference code also sends any exact interior integer one choice down; such points have
probability zero and are not reproduced.)

- `NB201Encoding`: 6 genes, one op per edge in key order, over the 5 ops or the 4 without
  `none` (RD-NAS's supernet space);
- `DartsEncoding`: 32 genes, per cell (normal, then reduce), per intermediate node j
  (0..3), per input (2): a source gene in [0, 2 + j] (the node's predecessors) and an op
  gene in [0, 7], in that order, as RelativeNAS lays them out. A node may take both
  inputs from the same predecessor; `duplicate_policy="repair"` moves the second input to
  the nearest other predecessor (`harness.spaces.darts.repair_duplicate_inputs`), `"allow"`
  keeps such cells and `flagged(key)` marks them (NAS-Bench-301's surrogate never saw one).

Encodings also give what the baselines need: a uniform random architecture and a
one-change mutation.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Protocol

import numpy as np

from harness.errors import ConfigError
from harness.spaces import darts, nb201

#: NB201 op sets by name: all five ops, or the four of RD-NAS's supernet.
NB201_OP_SETS: dict[str, tuple[str, ...]] = {
    "all": nb201.OPS,
    "no_none": nb201.OPS_WITHOUT_NONE,
}
DUPLICATE_POLICIES: tuple[str, ...] = ("repair", "allow")


class ContinuousEncoding(Protocol):
    """A search space as a box of real vectors, with the baselines' discrete moves."""

    space: str
    lower: np.ndarray
    upper: np.ndarray

    def decode(self, vector: np.ndarray) -> str: ...

    def encode(self, key: str) -> np.ndarray: ...

    def random_key(self, rng: np.random.Generator) -> str: ...

    def mutate(self, key: str, rng: np.random.Generator) -> str: ...

    def flagged(self, key: str) -> bool: ...


def decode_genes(vector: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Choice indices of genes in [0, upper]: floor, with the upper bound on the last choice."""
    vector = np.asarray(vector, dtype=float)
    if vector.shape != upper.shape:
        raise ValueError(f"expected a vector of {upper.size} genes, got shape {vector.shape}")
    if not np.all(np.isfinite(vector)) or np.any(vector < 0) or np.any(vector > upper):
        raise ValueError("vector lies outside the encoding's bounds")
    return np.minimum(np.floor(vector), upper - 1).astype(np.intp)


def uniform_vectors(encoding: ContinuousEncoding, n: int, rng: np.random.Generator) -> np.ndarray:
    """n vectors drawn uniformly in the encoding's box (rows)."""
    lower, upper = encoding.lower, encoding.upper
    return lower + (upper - lower) * rng.random((n, lower.size))


class NB201Encoding:
    """Six genes, one per edge in key order, each in [0, number of ops]."""

    space = nb201.NAME

    def __init__(self, ops: str = "all") -> None:
        if ops not in NB201_OP_SETS:
            raise ConfigError(
                f"unknown NB201 op set {ops!r} (known: {', '.join(sorted(NB201_OP_SETS))})"
            )
        self.op_set = ops
        self.ops = NB201_OP_SETS[ops]
        self.lower = np.zeros(len(nb201.EDGES))
        self.upper = np.full(len(nb201.EDGES), float(len(self.ops)))
        self._key = functools.lru_cache(maxsize=None)(self._key_of_indices)

    def _key_of_indices(self, indices: tuple[int, ...]) -> str:
        return nb201.NB201Arch.from_indices(indices, self.ops).to_string()

    def decode(self, vector: np.ndarray) -> str:
        return self._key(tuple(decode_genes(vector, self.upper).tolist()))

    def encode(self, key: str) -> np.ndarray:
        """The centre of the box cell that decodes to `key`."""
        arch = nb201.NB201Arch.from_string(key)
        missing = [op for op in arch.ops if op not in self.ops]
        if missing:
            raise ConfigError(f"{key!r} uses {missing[0]!r}, not in NB201 op set {self.op_set!r}")
        return np.asarray(arch.to_indices(self.ops), dtype=float) + 0.5

    def random_key(self, rng: np.random.Generator) -> str:
        return self.decode(uniform_vectors(self, 1, rng)[0])

    def mutate(self, key: str, rng: np.random.Generator) -> str:
        """One edge, drawn uniformly, gets a different op, drawn uniformly."""
        indices = list(nb201.NB201Arch.from_string(key).to_indices(self.ops))
        edge = int(rng.integers(len(indices)))
        shift = int(rng.integers(1, len(self.ops)))
        indices[edge] = (indices[edge] + shift) % len(self.ops)
        return self._key(tuple(indices))

    def flagged(self, key: str) -> bool:
        return False

    def architectures(self) -> Iterator[str]:
        """Every architecture of the encoded space."""
        return (arch.to_string() for arch in nb201.enumerate_archs(self.ops))

    def __repr__(self) -> str:
        return f"NB201Encoding(ops={self.op_set!r})"


def _darts_uppers() -> np.ndarray:
    uppers = []
    for _ in darts.CELL_TYPES:
        for node in range(darts.NUM_INTERMEDIATE_NODES):
            for _ in range(2):
                uppers += [darts.NUM_INPUT_NODES + node, len(darts.OPS)]
    return np.asarray(uppers, dtype=float)


class DartsEncoding:
    """32 genes: (source, op) for each of the 2 x 4 x 2 inputs of the two cells."""

    space = darts.NAME

    def __init__(self, duplicate_policy: str = "repair") -> None:
        if duplicate_policy not in DUPLICATE_POLICIES:
            raise ConfigError(
                f"unknown duplicate_policy {duplicate_policy!r} "
                f"(known: {', '.join(DUPLICATE_POLICIES)})"
            )
        self.duplicate_policy = duplicate_policy
        self.upper = _darts_uppers()
        self.lower = np.zeros_like(self.upper)

    def _finish(self, genotype: darts.DartsGenotype) -> str:
        if self.duplicate_policy == "repair":
            genotype = darts.repair_duplicate_inputs(genotype)
        return genotype.to_string()

    def decode(self, vector: np.ndarray) -> str:
        genes = decode_genes(vector, self.upper).reshape(len(darts.CELL_TYPES), -1, 2)
        cells = [[(darts.OPS[op], int(source)) for source, op in cell] for cell in genes]
        return self._finish(darts.DartsGenotype(*cells))

    def encode(self, key: str) -> np.ndarray:
        """The centre of the box cell that decodes to `key` (before any repair)."""
        genotype = darts.parse(key)
        genes = [
            value
            for cell in genotype.cells()
            for op, source in cell
            for value in (source, darts.OPS.index(op))
        ]
        return np.asarray(genes, dtype=float) + 0.5

    def random_key(self, rng: np.random.Generator) -> str:
        return self.decode(uniform_vectors(self, 1, rng)[0])

    def mutate(self, key: str, rng: np.random.Generator) -> str:
        """One input of one node, drawn uniformly, changes its op or its source (a coin
        decides) to a different value, drawn uniformly; then the duplicate policy applies."""
        cells = [list(cell) for cell in darts.parse(key).cells()]
        cell = cells[int(rng.integers(len(cells)))]
        k = int(rng.integers(len(cell)))
        op, source = cell[k]
        node = darts.node_of_pair(k)
        if rng.random() < 0.5:
            shift = int(rng.integers(1, len(darts.OPS)))
            op = darts.OPS[(darts.OPS.index(op) + shift) % len(darts.OPS)]
        else:
            source = (source + int(rng.integers(1, node))) % node
        cell[k] = (op, source)
        return self._finish(darts.DartsGenotype(*cells))

    def flagged(self, key: str) -> bool:
        """True for a cell with a duplicate-input node (off NAS-Bench-301's distribution)."""
        return darts.has_duplicate_inputs(darts.parse(key))

    def __repr__(self) -> str:
        return f"DartsEncoding(duplicate_policy={self.duplicate_policy!r})"


def get_encoding(
    space: str, *, ops: str = "all", duplicate_policy: str = "repair"
) -> ContinuousEncoding:
    """The encoding of `space` ("nb201" or "darts"); `ops` and `duplicate_policy` as above."""
    if space == nb201.NAME:
        return NB201Encoding(ops)
    if space == darts.NAME:
        return DartsEncoding(duplicate_policy)
    raise ConfigError(f"no continuous encoding for space {space!r} (known: nb201, darts)")
