"""The gate on documents with several initial-weight seeds: the seed-aware test."""

from __future__ import annotations

import numpy as np
from report_documents import make_document

from harness.report import label_documents
from harness.report.gate import (
    TEST_PAIRED,
    TEST_SEEDS_APART,
    TEST_SEEDS_PAIRED,
    TEST_SEEDS_UNPAIRED,
    VERDICT_DROP_NOISE,
    VERDICT_FAIL,
    VERDICT_SAME,
    GateRule,
    compare_documents,
    gate_markdown,
)

RULES = (GateRule("kendall", -0.02),)


def _truth(n: int = 100) -> np.ndarray:
    return np.random.default_rng(0).uniform(70, 95, n)


def _seed_scores(truth: np.ndarray, sigmas, seed: int) -> list[np.ndarray]:
    """One score vector per seed: the truth plus noise of that seed's scale."""
    rng = np.random.default_rng(seed)
    return [truth + sigma * 7.0 * rng.standard_normal(truth.size) for sigma in sigmas]


def _document(truth, scores: list[np.ndarray], seeds, batch: str = "batch-0"):
    document = make_document({"proxy": scores[0]}, truth, seed=seeds[0])
    document.config["resolved"] = {"input_hash": batch}
    document.seeds = list(seeds)
    if len(seeds) > 1:
        document.per_arch[0].seeds = list(seeds)
        document.per_arch[0].seed_scores = {"proxy": [[float(v) for v in s] for s in scores]}
    return document


def _compare(base, new, **kwargs):
    base_source, new_source = label_documents([base, new])
    report = compare_documents(base_source, new_source, RULES, n_resamples=500, **kwargs)
    return report, report.lines[0], gate_markdown(report, base_source, new_source)


def test_same_seeds_and_batch_pair_seeds_and_architectures():
    truth = _truth()
    scores = _seed_scores(truth, [0.5, 1.0, 2.0], seed=1)
    _, line, _ = _compare(_document(truth, scores, [0, 1, 2]), _document(truth, scores, [0, 1, 2]))
    assert line.test == TEST_SEEDS_PAIRED and line.verdict == VERDICT_SAME
    assert (line.delta, line.low, line.high) == (0.0, 0.0, 0.0)
    assert line.base == np.mean([make_document({"p": s}, truth).rows[0].kendall for s in scores])


def test_seed_noise_alone_does_not_fail_where_one_seed_each_would():
    # A proxy whose ranking is mostly init noise: each seed draws a good or a bad ranking.
    truth = _truth()
    base = _seed_scores(truth, [0.3, 5.0, 0.3, 5.0, 0.3], seed=2)
    new = _seed_scores(truth, [5.0, 0.3, 5.0, 5.0, 0.3], seed=3)
    _, line, markdown = _compare(
        _document(truth, base, [0, 1, 2, 3, 4]), _document(truth, new, [5, 6, 7, 8, 9])
    )
    assert line.test == TEST_SEEDS_APART and line.delta < -0.02
    assert line.verdict == VERDICT_DROP_NOISE
    assert "two-level bootstrap" in markdown
    # The first seeds alone, paired over architectures, call the same noise a regression.
    _, single, _ = _compare(
        _document(truth, base[:1], [0]), _document(truth, new[:1], [5]), pair_across_seeds=True
    )
    assert single.test == TEST_PAIRED and single.verdict == VERDICT_FAIL


def test_a_real_drop_across_seeds_fails():
    truth = _truth()
    good = _seed_scores(truth, [0.3, 0.35, 0.3, 0.4], seed=4)
    bad = _seed_scores(truth, [1.5, 1.6, 1.4, 1.5], seed=5)
    _, line, _ = _compare(
        _document(truth, good, [0, 1, 2, 3]), _document(truth, bad, [0, 1, 2, 3], "batch-1")
    )
    assert line.test == TEST_SEEDS_APART and line.verdict == VERDICT_FAIL


def test_one_seed_against_several_resamples_architectures_apart():
    truth = _truth()
    scores = _seed_scores(truth, [0.5, 1.0, 2.0], seed=6)
    report, line, markdown = _compare(
        _document(truth, scores[:1], [0]), _document(truth, scores, [0, 1, 2])
    )
    assert line.test == TEST_SEEDS_UNPAIRED
    assert line.low < line.delta < line.high
    assert "whose seed noise cannot be seen" in markdown
