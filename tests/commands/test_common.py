"""What the commands share (harness.commands._common): no import of harness.cli, and flags
that become config overrides as values, equal to the `--set` texts they stand for."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import harness.commands
from harness import cli
from harness.combine.config import load_combine_config
from harness.commands import combine, distill, run, search
from harness.commands._common import names
from harness.config import load_run_config, parse_sets
from harness.distill.config import load_distill_config
from harness.errors import ConfigError
from harness.search.config import load_search_config

COMMANDS = Path(harness.commands.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            package = ["harness", "commands"][: 3 - node.level] if node.level else []
            module = ".".join([*package, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted(COMMANDS.glob("*.py")), ids=lambda p: p.name)
def test_no_command_module_imports_the_cli(path):
    assert "harness.cli" not in _imported_modules(path)


def test_the_shared_module_is_not_a_command():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert "_common" not in sub.choices and "run" in sub.choices


def test_names_splits_a_comma_separated_flag():
    assert names(" a, b,,c ") == ["a", "b", "c"]
    assert names(",") == []


def test_set_texts_later_wins_and_tables_merge():
    overrides = parse_sets(
        ["archs=3", "archs=4", 'table_options={path="x"}', "table_options={verify=false}"]
    )
    assert overrides == {"archs": 4, "table_options": {"path": "x", "verify": False}}
    with pytest.raises(ConfigError, match="--set expects key=value, got 'archs'"):
        parse_sets(["archs"])


def _args(command: str, *argv: str):
    return cli.build_parser().parse_args([command, *argv])


def test_run_flags_equal_the_set_texts_they_stand_for():
    args = _args(
        "run",
        *("--archs", "7", "--proxies", "snip,synflow", "--device", "cpu", "--executor"),
        *("serial", "--workers", "2", "--failures", "drop", "--seed", "5", "--no-verify"),
        *("--bad-truth", "drop", "--set", "input.batch_size=8", "--set", "archs=9"),
    )
    texts = [
        "archs=7",
        'proxies="snip,synflow"',
        'device="cpu"',
        'executor="serial"',
        "workers=2",
        'failures="drop"',
        "seed=5",
        "table_options.verify=false",
        'table_options.bad_truth="drop"',
        "input.batch_size=8",
        "archs=9",
    ]
    assert load_run_config(None, run.overrides_from(args)) == load_run_config(None, texts)


def test_search_flags_equal_the_set_texts_they_stand_for():
    args = _args(
        "search",
        *("--budget", "30", "--seeds", "3", "--strategies", "rea, random", "--estimators"),
        *("oracle,noisy:1", "--device", "cpu", "--seed", "2", "--trust-pickle"),
        *("--set", "rea.sample=5"),
    )
    texts = [
        "budget=30",
        "seeds=3",
        'strategies=["rea", "random"]',
        'estimators=["oracle", "noisy:1"]',
        'proxy.device="cpu"',
        "seed=2",
        "table_options.trust_pickle=true",
        "rea.sample=5",
    ]
    assert load_search_config(None, search.overrides_from(args)) == load_search_config(None, texts)


def test_distill_flags_equal_the_set_texts_they_stand_for():
    args = _args("distill", "--device", "cpu", "--seed", "3", "--set", "rdnas.teacher=synflow")
    texts = ["seed=3", 'device="cpu"', 'rdnas.teacher="synflow"']
    assert load_distill_config(None, distill.overrides_from(args)) == load_distill_config(
        None, texts
    )


def test_combine_flags_equal_the_set_texts_they_stand_for():
    args = _args(
        "combine",
        *("--archs", "40", "--results", "r.json", "--ks", "10,20", "--splits", "2"),
        *("--models", "ridge,gbt", "--transfer", "cifar100", "--no-leakage"),
        *("--set", "combine.splits=5", "--set", "combine.min_held_out=3"),
    )
    texts = [
        "archs=40",
        "combine.splits=5",
        "combine.min_held_out=3",
        'combine.results="r.json"',
        'combine.scores="results"',
        "combine.ks=[10, 20]",
        "combine.splits=2",
        'combine.models=["ridge", "gbt"]',
        'combine.transfer=["cifar100"]',
        "combine.leakage=false",
    ]
    assert load_combine_config(None, combine.overrides_from(args)) == load_combine_config(
        None, texts
    )


def test_a_malformed_combine_set_names_the_combine_key():
    args = _args("combine", "--set", "combine.splits")
    with pytest.raises(ConfigError, match="--set expects combine.key=value"):
        combine.overrides_from(args)
