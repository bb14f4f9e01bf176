"""Run the configured strategies x estimators x seeds over a table and summarise them.

Wiring only: the table (ground truth), the encoding, the estimators, the strategies, the
curves, the pairwise accuracy and the results document. Every (estimator, seed, strategy)
search draws from its own generator seeded by (seed, strategy), the same for every
estimator, so strategies meet the same initial populations under every estimator and the
noisy oracle of seed s is the same landscape for all strategies.

`harness search` evaluates NB201 tables only: it needs the ground truth of every
architecture the search can reach. Searches over DARTS (NAS-Bench-301's Suite-Zero sample
has 725 architectures) can be run from Python with any estimator
(`get_encoding("darts")` + a strategy), but have no truth to score them against here.
"""

from __future__ import annotations

import math
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.errors import ConfigError
from harness.results import ResultRow, ResultsDocument
from harness.sampling import sample_archs
from harness.search.budget import BudgetedEvaluator
from harness.search.config import EstimatorSpec, SearchConfig
from harness.search.encoding import ContinuousEncoding, get_encoding
from harness.search.estimators import (
    Estimator,
    NoisyOracleEstimator,
    ProxyEstimator,
    SupernetEstimator,
    SupernetLoader,
    low_fidelity_estimator,
    oracle_estimator,
)
from harness.search.pairs import PairSetAccuracy, pool_pairs, pooled_accuracy
from harness.search.strategies import get_strategy
from harness.search.trace import SearchCurves, SearchTrace, search_curves
from harness.spaces.nb201_distance import group_distances, op_index_matrix
from harness.stats import kendall_tau, list_figures, mean_t_interval, summarise
from harness.stats.pair_sampling import index_pairs
from harness.tables import BenchmarkTable, load_table, resolve_target, split_target_name


@dataclass
class SearchSetup:
    """The table side of a search: truth over the searchable space and its best value."""

    table: BenchmarkTable
    target: str
    dataset: str
    encoding: ContinuousEncoding
    truth: dict[str, float]
    best: float
    best_arch: str
    #: the target as the config gave it, or the table's declared default
    target_spec: str = ""


@dataclass
class StrategyRuns:
    """All seeds of one (estimator, strategy)."""

    estimator: str
    spec: str
    strategy: str
    seeds: list[int] = field(default_factory=list)
    traces: list[SearchTrace] = field(default_factory=list)
    curves: list[SearchCurves] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


@dataclass
class SearchOutcome:
    document: ResultsDocument
    setup: SearchSetup
    runs: list[StrategyRuns]
    pairwise: dict[str, dict[str, PairSetAccuracy]]
    proxy_computed_archs: int = 0
    proxy_reused_archs: int = 0


def prepare_setup(config: SearchConfig, data_dir: str | None) -> SearchSetup:
    table = load_table(config.table, data_dir, **config.table_options)
    resolved = resolve_target(table, config.target, registered=config.table)
    target = resolved.column
    if table.space != "nb201":
        raise ConfigError(
            f"table {table.name}: `harness search` evaluates searches only where every "
            f"reachable architecture has ground truth (nb201 tables); {table.space} tables "
            f"here hold {len(table)} architectures (search DARTS from Python with any estimator)"
        )
    encoding = get_encoding(table.space, ops=config.ops, duplicate_policy=config.duplicate_policy)
    column = table.frame[target]
    truth: dict[str, float] = {}
    for key in encoding.architectures():
        value = column.get(key, math.nan)
        if not math.isfinite(value):
            raise ConfigError(
                f"table {table.name} lacks {target} for {key} (a search needs the truth of "
                "every architecture it can reach)"
            )
        truth[key] = float(value)
    best_arch = max(truth, key=truth.__getitem__)
    return SearchSetup(
        table=table,
        target=target,
        dataset=split_target_name(target).dataset,
        encoding=encoding,
        truth=truth,
        best=truth[best_arch],
        best_arch=best_arch,
        target_spec=resolved.spec,
    )


def default_supernet_loader() -> SupernetLoader:
    """`harness.distill.load_supernet_scorer`, the loader `supernet:` estimators use."""
    try:
        # deferred: pulls in torch; only `supernet:` estimators need it
        from harness import distill  # type: ignore[attr-defined]
    except ImportError:
        distill = None
    loader = getattr(distill, "load_supernet_scorer", None)
    if loader is None:
        raise ConfigError(
            "supernet estimators need harness.distill.load_supernet_scorer(checkpoint) -> "
            "scorer, which this installation lacks"
        )
    return loader


def _open_proxy_scores(config: SearchConfig, setup: SearchSetup, proxies: list[str]):
    # deferred: pulls in torch, tqdm
    from harness.proxies import get_proxy
    from harness.scoring import ScoringPlan, scoring_batches
    from harness.search.proxy_scores import ProxyScores

    for name in proxies:
        spec = get_proxy(name)
        if spec.combine is not None:
            raise ConfigError(f"proxy:{name} is a set-level proxy; a search needs per-arch ones")
    settings = config.proxy
    batches = scoring_batches(
        settings.input, seed=settings.seed, dataset=setup.dataset, proxies=proxies
    )
    plan = ScoringPlan.for_batch(
        batches,
        space=setup.table.space,
        dataset=setup.dataset,
        network_variant=settings.network_variant,
        device=settings.device,
        run_seed=settings.seed,
        proxies=proxies,
    )
    return ProxyScores(plan, settings.store, threads=settings.threads)


class _EstimatorFactory:
    """Builds the estimator of one spec for one seed (once, unless it depends on the seed)."""

    def __init__(
        self,
        spec: EstimatorSpec,
        setup: SearchSetup,
        proxy_scores: Any,
        supernet_loader: Callable[[], SupernetLoader],
    ) -> None:
        self.spec = spec
        self._setup = setup
        self._proxy_scores = proxy_scores
        self._supernet_loader = supernet_loader
        self._shared: Estimator | None = None

    def build(self, seed: int) -> Estimator:
        kind, argument, setup = self.spec.kind, self.spec.argument, self._setup
        if kind == "noisy":
            return NoisyOracleEstimator(setup.truth, float(argument), seed)
        if self._shared is None:
            if kind == "oracle":
                self._shared = oracle_estimator(setup.table, setup.target)
            elif kind == "lowfi":
                self._shared = low_fidelity_estimator(setup.table, setup.target, argument or None)
            elif kind == "proxy":
                self._shared = ProxyEstimator(self._proxy_scores, argument)
            else:
                self._shared = SupernetEstimator(argument, self._supernet_loader())
        return self._shared


def _strategy_seed(seed: int, strategy: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(strategy.encode())])


def run_search(
    config: SearchConfig,
    *,
    data_dir: str | None,
    run_id: str,
    progress: bool = True,
    supernet_loader: SupernetLoader | None = None,
) -> SearchOutcome:
    """Every (estimator, seed, strategy) search of `config`, with curves and summaries."""
    # deferred: pulls in tqdm
    from tqdm import tqdm

    setup = prepare_setup(config, data_dir)
    specs = config.estimator_specs()
    proxies = [s.argument for s in specs if s.kind == "proxy"]
    computed = list(dict.fromkeys([*proxies, *config.proxy.together]))
    proxy_scores = _open_proxy_scores(config, setup, computed) if proxies else None
    loader = (lambda: supernet_loader) if supernet_loader else default_supernet_loader
    seeds = config.seed_list
    try:
        runs: list[StrategyRuns] = []
        factories = [_EstimatorFactory(s, setup, proxy_scores, loader) for s in specs]
        bar = tqdm(
            total=len(specs) * len(seeds) * len(config.strategies),
            desc="searching",
            unit="search",
            disable=not progress,
            file=sys.stderr,
        )
        with bar:
            for factory in factories:
                by_strategy = {}
                for seed in seeds:
                    estimator = factory.build(seed)
                    for name in config.strategies:
                        run = by_strategy.setdefault(
                            name, StrategyRuns(estimator.name, str(factory.spec), name)
                        )
                        started = time.perf_counter()
                        evaluator = BudgetedEvaluator(estimator, config.budget)
                        trace = get_strategy(name)(
                            setup.encoding,
                            evaluator,
                            _strategy_seed(seed, name),
                            **config.strategy_options(name),
                        )
                        run.seconds.append(time.perf_counter() - started)
                        run.seeds.append(seed)
                        run.traces.append(trace)
                        run.curves.append(
                            search_curves(trace, setup.truth, setup.best, config.budget)
                        )
                        bar.update(1)
                runs.extend(by_strategy.values())
            pairwise = (
                _pairwise_figures(config, setup, factories, runs, seeds)
                if config.pairwise.enabled
                else {}
            )
            pool_rows = _estimator_rows(config, setup, factories, runs, pairwise, seeds)
    finally:
        if proxy_scores is not None:
            proxy_scores.close()
    document = _document(config, setup, run_id, pool_rows)
    return SearchOutcome(
        document=document,
        setup=setup,
        runs=runs,
        pairwise=pairwise,
        proxy_computed_archs=proxy_scores.computed_archs if proxy_scores else 0,
        proxy_reused_archs=proxy_scores.reused_archs if proxy_scores else 0,
    )


# -- pairwise accuracy -------------------------------------------------------------------


def pool_archs(config: SearchConfig, setup: SearchSetup) -> list[str]:
    """The pairwise pool: `harness run`'s sample (same table rows, seed and uniqueness)."""

    table = setup.table
    if len(setup.truth) != len(table):
        table = table.subset(list(setup.truth))
    settings = config.pairwise
    size = min(settings.pool_archs, len(table))
    return sample_archs(
        table, size, settings.pool_seed, unique=settings.pool_unique, target=setup.target
    )


def _pairwise_figures(
    config: SearchConfig,
    setup: SearchSetup,
    factories: list[_EstimatorFactory],
    runs: list[StrategyRuns],
    seeds: tuple[int, ...],
) -> dict[str, dict[str, PairSetAccuracy]]:

    pool = pool_archs(config, setup)
    pool_truth = np.asarray([setup.truth[a] for a in pool], dtype=float)
    op_indices = op_index_matrix(pool)

    def distance(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return group_distances(op_indices[i], op_indices[j])

    settings = config.pairwise
    pairs = pool_pairs(len(pool), settings.pairs, settings.pool_seed, distance, settings.margin)
    figures: dict[str, dict[str, PairSetAccuracy]] = {}
    for factory in factories:
        pool_seeds = seeds if factory.spec.kind == "noisy" else seeds[:1]
        estimates = [factory.build(s).scores(pool) for s in pool_seeds]
        label = factory.build(seeds[0]).name
        figures[label] = {
            name: pooled_accuracy(name, [(e, pool_truth, chosen) for e in estimates])
            for name, chosen in pairs.items()
        }
        trajectory = [
            r for r in runs if r.spec == str(factory.spec) and r.strategy == "relativenas"
        ]
        if trajectory:
            parts = []
            for trace in trajectory[0].traces:
                keys = list(trace.evaluated)
                truth = np.asarray([setup.truth[k] for k in keys], dtype=float)
                parts.append((np.asarray(trace.scores), truth, index_pairs(trace.compared, keys)))
            figures[label]["trajectory"] = pooled_accuracy("trajectory", parts)
    return figures


# -- summaries -----------------------------------------------------------------------------


def mean_interval(values: np.ndarray, confidence: float) -> dict[str, Any]:
    """Mean with a Student-t interval over seeds (no interval from a single value), JSON-ready."""
    interval = mean_t_interval(np.ravel(values), confidence)
    mean, n = float(interval.mean), interval.n
    if n < 2:
        return {"mean": mean, "lo": None, "hi": None, "sd": None, "n": n}
    low, high, sd = float(interval.low), float(interval.high), float(interval.sd)
    return {"mean": mean, "lo": low, "hi": high, "sd": sd, "n": n}


def strategy_summary(run: StrategyRuns, setup: SearchSetup, confidence: float) -> dict[str, Any]:
    finals = np.asarray([c.returned[-1] for c in run.curves])
    regrets = np.asarray([c.regret[-1] for c in run.curves])
    best_seen = np.asarray([c.best_evaluated[-1] for c in run.curves])
    return {
        "final_accuracy": mean_interval(finals, confidence),
        "final_regret": mean_interval(regrets, confidence),
        "best_evaluated_accuracy": mean_interval(best_seen, confidence),
        "share_within_0.5": float(np.mean(regrets <= 0.5)),
        "share_found_best": float(np.mean(regrets <= 0)),
        "calls_mean": float(np.mean([t.calls for t in run.traces])),
        "requests_mean": float(np.mean([t.requests for t in run.traces])),
        "iterations_mean": float(np.mean([t.iterations for t in run.traces])),
        "stalled": sum(t.stop_reason == "stalled" for t in run.traces),
        "flagged_mean": float(
            np.mean([sum(map(setup.encoding.flagged, t.evaluated)) for t in run.traces])
        ),
        "seconds_total": float(np.sum(run.seconds)),
        "seeds": run.seeds,
        "final_archs": [c.final_arch for c in run.curves],
        "final_accuracies": finals.tolist(),
    }


def curve_summary(run: StrategyRuns, confidence: float, digits: int = 4) -> dict[str, Any]:
    """Per-step curves (per seed) and the mean regret with its t-interval, JSON-ready."""
    returned = np.vstack([c.returned for c in run.curves])
    best = np.vstack([c.best_evaluated for c in run.curves])
    regret = np.vstack([c.regret for c in run.curves])
    interval = mean_t_interval(regret, confidence, axis=0)

    def rounded(a: np.ndarray) -> list:
        return np.round(a, digits).tolist()

    return {
        "steps": int(regret.shape[1]),
        "seeds": run.seeds,
        "returned_accuracy": rounded(returned),
        #: per seed, [step, architecture] each time the returned architecture changes
        "returned_changes": [[list(c) for c in curve.returned_changes()] for curve in run.curves],
        "best_evaluated_accuracy": rounded(best),
        "regret_mean": rounded(interval.mean),
        "regret_lo": rounded(interval.low),
        "regret_hi": rounded(interval.high),
        "best_evaluated_mean": rounded(best.mean(axis=0)),
    }


def _estimator_rows(
    config: SearchConfig,
    setup: SearchSetup,
    factories: list[_EstimatorFactory],
    runs: list[StrategyRuns],
    pairwise: dict[str, dict[str, PairSetAccuracy]],
    seeds: tuple[int, ...],
) -> list[ResultRow]:

    rows = []
    pool = pool_archs(config, setup) if config.pairwise.enabled else []
    keys = list(setup.truth)
    truth_all = np.asarray([setup.truth[k] for k in keys])
    for factory in factories:
        first = factory.build(seeds[0])
        label = first.name
        extra: dict[str, Any] = {"estimator": str(factory.spec)}
        summary: dict[str, Any] = {}
        if pool:
            pool_truth = np.asarray([setup.truth[a] for a in pool])
            summary = summarise(
                first.scores(pool),
                pool_truth,
                higher_is_better=True,
                n_resamples=config.bootstrap_resamples,
                confidence=config.confidence,
                seed=config.pairwise.pool_seed,
            ).to_dict()
            extra["pool"] = {"archs": len(pool), "seed": config.pairwise.pool_seed}
        if factory.spec.kind in ("oracle", "noisy", "lowfi"):
            taus = [
                kendall_tau(factory.build(s).scores(keys), truth_all)
                for s in (seeds if factory.spec.kind == "noisy" else seeds[:1])
            ]
            extra["kendall_space"] = {"mean": float(np.mean(taus)), "n_seeds": len(taus)}
        extra["search"] = {
            r.strategy: strategy_summary(r, setup, config.confidence)
            for r in runs
            if r.spec == str(factory.spec)
        }
        extra["curves"] = {
            r.strategy: curve_summary(r, config.confidence)
            for r in runs
            if r.spec == str(factory.spec)
        }
        if label in pairwise:
            extra["pairwise"] = {name: p.to_dict() for name, p in pairwise[label].items()}
        rows.append(
            ResultRow(
                space=setup.table.space,
                dataset=setup.dataset,
                target=setup.target,
                proxy=label,
                higher_is_better=True,
                **{
                    key: summary.pop(key, 0 if figure.count else None)
                    for figure in list_figures(column=True)
                    for key in figure.keys
                },
                origin="computed",
                extra={**extra, "pool_summary": summary},
            )
        )
    return rows


def _document(
    config: SearchConfig, setup: SearchSetup, run_id: str, rows: list[ResultRow]
) -> ResultsDocument:
    config_dict = config.to_dict()
    config_dict["target"] = setup.target_spec
    config_dict["resolved"] = {
        "target": setup.target,
        "space_archs": len(setup.truth),
        "best_accuracy": setup.best,
        "best_arch": setup.best_arch,
        "seeds": list(config.seed_list),
        "store": config.proxy.store,
    }
    return ResultsDocument.create(
        kind="search",
        run_id=run_id,
        config=config_dict,
        sources=setup.table.sources,
        seed=config.seed,
        rows=rows,
        notes=list(setup.table.notes)
        + [
            "budget = estimator calls = unique architectures scored per search; repeats are "
            "answered from the search's cache and not counted",
            "returned architecture = best by the estimator among those scored (RelativeNAS: "
            "population best; REA: best in history); regret = space best - its true accuracy",
        ],
    )
