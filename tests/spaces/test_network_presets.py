"""Network presets: the geometries of reference code, asked for by name."""

from __future__ import annotations

import pytest
import torch

from harness.errors import UnknownNameError
from harness.spaces.darts import sample_keys as darts_keys
from harness.spaces.networks import build_network, list_presets

NB201_KEY = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|"
    "+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
)


def test_nb201_tenas_ntk_is_c3_n1_with_a_stem():
    assert list_presets("nb201") == ["tenas_ntk", "tenas_thin"]
    torch.manual_seed(0)
    preset = build_network("nb201", NB201_KEY, preset="tenas_ntk")
    torch.manual_seed(0)
    explicit = build_network("nb201", NB201_KEY, C=3, N=1)
    assert [p.shape for p in preset.parameters()] == [p.shape for p in explicit.parameters()]
    assert all(
        torch.equal(a, b) for a, b in zip(preset.parameters(), explicit.parameters(), strict=True)
    )
    assert preset(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_explicit_options_override_a_preset():
    net = build_network("nb201", NB201_KEY, preset="tenas_ntk", C=5)
    assert net.stem[0].out_channels == 5


def test_darts_tenas_ntk_is_a_normal_and_a_reduction_cell_on_a_thin_stem():
    net = build_network("darts", darts_keys(1, 0)[0], preset="tenas_ntk")
    assert [cell.reduction for cell in net.cells] == [False, True]
    assert net.stem[0].out_channels == 1
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_unknown_presets_name_what_exists():
    with pytest.raises(UnknownNameError, match="nb101 network preset 'tenas_ntk'"):
        build_network("nb101", "x", preset="tenas_ntk")
    with pytest.raises(UnknownNameError, match="did you mean tenas_ntk"):
        build_network("darts", darts_keys(1, 0)[0], preset="tenas_nkt")
