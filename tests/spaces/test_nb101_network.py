"""NB101 networks (nasbench_pytorch wrapped): shapes, frozen placeholders, counts vs Suite-Zero."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from harness.errors import ConfigError
from harness.proxies.complexity import count_flops, count_params
from harness.spaces import nb101
from harness.spaces.networks import build_network, list_variants

#: input -> conv3x3 -> maxpool -> output and input -> conv3x3 -> output.
MATRIX = (
    (0, 1, 1, 0, 0),
    (0, 0, 0, 1, 0),
    (0, 0, 0, 0, 1),
    (0, 0, 0, 0, 1),
    (0, 0, 0, 0, 0),
)
OPS = ("input", "conv3x3-bn-relu", "conv3x3-bn-relu", "maxpool3x3", "output")
SPEC = nb101.NB101Spec(MATRIX, OPS)
KEY = SPEC.key


def test_variants_listed():
    assert list_variants("nb101") == ["as_trained"]


def test_build_and_run_on_a_small_batch():
    torch.manual_seed(0)
    net = build_network("nb101", KEY, num_classes=5)
    x = torch.randn(2, 3, 32, 32)
    logits = net(x)
    assert isinstance(logits, torch.Tensor) and logits.shape == (2, 5)
    features = net.forward_features(x)
    assert features.shape == (2, 512, 8, 8)
    torch.testing.assert_close(logits, net.classifier(features.mean((2, 3))))
    assert net.num_classes == 5 and net.in_channels == 3


def test_unused_package_parameters_are_frozen():
    net = build_network("nb101", KEY)
    frozen = [p for p in net.parameters() if not p.requires_grad]
    assert frozen and all(p.numel() <= 1 for p in frozen)
    net(torch.randn(2, 3, 32, 32)).sum().backward()
    assert all(p.grad is not None for p in net.parameters() if p.requires_grad)


def test_init_default_is_pytorch_and_package_init_is_kept_on_request():
    torch.manual_seed(0)
    default = build_network("nb101", KEY)
    torch.manual_seed(0)
    package = build_network("nb101", KEY, init="package")
    # PyTorch's Linear default keeps |w| <= 1/sqrt(fan_in); the package draws N(0, 0.01)
    # and zeroes the bias.
    assert default.classifier.bias.abs().sum() > 0
    assert package.classifier.bias.abs().sum() == 0
    torch.manual_seed(0)
    again = build_network("nb101", KEY)
    torch.testing.assert_close(default.classifier.weight, again.classifier.weight)


def test_geometry_options():
    net = build_network("nb101", KEY, stem_channels=16, num_stacks=2, modules_per_stack=1)
    assert net.forward_features(torch.randn(2, 3, 16, 16)).shape == (2, 32, 8, 8)
    with pytest.raises(ConfigError, match="init"):
        build_network("nb101", KEY, init="xavier")


def test_accepts_plain_spec_values():
    class Plain:
        matrix = [list(row) for row in MATRIX]
        ops = list(OPS)

    assert count_params(build_network("nb101", Plain())) == count_params(
        build_network("nb101", KEY)
    )


@pytest.fixture(scope="module")
def suite_zero_nb101(real_data_dir):
    path = real_data_dir / "suite_zero" / "zc_nasbench101.json"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return json.loads(path.read_text())["nasbench101"]["cifar10"]


def _check_rows(rows):
    for naslib_key, record in rows:
        # The spec as the file gives it: its vertex order decides the channel split.
        net = build_network("nb101", nb101.NB101Spec.from_naslib(naslib_key))
        assert count_params(net) / 1e6 == pytest.approx(record["params"], abs=5e-7)
        assert count_flops(net, (3, 32, 32)) / 1e6 == pytest.approx(record["flops"], abs=5e-7)


def test_counts_equal_suite_zero_on_a_few_rows(suite_zero_nb101):
    rows = list(suite_zero_nb101.items())
    _check_rows(rows[:: len(rows) // 5][:5])


def test_vertex_order_changes_the_channel_split(suite_zero_nb101):
    # First row: three vertices feed the output, so 128 channels split 43/43/42 in vertex
    # order; the canonical key orders the (isomorphic) vertices differently.
    naslib_key, record = next(iter(suite_zero_nb101.items()))
    as_given = nb101.NB101Spec.from_naslib(naslib_key)
    assert count_params(build_network("nb101", as_given)) == round(record["params"] * 1e6)
    assert count_params(build_network("nb101", as_given.key)) == 4_130_374


@pytest.mark.slow
def test_counts_equal_suite_zero_on_every_row(suite_zero_nb101):
    _check_rows(suite_zero_nb101.items())


def test_batchnorm_count_is_what_the_package_builds():
    # Guards the wrapper: it must keep every module of the package network.
    from nasbench_pytorch.model import Network

    ours = build_network("nb101", KEY)
    theirs = Network(SPEC.to_model_spec())
    count = lambda m: sum(isinstance(x, (nn.BatchNorm2d, nn.Conv2d)) for x in m.modules())  # noqa: E731
    assert count(ours) == count(theirs)
