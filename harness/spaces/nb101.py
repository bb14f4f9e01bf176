"""NAS-Bench-101 cell space: spec value, encodings, validation, pruning, isomorphism, sampling.

A spec is an upper-triangular 0/1 adjacency matrix over at most 7 vertices plus one op
per vertex: vertex 0 is `input`, the last vertex `output`, the others one of `OPS`.
As in NAS-Bench-101, vertices not on some input -> output path are pruned away, and a
spec is valid when the input reaches the output and the pruned graph has at most 9 edges
(the benchmark checks the edge limit after pruning, so a 7x7 matrix with more edges in
dangling parts is valid, as many Suite-Zero keys are).

Canonical key: the pruned spec with its intermediate vertices renumbered by the
topological order that gives the smallest encoding (intermediate ops by their index in
`OPS`, then the upper triangle of the matrix row by row), written as

    ops=input,conv3x3-bn-relu,maxpool3x3,output;edges=0>1,0>2,1>3,2>3

(ops in vertex order; edges `source>target`, sorted). Isomorphic specs share it, so for
this space `iso_key(key) == key`.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.errors import ArchitectureError

if TYPE_CHECKING:
    from nasbench_pytorch.model import ModelSpec

NAME = "nb101"

INPUT = "input"
OUTPUT = "output"
#: Ops allowed on intermediate vertices (NAS-Bench-101's `available_ops` order).
OPS: tuple[str, ...] = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
#: Op order of the op indices in NASLib / Suite-Zero NB101 keys.
NASLIB_OPS: tuple[str, ...] = (INPUT, OUTPUT, "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu")
MAX_VERTICES = 7
MAX_EDGES = 9
#: Number of distinct (non-isomorphic) valid specs, as reported by NAS-Bench-101.
NUM_UNIQUE_SPECS = 423_624

Matrix = tuple[tuple[int, ...], ...]


@dataclass(frozen=True, slots=True)
class NB101Spec:
    """One valid NAS-Bench-101 cell, as given (not pruned, not canonicalised).

    `pruned()` and `canonical()` give the derived specs; `key` is the canonical key.
    """

    matrix: Matrix
    ops: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "matrix", _validated_matrix(self.matrix))
        object.__setattr__(self, "ops", tuple(self.ops))
        n = len(self.matrix)
        if len(self.ops) != n:
            raise ArchitectureError(
                f"NB101 spec has a {n}x{n} matrix but {len(self.ops)} ops: {list(self.ops)!r}"
            )
        if self.ops[0] != INPUT or self.ops[-1] != OUTPUT:
            raise ArchitectureError(
                f"NB101 ops must start with {INPUT!r} and end with {OUTPUT!r}: {list(self.ops)!r}"
            )
        for op in self.ops[1:-1]:
            if op not in OPS:
                raise ArchitectureError(
                    f"unknown NB101 op {op!r} (allowed inside a cell: {', '.join(OPS)})"
                )
        kept = _vertices_on_paths(self.matrix)
        if n - 1 not in kept:
            raise ArchitectureError(f"NB101 spec {self.to_string()!r}: input does not reach output")
        edges = sum(self.matrix[u][v] for u in kept for v in kept)
        if edges > MAX_EDGES:
            raise ArchitectureError(
                f"NB101 spec {self.to_string()!r} has {edges} edges after pruning "
                f"(at most {MAX_EDGES})"
            )

    @property
    def num_vertices(self) -> int:
        return len(self.matrix)

    @property
    def edges(self) -> tuple[tuple[int, int], ...]:
        n = len(self.matrix)
        return tuple((u, v) for u in range(n) for v in range(u + 1, n) if self.matrix[u][v])

    # -- derived specs ---------------------------------------------------------------
    def pruned(self) -> NB101Spec:
        """Drop vertices not on an input -> output path (NAS-Bench-101's pruning)."""
        kept = sorted(_vertices_on_paths(self.matrix))
        return NB101Spec(
            tuple(tuple(self.matrix[u][v] for v in kept) for u in kept),
            tuple(self.ops[v] for v in kept),
        )

    def canonical(self) -> NB101Spec:
        """The pruned spec in canonical vertex order (shared by all isomorphic specs)."""
        spec = self.pruned()
        n = spec.num_vertices
        edges = spec.edges
        best: tuple[tuple[int, ...], tuple[int, ...]] | None = None
        best_order: tuple[int, ...] = tuple(range(n))
        for middle in itertools.permutations(range(1, n - 1)):
            order = (0, *middle, n - 1)
            position = {vertex: i for i, vertex in enumerate(order)}
            if any(position[u] >= position[v] for u, v in edges):
                continue
            op_codes = tuple(OPS.index(spec.ops[v]) for v in middle)
            bits = tuple(spec.matrix[order[i]][order[j]] for i in range(n) for j in range(i + 1, n))
            if best is None or (op_codes, bits) < best:
                best, best_order = (op_codes, bits), order
        return NB101Spec(
            tuple(tuple(spec.matrix[u][v] for v in best_order) for u in best_order),
            tuple(spec.ops[v] for v in best_order),
        )

    @property
    def key(self) -> str:
        """The canonical key: isomorphic specs, pruned or not, share it."""
        return self.canonical().to_string()

    def iso_key(self) -> str:
        return self.key

    # -- key-format text ---------------------------------------------------------------
    def to_string(self) -> str:
        """This spec, as given, in the key format (the canonical key only if canonical)."""
        edges = ",".join(f"{u}>{v}" for u, v in self.edges)
        return f"ops={','.join(self.ops)};edges={edges}"

    @classmethod
    def from_string(cls, text: str) -> NB101Spec:
        """Parse the key format `ops=input,...,output;edges=0>1,...` (any edge order)."""
        if not isinstance(text, str):
            raise ArchitectureError(f"NB101 key must be text, got {type(text).__name__}")
        match = _KEY_RE.fullmatch(text.strip())
        if match is None:
            raise ArchitectureError(
                f"malformed NB101 key {text!r}: expected 'ops=input,...,output;edges=0>1,...'"
            )
        ops = [op.strip() for op in match["ops"].split(",")]
        n = len(ops)
        if not 2 <= n <= MAX_VERTICES:
            raise ArchitectureError(f"NB101 key {text!r} has {n} vertices (need 2..{MAX_VERTICES})")
        matrix = [[0] * n for _ in range(n)]
        edge_text = match["edges"].strip()
        for entry in edge_text.split(",") if edge_text else []:
            edge = _EDGE_RE.fullmatch(entry.strip())
            if edge is None:
                raise ArchitectureError(
                    f"malformed NB101 key {text!r}: bad edge {entry!r} (expected source>target)"
                )
            u, v = int(edge[1]), int(edge[2])
            if not u < v < n:
                raise ArchitectureError(
                    f"NB101 key {text!r}: edge {entry!r} must go from a lower to a higher "
                    f"vertex among 0..{n - 1}"
                )
            if matrix[u][v]:
                raise ArchitectureError(f"NB101 key {text!r}: edge {entry!r} appears twice")
            matrix[u][v] = 1
        return cls(tuple(map(tuple, matrix)), tuple(ops))

    # -- NASLib / Suite-Zero -------------------------------------------------------------
    @classmethod
    def from_naslib(cls, text: str | Sequence[int]) -> NB101Spec:
        """NASLib's flat tuple: the n x n matrix row-major, then n indices into `NASLIB_OPS`.

        Suite-Zero keys have n = 7; any n in 2..7 is accepted.
        """
        if isinstance(text, str):
            stripped = text.strip()
            if not _NASLIB_RE.fullmatch(stripped):
                raise ArchitectureError(f"malformed NASLib NB101 tuple {_short(text)!r}")
            values = [int(t) for t in stripped.strip("()").split(",") if t.strip()]
        else:
            values = [operator.index(v) for v in text]
        sizes = [n for n in range(2, MAX_VERTICES + 1) if n * n + n == len(values)]
        if not sizes:
            raise ArchitectureError(
                f"NASLib NB101 tuple has {len(values)} numbers; expected n*n + n for n in "
                f"2..{MAX_VERTICES} (56 for 7 vertices): {_short(text)!r}"
            )
        n = sizes[0]
        flat, op_indices = values[: n * n], values[n * n :]
        for index in op_indices:
            if not 0 <= index < len(NASLIB_OPS):
                raise ArchitectureError(
                    f"NASLib NB101 op index {index} out of range 0..{len(NASLIB_OPS) - 1}: "
                    f"{_short(text)!r}"
                )
        matrix = tuple(tuple(flat[i * n : (i + 1) * n]) for i in range(n))
        return cls(matrix, tuple(NASLIB_OPS[i] for i in op_indices))

    def to_naslib(self) -> tuple[int, ...]:
        """This spec, as given, as NASLib's flat tuple (not padded to 7 vertices)."""
        flat = tuple(x for row in self.matrix for x in row)
        return flat + tuple(NASLIB_OPS.index(op) for op in self.ops)

    # -- network ----------------------------------------------------------------------
    def to_model_spec(self) -> ModelSpec:
        """`nasbench_pytorch`'s ModelSpec of this spec (imports torch).

        ModelSpec prunes again (to the same graph); it is handed the pruned spec because
        its own pruning crashes on disconnected graphs instead of marking them invalid.
        """
        # deferred: pulls in numpy, and torch through nasbench_pytorch
        import numpy as np
        from nasbench_pytorch.model import ModelSpec

        spec = self.pruned()
        return ModelSpec(np.array(spec.matrix), list(spec.ops))

    def __str__(self) -> str:
        return self.to_string()


def _validated_matrix(matrix: object) -> Matrix:
    try:
        rows = tuple(tuple(operator.index(x) for x in row) for row in matrix)  # type: ignore[attr-defined]
    except TypeError:
        raise ArchitectureError(
            f"NB101 matrix must be a square 0/1 integer matrix, got {_short(matrix)!r}"
        ) from None
    n = len(rows)
    if any(len(row) != n for row in rows):
        raise ArchitectureError(f"NB101 matrix must be square, got {_short(rows)!r}")
    if not 2 <= n <= MAX_VERTICES:
        raise ArchitectureError(f"NB101 matrix has {n} vertices (need 2..{MAX_VERTICES})")
    for u, row in enumerate(rows):
        for v, x in enumerate(row):
            if x not in (0, 1):
                raise ArchitectureError(f"NB101 matrix entry [{u}][{v}] is {x}, not 0 or 1")
            if x and v <= u:
                raise ArchitectureError(
                    f"NB101 matrix must be strictly upper-triangular: entry [{u}][{v}] is 1"
                )
    return rows


def _vertices_on_paths(matrix: Matrix) -> set[int]:
    """Vertices reachable from the input and reaching the output (empty if disconnected)."""
    n = len(matrix)
    from_input = {0}
    for v in range(1, n):  # upper-triangular, so one forward sweep suffices
        if any(matrix[u][v] for u in from_input):
            from_input.add(v)
    to_output = {n - 1}
    for u in range(n - 2, -1, -1):
        if any(matrix[u][v] for v in to_output):
            to_output.add(u)
    kept = from_input & to_output
    return kept if n - 1 in kept else set()


def _short(value: object, limit: int = 200) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


_KEY_RE = re.compile(r"ops=(?P<ops>[^;=]*);edges=(?P<edges>[^;=]*)")
_EDGE_RE = re.compile(r"(\d+)>(\d+)")
_NASLIB_RE = re.compile(r"\(\s*\d+(\s*,\s*\d+)*\s*,?\s*\)")


# -- module-level contract ----------------------------------------------------------------
def parse(key: str) -> NB101Spec:
    """The spec written in a key (exactly as written; canonical keys give canonical specs)."""
    return NB101Spec.from_string(key)


def from_text(text: str) -> NB101Spec:
    """A spec from any accepted form: key format, or NASLib's flat tuple `(0, 1, ...)`."""
    if not isinstance(text, str):
        raise ArchitectureError(f"NB101 architecture text must be text, got {type(text).__name__}")
    if text.strip().startswith("("):
        return NB101Spec.from_naslib(text)
    return NB101Spec.from_string(text)


def canonical_key(text: str) -> str:
    """Validate any accepted form (see `from_text`) and return the canonical key."""
    return from_text(text).key


def iso_key(key: str) -> str:
    """The canonical key is already isomorphism-invariant, so this equals `canonical_key`."""
    return canonical_key(key)


def key_from_naslib(text: str) -> str:
    """Canonical key of a NASLib / Suite-Zero NB101 key string."""
    return NB101Spec.from_naslib(text).key


def sample_keys(n: int, seed: int) -> list[str]:
    """n distinct canonical keys of random valid specs, deterministic in `seed`.

    Like NAS-Bench-101's own generator: a 7x7 matrix of fair coin flips kept above the
    diagonal and uniform intermediate ops, redrawn until valid. So the keys are not uniform
    over isomorphism classes: small pruned cells come up more often.
    """
    # deferred: pulls in numpy
    import numpy as np

    if not 0 <= n <= NUM_UNIQUE_SPECS:
        raise ArchitectureError(f"cannot sample {n} distinct NB101 specs from {NUM_UNIQUE_SPECS}")
    rng = np.random.default_rng(seed)
    keys: list[str] = []
    seen: set[str] = set()
    while len(keys) < n:
        matrix = np.triu(rng.integers(0, 2, size=(MAX_VERTICES, MAX_VERTICES)), k=1)
        middle = [OPS[i] for i in rng.integers(0, len(OPS), size=MAX_VERTICES - 2).tolist()]
        try:
            key = NB101Spec(matrix.tolist(), (INPUT, *middle, OUTPUT)).key
        except ArchitectureError:  # disconnected or too many edges: redraw
            continue
        if key not in seen:
            seen.add(key)
            keys.append(key)
    return keys


def key_from_naslib_as_written(text: str) -> str:
    """The NASLib key's spec exactly as written (validated, not pruned or canonicalised).

    For reproducing figures computed per file record, where records of one architecture
    under different unpruned specs count separately.
    """
    return NB101Spec.from_naslib(text).to_string()


# -- the architectures `harness check` scores ------------------------------------------

_FREE = frozenset({"parameter_free"})


#: What `harness check` scores in this space: (role, label, key, failure conditions met);
#: role is "typical" (the determinism, needs and permutation checks run on it),
#: "smallest", "largest" or "degenerate"; the conditions are names of
#: `harness.proxies.base.FAILURE_CONDITIONS` ("no_path", "parameter_free").
CHECK_ARCHS: list[tuple[str, str, str, frozenset[str]]] = [
    (
        "typical",
        "five-vertex",
        "ops=input,conv3x3-bn-relu,conv1x1-bn-relu,maxpool3x3,output;edges=0>1,0>2,1>3,2>4,3>4",
        frozenset(),
    ),  # fmt: skip
    ("smallest", "input-output", "ops=input,output;edges=0>1", _FREE),
    (
        "largest",
        "all-conv3x3",
        "ops=input," + "conv3x3-bn-relu," * 5 + "output;edges=0>1,1>2,2>3,3>4,4>5,5>6,0>2,0>6,1>6",
        frozenset(),
    ),  # fmt: skip
    (
        "degenerate",
        "all-max-pool",
        "ops=input,maxpool3x3,maxpool3x3,maxpool3x3,output;edges=0>1,1>2,2>3,3>4",
        _FREE,
    ),
]
