"""`harness distill --smoke` end to end, the shipped configs, and one-line config errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.distill.config import load_distill_config

REPO = Path(__file__).resolve().parents[2]
CPU_CONFIG = REPO / "benchmarks" / "rdnas_cpu.toml"
PAPER_CONFIG = REPO / "benchmarks" / "rdnas_paper.toml"


def test_shipped_configs_load():
    cpu, paper = load_distill_config(CPU_CONFIG), load_distill_config(PAPER_CONFIG)
    assert cpu.data.source == "fashion-mnist" and cpu.seeds == 3
    assert paper.data.source == "cifar10" and paper.train.epochs == 250
    assert paper.train.lr == 0.025 and paper.train.weight_decay == 5e-4
    assert paper.supernet.space == "nb201_4op" and paper.rdnas.margin == 6.7


def smoke_args(real_data_dir, tmp_path, *extra: str) -> list[str]:
    return [
        "distill",
        str(CPU_CONFIG),
        "--smoke",
        "--no-progress",
        "--data-dir",
        str(real_data_dir),
        "--out",
        str(tmp_path / "out"),
        "--set",
        f'checkpoints="{tmp_path / "ckpt"}"',
        "--set",
        'data.source="synthetic"',
        *extra,
    ]


@pytest.mark.timeout(120)
def test_smoke_run_end_to_end_and_rerun_reuses(real_data_dir, tmp_path, capsys):
    assert main(smoke_args(real_data_dir, tmp_path)) == 0
    out = tmp_path / "out"
    document = json.loads((out / "results.json").read_text())
    assert document["kind"] == "distill"
    rows = document["rows"]
    assert {r["proxy"] for r in rows} == {"spos", "rdnas[teacher=flops,m=6.7]"}
    for row in rows:
        assert {"method", "seed", "epoch"} <= row["extra"].keys()
        assert row["extra"]["epoch"] == 1 and row["n"] == 10
        assert row["kendall"] is None or -1 <= row["kendall"] <= 1
    assert (out / "kendall_vs_epoch.png").read_bytes()[:4] == b"\x89PNG"
    assert "Kendall τ" in (out / "distill.md").read_text()
    assert "2 runs (0 reused" in capsys.readouterr().out

    assert main(smoke_args(real_data_dir, tmp_path, "--format", "csv")) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[0].startswith("method,seed,epoch,kendall")
    again = json.loads((out / "results.json").read_text())
    assert all(run["reused"] for run in again["config"]["runs"])
    assert [r["kendall"] for r in again["rows"]] == [r["kendall"] for r in rows]


def test_bad_settings_are_one_line_errors(tmp_path, capsys):
    code = main(["distill", str(CPU_CONFIG), "--set", "rdnas.sampler=adaptive"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "rdnas.sampler" in err
    assert main(["distill", str(tmp_path / "missing.toml")]) == 2


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.filterwarnings("ignore:cifar10 not found")
def test_smoke_runs_the_paper_config_without_cifar(real_data_dir, tmp_path):
    """The paper config's full-size supernet, on synthetic images when CIFAR-10 is absent."""
    args = [
        "distill",
        str(PAPER_CONFIG),
        "--smoke",
        "--no-progress",
        "--device",
        "cpu",
        "--data-dir",
        str(real_data_dir),
        "--out",
        str(tmp_path / "out"),
        "--set",
        f'checkpoints="{tmp_path / "ckpt"}"',
        "--set",
        f'data.path="{tmp_path / "no-cifar"}"',
    ]
    assert main(args) == 0
    document = json.loads((tmp_path / "out" / "results.json").read_text())
    assert any("synthetic" in note for note in document["notes"])
    assert {r["extra"]["epoch"] for r in document["rows"]} == {1}
