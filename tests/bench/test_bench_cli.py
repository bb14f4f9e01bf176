"""`harness bench` smoke test (one architecture, no timing assertions) and the
pytest-benchmark suite is importable."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import torch

from harness.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(300)
def test_bench_smoke_prints_one_table_and_writes_bench_json(tmp_path, capsys):
    code = main(
        [
            "bench",
            "--archs",
            "1",
            "--repeats",
            "1",
            "--warmup",
            "0",
            "--batch-size",
            "8",
            "--proxies",
            "params,synflow,grad_norm,tenas",
            "--shared-set",
            "grad_norm,snip",
            "--memory-archs",
            "1",
            "--input",
            "synthetic",
            "--format",
            "csv",
            "--no-progress",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    measures = [row["measure"] for row in rows]
    assert measures[0] == "floor (forward+backward)"
    assert measures[1:5] == ["params", "synflow", "grad_norm", "ntk_cond"]
    assert measures[-2] == "shared-pass set (2 proxies)"
    assert measures[-1] == "suite (5 per-arch proxies + tenas)"
    suite = rows[-1]
    for column in ("engine_ms", "naive_ms", "engine_over_naive", "over_floor", "peak_mib"):
        assert float(suite[column]) > 0, column
    assert suite["agree"] == "yes"

    document = json.loads((tmp_path / "bench.json").read_text())
    env = document["environment"]
    assert env["device"] == "cpu" and env["torch"] == torch.__version__
    assert env["torch_threads"] == 1 and env["cpu"]
    assert document["method"]["clock"].startswith("time.perf_counter")
    assert "VmHWM" in document["method"]["memory"]
    assert document["set_level"] == {
        "tenas": "rank combination over the scored set: no per-arch cost"
    }
    (arch,) = document["archs"]
    memory = arch["memory"]
    assert memory["suite"]["peak_mib"] >= memory["suite"]["before_mib"] > 0
    assert len(arch["repeats"]) == 1


def test_bench_bad_value_is_a_one_line_error(tmp_path, capsys):
    code = main(["bench", "--archs", "0", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "archs" in err[0]


def test_pytest_benchmark_suite_is_importable_and_uses_the_fixture():
    import importlib.util
    import inspect

    pytest.importorskip("pytest_benchmark", reason="pytest-benchmark is not installed")
    path = REPO / "benchmarks" / "test_proxy_throughput.py"
    spec = importlib.util.spec_from_file_location("bench_suite_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tests = {n: f for n, f in vars(module).items() if n.startswith("test_") and callable(f)}
    assert {"test_floor_forward_backward", "test_engine_standard_suite"} <= set(tests)
    assert all("benchmark" in inspect.signature(f).parameters for f in tests.values())
    assert "tenas" not in module.PER_ARCH_STANDARD and "ntk_cond" in module.PER_ARCH_STANDARD
