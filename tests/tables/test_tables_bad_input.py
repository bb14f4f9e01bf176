"""Broken files: one-line DataError / ArchitectureError naming the file (or value) and problem.

All files here are made up (made-up accuracies over cells from the space module); the
loaders are called with verify=False since a broken file never matches the manifest.
"""

from __future__ import annotations

import json

import pytest

from harness.errors import ArchitectureError, ConfigError, DataError, HarnessError
from harness.spaces.nb201 import NB201Arch, enumerate_archs
from harness.tables import load_table
from harness.tables.nb201_csv import FILE as CSV_FILE
from harness.tables.suite_zero import NB101_FILE, NB201_FILE

HEADER = (
    "CIFAR10TestAccuracy200Epochs,CIFAR100TestAccuracy200Epochs,"
    "ImageNetTestAccuracy200Epochs,ArchitectureString,UniqueString"
)
CELLS = [a.to_string() for a, _ in zip(enumerate_archs(), range(4), strict=False)]


def _csv_lines(n: int = 4) -> list[str]:
    return [f"{90 + i},{70 + i},{40 + i},{CELLS[i]},u{i}" for i in range(n)]


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _one_line_error(kind, match, *args, **kwargs):
    with pytest.raises(kind, match=match) as info:
        load_table(*args, **kwargs)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, HarnessError)
    return str(info.value)


def _zero_record(naslib_key: str, accuracy=90.0) -> dict:
    return {
        "idx": "1",
        "arch": naslib_key,
        "val_accuracy": accuracy,
        "synflow": {"score": 1.5, "time": 0.1},
        "nwot": {"score": 2.5, "time": 0.2},
    }


def _zero_json(keys: list[str]) -> dict:
    return {"cifar10": {k: _zero_record(k, 80.0 + i) for i, k in enumerate(keys)}}


NASLIB_KEYS = [str(NB201Arch.from_string(c).to_naslib_tuple()) for c in CELLS]


# -- the CSV -------------------------------------------------------------------------------
def test_small_valid_csv_loads(tmp_path):
    _write(tmp_path, CSV_FILE, "\n".join([HEADER, *_csv_lines()]) + "\n")
    table = load_table("nb201-csv", tmp_path, verify=False, complete=False)
    assert table.archs == CELLS
    assert table.frame["cifar100/accuracy/test/200"].tolist() == [70.0, 71.0, 72.0, 73.0]


def test_csv_missing_column(tmp_path):
    header = HEADER.replace("ArchitectureString", "Arch")
    _write(tmp_path, CSV_FILE, "\n".join([header, *_csv_lines()]) + "\n")
    message = _one_line_error(DataError, "missing column", "nb201-csv", tmp_path, verify=False)
    assert message == f"{CSV_FILE}: missing column 'ArchitectureString'"


def test_csv_truncated_mid_row(tmp_path):
    text = "\n".join([HEADER, *_csv_lines()])
    _write(tmp_path, CSV_FILE, text[: len(text) - 40])  # cuts into the last cell string
    message = _one_line_error(ArchitectureError, "line 5", "nb201-csv", tmp_path, verify=False)
    assert message.startswith(f"{CSV_FILE}: line 5: ")


def test_csv_truncated_before_the_architecture(tmp_path):
    lines = _csv_lines()
    lines[-1] = "93.1,71.2"
    _write(tmp_path, CSV_FILE, "\n".join([HEADER, *lines]))
    _one_line_error(
        HarnessError, rf"{CSV_FILE}: line 5: .*(missing|empty)", "nb201-csv", tmp_path,
        verify=False,
    )  # fmt: skip


def test_csv_not_a_number(tmp_path):
    lines = _csv_lines()
    lines[1] = lines[1].replace("71,", "seventy-one,", 1)
    _write(tmp_path, CSV_FILE, "\n".join([HEADER, *lines]))
    message = _one_line_error(DataError, "not a number", "nb201-csv", tmp_path, verify=False)
    assert "line 3" in message and "CIFAR100TestAccuracy200Epochs" in message


def test_csv_empty_and_header_only(tmp_path):
    _write(tmp_path, CSV_FILE, "")
    _one_line_error(DataError, f"{CSV_FILE}: empty file", "nb201-csv", tmp_path, verify=False)
    _write(tmp_path, CSV_FILE, HEADER + "\n")
    _one_line_error(DataError, "no rows", "nb201-csv", tmp_path, verify=False)


def test_csv_invalid_architecture(tmp_path):
    lines = _csv_lines()
    lines[2] = lines[2].replace("none~0", "conv_7x7~0", 1)
    _write(tmp_path, CSV_FILE, "\n".join([HEADER, *lines]))
    message = _one_line_error(ArchitectureError, "line 4", "nb201-csv", tmp_path, verify=False)
    assert "conv_7x7" in message


def test_csv_duplicate_architecture(tmp_path):
    lines = _csv_lines()
    lines[3] = lines[0]
    _write(tmp_path, CSV_FILE, "\n".join([HEADER, *lines]))
    _one_line_error(DataError, "line 5: .* appears twice", "nb201-csv", tmp_path, verify=False)


def test_missing_file_names_it(tmp_path):
    message = _one_line_error(DataError, "not found", "suite-zero-nb201", tmp_path)
    assert message.startswith(NB201_FILE)
    message = _one_line_error(DataError, "not found", "nb201-csv", tmp_path, path="gone.csv")
    assert message.startswith("gone.csv")


def test_missing_nb201_csv_falls_back_to_the_embedded_copy(tmp_path):
    table = load_table("nb201-csv", tmp_path)
    assert len(table) == 15_625
    assert [s.name for s in table.sources] == ["embedded:nb201_test_accuracy.npz"]
    assert "embedded copy of nb201/nats_tss_test_accuracy.csv" in table.notes[0]


# -- Suite-Zero JSON -----------------------------------------------------------------------
def test_small_valid_suite_zero_loads(tmp_path):
    _write(tmp_path, NB201_FILE, json.dumps(_zero_json(NASLIB_KEYS)))
    table = load_table("suite-zero-nb201", tmp_path, verify=False)
    assert table.archs == CELLS
    assert table.targets() == ["cifar10-valid/accuracy/valid/200"]
    assert len(table.reference_scores) == 2 * len(CELLS)


def test_suite_zero_truncated_json(tmp_path):
    text = json.dumps(_zero_json(NASLIB_KEYS))
    _write(tmp_path, NB201_FILE, text[: len(text) // 2])
    message = _one_line_error(
        DataError, "malformed JSON", "suite-zero-nb201", tmp_path, verify=False
    )
    assert message.startswith(NB201_FILE)


def test_suite_zero_empty_file(tmp_path):
    _write(tmp_path, NB201_FILE, "")
    _one_line_error(DataError, "empty file", "suite-zero-nb201", tmp_path, verify=False)
    _write(tmp_path, NB201_FILE, "{}")
    _one_line_error(DataError, "expected an object", "suite-zero-nb201", tmp_path, verify=False)
    _write(tmp_path, NB201_FILE, '{"cifar10": {}}')
    _one_line_error(DataError, "no architecture records", "suite-zero-nb201", tmp_path,
                    verify=False)  # fmt: skip


def test_suite_zero_unknown_dataset(tmp_path):
    _write(tmp_path, NB201_FILE, json.dumps({"mnist": _zero_json(NASLIB_KEYS)["cifar10"]}))
    _one_line_error(DataError, "unknown dataset 'mnist'", "suite-zero-nb201", tmp_path,
                    verify=False)  # fmt: skip


def test_suite_zero_invalid_key(tmp_path):
    document = _zero_json([*NASLIB_KEYS[:2], "(0, 2, 9, 2, 3, 1)"])
    _write(tmp_path, NB201_FILE, json.dumps(document))
    message = _one_line_error(
        ArchitectureError, "cifar10 key '\\(0, 2, 9, 2, 3, 1\\)'", "suite-zero-nb201",
        tmp_path, verify=False,
    )  # fmt: skip
    assert message.startswith(NB201_FILE)


def test_suite_zero_record_without_accuracy_or_bad_score(tmp_path):
    document = _zero_json(NASLIB_KEYS)
    del document["cifar10"][NASLIB_KEYS[1]]["val_accuracy"]
    _write(tmp_path, NB201_FILE, json.dumps(document))
    _one_line_error(DataError, "no 'val_accuracy'", "suite-zero-nb201", tmp_path, verify=False)
    document = _zero_json(NASLIB_KEYS)
    document["cifar10"][NASLIB_KEYS[0]]["nwot"] = {"score": "high", "time": 1}
    _write(tmp_path, NB201_FILE, json.dumps(document))
    _one_line_error(DataError, "nwot: score: expected a number", "suite-zero-nb201", tmp_path,
                    verify=False)  # fmt: skip


def test_suite_zero_null_score_is_nan_not_an_error(tmp_path):
    document = _zero_json(NASLIB_KEYS)
    document["cifar10"][NASLIB_KEYS[0]]["nwot"] = {"score": None, "time": 1.0}
    _write(tmp_path, NB201_FILE, json.dumps(document))
    refs = load_table("suite-zero-nb201", tmp_path, verify=False).reference_scores
    assert refs["score"].isna().sum() == 1


def test_suite_zero_duplicate_canonical_keys_policies(tmp_path):
    # NASLib tuples written with different spacing name the same cell
    spaced = NASLIB_KEYS[0].replace(", ", ",")
    document = {"cifar10": {NASLIB_KEYS[0]: _zero_record(NASLIB_KEYS[0], 80.0),
                            spaced: _zero_record(spaced, 90.0),
                            NASLIB_KEYS[1]: _zero_record(NASLIB_KEYS[1], 70.0)}}  # fmt: skip
    _write(tmp_path, NB201_FILE, json.dumps(document))
    mean = load_table("suite-zero-nb201", tmp_path, verify=False)
    assert mean.frame.iloc[:, 0].tolist() == [85.0, 70.0]
    assert "3 records, 2 architectures" in mean.notes[0]
    first = load_table("suite-zero-nb201", tmp_path, verify=False, duplicates="first")
    assert first.frame.iloc[:, 0].tolist() == [80.0, 70.0]
    _one_line_error(DataError, "appears twice", "suite-zero-nb201", tmp_path, verify=False,
                    duplicates="error")  # fmt: skip
    _one_line_error(ConfigError, "unknown duplicates policy", "suite-zero-nb201", tmp_path,
                    verify=False, duplicates="max")  # fmt: skip


def test_suite_zero_nb101_wrapper_missing(tmp_path):
    _write(tmp_path, NB101_FILE, json.dumps({"cifar10": {}}))
    _one_line_error(DataError, "expected key 'nasbench101'", "suite-zero-nb101", tmp_path,
                    verify=False)  # fmt: skip


# -- files that parse but hold what cannot be ----------------------------------------------
def test_csv_cut_on_a_row_boundary_is_refused(tmp_path):
    # a 4-row NAS-Bench-201 file parses cleanly: only its size says it is not the benchmark
    _write(tmp_path, CSV_FILE, "\n".join([HEADER, *_csv_lines()]) + "\n")
    message = _one_line_error(DataError, "truncated", "nb201-csv", tmp_path, verify=False)
    assert message.startswith(f"{CSV_FILE}: 4 rows, but NAS-Bench-201 has 15,625 cells")


@pytest.mark.parametrize("bad", ["150", "-5", "inf", "", "nan", "1e6"])
def test_csv_ground_truth_that_cannot_be(tmp_path, bad):
    lines = _csv_lines()
    lines[2] = lines[2].replace("92,", f"{bad},", 1)
    _write(tmp_path, CSV_FILE, "\n".join([HEADER, *lines]) + "\n")
    message = _one_line_error(
        DataError, "line 4: ground truth cifar10/accuracy/test/200", "nb201-csv", tmp_path,
        verify=False, complete=False,
    )  # fmt: skip
    assert "bad_truth=drop" in message
    table = load_table("nb201-csv", tmp_path, verify=False, complete=False, bad_truth="drop")
    assert table.archs == [c for i, c in enumerate(CELLS) if i != 2]
    assert table.benchmark_index.tolist() == [0, 1, 3]
    assert table.warnings and "dropped 1 record" in table.warnings[0]
    assert table.warnings[0] in table.notes


@pytest.mark.parametrize("bad", [None, 150.0, -5.0, float("inf"), float("nan"), 1e6, -1e6])
def test_suite_zero_val_accuracy_that_cannot_be(tmp_path, bad):
    document = _zero_json(NASLIB_KEYS)
    document["cifar10"][NASLIB_KEYS[1]]["val_accuracy"] = bad
    _write(tmp_path, NB201_FILE, json.dumps(document))
    message = _one_line_error(
        DataError, "ground truth cifar10-valid/accuracy/valid/200", "suite-zero-nb201", tmp_path,
        verify=False,
    )  # fmt: skip
    assert repr(NASLIB_KEYS[1]) in message
    table = load_table("suite-zero-nb201", tmp_path, verify=False, bad_truth="drop")
    kept = [k for i, k in enumerate(CELLS) if i != 1]
    assert table.archs == kept
    # the dropped record's proxy scores go with it: they can never count as its failures
    assert set(table.reference_scores["arch"]) == set(kept)
    assert "dropped 1 record" in table.warnings[0] and table.warnings[0] in table.notes


def test_bad_truth_option_is_checked(tmp_path):
    _write(tmp_path, CSV_FILE, "\n".join([HEADER, *_csv_lines()]) + "\n")
    _one_line_error(ConfigError, "bad_truth must be one of error, drop", "nb201-csv", tmp_path,
                    verify=False, bad_truth="ignore")  # fmt: skip
    _one_line_error(HarnessError, "did you mean complete", "nb201-csv", tmp_path, verify=False,
                    complet=False)  # fmt: skip


def test_generic_table_without_its_options_says_how(tmp_path):
    message = _one_line_error(ConfigError, "needs option", "generic", tmp_path)
    assert "path, space, arch_column" in message and "table_options" in message
