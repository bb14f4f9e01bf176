"""Search strategies over a table with a pluggable estimator (RelativeNAS, REA, random).

Front door:

    get_encoding(space, ops=, duplicate_policy=)   box-bounded continuous encodings
    Estimator and its kinds (oracle, noisy oracle, low fidelity, proxy, supernet)
    BudgetedEvaluator(estimator, budget)           the budget: unique architectures scored
    get_strategy(name) / list_strategies()         relativenas, rea, random
    search_curves(trace, truth, best, budget)      returned / best-evaluated / regret per step
    load_search_config(path, overrides)            SearchConfig (TOML + --set)
    run_search(config, data_dir=, run_id=)         everything `harness search` runs
"""

from harness.search.budget import BudgetedEvaluator, BudgetExhausted
from harness.search.config import EstimatorSpec, SearchConfig, load_search_config
from harness.search.encoding import (
    ContinuousEncoding,
    DartsEncoding,
    NB201Encoding,
    get_encoding,
)
from harness.search.estimators import (
    Estimator,
    NoisyOracleEstimator,
    ProxyEstimator,
    SupernetEstimator,
    SupernetLoader,
    TableEstimator,
    compare_scores,
    low_fidelity_estimator,
    oracle_estimator,
)
from harness.search.runner import run_search
from harness.search.strategies import get_strategy, list_strategies
from harness.search.trace import SearchCurves, SearchTrace, search_curves

__all__ = [
    "BudgetExhausted",
    "BudgetedEvaluator",
    "ContinuousEncoding",
    "DartsEncoding",
    "Estimator",
    "EstimatorSpec",
    "NB201Encoding",
    "NoisyOracleEstimator",
    "ProxyEstimator",
    "SearchConfig",
    "SearchCurves",
    "SearchTrace",
    "SupernetEstimator",
    "SupernetLoader",
    "TableEstimator",
    "compare_scores",
    "get_encoding",
    "get_strategy",
    "list_strategies",
    "load_search_config",
    "low_fidelity_estimator",
    "oracle_estimator",
    "run_search",
    "search_curves",
]
