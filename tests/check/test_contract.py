"""Every check of `harness check` can fail: deliberately bad proxies fail exactly theirs.

The bad proxies live in `bad_proxies.py`, loaded as a plugin file (`--include`), so the
checker's fresh processes (determinism, memory) load them as they load any plugin. One
check of all of them on NB201 (batch 8) serves every test here.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from harness.check import CheckOptions, render, run_check
from harness.check.archs import check_archs, check_spaces
from harness.errors import ConfigError
from harness.proxies import base, plugins

BAD_PROXIES = Path(__file__).with_name("bad_proxies.py")

#: proxy -> the checks it must fail (and no other); memory and time on their own report
EXPECTED_FAILURES: dict[str, set[str]] = {
    "checked_ok": set(),
    "checked_python_random": {"determinism"},
    "checked_torch_global_rng": {"determinism"},
    "checked_mutates_network": {"no_mutation"},
    "checked_mutates_batch": {"no_mutation"},
    "checked_undeclared_data": {"needs"},
    "checked_undeclared_labels": {"needs"},
    "checked_undeclared_pass": {"needs"},
    "checked_raises": {"architectures"},
    "checked_escapes": {"architectures"},
    "checked_permutation": {"permutation"},
    "checked_jacov_undeclared": {"architectures"},
    "checked_jacov_declared": set(),
}
COSTLY_FAILURES: dict[str, set[str]] = {
    "checked_ok": set(),
    "checked_slow": {"time"},
    "checked_memory": {"memory"},
}
# Touching 800 MiB takes time too: on a slow or busy machine the page faults alone
# can pass 3 x the floor's time, so the memory hog may also fail "time" (CI saw it).
MAY_ALSO_FAIL: dict[str, set[str]] = {"checked_memory": {"time"}}


@pytest.fixture(scope="module")
def isolated_registry():
    saved = base.PROXIES.snapshot()
    yield
    base.PROXIES.restore(saved)
    plugins._INCLUDED.pop(BAD_PROXIES.resolve(), None)


def _check(names, **options):
    return run_check(
        list(names),
        CheckOptions(spaces=("nb201",), batch_size=8, includes=(str(BAD_PROXIES),), **options),
    )


@pytest.fixture(scope="module")
def report(isolated_registry):
    """All NB201 check architectures, no memory measurement."""
    return _check(EXPECTED_FAILURES, memory=False)


@pytest.fixture(scope="module")
def costly_report(isolated_registry):
    """Time and memory limits, on the largest NB201 architecture alone."""
    return _check(COSTLY_FAILURES, archs=("all-conv3x3",), max_time_x=3.0, max_memory_x=4.0)


def _failed(report, name: str) -> set[str]:
    (check,) = [c for c in report.proxies if c.name == name]
    failed = {key for key, finding in check.findings.items() if finding.status == "FAIL"}
    assert check.passed == (not failed)
    for key in failed:  # every failure says why, on one line
        assert check.findings[key].problems
        assert all("\n" not in p for p in check.findings[key].problems)
    return failed


@pytest.mark.parametrize("name", list(COSTLY_FAILURES))
def test_time_and_memory_limits_fail_costly_proxies(costly_report, name):
    (check,) = [c for c in costly_report.proxies if c.name == name]
    shown = {k: (f.cell, f.problems) for k, f in check.findings.items()}
    failed = _failed(costly_report, name)
    assert COSTLY_FAILURES[name] <= failed, shown
    assert failed - COSTLY_FAILURES[name] <= MAY_ALSO_FAIL.get(name, set()), shown
    assert check.findings["determinism"].cell == "n/a (no typical architecture checked)"


def test_what_time_and_memory_failures_say(costly_report):
    by_name = {c.name: c for c in costly_report.proxies}
    assert "x the floor" in " ".join(by_name["checked_slow"].findings["time"].problems)
    assert "MiB" in " ".join(by_name["checked_memory"].findings["memory"].problems)
    ok = by_name["checked_ok"].findings
    assert ok["memory"].status == ok["time"].status == "ok"
    assert ok["memory"].cell.endswith("(nb201)") and ok["time"].cell.endswith("(nb201)")


@pytest.mark.parametrize("name", list(EXPECTED_FAILURES))
def test_each_bad_proxy_fails_exactly_its_checks(report, name):
    assert _failed(report, name) == EXPECTED_FAILURES[name]


def test_what_the_failures_say(report):
    by_name = {c.name: c for c in report.proxies}

    def problems(name: str, key: str) -> str:
        return " ".join(by_name[name].findings[key].problems)

    assert "process 1 run 2" in problems("checked_torch_global_rng", "determinism")
    assert "network classifier.weight" in problems("checked_mutates_network", "no_mutation")
    assert "batch images" in problems("checked_mutates_batch", "no_mutation")
    assert "does not declare" in problems("checked_undeclared_data", "needs")
    assert "does not declare" in problems("checked_undeclared_labels", "needs")
    assert "shared pass 'pass_a_loss_grads' without declaring loss_grads" in problems(
        "checked_undeclared_pass", "needs"
    )
    assert "deliberate failure where a score is expected" in problems(
        "checked_raises", "architectures"
    )
    assert "exception escaped: Escape" in problems("checked_escapes", "architectures")
    assert "permuted batch changes the score" in problems("checked_permutation", "permutation")
    undeclared = problems("checked_jacov_undeclared", "architectures")
    assert "nb201 all-none" in undeclared and "nb201 no-path" in undeclared


def test_declared_failures_are_expected_and_reported(report):
    (check,) = [c for c in report.proxies if c.name == "checked_jacov_declared"]
    verdicts = {r.label: r.verdict for r in check.archs}
    assert verdicts["all-none"] == verdicts["no-path"] == "expected failure"
    assert {verdicts[label] for label in ("resnet-like", "all-conv3x3", "all-skip")} == {"ok"}
    text = render(report, "md")
    assert "expected failure checked_jacov_declared · nb201 all-none" in text
    assert "| checked_ok | 1 | file " in text and text.count("| pass |") == 2
    assert "n/a (not measured)" in text


def test_every_architecture_of_every_space_is_scored(report):
    (check,) = [c for c in report.proxies if c.name == "checked_ok"]
    assert [r.label for r in check.archs] == [a.label for a in check_archs("nb201")]
    assert all(r.outcome.status == "ok" and r.floor_seconds > 0 for r in check.archs)
    assert check.findings["determinism"].cell == "ok (5 runs, 3 processes)"
    assert check.findings["permutation"].cell.startswith("ok (max change")
    largest = [r for r in check.archs if r.role == "largest"]
    assert len(largest) == 1 and math.isfinite(largest[0].time_x)


def test_the_check_architectures():
    for space in check_spaces():
        archs = check_archs(space)
        assert [a.role for a in archs][:3] == ["typical", "smallest", "largest"]
        assert any(a.role == "degenerate" for a in archs)
        assert all(f"space:{space}" in a.all_conditions for a in archs)
    conditions = {a.label: a.conditions for a in check_archs("nb201")}
    assert conditions["all-none"] == {"no_path", "parameter_free"}
    assert conditions["no-path"] == {"no_path"} and conditions["all-skip"] == {"parameter_free"}


def test_bad_options_are_config_errors():
    with pytest.raises(ConfigError, match="unknown space"):
        CheckOptions(spaces=("nb999",)).validate()
    with pytest.raises(ConfigError, match="batch-size"):
        CheckOptions(batch_size=1).validate()
