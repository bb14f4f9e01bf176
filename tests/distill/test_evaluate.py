"""Ranking with inherited weights: both BN modes, and the supernet left as it was."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from harness.distill.evaluate import evaluate_subnets
from harness.distill.space import get_subnet_space
from harness.distill.supernet import NB201Supernet

SPACE = get_subnet_space("nb201_4op")


@pytest.fixture
def trained_net():
    torch.manual_seed(0)
    net = NB201Supernet(SPACE.ops, C=4, N=1)
    net.train()
    with torch.no_grad():  # give BN non-default running statistics
        for subnet in SPACE.all_subnets()[::700]:
            net(torch.randn(16, 3, 8, 8) * 3 + 1, subnet)
    return net


def test_batch_mode_uses_batch_statistics_without_dropout(trained_net):
    images, labels = torch.randn(20, 3, 8, 8), torch.randint(0, 10, (20,))
    subnets = SPACE.all_subnets()[:3]
    before = {k: v.clone() for k, v in trained_net.state_dict().items()}
    result = evaluate_subnets(trained_net, subnets, images, labels, batch_size=10)
    for subnet, accuracy, loss in zip(subnets, result.accuracy, result.loss, strict=True):
        trained_net.train()
        trained_net.dropout.p = 0.0
        with torch.no_grad():
            logits = torch.cat([trained_net(images[:10], subnet), trained_net(images[10:], subnet)])
        trained_net.dropout.p = 0.1
        assert accuracy == pytest.approx(100.0 * (logits.argmax(1) == labels).float().mean())
        assert loss == pytest.approx(float(F.cross_entropy(logits, labels)), rel=1e-5)
        trained_net.load_state_dict(before)
    assert trained_net.training  # flags restored


def test_evaluation_leaves_weights_and_statistics_unchanged(trained_net):
    images, labels = torch.randn(12, 3, 8, 8), torch.randint(0, 10, (12,))
    before = {k: v.clone() for k, v in trained_net.state_dict().items()}
    subnets = SPACE.all_subnets()[::1000]
    recalibration = [torch.randn(6, 3, 8, 8) * 2 for _ in range(2)]
    recal = evaluate_subnets(
        trained_net,
        subnets,
        images,
        labels,
        batch_size=4,
        bn_mode="recalibrate",
        recalibration_batches=recalibration,
    )
    batch = evaluate_subnets(trained_net, subnets, images, labels, batch_size=4)
    after = trained_net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert recal.loss != batch.loss  # the two modes normalise differently
    # recalibrated statistics do not depend on the evaluation batch size
    again = evaluate_subnets(
        trained_net,
        subnets,
        images,
        labels,
        batch_size=12,
        bn_mode="recalibrate",
        recalibration_batches=recalibration,
    )
    assert again.loss == pytest.approx(recal.loss, rel=1e-5)
