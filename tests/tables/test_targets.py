"""The one target resolver (`harness.tables.resolve_target`): every way a command names
its ground truth, and what "no target" means, decided by the tables alone."""

from __future__ import annotations

import pytest

from harness.errors import ConfigError
from harness.tables import (
    BenchmarkTable,
    Target,
    default_dataset,
    load_table,
    register_table,
    resolve_target,
)
from harness.tables._registry import TABLES
from harness.tables.base import frame_from_columns

CELLS = [
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|skip_connect~1|skip_connect~2|",
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
    "|none~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|nor_conv_1x1~2|",
]


def _table(name: str, columns: dict[str, list[float]]) -> BenchmarkTable:
    return BenchmarkTable(name=name, space="nb201", frame=frame_from_columns(CELLS, columns))


@pytest.fixture
def probe_tables():
    """Two registered probe tables: scores without ground truth naming the table that has
    it, and a latency table (a target of another kind) declaring its default."""
    TABLES.discover()  # else the restore leaves it marked discovered without the built-ins
    saved = TABLES.snapshot()
    truth = _table("probe-truth", {"cifar10/accuracy/test/200": [90.0, 80.0, 70.0]})
    scores = _table("probe-scores", {"cifar10/loss/test/1": [1.0, 2.0, 3.0]})
    latency = _table(
        "probe-latency",
        {
            "pixel3/latency_ms/test/1": [3.0, 2.0, 1.0],
            "cifar10/accuracy/test/200": [90.0, 80.0, 70.0],
        },
    )
    register_table("probe-truth", description="probe")(lambda data_dir: truth)
    register_table("probe-scores", description="probe", truth_table="probe-truth")(
        lambda data_dir: scores
    )
    register_table("probe-latency", description="probe", default_target="pixel3/latency_ms/test/1")(
        lambda data_dir: latency
    )
    yield
    TABLES.restore(saved)


def test_a_named_target_is_parsed_once_into_a_column(probe_tables, tmp_path):
    table = load_table("probe-latency", tmp_path)
    target = resolve_target(table, "cifar10/test/200")
    assert isinstance(target, Target)
    assert (target.column, target.dataset, target.spec) == (
        "cifar10/accuracy/test/200", "cifar10", "cifar10/test/200"
    )  # fmt: skip
    assert target.values().tolist() == [90.0, 80.0, 70.0]


def test_no_target_is_what_the_table_declares(probe_tables, tmp_path):
    table = load_table("probe-latency", tmp_path)
    target = resolve_target(table, "", registered="probe-latency")
    assert target.column == "pixel3/latency_ms/test/1"
    assert target.spec == "pixel3/latency_ms/test/1"
    # the proxies' image data set picks that data set's column instead
    assert resolve_target(table, "", dataset="cifar10").column == "cifar10/accuracy/test/200"


def test_a_table_lacking_the_target_joins_the_table_it_declares(probe_tables, tmp_path):
    scores = load_table("probe-scores", tmp_path)
    with pytest.raises(ConfigError, match="cifar10/test/200"):
        resolve_target(scores, "cifar10/test/200")  # a run does not join
    target = resolve_target(scores, "cifar10/test/200", join_truth=True, data_dir=tmp_path)
    assert target.column == "cifar10/accuracy/test/200"
    assert "cifar10/loss/test/1" in target.table.targets()


def test_a_table_declaring_no_truth_table_says_it_has_no_such_target(probe_tables, tmp_path):
    table = load_table("probe-truth", tmp_path)
    with pytest.raises(ConfigError, match="has no target 'cifar100/test/200' to rank"):
        resolve_target(table, "cifar100/test/200", join_truth=True, data_dir=tmp_path)


def test_the_default_dataset_is_what_the_declared_target_names(probe_tables):
    """`harness leaderboard` without --dataset: the table's declared target decides."""
    assert default_dataset("probe-latency") == "pixel3"
    assert default_dataset("probe-truth") is None  # declares no default target


def test_the_built_in_tables_default_to_the_images_their_target_names():
    # NAS-Bench-201's CIFAR-10 trained on its train split is CIFAR-10's images
    assert default_dataset("suite-zero-nb201") == "cifar10"
    assert default_dataset("hw-nas-bench") == "cifar10"
