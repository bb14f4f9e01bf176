"""The command line's contract: one line per error, exit 2 for users, 3 for bugs, never 1."""

from __future__ import annotations

import argparse

import pytest

from harness import cli
from harness.commands._common import table_policy, table_policy_overrides
from harness.errors import ConfigError


def _run_with_handler(monkeypatch, capsys, handler, *argv):
    original = cli.build_parser

    def parser_with(handler):
        parser = original()
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        sub.choices["tables"].set_defaults(handler=handler)
        return parser

    monkeypatch.setattr(cli, "build_parser", lambda: parser_with(handler))
    code = cli.main(["tables", *argv])
    return code, capsys.readouterr()


def test_a_bug_is_one_line_and_status_3_never_1(monkeypatch, capsys):
    def crash(args):
        raise TypeError("unsupported operand\nspanning lines")

    code, captured = _run_with_handler(monkeypatch, capsys, crash)
    assert code == cli.INTERNAL_ERROR_EXIT == 3
    (line,) = captured.err.splitlines()
    assert line.startswith("harness: internal error: TypeError: unsupported operand spanning")
    assert "--debug" in line
    with pytest.raises(TypeError):
        _run_with_handler(monkeypatch, capsys, crash, "--debug")


def test_a_user_error_is_one_line_and_status_2(monkeypatch, capsys):
    def refuse(args):
        raise ConfigError("bad value\nsecond line")

    code, captured = _run_with_handler(monkeypatch, capsys, refuse)
    assert code == 2
    assert captured.err.splitlines() == ["harness: error: bad value second line"]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["frobnicate"], "invalid choice"),
        (["run", "--archs", "x"], "invalid int value"),
        (["run", "--seed", "-1"], "--seed must be an integer in 0..2**63-1"),
        (["leaderboard", "--seed", str(2**63)], "--seed must be an integer"),
        (["tables", "--bad-truth", "maybe"], "invalid choice"),
    ],
)
def test_option_errors_are_one_line_without_the_usage(capsys, argv, says):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("harness: error: ") and says in line and "--help" in line


def test_table_flags_become_table_options():
    parser = cli.build_parser()
    args = parser.parse_args(["run", "--no-verify", "--trust-pickle", "--bad-truth", "drop"])
    assert table_policy(args) == {"verify": False, "trust_pickle": True, "bad_truth": "drop"}
    assert table_policy_overrides(args) == {
        "table_options.verify": False,
        "table_options.trust_pickle": True,
        "table_options.bad_truth": "drop",
    }
    assert table_policy(parser.parse_args(["run"])) == {}
