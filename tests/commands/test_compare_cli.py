"""`harness compare`: exit codes of the CI gate on crafted documents."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from harness.cli import main

_HELPER = Path(__file__).resolve().parents[1] / "report" / "report_documents.py"
_spec = importlib.util.spec_from_file_location("report_documents_for_cli", _HELPER)
docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(docs)


@pytest.fixture
def files(tmp_path):
    """Write documents and return their paths by name."""
    rng = np.random.default_rng(0)
    truth = rng.uniform(70, 95, 200)
    strong = truth + 2.0 * rng.standard_normal(200)
    weak = truth + 15.0 * rng.standard_normal(200)
    small = np.arange(1.0, 11.0)
    made = {
        "strong": docs.make_document({"p": strong, "q": weak}, truth),
        "weak": docs.make_document({"p": weak, "q": weak}, truth),
        "strong_only_p": docs.make_document({"p": strong}, truth),
        # tau 41/45 -> 39/45 on 10 architectures: beyond -0.02 but noise
        "small_base": docs.make_document({"p": [2, 1, 3, 4, 6, 5, 7, 8, 9, 10]}, small),
        "small_new": docs.make_document({"p": [2, 1, 3, 4, 6, 5, 7, 9, 8, 10]}, small),
    }
    paths = {}
    for name, doc in made.items():
        paths[name] = str(doc.write(tmp_path / name / "results.json"))
    return paths


def run(capsys, *args):
    code = main(["compare", "--resamples", "300", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_real_drop_exits_1(files, capsys):
    code, out, _ = run(capsys, files["strong"], files["weak"])
    assert code == 1
    assert "FAIL" in out and "| p | kendall |" in out and "paired bootstrap" in out


def test_noisy_drop_exits_0(files, capsys):
    code, out, _ = run(
        capsys, files["small_base"], files["small_new"], "--fail-on", "kendall:-0.02"
    )
    assert code == 0
    assert "drop within noise" in out and "RESULT: PASS" in out


def test_improvement_exits_0(files, capsys):
    code, out, _ = run(capsys, files["weak"], files["strong"])
    assert code == 0 and "improved" in out


def test_missing_proxy_fails_unless_allowed(files, capsys):
    code, out, _ = run(capsys, files["strong"], files["strong_only_p"])
    assert code == 1 and "| q |" in out
    assert "RESULT: FAIL" in out and "missing from the new run: q" in out
    code, out, _ = run(capsys, files["strong"], files["strong_only_p"], "--allow-missing")
    assert code == 0 and "missing" in out and "| q |" in out and "RESULT: PASS" in out
    code, _, _ = run(capsys, files["strong"], files["strong_only_p"], "--fail-on-missing")
    assert code == 1  # the old flag, now the default, is still accepted


def test_folders_json_format_and_out(files, capsys, tmp_path):
    base_folder = str(Path(files["strong"]).parent)
    out = tmp_path / "gate"
    code, printed, _ = run(
        capsys, base_folder, files["weak"], "--format", "json", "--out", str(out)
    )
    assert code == 1
    report = json.loads(printed)
    assert report["failed"] is True
    assert {line["verdict"] for line in report["lines"]} >= {"FAIL"}
    assert (out / "compare.md").is_file() and (out / "compare.csv").is_file()


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--fail-on", "tau:-0.1"], "--fail-on"),
        (["--alpha", "2"], "--alpha"),
        (["--resamples", "0"], "--resamples"),
    ],
)
def test_bad_options_exit_2(files, capsys, extra, needle):
    code, _, err = run(capsys, files["strong"], files["weak"], *extra)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1


def test_bad_files_exit_2(files, capsys, tmp_path):
    code, _, err = run(capsys, str(tmp_path / "absent.json"), files["weak"])
    assert code == 2 and "absent.json" in err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code, _, err = run(capsys, files["strong"], str(broken))
    assert code == 2 and "broken.json" in err


def test_pairing_across_seeds_is_opt_in(tmp_path, capsys):
    rng = np.random.default_rng(3)
    truth = rng.uniform(70, 95, 60)
    score = truth + 5.0 * rng.standard_normal(60)
    paths = [
        str(docs.make_document({"p": score}, truth, seed=s).write(tmp_path / f"s{s}.json"))
        for s in (0, 1)
    ]
    code, out, _ = run(capsys, *paths)
    assert code == 0 and "unpaired bootstrap (seed or batch differs)" in out
    code, out, _ = run(capsys, *paths, "--pairing", "archs")
    assert code == 0 and "| paired bootstrap |" in out
