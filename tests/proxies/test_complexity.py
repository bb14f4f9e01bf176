"""Parameter / FLOP counting: hand-computed figures on small modules."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from harness.errors import ConfigError
from harness.proxies.complexity import FLOP_CONVENTIONS, count_flops, count_params


def _small_net() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1, bias=True),  # 8x8 out
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2, 2),  # 4x4 out
        nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False),
        nn.BatchNorm2d(4, affine=False),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4, 5),
    )


def test_count_params_counts_trainable_once():
    net = _small_net()
    expected = (3 * 4 * 9 + 4) + 2 * 4 + 4 * 9 + (4 * 5 + 5)
    assert count_params(net) == expected
    net[0].bias.requires_grad_(False)
    assert count_params(net) == expected - 4
    shared = nn.Linear(3, 3)
    assert count_params(nn.Sequential(shared, shared)) == 12


def test_suite_zero_convention_by_hand():
    conv1 = 3 * 4 * 9 * 64 + 4 * 64  # MACs + bias adds
    bn1 = 2 * 4 * 64  # affine: twice the elements
    relu = 4 * 64
    pool = 4 * 16 * 4  # output elements x kernel area
    conv2 = 9 * 1 * 4 * 16  # depthwise
    bn2 = 4 * 16  # not affine
    adaptive = 4 * (4 + 1) * (4 + 1)  # torchstat's "+1" on each bin side
    linear = 4 * 5  # bias not counted
    expected = conv1 + bn1 + relu + pool + conv2 + bn2 + adaptive + linear
    assert count_flops(_small_net(), (3, 8, 8)) == expected


def test_xautodl_convention_by_hand():
    conv1 = 3 * 4 * 9 * 64 + 4 * 64
    conv2 = 9 * 4 * 16
    linear = 4 * 5 + 5
    assert count_flops(_small_net(), (3, 8, 8), convention="xautodl") == conv1 + conv2 + linear


def test_adaptive_pool_matches_torchstat_formula_at_8x8():
    # NB201 / DARTS heads: 8x8 -> 1x1 counts 9 * 9 per channel.
    assert count_flops(nn.AdaptiveAvgPool2d(1), (64, 8, 8)) == 64 * 81


def test_per_example_and_every_call_counted():
    conv = nn.Conv2d(2, 2, 1, bias=False)
    assert count_flops(conv, (4, 2, 5, 5)) == count_flops(conv, (2, 5, 5)) == 4 * 25

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = conv

        def forward(self, x):
            return self.conv(self.conv(x))

    assert count_flops(Twice(), (2, 5, 5)) == 2 * 4 * 25


def test_modes_restored_and_input_values_irrelevant():
    net = _small_net()
    net.train()
    net[1].eval()
    count_flops(net, (3, 8, 8))
    assert net.training and not net[1].training and net[2].training
    assert count_flops(net.double(), (3, 8, 8)) == count_flops(_small_net(), (3, 8, 8))


def test_global_rng_untouched():
    torch.manual_seed(0)
    count_flops(_small_net(), (3, 8, 8))
    after = torch.rand(3)
    torch.manual_seed(0)
    _small_net()
    torch.testing.assert_close(after, torch.rand(3))


def test_bad_arguments():
    assert FLOP_CONVENTIONS == ("suite_zero", "xautodl")
    with pytest.raises(ConfigError, match="unknown FLOP convention"):
        count_flops(_small_net(), (3, 8, 8), convention="macs")
    with pytest.raises(ConfigError, match="input_shape"):
        count_flops(_small_net(), (8, 8))


def test_parameterless_module():
    assert count_flops(nn.ReLU(), (3, 4, 4)) == 48
    assert count_params(nn.ReLU()) == 0
    assert torch.is_grad_enabled()
