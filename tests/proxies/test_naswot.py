"""NASWOT: the kernel against explicit Hamming distances, log|det| by LU, sanity."""

from __future__ import annotations

import naive
import numpy as np
import pytest
import torch
from torch import nn

from harness.proxies.engine import compute_proxies
from harness.proxies.naswot import naswot_score
from harness.proxies.passes import jacobian_pass


def _hamming_kernel(ctx) -> np.ndarray:
    codes = naive.relu_codes(ctx.network, ctx.images)
    n = ctx.images.shape[0]
    kernel = np.zeros((n, n))
    for c in codes:
        for i in range(n):
            for j in range(n):
                kernel[i, j] += c.shape[1] - int((c[i] != c[j]).sum())
    return kernel


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernel_is_units_minus_hamming_distance(seed, make_context):
    ctx = make_context(seed)
    kernel = jacobian_pass(ctx).relu_kernel
    assert kernel.dtype == torch.float64
    np.testing.assert_array_equal(kernel.numpy(), _hamming_kernel(ctx))
    units = 4 * 6 * 6 + 5 * 3 * 3  # every unit agrees with itself
    assert set(np.diag(kernel.numpy())) == {units}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_score_matches_naive(seed, make_context, score):
    ctx = make_context(seed)
    assert score("nwot", ctx) == pytest.approx(naive.nwot(ctx.network, ctx.images), rel=1e-10)


def test_log_abs_det_of_known_matrices():
    assert naswot_score(torch.diag(torch.tensor([2.0, 3.0, 4.0]))) == pytest.approx(np.log(24))
    assert naswot_score(torch.tensor([[1.0, 2.0], [3.0, 4.0]])) == pytest.approx(np.log(2))


def test_permutation_and_scale_invariance(make_context, score):
    ctx = make_context(3)
    reference = score("nwot", ctx)
    permuted = make_context(3)
    perm = torch.tensor([7, 6, 5, 4, 3, 2, 1, 0])
    permuted.images, permuted.labels = ctx.images[perm], ctx.labels[perm]
    assert score("nwot", permuted) == pytest.approx(reference, rel=1e-12)
    scaled = make_context(3)
    with torch.no_grad():  # after the last ReLU: no code changes
        scaled.network.classifier.weight.mul_(-5.0)
    assert score("nwot", scaled) == reference


def test_duplicate_samples_give_a_singular_kernel_recorded_as_nan(make_context):
    ctx = make_context(0)
    ctx.images = torch.cat([ctx.images[:4], ctx.images[:4]])
    outcome = compute_proxies(["nwot"], ctx)["nwot"]
    assert outcome.status == "nan" and "-inf" in outcome.error


def test_network_without_relu_is_an_error(make_context):
    net = nn.Sequential(nn.Conv2d(3, 2, 1), nn.Flatten(), nn.LazyLinear(3)).double()
    ctx = make_context(0, net=net)
    net(ctx.images)  # materialise the lazy layer
    outcome = compute_proxies(["nwot"], ctx)["nwot"]
    assert outcome.status == "error" and "no ReLU" in outcome.error


class _ReLUConvWrapper(nn.Module):
    """A `ReLUConvBN`-style wrapper: its type name contains ReLU, its input is its ReLU's."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.relu = nn.ReLU()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)

    def forward(self, x):
        return self.conv(self.relu(x))


def test_nwot_counts_activations_and_nwot_relu_names_counts_wrappers_too():
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),
        _ReLUConvWrapper(4, 4),
        _ReLUConvWrapper(4, 2),
        nn.Flatten(),
        nn.Linear(2 * 5 * 5, 3),
    )
    from harness.proxies import ProxyContext

    ctx = ProxyContext(network=net, images=torch.randn(6, 3, 5, 5), seed=0)
    result = jacobian_pass(ctx)
    assert (result.relu_calls, result.relu_name_calls) == (2, 4)
    # every wrapper's codes are its inner ReLU's: the name rule counts each twice
    np.testing.assert_array_equal(result.relu_name_kernel.numpy(), 2 * result.relu_kernel.numpy())
    outcomes = compute_proxies(["nwot", "nwot_relu_names"], ctx)
    assert outcomes["nwot"].score == pytest.approx(naive.nwot(net, ctx.images), rel=1e-10)
    assert outcomes["nwot_relu_names"].score == pytest.approx(
        naswot_score(2 * result.relu_kernel), rel=1e-12
    )


def test_an_nb201_cell_computes_each_relu_inputs_term_once_and_adds_it_per_call(monkeypatch):
    """NB201 applies a ReLU to one node's output on every edge leaving it: pass B computes
    that input's agreement term once and adds it once per ReLU call, and the kernel is the
    per-call sum, exactly (the naive Hamming kernel over every ReLU call)."""
    import harness.proxies.passes as passes
    from harness.scoring import proxy_context

    cell = (
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|"
        "+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|"
    )
    generator = torch.Generator().manual_seed(3)
    images = torch.randn(6, 3, 32, 32, generator=generator)
    labels = torch.randint(0, 10, (6,), generator=generator)
    ctx = proxy_context("nb201", cell, images, labels, num_classes=10, variant="as_trained", seed=0)
    computed = []
    original = passes.agreement_kernel
    monkeypatch.setattr(passes, "agreement_kernel", lambda c: computed.append(1) or original(c))
    result = jacobian_pass(ctx)
    assert len(computed) < result.relu_calls <= result.relu_name_calls
    codes = naive.relu_codes(ctx.network, images)
    assert len(codes) == result.relu_calls
    expected = np.zeros((6, 6))
    for c in codes:
        for i in range(6):
            for j in range(6):
                expected[i, j] += c.shape[1] - int((c[i] != c[j]).sum())
    np.testing.assert_array_equal(result.relu_kernel.numpy(), expected)
