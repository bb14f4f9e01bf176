"""The supernet: weight sharing, and that a subnet computes its NB201 cell's network."""

from __future__ import annotations

import re

import torch
from torch import nn

from harness.distill.space import get_subnet_space
from harness.distill.supernet import CHOICE_NORM, NB201Supernet
from harness.spaces.nb201 import NB201Arch
from harness.spaces.nb201_network import NB201Network

SPACE = get_subnet_space("nb201_4op")
CONV1, CONV3, SKIP, POOL = (
    SPACE.ops.index(op) for op in ("nor_conv_1x1", "nor_conv_3x3", "skip_connect", "avg_pool_3x3")
)


def used_parameters(net: nn.Module, subnet, x, y) -> set[int]:
    net.zero_grad(set_to_none=True)
    nn.functional.cross_entropy(net(x, subnet), y).backward()
    return {id(p) for p in net.parameters() if p.grad is not None and p.grad.abs().sum() > 0}


def test_subnets_with_a_common_op_use_the_same_tensor():
    torch.manual_seed(0)
    net = NB201Supernet(SPACE.ops, C=4, N=2, dropout=0.0)
    x, y = torch.randn(4, 3, 8, 8), torch.randint(0, 10, (4,))
    a = (CONV3, SKIP, CONV1, POOL, SKIP, CONV1)
    b = (CONV3, CONV1, SKIP, SKIP, CONV3, POOL)
    shared = net.layers[0].edges[0].candidates[CONV3].op[1].weight
    used_a, used_b = used_parameters(net, a, x, y), used_parameters(net, b, x, y)
    assert id(shared) in used_a and id(shared) in used_b
    # the same op in a later cell of the same subnet is another tensor (cells do not share)
    assert id(net.layers[1].edges[0].candidates[CONV3].op[1].weight) in used_a
    # ops a subnet does not choose get no gradient
    assert id(net.layers[0].edges[1].candidates[CONV1].op[1].weight) not in used_a
    assert id(net.layers[0].edges[1].candidates[CONV1].op[1].weight) in used_b
    assert used_a == {id(p) for p in net.subnet_parameters(a) if p.requires_grad}


def test_choice_blocks_have_non_affine_bn_and_the_head_has_dropout():
    net = NB201Supernet(SPACE.ops, C=4, N=1)
    bn = net.layers[0].edges[0].candidates[CONV3].op[2]
    assert isinstance(bn, nn.BatchNorm2d) and not bn.affine and bn.track_running_stats
    assert net.stem[1].affine  # outside the choice blocks BN stays affine, as NB201
    assert isinstance(net.dropout, nn.Dropout) and net.dropout.p == 0.1


def _network_state(supernet_state: dict, subnet) -> dict:
    """Map supernet weights onto the stand-alone NB201 network of the subnet's cell."""
    state = {}
    for name, value in supernet_state.items():
        match = re.match(r"layers\.(\d+)\.edges\.(\d+)\.candidates\.(\d+)\.(.*)", name)
        if match:
            layer, edge, op, rest = match.groups()
            if int(op) == subnet[int(edge)]:
                state[f"cells.{layer}.edges.{edge}.{rest}"] = value
        else:
            state[name.replace("layers.", "cells.", 1)] = value
    return state


def test_a_subnet_computes_its_cells_nb201_network():
    torch.manual_seed(1)
    net = NB201Supernet(SPACE.ops, C=4, N=2)
    for module in net.modules():  # non-trivial running statistics
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    x = torch.randn(3, 3, 8, 8)
    net.eval()
    for subnet in [(CONV3, SKIP, CONV1, POOL, SKIP, CONV1), (POOL,) * 6, (CONV1, CONV3) * 3]:
        arch = NB201Arch.from_indices(subnet, SPACE.ops)
        reference = NB201Network(arch, 10, C=4, N=2, cell_norm=CHOICE_NORM)
        reference.load_state_dict(_network_state(net.state_dict(), subnet))
        reference.eval()
        with torch.no_grad():
            assert torch.allclose(net(x, subnet), reference(x), atol=1e-5)


def test_five_op_space_runs_none_edges():
    space = get_subnet_space("nb201_5op")
    net = NB201Supernet(space.ops, C=4, N=1)
    none = space.ops.index("none")
    out = net(torch.randn(2, 3, 8, 8), (none,) * 6)
    assert out.shape == (2, 10) and torch.isfinite(out).all()
