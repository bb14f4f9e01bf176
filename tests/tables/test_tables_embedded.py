"""The NAS-Bench-201 table embedded in the package: provenance, integrity, equality with
the CSV it was made from, and a default run that does not depend on which one it read."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from harness.config import RunConfig
from harness.errors import DataError
from harness.sampling import sample_archs
from harness.tables import load_manifest, load_table, resolve_target
from harness.tables.embedded import (
    ARRAYS_NAME,
    EMBEDDED_DIR,
    PROVENANCE_NAME,
    read_embedded_nb201,
    write_embedded_nb201,
)
from harness.tables.manifest import sha256_of


@pytest.fixture(scope="module")
def csv_table(real_data_dir):
    table = load_table("nb201-csv", real_data_dir)
    assert table.sources[0].name == "nb201/nats_tss_test_accuracy.csv"
    return table


@pytest.fixture(scope="module")
def embedded_table():
    return load_table("nb201-embedded")


def test_is_small_package_data_with_complete_provenance():
    assert (EMBEDDED_DIR / ARRAYS_NAME).stat().st_size < 1_000_000
    provenance = json.loads((EMBEDDED_DIR / PROVENANCE_NAME).read_text())
    entry = load_manifest()[provenance["derived_from"]["name"]]
    assert provenance["derived_from"] == {
        "name": entry.name,
        "sha256": entry.sha256,
        "repository": "https://github.com/v-tao/nats-bench-landscape",
        "path": "nats_bench.csv",
        "commit": "b307ae5fe6e8d7043cd4fe7d1c3532288271adb7",
        "url": entry.url,
    }
    assert "get_more_info" in provenance["api_call"] and "hp='200'" in provenance["api_call"]
    assert "NATS-Bench" in provenance["attribution"] and "MIT" in provenance["license"]
    assert provenance["sha256"] == sha256_of(EMBEDDED_DIR / ARRAYS_NAME)
    assert provenance["rows"] == 15_625


def test_embedded_table_equals_the_csv_row_by_row(csv_table, embedded_table):
    assert list(embedded_table.frame.index) == list(csv_table.frame.index)
    pd.testing.assert_frame_equal(embedded_table.frame, csv_table.frame, check_exact=True)
    pd.testing.assert_series_equal(embedded_table.benchmark_index, csv_table.benchmark_index)
    raw = pd.read_csv(csv_table.sources[0].path)
    assert np.array_equal(
        embedded_table.frame["cifar100/accuracy/test/200"].to_numpy(),
        raw["CIFAR100TestAccuracy200Epochs"].to_numpy(),
    )


def test_nb201_csv_without_its_file_reads_the_embedded_copy(tmp_path, embedded_table):
    table = load_table("nb201-csv", tmp_path)
    assert table.name == "nb201-csv"
    pd.testing.assert_frame_equal(table.frame, embedded_table.frame, check_exact=True)
    assert table.sources == embedded_table.sources
    assert "no data-folder file was read" in table.notes[0]


def test_the_default_sample_and_target_do_not_depend_on_the_source(csv_table, tmp_path):
    config = RunConfig()
    embedded = load_table(config.table, tmp_path)
    picks = []
    for table in (csv_table, embedded):
        target = resolve_target(table, config.target, registered=config.table).column
        archs = sample_archs(table, config.archs, config.seed, unique=config.unique, target=target)
        picks.append((target, archs, table.column(target).reindex(archs).to_numpy()))
    assert picks[0][0] == picks[1][0] == "cifar10/accuracy/test/200"
    assert picks[0][1] == picks[1][1] and len(picks[0][1]) == 200
    assert np.array_equal(picks[0][2], picks[1][2])


def test_writing_from_the_csv_reproduces_the_shipped_arrays(csv_table, tmp_path):
    write_embedded_nb201(csv_table, tmp_path)
    written, shipped = read_embedded_nb201(tmp_path), read_embedded_nb201()
    assert written.arch_keys == shipped.arch_keys
    assert written.columns.keys() == shipped.columns.keys()
    for name, values in shipped.columns.items():
        assert np.array_equal(written.columns[name], values)


def test_write_refuses_anything_but_the_pinned_full_table(csv_table, tmp_path):
    with pytest.raises(DataError, match="full nb201-csv table"):
        write_embedded_nb201(csv_table.subset(csv_table.archs[:10]), tmp_path)


def test_tampered_arrays_are_refused(tmp_path):
    for name in (ARRAYS_NAME, PROVENANCE_NAME):
        shutil.copy(EMBEDDED_DIR / name, tmp_path / name)
    with open(tmp_path / ARRAYS_NAME, "r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(DataError, match="differs from its provenance"):
        read_embedded_nb201(tmp_path)
