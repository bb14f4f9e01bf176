"""jacov and EPE-NAS: known Jacobians by hand, the engine's J against explicit Jacobians."""

from __future__ import annotations

import math

import naive
import pytest
import torch

from harness.proxies.engine import compute_proxies
from harness.proxies.jacobian import epe_nas_batch_note, epe_nas_score, jacov_score
from harness.proxies.passes import jacobian_pass

K = 1e-5
# Rows with known correlations: r2 = 2 r1 (corr 1), r3 reversed (corr -1 with r1),
# a and b zero-mean and orthogonal (corr 0).
R1 = [1.0, 2.0, 3.0, 4.0]
R2 = [2.0, 4.0, 6.0, 8.0]
R3 = [4.0, 3.0, 2.0, 1.0]
A = [1.0, -1.0, 1.0, -1.0]
B = [1.0, 1.0, -1.0, -1.0]


def test_jacov_of_uncorrelated_rows():
    # corrcoef = I, eigenvalues 1, 1
    expected = -2 * (math.log(1 + K) + 1 / (1 + K))
    assert jacov_score(torch.tensor([A, B])) == pytest.approx(expected, rel=1e-12)


def test_jacov_of_perfectly_correlated_rows():
    # corrcoef = [[1, 1], [1, 1]], eigenvalues 0 and 2
    expected = -(math.log(K) + 1 / K + math.log(2 + K) + 1 / (2 + K))
    assert jacov_score(torch.tensor([R1, R2])) == pytest.approx(expected, rel=1e-9)


def test_jacov_of_a_constant_row_is_nan():
    assert math.isnan(jacov_score(torch.tensor([R1, [5.0] * 4])))


def _known_batch():
    rows = torch.tensor([R1, R2, R1, R3, A, B, R1])
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 3])  # class 3 is a singleton
    s_corr = 4 * math.log(1 + K)  # |corr| = 1 everywhere (classes 0 and 1)
    s_zero = 2 * math.log(1 + K) + 2 * math.log(K)  # class 2: identity matrix
    s_single = math.log(1 + K)
    return rows, labels, s_corr, s_zero, s_single


def test_epe_nas_with_few_classes_by_hand():
    rows, labels, s_corr, s_zero, s_single = _known_batch()
    expected = abs(s_corr) + abs(s_corr) + abs(s_zero) + abs(s_single)
    assert epe_nas_score(rows, labels, num_classes=10) == pytest.approx(expected, rel=1e-12)


def test_epe_nas_with_many_classes_by_hand():
    rows, labels, s_corr, s_zero, _ = _known_batch()
    values = [s_corr / 2, s_corr / 2, s_zero / 2]  # divided by n_c; the singleton is skipped
    expected = sum(abs(a - b) for a in values for b in values) / 3
    assert epe_nas_score(rows, labels, num_classes=120) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("num_classes", [10, 100, 200])
def test_epe_nas_all_singletons_is_an_error_never_a_constant(num_classes):
    # with <= 100 classes the reference would return the same constant for any network
    with pytest.raises(ValueError, match="degenerate batch: none of its 2 classes has two"):
        epe_nas_score(torch.tensor([A, B]), torch.tensor([0, 1]), num_classes=num_classes)


def test_epe_nas_batch_note():
    assert epe_nas_batch_note(torch.tensor([0, 0, 1, 1])) is None
    assert epe_nas_batch_note(torch.tensor([0, 0, 1, 2])) == (
        "2 of 3 classes in the batch of 4 have one sample; each adds a constant, as in the "
        "reference"
    )
    assert epe_nas_batch_note(torch.arange(64)).startswith("degenerate batch: none of its 64")


def test_pass_b_jacobian_is_the_per_sample_jacobian_without_bn(make_context):
    ctx = make_context(0, batchnorm=False)
    expected = naive.per_sample_jacobian(ctx.network, ctx.images)
    torch.testing.assert_close(jacobian_pass(ctx).jacobian, expected, rtol=1e-12, atol=1e-14)


def test_pass_b_jacobian_keeps_train_mode_bn_coupling(make_context):
    ctx = make_context(1)
    coupled = naive.batch_jacobian_rows(ctx.network, ctx.images)
    torch.testing.assert_close(jacobian_pass(ctx).jacobian, coupled, rtol=1e-10, atol=1e-13)
    per_sample = naive.per_sample_jacobian(ctx.network.eval(), ctx.images)
    assert not torch.allclose(coupled, per_sample)


@pytest.mark.parametrize("seed", [0, 1])
def test_jacov_and_epe_nas_match_naive(seed, make_context, score):
    ctx = make_context(seed)
    rows = naive.batch_jacobian_rows(ctx.network, ctx.images)
    assert score("jacov", ctx) == pytest.approx(naive.jacov(rows), rel=1e-9)
    expected = naive.epe_nas(rows, ctx.labels, num_classes=3)
    assert score("epe_nas", ctx) == pytest.approx(expected, rel=1e-9)


def test_epe_nas_uses_the_logit_width_for_its_mode(make_context, score):
    ctx = make_context(2, classes=120)
    ctx.labels = torch.tensor([5, 7, 5, 7, 5, 9, 7, 11])  # 9 and 11 are singletons
    rows = naive.batch_jacobian_rows(ctx.network, ctx.images)
    expected = naive.epe_nas(rows, ctx.labels, num_classes=120)
    assert score("epe_nas", ctx) == pytest.approx(expected, rel=1e-9)
    assert expected != pytest.approx(naive.epe_nas(rows, ctx.labels, num_classes=100))


def test_permuting_the_batch_changes_nothing(make_context, score):
    ctx = make_context(3)
    perm = torch.tensor([5, 2, 7, 0, 1, 6, 3, 4])
    permuted = make_context(3)
    permuted.images, permuted.labels = ctx.images[perm], ctx.labels[perm]
    for name in ("jacov", "epe_nas"):
        assert score(name, permuted) == pytest.approx(score(name, ctx), rel=1e-9)


def test_scaling_the_classifier_scales_j_and_leaves_scores(make_context, score):
    ctx = make_context(4)
    before = {name: score(name, ctx) for name in ("jacov", "epe_nas")}
    j_before = jacobian_pass(ctx).jacobian
    scaled = make_context(4)
    with torch.no_grad():
        scaled.network.classifier.weight.mul_(3.0)
    torch.testing.assert_close(jacobian_pass(scaled).jacobian, 3.0 * j_before)
    for name, value in before.items():
        assert score(name, scaled) == pytest.approx(value, rel=1e-9)


def test_shared_input_is_never_touched(make_context):
    ctx = make_context(5)
    together = compute_proxies(["jacov", "epe_nas"], ctx)
    assert ctx.images.grad is None and not ctx.images.requires_grad
    for name in ("jacov", "epe_nas"):  # the NASLib pitfall: no accumulated x.grad
        alone = compute_proxies([name], make_context(5))[name]
        assert together[name].score == alone.score


def test_zero_output_network_gives_nan_not_a_crash(make_context):
    outcomes = compute_proxies(["jacov", "epe_nas"], make_context(0, zero_output=True))
    for outcome in outcomes.values():
        assert outcome.status == "nan"
        assert "nan" in outcome.error
