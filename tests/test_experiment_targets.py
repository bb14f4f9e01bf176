"""`harness run` against a target of another table (issue 23): `table:target` joins it on
the canonical keys, and a lower-is-better target is ranked against its negation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau

import harness.spaces.nb201 as nb201
from harness.config import load_run_config
from harness.experiment import run_experiment
from harness.store import ScoreStore
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
        frame=frame_from_columns(
            ARCHS,
            {
                "cifar10/accuracy/test/200": np.linspace(60, 90, 10),
                "cifar10-valid/accuracy/valid/200": np.linspace(50, 95, 10) ** 1.5,
            },
        ),
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


def test_a_cifar10_valid_target_reuses_the_cifar10_scores_of_a_store(probe_tables, tmp_path):
    """`cifar10-valid` names CIFAR-10's networks trained on the train split alone: the same
    10-class network on the same images, so a store keys its scores as CIFAR-10's and a run
    against a `cifar10-valid` target scores nothing a `cifar10` run has stored."""
    store = tmp_path / "scores.sqlite"

    def run(target: str):
        config = load_run_config(
            None,
            [
                "table=probe-accuracy",
                f'target="{target}"',
                "archs=8",
                'proxies="params,synflow"',
                f'store="{store}"',
                'input.source="synthetic"',
                "input.batch_size=4",
                "bootstrap_resamples=20",
                'executor="serial"',
            ],
        )
        return run_experiment(config, data_dir=str(tmp_path), run_id=target[:7], progress=False)

    def stored() -> list[tuple]:
        with ScoreStore(store) as scores:
            records = scores.records()[["arch", "dataset", "proxy", "score"]]
        return sorted(records.itertuples(index=False, name=None))

    first = run("cifar10/accuracy/test/200").document
    before = stored()
    second = run("cifar10-valid/accuracy/valid/200").document
    after = stored()
    assert len(before) == 16 and {row[1] for row in before} == {"cifar10"}
    assert after == before  # nothing scored again
    assert [r.target for r in second.rows] == ["cifar10-valid/accuracy/valid/200"] * 2
    (a,), (b,) = first.per_arch, second.per_arch
    assert a.archs == b.archs and a.scores == b.scores
    assert a.truth != b.truth
