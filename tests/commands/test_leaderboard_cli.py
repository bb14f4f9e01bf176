"""`harness leaderboard` and `harness tables` end to end on the real files, and bad input."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main

LEADERBOARD_COLUMNS = [
    "space",
    "dataset",
    "proxy",
    "n",
    "n_failed",
    "kendall",
    "kendall_lo",
    "kendall_hi",
    "spearman",
    "spearman_lo",
    "spearman_hi",
    "pearson",
]


def _rows(out_dir):
    with open(out_dir / "leaderboard.csv") as handle:
        return {row["proxy"]: row for row in csv.DictReader(handle)}


@pytest.mark.parametrize(
    ("table", "proxy", "spearman", "kendall", "n"),
    [
        # The expected figures (scipy on the full Suite-Zero files; nwot failed on
        # one of the 724 architectures, ranked worst by default).
        ("suite-zero-nb201", "nwot", 0.79, 0.59, 724),
        ("suite-zero-nb201", "synflow", 0.74, 0.54, 724),
        ("suite-zero-nb301", "nwot", 0.55, 0.39, 725),
        ("suite-zero-nb101", "flops", 0.72, 0.52, 500),
    ],
)
def test_leaderboard_reproduces_published_figures(
    real_data_dir, tmp_path, capsys, table, proxy, spearman, kendall, n
):
    out = tmp_path / "lb"
    code = main(
        ["leaderboard", "--table", table, "--data-dir", str(real_data_dir), "--out", str(out)]
        + ["--resamples", "200"]
    )
    assert code == 0
    rows = _rows(out)
    assert set(LEADERBOARD_COLUMNS) <= set(next(iter(rows.values())))
    row = rows[proxy]
    assert float(row["spearman"]) == pytest.approx(spearman, abs=0.005)
    assert float(row["kendall"]) == pytest.approx(kendall, abs=0.005)
    assert int(row["n"]) == n
    assert float(row["kendall_lo"]) < float(row["kendall"]) < float(row["kendall_hi"])
    printed = capsys.readouterr().out
    assert f"| {proxy} |" in printed


def test_leaderboard_results_document_traces_its_numbers(real_data_dir, tmp_path):
    out = tmp_path / "lb"
    args = ["leaderboard", "--data-dir", str(real_data_dir), "--out", str(out), "--seed", "3"]
    assert main(args + ["--resamples", "100"]) == 0
    doc = json.loads((out / "results.json").read_text())
    assert doc["kind"] == "leaderboard"
    assert doc["config"]["target"] == "cifar10-valid/accuracy/valid/200"
    assert doc["seed"] == 3
    assert doc["versions"]["scipy"]
    sums = dict(
        line.split()[::-1] for line in (real_data_dir / "SHA256SUMS").read_text().splitlines()
    )
    assert doc["data_files"] == {
        "suite_zero/zc_nasbench201.json": sums["suite_zero/zc_nasbench201.json"]
    }
    per_arch = doc["per_arch"][0]
    assert len(per_arch["archs"]) == len(per_arch["truth"]) == 724
    assert set(per_arch["scores"]) == {r["proxy"] for r in doc["rows"]}
    md = (out / "leaderboard.md").read_text()
    assert "nwot" in md and "Kendall" in md


def test_leaderboard_joins_the_csv_test_accuracy(real_data_dir, tmp_path):
    out = tmp_path / "lb"
    args = ["leaderboard", "--data-dir", str(real_data_dir), "--out", str(out)]
    assert main(args + ["--target", "cifar10/test/200", "--resamples", "50"]) == 0
    doc = json.loads((out / "results.json").read_text())
    assert doc["config"]["target"] == "cifar10/accuracy/test/200"
    assert doc["config"]["truth_table"] == "suite-zero-nb201+nb201-csv"
    assert all(r["n"] == 724 and r["extra"]["n_used"] == 724 for r in doc["rows"])
    # Against the test split the ranking quality differs from the valid split's.
    nwot = next(r for r in doc["rows"] if r["proxy"] == "nwot")
    assert nwot["kendall"] == pytest.approx(0.61, abs=0.01)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_leaderboard_formats(real_data_dir, tmp_path, capsys, fmt):
    args = ["leaderboard", "--data-dir", str(real_data_dir), "--out", str(tmp_path / "o")]
    assert main(args + ["--format", fmt, "--resamples", "20"]) == 0
    printed = capsys.readouterr().out
    if fmt == "csv":
        assert printed.splitlines()[0].startswith("space,dataset,target,proxy,n,n_failed,kendall")
    else:
        assert {r["proxy"] for r in json.loads(printed)} >= {"nwot", "synflow"}


def test_tables_lists_found_and_missing(real_data_dir, capsys):
    assert main(["tables", "--data-dir", str(real_data_dir)]) == 0
    printed = capsys.readouterr().out
    assert "| suite-zero-nb201 | found |" in printed
    assert "| nb201-official | missing |" in printed


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("harness: error: ")
    return err


def test_checksum_mismatch_is_one_line(real_data_dir, tmp_path, capsys):
    data = tmp_path / "data"
    (data / "suite_zero").mkdir(parents=True)
    original = (real_data_dir / "suite_zero" / "zc_nasbench201.json").read_bytes()
    (data / "suite_zero" / "zc_nasbench201.json").write_bytes(original[: len(original) // 2])
    assert main(["tables", "--data-dir", str(data)]) == 2
    assert "zc_nasbench201.json" in _one_line_error(capsys)
    assert main(["leaderboard", "--data-dir", str(data), "--out", str(tmp_path / "o")]) == 2
    err = _one_line_error(capsys)
    assert "zc_nasbench201.json" in err and "sha256" in err
    assert not (tmp_path / "o").exists()


def test_missing_file_is_one_line(tmp_path, capsys):
    assert main(["leaderboard", "--data-dir", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "zc_nasbench201.json" in _one_line_error(capsys)


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--table", "suite-zero-nb999"], "did you mean"),
        (["--dataset", "mnist"], "mnist"),
        (["--target", "cifar10/test/12"], "cifar10/test/12"),
        (["--confidence", "1.5"], "--confidence"),
    ],
)
def test_bad_options_are_one_line(real_data_dir, tmp_path, capsys, extra, needle):
    args = ["leaderboard", "--data-dir", str(real_data_dir), "--out", str(tmp_path / "o")]
    assert main(args + extra) == 2
    assert needle in _one_line_error(capsys)


def test_debug_shows_the_traceback(tmp_path):
    from harness.errors import DataError

    with pytest.raises(DataError):
        main(["leaderboard", "--data-dir", str(tmp_path), "--debug"])


def test_console_script_exit_codes(real_data_dir, tmp_path):
    exe = shutil.which("harness")
    cmd = [exe] if exe else [sys.executable, "-m", "harness.cli"]
    ok = subprocess.run(
        cmd
        + ["leaderboard", "--data-dir", str(real_data_dir), "--out", str(tmp_path / "o")]
        + ["--resamples", "10", "--format", "csv"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        cmd + ["leaderboard", "--data-dir", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


def test_merging_that_fails_half_way_leaves_no_leaderboard(tmp_path, capsys, monkeypatch):
    """Issue 17: leaderboard.md and .csv are not left behind when the HTML fails."""
    import importlib.util

    from harness.errors import DataError
    from harness.report import merge

    helper = Path(__file__).resolve().parents[1] / "report" / "report_documents.py"
    spec = importlib.util.spec_from_file_location("report_documents_for_merge_cli", helper)
    docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(docs)
    first = docs.standard_document().write(tmp_path / "a" / "results.json")
    second = docs.standard_document(seed=1).write(tmp_path / "b" / "results.json")

    def fail(*args, **kwargs):
        raise DataError("the HTML could not be written")

    monkeypatch.setattr(merge, "merged_html", fail)
    out = tmp_path / "merged"
    code = main(["leaderboard", "--results", str(first), str(second), "--out", str(out),
                 "--resamples", "20"])  # fmt: skip
    assert code == 2
    assert capsys.readouterr().err.splitlines() == ["harness: error: the HTML could not be written"]
    assert not out.exists()


def test_leaderboard_prints_and_writes_latex(real_data_dir, tmp_path, capsys):
    out = tmp_path / "o"
    args = ["leaderboard", "--data-dir", str(real_data_dir), "--out", str(out), "--resamples", "5"]
    assert main(args + ["--format", "latex"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(r"\begin{table}[t]") and r"\toprule" in printed
    assert r"\textbf{" in printed and "nwot & " in printed
    assert (out / "leaderboard.tex").read_text() == printed
    with pytest.raises(SystemExit):  # a command that prints no LaTeX refuses it up front
        main(["tables", "--format", "latex"])
    assert "prints no LaTeX" in capsys.readouterr().err


def test_a_table_declaring_no_target_needs_dataset(tmp_path, capsys):
    """No data set is spelled by the command: a table that declares no target asks for it;
    one that only a run config can load says that first (`generic`)."""
    from harness.tables import BenchmarkTable, register_table
    from harness.tables._registry import TABLES
    from harness.tables.base import frame_from_columns

    cell = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|none~1|none~2|"
    frame = frame_from_columns([cell], {"cifar10/accuracy/test/200": [90.0]})
    TABLES.discover()  # else the restore leaves it marked discovered without the built-ins
    saved = TABLES.snapshot()
    try:
        register_table("probe-no-target", description="probe")(
            lambda data_dir: BenchmarkTable(name="probe-no-target", space="nb201", frame=frame)
        )
        out = str(tmp_path / "out")
        assert main(["leaderboard", "--table", "probe-no-target", "--out", out]) == 2
        assert "declares no default target: give --dataset" in capsys.readouterr().err
    finally:
        TABLES.restore(saved)
    assert main(["leaderboard", "--table", "generic", "--out", str(tmp_path / "out")]) == 2
    assert "which only a run config gives" in capsys.readouterr().err
