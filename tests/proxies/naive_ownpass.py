"""Tiny networks and slow, obviously-correct versions of the own-pass proxies.

The naive versions share no code with harness.proxies: explicit per-sample loops,
Python sets of tuples, numpy corrcoef. They reproduce the random draws of the fast
versions (same generator, same order) only so that the two can be compared exactly.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# --------------------------------------------------------------------------- tiny networks

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))


class Zero(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


class ReLUConvBN(nn.Sequential):
    def __init__(self, channels: int, kernel: int, affine: bool, track: bool):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(channels, channels, kernel, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(channels, affine=affine, track_running_stats=track),
        )


def make_op(name: str, channels: int, affine: bool, track: bool) -> nn.Module:
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, 1, affine, track)
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, 3, affine, track)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise ValueError(name)


class Cell(nn.Module):
    def __init__(self, ops: tuple[str, ...], channels: int, affine: bool, track: bool):
        super().__init__()
        self.edges = nn.ModuleList(make_op(op, channels, affine, track) for op in ops)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for target in (1, 2, 3):
            total = 0
            for edge, (source, to) in zip(self.edges, EDGES, strict=True):
                if to == target:
                    total = total + edge(nodes[source])
            nodes.append(total)
        return nodes[3]


class ResBlock(nn.Module):
    """NB201's reduction block: ReLU-conv(stride 2)-BN, ReLU-conv-BN, avgpool+1x1 shortcut."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.a = nn.Sequential(
            nn.ReLU(), nn.Conv2d(c_in, c_out, 3, 2, 1, bias=False), nn.BatchNorm2d(c_out)
        )
        self.b = nn.Sequential(
            nn.ReLU(), nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out)
        )
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(self.a(x)) + self.shortcut(x)


class TinyNB201(nn.Module):
    """A miniature NB201 network (same macro, few channels) with forward_features."""

    def __init__(
        self,
        ops: tuple[str, ...],
        C: int = 4,
        N: int = 1,
        num_classes: int = 5,
        stem: bool = True,
        depth: int = -1,
        affine: bool = True,
        track: bool = True,
        in_channels: int = 3,
    ):
        super().__init__()
        self.stem = (
            nn.Sequential(nn.Conv2d(in_channels, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
            if stem
            else nn.Identity()
        )
        layers: list[nn.Module] = []
        channels = C
        plan = [False] * N + [True] + [False] * N + [True] + [False] * N
        for index, reduction in enumerate(plan):
            if depth > 0 and index >= depth:
                break
            if reduction:
                layers.append(ResBlock(channels, channels * 2))
                channels *= 2
            else:
                layers.append(Cell(ops, channels, affine, track))
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=True))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.lastact(self.cells(self.stem(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.forward_features(x)).flatten(1))


#: TE-NAS's geometries, as the NB201 builder names them (written out independently).
NAIVE_PRESETS = {
    "tenas_ntk": {"C": 3, "N": 1},
    "tenas_thin": {"C": 1, "N": 1, "depth": 1, "stem": False, "in_channels": 1},
}


def variant_builder(ops: tuple[str, ...], **defaults):
    """A `build_variant(preset=None, **options)` callable for ProxyContext, like the space
    builders (presets: `NAIVE_PRESETS`)."""

    def build(preset: str | None = None, **options) -> nn.Module:
        merged = {**defaults, **(NAIVE_PRESETS[preset] if preset else {}), **options}
        return TinyNB201(ops, **merged)

    return build


class PlainConvNet(nn.Module):
    """conv-BN-ReLU-conv-BN-ReLU, small enough to recompute Zen by hand."""

    def __init__(self, track: bool = True):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1, bias=True)
        self.bn1 = nn.BatchNorm2d(4, track_running_stats=track)
        self.conv2 = nn.Conv2d(4, 6, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(6, track_running_stats=track)
        self.fc = nn.Linear(6, 3)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.forward_features(x).mean(dim=(2, 3)))


# --------------------------------------------------------------------------- Zen


def naive_zen_plain(
    net: PlainConvNet, shape: tuple[int, ...], generator: torch.Generator, convention: str
) -> float:
    """Zen-score of PlainConvNet recomputed by hand: manual convs, BN and running stats."""
    # Gaussian re-init in module order: conv1, (bn1), conv2, (bn2), fc
    w1 = torch.randn(net.conv1.weight.shape, generator=generator)
    w2 = torch.randn(net.conv2.weight.shape, generator=generator)
    torch.randn(net.fc.weight.shape, generator=generator)  # fc: drawn, unused by features
    x = torch.randn(shape, generator=generator)
    eps = torch.randn(shape, generator=generator)
    x_mixed = x + 0.01 * eps

    def bn(h: torch.Tensor) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
        arr = h.double().numpy()
        n = arr.shape[0] * arr.shape[2] * arr.shape[3]
        mean = arr.mean(axis=(0, 2, 3))
        biased = ((arr - mean[None, :, None, None]) ** 2).sum(axis=(0, 2, 3)) / n
        unbiased = biased * n / (n - 1)
        out = (h - torch.tensor(mean, dtype=h.dtype)[None, :, None, None]) / torch.sqrt(
            torch.tensor(biased, dtype=h.dtype)[None, :, None, None] + 1e-5
        )
        return out, biased, unbiased

    def features(inp: torch.Tensor):
        h, b1, u1 = bn(F.conv2d(inp, w1, torch.zeros(4), padding=1))
        h, b2, u2 = bn(F.conv2d(torch.relu(h), w2, None, padding=1))
        return torch.relu(h), (b1, b2), (u1, u2)

    f1, biased_x, unbiased_x = features(x)
    f2, _, unbiased_mixed = features(x_mixed)
    delta = float(np.mean([float((f1[i] - f2[i]).abs().sum()) for i in range(shape[0])]))
    log_bn = 0.0
    for layer in range(2):
        if convention == "paper":
            variance = biased_x[layer]
        else:
            running = np.ones_like(unbiased_x[layer])
            running = 0.9 * running + 0.1 * unbiased_x[layer]
            running = 0.9 * running + 0.1 * unbiased_mixed[layer]
            variance = running
        log_bn += math.log(math.sqrt(float(np.mean(variance))))
    return math.log(delta) + log_bn


# --------------------------------------------------------------------------- NTK


def naive_ntk_gram(net: nn.Module, images: torch.Tensor) -> np.ndarray:
    """The reference loop: batch forward, one backward per sample, read W.grad."""
    net.train()
    net.zero_grad()
    logits = net(images)
    rows = []
    for i in range(images.shape[0]):
        logits[i : i + 1].backward(torch.ones_like(logits[i : i + 1]), retain_graph=True)
        parts = [
            p.grad.reshape(-1).detach().clone()
            for name, p in net.named_parameters()
            if "weight" in name and p.grad is not None
        ]
        rows.append(torch.cat(parts).double().numpy())
        net.zero_grad()
    grads = np.stack(rows)
    return grads @ grads.T


def naive_condition_number(theta: np.ndarray) -> float:
    eigenvalues = np.linalg.eigvalsh(theta)
    return float(eigenvalues[-1] / eigenvalues[0])


# --------------------------------------------------------------------------- activation patterns


def relu_sign_rows(net: nn.Module, inputs: torch.Tensor) -> list[tuple[int, ...]]:
    """Per sample, the tuple of (ReLU output > 0) over every nn.ReLU with 4-D input."""
    captured: list[torch.Tensor] = []

    def hook(_m, inp, out):
        if inp[0].dim() == 4:
            captured.append((out > 0).reshape(out.shape[0], -1).clone())

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.ReLU)]
    with torch.no_grad():
        net(inputs)
    for h in handles:
        h.remove()
    rows = []
    for i in range(inputs.shape[0]):
        bits: list[int] = []
        for c in captured:
            bits.extend(int(v) for v in c[i].tolist())
        rows.append(tuple(bits))
    return rows


def naive_linear_regions(net: nn.Module, batches: list[torch.Tensor]) -> int:
    net.train()
    patterns: set[tuple[int, ...]] = set()
    for batch in batches:
        patterns.update(relu_sign_rows(net, batch))
    return len(patterns)


def naive_patches(
    images: torch.Tensor, count: int, size: int, generator: torch.Generator
) -> torch.Tensor:
    """Crops drawn with the same calls as the harness, cut out with plain loops."""
    n, channels, height, width = images.shape
    index = torch.randint(n, (count,), generator=generator).tolist()
    channel = torch.randint(channels, (count,), generator=generator).tolist()
    top = torch.randint(height - size + 1, (count,), generator=generator).tolist()
    left = torch.randint(width - size + 1, (count,), generator=generator).tolist()
    out = torch.empty(count, 1, size, size)
    for k in range(count):
        for r in range(size):
            for c in range(size):
                out[k, 0, r, c] = images[index[k], channel[k], top[k] + r, left[k] + c]
    return out


def naive_gaussian_init(net: nn.Module, generator: torch.Generator) -> None:
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Conv2d | nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=generator))
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, nn.BatchNorm2d) and m.affine:
                m.weight.fill_(1.0)
                m.bias.fill_(0.0)


def naive_swap(net: nn.Module, images: torch.Tensor) -> int:
    """Distinct per-neuron patterns: transpose the sample rows, then a set of tuples."""
    net.train()
    rows = relu_sign_rows(net, images)
    neurons = len(rows[0])
    patterns = {tuple(row[j] for row in rows) for j in range(neurons)}
    return len(patterns)


# --------------------------------------------------------------------------- MeCo


def naive_meco(net: nn.Module, image: torch.Tensor) -> float:
    net.train()
    values: list[float] = []

    def hook(_m, _inp, out):
        if isinstance(out, torch.Tensor) and out.dim() == 4:
            fea = out[0].detach().double().numpy().reshape(out.shape[1], -1)
            with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)  # 1x1 maps: no dof
                corr = np.atleast_2d(np.corrcoef(fea))
            corr = np.where(np.isfinite(corr), corr, 0.0)
            values.append(float(np.linalg.eigvalsh(corr)[0]))

    handles = [m.register_forward_hook(hook) for m in net.modules()]
    with torch.no_grad():
        net(image)
    for h in handles:
        h.remove()
    return float(sum(v for v in values if math.isfinite(v)))


# --------------------------------------------------------------------------- the real builder


def real_nb201_context(ops: tuple[str, ...], *, seed: int = 0, n: int = 8, **options):
    """A ProxyContext around the harness's own NB201 builder (small C for speed)."""
    import functools

    from harness.proxies import ProxyContext
    from harness.spaces.networks import build_network

    key = "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|".format(*ops)
    # the context network takes `options`; variants (presets) start from the builder's own
    build = functools.partial(build_network, "nb201", key, num_classes=10)
    torch.manual_seed(seed)
    images = torch.randn((n, 3, 16, 16), generator=torch.Generator().manual_seed(seed))
    return ProxyContext(network=build(**options), images=images, seed=seed, build_variant=build)
