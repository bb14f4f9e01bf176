"""`harness report`: files written from results documents, and one-line errors."""

from __future__ import annotations

import importlib.util
import json
import re
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


def test_a_report_that_fails_half_way_leaves_no_figures(tmp_path, capsys, monkeypatch):
    """Issue 17: the figures written before the failure never reach --out."""
    from harness.errors import DataError
    from harness.report import builder

    run = docs.standard_document().write(tmp_path / "run" / "results.json")
    out = tmp_path / "report"
    calls = []

    def fail_on_the_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise DataError("a figure could not be drawn")
        return original(*args, **kwargs)

    original = builder.plot_rank_scatter
    monkeypatch.setattr(builder, "plot_rank_scatter", fail_on_the_second)
    monkeypatch.setattr(builder, "plot_tau_bars", fail_on_the_second)
    assert main(["report", str(run), "--out", str(out), "--resamples", "50"]) == 2
    assert capsys.readouterr().err.splitlines() == ["harness: error: a figure could not be drawn"]
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_markdown_shows_user_strings_as_text_never_as_html_or_links(tmp_path):
    """Issue 17: a proxy name or title from a results file cannot inject HTML into report.md."""
    from harness.report import ReportOptions, build_report, label_documents

    evil = "<img src=x onerror=alert(1)>[click](javascript:alert(1))"
    document = docs.standard_document(run_id=f"run-{evil}")
    document.rows[0].proxy = evil
    document.notes.append(f"note {evil} `code`")
    files = build_report(label_documents([document]), tmp_path, ReportOptions(title=evil,
                         n_resamples=20))  # fmt: skip
    markdown = files.markdown.read_text()
    assert not re.search(r"(?<!\\)<img", markdown)  # every < is escaped: no raw HTML
    assert not re.search(r"(?<!\\)\]\(javascript", markdown)  # no link
    assert "\\<img src=x onerror=alert(1)\\>\\[click\\](javascript:alert(1))" in markdown
    assert "\\`code\\`" in markdown
    html = files.html.read_text()
    assert "<img src=x" not in html  # the HTML report escapes the same strings
