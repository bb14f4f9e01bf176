"""benchmarks/seed_stability.py: one line per proxy from a batch-fixed and a varied run."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from harness.config import load_run_config
from harness.errors import DataError
from harness.experiment import run_experiment

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "seed_stability.py"
_spec = importlib.util.spec_from_file_location("seed_stability_script", SCRIPT)
stability = importlib.util.module_from_spec(_spec)
sys.modules["seed_stability_script"] = stability
_spec.loader.exec_module(stability)


def _run(tmp_path, name, *extra):
    config = load_run_config(
        None,
        [
            "archs=5",
            'proxies="params,grad_norm"',
            f'store="{tmp_path / "s.sqlite"}"',
            'input.source="synthetic"',
            "input.batch_size=8",
            "bootstrap_resamples=30",
            'executor="serial"',
            *extra,
        ],
    )
    document = run_experiment(config, data_dir=None, run_id=name, progress=False).document
    return document.write(tmp_path / name / "results.json")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("stability")
    fixed = _run(tmp_path, "fixed", "seeds=[0,1]")
    varied = _run(tmp_path, "varied", "seeds=[0,1]", "vary_batch=true")
    single = _run(tmp_path, "single")
    return tmp_path, fixed, varied, single


def test_one_line_per_proxy_with_both_settings(runs, capsys):
    tmp_path, fixed, varied, _ = runs
    assert stability.main([str(fixed), str(varied), "--out", str(tmp_path / "out")]) == 0
    text = capsys.readouterr().out
    lines = [line for line in text.splitlines() if line.startswith("| params")]
    assert len(lines) == 1 and "1.000 [1.000]" in lines[0]  # no weights: seeds agree
    assert (tmp_path / "out" / "stability.json").exists()


def test_wrong_inputs_are_data_errors(runs):
    _, fixed, varied, single = runs
    with pytest.raises(DataError, match="one seed"):
        stability.main([str(single), str(varied)])
    with pytest.raises(DataError, match="batch-fixed run first"):
        stability.main([str(varied), str(fixed)])
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(varied), str(fixed)], capture_output=True, text=True
    )
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
