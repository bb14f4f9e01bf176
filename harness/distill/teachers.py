"""Teachers: the ranking RD-NAS distils into the supernet, one score per subnet.

A teacher scores NB201 cells (subnets are cells, harness.distill.space), oriented so that
higher is better. Three kinds:

- `StoreTeacher`: any registered proxy, scored by `harness.scoring.score_architecture` on
  the as-trained NB201 network of the ground truth's data set and kept in the score store
  under exactly the keys `harness run` writes (space, arch, dataset, proxy, version, run
  seed, input batch hash, batch size, network variant), so `harness run` and
  `harness distill` share scores. `lazy` scores a subnet the first time it is sampled (a
  few hundred ms to seconds each on a CPU); `precompute` scores every subnet first.
- `AdditiveComplexityTeacher`: `flops` and `params` without building 4,096 networks. Both
  are sums over leaf modules (harness.proxies.complexity), and every edge of every cell of
  one NB201 network has the same shape, so count(cell) = count(all-skip cell) +
  sum over edges of inc(op), inc(op) = (count(all-op cell) - count(all-skip cell)) / 6
  (skip and none cost nothing). Five networks give every subnet's count; the result equals
  the registered proxy's score (tests/distill check it against `score_architecture`).
- `OracleTeacher`: the ground-truth column itself. An upper bound for what a teacher can
  give, not a method: it would need the benchmark's answers.

Failed scores (status nan or error) are None: the pair is trained without the rank term.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import torch
from tqdm import tqdm

from harness.errors import DataError
from harness.proxies import get_proxy
from harness.proxies.complexity import count_flops, count_params
from harness.scoring import ScoringPlan, score_missing
from harness.spaces.nb201 import EDGES, NB201Arch
from harness.spaces.networks import build_network
from harness.store import ScoreRecord, ScoreStore

ADDITIVE_PROXIES = ("flops", "params")


class Teacher:
    """Interface: `score(key)` (oriented, None when it failed) and what it says of itself."""

    #: the proxy's name, or "oracle"
    name: str = ""
    is_upper_bound: bool = False

    def score(self, key: str) -> float | None:  # pragma: no cover - interface
        raise NotImplementedError

    def known_scores(self, keys: Sequence[str]) -> dict[str, float | None]:
        """Scores available without computing anything new."""
        return {k: self.score(k) for k in keys}

    def prepare(self, keys: Sequence[str], progress: bool = True) -> None:
        """Compute scores ahead of training (a no-op for teachers that are instant)."""

    def describe(self) -> dict[str, object]:
        return {"teacher": self.name}


class AdditiveComplexityTeacher(Teacher):
    """`flops` or `params` of the as-trained NB201 network, from per-op increments."""

    def __init__(
        self,
        name: str,
        dataset: str,
        num_classes: int,
        image_size: int,
        network_variant: str = "as_trained",
    ) -> None:
        if name not in ADDITIVE_PROXIES:
            raise ValueError(f"no additive decomposition for proxy {name!r}")
        self.name, self.dataset, self.num_classes = name, dataset, num_classes
        self.image_size, self.network_variant = image_size, network_variant

        def count(op: str) -> float:
            arch = NB201Arch((op,) * len(EDGES))
            with torch.random.fork_rng(devices=[]):
                network = build_network(
                    "nb201", arch, num_classes=self.num_classes, variant=self.network_variant
                )
            if self.name == "params":
                return float(count_params(network))
            return float(count_flops(network, (3, self.image_size, self.image_size)))

        self.base = count("skip_connect")
        self.increments = {
            op: (count(op) - self.base) / len(EDGES) if op != "skip_connect" else 0.0
            for op in ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
        }
        self._sign = 1.0 if get_proxy(self.name).higher_is_better else -1.0

    def raw_score(self, key: str) -> float:
        ops = NB201Arch.from_string(key).ops
        return self.base + sum(self.increments[op] for op in ops)

    def score(self, key: str) -> float | None:
        return self._sign * self.raw_score(key)

    def describe(self) -> dict[str, object]:
        return {
            "teacher": self.name,
            "mode": "analytic",
            "proxy_version": get_proxy(self.name).version,
            "dataset": self.dataset,
            "network_variant": self.network_variant,
            "image_size": self.image_size,
        }


class StoreTeacher(Teacher):
    """A registered proxy's scores, read from (and written to) the score store."""

    def __init__(self, plan: ScoringPlan, proxy: str, store_path: str, mode: str = "lazy"):
        self.plan = plan
        self.name = proxy
        self.mode = mode
        self.store_path = store_path
        self._sign = 1.0 if get_proxy(proxy).higher_is_better else -1.0
        self._cache: dict[str, float | None] = {}
        self._fresh: dict[str, ScoreRecord] = {}
        self._store: ScoreStore | None = None
        self.computed = 0
        self.compute_seconds = 0.0

    def _open(self) -> ScoreStore:
        if self._store is None:
            self._store = ScoreStore(self.store_path)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _oriented(self, score: float | None) -> float | None:
        return None if score is None else self._sign * score

    def known_scores(self, keys: Sequence[str]) -> dict[str, float | None]:
        store = self._open()
        out = {}
        for key in keys:
            if key in self._cache:
                out[key] = self._cache[key]
                continue
            record = store.get(self.plan.key(key, self.name))
            if record is not None:
                self._cache[key] = out[key] = self._oriented(record.score)
        return out

    def score(self, key: str) -> float | None:
        if key in self._cache:
            return self._cache[key]
        records, _ = score_missing(self.plan, [key], self._open(), None, on_done=self._computed)
        # a score computed now is used as computed, one found in the store as stored
        record = self._fresh.pop(key, None) or records[(key, self.name)]
        value = self._oriented(record.score)
        self._cache[key] = value
        return value

    def _computed(self, key: str, records: list[ScoreRecord]) -> None:
        """Keep the record of a subnet scored here, and count it and its scoring time."""
        (self._fresh[key],) = records
        self.computed += 1
        self.compute_seconds += self._fresh[key].seconds

    def prepare(self, keys: Sequence[str], progress: bool = True) -> None:
        if self.mode != "precompute":
            return

        store = self._open()
        missing = [k.arch for k in store.missing(self.plan.key(a, self.name) for a in keys)]
        for key in tqdm(
            missing,
            desc=f"teacher {self.name}",
            unit="subnet",
            disable=not progress or not missing,
            file=sys.stderr,
        ):
            self.score(key)

    def describe(self) -> dict[str, object]:
        return {
            "teacher": self.name,
            "mode": self.mode,
            "proxy_version": get_proxy(self.name).version,
            "dataset": self.plan.dataset,
            "network_variant": self.plan.network_variant,
            "seed": self.plan.run_seed,
            "input_source": self.plan.input_source,
            "input_hash": self.plan.input_hash,
            "batch_size": self.plan.batch_size,
            "store": self.store_path,
            "computed_now": self.computed,
            "compute_seconds": round(self.compute_seconds, 3),
        }


class OracleTeacher(Teacher):
    """The ground truth as teacher (an upper bound, not a method)."""

    is_upper_bound = True

    def __init__(self, truth: dict[str, float], target: str) -> None:
        self.name = "oracle"
        self.truth = truth
        self.target = target

    def score(self, key: str) -> float | None:
        try:
            return float(self.truth[key])
        except KeyError:
            raise DataError(f"the oracle's ground truth {self.target} has no row {key}") from None

    def describe(self) -> dict[str, object]:
        return {"teacher": "oracle", "target": self.target, "upper_bound": True}
