"""ZiCo: hand-made gradients, naive two-batch version, both batch conventions."""

from __future__ import annotations

import math

import naive
import pytest
import torch

from harness.proxies.engine import compute_proxies
from harness.proxies.zico import zico_from_gradients


def test_hand_made_gradients():
    first = [torch.tensor([1.0, -2.0, 0.0]), torch.tensor([[4.0, 4.0]])]
    second = [torch.tensor([3.0, -2.0, 0.0]), torch.tensor([[4.0, 4.0]])]
    # layer 1: mean|g| = (2, 2, 0), population std = (1, 0, 0) -> S = 2 / 1
    # layer 2: std 0 everywhere -> S = 0, skipped
    assert zico_from_gradients([first, second]) == pytest.approx(math.log(2.0))


def test_needs_two_batches():
    with pytest.raises(ValueError, match="two batches"):
        zico_from_gradients([[torch.ones(2)]])


@pytest.mark.parametrize("batch", [8, 7])
def test_split_halves_match_naive(batch, make_context, score):
    ctx = make_context(0, batch=batch)
    half = (batch + 1) // 2
    halves = [(ctx.images[:half], ctx.labels[:half]), (ctx.images[half:], ctx.labels[half:])]
    assert score("zico_halves", ctx) == pytest.approx(naive.zico(ctx.network, halves), rel=1e-10)


def test_zico_without_a_second_batch_is_a_clean_error(make_context):
    outcome = compute_proxies(["zico"], make_context(0))["zico"]
    assert outcome.status == "error" and "second labelled batch" in outcome.error


@pytest.fixture
def with_second_batch(make_context, make_batch):
    def make(seed):
        ctx = make_context(seed)
        ctx.second_batch = make_batch(seed + 100)
        return ctx

    return make


@pytest.mark.parametrize("seed", [0, 1])
def test_second_batch_matches_naive(seed, with_second_batch, score):
    ctx = with_second_batch(seed)
    batches = [(ctx.images, ctx.labels), ctx.second_batch]
    assert score("zico", ctx) == pytest.approx(naive.zico(ctx.network, batches), rel=1e-10)


def test_second_batch_reuses_pass_a(with_second_batch, make_context, forward_calls):
    ctx = with_second_batch(2)
    start = forward_calls()
    outcomes = compute_proxies(["grad_norm", "snip", "zico"], ctx)
    assert all(o.status == "ok" for o in outcomes.values())
    assert forward_calls() - start == 2  # pass A + ZiCo's second batch
    ctx = make_context(2)
    start = forward_calls()
    compute_proxies(["grad_norm", "zico_halves"], ctx)
    assert forward_calls() - start == 3  # pass A + two halves


def test_permuting_both_batches_changes_nothing(with_second_batch, make_context, score):
    ctx = with_second_batch(3)
    reference = score("zico", ctx)
    perm = torch.tensor([3, 1, 7, 5, 0, 2, 4, 6])
    permuted = make_context(3)
    permuted.images, permuted.labels = ctx.images[perm], ctx.labels[perm]
    images2, labels2 = ctx.second_batch
    permuted.second_batch = (images2[perm.flip(0)], labels2[perm.flip(0)])
    assert score("zico", permuted) == pytest.approx(reference, rel=1e-9)


def test_one_sample_is_an_error(make_context):
    outcome = compute_proxies(["zico_halves"], make_context(0, batch=1))["zico_halves"]
    assert outcome.status == "error" and "2 samples" in outcome.error
