"""Architecture sampling: determinism, one per isomorphism class, stratification."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from harness.errors import ConfigError
from harness.sampling import sample_archs
from harness.spaces.nb201 import enumerate_archs, iso_key
from harness.tables import BenchmarkTable
from harness.tables.base import frame_from_columns

TARGET = "cifar10/accuracy/test/200"


@pytest.fixture(scope="module")
def space_table() -> BenchmarkTable:
    """All 15,625 NB201 cells with a made-up accuracy (a deterministic function of the ops)."""
    archs = list(enumerate_archs())
    keys = [a.to_string() for a in archs]
    accuracy = [sum(len(op) * (k + 1) for k, op in enumerate(a.ops)) % 97 / 1.0 for a in archs]
    other = [math.nan if i % 10 == 0 else float(i) for i in range(len(keys))]
    frame = frame_from_columns(keys, {TARGET: accuracy, "x/accuracy/valid/1": other})
    return BenchmarkTable("space", "nb201", frame)


def test_deterministic_in_seed(space_table):
    a = sample_archs(space_table, 50, seed=3)
    assert a == sample_archs(space_table, 50, seed=3)
    assert a != sample_archs(space_table, 50, seed=4)
    assert len(set(a)) == 50
    # the procedure: the first n of a default_rng(seed) permutation of the table order
    order = np.random.default_rng(3).permutation(len(space_table))
    assert a == [space_table.archs[i] for i in order[:50]]


def test_prefix_property_and_zero(space_table):
    assert sample_archs(space_table, 10, 7) == sample_archs(space_table, 40, 7)[:10]
    assert sample_archs(space_table, 0, 7) == []


def test_unique_takes_first_of_each_class(space_table):
    sample = sample_archs(space_table, 300, seed=11, unique=True)
    classes = [iso_key(k) for k in sample]
    assert len(set(classes)) == 300
    # every sampled key is the earliest member of its class in the permutation
    order = [space_table.archs[i] for i in np.random.default_rng(11).permutation(15_625)]
    iso_of = {key: iso_key(key) for key in order}
    first_seen: dict[str, str] = {}
    for key in order:
        first_seen.setdefault(iso_of[key], key)
    assert all(first_seen[c] == k for c, k in zip(classes, sample, strict=True))
    assert sample == [k for k in order if first_seen[iso_of[k]] == k][:300]


def test_unique_cannot_exceed_the_number_of_classes(space_table):
    with pytest.raises(ConfigError, match="only 6466 isomorphism classes"):
        sample_archs(space_table, 6467, seed=0, unique=True)
    assert len(sample_archs(space_table, 6466, seed=0, unique=True)) == 6466


def test_too_many_or_invalid_requests(space_table):
    with pytest.raises(ConfigError, match="cannot sample 15626 architectures") as info:
        sample_archs(space_table, 15_626, seed=0)
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="non-negative"):
        sample_archs(space_table, -1, seed=0)
    with pytest.raises(ConfigError, match="quantiles:K"):
        sample_archs(space_table, 5, seed=0, stratify="deciles", target=TARGET)
    with pytest.raises(ConfigError, match="needs a target"):
        sample_archs(space_table, 5, seed=0, stratify="quantiles:4")
    with pytest.raises(ConfigError, match="unknown target"):
        sample_archs(space_table, 5, seed=0, target="cifar100/test/200")


def test_target_restricts_to_known_values(space_table):
    sample = sample_archs(space_table, 2000, seed=1, target="x/valid/1")
    values = space_table.frame.loc[sample, "x/accuracy/valid/1"]
    assert values.notna().all()
    with pytest.raises(ConfigError, match="with a known x/accuracy/valid/1"):
        sample_archs(space_table, 14_063, seed=1, target="x/valid/1")


def _bins(table, pool_keys, k):
    """Quantile bins of the target over the pool, computed independently of the sampler."""
    values = table.frame.loc[pool_keys, TARGET]
    ranks = values.rank(method="first")
    return pd.Series(pd.qcut(ranks, k, labels=False).to_numpy(), index=pool_keys)


@pytest.mark.parametrize("unique", [False, True])
def test_stratified_equal_counts_per_quantile_bin(space_table, unique):
    n, k = 40, 5
    sample = sample_archs(
        space_table, n, seed=5, unique=unique, stratify="quantiles:5", target="cifar10/test/200"
    )
    assert len(sample) == n and len(set(sample)) == n
    assert sample == sample_archs(space_table, n, seed=5, unique=unique, stratify=k, target=TARGET)
    order = [space_table.archs[i] for i in np.random.default_rng(5).permutation(15_625)]
    if unique:
        seen: set[str] = set()
        order = [key for key in order if not (iso_key(key) in seen or seen.add(iso_key(key)))]
    bins = _bins(space_table, order, k)
    assert bins.loc[sample].value_counts().sort_index().tolist() == [8] * k
    # within each bin, the sampled archs are the first of that bin in permutation order
    bin_of = bins.to_dict()
    for b in range(k):
        members = [key for key in order if bin_of[key] == b]
        assert [key for key in sample if bin_of[key] == b] == members[:8]
    # result order is permutation order
    position = {key: i for i, key in enumerate(order)}
    assert sample == sorted(sample, key=position.__getitem__)


def test_stratified_remainder_and_small_bins():
    keys = [a.to_string() for a, _ in zip(enumerate_archs(), range(12), strict=False)]
    values = [1.0] * 10 + [50.0, 99.0]
    table = BenchmarkTable("t", "nb201", frame_from_columns(keys, {TARGET: values}))
    sample = sample_archs(table, 7, seed=2, stratify="quantiles:3", target=TARGET)
    assert len(sample) == 7 and len(set(sample)) == 7
    bins = _bins(table, keys, 3)
    counts = bins.loc[sample].value_counts()
    assert counts.max() - counts.min() <= 1
    assert sample_archs(table, 12, seed=2, stratify=3, target=TARGET) == sample_archs(
        table, 12, seed=2
    )
