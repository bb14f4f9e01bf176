"""Failure policies on stored documents: report/compare/leaderboard --failures."""

from __future__ import annotations

import json

import numpy as np
import pytest
from report_documents import make_document

from harness.cli import main
from harness.report import label_documents
from harness.report.failure_policy import rescored
from harness.report.gate import compare_documents, parse_fail_on
from harness.stats import policy_values, summarise


def _failing_document(seed: int = 0, fail_on_best: int = 0):
    """Proxy "good" scores like the truth but fails on the `fail_on_best` best archs."""
    rng = np.random.default_rng(seed)
    truth = np.sort(rng.uniform(70, 95, 40))
    good = truth + rng.normal(0, 2, truth.size)
    if fail_on_best:
        good[-fail_on_best:] = np.nan
    other = truth + rng.normal(0, 6, truth.size)
    other[0] = np.nan  # fails on the worst architecture
    return make_document({"good": good, "other": other}, truth, seed=seed)


def test_policy_values_fill_worst_in_the_proxys_orientation():
    scores = {"up": np.array([1.0, np.nan, 3.0]), "down": np.array([np.nan, 5.0, 4.0])}
    filled = policy_values(scores, {"up": True, "down": False}, "worst")
    assert filled["up"].tolist() == [1.0, 0.0, 3.0]
    assert filled["down"].tolist() == [6.0, 5.0, 4.0]
    common = policy_values(scores, {"up": True, "down": False}, "common")
    assert np.isnan(common["up"][:2]).all() and common["up"][2] == 3.0
    assert np.isnan(common["down"][:2]).all()
    dropped = policy_values(scores, {"up": True, "down": False}, "drop")
    assert np.isnan(dropped["up"][1]) and dropped["down"][2] == 4.0


def test_rescored_rows_equal_a_fresh_summary_under_the_new_policy():
    (source,) = label_documents([_failing_document(fail_on_best=3)])
    row = source.document.rows[0]
    assert "failures" in row.extra  # written with summarise's default, drop
    again = rescored(source, "worst", n_resamples=200, seed=0)
    good = next(r for r in again.document.rows if r.proxy == "good")
    values = source.document.per_arch[0]
    expected = summarise(
        np.array(values.scores["good"]), np.array(values.truth), n_resamples=200,
        failures="worst",
    )  # fmt: skip
    assert good.kendall == expected.kendall and good.kendall_lo == expected.kendall_lo
    assert good.extra["failures"] == "worst" and good.extra["n_used"] == 40
    assert good.n == 40 and good.n_failed == 3
    assert good.kendall < row.kendall  # failing on the best three is now punished
    assert any("failures=worst" in note for note in again.document.notes)
    common = rescored(source, "common", n_resamples=50)
    assert {r.proxy: r.n for r in common.document.rows} == {"good": 36, "other": 36}


def test_gate_applies_the_policy_to_stored_values():
    base, new = label_documents([_failing_document(), _failing_document(fail_on_best=6)])
    rules = parse_fail_on("kendall:0.02")
    dropped = compare_documents(base, new, rules, failures="drop", n_resamples=300)
    worst = compare_documents(base, new, rules, failures="worst", n_resamples=300)
    line = {(lin.proxy): lin for lin in dropped.lines}["good"]
    worse = {(lin.proxy): lin for lin in worst.lines}["good"]
    # dropping the six best hides most of the damage; ranking them worst shows it
    assert worse.delta < -0.1 < line.delta and worse.verdict == "FAIL"
    assert worse.n_new == 40


def test_commands_take_failures(tmp_path, capsys):
    base = tmp_path / "base.json"
    new = tmp_path / "new.json"
    _failing_document().write(base)
    _failing_document(fail_on_best=6).write(new)
    code = main(["compare", str(base), str(new), "--failures", "worst", "--format", "json"])
    assert code == 1
    report = json.loads(capsys.readouterr().out)
    assert any(line["proxy"] == "good" and line["verdict"] == "FAIL"
               for line in report["lines"])  # fmt: skip
    assert main(["compare", str(base), str(new), "--failures", "drop"]) in (0, 1)
    capsys.readouterr()
    out = tmp_path / "lb"
    assert main(["leaderboard", "--results", str(new), "--failures", "worst", "--out", str(out),
                 "--resamples", "50"]) == 0  # fmt: skip
    text = (out / "leaderboard.md").read_text()
    assert "Failures: worst" in text
    with pytest.raises(SystemExit):
        main(["report", str(new), "--failures", "sometimes"])
