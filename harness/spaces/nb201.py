"""NAS-Bench-201 cell space: value type, encodings, validation, isomorphism, enumeration.

A cell has 4 nodes and 6 edges; node 0 is the input, node 3 the output, and each
edge j -> i (j < i) carries one of five operations. The benchmark's string lists,
for i = 1, 2, 3, a `+`-separated group of `|op~j|` entries, so the edge order is
0->1, 0->2, 1->2, 0->3, 1->3, 2->3. That string is the canonical key.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from harness.errors import ArchitectureError

OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
OPS_WITHOUT_NONE: tuple[str, ...] = OPS[1:]
#: Edges (source, target) in the order of the benchmark string.
EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
NUM_NODES = 4

#: NASLib's op indices and edge order (0->1, 0->2, 0->3, 1->2, 1->3, 2->3).
NASLIB_OPS: tuple[str, ...] = (
    "skip_connect",
    "none",
    "nor_conv_3x3",
    "nor_conv_1x1",
    "avg_pool_3x3",
)
#: naslib_tuple[NASLIB_TO_STRING[k]] is the op of the k-th edge in string order.
NASLIB_TO_STRING: tuple[int, ...] = (0, 1, 3, 2, 4, 5)

_GROUP_RE = re.compile(r"^\|(?:[^|~+]+~\d+\|)+$")


@dataclass(frozen=True, slots=True)
class NB201Arch:
    """One NAS-Bench-201 cell: six ops in benchmark-string edge order."""

    ops: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.ops) != len(EDGES):
            raise ArchitectureError(
                f"NB201 cell needs {len(EDGES)} edge ops, got {len(self.ops)}: {self.ops!r}"
            )
        for op in self.ops:
            if op not in OPS:
                raise ArchitectureError(f"unknown NB201 op {op!r} (known: {', '.join(OPS)})")

    # -- encodings ---------------------------------------------------------------
    @classmethod
    def from_string(cls, text: str) -> NB201Arch:
        """Parse the benchmark string `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`."""
        if not isinstance(text, str):
            raise ArchitectureError(f"NB201 arch string must be text, got {type(text).__name__}")
        s = text.strip()
        groups = s.split("+")
        if len(groups) != NUM_NODES - 1:
            raise ArchitectureError(
                f"malformed NB201 arch string {text!r}: expected {NUM_NODES - 1} '+'-separated "
                f"node groups, got {len(groups)}"
            )
        ops: list[str] = []
        for target, group in enumerate(groups, start=1):
            if not _GROUP_RE.match(group):
                raise ArchitectureError(
                    f"malformed NB201 arch string {text!r}: bad group {group!r}"
                )
            entries = group.strip("|").split("|")
            if len(entries) != target:
                raise ArchitectureError(
                    f"malformed NB201 arch string {text!r}: node {target} needs {target} incoming "
                    f"edges, got {len(entries)}"
                )
            for source, entry in enumerate(entries):
                op, _, src = entry.partition("~")
                if int(src) != source:
                    raise ArchitectureError(
                        f"malformed NB201 arch string {text!r}: edge {entry!r} into node {target} "
                        f"should come from node {source}"
                    )
                ops.append(op)
        return cls(tuple(ops))

    def to_string(self) -> str:
        """The benchmark string, which is also the canonical key."""
        parts = []
        k = 0
        for target in range(1, NUM_NODES):
            entries = []
            for source in range(target):
                entries.append(f"{self.ops[k]}~{source}")
                k += 1
            parts.append("|" + "|".join(entries) + "|")
        return "+".join(parts)

    @property
    def key(self) -> str:
        return self.to_string()

    @classmethod
    def from_naslib_tuple(cls, indices: Sequence[int] | str) -> NB201Arch:
        """NASLib's op-index tuple, e.g. `(0, 2, 3, 2, 3, 1)` (a string form is accepted)."""
        if isinstance(indices, str):
            text = indices.strip()
            if not re.fullmatch(r"\(\s*\d+(\s*,\s*\d+)*\s*,?\s*\)", text):
                raise ArchitectureError(f"malformed NASLib NB201 tuple {indices!r}")
            idx = [int(t) for t in text.strip("()").split(",") if t.strip()]
        else:
            idx = list(indices)
        # Messages quote `indices` as the caller gave it, so the user sees their own text.
        if len(idx) != len(EDGES):
            raise ArchitectureError(
                f"NASLib NB201 tuple needs {len(EDGES)} op indices, got {len(idx)}: {indices!r}"
            )
        for i in idx:
            if not isinstance(i, int) or not 0 <= i < len(NASLIB_OPS):
                raise ArchitectureError(
                    f"NASLib NB201 op index {i!r} out of range 0..{len(NASLIB_OPS) - 1} "
                    f"in {indices!r}"
                )
        return cls(tuple(NASLIB_OPS[idx[NASLIB_TO_STRING[k]]] for k in range(len(EDGES))))

    def to_naslib_tuple(self) -> tuple[int, ...]:
        out = [0] * len(EDGES)
        for k, op in enumerate(self.ops):
            out[NASLIB_TO_STRING[k]] = NASLIB_OPS.index(op)
        return tuple(out)

    @classmethod
    def from_indices(cls, indices: Sequence[int], ops: Sequence[str] = OPS) -> NB201Arch:
        """Op indices into `ops` (default `OPS`), in string edge order."""
        return cls(tuple(ops[i] for i in indices))

    def to_indices(self, ops: Sequence[str] = OPS) -> tuple[int, ...]:
        return tuple(ops.index(op) for op in self.ops)

    # -- structure ---------------------------------------------------------------
    def edge_op(self, source: int, target: int) -> str:
        return self.ops[EDGES.index((source, target))]

    def has_path(self) -> bool:
        """True when some chain of non-`none` edges links the input to the output."""
        reached = {0}
        for source, target in EDGES:  # sorted by target, so one sweep suffices
            if source in reached and self.edge_op(source, target) != "none":
                reached.add(target)
        return NUM_NODES - 1 in reached

    def iso_key(self) -> str:
        """The benchmark's isomorphism key: cells that share it compute the same function.

        This follows NAS-Bench-201's own convention (xautodl `to_unique_str` with
        `consider_zero=True`), which defines the 6,466 unique cells of the
        15,625-cell space: a `none` edge, or any edge out of a node that is zero,
        contributes a zero term `#`; a skip contributes its source's expression; any
        other op wraps it as `(src)@op`; each node is its sorted terms joined by `+`.
        Zero terms are kept, so the key is a little finer than full functional
        equality (which would give fewer classes); 6,466 is the count the
        literature uses.
        """
        nodes: dict[int, str] = {0: "0"}
        for target in range(1, NUM_NODES):
            terms = []
            for source in range(target):
                op = self.edge_op(source, target)
                if op == "none" or nodes[source] == "#":
                    terms.append("#")
                elif op == "skip_connect":
                    terms.append(nodes[source])
                else:
                    terms.append(f"({nodes[source]})@{op}")
            nodes[target] = "+".join(sorted(terms))
        return nodes[NUM_NODES - 1]

    def __str__(self) -> str:
        return self.to_string()


def parse(key: str) -> NB201Arch:
    """Parse a canonical key (the benchmark string)."""
    return NB201Arch.from_string(key)


def canonical_key(text: str) -> str:
    """Validate and normalise a benchmark string."""
    return NB201Arch.from_string(text).to_string()


def iso_key(key: str) -> str:
    return NB201Arch.from_string(key).iso_key()


def enumerate_archs(ops: Sequence[str] = OPS) -> Iterator[NB201Arch]:
    """Every cell over `ops` (len(ops) ** 6 of them), in lexicographic op-index order.

    This is not the benchmark's own index order, which comes from its meta file.
    """
    for combo in itertools.product(range(len(ops)), repeat=len(EDGES)):
        yield NB201Arch(tuple(ops[i] for i in combo))


NAME = "nb201"


def key_from_naslib(text: str) -> str:
    """Canonical key of a NASLib op-index tuple string such as `"(0, 2, 3, 2, 3, 1)"`."""
    return NB201Arch.from_naslib_tuple(text).to_string()


def sample_keys(n: int, seed: int, ops: Sequence[str] = OPS) -> list[str]:
    """n distinct random cells over `ops`, deterministic in `seed`."""
    # deferred: pulls in numpy
    import numpy as np

    total = len(ops) ** len(EDGES)
    if not 0 <= n <= total:
        raise ArchitectureError(f"cannot sample {n} distinct NB201 cells from {total}")
    rng = np.random.default_rng(seed)
    codes = rng.choice(total, size=n, replace=False)
    keys = []
    for code in codes.tolist():
        digits = []
        for _ in EDGES:
            code, d = divmod(code, len(ops))
            digits.append(d)
        keys.append(NB201Arch.from_indices(digits, ops).to_string())
    return keys


# -- the architectures `harness check` scores ------------------------------------------

_NO_PATH = frozenset({"no_path"})
_FREE = frozenset({"parameter_free"})


def _check_key(ops: list[str]) -> str:
    # edge order of the string: 0->1 | 0->2, 1->2 | 0->3, 1->3, 2->3
    return "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|".format(*ops)


#: What `harness check` scores in this space: (role, label, key, failure conditions met);
#: role is "typical" (the determinism, needs and permutation checks run on it),
#: "smallest", "largest" or "degenerate"; the conditions are names of
#: `harness.proxies.base.FAILURE_CONDITIONS` ("no_path", "parameter_free").
CHECK_ARCHS: list[tuple[str, str, str, frozenset[str]]] = [
    # the ResNet-like cell
    (
        "typical",
        "resnet-like",
        _check_key(
            [
                "nor_conv_3x3",
                "nor_conv_3x3",
                "avg_pool_3x3",
                "skip_connect",
                "nor_conv_3x3",
                "skip_connect",
            ]
        ),
        frozenset(),
    ),  # fmt: skip
    (
        "smallest",
        "one-conv1x1",
        _check_key(["none"] * 3 + ["nor_conv_1x1"] + ["none"] * 2),
        frozenset(),
    ),  # fmt: skip
    ("largest", "all-conv3x3", _check_key(["nor_conv_3x3"] * 6), frozenset()),
    ("degenerate", "all-none", _check_key(["none"] * 6), _NO_PATH | _FREE),
    # convolutions, but no chain of non-none edges from the input to the output
    (
        "degenerate",
        "no-path",
        _check_key(["nor_conv_3x3", "none", "nor_conv_3x3", "none", "none", "none"]),
        _NO_PATH,
    ),
    ("degenerate", "all-skip", _check_key(["skip_connect"] * 6), _FREE),
]
