"""`layers` reproduces VKDNW's table-1 "No. of trainable layers" row on the whole space.

The count is data-free, so on the 9,445 NB201 cells of VKDNW's table (Suite-Zero's whole
space) its Kendall tau and Spearman rho against NAS-Bench-201's test accuracy must be the
published ones (VKDNW CVPR'25 table 1, three decimals) on all three data sets.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from scipy.stats import kendalltau, spearmanr

from harness.proxies import ProxyContext, compute_proxies
from harness.spaces.networks import build_network
from harness.tables._registry import load_table

#: VKDNW table 1, "No. of trainable layers": (tau, rho) per data set
PUBLISHED = {
    "cifar10": (0.626, 0.767),
    "cifar100": (0.646, 0.787),
    "ImageNet16-120": (0.623, 0.764),
}


def conv_ops(arch: str) -> int:
    return sum(op.startswith("nor_conv") for op in arch.replace("+", "").split("|") if op)


def layer_count(arch: str) -> int:
    """Stem conv, one Conv2d per conv op in each of 15 cells, 2 reduction blocks x 3, head."""
    return 1 + 15 * conv_ops(arch) + 6 + 1


@pytest.fixture(scope="module")
def whole_space(real_data_dir):
    archs = list(load_table("suite-zero-nb201-full", real_data_dir).archs)
    truth = load_table("nb201-csv", real_data_dir)
    return archs, truth


def test_the_closed_form_is_the_proxy(whole_space):
    archs, _ = whole_space
    for arch in random.Random(0).sample(archs, 12):
        ctx = ProxyContext(network=build_network("nb201", arch, num_classes=10))
        assert compute_proxies(["layers"], ctx)["layers"].score == layer_count(arch), arch


@pytest.mark.parametrize("dataset", sorted(PUBLISHED))
def test_whole_space_figures_are_vkdnw_table_1(whole_space, dataset):
    archs, truth = whole_space
    accuracy = truth.column(f"{dataset}/accuracy/test/200").reindex(archs).to_numpy(float)
    assert len(archs) == 9445 and np.isfinite(accuracy).all()
    layers = np.array([layer_count(arch) for arch in archs], dtype=float)
    tau = kendalltau(layers, accuracy).statistic
    rho = spearmanr(layers, accuracy).statistic
    assert (round(tau, 3), round(rho, 3)) == PUBLISHED[dataset]
