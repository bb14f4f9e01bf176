"""A non-editable install: a built wheel in a fresh virtual environment runs the main job
from an unrelated folder, with no data folder: the manifest and the embedded NB201
table come from the installed package, not from the source tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("HARNESS_DATA", "PYTHONPATH")}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("packaging")
    wheels = root / "wheels"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheels), str(REPO)],
        cwd=root,
        timeout=600,
    )  # fmt: skip
    (wheel,) = wheels.glob("harness-*.whl")
    env_dir = root / "venv"
    # The dependencies (torch & co.) come from this interpreter's site-packages; the
    # harness itself only from the wheel, which the venv's own site-packages puts first.
    _run([sys.executable, "-m", "venv", "--system-site-packages", str(env_dir)], cwd=root)
    python = env_dir / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
         cwd=root, timeout=600)  # fmt: skip
    return env_dir


def test_the_installed_package_is_the_wheel_not_the_source_tree(venv, tmp_path):
    python = venv / "bin" / "python"
    where = _run([str(python), "-c", "import harness; print(harness.__file__)"], cwd=tmp_path)
    location = Path(where.stdout.strip())
    assert venv in location.parents and REPO not in location.parents


def test_tables_and_a_20_arch_run_from_an_unrelated_folder(venv, tmp_path):
    harness = str(venv / "bin" / "harness")
    work = tmp_path / "elsewhere"
    work.mkdir()
    listing = _run([harness, "tables", "--format", "json"], cwd=work, timeout=300)
    tables = {t["table"]: t["status"] for t in json.loads(listing.stdout)["tables"]}
    assert tables["nb201-csv"] == tables["nb201-embedded"] == "embedded"

    run = _run(
        [harness, "run", "--archs", "20", "--no-progress", "--out", "out"], cwd=work, timeout=900
    )
    assert "embedded copy of nb201/nats_tss_test_accuracy.csv" in run.stderr
    document = json.loads((work / "out" / "results.json").read_text())
    assert list(document["data_files"]) == ["embedded:nb201_test_accuracy.npz"]
    assert any("embedded copy" in note for note in document["notes"])
    assert len(document["per_arch"][0]["archs"]) == 20
    statuses = [row["extra"].get("statuses", {}) for row in document["rows"]]
    assert sum(s.get("ok", 0) for s in statuses) > 0
    assert (work / "out" / "leaderboard.md").is_file()
    assert (work / "reports" / "scores.sqlite").is_file()
