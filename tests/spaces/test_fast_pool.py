import pytest
import torch
from torch import nn

from harness.spaces.fast_pool import ExcludePadAvgPool2d


@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "shape"),
    [
        (3, 1, 1, (4, 5, 8, 8)),
        (3, 2, 1, (2, 3, 9, 7)),
        (3, 1, 1, (1, 2, 1, 1)),
        (2, 2, 0, (2, 2, 6, 6)),
    ],
)
def test_matches_torch_pool_values_and_gradients(kernel, stride, padding, shape):
    torch.manual_seed(0)
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    reference = nn.AvgPool2d(kernel, stride=stride, padding=padding, count_include_pad=False)
    fast = ExcludePadAvgPool2d(kernel, stride=stride, padding=padding)
    expected, got = reference(x), fast(x)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    cotangent = torch.randn_like(expected)
    (g_expected,) = torch.autograd.grad(expected, x, cotangent)
    (g_got,) = torch.autograd.grad(got, x, cotangent)
    torch.testing.assert_close(g_got, g_expected, rtol=1e-12, atol=1e-12)


def test_corner_pixel_is_mean_of_real_pixels_only():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    out = ExcludePadAvgPool2d(3, stride=1, padding=1)(x)
    assert out[0, 0, 0, 0].item() == pytest.approx((0 + 1 + 4 + 5) / 4)
    assert out[0, 0, 1, 1].item() == pytest.approx(x[0, 0, :3, :3].mean().item())


def test_is_a_parameter_free_avg_pool():
    pool = ExcludePadAvgPool2d(3, stride=1, padding=1)
    assert isinstance(pool, nn.AvgPool2d)
    assert not pool.count_include_pad
    assert list(pool.parameters()) == []


def test_transform_safe_under_vmap_and_jacrev_called_twice():
    """Constants cached inside a torch.func transform must not escape it: the second
    call (a new vmap, then plain) once failed on a cached batched tensor."""
    from torch.func import jacrev, vmap

    pool = ExcludePadAvgPool2d(3, 1, 1)
    reference = nn.AvgPool2d(3, 1, 1, count_include_pad=False)
    x = torch.randn(4, 2, 5, 5)

    def one(sample):
        return pool(sample.unsqueeze(0)).sum()

    for _ in range(2):
        values = vmap(lambda s: pool(s.unsqueeze(0)).squeeze(0))(x)
        torch.testing.assert_close(values, reference(x))
        grads = vmap(jacrev(one))(x)
        torch.testing.assert_close(grads, vmap(jacrev(lambda s: reference(s[None]).sum()))(x))
    torch.testing.assert_close(pool(x), reference(x))
