"""`harness report`: files written from results documents, and one-line errors."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from harness.cli import main

_HELPER = Path(__file__).resolve().parents[1] / "report" / "report_documents.py"
_spec = importlib.util.spec_from_file_location("report_documents_for_report_cli", _HELPER)
docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(docs)


def test_report_from_files_and_folders(tmp_path, capsys):
    run = docs.standard_document().write(tmp_path / "run" / "results.json")
    docs.ablation_document().write(tmp_path / "sweeps" / "a" / "results.json")
    out = tmp_path / "report"
    args = ["report", str(run), str(tmp_path / "sweeps"), "--out", str(out)]
    assert main(args + ["--resamples", "100", "--title", "Test report"]) == 0
    printed = capsys.readouterr().out
    assert "D1: run run-test" in printed and "D2: ablation ablation-test" in printed
    html = (out / "report.html").read_text()
    assert "<title>Test report</title>" in html
    assert (out / "report.md").read_text().startswith("# Test report")
    pngs = sorted(p.name for p in (out / "figures").glob("*.png"))
    svgs = sorted(p.name for p in (out / "figures").glob("*.svg"))
    assert [p[:-4] for p in pngs] == [s[:-4] for s in svgs]
    assert "D1-g1-top-k.png" in pngs and "D2-ablation-input_source.png" in pngs
    assert (out / "results.csv").is_file() and (out / "ablation_sensitivity.csv").is_file()


def test_report_json_lists_the_files(tmp_path, capsys):
    run = docs.standard_document().write(tmp_path / "run" / "results.json")
    assert main(["report", str(run), "--out", str(tmp_path / "o"), "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert Path(listed["html"]).is_file()
    assert all(Path(p).is_file() for p in listed["figures"] + listed["csvs"])


def test_report_errors_are_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path / "absent.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "absent.json" in err
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"kind": "run", "rows": [], "schema_version": 99}))
    assert main(["report", str(bad)]) == 2
    assert "schema version" in capsys.readouterr().err
    good = docs.standard_document().write(tmp_path / "g" / "results.json")
    assert main(["report", str(good), "--confidence", "1.2"]) == 2
    assert "--confidence" in capsys.readouterr().err
