"""GRAF-style graph features of a NAS-Bench-201 cell, for learned predictors.

GRAF (Kadlecová et al., "Surprisingly Strong Performance Prediction with Neural Graph
Features", ICML 2024) describes a cell by simple counts over its graph. Written here from
the definitions of its NB201 feature set (zc_combine's `features/nasbench201.py` and
`configs/nb201_full.json`, MIT), for every one of the 30 non-empty proper subsets S of the
five operations:

- `op_count/{op}`: edges carrying `op` (5 features, no subset);
- `min_path/{S}`: edges on the shortest input -> output path avoiding every operation of S
  (5 when no path does: one more than the node count, as GRAF's `max_val`);
- `max_on_path/{S}`: the most edges of S on one input -> output path (GRAF takes the path
  of least (edges outside S) - (edges in S); ours is the exact maximum);
- `in_degree/{S}`, `out_degree/{S}`, `mean_degree/{S}`: edges of S leaving the input node,
  entering the output node, and per node (GRAF's `avg_in`, equal to its `avg_out`).

155 features; every path counts every edge of the cell, `none` ones included, as GRAF's
graph does. All are computed from the canonical key alone: no proxy, no training.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import cache

import numpy as np

from harness.errors import ConfigError
from harness.spaces import nb201

#: The name a combine config gives the feature set (`combine.features = ["graf", "*"]`).
FEATURE_SET = "graf"
#: Feature names start with this (and never name a proxy).
PREFIX = f"{FEATURE_SET}/"
#: The input -> output paths of the cell, as positions in the key's edge order.
_PATHS: tuple[tuple[int, ...], ...] = tuple(
    tuple(nb201.EDGES.index(edge) for edge in zip(nodes, nodes[1:], strict=False))
    for nodes in ((0, 3), (0, 1, 3), (0, 2, 3), (0, 1, 2, 3))
)
_INPUT, _OUTPUT = 0, nb201.NUM_NODES - 1
#: The 30 non-empty proper subsets of the operations, by size, then in `OPS` order.
SUBSETS: tuple[frozenset[str], ...] = tuple(
    frozenset(c) for n in range(1, len(nb201.OPS)) for c in itertools.combinations(nb201.OPS, n)
)
#: `min_path` of a cell whose every path passes an avoided operation.
NO_PATH = nb201.NUM_NODES + 1


def _subset_name(subset: frozenset[str]) -> str:
    return "+".join(op for op in nb201.OPS if op in subset)


FEATURE_NAMES: tuple[str, ...] = (
    *(f"{PREFIX}op_count/{op}" for op in nb201.OPS),
    *(
        f"{PREFIX}{kind}/{_subset_name(s)}"
        for kind in ("min_path", "max_on_path", "in_degree", "out_degree", "mean_degree")
        for s in SUBSETS
    ),
)


@cache
def graf_features(key: str) -> tuple[float, ...]:
    """The features of the cell `key` (a canonical NB201 key), in `FEATURE_NAMES` order."""
    ops = nb201.parse(key).ops
    counts = [float(ops.count(op)) for op in nb201.OPS]
    min_path, max_on_path, in_degree, out_degree, mean_degree = [], [], [], [], []
    for subset in SUBSETS:
        inside = [op in subset for op in ops]
        open_paths = [len(p) for p in _PATHS if not any(inside[e] for e in p)]
        min_path.append(float(min(open_paths, default=NO_PATH)))
        max_on_path.append(float(max(sum(inside[e] for e in p) for p in _PATHS)))
        edges = [edge for edge, chosen in zip(nb201.EDGES, inside, strict=True) if chosen]
        in_degree.append(float(sum(1 for source, _ in edges if source == _INPUT)))
        out_degree.append(float(sum(1 for _, target in edges if target == _OUTPUT)))
        mean_degree.append(len(edges) / nb201.NUM_NODES)
    return (*counts, *min_path, *max_on_path, *in_degree, *out_degree, *mean_degree)


def graf_matrix(space: str, archs: Sequence[str]) -> dict[str, np.ndarray]:
    """Every GRAF feature of `archs` (canonical keys of `space`), by feature name."""
    if space != nb201.NAME:
        raise ConfigError(
            f"the {FEATURE_SET} feature set is defined for the {nb201.NAME} space, not {space!r}"
        )
    matrix = np.array([graf_features(a) for a in archs], dtype=float).reshape(
        -1, len(FEATURE_NAMES)
    )
    return {name: matrix[:, i] for i, name in enumerate(FEATURE_NAMES)}
