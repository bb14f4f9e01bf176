"""The subnet space of the NB201 supernet: which ops each edge chooses from.

RD-NAS's supernet leaves `none` out (4 ops, 4^6 = 4,096 subnets); the full NB201 space
(5 ops, 15,625 subnets) is the other choice. Edge choices are shared by every cell of the
supernet (the reference's `with_alias=True`), so a subnet is exactly one NB201 cell and
its ground truth is the benchmark's row for that cell.

Inside the distill package a subnet is a tuple of six op indices into `SubnetSpace.ops`
(edges in benchmark-string order); `key` / `from_key` convert to and from the canonical
NB201 key the tables and the score store use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from harness.errors import ArchitectureError, ConfigError, UnknownNameError
from harness.spaces import nb201
from harness.spaces.nb201_distance import COST_MATRIX

Subnet = tuple[int, ...]

#: Space name -> the ops each edge chooses from (order fixes the op indices).
SPACES: dict[str, tuple[str, ...]] = {
    "nb201_4op": ("nor_conv_1x1", "nor_conv_3x3", "skip_connect", "avg_pool_3x3"),
    "nb201_5op": nb201.OPS,
}
NUM_EDGES = len(nb201.EDGES)


@dataclass(frozen=True)
class SubnetSpace:
    """The ops of one supernet space and conversions between subnets and NB201 keys."""

    name: str
    ops: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.ops) ** NUM_EDGES

    def key(self, subnet: Sequence[int]) -> str:
        """The canonical NB201 key of a subnet."""
        return nb201.NB201Arch.from_indices(tuple(subnet), self.ops).to_string()

    def from_key(self, key: str) -> Subnet:
        arch = nb201.NB201Arch.from_string(key)
        missing = [op for op in arch.ops if op not in self.ops]
        if missing:
            raise ArchitectureError(f"{key}: op {missing[0]!r} is not in space {self.name}")
        return arch.to_indices(self.ops)

    def all_subnets(self) -> list[Subnet]:
        """Every subnet, in lexicographic op-index order."""
        return [a.to_indices(self.ops) for a in nb201.enumerate_archs(self.ops)]

    def sample_keys(self, n: int, seed: int) -> list[str]:
        """`n` distinct subnets' keys, deterministic in `seed`; n = 0 means all of them."""
        if n == 0:
            return [self.key(s) for s in self.all_subnets()]
        if not 0 < n <= self.size:
            raise ConfigError(f"cannot sample {n} subnets from the {self.size} of {self.name}")
        return nb201.sample_keys(n, seed, self.ops)

    @cached_property
    def group_costs(self) -> np.ndarray:
        """Per-edge group-distance costs between op indices of this space."""
        index = [nb201.OPS.index(op) for op in self.ops]
        return COST_MATRIX[np.ix_(index, index)]

    def group_distance(self, first: Sequence[int], second: Sequence[int]) -> float:
        """RD-NAS's group distance (harness.spaces.nb201_distance) of two subnets."""
        return float(self.group_costs[list(first), list(second)].sum())

    def max_group_distance(self) -> float:
        return float(self.group_costs.max() * NUM_EDGES)


def get_subnet_space(name: str) -> SubnetSpace:
    try:
        return SubnetSpace(name, SPACES[name])
    except KeyError:
        raise UnknownNameError("supernet space", name, list(SPACES)) from None
