"""The generic CSV / Parquet loader (made-up data)."""

from __future__ import annotations

import pandas as pd
import pytest

from harness.errors import ArchitectureError, ConfigError, DataError
from harness.spaces.nb201 import NB201Arch, enumerate_archs
from harness.tables import load_generic, load_table

CELLS = [a.to_string() for a, _ in zip(enumerate_archs(), range(5), strict=False)]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cell": CELLS,
            "acc": [90.0, 91.5, 80.25, 70.0, 60.5],
            "val": [89.0, 90.5, 79.0, 69.0, 59.0],
            "note": list("abcde"),
        }
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_generic_csv_and_parquet(tmp_path, suffix):
    path = tmp_path / f"mine{suffix}"
    frame = _frame()
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path)
    table = load_generic(
        path,
        space="nb201",
        arch_column="cell",
        targets={"cifar10/accuracy/test/200": "acc", "cifar10-valid/accuracy/valid/200": "val"},
    )
    assert table.name == "mine"
    assert table.archs == CELLS
    assert table.targets() == ["cifar10/accuracy/test/200", "cifar10-valid/accuracy/valid/200"]
    assert table.column("cifar10/test/200").tolist() == frame["acc"].tolist()
    assert table.sources[0].sha256 is not None


def test_generic_through_the_registry_with_a_path_in_the_data_dir(tmp_path):
    (tmp_path / "custom").mkdir()
    _frame().to_csv(tmp_path / "custom" / "mine.csv", index=False)
    table = load_table(
        "generic",
        tmp_path,
        path="custom/mine.csv",
        space="nb201",
        arch_column="cell",
        targets={"cifar10/accuracy/test/200": "acc"},
        name="mine",
    )
    assert table.sources[0].name == "custom/mine.csv"
    assert len(table) == 5


def test_generic_self_named_targets_and_naslib_encoding(tmp_path):
    frame = pd.DataFrame(
        {
            "arch": [str(NB201Arch.from_string(c).to_naslib_tuple()) for c in CELLS],
            "cifar100/accuracy/valid/200": [1.0, 2.0, 3.0, 4.0, 5.0],
            "flops": [1, 2, 3, 4, 5],
        }
    )
    path = tmp_path / "n.csv"
    frame.to_csv(path, index=False)
    table = load_generic(path, space="nb201", arch_column="arch", encoding="naslib")
    assert table.archs == CELLS
    assert table.targets() == ["cifar100/accuracy/valid/200"]


def test_generic_errors(tmp_path):
    path = tmp_path / "mine.csv"
    _frame().to_csv(path, index=False)
    with pytest.raises(DataError, match="missing column 'arch'"):
        load_generic(path, space="nb201", arch_column="arch", targets={"a/accuracy/test/1": "acc"})
    with pytest.raises(DataError, match="missing column 'accuracy'"):
        load_generic(path, space="nb201", arch_column="cell", targets={"a/b/c/d": "accuracy"})
    with pytest.raises(ConfigError, match="invalid ground-truth column name"):
        load_generic(path, space="nb201", arch_column="cell", targets={"cifar10": "acc"})
    with pytest.raises(ConfigError, match="no ground-truth columns"):
        load_generic(path, space="nb201", arch_column="cell")
    with pytest.raises(DataError, match="column 'note' is not a number"):
        load_generic(path, space="nb201", arch_column="cell", targets={"a/b/c/d": "note"})
    with pytest.raises(ConfigError, match="unknown space"):
        load_generic(path, space="nb999", arch_column="cell", targets={"a/b/c/d": "acc"})
    other = tmp_path / "mine.xlsx"
    other.write_text("x")
    with pytest.raises(ConfigError, match="unknown table format"):
        load_generic(other, space="nb201", arch_column="cell", targets={"a/b/c/d": "acc"})
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 truncated")
    with pytest.raises(DataError, match="broken.parquet: malformed Parquet"):
        load_generic(broken, space="nb201", arch_column="cell", targets={"a/b/c/d": "acc"})


def test_generic_invalid_architecture_names_row(tmp_path):
    frame = _frame()
    frame.loc[3, "cell"] = "|none~0|+|none~0|"
    path = tmp_path / "mine.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(ArchitectureError, match=r"mine\.csv: row 4: "):
        load_generic(path, space="nb201", arch_column="cell", targets={"a/b/c/d": "acc"})
