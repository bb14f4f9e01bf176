"""Every registered proxy keeps the contract: one test, parametrised over the registry.

A score ("ok") is required on every checked architecture where the proxy declares no
failure condition (`fails_on`); where it does, a recorded failure (nan or error, with its
reason) is allowed, never an exception escaping the engine. The default run checks a
representative subset on NB201 without the memory measurement; `-m slow` checks every
built-in exactly as `harness check '*'` does (every space, memory included).
"""

from __future__ import annotations

import pytest

from harness.check import CheckOptions, run_check
from harness.proxies import get_proxy, list_proxies

#: data-free, the shared loss-gradient pass, the shared Jacobian pass with declared
#: failures on cells without a path, and a proxy with its own passes
FAST = ("params", "snip", "jacov", "synflow")


@pytest.fixture(scope="module")
def fast_report():
    return run_check(FAST, CheckOptions(spaces=("nb201",), memory=False))


@pytest.fixture(scope="module")
def full_report():
    names = [n for n in list_proxies() if get_proxy(n).origin.builtin]
    return run_check(names, CheckOptions())


def _params():
    for name in list_proxies():
        marks = [] if name in FAST or get_proxy(name).combine is not None else [pytest.mark.slow]
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", _params())
def test_the_proxy_keeps_the_contract(name, request):
    spec = get_proxy(name)
    if spec.combine is not None:  # set-level: combined from proxies checked as themselves
        assert spec.combines and all(get_proxy(part).combine is None for part in spec.combines)
        assert set(spec.combines) <= set(list_proxies())
        return
    report = request.getfixturevalue("fast_report" if name in FAST else "full_report")
    (check,) = [c for c in report.proxies if c.name == name]
    failed = {k: f.problems for k, f in check.findings.items() if f.status == "FAIL"}
    assert check.passed, failed
    for result in check.archs:
        where = f"{result.space} {result.label}"
        assert result.outcome.escaped is None, where
        if result.expected is None:
            assert result.outcome.status == "ok", f"{where}: {result.outcome.describe()}"
        else:
            assert result.outcome.status in ("ok", "nan", "error"), where
            assert result.outcome.status == "ok" or result.outcome.error, where
    if spec.permutation_invariant:
        assert check.findings["permutation"].status == "ok"


def test_declared_failures_are_real(fast_report):
    # jacov declares no_path: both NB201 cells without a path record NaN, the rest score
    (check,) = [c for c in fast_report.proxies if c.name == "jacov"]
    failed = {r.label for r in check.archs if r.outcome.status != "ok"}
    assert failed == {"all-none", "no-path"}
    assert all(r.expected and r.expected.startswith("no_path:") for r in check.archs
               if r.label in failed)  # fmt: skip
