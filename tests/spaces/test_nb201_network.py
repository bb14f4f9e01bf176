"""NB201 networks: shapes per variant, thin network, and params / FLOPs against Suite-Zero."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import pytest
import torch
from torch import nn

from harness.errors import ArchitectureError, ConfigError, UnknownNameError
from harness.proxies.complexity import count_flops, count_params
from harness.spaces import nb201
from harness.spaces.nb201 import NB201Arch
from harness.spaces.nb201_network import NB201Network, ResNetBasicBlock, Zero
from harness.spaces.networks import build_network, list_variants

KEY = nb201.key_from_naslib("(0, 2, 3, 2, 3, 1)")
ALL_NONE = NB201Arch(("none",) * 6).to_string()
#: Suite-Zero dataset -> (num_classes, input side).
DATASETS = {"cifar10": (10, 32), "cifar100": (100, 32), "ImageNet16-120": (120, 16)}


def _input_for(net: nn.Module, side: int = 32, batch: int = 2) -> torch.Tensor:
    return torch.randn(batch, net.in_channels, side, side)


def test_variants_listed():
    assert list_variants("nb201") == ["as_trained", "proxy_bn", "tenas_thin"]


@pytest.mark.parametrize("variant", ["as_trained", "proxy_bn"])
@pytest.mark.parametrize("side", [32, 16])
def test_logits_and_features_shapes(variant, side):
    torch.manual_seed(0)
    net = build_network("nb201", KEY, num_classes=7, variant=variant)
    x = _input_for(net, side)
    logits = net(x)
    assert isinstance(logits, torch.Tensor) and logits.shape == (2, 7)
    features = net.forward_features(x)
    assert features.shape == (2, 64, side // 4, side // 4)
    assert (features >= 0).all()  # after the head's ReLU
    assert net.num_classes == 7


def test_variant_bn_and_bias_conventions():
    trained = build_network("nb201", KEY, variant="as_trained")
    proxy = build_network("nb201", KEY, variant="proxy_bn")
    cell_bns = [m for m in proxy.cells[0].modules() if isinstance(m, nn.BatchNorm2d)]
    assert cell_bns and all(not m.affine and not m.track_running_stats for m in cell_bns)
    cell_convs = [m for m in proxy.cells[0].modules() if isinstance(m, nn.Conv2d)]
    assert cell_convs and all(m.bias is not None for m in cell_convs)
    block = proxy.cells[5]
    assert isinstance(block, ResNetBasicBlock)
    assert all(
        m.affine and m.track_running_stats for m in block.modules() if isinstance(m, nn.BatchNorm2d)
    )
    assert all(m.bias is None for m in block.modules() if isinstance(m, nn.Conv2d))
    for m in trained.cells[0].modules():
        if isinstance(m, nn.BatchNorm2d):
            assert m.affine and m.track_running_stats
        if isinstance(m, nn.Conv2d):
            assert m.bias is None
    # Per conv op: proxy_bn drops 2C affine BN weights and adds C conv biases.
    convs = sum(op.startswith("nor_conv") for op in nb201.parse(KEY).ops)
    expected_gap = convs * 5 * (16 + 32 + 64)
    assert count_params(trained) - count_params(proxy) == expected_gap


def test_same_seed_same_init():
    torch.manual_seed(3)
    first = build_network("nb201", KEY)
    torch.manual_seed(3)
    second = build_network("nb201", KEY)
    for a, b in zip(first.state_dict().values(), second.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_cell_wiring_matches_a_hand_computation():
    # |nor_conv_3x3~0|+|skip~0|avg~1|+|none~0|skip~1|conv1x1~2|: node3 = node1 + conv1x1(node2)
    arch = NB201Arch(
        ("nor_conv_3x3", "skip_connect", "avg_pool_3x3", "none", "skip_connect", "nor_conv_1x1")
    )
    net = NB201Network(arch, N=1)
    cell = net.cells[0]
    x = torch.randn(2, 16, 8, 8)
    node1 = cell.edges[0](x)
    node2 = x + cell.edges[2](node1)
    expected = cell.edges[3](x) + node1 + cell.edges[5](node2)
    torch.testing.assert_close(cell(x), expected)


def test_all_none_cells_run():
    net = build_network("nb201", ALL_NONE)
    x = _input_for(net)
    logits = net(x)
    assert logits.shape == (2, 10) and torch.isfinite(logits).all()
    assert all(isinstance(e, Zero) for e in net.cells[0].edges)


def test_tenas_thin_network():
    net = build_network("nb201", KEY, variant="tenas_thin", num_classes=100)
    assert net.in_channels == 1 and net.stem is None and len(net.cells) == 1
    x = torch.randn(1000, 1, 3, 3)
    assert net(x).shape == (1000, 100)
    assert net.forward_features(x).shape == (1000, 1, 3, 3)
    with pytest.raises(ValueError, match=r"\[B, 1, H, W\]"):
        net(torch.randn(2, 3, 3, 3))


def test_thin_options_override_geometry():
    net = build_network("nb201", KEY, C=8, N=2, stem=False)
    assert net.in_channels == 8
    assert len(net.cells) == 2 * 3 + 2
    x = torch.randn(2, 8, 16, 16)
    assert net.forward_features(x).shape == (2, 32, 4, 4)
    deep = build_network("nb201", KEY, C=4, N=1, depth=2)  # a cell then a basic block
    assert isinstance(deep.cells[-1], ResNetBasicBlock)
    assert deep.forward_features(torch.randn(2, 3, 8, 8)).shape == (2, 8, 4, 4)


def test_bad_names_and_options():
    with pytest.raises(UnknownNameError, match="did you mean proxy_bn"):
        build_network("nb201", KEY, variant="proxybn")
    with pytest.raises(ConfigError, match="unknown nb201 network option"):
        build_network("nb201", KEY, width=3)
    with pytest.raises(ConfigError, match="C must be a positive integer"):
        build_network("nb201", KEY, C=0)
    with pytest.raises(ConfigError, match="num_classes"):
        build_network("nb201", KEY, num_classes=0)
    with pytest.raises(ArchitectureError):
        build_network("nb201", "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    with pytest.raises(UnknownNameError, match="search space"):
        build_network("nb202", KEY)


def test_accepts_plain_arch_values():
    class Plain:
        ops = nb201.parse(KEY).ops

    assert count_params(build_network("nb201", Plain())) == count_params(
        build_network("nb201", KEY)
    )


#: NAS-Bench-201 API cost figures (xautodl counter) of the smallest (all `none`) and the
#: largest (all `nor_conv_3x3`) cells: min / max of `get_cost_info` over the space, as
#: quoted by public repositories using the API: (params M, FLOPs M).
API_EXTREMES = {
    ("none", "cifar10"): (0.073306, 7.78305),
    ("none", "cifar100"): (0.079156, 7.7889),
    ("none", "ImageNet16-120"): (0.080456, 1.9534),
    ("nor_conv_3x3", "cifar10"): (1.531546, 220.11969),
    ("nor_conv_3x3", "cifar100"): (1.537396, 220.12554),
    ("nor_conv_3x3", "ImageNet16-120"): (1.538696, 55.03756),
}


@pytest.mark.parametrize(("op", "dataset"), list(API_EXTREMES))
def test_xautodl_counts_reproduce_the_nb201_api_extremes(op, dataset):
    num_classes, side = DATASETS[dataset]
    net = build_network("nb201", NB201Arch((op,) * 6).to_string(), num_classes=num_classes)
    params, flops = API_EXTREMES[(op, dataset)]
    assert count_params(net) / 1e6 == pytest.approx(params, abs=5e-7)
    assert count_flops(net, (3, side, side), convention="xautodl") / 1e6 == pytest.approx(
        flops, abs=5e-6
    )


# -- against the benchmark files ---------------------------------------------------------------
@pytest.fixture(scope="module")
def suite_zero_nb201(real_data_dir):
    path = real_data_dir / "suite_zero" / "zc_nasbench201.json"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return json.loads(path.read_text())


def test_params_and_flops_equal_suite_zero_on_every_row(suite_zero_nb201):
    """Every row of all three datasets, params and FLOPs exactly.

    In this network both counts depend only on the multiset of cell ops (every edge sees
    the same channels and resolution), so one network per (multiset, dataset) is built
    and checked against every row sharing it; the slow test builds every row instead.
    """
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for dataset, records in suite_zero_nb201.items():
        for naslib_key, record in records.items():
            arch = NB201Arch.from_naslib_tuple(naslib_key)
            groups[(dataset, tuple(sorted(Counter(arch.ops).items())))].append(
                {**record, "value": arch}
            )
    assert sum(len(rows) for rows in groups.values()) == 724 + 725 + 724
    for (dataset, _), rows in groups.items():
        num_classes, side = DATASETS[dataset]
        net = build_network("nb201", rows[0]["value"].to_string(), num_classes=num_classes)
        params, flops = count_params(net) / 1e6, count_flops(net, (3, side, side)) / 1e6
        for row in rows:
            assert params == pytest.approx(row["params"]["score"], abs=5e-7), row["value"]
            assert flops == pytest.approx(row["flops"]["score"], abs=5e-7), row["value"]


@pytest.mark.slow
def test_every_row_built_individually(suite_zero_nb201):
    for dataset, records in suite_zero_nb201.items():
        num_classes, side = DATASETS[dataset]
        for naslib_key, record in records.items():
            key = nb201.key_from_naslib(naslib_key)
            net = build_network("nb201", key, num_classes=num_classes)
            assert count_params(net) / 1e6 == pytest.approx(record["params"]["score"], abs=5e-7)
            flops = count_flops(net, (3, side, side)) / 1e6
            assert flops == pytest.approx(record["flops"]["score"], abs=5e-7)
