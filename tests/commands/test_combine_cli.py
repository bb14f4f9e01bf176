"""`harness combine` end to end: reference scores (Suite-Zero) with transfers, computed
scores from the store, and one-line errors."""

from __future__ import annotations

import pandas as pd
import pytest

from harness.cli import main
from harness.results import ResultsDocument

SMALL = [
    "--ks", "10,20", "--splits", "2", "--models", "ridge,gbt",
    "--set", "combine.split_resamples=20", "--no-progress",
]  # fmt: skip


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("harness: error:") and "\n" not in err
    return err


@pytest.mark.slow
def test_reference_scores_with_transfers_write_the_whole_report(real_data_dir, tmp_path, capsys):
    out = tmp_path / "out"
    status = main(
        [
            "combine", "--scores", "reference", "--set", "table=suite-zero-nb201",
            "--transfer", "cifar100,suite-zero-nb101:cifar10",
            "--data-dir", str(real_data_dir), "--out", str(out), *SMALL,
        ]
    )  # fmt: skip
    assert status == 0
    for name in ("results.json", "combine.md", "curve.csv", "weights.csv", "leaderboard.md",
                 "leaderboard.csv", "learning_curve.png"):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    document = ResultsDocument.read(out / "results.json")  # checked against the schema
    assert document.kind == "combine"
    assert document.config["resolved"]["archs"] == 724
    curve = pd.read_csv(out / "curve.csv")
    assert len(curve) == 2 * 2 * 3  # models x ks x (held out + two transfers)
    held = curve[curve["evaluation"] == "held out"]
    assert set(held["held_out"]) == {714, 704}  # 724 - k: every other arch is held out
    assert (held["best_proxy"] == "nwot").all()
    nb101 = curve[curve["target"].str.contains("108")]
    assert (nb101["held_out"] == 292).all()
    weights = pd.read_csv(out / "weights.csv")
    nb101_features = set(weights[weights["evaluation"].str.contains("nb101")]["feature"])
    assert "nwot" not in nb101_features and "synflow" in nb101_features  # NB101 has no nwot
    report = (out / "combine.md").read_text()
    assert "## Held-out architectures" in report and "## Leakage test" in report
    assert "**Passed**" in report
    assert "beat the best single proxy (nwot)" in report or "beats the best single" in report
    printed = capsys.readouterr().out
    assert "Learned combinations" in printed


def test_reference_scores_give_a_report_with_the_leakage_test(real_data_dir, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["combine", "--scores", "reference", "--set", "table=suite-zero-nb201", "--ks", "10",
            "--splits", "2", "--models", "ridge", "--set", "combine.split_resamples=10",
            "--data-dir", str(real_data_dir), "--out", str(out), "--no-progress"]  # fmt: skip
    assert main(args) == 0
    document = ResultsDocument.read(out / "results.json")
    learned = [r for r in document.rows if r.origin == "learned"]
    assert [(r.extra["model"], r.extra["k"], r.n) for r in learned] == [("ridge", 10, 714)]
    assert learned[0].extra["versus"]["best single proxy"]["proxy"] == "nwot"
    assert "## Leakage test" in (out / "combine.md").read_text()
    assert (out / "learning_curve.png").stat().st_size > 0
    capsys.readouterr()


def _computed_args(real_data_dir, tmp_path) -> list[str]:
    return [
        "combine", "--archs", "40", "--proxies", "params,flops,l2_norm", "--executor",
        "serial", "--set", f'store="{tmp_path / "s.sqlite"}"', "--set",
        'input.source="synthetic"', "--set", "input.batch_size=4", "--no-leakage",
        "--transfer", "cifar100", "--data-dir", str(real_data_dir), "--format", "csv",
    ]  # fmt: skip


def test_computed_scores_come_from_the_store_and_are_scored_when_missing(
    real_data_dir, tmp_path, capsys
):
    args = _computed_args(real_data_dir, tmp_path)
    status = main([*args, "--out", str(tmp_path / "a"), *SMALL])
    assert status == 0
    curve = pd.read_csv(tmp_path / "a" / "curve.csv")
    assert set(curve["held_out"]) == {30, 20}
    assert set(curve["target"]) == {"cifar10/accuracy/test/200", "cifar100/accuracy/test/200"}
    document = ResultsDocument.read(tmp_path / "a" / "results.json")
    assert document.config["resolved"]["features"] == ["params", "flops", "l2_norm"]
    assert "mean_rank" in document.config["resolved"]["label_free"]
    assert not any(r.origin == "leakage test" for r in document.rows)
    capsys.readouterr()


@pytest.mark.slow
def test_the_store_and_a_runs_results_give_the_same_figures(real_data_dir, tmp_path, capsys):
    args = _computed_args(real_data_dir, tmp_path)
    assert main([*args, "--out", str(tmp_path / "a"), *SMALL]) == 0
    curve = pd.read_csv(tmp_path / "a" / "curve.csv")
    # a second call reads the same scores back from the store: same figures
    assert main([*args, "--out", str(tmp_path / "b"), *SMALL]) == 0
    pd.testing.assert_frame_equal(curve, pd.read_csv(tmp_path / "b" / "curve.csv"))
    # a harness run's results.json gives the same scores, so the same figures
    run_args = [a for a in args[1:] if a not in ("--no-leakage", "--transfer", "cifar100")]
    assert main(["run", *run_args, "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    results = str(tmp_path / "run" / "results.json")
    again_args = ["combine", "--results", results, "--no-leakage", "--transfer", "cifar100",
                  "--data-dir", str(real_data_dir), "--out", str(tmp_path / "c")]  # fmt: skip
    assert main([*again_args, *SMALL]) == 0
    pd.testing.assert_frame_equal(curve, pd.read_csv(tmp_path / "c" / "curve.csv"))
    capsys.readouterr()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--models", "ridge,lasso"], "lasso"),
        (["--ks", "10,x"], "--ks expects"),
        (["--transfer", "suite-zero-nb101:cifar10"], 'combine.scores = "reference"'),
        (["--set", 'combine.features=["nothing*"]'], "match(es) no proxy"),
    ],
)
def test_bad_input_is_one_line_and_status_2(real_data_dir, tmp_path, capsys, extra, message):
    args = [
        "combine", "--archs", "12", "--proxies", "params,flops", "--executor", "serial",
        "--set", f'store="{tmp_path / "s.sqlite"}"', "--set", 'input.source="synthetic"',
        "--set", "input.batch_size=4", "--no-leakage", "--data-dir", str(real_data_dir),
        "--out", str(tmp_path / "out"), "--ks", "5", "--splits", "1",
        "--set", "combine.min_held_out=3", "--no-progress",
    ]  # fmt: skip
    assert main([*args, *extra]) == 2
    assert message in _one_line_error(capsys)
    assert not (tmp_path / "out").exists()  # nothing half-written
