"""The distribution's name, version and commands agree everywhere a user reads them.

The distribution is `proxy-ranking-harness` (the index's `harness` is another project),
the import package `harness`, the version `harness.__version__` (the one place it is
written); install commands in the docs, the proxy-CI recipe and the example plugin name
the distribution and a version it satisfies. The built artefacts themselves are tested
in test_packaging.py (slow).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

import harness

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]

#: Where a user reads install commands or a distribution name (text files only).
USER_FACING = [
    REPO / "README.md",
    *sorted((REPO / "docs").rglob("*.md")),
    *sorted((REPO / "docs").rglob("*.yml")),
    *sorted((REPO / "examples").rglob("*.md")),
    *sorted((REPO / "examples").rglob("*.toml")),
    *sorted((REPO / "scripts").glob("*")),
    *sorted((REPO / "harness").rglob("*.py")),
]
#: The release recipe shows the next release's commands, not this version's pin.
NOT_PINNED_HERE = {"docs/release.md"}
#: `pip install harness`, `'harness[dist]'`, `harness==0.1`: the index's other project.
OLD_NAME = re.compile(r"pip install [^#\n]*?(?<![\w./-])['\"]?harness(\[|==|~=|>=|['\"\s]|$)")


def test_the_distribution_is_named_apart_from_the_import_package():
    assert PROJECT["name"] == harness.DISTRIBUTION == "proxy-ranking-harness"
    assert PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"] == ["harness*"]


def test_the_version_comes_from_one_place():
    assert "version" not in PROJECT and "version" in PROJECT["dynamic"]
    dynamic = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "harness.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", harness.__version__)


def test_both_commands_run_the_one_cli():
    assert PROJECT["scripts"] == {
        "harness": "harness.cli:main",
        harness.DISTRIBUTION: "harness.cli:main",
    }


def test_release_metadata_is_complete():
    assert PROJECT["license"] == "Apache-2.0 AND MIT"
    for pattern in PROJECT["license-files"]:
        assert list(REPO.glob(pattern)), pattern
    assert "Apache License" in (REPO / "LICENSE").read_text()
    notice = (REPO / "NOTICE").read_text()
    assert "nb201_test_accuracy.npz" in notice and "NATS-Bench" in notice
    assert "MIT License" in (REPO / "LICENSES" / "NATS-Bench-MIT.txt").read_text()
    assert PROJECT["authors"] and PROJECT["requires-python"] == ">=3.11"
    assert "Programming Language :: Python :: 3.11" in PROJECT["classifiers"]
    assert not any(c.startswith("License ::") for c in PROJECT["classifiers"])  # PEP 639


def test_the_recipe_installs_the_harness_by_name_at_this_version():
    workflow = (REPO / "docs" / "proxy-ci" / "proxy-quality.yml").read_text()
    (pin,) = re.findall(r'^  HARNESS: "(.*)"$', workflow, re.MULTILINE)
    assert pin == f"{harness.DISTRIBUTION}=={harness.__version__}"


def test_the_example_plugin_depends_on_the_harness_by_name():
    example = tomllib.loads((REPO / "examples" / "proxy_plugin" / "pyproject.toml").read_text())
    (dependency,) = (Requirement(d) for d in example["project"]["dependencies"])
    assert dependency.name == harness.DISTRIBUTION
    assert str(dependency.specifier) and dependency.specifier.contains(harness.__version__)


def test_every_install_line_pins_this_version():
    pinned = re.compile(rf"{re.escape(harness.DISTRIBUTION)}(\[\w+\])?==([\w.]+)")
    found = {
        (path.relative_to(REPO).as_posix(), match[2])
        for path in USER_FACING
        if path.is_file() and path.relative_to(REPO).as_posix() not in NOT_PINNED_HERE
        for match in pinned.finditer(path.read_text())
    }
    assert found, "no install line names the distribution"
    assert {version for _, version in found} == {harness.__version__}, sorted(found)


def test_no_install_line_names_the_other_projects_harness():
    wrong = [
        f"{path.relative_to(REPO)}: {line.strip()}"
        for path in USER_FACING
        if path.is_file()
        for line in path.read_text().splitlines()
        if OLD_NAME.search(line)
    ]
    assert not wrong, wrong


def test_the_old_name_pattern_can_fail():
    for line in ("pip install harness", "pip install 'harness[dist]'", "pip install harness==0.1"):
        assert OLD_NAME.search(line), line
    for line in ("pip install 'proxy-ranking-harness[dist]'", "pip install -e .",
                 "pip install --no-deps -e .  # beside the harness"):  # fmt: skip
        assert not OLD_NAME.search(line), line
