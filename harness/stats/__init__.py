"""The correlation engine: how well does a proxy rank architectures?

Front door of the statistics room (numpy/scipy/pandas only). Every function
takes the score and the ground truth as parallel 1-D arrays plus
`higher_is_better`; scores are oriented before any figure is computed, and rows
with a non-finite score or truth are left out and counted, never filled in.

    summarise(score, truth)                  every leaderboard figure at once
    summarise_shared(scores, truth)          the same for many scores against one truth
    correlations / kendall_tau / spearman_rho / pearson_r    point estimates (scipy)
    ndcg_at_k                                nDCG@k as VKDNW defines it (top-weighted)
    bootstrap_correlations                   paired percentile intervals (vectorised)
    jackknife_correlations                   jackknife normal intervals, O(n log n): whole
                                             spaces (`summarise(..., interval="jackknife")`)
    mean_kendall_interval                    bootstrap interval of a mean tau over runs
    mean_statistic_interval                  the same for any resampled statistic (nDCG...)
    mean_t_interval                          mean over seeds with its Student-t interval
    difference_from_intervals                a change tested from two figures' own intervals
    FAILURE_POLICIES / common_rows / policy_values   the failure policy, whole (failures.py)
    top_k_overlap / top_ranked               does the proxy find the best archs?
    pairwise_accuracy / ..._by_gap           share of pairs ordered like the truth
    compare_proxies / compare_runs           bootstrap tests of a difference
    seed_correlations                        several init seeds: mean over seeds, two-level
                                             (seeds x architectures) interval, self-agreement
    compare_seeded_runs                      the seed-aware test of a change between runs
    pooled_splits                            figures over repeated train/held-out splits
    FIGURES / register_figure / list_figures the one list of leaderboard figures: how each
                                             is computed, summarised, directed, displayed
"""

from harness.stats._rows import MAX_RESAMPLES, MIN_ROWS
from harness.stats.bootstrap import (
    BootstrapCorrelations,
    Interval,
    bootstrap_correlations,
    mean_kendall_interval,
    mean_statistic_interval,
)
from harness.stats.compare import ProxyDifference, RunDifference, compare_proxies, compare_runs
from harness.stats.compare_seeds import SeededRunDifference, compare_seeded_runs
from harness.stats.failures import (
    FAILURE_POLICIES,
    POLICY_MEANINGS,
    check_failure_policy,
    common_rows,
    fill_worst,
    policy_values,
)
from harness.stats.figures import (
    COMPARED_BY,
    FIGURES,
    INTERVAL_METHODS,
    SEED_REDUCERS,
    SUMMARY_SETTINGS,
    Figure,
    FigureInput,
    check_interval_method,
    figure_keys,
    finite_or_none,
    json_value,
    list_figures,
    register_figure,
)
from harness.stats.intervals import MeanInterval, difference_from_intervals, mean_t_interval
from harness.stats.jackknife import jackknife_correlations
from harness.stats.ndcg import NDCG_SHARE, ndcg_at_k
from harness.stats.pairwise import (
    DEFAULT_GAP_EDGES,
    GapBin,
    PairCounts,
    pairwise_accuracy,
    pairwise_accuracy_by_gap,
)
from harness.stats.rank import (
    RESAMPLED_STATISTICS,
    STATISTICS,
    Correlations,
    correlations,
    kendall_tau,
    pearson_r,
    spearman_rho,
)
from harness.stats.seeds import SeedCorrelations, seed_correlations
from harness.stats.splits import PooledDifference, PooledInterval, PooledSplits, pooled_splits
from harness.stats.summary import CorrelationSummary, summarise, summarise_shared
from harness.stats.topk import DEFAULT_PERCENTAGES, TopRanked, top_k_overlap, top_ranked

__all__ = [
    "DEFAULT_GAP_EDGES",
    "DEFAULT_PERCENTAGES",
    "FAILURE_POLICIES",
    "COMPARED_BY",
    "FIGURES",
    "INTERVAL_METHODS",
    "check_interval_method",
    "jackknife_correlations",
    "POLICY_MEANINGS",
    "common_rows",
    "fill_worst",
    "policy_values",
    "MIN_ROWS",
    "SEED_REDUCERS",
    "SUMMARY_SETTINGS",
    "Figure",
    "FigureInput",
    "figure_keys",
    "list_figures",
    "finite_or_none",
    "json_value",
    "register_figure",
    "check_failure_policy",
    "MAX_RESAMPLES",
    "STATISTICS",
    "RESAMPLED_STATISTICS",
    "NDCG_SHARE",
    "ndcg_at_k",
    "BootstrapCorrelations",
    "CorrelationSummary",
    "Correlations",
    "GapBin",
    "Interval",
    "MeanInterval",
    "PairCounts",
    "PooledDifference",
    "PooledInterval",
    "PooledSplits",
    "ProxyDifference",
    "RunDifference",
    "SeedCorrelations",
    "SeededRunDifference",
    "TopRanked",
    "bootstrap_correlations",
    "compare_proxies",
    "compare_runs",
    "compare_seeded_runs",
    "correlations",
    "difference_from_intervals",
    "kendall_tau",
    "mean_kendall_interval",
    "mean_statistic_interval",
    "mean_t_interval",
    "pairwise_accuracy",
    "pairwise_accuracy_by_gap",
    "pearson_r",
    "pooled_splits",
    "seed_correlations",
    "spearman_rho",
    "summarise",
    "summarise_shared",
    "top_k_overlap",
    "top_ranked",
]
