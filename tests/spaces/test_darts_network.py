"""DARTS / NB301 networks: structure, shapes, and params / FLOPs against Suite-Zero."""

from __future__ import annotations

import json
import statistics

import pytest
import torch
from torch import nn

from harness.errors import ArchitectureError, ConfigError
from harness.proxies.complexity import count_flops, count_params
from harness.spaces import darts
from harness.spaces.darts import DartsGenotype
from harness.spaces.darts_network import DartsNetwork, FactorizedReduce, SepConv
from harness.spaces.networks import build_network, list_variants

#: DARTS-V2 (Liu et al. 2019), written in this space's canonical form.
DARTS_V2 = DartsGenotype(
    normal=(
        ("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
        ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2),
    ),
    reduce=(
        ("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
        ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1),
    ),
)  # fmt: skip
KEY = DARTS_V2.to_string()


def test_variants_listed():
    assert list_variants("darts") == ["as_trained", "proxy_bn"]


def test_darts_v2_parameter_count_matches_the_paper():
    # DARTS reports 3.3M params for DARTS-V2 at C=36, 20 layers; its training logs print
    # "param size = 3.349342MB" (auxiliary head excluded).
    net = build_network("darts", KEY, C=36, layers=20)
    assert count_params(net) == 3_349_342


@pytest.mark.parametrize("variant", ["as_trained", "proxy_bn"])
@pytest.mark.parametrize("auxiliary", [False, True])
def test_build_and_run_on_a_small_batch(variant, auxiliary):
    torch.manual_seed(0)
    net = build_network("darts", KEY, variant=variant, auxiliary=auxiliary)
    net.train()
    x = torch.randn(2, 3, 32, 32)
    logits = net(x)
    assert isinstance(logits, torch.Tensor) and logits.shape == (2, 10)
    assert net.forward_features(x).shape == (2, 4 * 128, 8, 8)
    if auxiliary:
        assert net.auxiliary_logits is not None and net.auxiliary_logits.shape == (2, 10)
    else:
        assert net.auxiliary_logits is None
    net.eval()
    net(x)
    assert net.auxiliary_logits is None  # the head runs in training mode only


def test_structure_follows_network_cifar():
    net = build_network("darts", KEY)
    assert isinstance(net, DartsNetwork) and len(net.cells) == 8
    assert [cell.reduction for cell in net.cells] == [
        False,
        False,
        True,
        False,
        False,
        True,
        False,
        False,
    ]
    assert isinstance(net.cells[3].preprocess0, FactorizedReduce)  # after a reduction cell
    assert net.stem[0].out_channels == 96
    # Reduction cells: only ops reading the cell inputs are strided.
    reduce_cell = net.cells[2]
    assert isinstance(reduce_cell.ops[2], nn.Identity)  # skip_connect from node 2
    assert isinstance(reduce_cell.ops[0], nn.MaxPool2d) and reduce_cell.ops[0].stride == 2
    assert net.classifier.in_features == 512


def test_variant_norm_conventions():
    trained = build_network("darts", KEY, variant="as_trained")
    proxy = build_network("darts", KEY, variant="proxy_bn")
    sep = next(m for m in proxy.modules() if isinstance(m, SepConv))
    assert all(not m.affine for m in sep.modules() if isinstance(m, nn.BatchNorm2d))
    pool = proxy.cells[2].ops[0]
    assert isinstance(pool, nn.Sequential) and not pool[1].affine
    assert proxy.cells[0].preprocess1.op[2].affine and proxy.stem[1].affine
    assert all(m.affine for m in trained.modules() if isinstance(m, nn.BatchNorm2d))


def test_cell_sums_pairs_and_concatenates_nodes():
    genotype = DartsGenotype(
        normal=[("skip_connect", 0), ("skip_connect", 1)] + [("skip_connect", 2)] * 6,
        reduce=DARTS_V2.reduce,
    )
    cell = DartsNetwork(genotype, C=4, layers=3).cells[0]
    cell.eval()
    s0, s1 = torch.randn(1, 12, 8, 8), torch.randn(1, 12, 8, 8)
    p0, p1 = cell.preprocess0(s0), cell.preprocess1(s1)
    node2 = p0 + p1
    torch.testing.assert_close(cell(s0, s1), torch.cat([node2, 2 * node2, 2 * node2, 2 * node2], 1))


def test_bad_genotypes_and_options():
    with pytest.raises(ConfigError, match="unknown darts network option"):
        build_network("darts", KEY, drop_path=0.2)
    with pytest.raises(ConfigError, match="auxiliary"):
        build_network("darts", KEY, auxiliary="yes")

    class Plain:
        normal = [("conv_3x3", 0)] * 8
        reduce = DARTS_V2.reduce

    with pytest.raises(ArchitectureError):
        build_network("darts", Plain())


# -- against the benchmark file ------------------------------------------------------------
@pytest.fixture(scope="module")
def suite_zero_nb301(real_data_dir):
    path = real_data_dir / "suite_zero" / "zc_nasbench301.json"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return json.loads(path.read_text())["cifar10"]


def _check_rows(rows):
    for naslib_key, record in rows:
        net = build_network("darts", darts.key_from_naslib(naslib_key), variant="proxy_bn")
        assert count_params(net) / 1e6 == pytest.approx(record["params"]["score"], abs=5e-7)
        flops = count_flops(net, (3, 32, 32)) / 1e6
        assert flops == pytest.approx(record["flops"]["score"], abs=5e-7)


def test_proxy_bn_counts_equal_suite_zero_on_a_few_rows(suite_zero_nb301):
    rows = list(suite_zero_nb301.items())
    _check_rows(rows[:: len(rows) // 6][:6])


def test_as_trained_has_more_params_than_suite_zero(suite_zero_nb301):
    naslib_key, record = next(iter(suite_zero_nb301.items()))
    key = darts.key_from_naslib(naslib_key)
    plain = count_params(build_network("darts", key)) / 1e6
    with_head = count_params(build_network("darts", key, auxiliary=True)) / 1e6
    assert plain > record["params"]["score"]
    assert with_head - plain == pytest.approx(0.468234, abs=1e-6)


@pytest.mark.slow
def test_proxy_bn_counts_equal_suite_zero_on_every_row(suite_zero_nb301):
    _check_rows(suite_zero_nb301.items())


@pytest.mark.slow
def test_as_trained_differences_are_as_documented(suite_zero_nb301):
    ratios = []
    for naslib_key, record in suite_zero_nb301.items():
        net = build_network("darts", darts.key_from_naslib(naslib_key))
        ratios.append(count_params(net) / 1e6 / record["params"]["score"] - 1)
    assert min(ratios) > 0
    assert statistics.median(ratios) == pytest.approx(0.0098, abs=0.0005)
    assert max(ratios) < 0.0125
