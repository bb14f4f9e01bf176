"""Rank subnets with inherited weights: each subnet's accuracy and loss on the held-out images.

No subnet is trained: its forward pass uses the supernet's shared weights as they are.
Dropout is off. BatchNorm has two modes (`bn_mode`, recorded with every result):

- `batch`: BN normalises with the statistics of each evaluation batch, as the reference
  evaluates (its `model.eval()` is commented out; there dropout stays on as well, which
  only adds noise, so it is off here). The supernet's running statistics are left as they
  were. Scores then depend on the evaluation batch size (`eval.batch_size`).
- `recalibrate`: per subnet, BN running statistics are reset and re-estimated (cumulative
  average) on `recalibration_batches` fixed training batches, then BN uses them. Costs
  that many extra forward passes per subnet; the supernet's own statistics are restored.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from harness.distill.space import Subnet
from harness.distill.supernet import NB201Supernet


@dataclass(frozen=True)
class SubnetEvaluation:
    """Held-out accuracy (percent) and mean cross-entropy of each evaluated subnet."""

    accuracy: list[float]
    loss: list[float]


def _batch_norms(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


@contextmanager
def _evaluation_mode(model: NB201Supernet, bn_mode: str) -> Iterator[None]:
    """Dropout off; BN on batch statistics or running ones; training flags and BN buffers
    restored afterwards."""
    flags = {m: m.training for m in model.modules()}
    norms = _batch_norms(model)
    saved = [{k: v.clone() for k, v in m.named_buffers(recurse=False)} for m in norms]
    momenta = [m.momentum for m in norms]
    try:
        model.eval()
        if bn_mode == "batch":
            for m in norms:
                m.train()
        yield
    finally:
        for m, buffers, momentum in zip(norms, saved, momenta, strict=True):
            for name, value in buffers.items():
                getattr(m, name).copy_(value)
            m.momentum = momentum
        for m, training in flags.items():
            m.training = training


def _recalibrate(model: NB201Supernet, subnet: Subnet, batches: Sequence[torch.Tensor]) -> None:
    norms = _batch_norms(model)
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the recalibration batches
        m.train()
    for images in batches:
        model(images, subnet)
    for m in norms:
        m.eval()


@torch.no_grad()
def evaluate_subnets(
    model: NB201Supernet,
    subnets: Sequence[Subnet],
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    batch_size: int,
    bn_mode: str = "batch",
    recalibration_batches: Sequence[torch.Tensor] = (),
    progress: bool = False,
    description: str = "ranking subnets",
) -> SubnetEvaluation:
    """Accuracy and loss of every subnet on (images, labels), weights inherited."""

    if bn_mode == "recalibrate" and not recalibration_batches:
        raise ValueError("bn_mode 'recalibrate' needs recalibration batches")
    accuracy, loss = [], []
    with _evaluation_mode(model, bn_mode):
        for subnet in tqdm(
            subnets,
            desc=description,
            unit="subnet",
            disable=not progress,
            file=sys.stderr,
            leave=False,
        ):
            if bn_mode == "recalibrate":
                _recalibrate(model, subnet, recalibration_batches)
            correct, total_loss = 0, 0.0
            for start in range(0, len(labels), batch_size):
                x, y = images[start : start + batch_size], labels[start : start + batch_size]
                logits = model(x, subnet)
                total_loss += float(F.cross_entropy(logits, y, reduction="sum"))
                correct += int((logits.argmax(1) == y).sum())
            accuracy.append(100.0 * correct / len(labels))
            loss.append(total_loss / len(labels))
    return SubnetEvaluation(accuracy=accuracy, loss=loss)
