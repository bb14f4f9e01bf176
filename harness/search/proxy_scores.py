"""Proxy scores for a search: read from the score store, computed on demand and stored.

The keys are the ones `harness run` writes (`ScoringPlan.key`: space, arch, dataset, proxy,
version, run seed, input hash, batch size, network variant), so a search reuses every score
a run made and a later run reuses the search's. The run seed here is the *scoring* seed
(default 0, `harness run`'s default), not the search seed: every search seed reads the same
scores.

On a miss, every proxy of the plan still missing for that architecture is computed in one
`score_architecture` call (shared passes), by the serial executor with `harness run`'s
torch thread count (so the scores are bit-identical to a run's), and written at once.
Records with status nan/error are data: they come back as None, and the estimator scores
them NaN.
"""

from __future__ import annotations

import time
from pathlib import Path

from harness.execution import get_executor
from harness.scoring import ScoringPlan, score_missing
from harness.store import ScoreStore


class ProxyScores:
    """Scores of `plan.proxies` for any architecture, through the store at `store_path`.

    Use from one thread (it owns a `ScoreStore` connection); `close()` when done.
    """

    def __init__(self, plan: ScoringPlan, store_path: str | Path, *, threads: int = 1) -> None:
        self.plan = plan
        self.store_path = Path(store_path)
        # The serial executor with `harness run`'s fixed torch threads: bit-identical scores.
        self._executor = get_executor("serial", threads=threads)
        self._store = ScoreStore(self.store_path)
        self._cache: dict[tuple[str, str], float | None] = {}
        #: architectures scored here (computed), and found in the store (reused)
        self.computed_archs = 0
        self.reused_archs = 0
        #: seconds spent computing scores
        self.compute_seconds = 0.0

    def score(self, arch: str, proxy: str) -> float | None:
        """The stored (or just computed) raw score; None for a nan/error record."""
        cached = self._cache.get((arch, proxy), ...)
        if cached is not ...:
            return cached
        self._load(arch)
        return self._cache[(arch, proxy)]

    def _load(self, arch: str) -> None:
        started = time.perf_counter()
        records, computed = score_missing(self.plan, [arch], self._store, self._executor)
        if computed:
            self.compute_seconds += time.perf_counter() - started
            self.computed_archs += 1
        else:
            self.reused_archs += 1
        for proxy in self.plan.proxies:
            record = records.get((arch, proxy))
            if record is None:  # put_many skipped nothing we asked for: a bug if it happens
                raise RuntimeError(f"no record for {proxy} on {arch} after scoring")
            self._cache[(arch, proxy)] = record.score

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> ProxyScores:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
