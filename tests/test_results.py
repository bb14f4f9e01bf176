"""The results document round-trips through JSON and refuses what it cannot read."""

from __future__ import annotations

import json
import math

import pytest

from harness.errors import DataError
from harness.results import PerArchValues, ResultRow, ResultsDocument


def _document() -> ResultsDocument:
    row = ResultRow(
        space="nb201",
        dataset="cifar10",
        target="cifar10/accuracy/test/200",
        proxy="synflow",
        higher_is_better=True,
        n=3,
        n_failed=1,
        kendall=0.5,
        kendall_lo=math.nan,
        kendall_hi=0.9,
        spearman=0.6,
        spearman_lo=0.1,
        spearman_hi=0.95,
        pearson=float("inf"),
        extra={"top_k": {"5": 1.0}},
    )
    per_arch = PerArchValues(
        space="nb201",
        dataset="cifar10",
        target="cifar10/accuracy/test/200",
        archs=["a", "b", "c", "d"],
        truth=[1.0, 2.0, 3.0, 4.0],
        scores={"synflow": [1.0, math.nan, 2.0, 3.0]},
    )
    return ResultsDocument(
        kind="run",
        run_id="r1",
        config={"archs": 4},
        versions={"harness": "0"},
        git_revision=None,
        data_files={"f": "abc"},
        seed=0,
        rows=[row],
        per_arch=[per_arch],
    )


def test_round_trip_with_non_finite_values_as_null(tmp_path):
    path = _document().write(tmp_path / "out" / "results.json")
    raw = json.loads(path.read_text())  # strict JSON: no NaN literals
    assert raw["rows"][0]["kendall_lo"] is None
    assert raw["rows"][0]["pearson"] is None
    assert raw["per_arch"][0]["scores"]["synflow"][1] is None
    again = ResultsDocument.read(path)
    assert again.rows[0].proxy == "synflow"
    assert again.rows[0].kendall == 0.5
    assert again.per_arch[0].archs == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{not json", "not a valid results JSON"),
        ('{"kind": "run"}', "not a harness results document"),
        ('{"kind": "run", "rows": [], "schema_version": 99}', "schema version"),
    ],
)
def test_bad_documents(tmp_path, text, needle):
    path = tmp_path / "results.json"
    path.write_text(text)
    with pytest.raises(DataError, match=needle):
        ResultsDocument.read(path)


def test_missing_document(tmp_path):
    with pytest.raises(DataError, match="not found"):
        ResultsDocument.read(tmp_path / "nope.json")
