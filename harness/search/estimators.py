"""Estimators: what a search asks "how good is this architecture?" and "which of two is better?".

One small interface, `Estimator`: `score(key)` gives a float where higher is better (scores
are oriented here, so a search never needs to know a proxy's sign) and NaN when the
estimator failed on that architecture; `compare(a, b)` says which of two is better and by
default compares scores, a NaN losing to any number. Implementations:

- `TableEstimator`: a column of a benchmark table. `oracle_estimator` is the ground truth
  itself; `low_fidelity_estimator` the table's 12-epoch column (the official NB201 / NATS
  files have one, the CSV export does not);
- `NoisyOracleEstimator`: the ground truth plus Gaussian noise of a chosen standard
  deviation (accuracy points), fixed per (noise seed, architecture), to map "how much
  correlation is enough" onto search quality;
- `ProxyEstimator`: a zero-cost proxy, read from the score store and computed on demand
  (`harness.search.proxy_scores.ProxyScores`);
- `SupernetEstimator`: a trained supernet checkpoint, through a `SupernetLoader` (a callable
  that loads a checkpoint and returns a scorer: arch key -> score).
"""

from __future__ import annotations

import hashlib
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from harness.errors import ConfigError
from harness.tables import BenchmarkTable, parse_target, split_target_name

if TYPE_CHECKING:
    from harness.search.proxy_scores import ProxyScores

#: The training length of the official NB201 / NATS low-fidelity results.
LOW_FIDELITY_EPOCHS = "12"


def compare_scores(first: float, second: float) -> int:
    """1 if `first` is better, -1 if `second` is, 0 for a tie; NaN loses to any number."""
    first_bad, second_bad = math.isnan(first), math.isnan(second)
    if first_bad or second_bad:
        return int(second_bad) - int(first_bad)
    return (first > second) - (first < second)


class Estimator(ABC):
    """Scores architectures (canonical keys); higher is better, NaN means it failed."""

    #: a short label for tables and plots
    name: str = "estimator"
    #: whether the values depend on the search seed (noise), so figures average over seeds
    seed_dependent: bool = False

    @abstractmethod
    def score(self, arch: str) -> float:
        """The oriented score of `arch` (higher is better; NaN when it could not be had)."""

    def compare(self, first: str, second: str) -> int:
        """1 if `first` is better, -1 if `second` is, 0 for a tie."""
        return compare_scores(self.score(first), self.score(second))

    def scores(self, archs: Iterable[str]) -> np.ndarray:
        """`score` of several architectures, as a float array."""
        return np.asarray([self.score(a) for a in archs], dtype=float)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class TableEstimator(Estimator):
    """A column of a benchmark table; an architecture the table lacks scores NaN."""

    def __init__(self, values: Mapping[str, float], name: str) -> None:
        self._values = values
        self.name = name

    def score(self, arch: str) -> float:
        return float(self._values.get(arch, math.nan))


def table_values(table: BenchmarkTable, column: str) -> dict[str, float]:
    """arch key -> value of one table column (NaN kept as NaN)."""
    series = table.frame[column]
    return dict(zip(series.index.tolist(), series.to_numpy(dtype=float).tolist(), strict=True))


def oracle_estimator(table: BenchmarkTable, target: str) -> TableEstimator:
    """The ground truth itself: the search's target column."""
    return TableEstimator(table_values(table, parse_target(target, table)), "oracle")


def low_fidelity_column(table: BenchmarkTable, target: str) -> str:
    """The table's 12-epoch column matching `target` (same dataset, metric and split).

    ConfigError naming the 12-epoch columns the table has (none for the CSV export).
    """
    wanted = split_target_name(parse_target(target, table))._replace(epochs=LOW_FIDELITY_EPOCHS)
    if str(wanted) in table.targets():
        return str(wanted)
    available = [c for c in table.targets() if split_target_name(c).epochs == LOW_FIDELITY_EPOCHS]
    raise ConfigError(
        f"table {table.name} has no low-fidelity column {wanted} "
        f"(12-epoch columns: {', '.join(available) or 'none'}; the official NB201/NATS files "
        "have them, the CSV export does not)"
    )


def low_fidelity_estimator(
    table: BenchmarkTable, target: str, column: str | None = None
) -> TableEstimator:
    """A low-fidelity column (default: the 12-epoch twin of `target`) as the estimator."""
    name = parse_target(column, table) if column else low_fidelity_column(table, target)
    return TableEstimator(table_values(table, name), f"lowfi({name})")


def _standard_normal(seed: int, arch: str) -> float:
    """A standard normal draw fixed by (seed, arch), the same in every process and order."""
    digest = hashlib.blake2b(f"{seed}\0{arch}".encode(), digest_size=8).digest()
    return float(np.random.default_rng(int.from_bytes(digest, "little")).standard_normal())


class NoisyOracleEstimator(Estimator):
    """Ground truth + N(0, sd^2) noise, fixed per (seed, architecture).

    Fixed noise makes the estimator a ranking of its own (repeats agree), whose Kendall tau
    against the truth can be stated: `sd` maps onto a correlation level.
    """

    seed_dependent = True

    def __init__(self, truth: Mapping[str, float], sd: float, seed: int) -> None:
        if not (math.isfinite(sd) and sd >= 0):
            raise ConfigError(f"noise sd must be a finite number >= 0, got {sd!r}")
        self._truth = truth
        self.sd = float(sd)
        self.seed = int(seed)
        self.name = f"noisy_oracle(sd={self.sd:g})"

    def score(self, arch: str) -> float:
        value = float(self._truth.get(arch, math.nan))
        if self.sd == 0 or math.isnan(value):
            return value
        return value + self.sd * _standard_normal(self.seed, arch)


class ProxyEstimator(Estimator):
    """A zero-cost proxy, oriented by its sign; failed records (nan/error) score NaN."""

    def __init__(self, source: ProxyScores, proxy: str) -> None:
        # deferred: pulls in torch, tqdm
        from harness.proxies import get_proxy

        self._source = source
        self.proxy = proxy
        self._sign = 1.0 if get_proxy(proxy).higher_is_better else -1.0
        self.name = proxy

    def score(self, arch: str) -> float:
        raw = self._source.score(arch, self.proxy)
        return math.nan if raw is None else self._sign * raw


class SupernetLoader(Protocol):
    """Loads a supernet checkpoint once and returns its scorer: arch key -> score.

    The scorer's score is oriented (higher is better, e.g. accuracy or minus the loss on
    fixed validation batches); `harness.distill` provides one.
    """

    def __call__(self, checkpoint: Path) -> Callable[[str], float]: ...


class SupernetEstimator(Estimator):
    """A trained supernet (from `harness distill`), loaded on first use."""

    def __init__(self, checkpoint: str | Path, loader: SupernetLoader) -> None:
        self.checkpoint = Path(checkpoint)
        self._loader = loader
        self._scorer: Callable[[str], float] | None = None
        self.name = f"supernet({self.checkpoint.name})"

    def score(self, arch: str) -> float:
        if self._scorer is None:
            if not self.checkpoint.exists():
                raise ConfigError(f"{self.checkpoint}: no such supernet checkpoint")
            self._scorer = self._loader(self.checkpoint)
        value = self._scorer(arch)
        return math.nan if value is None else float(value)
