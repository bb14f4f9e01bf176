"""BenchmarkTable, target names and the registry (made-up tables)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from harness.errors import ConfigError, DataError, UnknownNameError
from harness.spaces.nb201 import enumerate_archs
from harness.tables import (
    BenchmarkTable,
    list_tables,
    load_table,
    parse_target,
    scored_dataset,
    split_target_name,
    target_name,
)
from harness.tables.base import empty_reference_scores, frame_from_columns

CELLS = [a.to_string() for a, _ in zip(enumerate_archs(), range(6), strict=False)]


def _table(name="t", archs=CELLS, **columns) -> BenchmarkTable:
    columns = columns or {
        "cifar10/accuracy/test/200": np.arange(len(archs), dtype=float),
        "cifar10-valid/accuracy/valid/200": np.arange(len(archs), dtype=float) + 0.5,
        "cifar10-valid/accuracy/valid/12": np.arange(len(archs), dtype=float) + 0.25,
        "cifar100/accuracy/valid/200": np.arange(len(archs), dtype=float) * 2,
        "ImageNet16-120/loss/test/200": np.ones(len(archs)),
    }
    columns = {k.replace("__", "/"): v for k, v in columns.items()}
    return BenchmarkTable(name=name, space="nb201", frame=frame_from_columns(archs, columns))


def test_target_names():
    assert target_name("cifar10", "test", 200) == "cifar10/accuracy/test/200"
    assert split_target_name("cifar10-valid/accuracy/valid/12").epochs == "12"
    with pytest.raises(ConfigError):
        target_name("cifar/10", "test", 200)


def test_parse_target_full_short_and_errors():
    table = _table()
    assert parse_target("cifar10/accuracy/test/200", table) == "cifar10/accuracy/test/200"
    assert parse_target("cifar10/test/200", table) == "cifar10/accuracy/test/200"
    assert parse_target("imagenet16-120/loss/test/200", table) == "ImageNet16-120/loss/test/200"
    for bad in ("cifar10/test/100", "cifar10", "cifar10/valid/200", "", "a/b/c/d/e"):
        with pytest.raises(ConfigError) as info:
            parse_target(bad, table)
        message = str(info.value)
        assert "\n" not in message and "available: cifar10/accuracy/test/200" in message


def test_column_and_targets():
    table = _table()
    assert table.column("cifar100/valid/200").tolist() == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert table.targets()[0] == "cifar10/accuracy/test/200"
    assert table.datasets() == ["cifar10", "cifar10-valid", "cifar100", "ImageNet16-120"]


def test_default_target_preferences():
    table = _table()
    assert table.default_target("cifar10") == "cifar10/accuracy/test/200"
    assert table.default_target("cifar100") == "cifar100/accuracy/valid/200"
    # only cifar10-valid columns: the longest schedule wins
    valid_only = _table(
        **{
            "cifar10-valid__accuracy__valid__12": np.zeros(6),
            "cifar10-valid__accuracy__valid__200": np.zeros(6),
            "cifar10-valid__accuracy__test__200": np.zeros(6),
        }
    )
    assert valid_only.default_target("cifar10") == "cifar10-valid/accuracy/test/200"
    assert table.default_target("IMAGENET16-120") == "ImageNet16-120/loss/test/200"
    with pytest.raises(ConfigError, match="no ground truth for dataset 'svhn'"):
        table.default_target("svhn")


def test_join_aligns_on_arch_and_keeps_reference_scores_apart():
    left = _table("a", archs=CELLS[:4], **{"x__accuracy__valid__1": [1.0, 2.0, 3.0, 4.0]})
    refs = pd.DataFrame(
        {
            "arch": CELLS[:4],
            "dataset": "x",
            "proxy": "p",
            "score": [4.0, 3.0, 2.0, 1.0],
            "seconds": math.nan,
        }
    )
    left = BenchmarkTable("a", "nb201", left.frame, reference_scores=refs, notes=("n",))
    right = _table("b", archs=CELLS[2:][::-1], **{"x__accuracy__test__1": [6.0, 5.0, 4.0, 3.0]})
    joined = left.join(right)
    assert joined.name == "a+b"
    assert joined.archs == CELLS[2:4]
    assert joined.frame.loc[CELLS[2]].tolist() == [3.0, 3.0]
    assert joined.frame.loc[CELLS[3]].tolist() == [4.0, 4.0]
    assert joined.reference_scores["arch"].tolist() == CELLS[2:4]
    assert joined.notes == ("n",)
    assert len(left.join(right, how="left")) == 4
    with pytest.raises(ConfigError, match="both have column"):
        left.join(left)
    with pytest.raises(DataError, match="share no architecture"):
        _table("c", archs=CELLS[:2]).join(_table("d", archs=CELLS[2:4], **{"y__a__b__1": [1, 2]}))


def test_subset_keeps_order():
    table = _table()
    sub = table.subset([CELLS[3], CELLS[1]])
    assert sub.archs == [CELLS[3], CELLS[1]]
    with pytest.raises(DataError, match="not in the table"):
        table.subset(["|none~0|+|none~0|none~1|+|none~0|none~1|bogus~2|"])


def test_invalid_tables_are_refused():
    frame = frame_from_columns(CELLS[:2], {"a/b/c/d": [1.0, 2.0]})
    with pytest.raises(DataError, match="empty table"):
        BenchmarkTable("e", "nb201", frame.iloc[:0])
    with pytest.raises(DataError, match="appears more than once"):
        BenchmarkTable("e", "nb201", frame_from_columns([CELLS[0]] * 2, {"a/b/c/d": [1, 2]}))
    with pytest.raises(ConfigError, match="unknown space"):
        BenchmarkTable("e", "nb999", frame)
    with pytest.raises(ConfigError, match="invalid ground-truth column name"):
        BenchmarkTable("e", "nb201", frame.rename(columns={"a/b/c/d": "acc"}))
    assert list(empty_reference_scores().columns) == [
        "arch",
        "dataset",
        "proxy",
        "score",
        "seconds",
    ]


def test_registry():
    assert {"nb201-csv", "suite-zero-nb201", "suite-zero-nb301", "suite-zero-nb101"} <= set(
        list_tables()
    )
    assert {"nb201-official", "nats-tss", "generic"} <= set(list_tables())
    assert {"suite-zero-nb201-full", "hw-nas-bench", "nb201-robustness"} <= set(list_tables())
    assert list_tables("suite-zero-*") == [
        "suite-zero-nb101",
        "suite-zero-nb201",
        "suite-zero-nb201-full",
        "suite-zero-nb301",
    ]
    with pytest.raises(UnknownNameError, match="did you mean nb201-csv"):
        load_table("nb201-cvs")


def test_load_table_reads_the_folder_named_by_harness_data(tmp_path, monkeypatch):
    header = (
        "CIFAR10TestAccuracy200Epochs,CIFAR100TestAccuracy200Epochs,"
        "ImageNetTestAccuracy200Epochs,ArchitectureString,UniqueString\n"
    )
    path = tmp_path / "nb201" / "nats_tss_test_accuracy.csv"
    path.parent.mkdir()
    path.write_text(header + f"1,2,3,{CELLS[0]},u\n")
    monkeypatch.setenv("HARNESS_DATA", str(tmp_path))
    table = load_table("nb201-csv", verify=False, complete=False)
    assert table.archs == CELLS[:1]
    assert table.sources[0].path == str(path)


@pytest.mark.parametrize(
    "name", ["nb201-csv", "suite-zero-nb201", "suite-zero-nb301", "suite-zero-nb101"]
)
def test_every_table_declares_a_default_target_it_has(real_data_dir, name):
    from harness.tables import resolve_target, table_info

    table = load_table(name, real_data_dir)
    assert resolve_target(table, "", registered=name).column in table.targets()
    assert table_info(name).default_target is not None


def test_a_table_without_a_declared_target_ranks_against_its_first_column():
    from harness.tables import resolve_target, table_info

    assert table_info("generic").default_target is None
    table = BenchmarkTable(
        name="t",
        space="nb201",
        frame=frame_from_columns(
            CELLS[:2], {"x/loss/test/1": [1.0, 2.0], "y/accuracy/test/2": [3, 4]}
        ),
    )
    assert resolve_target(table, "", registered="generic").column == "x/loss/test/1"


@pytest.mark.parametrize(
    ("dataset", "scored"),
    [
        ("cifar10-valid", "cifar10"),
        ("CIFAR10-valid", "CIFAR10"),
        ("cifar10", "cifar10"),
        ("cifar100", "cifar100"),
        ("ImageNet16-120", "ImageNet16-120"),
        ("mystery-valid", "mystery-valid"),  # not a known "trained on train alone" name
    ],
)
def test_a_store_keys_cifar10_valid_scores_as_cifar10s(dataset, scored):
    assert scored_dataset(dataset) == scored
