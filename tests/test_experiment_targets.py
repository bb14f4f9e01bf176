"""`harness run` against a target of another table (issue 23): `table:target` joins it on
the canonical keys, and a lower-is-better target is ranked against its negation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau

import harness.spaces.nb201 as nb201
from harness.config import load_run_config
from harness.experiment import run_experiment
from harness.tables import BenchmarkTable, register_table
from harness.tables._registry import TABLES
from harness.tables.base import frame_from_columns

ARCHS = nb201.sample_keys(10, 5)
COST = "cifar10/latency_ms/pixel3/-"
LATENCY = dict(zip(ARCHS, np.linspace(9.0, 1.0, len(ARCHS)), strict=True))


@pytest.fixture
def probe_tables():
    TABLES.discover()  # else the restore leaves it marked discovered without the built-ins
    saved = TABLES.snapshot()
    accuracy = BenchmarkTable(
        name="probe-accuracy",
        space="nb201",
        frame=frame_from_columns(ARCHS, {"cifar10/accuracy/test/200": np.linspace(60, 90, 10)}),
    )
    rows = list(reversed(ARCHS))  # the cost table lists the cells in another order
    cost = BenchmarkTable(
        name="probe-cost",
        space="nb201",
        frame=frame_from_columns(rows, {COST: [LATENCY[a] for a in rows]}),
        lower_is_better=frozenset({COST}),
    )
    register_table("probe-accuracy", description="probe")(lambda data_dir: accuracy)
    register_table("probe-cost", description="probe")(lambda data_dir: cost)
    yield
    TABLES.restore(saved)


def test_a_run_ranks_its_proxies_against_another_tables_cost(probe_tables, tmp_path):
    config = load_run_config(
        None,
        [
            "table=probe-accuracy",
            'target="probe-cost:cifar10/latency_ms"',
            "archs=8",
            'proxies="params"',
            f'store="{tmp_path / "scores.sqlite"}"',
            'input.source="synthetic"',
            "input.batch_size=4",
            "bootstrap_resamples=20",
            'executor="serial"',
        ],
    )
    document = run_experiment(config, data_dir=str(tmp_path), run_id="t", progress=False).document
    (row,) = document.rows
    assert row.target == COST
    (values,) = document.per_arch
    assert values.truth == [-LATENCY[a] for a in values.archs]  # oriented: higher is better
    expected = kendalltau(values.scores["params"], [-LATENCY[a] for a in values.archs])[0]
    assert row.kendall == pytest.approx(expected)
    assert any("lower latency_ms is better" in note for note in document.notes)
