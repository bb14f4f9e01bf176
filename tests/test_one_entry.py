"""A new figure, search space or target table is one entry (issue 26).

A probe figure (`register_figure`), a probe space (`register_space`, declaring its own
check architectures) and a probe target table (`register_table`, keyed by the probe
space, declaring a latency target as its default) are registered here, and nothing else
is edited: they show up in `run`, the table leaderboard, the report tables, `check` and
`bench`.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pandas as pd
import pytest

import harness.spaces.nb201 as nb201
import harness.spaces.nb201_network as nb201_network
from harness.bench.measure import BenchOptions
from harness.bench.workload import make_workload
from harness.check import CheckOptions, check_archs
from harness.config import load_run_config
from harness.experiment import run_experiment
from harness.inputs import load_batch
from harness.leaderboard import LeaderboardOptions, rank_table
from harness.report.builder import results_table
from harness.report.documents import LoadedDocument, groups_of
from harness.report.leaderboard_table import to_csv, to_markdown
from harness.results import ResultsDocument
from harness.spaces import SPACES, register_space
from harness.stats import FIGURES, Figure, register_figure
from harness.tables import BenchmarkTable, register_table
from harness.tables._registry import TABLES
from harness.tables.base import frame_from_columns

# a target names the image data set its networks are built for; the device in the split part
LATENCY = "cifar10/latency_ms/pixel3/1"


def _probe_modules() -> tuple[str, str]:
    """A probe search space: the NB201 cell under another name, as its own modules."""
    space = types.ModuleType("probe_space")
    space.__dict__.update({k: v for k, v in vars(nb201).items() if not k.startswith("__")})
    space.NAME = "probe"
    space.CHECK_ARCHS = [
        ("typical", "all-conv3x3", "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|"
         "nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|", frozenset()),
        ("smallest", "all-skip", "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|"
         "skip_connect~0|skip_connect~1|skip_connect~2|", frozenset({"parameter_free"})),
    ]  # fmt: skip
    network = types.ModuleType("probe_space_network")
    network.__dict__.update(
        {k: v for k, v in vars(nb201_network).items() if not k.startswith("__")}
    )
    sys.modules["probe_space"], sys.modules["probe_space_network"] = space, network
    return "probe_space", "probe_space_network"


def _probe_table(data_dir) -> BenchmarkTable:
    """A latency table of the probe space, with accuracy and shipped proxy scores."""
    archs = nb201.sample_keys(12, 3)
    rng = np.random.default_rng(0)
    accuracy = rng.uniform(60, 95, len(archs))
    scores = pd.DataFrame(
        {
            "arch": archs * 2,
            "dataset": "cifar10",
            "proxy": ["probe_params"] * len(archs) + ["probe_noise"] * len(archs),
            "score": [*(accuracy + rng.normal(0, 3, len(archs))), *rng.normal(0, 1, len(archs))],
            "seconds": 0.01,
        }
    )
    return BenchmarkTable(
        name="probe-latency",
        space="probe",
        frame=frame_from_columns(
            archs, {LATENCY: rng.uniform(1, 9, len(archs)), "cifar10/accuracy/test/200": accuracy}
        ),
        reference_scores=scores,
    )


def _probe_figure(data) -> float:
    """The share of usable rows whose truth is above the median (a made-up figure)."""
    truth = data.rows.truth
    return float(np.mean(truth > np.median(truth))) if truth.size else float("nan")


@pytest.fixture
def probes():
    # a snapshot holds only what is registered: discover the built-ins first, else the
    # restore would leave a registry marked discovered without them
    for registry in (FIGURES, SPACES, TABLES):
        registry.discover()
    saved_figures, saved_spaces, saved_tables = (
        FIGURES.snapshot(),
        SPACES.snapshot(),
        TABLES.snapshot(),
    )
    register_figure(
        Figure(
            "probe_share",
            _probe_figure,
            label="probe share",
            tables=frozenset({"leaderboard", "report"}),
            bounds=(0.0, 1.0),
        )
    )
    register_space("probe", *_probe_modules())
    register_table("probe-latency", description="probe", default_target=LATENCY)(_probe_table)
    yield
    FIGURES.restore(saved_figures)
    SPACES.restore(saved_spaces)
    TABLES.restore(saved_tables)
    sys.modules.pop("probe_space", None)
    sys.modules.pop("probe_space_network", None)


def test_a_probe_figure_space_and_table_show_up_in_run_and_report(probes, tmp_path):
    config = load_run_config(
        None,
        [
            "table=probe-latency",
            "archs=5",
            'proxies="params"',
            f'store="{tmp_path / "scores.sqlite"}"',
            'input.source="synthetic"',
            "input.batch_size=4",
            "bootstrap_resamples=20",
            'executor="serial"',
        ],
    )
    document = run_experiment(config, data_dir=str(tmp_path), run_id="p", progress=False).document
    (row,) = document.rows
    assert (row.space, row.target) == ("probe", LATENCY)  # the table's declared target
    assert 0.0 <= row.extra["probe_share"] <= 1.0
    path = document.write(tmp_path / "results.json")
    loaded = LoadedDocument("D1", path, ResultsDocument.read(path))  # checked on read
    table = results_table(groups_of(loaded)[0])
    assert "probe share" in table.header
    assert "probe share" in to_markdown(document.rows)
    assert "probe_share" in to_csv(document.rows).splitlines()[0]


def test_a_probe_table_is_ranked_by_the_leaderboard(probes, tmp_path):
    board = rank_table(
        "probe-latency",
        run_id="p",
        dataset="cifar10",
        target="cifar10/test/200",
        options=LeaderboardOptions(n_resamples=20),
        data_dir=str(tmp_path),
    )
    assert {r.proxy for r in board.rows} == {"probe_params", "probe_noise"}
    assert all("probe_share" in r.extra for r in board.rows)
    assert board.rows[0].proxy == "probe_params" and "probe share" in to_markdown(board.rows)


def test_a_probe_space_is_checked_and_benched(probes):
    assert "probe" in CheckOptions().spaces
    assert [a.label for a in check_archs("probe")] == ["all-conv3x3", "all-skip"]
    BenchOptions(space="probe").validate()
    batch = load_batch("synthetic", batch_size=4, seed=0)
    work = make_workload(
        "probe",
        check_archs("probe")[0].key,
        batch,
        run_seed=0,
        network_variant="as_trained",
        num_classes=10,
        device="cpu",
    )
    outcome = work.engine(["params"])["params"]
    assert np.isfinite(outcome.score) and outcome.score > 0
