"""A tiny conv-BN-ReLU-pool-linear network and contexts for the proxy tests.

Everything is float64, so the engine and the naive references can be compared
at tight tolerances (their operation orders differ).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from harness.proxies import ProxyContext, base, register_proxy

BATCH, CHANNELS, SIDE, CLASSES = 8, 3, 6, 3


class TinyNet(nn.Module):
    """conv-BN-ReLU, conv(stride 2)-BN-ReLU, global average pooling, linear."""

    forward_calls = 0  # counted on the class, so that deep copies count too

    def __init__(self, classes: int = CLASSES, batchnorm: bool = True, zero_output: bool = False):
        super().__init__()

        def norm(channels: int) -> nn.Module:
            return nn.BatchNorm2d(channels) if batchnorm else nn.Identity()

        self.body = nn.Sequential(
            nn.Conv2d(CHANNELS, 4, 3, padding=1),
            norm(4),
            nn.ReLU(),
            nn.Conv2d(4, 5, 3, stride=2, padding=1, bias=False),
            norm(5),
            nn.ReLU(),
        )
        self.classifier = nn.Linear(5, classes)
        self.zero_output = zero_output

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        features = self.body(x)
        # Like an NB201 cell with no input-to-output path: every edge is 'none'.
        return features * 0.0 if self.zero_output else features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        type(self).forward_calls += 1
        return self.classifier(self.forward_features(x).mean(dim=(2, 3)))


def tiny_net(seed: int = 0, **options) -> TinyNet:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return TinyNet(**options).double()


def tiny_batch(seed: int = 0, batch: int = BATCH) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(1000 + seed)
    images = torch.randn(batch, CHANNELS, SIDE, SIDE, generator=gen, dtype=torch.float64)
    labels = torch.arange(batch) % CLASSES
    return images, labels


@pytest.fixture
def make_context() -> Callable[..., ProxyContext]:
    """make_context(seed=0, net=None, batch=8, **net_options) -> a fresh ProxyContext."""

    def make(seed: int = 0, net: nn.Module | None = None, batch: int = BATCH, **options):
        images, labels = tiny_batch(seed, batch)
        network = tiny_net(seed, **options) if net is None else net
        return ProxyContext(
            network=network, images=images, labels=labels, num_classes=CLASSES, seed=seed
        )

    return make


@pytest.fixture
def score() -> Callable[[str, ProxyContext], float]:
    """score(name, ctx): the engine's score for one proxy, asserting it succeeded."""
    from harness.proxies.engine import compute_proxies

    def run(name: str, ctx: ProxyContext) -> float:
        outcome = compute_proxies([name], ctx)[name]
        assert outcome.status == "ok", outcome.error
        return outcome.score

    return run


@pytest.fixture
def make_batch() -> Callable[..., tuple[torch.Tensor, torch.Tensor]]:
    """make_batch(seed=0, batch=8) -> (images, labels), as the contexts get them."""
    return tiny_batch


@pytest.fixture
def forward_calls() -> Callable[[], int]:
    """Reset TinyNet's forward counter; the returned function reads it."""
    TinyNet.forward_calls = 0
    return lambda: TinyNet.forward_calls


@pytest.fixture
def temporary_proxy():
    """temporary_proxy(name, fn, **spec): registered for this test only."""
    added = []

    def register(name, fn, **spec):
        register_proxy(name=name, version="1", description="test", **spec)(fn)
        added.append(name)

    yield register
    for name in added:
        base.PROXIES.unregister(name)
