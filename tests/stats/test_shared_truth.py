"""Many scores against one truth (the leaderboard's fast path) give the figures of one
`summarise` per score, bit for bit: same resamples, same replicates, same intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.stats import _resample, _shared_truth, summarise, summarise_shared
from harness.stats._resample import paired_replicates
from harness.stats._shared_truth import shared_truth_replicates
from harness.stats.bootstrap import bootstrap_correlations_shared
from harness.stats.rank import RESAMPLED_STATISTICS


def _scores(n: int, seed: int = 5):
    """A truth with ties and a missing value, and scores with ties, failures, a constant
    and one that tracks the truth."""
    rng = np.random.default_rng(seed)
    truth = np.round(rng.normal(70, 3, n), 0)
    truth[3] = np.nan
    noisy = rng.normal(size=n)
    noisy[5] = np.nan
    tied = np.round(rng.normal(size=n))
    tied[7] = np.inf
    tracking = truth + rng.normal(0, 2, n)
    return truth, [noisy, tied, np.full(n, 3.0), tracking, -tracking]


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


@pytest.fixture(params=["matrix", "fenwick"])
def kendall_path(request, monkeypatch):
    """Both ways of counting concordant pairs: the matrix form and, above the (here
    lowered) row limit, the Fenwick tree."""
    if request.param == "fenwick":
        monkeypatch.setattr(_resample, "KENDALL_MATRIX_MAX_ROWS", 50)
        monkeypatch.setattr(_shared_truth, "KENDALL_MATRIX_MAX_ROWS", 50)
    return request.param


@pytest.fixture(params=["whole", "parts"])
def chunk_parts(request, monkeypatch):
    """Chunks computed whole or in parts of 7 resamples (the whole-space case)."""
    if request.param == "parts":
        monkeypatch.setattr(_shared_truth, "SUB_CHUNK_ELEMENTS", 120 * 7)
    return request.param


@pytest.mark.parametrize("failures", ["worst", "drop", "common"])
@pytest.mark.parametrize("shift", [0.0, -80.0])  # -80: a negative truth, nDCG undefined
def test_shared_summaries_equal_one_summary_per_score(kendall_path, chunk_parts, failures, shift):
    truth, scores = _scores(120)
    truth = truth + shift
    kwargs = {"n_resamples": 150, "seed": 9, "failures": failures}
    expected = [summarise(s, truth, **kwargs) for s in scores]
    shared = summarise_shared(scores, truth, **kwargs)
    for one, many in zip(expected, shared, strict=True):
        assert _same(dict(one.figures), dict(many.figures))
        assert one.to_dict() == many.to_dict()
    assert not math.isnan(shared[3].kendall_lo)  # intervals were drawn, not all undefined


def test_shared_replicates_equal_paired_replicates_bit_for_bit(kendall_path, chunk_parts):
    truth, scores = _scores(90, seed=2)
    keep = np.isfinite(truth)
    clean = [np.nan_to_num(s[keep], posinf=9.0, nan=-9.0) for s in scores]
    shared = shared_truth_replicates(
        clean, truth[keep], RESAMPLED_STATISTICS, 700, np.random.default_rng(4)
    )
    for c, score in enumerate(clean):
        alone = paired_replicates(
            [(score, truth[keep])], RESAMPLED_STATISTICS, 700, np.random.default_rng(4)
        )[0]
        np.testing.assert_array_equal(shared[c], alone)


def test_several_chunks_draw_the_same_rows(monkeypatch):
    """Resamples drawn over several chunks (the whole-space case) still pair up."""
    chunks, original = [], _resample.resample_index_chunks

    def small_chunks(rng, n, n_resamples):
        for indices in original(rng, n, n_resamples, 60 * 7):
            chunks.append(indices.shape[0])
            yield indices

    monkeypatch.setattr(_resample, "resample_index_chunks", small_chunks)
    monkeypatch.setattr(_shared_truth, "resample_index_chunks", small_chunks)
    truth, scores = _scores(60, seed=3)
    expected = [summarise(s, truth, n_resamples=40, seed=1).to_dict() for s in scores]
    assert [s.to_dict() for s in summarise_shared(scores, truth, n_resamples=40, seed=1)] == (
        expected
    )
    assert chunks[:7] == [7, 7, 7, 7, 7, 5, 7]  # 40 resamples in 6 chunks, per column


def test_a_generator_seed_is_refused():
    truth, scores = _scores(30)
    with pytest.raises(TypeError, match="int seed"):
        bootstrap_correlations_shared(scores, truth, seed=np.random.default_rng(0))
