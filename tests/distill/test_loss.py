"""The rank hinge's sign and gradient flow, and the lambda schedules."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from harness.distill.loss import LambdaSchedule, rank_hinge, teacher_prefers_second
from harness.distill.space import get_subnet_space
from harness.distill.supernet import NB201Supernet
from harness.errors import ConfigError


def leaf(value: float) -> torch.Tensor:
    return torch.tensor(value, requires_grad=True)


def test_teacher_preference_orientation():
    assert teacher_prefers_second(1.0, 2.0) is True
    assert teacher_prefers_second(2.0, 1.0) is False
    assert teacher_prefers_second(1.0, 1.0) is None


@pytest.mark.parametrize("mode", ["asymmetric", "symmetric"])
def test_hinge_penalises_only_the_wrong_order(mode):
    def value(*args) -> float:
        return float(rank_hinge(*args).detach())

    # teacher prefers the second subnet: its loss should be the lower one
    assert value(leaf(1.0), leaf(1.5), True, mode) == pytest.approx(0.5)
    assert value(leaf(1.5), leaf(1.0), True, mode) == 0.0
    # teacher prefers the first subnet
    assert value(leaf(1.5), leaf(1.0), False, mode) == pytest.approx(0.5)
    assert value(leaf(1.0), leaf(1.5), False, mode) == 0.0


def test_asymmetric_gradient_reaches_only_the_second_subnet():
    first, second = leaf(1.0), leaf(1.5)
    rank_hinge(first, second, True, "asymmetric").backward()
    assert first.grad is None and float(second.grad) == 1.0
    first, second = leaf(1.5), leaf(1.0)
    rank_hinge(first, second, False, "asymmetric").backward()
    assert first.grad is None and float(second.grad) == -1.0  # push l_b up


def test_symmetric_gradient_reaches_both_and_ties_are_neutral():
    first, second = leaf(1.0), leaf(1.5)
    rank_hinge(first, second, True, "symmetric").backward()
    assert float(first.grad) == -1.0 and float(second.grad) == 1.0
    tie = rank_hinge(leaf(1.0), leaf(3.0), None, "symmetric")
    assert float(tie.detach()) == 0.0
    # the reference's asymmetric form treats a tie as "the first is better"
    hinge = rank_hinge(leaf(3.0), leaf(1.0), None, "asymmetric")
    assert float(hinge.detach()) == pytest.approx(2.0)


def test_asymmetric_rank_term_leaves_the_first_subnets_own_weights_alone():
    """On the supernet: ops only the first subnet uses get the same gradient with and
    without the rank term; ops only the second uses get a different one."""
    space = get_subnet_space("nb201_4op")
    conv1, conv3 = space.ops.index("nor_conv_1x1"), space.ops.index("nor_conv_3x3")
    skip = space.ops.index("skip_connect")
    first, second = (conv1, skip, skip, conv1, skip, skip), (conv3, skip, skip, conv3, skip, skip)
    torch.manual_seed(0)
    net = NB201Supernet(space.ops, C=4, N=1, dropout=0.0)
    x, y = torch.randn(8, 3, 8, 8), torch.randint(0, 10, (8,))

    def grads(with_rank: bool) -> dict[str, torch.Tensor]:
        net.zero_grad(set_to_none=True)
        la, lb = F.cross_entropy(net(x, first), y), F.cross_entropy(net(x, second), y)
        prefers = bool(lb.detach() > la.detach())  # make the hinge active
        loss = la + lb + (10.0 * rank_hinge(la, lb, prefers) if with_rank else 0.0)
        assert float(rank_hinge(la, lb, prefers).detach()) > 0
        loss.backward()
        return {n: p.grad.clone() for n, p in net.named_parameters() if p.grad is not None}

    plain, ranked = grads(False), grads(True)
    only_first = f"layers.0.edges.0.candidates.{conv1}.op.1.weight"
    only_second = f"layers.0.edges.0.candidates.{conv3}.op.1.weight"
    assert torch.equal(plain[only_first], ranked[only_first])
    assert not torch.allclose(plain[only_second], ranked[only_second])


def test_lambda_schedules():
    constant = LambdaSchedule("constant", 1.0, total_epochs=50)
    assert constant(0) == constant(49) == 1.0
    warmup = LambdaSchedule("warmup", 2.0, warmup_epochs=20, total_epochs=250)
    for t in (0, 5, 10, 19, 20, 100):
        assert warmup(t) == pytest.approx(min(2.0, t / 10))  # the reference's min(2, t/10)
    sine = LambdaSchedule("sine", 2.0, total_epochs=250)
    for t in (0, 60, 156.25, 250):
        assert sine(t) == pytest.approx(2 * math.sin(0.8 * math.pi * t / 250))
    assert sine(156.25) == pytest.approx(2.0)
    with pytest.raises(ConfigError):
        LambdaSchedule("cosine")
