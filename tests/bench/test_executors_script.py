"""benchmarks/executors.py: its config parsing, its table, and its bit-identity check."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

from harness.store import ScoreKey, ScoreRecord, ScoreStore

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "executors.py"
_spec = importlib.util.spec_from_file_location("executors_script", SCRIPT)
executors = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(executors)


def _record(arch: str, score: float | None) -> ScoreRecord:
    key = ScoreKey(
        space="nb201",
        arch=arch,
        dataset="cifar10",
        proxy="zen",
        proxy_version="1",
        seed=0,
        input_hash="ab",
        batch_size=64,
        network_variant="as_trained",
    )
    return ScoreRecord(key=key, score=score, seconds=0.5, device="cpu", input_source="x")


def _store(path: Path, scores: dict[str, float | None]) -> str:
    with ScoreStore(path) as store:
        store.put_many(_record(arch, score) for arch, score in scores.items())
    return str(path)


def test_parse_configs_reads_executor_and_workers() -> None:
    assert executors.parse_configs("serial:1, dask:2") == [("serial", 1), ("dask", 2)]
    with pytest.raises(SystemExit, match="processes"):
        executors.parse_configs("processes")
    with pytest.raises(SystemExit, match="dask:0"):
        executors.parse_configs("dask:0")


def test_identical_accepts_same_scores_in_any_order_and_nan_failures(tmp_path: Path) -> None:
    a = _store(tmp_path / "a.sqlite", {"x": 1.25, "y": -math.inf, "z": 3.0})
    b = _store(tmp_path / "b.sqlite", {"z": 3.0, "x": 1.25, "y": -math.inf})
    assert executors.identical([a, b]) == (True, 3)


def test_identical_rejects_one_ulp_and_a_missing_record(tmp_path: Path) -> None:
    a = _store(tmp_path / "a.sqlite", {"x": 1.25, "z": 3.0})
    ulp = _store(tmp_path / "ulp.sqlite", {"x": math.nextafter(1.25, 2.0), "z": 3.0})
    short = _store(tmp_path / "short.sqlite", {"x": 1.25})
    assert executors.identical([a, ulp])[0] is False
    assert executors.identical([a, short])[0] is False


def test_table_gives_speed_up_over_the_first_row() -> None:
    rows = [
        {"executor": "serial", "workers": 1, "wall_seconds": 100.0, "scoring_seconds": 90.0},
        {"executor": "processes", "workers": 2, "wall_seconds": 55.0, "scoring_seconds": 45.0},
    ]
    md = executors.table(rows, "md").splitlines()
    assert md[0].startswith("| executor | workers | wall s | speed-up")
    assert md[3] == "| processes | 2 | 55.0 | 1.82 | 45.0 | 2.00 |"
    assert executors.table(rows, "csv").splitlines()[2] == "processes,2,55.0,1.82,45.0,2.00"
