"""The regression gate's decisions on crafted pairs of documents."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from report_documents import make_document

from harness.errors import ConfigError
from harness.report import label_documents
from harness.report.gate import (
    TEST_PAIRED,
    TEST_UNPAIRED_ARCHS,
    TEST_UNPAIRED_SEEDS,
    VERDICT_BETTER,
    VERDICT_DROP_NOISE,
    VERDICT_FAIL,
    VERDICT_MISSING,
    VERDICT_NEW,
    VERDICT_SAME,
    VERDICT_SMALL_DROP,
    GateRule,
    compare_documents,
    gate_markdown,
    gate_statistics,
    parse_fail_on,
)
from harness.stats import kendall_tau, ndcg_at_k


def _pair(base_doc, new_doc):
    base, new = label_documents([base_doc, new_doc])
    return base, new


def _line(report, proxy, statistic="kendall"):
    return next(x for x in report.lines if x.proxy == proxy and x.statistic == statistic)


def strong_and_weak(n=200):
    rng = np.random.default_rng(0)
    truth = rng.uniform(70, 95, n)
    strong = truth + 2.0 * rng.standard_normal(n)
    weak = truth + 15.0 * rng.standard_normal(n)
    return truth, strong, weak


def test_parse_fail_on():
    assert parse_fail_on("kendall:-0.02, spearman:0.05") == (
        GateRule("kendall", -0.02),
        GateRule("spearman", -0.05),
    )
    for bad in ("kendall", "tau:-0.1", "kendall:abc", "", "kendall:nan"):
        with pytest.raises(ConfigError):
            parse_fail_on(bad)


def test_real_drop_fails():
    truth, strong, weak = strong_and_weak()
    base, new = _pair(make_document({"p": strong}, truth), make_document({"p": weak}, truth))
    report = compare_documents(base, new, parse_fail_on("kendall:-0.02"), n_resamples=300)
    line = _line(report, "p")
    assert line.test == TEST_PAIRED
    assert line.delta == pytest.approx(kendall_tau(weak, truth) - kendall_tau(strong, truth))
    assert line.delta < -0.2 and line.p_value < 0.05 and line.high < 0
    assert line.verdict == VERDICT_FAIL and report.failed
    assert "RESULT: FAIL" in gate_markdown(report, base, new)


def test_improvement_passes():
    truth, strong, weak = strong_and_weak()
    base, new = _pair(make_document({"p": weak}, truth), make_document({"p": strong}, truth))
    report = compare_documents(base, new, n_resamples=300)
    assert {x.verdict for x in report.lines} == {VERDICT_BETTER}
    assert not report.failed
    assert "RESULT: PASS" in gate_markdown(report, base, new)


def _swapped(values, pairs):
    values = list(values)
    for i, j in pairs:
        values[i], values[j] = values[j], values[i]
    return values


def test_noisy_drop_beyond_the_threshold_passes():
    truth = np.arange(1.0, 11.0)
    base_score = _swapped(truth, [(0, 1), (4, 5)])  # 2 discordant pairs of 45
    new_score = _swapped(truth, [(0, 1), (4, 5), (7, 8)])  # 3 discordant pairs
    base, new = _pair(
        make_document({"p": base_score}, truth), make_document({"p": new_score}, truth)
    )
    report = compare_documents(base, new, parse_fail_on("kendall:-0.02"), n_resamples=500)
    line = _line(report, "p")
    assert line.delta == pytest.approx(-2 / 45)  # tau 41/45 -> 39/45: beyond the threshold
    assert line.p_value >= 0.05
    assert line.verdict == VERDICT_DROP_NOISE and not report.failed


def test_significant_drop_within_the_threshold_passes():
    truth, strong, weak = strong_and_weak()
    base, new = _pair(make_document({"p": strong}, truth), make_document({"p": weak}, truth))
    report = compare_documents(base, new, parse_fail_on("kendall:-0.9"), n_resamples=300)
    assert _line(report, "p").verdict == VERDICT_SMALL_DROP and not report.failed


def test_identical_runs_do_not_change():
    truth, strong, _ = strong_and_weak(50)
    doc = make_document({"p": strong}, truth)
    report = compare_documents(*_pair(doc, doc), n_resamples=100)
    assert {x.verdict for x in report.lines} == {VERDICT_SAME}
    assert all(x.delta == 0 and x.p_value == 1 for x in report.lines)


def test_a_missing_proxy_fails_unless_allowed_and_a_new_one_is_reported():
    truth, strong, weak = strong_and_weak(50)
    base, new = _pair(
        make_document({"p": strong, "gone": weak}, truth),
        make_document({"p": strong, "fresh": weak}, truth),
    )
    report = compare_documents(base, new, parse_fail_on("kendall:-0.02"), n_resamples=100)
    assert _line(report, "gone").verdict == VERDICT_MISSING
    assert _line(report, "fresh").verdict == VERDICT_NEW
    assert report.failed and not report.failures  # a problem, not a drop
    assert any("missing from the new run: gone" in p for p in report.problems)
    allowed = compare_documents(
        base, new, parse_fail_on("kendall:-0.02"), n_resamples=100, allow_missing=True
    )
    assert not allowed.failed
    assert any("missing from the new run: gone" in note for note in allowed.notes)
    markdown = gate_markdown(allowed, base, new)
    assert "| gone |" in markdown and "| fresh |" in markdown


def test_different_architectures_use_unpaired_intervals():
    truth, strong, _ = strong_and_weak(80)
    base = make_document({"p": strong[:60]}, truth[:60], archs=[f"a{i}" for i in range(60)])
    new = make_document({"p": strong[20:]}, truth[20:], archs=[f"a{i}" for i in range(20, 80)])
    report = compare_documents(*_pair(base, new), n_resamples=200)
    line = _line(report, "p")
    assert line.test == TEST_UNPAIRED_ARCHS
    assert any("different architectures" in note and "unpaired" in note for note in report.notes)
    assert not report.failed


def test_other_seed_on_the_same_architectures_is_unpaired():
    truth, strong, weak = strong_and_weak(120)
    base = make_document({"p": strong, "q": strong}, truth, seed=0)
    new = make_document({"p": weak, "q": strong + 0.5}, truth, seed=1)
    report = compare_documents(*_pair(base, new), n_resamples=300)
    assert {x.test for x in report.lines} == {TEST_UNPAIRED_SEEDS}
    assert any("seed 0 vs 1" in note for note in report.notes)
    # a real drop is still caught by the wider unpaired test
    assert _line(report, "p").verdict == VERDICT_FAIL
    paired = compare_documents(*_pair(base, new), n_resamples=300, pair_across_seeds=True)
    assert {x.test for x in paired.lines} == {TEST_PAIRED}
    unpaired_width = _line(report, "q").high - _line(report, "q").low
    paired_width = _line(paired, "q").high - _line(paired, "q").low
    assert paired_width < unpaired_width


def test_reference_scores_pair_whatever_the_seed():
    truth, strong, _ = strong_and_weak(60)
    docs = []
    for seed in (0, 1):
        doc = make_document({"p": strong}, truth, seed=seed)
        doc.rows = [replace(r, origin="reference") for r in doc.rows]
        docs.append(doc)
    report = compare_documents(*_pair(*docs), n_resamples=100)
    assert {x.test for x in report.lines} == {TEST_PAIRED}


def test_without_per_arch_values_the_intervals_decide():
    truth, strong, weak = strong_and_weak()
    base = make_document({"p": strong}, truth, with_per_arch=False)
    new = make_document({"p": weak}, truth, with_per_arch=False)
    line = _line(compare_documents(*_pair(base, new)), "p")
    assert line.test.startswith("intervals")
    assert line.verdict == VERDICT_FAIL
    assert line.low < line.delta < line.high < 0


def test_alpha_must_be_a_probability():
    truth, strong, _ = strong_and_weak(20)
    doc = make_document({"p": strong}, truth)
    with pytest.raises(ConfigError):
        compare_documents(*_pair(doc, doc), alpha=1.5)


def test_ndcg_is_gated_from_values_and_from_the_intervals_a_row_keeps_in_extra():
    assert "ndcg" in gate_statistics()
    truth, strong, weak = strong_and_weak()
    rules = parse_fail_on("ndcg:-0.02")
    base, new = _pair(make_document({"p": strong}, truth), make_document({"p": weak}, truth))
    line = _line(compare_documents(base, new, rules, n_resamples=300), "p", "ndcg")
    assert line.test == TEST_PAIRED
    assert line.delta == pytest.approx(ndcg_at_k(weak, truth) - ndcg_at_k(strong, truth))
    assert line.base == pytest.approx(base.document.rows[0].extra["ndcg"])
    assert line.low <= line.delta <= line.high
    base_rows = make_document({"p": strong}, truth, with_per_arch=False)
    new_rows = make_document({"p": weak}, truth, with_per_arch=False)
    line = _line(compare_documents(*_pair(base_rows, new_rows), rules), "p", "ndcg")
    assert line.test.startswith("intervals")
    assert (line.base, line.new) == (
        base_rows.rows[0].extra["ndcg"], new_rows.rows[0].extra["ndcg"],
    )  # fmt: skip
    assert line.low < line.delta < line.high
