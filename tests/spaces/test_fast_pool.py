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


def _hessian_vector(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[list, list]:
    """grasp's two steps: dL/dW with its graph, then d(sum g * stop(g))/dW."""
    weights = [m.weight for m in net.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    loss = nn.functional.cross_entropy(net(x), y)
    grads = torch.autograd.grad(loss, weights, create_graph=True)
    inner = sum((g * g.detach()).sum() for g in grads)
    return [g.detach() for g in grads], list(torch.autograd.grad(inner, weights))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("stride", [1, 2])
def test_linear_double_backward_is_bit_identical(dtype, stride):
    """The flag changes how the backward is differentiated, not one bit of the values,
    the gradients or the Hessian-vector product."""

    def network(cheap: bool) -> nn.Module:
        torch.manual_seed(3)
        pool = ExcludePadAvgPool2d(3, stride=stride, padding=1)
        pool.linear_double_backward = cheap
        size = 6 if stride == 1 else 3
        return nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), pool,
            nn.Conv2d(4, 4, 1), nn.Flatten(), nn.Linear(4 * size * size, 5),
        ).to(dtype)  # fmt: skip

    torch.manual_seed(4)
    x, y = torch.randn(8, 3, 6, 6, dtype=dtype), torch.randint(0, 5, (8,))
    (grads, hvp), (cheap_grads, cheap_hvp) = (_hessian_vector(network(c), x, y) for c in (0, 1))
    assert all(torch.equal(a, b) for a, b in zip(grads, cheap_grads, strict=True))
    assert all(torch.equal(a, b) for a, b in zip(hvp, cheap_hvp, strict=True))
