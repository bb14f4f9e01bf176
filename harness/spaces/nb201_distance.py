"""Distances between NAS-Bench-201 cells: RD-NAS's group distance and the plain Hamming count.

RD-NAS (Dong et al., 2023) samples pairs of subnets whose *group distance* exceeds a
margin, so the ranking loss sees pairs that differ enough to be ordered reliably. Ops fall
in groups; per edge the cost is 0 for the same op, 0.5 for two different ops of one group
and 2 for ops of different groups; the distance of two cells is the sum over the six edges.
The groups are the parametric ops {nor_conv_1x1, nor_conv_3x3} and the parameter-free ops
{skip_connect, avg_pool_3x3}.

`none` is not in RD-NAS's 4-op supernet, so its authors never priced it. Here `none` is a
group of its own: it costs 2 against every other op (it removes the edge, a larger change
than any swap inside a group) and 0 against itself. Distances between cells without
`none` are RD-NAS's exactly. Over uniform 4-op pairs the mean distance is 6.75 (RD-NAS's
margin 6.7 sits at the mean); over uniform 5-op pairs it is 8.16.

Both the search harness (margin pairs for the pairwise accuracy) and the RD-NAS margin
sampler use this module, so the two agree on what "distant" means.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from harness.errors import ArchitectureError
from harness.spaces.nb201 import EDGES, OPS, NB201Arch

#: Op -> group. RD-NAS's two groups, plus `none` alone (see the module docstring).
OP_GROUPS: dict[str, str] = {
    "nor_conv_1x1": "parametric",
    "nor_conv_3x3": "parametric",
    "skip_connect": "parameter_free",
    "avg_pool_3x3": "parameter_free",
    "none": "none",
}
SAME_OP_COST = 0.0
SAME_GROUP_COST = 0.5
CROSS_GROUP_COST = 2.0
#: RD-NAS's margin for its NB201 "adaptive" pair sampler (it also tried 5 and 11).
RDNAS_MARGIN = 6.7


def edge_cost(first: str, second: str) -> float:
    """The cost of one edge carrying op `first` in one cell and `second` in the other."""
    for op in (first, second):
        if op not in OP_GROUPS:
            raise ArchitectureError(f"unknown NB201 op {op!r} (known: {', '.join(OPS)})")
    if first == second:
        return SAME_OP_COST
    if OP_GROUPS[first] == OP_GROUPS[second]:
        return SAME_GROUP_COST
    return CROSS_GROUP_COST


#: COST_MATRIX[i, j] = edge_cost(OPS[i], OPS[j]), for vectorised distances over op indices.
COST_MATRIX: np.ndarray = np.array([[edge_cost(a, b) for b in OPS] for a in OPS])
COST_MATRIX.setflags(write=False)


def _ops(arch: str | NB201Arch) -> tuple[str, ...]:
    return (arch if isinstance(arch, NB201Arch) else NB201Arch.from_string(arch)).ops


def group_distance(first: str | NB201Arch, second: str | NB201Arch) -> float:
    """RD-NAS's group distance between two cells (keys or `NB201Arch` values)."""
    return float(sum(edge_cost(a, b) for a, b in zip(_ops(first), _ops(second), strict=True)))


def hamming_distance(first: str | NB201Arch, second: str | NB201Arch) -> int:
    """How many of the six edges carry different ops."""
    return sum(a != b for a, b in zip(_ops(first), _ops(second), strict=True))


def op_index_matrix(archs: Sequence[str | NB201Arch]) -> np.ndarray:
    """An (n, 6) integer array of op indices into `OPS`, one row per cell, edges in key order."""
    rows = [[OPS.index(op) for op in _ops(arch)] for arch in archs]
    return np.asarray(rows, dtype=np.intp).reshape(len(rows), len(EDGES))


def group_distances(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Row-wise group distances of two (n, 6) op-index arrays (see `op_index_matrix`)."""
    first, second = np.asarray(first), np.asarray(second)
    if first.shape != second.shape or first.ndim != 2 or first.shape[1] != len(EDGES):
        raise ValueError(
            f"expected two (n, {len(EDGES)}) op-index arrays, got {first.shape} and {second.shape}"
        )
    return COST_MATRIX[first, second].sum(axis=1)
