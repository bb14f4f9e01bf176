"""The CI recipe for proxy authors (docs/proxy-ci/), run end to end on the example plugin.

The workflow file's own `harness` lines are read and run, step by step, as GitHub
Actions would run them on main and on a pull request (the workflow engine itself, the
artefact upload and `gh run download` are simulated by copying files): main keeps its
results as the baseline; a pull request with the same proxy passes the gate; a pull
request with a deliberately broken proxy (its score negated) fails it, and the report is
still written.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from example_plugin import (
    PROXY,
    PROXY_FILE,
    REPO,
    copy_example,
    environment,
    pip_install,
)

RECIPE = REPO / "docs" / "proxy-ci"
WORKFLOW = RECIPE / "proxy-quality.yml"
CONFIG = RECIPE / "proxy-quality.toml"
BROKEN_FROM = "return math.sqrt(math.fsum(squares))"
BROKEN_TO = "return -math.sqrt(math.fsum(squares))  # deliberately broken"


@dataclass
class Step:
    name: str
    condition: str | None = None
    uses: str | None = None
    run: list[str] = field(default_factory=list)


def workflow_steps(path: Path) -> list[Step]:
    """The steps of a workflow file: name, `if:`, `uses:` and the lines of `run:`."""
    steps: list[Step] = []
    lines = path.read_text().splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        start = re.match(r"^(\s*)- (name|uses): (.*)$", line)
        if start:
            steps.append(Step(name=start[3].strip()))
            if start[2] == "uses":
                steps[-1].uses = start[3].strip()
        elif steps:
            step, stripped = steps[-1], line.strip()
            if stripped.startswith("if: "):
                step.condition = stripped[4:].strip()
            elif stripped.startswith("uses: "):
                step.uses = stripped[6:].strip()
            elif stripped.startswith("run: "):
                value = stripped[5:].strip()
                if value in ("|", ">"):
                    indent = len(line) - len(line.lstrip()) + 2
                    while index + 1 < len(lines) and (
                        not lines[index + 1].strip()
                        or len(lines[index + 1]) - len(lines[index + 1].lstrip()) >= indent
                    ):
                        index += 1
                        if lines[index].strip():
                            step.run.append(lines[index].strip())
                else:
                    step.run.append(value)
        index += 1
    return steps


def workflow_env(path: Path) -> dict[str, str]:
    """The workflow's top-level `env:` values (plain `KEY: value` lines)."""
    text = path.read_text()
    block = re.search(r"^env:\n((?:  .*\n|\s*\n)+)", text, re.MULTILINE)
    assert block, "the workflow has a top-level env block"
    values = {}
    for line in block[1].splitlines():
        match = re.match(r"^  ([A-Z_]+): (.*)$", line)
        if match:
            values[match[1]] = match[2].strip().strip('"')
    return values


def runs_on(step: Step, event: str) -> bool:
    """Would GitHub run this step on `event` ("main" push or "pull_request")?"""
    if step.condition in (None, "always()"):
        return True
    if step.condition == "github.ref == 'refs/heads/main'":
        return event == "main"
    if step.condition == "github.event_name == 'pull_request'":
        return event == "pull_request"
    raise AssertionError(f"unexpected step condition {step.condition!r}")


def harness_lines(step: Step) -> list[str]:
    return [line for line in step.run if line.startswith("harness ")]


@dataclass
class Job:
    """The outcome of one simulated job: every harness line and its exit status."""

    workspace: Path
    statuses: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)


def run_job(event: str, workspace: Path, site: Path, baseline: Path) -> Job:
    """The workflow's steps for `event` in `workspace` (the author's checkout), with the
    plugin installed in `site`; main writes `baseline`, a pull request reads it."""
    env = {**environment(site), **workflow_env(WORKFLOW)}
    job = Job(workspace)
    for step in workflow_steps(WORKFLOW):
        if not runs_on(step, event):
            continue
        if step.name == "Keep the baseline (main)":  # actions/upload-artifact
            shutil.copy(workspace / "proxy-quality" / "run" / "results.json", baseline)
        elif step.name == "Fetch the latest baseline of main":  # gh run download
            (workspace / "baseline").mkdir()
            shutil.copy(baseline, workspace / "baseline" / "results.json")
        for line in harness_lines(step):
            command = re.sub(r"\$(\w+)", lambda m: env[m[1]], line.split(" | ")[0])
            args = shlex.split(command)[1:]
            done = subprocess.run(
                [sys.executable, "-m", "harness.cli", *args],
                cwd=workspace,
                env=env,
                capture_output=True,
                text=True,
                timeout=1200,
            )
            job.statuses[step.name] = done.returncode
            job.outputs[step.name] = done.stdout + done.stderr
    return job


def author_checkout(where: Path, broken: bool = False) -> Path:
    """The proxy author's repository: the example package and the recipe's config."""
    checkout = copy_example(where)
    shutil.copy(CONFIG, checkout / CONFIG.name)
    if broken:
        source = checkout / PROXY_FILE
        text = source.read_text()
        assert BROKEN_FROM in text
        source.write_text(text.replace(BROKEN_FROM, BROKEN_TO))
    return checkout


@pytest.fixture(scope="module")
def main_job(tmp_path_factory) -> tuple[Job, Path]:
    root = tmp_path_factory.mktemp("recipe-main")
    checkout = author_checkout(root / "checkout")
    site = pip_install(checkout, root / "site")
    baseline = root / "baseline.json"
    return run_job("main", checkout, site, baseline), baseline


def test_the_workflow_has_the_recipe_steps():
    steps = {step.name: step for step in workflow_steps(WORKFLOW)}
    assert workflow_env(WORKFLOW)["PROXY"] == PROXY
    assert [harness_lines(s)[0].split()[1] for s in steps.values() if harness_lines(s)] == [
        "proxies",
        "check",
        "run",
        "compare",
        "report",
    ]
    assert steps["Publish the report"].uses.startswith("actions/upload-artifact")
    assert steps["Publish the report"].condition == "always()"
    assert "set -o pipefail" in steps["Gate"].run  # tee must not hide the gate's status
    config = CONFIG.read_text()
    assert f'"{PROXY}"' in config and 'source = "synthetic"' in config


@pytest.mark.slow  # scores the recipe's configuration: about a minute each
def test_main_scores_the_fixed_configuration_and_keeps_a_baseline(main_job):
    job, baseline = main_job
    assert set(job.statuses.values()) == {0}, job.outputs
    assert "| package harness-proxy-example 0.1.0 |" in job.outputs["The proxy is registered"]
    assert "1 of 1 proxies pass." in job.outputs["The proxy keeps the contract"]
    document = json.loads(baseline.read_text())
    assert {row["proxy"] for row in document["rows"]} == {PROXY, "grad_norm", "snip", "params"}
    assert len(document["per_arch"][0]["archs"]) == 50
    assert (job.workspace / "proxy-quality" / "report" / "report.html").is_file()


@pytest.mark.slow  # scores the recipe's configuration: about a minute each
def test_a_pull_request_with_the_same_proxy_passes_the_gate(main_job, tmp_path):
    _, baseline = main_job
    checkout = author_checkout(tmp_path / "checkout")
    job = run_job("pull_request", checkout, pip_install(checkout, tmp_path / "site"), baseline)
    assert set(job.statuses.values()) == {0}, job.outputs
    gate = (checkout / "proxy-quality" / "gate" / "compare.md").read_text()
    assert "FAIL" not in gate and PROXY in gate


@pytest.mark.slow  # scores the recipe's configuration: about a minute each
def test_a_pull_request_with_a_broken_proxy_fails_the_gate(main_job, tmp_path):
    _, baseline = main_job
    checkout = author_checkout(tmp_path / "checkout", broken=True)
    job = run_job("pull_request", checkout, pip_install(checkout, tmp_path / "site"), baseline)
    assert job.statuses.pop("Gate") == 1, job.outputs["Gate"]
    assert set(job.statuses.values()) == {0}, job.outputs  # the report is still written
    gate = (checkout / "proxy-quality" / "gate" / "compare.md").read_text()
    failing = [line for line in gate.splitlines() if "FAIL" in line]
    assert failing and all(PROXY in line for line in failing)
    assert (checkout / "proxy-quality" / "report" / "report.html").is_file()
