"""`harness check` on the command line: the table, exit 0 / 1 / 2, --out; and --include on
the other commands that take proxies (ablate's merge with the config, bench's workers)."""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.provenance import git_revision
from harness.proxies import base, plugins

BAD_PROXIES = Path(__file__).resolve().parents[1] / "check" / "bad_proxies.py"
QUICK = ["--space", "nb201", "--arch", "resnet-like", "--no-memory", "--no-progress",
         "--batch-size", "8"]  # fmt: skip


@pytest.fixture
def registry():
    saved, included = base.PROXIES.snapshot(), dict(plugins._INCLUDED)
    yield
    base.PROXIES.restore(saved)
    plugins._INCLUDED.clear()
    plugins._INCLUDED.update(included)


def test_a_failing_proxy_exits_1_and_the_outputs_say_which(registry, tmp_path, capsys):
    args = ["check", "params", "checked_raises", "--include", str(BAD_PROXIES), *QUICK,
            "--out", str(tmp_path / "out")]  # fmt: skip
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "| params | 1 | built-in | ok (5 runs, 3 processes) |" in out
    assert "| checked_raises | 1 | file " in out and "| FAIL |" in out
    assert "1 of 2 proxies pass." in out
    assert "FAIL checked_raises · architectures: nb201 resnet-like:" in out
    document = json.loads((tmp_path / "out" / "check.json").read_text())
    assert document["kind"] == "check" and document["passed"] is False
    assert [p["passed"] for p in document["proxies"]] == [True, False]
    assert document["git_revision"] == git_revision()  # taken when the check started
    assert (tmp_path / "out" / "check.md").read_text() == out


def test_a_passing_check_exits_0(capsys):
    assert main(["check", "params", *QUICK, "--format", "csv", "--processes", "1"]) == 0
    (row,) = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert list(row)[:4] == ["proxy", "version", "origin", "determinism"]
    assert (row["proxy"], row["version"], row["origin"]) == ("params", "1", "built-in")
    assert row["determinism"] == "ok (3 runs, 2 processes)"  # a comma: the cell is quoted
    assert row["memory"] == "n/a (not measured)" and row["result"] == "pass"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "snpi"], "unknown proxy 'snpi'; did you mean snip"),
        (["check", "params", "--space", "nb999"], "unknown space 'nb999'"),
        (["check", "params", "--arch", "all-nothing"], "unknown architecture label"),
        (["check", "params", "--batch-size", "1"], "batch-size must be >= 2"),
        (["check", "params", "--include", "nowhere.py"], "include nowhere.py: no such file"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("harness: error:") and message in err


def test_include_adds_to_the_configs_list(tmp_path):
    from harness.commands._common import include_overrides

    config = tmp_path / "run.toml"
    config.write_text('[run]\ninclude = ["a.py"]\n')
    args = argparse.Namespace(include=["b.py"])
    assert include_overrides(args, str(config), {}) == {"include": ["a.py", "b.py"]}
    assert include_overrides(argparse.Namespace(include=[]), str(config), {}) == {}


def test_bench_loads_included_proxies_in_its_memory_processes(registry, tmp_path):
    from harness.bench import BenchOptions, run_bench

    options = BenchOptions(
        archs=1, batch_size=8, proxies=("checked_ok",), include=(str(BAD_PROXIES),),
        shared_set=(), repeats=1, warmup=0, input_source="synthetic", memory_archs=1,
    )  # fmt: skip
    (arch,) = run_bench(options).archs
    assert arch.engine_scores["checked_ok"][1] == "ok"
    assert arch.memory["suite"].peak_mib > 0  # a fresh process that loaded the file
