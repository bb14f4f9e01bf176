"""One leaderboard over several runs: merge rules, and `harness leaderboard --results`."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest
from report_documents import make_document, standard_document

from harness.cli import main
from harness.report import label_documents
from harness.report.documents import groups_of
from harness.report.merge import (
    INTERVAL_BOOTSTRAP,
    INTERVAL_MEAN_ENDS,
    INTERVAL_OWN,
    _Entry,
    _usable,
    mean_kendall_interval,
    merge_documents,
    merged_header,
)


def _by_proxy(merged):
    return {m.proxy: m for m in merged}


def test_a_single_document_keeps_its_own_figures():
    doc = standard_document()
    merged = _by_proxy(merge_documents(label_documents([doc])))
    for row in doc.rows:
        line = merged[row.proxy]
        assert (line.kendall, line.kendall_lo, line.kendall_hi) == (
            row.kendall,
            row.kendall_lo,
            row.kendall_hi,
        )
        assert line.runs == 1 and line.interval == INTERVAL_OWN and line.n_archs == row.n


def test_several_runs_average_tau_and_bootstrap_the_mean():
    docs = [standard_document(seed=s) for s in range(3)]
    merged = _by_proxy(merge_documents(label_documents(docs), n_resamples=300))
    good = merged["good"]
    taus = [next(r.kendall for r in d.rows if r.proxy == "good") for d in docs]
    assert good.runs == 3 and good.interval == INTERVAL_BOOTSTRAP
    assert good.kendall == pytest.approx(np.mean(taus))
    assert (good.kendall_min, good.kendall_max) == (min(taus), max(taus))
    assert good.kendall_lo < good.kendall < good.kendall_hi
    # averaging three runs narrows the interval compared with one run's own
    widths = [next(r.kendall_hi - r.kendall_lo for r in d.rows if r.proxy == "good") for d in docs]
    assert good.kendall_hi - good.kendall_lo < max(widths)
    assert good.n_archs == 60  # the same 60 keys in every run
    assert good.sources == ("D1", "D2", "D3")
    assert list(merged) == ["good", "inverse", "poor"]  # best mean tau first


def test_runs_without_per_arch_values_average_their_interval_ends():
    docs = [standard_document(seed=s, with_per_arch=False) for s in range(2)]
    merged = _by_proxy(merge_documents(label_documents(docs)))
    rows = [next(r for r in d.rows if r.proxy == "poor") for d in docs]
    assert merged["poor"].interval == INTERVAL_MEAN_ENDS
    assert merged["poor"].kendall_lo == pytest.approx(np.mean([r.kendall_lo for r in rows]))


def test_runs_with_several_seeds_average_their_two_level_interval_ends():
    docs = [standard_document(seed=s) for s in range(2)]
    for doc in docs:  # the rows' figures stand for means over seeds
        for row in doc.rows:
            row.extra.update(n_seeds=3, seeds=[0, 1, 2])
    merged = _by_proxy(merge_documents(label_documents(docs)))
    rows = [next(r for r in d.rows if r.proxy == "good") for d in docs]
    assert merged["good"].interval == INTERVAL_MEAN_ENDS
    assert merged["good"].kendall_hi == pytest.approx(np.mean([r.kendall_hi for r in rows]))


def test_different_targets_and_origins_stay_apart():
    truth = np.linspace(0, 1, 20)
    a = make_document({"p": truth}, truth)
    b = make_document({"p": truth}, truth, target="cifar10/accuracy/valid/200")
    merged = merge_documents(label_documents([a, b]))
    assert len(merged) == 2 and all(m.runs == 1 for m in merged)


def test_leaderboard_merges_results_folders(tmp_path, capsys):
    for seed in range(2):
        standard_document(seed=seed).write(tmp_path / "runs" / f"r{seed}" / "results.json")
    out = tmp_path / "merged"
    code = main(
        ["leaderboard", "--results", str(tmp_path / "runs"), "--out", str(out)]
        + ["--resamples", "100"]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "Leaderboard across runs" in printed and "| good |" in printed
    with open(out / "leaderboard.csv") as handle:
        rows = {r["proxy"]: r for r in csv.DictReader(handle)}
    assert set(rows) == {"good", "inverse", "poor"}
    assert rows["good"]["runs"] == "2" and rows["good"]["interval"] == INTERVAL_BOOTSTRAP
    html = (out / "leaderboard.html").read_text()
    assert "<table>" in html
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#|data:)""", html)
    assert "| good |" in (out / "leaderboard.md").read_text()


def test_leaderboard_results_errors_are_one_line(tmp_path, capsys):
    assert main(["leaderboard", "--results", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("harness: error:") and "nowhere" in err and len(err.splitlines()) == 1
    (tmp_path / "empty").mkdir()
    assert main(["leaderboard", "--results", str(tmp_path / "empty")]) == 2
    assert "no results.json" in capsys.readouterr().err


def test_extra_interval_figures_merge_like_tau_with_draws_of_their_own():
    docs = [standard_document(seed=s) for s in range(3)]
    merged = _by_proxy(merge_documents(label_documents(docs), n_resamples=300))
    good = merged["good"]
    ((name, value, low, high),) = good.figures
    own = [next(r.extra["ndcg"] for r in d.rows if r.proxy == "good") for d in docs]
    assert name == "ndcg" and value == pytest.approx(np.mean(own))
    assert low <= value <= high
    # the figure's bootstrap does not move tau's: tau from the first generator alone
    tables = [_usable(_Entry(g, g.row("good"))) for d in label_documents(docs)
              for g in groups_of(d)]  # fmt: skip
    expected = mean_kendall_interval(
        tables, n_resamples=300, confidence=0.95, rng=np.random.default_rng(0)
    )
    assert (good.kendall_lo, good.kendall_hi) == expected
    # one document: its own figure and interval
    (single,) = [m for m in merge_documents(label_documents(docs[:1])) if m.proxy == "good"]
    row = next(r for r in docs[0].rows if r.proxy == "good")
    assert single.figures == (("ndcg", row.extra["ndcg"], row.extra["ndcg_lo"],
                               row.extra["ndcg_hi"]),)  # fmt: skip
    assert "mean nDCG@10% [interval]" in merged_header()
