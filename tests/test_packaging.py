"""A non-editable install, as a user gets it from the package index: `python -m build`
makes the sdist and, from it, the wheel; both pass `twine check`; each is installed into
a fresh virtual environment and runs the main job from an unrelated folder, with no
data folder: the manifest and the embedded NB201 table come from the installed package,
not from the source tree.

Offline: the venvs see this interpreter's site-packages (torch==2.13.0 and the other
dependencies, pip and setuptools for building the sdist) and install only the harness,
with --no-deps --no-index. Slow (builds, two installs, two 20-architecture runs: about
2 min on the 2-core test machine), so it is left out of the default run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import harness

REPO = Path(__file__).resolve().parent.parent
NAME = harness.DISTRIBUTION.replace("-", "_")  # file names use the normalised name
COMMANDS = ("harness", harness.DISTRIBUTION)

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("HARNESS_DATA", "PYTHONPATH")}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> dict[str, Path]:
    """The sdist and the wheel `python -m build` makes (the wheel is built from the sdist)."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
         cwd=out, timeout=600)  # fmt: skip
    (sdist,) = out.glob(f"{NAME}-{harness.__version__}.tar.gz")
    (wheel,) = out.glob(f"{NAME}-{harness.__version__}-py3-none-any.whl")
    return {"sdist": sdist, "wheel": wheel}


def _venv_with(dist: Path, root: Path) -> Path:
    env_dir = root / "venv"
    # The dependencies (torch & co.) come from this interpreter's site-packages; the
    # harness itself only from `dist`, which the venv's own site-packages puts first.
    # Without a pip of its own the venv has no setuptools of its own either (3.11's
    # ensurepip brings setuptools 65, too old to build the sdist): this interpreter's pip
    # and setuptools install into it.
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
          str(env_dir)], cwd=root)  # fmt: skip
    python = env_dir / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
          "--no-build-isolation", str(dist)], cwd=root, timeout=600)  # fmt: skip
    return env_dir


@pytest.fixture(scope="module", params=["wheel", "sdist"])
def venv(request, dists, tmp_path_factory) -> Path:
    return _venv_with(dists[request.param], tmp_path_factory.mktemp(request.param))


def test_the_sdist_and_wheel_pass_twine_check(dists):
    if importlib.util.find_spec("twine") is None:
        pytest.skip("twine is not installed (pip install '.[release]')")
    done = _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dists.values())],
                cwd=REPO, timeout=300)  # fmt: skip
    assert done.stdout.count("PASSED") == 2, done.stdout


def test_the_dists_carry_the_licences_and_the_package_data(dists):
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = set(wheel.namelist())
        info = f"{NAME}-{harness.__version__}.dist-info"
        metadata = wheel.read(f"{info}/METADATA").decode()
    for licence in ("LICENSE", "NOTICE", "LICENSES/NATS-Bench-MIT.txt"):
        assert f"{info}/licenses/{licence}" in names
    assert "harness/tables/data/nb201_test_accuracy.npz" in names
    assert f"Name: {harness.DISTRIBUTION}\n" in metadata
    assert f"Version: {harness.__version__}\n" in metadata
    assert "License-Expression: Apache-2.0 AND MIT\n" in metadata
    with tarfile.open(dists["sdist"]) as sdist:
        members = {Path(m).relative_to(f"{NAME}-{harness.__version__}").as_posix()
                   for m in sdist.getnames() if "/" in m}  # fmt: skip
    assert {"LICENSE", "NOTICE", "pyproject.toml", "README.md"} <= members
    assert "harness/tables/data/nb201_test_accuracy.npz" in members
    assert not any(m.startswith("tests/") for m in members)


def test_the_installed_package_is_the_dist_not_the_source_tree(venv, tmp_path):
    python = venv / "bin" / "python"
    code = (
        "import harness; from importlib import metadata; "
        f"print(harness.__file__); print(metadata.version({harness.DISTRIBUTION!r}))"
    )
    where, version = _run([str(python), "-c", code], cwd=tmp_path).stdout.split()
    assert venv in Path(where).parents and REPO not in Path(where).parents
    assert version == harness.__version__


def test_both_commands_and_python_m_harness_are_the_harness(venv, tmp_path):
    expected = f"{harness.DISTRIBUTION} {harness.__version__}"
    for command in COMMANDS:
        done = _run([str(venv / "bin" / command), "--version"], cwd=tmp_path)
        assert done.stdout.strip() == expected
    done = _run([str(venv / "bin" / "python"), "-m", "harness", "--version"], cwd=tmp_path)
    assert done.stdout.strip() == expected


def test_tables_and_a_20_arch_run_from_an_unrelated_folder(venv, tmp_path):
    command = str(venv / "bin" / harness.DISTRIBUTION)
    work = tmp_path / "elsewhere"
    work.mkdir()
    listing = _run([command, "tables", "--format", "json"], cwd=work, timeout=300)
    tables = {t["table"]: t["status"] for t in json.loads(listing.stdout)["tables"]}
    assert tables["nb201-csv"] == tables["nb201-embedded"] == "embedded"

    run = _run(
        [command, "run", "--archs", "20", "--no-progress", "--out", "out"], cwd=work, timeout=900
    )
    assert "embedded copy of nb201/nats_tss_test_accuracy.csv" in run.stderr
    document = json.loads((work / "out" / "results.json").read_text())
    assert list(document["data_files"]) == ["embedded:nb201_test_accuracy.npz"]
    assert any("embedded copy" in note for note in document["notes"])
    assert document["versions"]["harness"] == harness.__version__
    assert len(document["per_arch"][0]["archs"]) == 20
    statuses = [row["extra"].get("statuses", {}) for row in document["rows"]]
    assert sum(s.get("ok", 0) for s in statuses) > 0
    assert (work / "out" / "leaderboard.md").is_file()
    assert (work / "reports" / "scores.sqlite").is_file()
