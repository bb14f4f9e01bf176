"""Search configuration: TOML file -> `SearchConfig`, with `--set key=value` overrides.

The file's settings are its `[search]` table (or its top level); the nested tables
`[relativenas]`, `[rea]`, `[random]`, `[proxy]` (with `[proxy.input]`) and `[pairwise]`
set the strategies, how proxy estimators score, and the pairwise-accuracy figures.

Estimators are written as specs:

| spec | estimator |
|---|---|
| `oracle` | the target column itself |
| `noisy:SD` | the target + Gaussian noise of SD accuracy points, fixed per (seed, arch) |
| `lowfi` / `lowfi:COLUMN` | the table's 12-epoch twin of the target / a named column |
| `proxy:NAME` | a zero-cost proxy, from the score store, computed on demand |
| `supernet:PATH` | a `harness distill` checkpoint (`run.pt`): held-out subnet accuracy |

A supernet estimator scores a subnet by its held-out accuracy with inherited weights,
evaluated as `harness distill` ranks subnets (`harness.distill.load_supernet_scorer`).

Seeds: the searches use seeds `seed, seed + 1, ..., seed + seeds - 1`. `proxy.seed` is the
*scoring* run seed (initial weights and input batch, as `harness run --seed`), fixed so
that every search seed reads the same stored scores.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.config import InputConfig, Overrides, check_seed, load_config
from harness.errors import ConfigError
from harness.search.baselines import (
    DEFAULT_REA_POPULATION,
    DEFAULT_REA_SAMPLE,
    DEFAULT_STALL_PROPOSALS,
)
from harness.search.encoding import DUPLICATE_POLICIES, NB201_OP_SETS
from harness.search.relativenas import DEFAULT_POPULATION, DEFAULT_STALL_GENERATIONS
from harness.search.strategies import get_strategy
from harness.seeds import seed_range
from harness.spaces.nb201_distance import RDNAS_MARGIN

ESTIMATOR_KINDS: tuple[str, ...] = ("oracle", "noisy", "lowfi", "proxy", "supernet")


@dataclass(frozen=True)
class EstimatorSpec:
    """One parsed estimator spec: kind and argument (see the module docstring)."""

    kind: str
    argument: str = ""

    @classmethod
    def parse(cls, text: str) -> EstimatorSpec:
        kind, _, argument = text.strip().partition(":")
        kind, argument = kind.strip(), argument.strip()
        if kind not in ESTIMATOR_KINDS:
            raise ConfigError(
                f"unknown estimator {text!r} (write oracle, noisy:SD, lowfi[:COLUMN], "
                "proxy:NAME or supernet:PATH)"
            )
        if kind == "oracle" and argument:
            raise ConfigError(f"estimator {text!r}: oracle takes no argument")
        if kind in ("noisy", "proxy", "supernet") and not argument:
            raise ConfigError(f"estimator {text!r}: {kind} needs an argument ({kind}:...)")
        if kind == "noisy":
            try:
                sd = float(argument)
            except ValueError:
                raise ConfigError(f"estimator {text!r}: noise sd must be a number") from None
            if not (math.isfinite(sd) and sd >= 0):
                raise ConfigError(f"estimator {text!r}: noise sd must be finite and >= 0")
        return cls(kind, argument)

    def __str__(self) -> str:
        return f"{self.kind}:{self.argument}" if self.argument else self.kind


@dataclass(frozen=True)
class RelativeNASConfig:
    population: int = DEFAULT_POPULATION
    stall_generations: int = DEFAULT_STALL_GENERATIONS


@dataclass(frozen=True)
class REAConfig:
    population: int = DEFAULT_REA_POPULATION
    sample: int = DEFAULT_REA_SAMPLE
    stall_proposals: int = DEFAULT_STALL_PROPOSALS


@dataclass(frozen=True)
class RandomSearchConfig:
    stall_proposals: int = DEFAULT_STALL_PROPOSALS


@dataclass(frozen=True)
class ProxyScoringConfig:
    """How `proxy:` estimators score: the same settings and keys as `harness run`."""

    #: the scoring run seed (not the search seed)
    seed: int = 0
    device: str = "cpu"
    network_variant: str = "as_trained"
    store: str = "reports/scores.sqlite"
    #: torch threads while scoring (harness run's default 1 keeps scores bit-identical)
    threads: int = 1
    #: proxies computed together whenever an architecture is scored (shared passes), on
    #: top of the estimators' own; lets one-proxy runs fill the store for later ones
    together: tuple[str, ...] = ()
    input: InputConfig = field(default_factory=InputConfig)


@dataclass(frozen=True)
class PairwiseConfig:
    """Pairwise ranking accuracy of each estimator, on pairs of a pool of architectures."""

    enabled: bool = True
    #: the pool: `harness run`'s default sample (200 unique archs, seed 0), so stored
    #: proxy scores are reused
    pool_archs: int = 200
    pool_seed: int = 0
    pool_unique: bool = True
    #: random pairs drawn from the pool (all pool pairs when there are fewer)
    pairs: int = 20000
    #: group-distance margin of the margin pairs (RD-NAS: 6.7)
    margin: float = RDNAS_MARGIN


@dataclass(frozen=True)
class SearchConfig:
    table: str = "nb201-csv"
    #: ground truth ("" = the default target the table declares)
    target: str = ""
    #: options of the table's loader (see harness run's `table_options`)
    table_options: dict[str, Any] = field(default_factory=dict)
    #: NB201 op set: "all" (5 ops) or "no_none" (RD-NAS's 4)
    ops: str = "all"
    #: DARTS: "repair" or "allow" nodes taking both inputs from one predecessor
    duplicate_policy: str = "repair"
    #: estimator calls per search (unique architectures scored)
    budget: int = 1000
    seeds: int = 20
    seed: int = 0
    strategies: tuple[str, ...] = ("relativenas", "rea", "random")
    estimators: tuple[str, ...] = ("oracle",)
    confidence: float = 0.95
    bootstrap_resamples: int = 1000
    relativenas: RelativeNASConfig = field(default_factory=RelativeNASConfig)
    rea: REAConfig = field(default_factory=REAConfig)
    random: RandomSearchConfig = field(default_factory=RandomSearchConfig)
    proxy: ProxyScoringConfig = field(default_factory=ProxyScoringConfig)
    pairwise: PairwiseConfig = field(default_factory=PairwiseConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def estimator_specs(self) -> list[EstimatorSpec]:
        return [EstimatorSpec.parse(text) for text in self.estimators]

    @property
    def seed_list(self) -> tuple[int, ...]:
        """The search seeds: `seed` and the `seeds - 1` after it."""
        return seed_range(self.seed, self.seeds)

    def strategy_options(self, name: str) -> dict[str, Any]:
        """Keyword options of strategy `name` from its settings table."""
        settings = {"relativenas": self.relativenas, "rea": self.rea, "random": self.random}
        return dataclasses.asdict(settings[name])


def load_search_config(
    path: str | Path | None = None, overrides: Overrides | Iterable[str] = ()
) -> SearchConfig:
    """The defaults, updated by the TOML file, then by overrides (dotted keys -> values,
    or `--set` texts `key=value`); validated."""
    config = load_config(SearchConfig(), path, overrides, section="search")
    validate(config)
    return config


def validate(config: SearchConfig) -> None:
    if config.seeds >= 1:
        check_seed("seed", config.seed)
        check_seed("seed + seeds - 1", config.seed + config.seeds - 1)
    for name, value in (
        ("proxy.seed", config.proxy.seed),
        ("pairwise.pool_seed", config.pairwise.pool_seed),
    ):
        check_seed(name, value)
    if config.budget < 1:
        raise ConfigError(f"budget must be >= 1, got {config.budget}")
    if config.seeds < 1:
        raise ConfigError(f"seeds must be >= 1, got {config.seeds}")
    if not config.strategies:
        raise ConfigError("strategies must name at least one of relativenas, rea, random")
    if len(set(config.strategies)) != len(config.strategies):
        raise ConfigError(f"strategies lists a name twice: {', '.join(config.strategies)}")
    for name in config.strategies:
        get_strategy(name)
    if not config.estimators:
        raise ConfigError("estimators must name at least one estimator (e.g. oracle)")
    specs = config.estimator_specs()
    if len({str(s) for s in specs}) != len(specs):
        raise ConfigError(f"estimators lists one twice: {', '.join(config.estimators)}")
    if config.ops not in NB201_OP_SETS:
        raise ConfigError(f"ops must be one of {', '.join(NB201_OP_SETS)}, got {config.ops!r}")
    if config.duplicate_policy not in DUPLICATE_POLICIES:
        raise ConfigError(
            f"duplicate_policy must be one of {', '.join(DUPLICATE_POLICIES)}, "
            f"got {config.duplicate_policy!r}"
        )
    if not 0 < config.confidence < 1:
        raise ConfigError(f"confidence must lie in (0, 1), got {config.confidence}")
    if config.bootstrap_resamples < 1:
        raise ConfigError(f"bootstrap_resamples must be >= 1, got {config.bootstrap_resamples}")
    population = config.relativenas.population
    if population < 2 or population % 2:
        raise ConfigError(f"relativenas.population must be an even number >= 2, got {population}")
    if config.relativenas.stall_generations < 1:
        raise ConfigError("relativenas.stall_generations must be >= 1")
    if config.rea.population < 1 or not 1 <= config.rea.sample <= config.rea.population:
        raise ConfigError(
            f"rea needs population >= 1 and 1 <= sample <= population, got population "
            f"{config.rea.population}, sample {config.rea.sample}"
        )
    if min(config.rea.stall_proposals, config.random.stall_proposals) < 1:
        raise ConfigError("stall_proposals must be >= 1")
    if config.pairwise.pool_archs < 2 or config.pairwise.pairs < 1:
        raise ConfigError("pairwise.pool_archs must be >= 2 and pairwise.pairs >= 1")
    if config.proxy.threads < 1:
        raise ConfigError(f"proxy.threads must be >= 1, got {config.proxy.threads}")
    if config.proxy.input.batch_size < 1:
        raise ConfigError(
            f"proxy.input.batch_size must be >= 1, got {config.proxy.input.batch_size}"
        )
