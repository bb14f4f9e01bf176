"""benchmarks/reference_agreement.py: a run's scores beside a table's reference scores."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from harness.errors import DataError
from harness.results import PerArchValues, ResultRow, ResultsDocument
from harness.tables import BenchmarkTable
from harness.tables.base import frame_from_columns

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "reference_agreement.py"
_spec = importlib.util.spec_from_file_location("reference_agreement_script", SCRIPT)
agreement = importlib.util.module_from_spec(_spec)
sys.modules["reference_agreement_script"] = agreement  # its dataclasses look their module up
_spec.loader.exec_module(agreement)

TARGET = "cifar10/accuracy/test/200"
RUN_ARCHS = [f"a{i:03d}" for i in range(40)]
TABLE_ARCHS = [f"a{i:03d}" for i in range(10, 50)]  # 30 shared with the run


def _row(proxy: str, higher_is_better: bool) -> ResultRow:
    return ResultRow(
        space="nb201", dataset="cifar10", target=TARGET, proxy=proxy,
        higher_is_better=higher_is_better, n=40, n_failed=0,
        kendall=None, kendall_lo=None, kendall_hi=None,
        spearman=None, spearman_lo=None, spearman_hi=None,
        pearson=None, pearson_lo=None, pearson_hi=None,
    )  # fmt: skip


def _document(scores: dict[str, list], truth: np.ndarray, lower: tuple[str, ...] = ()):
    return ResultsDocument(
        kind="run", run_id="run-test", config={"resolved": {"input_source": "synthetic"}},
        versions={}, git_revision=None, data_files={}, seed=0,
        rows=[_row(p, p not in lower) for p in scores],
        per_arch=[PerArchValues(space="nb201", dataset="cifar10", target=TARGET,
                                archs=RUN_ARCHS, truth=list(truth), scores=scores)],
    )  # fmt: skip


def _table(scores: dict[str, np.ndarray], dataset: str = "cifar10") -> BenchmarkTable:
    refs = pd.DataFrame(
        [
            {"arch": a, "dataset": dataset, "proxy": p, "score": float(v[i]), "seconds": np.nan}
            for p, v in scores.items()
            for i, a in enumerate(TABLE_ARCHS)
        ]
    )
    frame = frame_from_columns(TABLE_ARCHS, {TARGET: np.linspace(50, 90, len(TABLE_ARCHS))})
    return BenchmarkTable(name="ref", space="nb201", frame=frame, reference_scores=refs)


@pytest.fixture
def case():
    rng = np.random.default_rng(3)
    truth = rng.uniform(60, 95, len(RUN_ARCHS))
    ours = truth + rng.normal(0, 5, truth.size)
    ours_list: list = list(ours)
    ours_list[12] = None  # a failure in the run, on a shared cell
    inverse = list(-(truth + rng.normal(0, 9, truth.size)))  # lower is better in the run
    theirs = rng.normal(0, 1, len(TABLE_ARCHS)) + np.linspace(0, 3, len(TABLE_ARCHS))
    document = _document(
        {"good": ours_list, "inverse": inverse, "ours_only": list(ours)}, truth, lower=("inverse",)
    )
    table = _table({"good": theirs, "inverse": theirs[::-1].copy(), "theirs_only": theirs})
    return document, table, truth, ours, np.asarray(inverse, float), theirs


def test_figures_are_scipy_on_the_shared_finite_cells(case):
    document, table, truth, ours, inverse, theirs = case
    rows = {r.proxy: r for r in agreement.agreements(document, table, dataset="cifar10",
                                                      n_resamples=200)}  # fmt: skip
    assert set(rows) == {"good", "inverse"}  # proxies in only one side are not compared
    shared = np.arange(10, 40)
    keep = shared != 12  # the run failed on a012
    y = truth[shared][keep]
    a = ours[shared][keep]
    b = theirs[:30][keep]
    good = rows["good"]
    assert good.n == 29
    assert good.kendall.estimate_a == pytest.approx(sps.kendalltau(a, y).statistic)
    assert good.kendall.estimate_b == pytest.approx(sps.kendalltau(b, y).statistic)
    assert good.kendall.delta == pytest.approx(good.kendall.estimate_a - good.kendall.estimate_b)
    assert good.kendall.low <= good.kendall.delta <= good.kendall.high
    assert good.spearman.estimate_a == pytest.approx(sps.spearmanr(a, y).statistic)
    assert good.spearman.estimate_b == pytest.approx(sps.spearmanr(b, y).statistic)
    assert good.scores_kendall == pytest.approx(sps.kendalltau(a, b).statistic)
    # the run's lower-is-better proxy is negated before any figure; the reference is not
    inv = rows["inverse"]
    a_inv = -inverse[shared]
    b_inv = theirs[::-1][:30]
    assert inv.n == 30
    assert inv.kendall.estimate_a == pytest.approx(sps.kendalltau(a_inv, truth[shared]).statistic)
    assert inv.kendall.estimate_a > 0.3
    assert inv.kendall.estimate_b == pytest.approx(sps.kendalltau(b_inv, truth[shared]).statistic)
    assert inv.scores_kendall == pytest.approx(sps.kendalltau(a_inv, b_inv).statistic)


def test_the_same_scores_on_both_sides_agree_exactly():
    rng = np.random.default_rng(0)
    truth = rng.uniform(60, 95, len(RUN_ARCHS))
    scores = truth + rng.normal(0, 4, truth.size)
    document = _document({"same": list(scores)}, truth)
    table = _table({"same": np.concatenate([scores[10:], rng.normal(0, 1, 10)])})
    (row,) = agreement.agreements(document, table, dataset="cifar10", n_resamples=100)
    assert row.n == 30
    assert row.kendall.delta == 0 and row.kendall.low == 0 and row.kendall.high == 0
    assert row.spearman.delta == 0
    assert row.scores_kendall == pytest.approx(1.0)


def test_nothing_shared_is_a_one_line_error(case):
    document, table, *_ = case
    with pytest.raises(DataError, match="no reference scores on 'ImageNet16-120'"):
        agreement.agreements(document, table, dataset="ImageNet16-120")
    with pytest.raises(DataError, match="share no proxy"):
        agreement.agreements(document, _table({"other": np.zeros(40)}), dataset="cifar10")
    far = _document({"good": list(np.zeros(40))}, np.zeros(40))
    far.per_arch[0].archs = [f"b{i}" for i in range(40)]
    with pytest.raises(DataError, match="share no architecture"):
        agreement.agreements(far, table, dataset="cifar10")


def test_command_prints_the_table_and_exits_2_on_bad_input(case, tmp_path, monkeypatch, capsys):
    document, table, *_ = case
    path = document.write(tmp_path / "results.json")
    monkeypatch.setattr(agreement, "load_table", lambda name, data_dir: table)
    assert agreement.main([str(path), "--resamples", "50"]) == 0
    out = capsys.readouterr().out
    assert "against table ref" in out and "input synthetic" in out
    lines = [line for line in out.splitlines() if line.startswith("| ")]
    assert len(lines) == 1 + 2 and lines[0].startswith("| proxy (table → run) | n | τ run | τ ref")
    assert agreement.main([str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.json" in err[0] and "not found" in err[0]


def test_a_naslib_name_pairs_with_the_proxy_of_its_definition():
    rng = np.random.default_rng(1)
    truth = rng.uniform(60, 95, len(RUN_ARCHS))
    theirs = {"fisher": rng.normal(0, 1, 40), "synflow": rng.normal(0, 1, 40)}
    both = _document(
        {"fisher": list(truth), "fisher_fanin": list(truth + 1), "synflow": list(truth)}, truth
    )
    rows = {r.reference_proxy: r for r in agreement.agreements(
        both, _table(theirs), dataset="cifar10", n_resamples=50)}  # fmt: skip
    assert rows["fisher"].proxy == "fisher_fanin" and rows["fisher"].same_definition
    assert rows["synflow"].proxy == "synflow" and not rows["synflow"].same_definition
    text = agreement.markdown(list(rows.values()), run="run", reference="ref")
    assert "| fisher → fisher_fanin | 30 |" in text and "| synflow ≠ | 30 |" in text
    assert "synflow: the table's is `synflow_nobn`" in text and "fisher:" not in text


def test_an_unknown_table_is_a_one_line_error(case, tmp_path, capsys):
    document, *_ = case
    path = document.write(tmp_path / "results.json")
    assert agreement.main([str(path), "--table", "no-such-table"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown table 'no-such-table'" in err[0]
