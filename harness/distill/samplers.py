"""Which subnets a training step trains: one uniform subnet (SPOS) or a pair (RD-NAS).

- `UniformSampler`: single-path one-shot (SPOS): each edge uniform over the space's ops.
- `PairSampler`: a uniform first subnet `a`; the second `b` is drawn uniformly and redrawn
  until it is far enough from `a`:
    * `random`: any `b` (two independent uniform subnets);
    * `hamming`: at least `threshold` edges differ (reference: 4.5, i.e. 5 or 6 edges);
    * `margin`: RD-NAS's group distance (harness.spaces.nb201_distance) reaches the
      margin m (reference 6.7, close to the mean distance of uniform 4-op pairs, so about
      half of the uniform `b` are accepted).
  The reference redraws without a limit (its `max_iter` is never decremented); a
  threshold no pair can reach is refused up front, and `max_draws` guards the loop.

Samplers draw from a numpy Generator the caller seeds, so a training run's subnets are
reproducible (harness.distill.train seeds one per epoch, which makes resuming exact).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.distill.space import NUM_EDGES, Subnet, SubnetSpace
from harness.errors import ConfigError

PAIR_RULES = ("random", "hamming", "margin")
#: Reference thresholds: Hamming 4.5 (PicoNAS `hamming`), group-distance margin 6.7.
DEFAULT_HAMMING = 4.5
DEFAULT_MARGIN = 6.7


def uniform_subnet(space: SubnetSpace, rng: np.random.Generator) -> Subnet:
    return tuple(int(i) for i in rng.integers(0, len(space.ops), size=NUM_EDGES))


@dataclass(frozen=True)
class UniformSampler:
    """SPOS: one uniform subnet per step."""

    space: SubnetSpace

    def sample(self, rng: np.random.Generator) -> tuple[Subnet]:
        return (uniform_subnet(self.space, rng),)


@dataclass(frozen=True)
class PairSampler:
    """A pair (a, b), b redrawn until `distance(a, b) >= threshold` (see the module doc)."""

    space: SubnetSpace
    rule: str = "margin"
    threshold: float = DEFAULT_MARGIN
    max_draws: int = 100_000

    def __post_init__(self) -> None:
        if self.rule not in PAIR_RULES:
            raise ConfigError(
                f"unknown pair sampler {self.rule!r} (known: {', '.join(PAIR_RULES)})"
            )
        reachable = self.max_distance()
        if self.rule != "random" and not self.threshold <= reachable:
            raise ConfigError(
                f"{self.rule} threshold {self.threshold} is above the largest distance "
                f"{reachable:g} of space {self.space.name}: no pair would ever be accepted"
            )

    def max_distance(self) -> float:
        if self.rule == "hamming":
            return float(NUM_EDGES)
        if self.rule == "margin":
            return self.space.max_group_distance()
        return float("inf")

    def distance(self, first: Subnet, second: Subnet) -> float:
        if self.rule == "hamming":
            return float(sum(x != y for x, y in zip(first, second, strict=True)))
        if self.rule == "margin":
            return self.space.group_distance(first, second)
        return 0.0

    def accepts(self, first: Subnet, second: Subnet) -> bool:
        return self.rule == "random" or self.distance(first, second) >= self.threshold

    def sample(self, rng: np.random.Generator) -> tuple[Subnet, Subnet]:
        first = uniform_subnet(self.space, rng)
        for _ in range(self.max_draws):
            second = uniform_subnet(self.space, rng)
            if self.accepts(first, second):
                return first, second
        raise RuntimeError(
            f"{self.rule} sampler found no partner at distance >= {self.threshold} for "
            f"{first} in {self.max_draws} draws"
        )
