"""Issue 27: a proxy call has a time limit, and must give back one real number."""

from __future__ import annotations

import math
import signal
import threading
import time

import numpy as np
import pytest
import torch

from harness.proxies import ProxyTimeout, as_score, time_limit
from harness.proxies.engine import compute_proxies


def _spin_forever(ctx):
    while True:
        try:
            time.sleep(0.01)
        except Exception:  # noqa: SIM105 (a proxy swallowing exceptions, not the limit)
            continue


def test_time_limit_stops_a_block_and_restores_the_alarm():
    before = signal.getsignal(signal.SIGALRM)
    started = time.perf_counter()
    with pytest.raises(ProxyTimeout, match=r"timed out after 0.2 s"), time_limit(0.2):
        while True:
            pass
    assert time.perf_counter() - started < 5
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_no_limit_and_other_threads_run_unlimited():
    for seconds in (None, 0, math.inf):
        with time_limit(seconds):
            time.sleep(0.05)
    done = []

    def elsewhere():
        with time_limit(0.01):  # no SIGALRM off the main thread: a no-op, not an error
            time.sleep(0.05)
        done.append(True)

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert done == [True]


def test_a_proxy_past_its_limit_is_a_recorded_failure_and_the_rest_run(
    make_context, temporary_proxy
):
    temporary_proxy("t_spins", _spin_forever)
    started = time.perf_counter()
    outcomes = compute_proxies(["t_spins", "l2_norm"], make_context(0), timeout=0.3)
    assert time.perf_counter() - started < 10
    assert outcomes["t_spins"].status == "error"
    assert outcomes["t_spins"].error == "timed out after 0.3 s (proxy_timeout)"
    assert outcomes["l2_norm"].status == "ok"


def _exits(ctx):
    raise SystemExit(0)  # what sys.exit(0) does


def test_a_proxy_calling_sys_exit_is_a_recorded_failure_and_the_rest_run(
    make_context, temporary_proxy
):
    temporary_proxy("t_exits", _exits)
    outcomes = compute_proxies(["t_exits", "l2_norm"], make_context(0))
    assert outcomes["t_exits"].status == "error"
    assert outcomes["t_exits"].error == "called sys.exit(0): a proxy may not end the process"
    assert outcomes["l2_norm"].status == "ok"
    with pytest.raises(RuntimeError, match="'t_exits' called sys.exit"):
        compute_proxies(["t_exits"], make_context(0), on_error="raise")


def test_per_proxy_limits_override_the_default(make_context, temporary_proxy):
    temporary_proxy("t_spins", _spin_forever)
    outcomes = compute_proxies(
        ["t_spins"], make_context(0), timeout=1000.0, timeouts={"t_spins": 0.2}
    )
    assert outcomes["t_spins"].error == "timed out after 0.2 s (proxy_timeout)"
    with pytest.raises(RuntimeError, match="'t_spins' timed out after 0.2 s"):
        compute_proxies(["t_spins"], make_context(0), timeout=0.2, on_error="raise")


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("1.5", "returned str '1.5', not a real number"),
        (None, "returned NoneType None, not a real number"),
        (torch.ones(3), "returned a Tensor of shape (3,), not one number"),
        (np.ones(2), "returned a ndarray of shape (2,), not one number"),
        (True, "returned the bool True, not a number"),
        (torch.tensor(True), "of torch.bool, not a real number"),
        (1 + 2j, "returned complex (1+2j), not a real number"),
    ],
)
def test_anything_but_one_real_number_is_a_failure_with_its_reason(
    value, says, make_context, temporary_proxy
):
    with pytest.raises(TypeError, match=None) as raised:
        as_score(value)
    assert says in str(raised.value)
    temporary_proxy("t_gives", lambda ctx: value)
    outcome = compute_proxies(["t_gives"], make_context(0))["t_gives"]
    assert outcome.status == "error" and says in outcome.error
    assert math.isnan(outcome.score)


@pytest.mark.parametrize(
    "value",
    [2.5, 3, np.float32(2.5), np.int64(3), torch.tensor(2.5), torch.tensor([2.5]), np.array(2.5)],
)
def test_one_real_number_in_any_usual_form_is_a_score(value):
    assert as_score(value) == pytest.approx(float(value))
