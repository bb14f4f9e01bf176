"""The seed-aware test of a change between runs (two-level bootstrap)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from harness.errors import ConfigError
from harness.stats import compare_seeded_runs
from harness.stats._resample import resample_index_chunks


def _run(rng: np.random.Generator, truth: np.ndarray, sigmas) -> list[dict[str, float]]:
    keys = [f"a{i}" for i in range(truth.size)]
    return [
        dict(zip(keys, truth + sigma * rng.normal(size=truth.size), strict=True))
        for sigma in sigmas
    ]


def _truth(values: np.ndarray) -> dict[str, float]:
    return {f"a{i}": float(v) for i, v in enumerate(values)}


def test_identical_runs_paired_on_seeds_show_no_change():
    rng = np.random.default_rng(0)
    truth = rng.normal(size=60)
    runs = _run(rng, truth, [0.5, 1.0, 2.0])
    result = compare_seeded_runs(runs, _truth(truth), runs, _truth(truth), pair_seeds=True)
    assert (result.delta, result.low, result.high, result.p_value) == (0.0, 0.0, 0.0, 1.0)
    assert result.paired_archs and result.paired_seeds
    assert (result.seeds_baseline, result.seeds_candidate) == (3, 3)


def test_seeds_apart_count_seed_noise():
    rng = np.random.default_rng(1)
    truth = rng.normal(size=80)
    runs = _run(rng, truth, [0.3, 1.0, 3.0, 0.6])
    apart = compare_seeded_runs(runs, _truth(truth), runs, _truth(truth), seed=2)
    assert apart.delta == 0.0 and not apart.paired_seeds
    assert apart.low < -0.05 and apart.high > 0.05 and apart.p_value > 0.5


def test_a_real_improvement_is_significant_and_its_size_is_the_mean_difference():
    rng = np.random.default_rng(2)
    truth = rng.normal(size=150)
    base = _run(rng, truth, [2.0, 2.2, 1.8])
    better = _run(rng, truth, [0.3, 0.35, 0.25])
    result = compare_seeded_runs(base, _truth(truth), better, _truth(truth))
    keys = list(base[0])
    taus = [
        [stats.kendalltau([run[k] for k in keys], truth)[0] for run in side]
        for side in (base, better)
    ]
    assert result.delta == pytest.approx(np.mean(taus[1]) - np.mean(taus[0]))
    assert result.p_value < 0.01 and result.low > 0


def test_paired_replicates_equal_a_naive_loop():
    rng = np.random.default_rng(3)
    truth = rng.normal(size=30)
    base, new = _run(rng, truth, [0.5, 1.5]), _run(rng, truth, [0.7, 1.0])
    result = compare_seeded_runs(
        base, _truth(truth), new, _truth(truth), n_resamples=100, seed=9, pair_seeds=True
    )
    draw = np.random.default_rng(9)
    indices = np.concatenate(list(resample_index_chunks(draw, 30, 100)))
    seeds = draw.integers(0, 2, size=(100, 2))
    keys = list(base[0])
    matrices = [np.array([[run[k] for k in keys] for run in side]) for side in (base, new)]
    deltas = []
    for rows, drawn in zip(indices, seeds, strict=True):
        means = [
            np.mean([stats.kendalltau(m[k][rows], truth[rows])[0] for k in drawn]) for m in matrices
        ]
        deltas.append(means[1] - means[0])
    low, high = np.quantile(deltas, [0.025, 0.975])
    assert (result.low, result.high) == pytest.approx((low, high), abs=1e-12)


def test_unpaired_architectures_and_refused_seed_pairing():
    rng = np.random.default_rng(4)
    truth = rng.normal(size=40)
    base = _run(rng, truth, [0.5, 1.0])
    shifted = [{f"new:{k}": v for k, v in run.items()} for run in base]
    truth_shifted = {f"new:{k}": v for k, v in _truth(truth).items()}
    result = compare_seeded_runs(base, _truth(truth), shifted, truth_shifted)
    assert not result.paired_archs and result.delta == pytest.approx(0.0)
    assert result.low < 0 < result.high
    with pytest.raises(ConfigError):
        compare_seeded_runs(base, _truth(truth), base[:1], _truth(truth), pair_seeds=True)
    with pytest.raises(ValueError, match="other architectures"):
        compare_seeded_runs([base[0], {"x": 1.0}], _truth(truth), base, _truth(truth))
