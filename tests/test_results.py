"""The results document round-trips through JSON and refuses what it cannot read."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
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


def _asdict_reference(value):
    """What a document's dict was before its one-pass conversion: `dataclasses.asdict`,
    then NaN/inf to None, keys to strings, tuples to lists, numpy scalars unwrapped."""
    if dataclasses.is_dataclass(value):
        return _asdict_reference(dataclasses.asdict(value))
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _asdict_reference(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_asdict_reference(v) for v in value]
    if isinstance(value, np.generic):
        return _asdict_reference(value.item())
    return value


def test_to_dict_is_asdict_made_json_safe():
    document = _document()
    document.per_arch[0].scores["zen"] = [np.float64(1.5), None, np.float64("nan"), 2.0]
    document.per_arch[0].scores["ints"] = [1, 2, np.int64(3), True]
    document.per_arch[0].seed_scores = {"zen": [[np.float32(0.25), math.inf], [1.0, None]]}
    document.config["mixed"] = (1, 2.5, "x", None, {3: np.float64(-math.inf)})
    expected = _asdict_reference(document)
    got = document.to_dict()
    assert json.dumps(got) == json.dumps(expected)
    assert got["per_arch"][0]["scores"]["ints"] == [1, 2, 3, True]


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


# -- the schema, checked on read (issue 17) --------------------------------------------------
def _written(tmp_path, change) -> Path:
    import json

    from harness.results import ResultRow, ResultsDocument

    row = ResultRow("nb201", "cifar10", "cifar10/accuracy/test/200", "p", True, 3, 0, 0.5, 0.1,
                    0.9, 0.6, 0.2, 0.9, 0.7)  # fmt: skip
    doc = ResultsDocument("run", "r", {}, {}, None, {}, 0, [row]).to_dict()
    change(doc)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda d: d["rows"][0].update(kendall="high"), "rows[0].kendall must be a finite number"),
        (lambda d: d["rows"][0].update(n=2.5), "rows[0].n must be an integer"),
        (lambda d: d["rows"][0].update(higher_is_better="yes"), "must be true or false"),
        (lambda d: d.update(config=None), "config must be an object"),
        (lambda d: d["rows"][0].update(extra=None), "rows[0].extra must be an object"),
        (lambda d: d["rows"][0]["extra"].update(confidence=1.5), "confidence must lie in (0, 1)"),
        (lambda d: d["rows"][0]["extra"].update(pairwise_accuracy="x"), "pairwise_accuracy"),
        (
            lambda d: d.update(
                per_arch=[
                    {
                        "space": "nb201",
                        "dataset": "c",
                        "target": "t",
                        "archs": ["a", "b"],
                        "truth": [1.0],
                        "scores": {},
                    }
                ]
            ),
            "per_arch[0].truth has 1 values",
        ),
        (lambda d: d.update(seed="0"), "seed must be an integer or null"),
        (lambda d: d.pop("kind") and d.update(kind=3), "kind must be text"),
    ],
)
def test_a_document_that_does_not_fit_the_schema_is_refused_on_read(tmp_path, change, says):
    path = _written(tmp_path, change)
    with pytest.raises(DataError) as info:
        ResultsDocument.read(path)
    message = str(info.value)
    assert message.startswith(f"{path}: invalid results document: ") and says in message
    assert "\n" not in message


def test_a_document_that_fits_reads_back(tmp_path):
    document = ResultsDocument.read(_written(tmp_path, lambda d: None))
    assert document.rows[0].kendall == 0.5


def test_create_stamps_provenance_like_the_hand_written_documents():
    from harness import provenance
    from harness.tables.base import SourceFile

    sources = [SourceFile("a.csv", "/d/a.csv", "beef"), SourceFile("b", "/d/b", None)]
    original = _document()
    document = ResultsDocument.create(
        kind="run",
        run_id="r1",
        config={"archs": 4},
        sources=sources,
        seed=0,
        seeds=(0, 1),
        rows=original.rows,
        per_arch=original.per_arch,
        notes=("a note",),
        packages=("no-such-package-here",),
    )
    assert document.versions == provenance.package_versions(("no-such-package-here",))
    assert document.versions["no-such-package-here"] is None
    assert document.git_revision == provenance.git_revision()
    assert document.machine == provenance.machine_info()
    assert document.data_files == {"a.csv": "beef", "b": ""}
    assert document.seeds == [0, 1] and document.notes == ["a note"]
    assert document.per_arch == original.per_arch and document.rows == original.rows
    assert document.created  # stamped now, as the dataclass default does
    bare = ResultsDocument.create(
        kind="search", run_id="s", config={}, sources=(), seed=None, rows=[]
    )
    assert (bare.seeds, bare.per_arch, bare.notes, bare.data_files) == ([], [], [], {})
