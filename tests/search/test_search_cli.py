"""`harness search` end to end on the real NB201 table, and its one-line errors."""

from __future__ import annotations

import csv
import json

import pytest

from harness.cli import main
from harness.results import ResultsDocument


def test_search_writes_results_table_and_plot(real_data_dir, tmp_path, capsys):
    out = tmp_path / "search"
    config = tmp_path / "s.toml"
    config.write_text('[search]\nseed = 5\nestimators = ["oracle", "noisy:2"]\n')
    argv = ["search", str(config), "--data-dir", str(real_data_dir), "--out", str(out)]
    argv += ["--budget", "30", "--seeds", "3", "--no-progress", "--set", "pairwise.pool_archs=40"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "| oracle | 1.000 | 1.000 | relativenas | 3 |" in printed
    document = ResultsDocument.read(out / "results.json")
    assert document.kind == "search"
    assert document.config["resolved"]["seeds"] == [5, 6, 7]  # the file's seed: no --seed
    assert document.config["resolved"]["best_accuracy"] == pytest.approx(94.3733, abs=1e-3)
    with open(out / "search.csv") as handle:
        records = list(csv.DictReader(handle))
    assert {(r["estimator"], r["strategy"]) for r in records} == {
        (e, s) for e in ("oracle", "noisy_oracle(sd=2)") for s in ("relativenas", "rea", "random")
    }
    for record in records:
        assert float(record["final_accuracy_lo"]) <= float(record["final_accuracy_mean"])
        assert float(record["final_accuracy_mean"]) <= 94.3734
    assert (out / "regret.png").stat().st_size > 1000
    assert (out / "search.md").read_text().startswith("# nb201-csv")

    assert main([*argv, "--seed", "0", "--format", "json", "--out", str(tmp_path / "j")]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["extra"]["search"]["rea"]["seeds"] == [0, 1, 2]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--budget", "0"], "budget"),
        (["--estimators", "oracle,wizard"], "wizard"),
        (["--strategies", "annealing"], "annealing"),
        (["--set", "rea.sample=99"], "rea"),
    ],
)
def test_bad_options_exit_2_with_one_line(tmp_path, capsys, argv, needle):
    assert main(["search", "--out", str(tmp_path / "x"), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("harness: error:") and needle in err and "\n" not in err
