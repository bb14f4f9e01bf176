"""What the benchmark measures on one architecture: the floor, the engine, the naive way.

* **floor**: one cross-entropy forward + backward of the network on the batch, in train
  mode, on a copy made before the clock starts. No proxy can cost less than this
  (those that read gradients), so "x floor" says how much a proxy costs beyond it.
* **engine**: `compute_proxies(names, ctx)` on a fresh context: shared passes computed
  once and handed to every proxy that reads them.
* **naive**: every proxy alone, `compute_proxies([name], ctx)` on its own fresh context
  holding its own deep copy of the network (copy included in its time), so it computes
  every pass it needs itself, as the reference implementations do.

The network is built once per architecture with the seed a run would use
(`harness.scoring.arch_seed`), so scores equal those `harness run` stores.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

from harness.inputs import ImageBatch, disjoint_batch, load_batch_or_synthetic
from harness.proxies import ProxyContext, ProxyOutcome, compute_proxies
from harness.proxies.passes import logits_of
from harness.scoring import proxy_context


def load_inputs(
    source: str, *, batch_size: int, seed: int, num_classes: int
) -> tuple[ImageBatch, ImageBatch, list[str]]:
    """The batch of `source` (class balanced) and a second, disjoint one (as `harness run`
    draws it for ZiCo), or synthetic ones with a note if the files are absent."""
    synthetic = {"num_classes": num_classes} if source.lower() == "synthetic" else {}
    batch, notes = load_batch_or_synthetic(
        source,
        fallback_classes=num_classes,
        warn=False,
        batch_size=batch_size,
        seed=seed,
        class_balanced=True,
        **synthetic,
    )
    second = disjoint_batch(batch, batch_size=batch_size, class_balanced=True)
    return batch, second, notes


@dataclass(frozen=True)
class Workload:
    """One architecture's network (initial weights) and batch, on the measuring device: the
    context a run gives a proxy (`harness.scoring.proxy_context`), shared by every call."""

    arch: str
    base: ProxyContext

    @property
    def network(self) -> nn.Module:
        return self.base.network

    @property
    def images(self) -> torch.Tensor:
        assert self.base.images is not None  # a workload always has its batch
        return self.base.images

    @property
    def labels(self) -> torch.Tensor:
        assert self.base.labels is not None
        return self.base.labels

    @property
    def device(self) -> torch.device:
        return self.base.device

    @property
    def second_batch(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        return self.base.second_batch

    def context(self, network: nn.Module | None = None) -> ProxyContext:
        """A fresh context (empty pass cache) on `network` (default: the shared one)."""
        return replace(self.base, network=self.network if network is None else network, cache={})

    def first_images(self, count: int) -> Workload:
        """The same workload on the first `count` images of its batch."""
        base = replace(self.base, images=self.images[:count], labels=self.labels[:count])
        return replace(self, base=base)

    def floor_call(self) -> Callable[[], None]:
        """A call doing one CE forward + backward on a copy made now (outside the clock)."""
        net = copy.deepcopy(self.network).train()

        def forward_backward() -> None:
            loss = F.cross_entropy(logits_of(net(self.images)), self.labels)
            loss.backward()

        return forward_backward

    def engine(self, names: Sequence[str]) -> dict[str, ProxyOutcome]:
        return compute_proxies(names, self.context())

    def naive(self, name: str) -> ProxyOutcome:
        return compute_proxies([name], self.context(copy.deepcopy(self.network)))[name]


def make_workload(
    space: str,
    arch: str,
    batch: ImageBatch,
    *,
    second: ImageBatch | None = None,
    run_seed: int,
    network_variant: str,
    num_classes: int,
    device: torch.device | str,
) -> Workload:
    context = proxy_context(
        space,
        arch,
        batch.images,
        batch.labels,
        run_seed=run_seed,
        num_classes=num_classes,
        variant=network_variant,
        device=torch.device(device),
        second_batch=None if second is None else (second.images, second.labels),
    )
    return Workload(arch=arch, base=context)
