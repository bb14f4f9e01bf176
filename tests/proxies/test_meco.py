"""MeCo against numpy corrcoef + eigvalsh per module, plus degenerate outputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from naive_ownpass import TinyNB201, naive_meco, real_nb201_context

from harness.proxies import ProxyContext, get_proxy
from harness.proxies.meco import channel_correlation_min_eigenvalue, meco_score

CONV_OPS = ("nor_conv_3x3", "skip_connect", "nor_conv_1x1", "avg_pool_3x3", "none", "nor_conv_3x3")


def _context(ops=CONV_OPS, seed=0) -> ProxyContext:
    torch.manual_seed(seed)
    images = torch.randn((4, 3, 8, 8), generator=torch.Generator().manual_seed(1))
    return ProxyContext(network=TinyNB201(ops, C=6, N=1), images=images, seed=seed)


def test_matches_numpy_corrcoef_per_module():
    ctx = _context()
    got = meco_score(ctx)
    expected = naive_meco(ctx.fresh_network(), ctx.images[:1])
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert got != 0.0


def test_single_feature_map_against_numpy():
    feature = torch.randn(5, 4, 4, generator=torch.Generator().manual_seed(0))
    corr = np.corrcoef(feature.double().numpy().reshape(5, -1))
    assert channel_correlation_min_eigenvalue(feature) == pytest.approx(
        np.linalg.eigvalsh(corr)[0], abs=1e-12
    )


def test_constant_channels_and_one_pixel_maps_give_zero_rows():
    feature = torch.randn(3, 4, 4)
    feature[1] = 2.0  # constant channel: its row and column become 0
    assert channel_correlation_min_eigenvalue(feature) == pytest.approx(0.0, abs=1e-12)
    assert channel_correlation_min_eigenvalue(torch.randn(4, 1, 1)) == 0.0


def test_uses_only_the_first_image():
    ctx = _context()
    other = ProxyContext(
        network=ctx.network, images=torch.cat([ctx.images[:1], -ctx.images[1:]]), seed=0
    )
    assert meco_score(ctx) == meco_score(other)


def test_all_none_network_does_not_crash():
    value = get_proxy("meco").compute(_context(("none",) * 6))
    assert isinstance(value, float) and math.isfinite(value)


def test_registration():
    spec = get_proxy("meco")
    assert spec.higher_is_better and spec.needs == frozenset({"data", "own_pass"})


@pytest.mark.parametrize("ops", [CONV_OPS, ("none",) * 6])
def test_with_the_real_nb201_builder(ops):
    ctx = real_nb201_context(ops, C=4, N=1)
    got = meco_score(ctx)
    assert got == pytest.approx(naive_meco(ctx.fresh_network(), ctx.images[:1]), abs=1e-9)


@pytest.mark.parametrize("zero_output", [False, True])
def test_through_the_engine_on_a_float64_net(make_context, zero_output):
    from harness.proxies.engine import compute_proxies

    outcome = compute_proxies(["meco"], make_context(zero_output=zero_output))["meco"]
    assert outcome.status == "ok", outcome.error
