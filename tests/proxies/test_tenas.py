"""TE-NAS: NTK condition number, linear regions and the rank combination."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
from naive_ownpass import (
    NAIVE_PRESETS,
    TinyNB201,
    naive_condition_number,
    naive_linear_regions,
    naive_ntk_gram,
    naive_patches,
    real_nb201_context,
    variant_builder,
)

from harness.proxies import ProxyContext, get_proxy
from harness.proxies.tenas import (
    condition_number,
    count_linear_regions,
    linear_region_count,
    ntk_condition_number,
    per_sample_weight_gram,
    random_patches,
    tenas_rank_sum,
)

CONV_OPS = ("nor_conv_3x3", "skip_connect", "nor_conv_1x1", "avg_pool_3x3", "none", "nor_conv_3x3")
NONE_OPS = ("none",) * 6


def _images(n=8, size=8, seed=0):
    return torch.randn((n, 3, size, size), generator=torch.Generator().manual_seed(seed))


def _context(ops=CONV_OPS, n=8, seed=5) -> ProxyContext:
    torch.manual_seed(11)
    build = variant_builder(ops, C=4, N=1, num_classes=5)
    return ProxyContext(
        network=build(), images=_images(n), seed=seed, build_variant=build, num_classes=5
    )


# ----------------------------------------------------------------------------- NTK


@pytest.mark.parametrize("method", ["loop", "batched"])
def test_gram_matches_per_sample_backward_loop(method):
    torch.manual_seed(0)
    net = TinyNB201(CONV_OPS, C=4, N=1).train()
    images = _images()
    expected = naive_ntk_gram(copy.deepcopy(net), images)
    got = per_sample_weight_gram(copy.deepcopy(net).train(), images, method=method, chunk=3)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-8 * np.abs(expected).max())


def test_train_mode_bn_couples_samples():
    # the reference semantics (one batch forward) differ from single-sample forwards
    torch.manual_seed(0)
    net = TinyNB201(CONV_OPS, C=4, N=1).train()
    images = _images(4)
    coupled = per_sample_weight_gram(copy.deepcopy(net), images)
    first_alone = per_sample_weight_gram(copy.deepcopy(net), images[:2])
    assert not torch.allclose(coupled[:2, :2], first_alone)


def test_condition_number_matches_numpy_and_is_at_least_one():
    ctx = _context()
    kappa = ntk_condition_number(ctx)
    theta = naive_ntk_gram(ctx.fresh_network(), ctx.images)
    assert kappa == pytest.approx(naive_condition_number(theta), rel=1e-4)
    assert kappa >= 1.0


def test_condition_number_edge_cases():
    assert condition_number(torch.eye(3)) == pytest.approx(1.0)
    assert condition_number(torch.diag(torch.tensor([4.0, 1.0]))) == pytest.approx(4.0)
    assert math.isnan(condition_number(torch.zeros(3, 3)))
    assert math.isnan(condition_number(torch.tensor([[1.0, float("nan")], [0.0, 1.0]])))
    singular = torch.ones(3, 3)  # rank one: lambda_min is 0 up to rounding
    assert math.isnan(condition_number(singular))
    noise = 1e-30 * torch.eye(4) + torch.ones(4, 4)  # numerically singular
    assert math.isnan(condition_number(noise))
    assert math.isnan(condition_number(torch.zeros(3, 3)))
    assert condition_number(torch.diag(torch.tensor([1.0, 4.0, 1e6]))) == pytest.approx(1e6)


def test_ntk_deterministic_and_all_none_gives_nan():
    ctx = _context()
    assert ntk_condition_number(ctx) == ntk_condition_number(ctx)
    for name in ("ntk_cond", "ntk_cond_full"):
        value = get_proxy(name).compute(_context(NONE_OPS))
        assert isinstance(value, float) and math.isnan(value)


def test_ntk_cond_is_computed_on_tenas_small_network_and_full_on_the_context_network():
    ctx = _context()
    small = ctx.variant("ntk_cond", **NAIVE_PRESETS["tenas_ntk"])
    assert small.stem[0].out_channels == 3
    expected = naive_condition_number(naive_ntk_gram(small, ctx.images))
    assert get_proxy("ntk_cond").compute(ctx) == pytest.approx(expected, rel=1e-6)
    full = naive_condition_number(naive_ntk_gram(ctx.fresh_network(), ctx.images))
    assert get_proxy("ntk_cond_full").compute(ctx) == pytest.approx(full, rel=1e-6)
    assert get_proxy("ntk_cond").version == "2"


# ----------------------------------------------------------------------------- linear regions


def test_patches_are_crops_of_one_channel():
    images = _images(4, size=6)
    got = random_patches(images, 50, 3, torch.Generator().manual_seed(1))
    expected = naive_patches(images, 50, 3, torch.Generator().manual_seed(1))
    assert got.shape == (50, 1, 3, 3)
    assert torch.equal(got, expected)


def test_region_count_matches_set_of_pattern_tuples():
    torch.manual_seed(0)
    thin = TinyNB201(CONV_OPS, **NAIVE_PRESETS["tenas_thin"])
    gen = torch.Generator().manual_seed(2)
    batches = [random_patches(_images(8), 200, 3, gen) for _ in range(2)]
    got = count_linear_regions(copy.deepcopy(thin), batches)
    assert got == naive_linear_regions(copy.deepcopy(thin), batches)
    assert 1 <= got <= 400


def test_linear_region_count_end_to_end_against_naive():
    ctx = _context()
    got = linear_region_count(ctx, batch_size=150, batches=2, repeats=2)
    gen = ctx.generator("linear_regions/patches")
    counts = []
    for repeat in range(2):
        net = ctx.variant(f"linear_regions/{repeat}", **NAIVE_PRESETS["tenas_thin"])
        batches = [naive_patches(ctx.images, 150, 3, gen) for _ in range(2)]
        counts.append(naive_linear_regions(net, batches))
    assert got == pytest.approx(np.mean(counts))
    assert got <= 300
    assert linear_region_count(ctx, batch_size=150, batches=2, repeats=2) == got


def test_linear_regions_all_none_does_not_crash():
    value = get_proxy("linear_regions").compute(_context(NONE_OPS))
    assert isinstance(value, float) and 1.0 <= value <= 3000


# ----------------------------------------------------------------------------- combination


def test_rank_sum_on_a_hand_made_set():
    kappa = np.array([10.0, 2.0, 5.0, np.nan, 2.0])
    regions = np.array([100.0, 50.0, 100.0, 7.0, 80.0])
    # kappa dense ranks (ascending): 2, 0, 1, -, 0; regions (descending): 0, 2, 0, -, 1
    got = tenas_rank_sum({"ntk_cond": kappa, "linear_regions": regions})
    np.testing.assert_array_equal(got, [2.0, 2.0, 1.0, np.nan, 1.0])


def test_rank_sum_rejects_mismatched_arrays():
    with pytest.raises(ValueError, match="one length"):
        tenas_rank_sum({"ntk_cond": np.ones(3), "linear_regions": np.ones(2)})


def test_registrations():
    ntk = get_proxy("ntk_cond")
    assert not ntk.higher_is_better and {"data", "own_pass"} <= ntk.needs
    regions = get_proxy("linear_regions")
    assert regions.higher_is_better and "network_variant" in regions.needs
    tenas = get_proxy("tenas")
    assert not tenas.higher_is_better
    assert tenas.needs == frozenset({"score_set"})
    assert tenas.combines == ("ntk_cond", "linear_regions")
    assert tenas.combine is tenas_rank_sum
    with pytest.raises(RuntimeError, match="set-level"):
        tenas.compute(_context())


def test_ntk_uses_the_first_32_images_by_default():
    ctx = _context(n=34)
    first = ProxyContext(network=ctx.network, images=ctx.images[:32], seed=ctx.seed)
    assert ntk_condition_number(ctx) == ntk_condition_number(first)
    assert ntk_condition_number(ctx, batch_size=None) != ntk_condition_number(first)


@pytest.mark.parametrize("ops", [CONV_OPS, NONE_OPS])
def test_with_the_real_nb201_builder(ops):
    ctx = real_nb201_context(ops, C=4, N=1)
    regions = linear_region_count(ctx, batch_size=100, batches=2, repeats=1)
    assert 1 <= regions <= 200
    kappa = ntk_condition_number(ctx)
    assert math.isnan(kappa) if ops == NONE_OPS else kappa >= 1.0


@pytest.mark.parametrize("zero_output", [False, True])
def test_through_the_engine_on_a_float64_net(make_context, zero_output):
    from harness.proxies.engine import compute_proxies

    names = ["ntk_cond_full", "ntk_cond", "tenas"]
    outcomes = compute_proxies(names, make_context(zero_output=zero_output))
    assert outcomes["ntk_cond_full"].status == ("nan" if zero_output else "ok")
    # this context cannot build TE-NAS's network: a clean error before anything runs
    assert outcomes["ntk_cond"].status == "error"
    assert "network variants" in outcomes["ntk_cond"].error
    assert outcomes["tenas"].status == "error"  # set-level: never computed per arch


def test_linear_regions_through_the_engine():
    from harness.proxies.engine import compute_proxies

    outcome = compute_proxies(["linear_regions"], _context())["linear_regions"]
    assert outcome.status == "ok" and 1 <= outcome.score <= 3000
