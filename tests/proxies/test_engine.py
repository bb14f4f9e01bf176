"""The engine: shared-pass accounting, failures as data, timing, determinism."""

from __future__ import annotations

import math
import time

import pytest
import torch

from harness.errors import UnknownNameError
from harness.proxies import list_proxies, passes
from harness.proxies.engine import ProxyOutcome, compute_proxies

PASS_A = ["grad_norm", "snip", "plain", "fisher", "fisher_fanin"]
PASS_B = ["jacov", "epe_nas", "nwot"]
MINE = [*PASS_A, *PASS_B, "grasp", "zico_halves", "synflow", "synflow_nobn", "synflow_bn",
        "l2_norm", "params", "flops", "flops_xautodl"]  # fmt: skip


def test_one_outcome_per_distinct_name_in_order(make_context):
    outcomes = compute_proxies(["snip", "l2_norm", "snip", "jacov"], make_context(0))
    assert list(outcomes) == ["snip", "l2_norm", "jacov"]
    assert all(isinstance(o, ProxyOutcome) and o.status == "ok" for o in outcomes.values())
    assert all(o.error is None and o.seconds >= 0 for o in outcomes.values())


@pytest.mark.parametrize(
    ("names", "forwards"),
    [
        (PASS_A, 1),  # one pass A for all gradient proxies
        (PASS_B, 1),  # one pass B for jacov, epe_nas and nwot
        ([*PASS_A, *PASS_B], 2),
        ([*PASS_A, "grasp"], 1),  # grasp runs first and builds pass A with its graph
        (["l2_norm", "params"], 0),
        (["synflow"], 1),
    ],
)
def test_forward_passes_are_shared(names, forwards, make_context, forward_calls):
    ctx = make_context(0)
    start = forward_calls()
    outcomes = compute_proxies(names, ctx)
    assert all(o.status == "ok" for o in outcomes.values())
    assert forward_calls() - start == forwards


def test_cached_passes_are_not_recomputed_on_the_same_context(make_context, forward_calls):
    ctx = make_context(0)
    first = compute_proxies(PASS_A, ctx)
    start = forward_calls()
    again = compute_proxies(PASS_A, ctx)
    assert forward_calls() == start
    assert {k: o.score for k, o in again.items()} == {k: o.score for k, o in first.items()}


def test_shared_pass_seconds_are_split_among_its_users(make_context, monkeypatch):
    original = passes._build_loss_grad_pass

    def slow(ctx):
        time.sleep(0.4)
        return original(ctx)

    monkeypatch.setattr(passes, "_build_loss_grad_pass", slow)
    names = ["grad_norm", "snip", "plain", "fisher", "l2_norm"]
    start = time.perf_counter()
    outcomes = compute_proxies(names, make_context(0))
    wall = time.perf_counter() - start
    for name in names[:4]:
        assert outcomes[name].seconds >= 0.1  # a quarter of the 0.4 s pass each
    assert outcomes["l2_norm"].seconds < 0.1
    total = sum(o.seconds for o in outcomes.values())
    assert 0.4 <= total <= wall


def test_a_failing_proxy_is_recorded_and_the_others_run(make_context, temporary_proxy):
    def boom(ctx):
        raise RuntimeError("deliberate\nfailure")

    temporary_proxy("test_raises", boom)
    temporary_proxy("test_nan", lambda ctx: math.nan)
    temporary_proxy("test_inf", lambda ctx: torch.tensor(-math.inf))
    outcomes = compute_proxies(
        ["test_raises", "snip", "test_nan", "test_inf", "nwot"], make_context(0)
    )
    assert outcomes["test_raises"].status == "error"
    assert outcomes["test_raises"].error == "RuntimeError: deliberate failure"
    assert math.isnan(outcomes["test_raises"].score)
    assert outcomes["test_nan"].status == outcomes["test_inf"].status == "nan"
    assert outcomes["test_inf"].score == -math.inf and "inf" in outcomes["test_inf"].error
    assert outcomes["snip"].status == outcomes["nwot"].status == "ok"
    with pytest.raises(RuntimeError, match="deliberate"):
        compute_proxies(["snip", "test_raises"], make_context(0), on_error="raise")


def test_a_failing_shared_pass_fails_its_users_once(make_context, forward_calls):
    ctx = make_context(0)
    ctx.labels = ctx.labels + 10  # out of range for 3 classes: cross-entropy raises
    start = forward_calls()
    outcomes = compute_proxies([*PASS_A, "jacov"], ctx)
    assert forward_calls() - start == 2  # one failed pass A attempt, one pass B
    errors = {outcomes[name].error for name in PASS_A}
    assert len(errors) == 1 and "shared pass" in errors.pop()
    assert all(outcomes[name].status == "error" for name in PASS_A)
    assert outcomes["jacov"].status == "ok"


def test_unmet_needs_are_errors_without_running(make_context):
    ctx = make_context(0)
    ctx.labels = None
    outcomes = compute_proxies(["epe_nas", "jacov", "grad_norm"], ctx)
    assert outcomes["epe_nas"].status == outcomes["grad_norm"].status == "error"
    assert "labels" in outcomes["epe_nas"].error
    assert outcomes["jacov"].status == "ok"
    ctx.images = None
    assert "data batch" in compute_proxies(["jacov"], ctx)["jacov"].error


def test_set_level_proxy_is_not_computed_here(make_context, temporary_proxy):
    temporary_proxy("test_set", lambda ctx: 1.0, needs=("score_set",))
    outcome = compute_proxies(["test_set"], make_context(0))["test_set"]
    assert outcome.status == "error" and "set-level" in outcome.error


def test_bad_arguments():
    with pytest.raises(UnknownNameError, match="did you mean"):
        compute_proxies(["snpi"], None)
    with pytest.raises(ValueError, match="on_error"):
        compute_proxies(["snip"], None, on_error="ignore")


def test_network_with_zero_output_does_not_crash(make_context):
    outcomes = compute_proxies(MINE, make_context(0, zero_output=True))
    assert all(o.status in ("ok", "nan", "error") for o in outcomes.values())
    assert outcomes["jacov"].status == outcomes["epe_nas"].status == "nan"
    for name in ("grad_norm", "snip", "synflow"):  # no signal reaches the output
        assert outcomes[name].score == 0.0


def test_deterministic_and_independent_of_order_and_company(make_context):
    first = compute_proxies(MINE, make_context(7))
    second = compute_proxies(list(reversed(MINE)), make_context(7))
    assert all(first[name].status == "ok" for name in MINE)
    for name in MINE:
        assert first[name].score == second[name].score, name
        alone = compute_proxies([name], make_context(7))[name]
        assert alone.score == first[name].score, name


def test_the_context_network_is_left_untouched(make_context):
    ctx = make_context(1)
    before = {k: v.clone() for k, v in ctx.network.state_dict().items()}
    compute_proxies(MINE, ctx)
    for key, value in ctx.network.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert all(p.grad is None for p in ctx.network.parameters())


def test_every_registered_proxy_gives_an_outcome(make_context):
    # Smoke test over the whole registry: whatever a proxy does, the engine records it.
    outcomes = compute_proxies(list_proxies(), make_context(0))
    assert set(outcomes) == set(list_proxies())
    for name, outcome in outcomes.items():
        assert outcome.status in ("ok", "nan", "error"), name
        assert (outcome.error is None) == (outcome.status == "ok"), name


def test_a_proxy_needing_pass_a_graph_runs_first_outcomes_keep_the_order(make_context):
    started = []
    names = ["snip", "l2_norm", "grasp", "grad_norm"]
    outcomes = compute_proxies(names, make_context(0), on_start=started.append)
    assert started == ["grasp", "snip", "l2_norm", "grad_norm"]
    assert list(outcomes) == names
