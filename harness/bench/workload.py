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
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from harness.inputs import ImageBatch, disjoint_batch, load_batch_or_synthetic
from harness.proxies import ProxyContext, ProxyOutcome, compute_proxies
from harness.proxies.passes import logits_of
from harness.scoring import arch_seed
from harness.spaces.networks import seeded_network


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
    """One architecture's network (initial weights) and batch, on the measuring device."""

    arch: str
    network: nn.Module
    build: Callable[..., nn.Module]
    images: torch.Tensor
    labels: torch.Tensor
    seed: int
    num_classes: int
    device: torch.device
    second_batch: tuple[torch.Tensor, torch.Tensor] | None = None

    def context(self, network: nn.Module | None = None) -> ProxyContext:
        """A fresh context (empty pass cache) on `network` (default: the shared one)."""
        return ProxyContext(
            network=self.network if network is None else network,
            images=self.images,
            labels=self.labels,
            num_classes=self.num_classes,
            seed=self.seed,
            device=self.device,
            build_variant=self.build,
            second_batch=self.second_batch,
        )

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
    device = torch.device(device)
    seed = arch_seed(run_seed, arch)
    network, build = seeded_network(
        space, arch, seed=seed, num_classes=num_classes, variant=network_variant, device=device
    )
    return Workload(
        arch=arch,
        network=network,
        build=build,
        images=batch.images.to(device),
        labels=batch.labels.to(device),
        seed=seed,
        num_classes=num_classes,
        device=device,
        second_batch=None
        if second is None
        else (second.images.to(device), second.labels.to(device)),
    )
