"""The `[combine]` table: defaults, one file for `harness run` and `harness combine`,
overrides, one-line errors."""

from __future__ import annotations

import pytest

from harness.combine.config import DEFAULT_KS, CombineConfig, load_combine_config
from harness.config import load_run_config
from harness.errors import ConfigError


def _write(tmp_path, text: str):
    path = tmp_path / "c.toml"
    path.write_text(text)
    return path


def test_defaults_are_the_issues_ks_and_all_models():
    run, config = load_combine_config(None)
    assert config == CombineConfig()
    assert DEFAULT_KS == (10, 20, 50, 100, 200)
    assert config.models == ("ridge", "logistic", "pairwise", "gbt")
    assert config.resolved_seed(run) == run.seed


def test_a_run_config_with_a_combine_table_serves_both_commands(tmp_path):
    path = _write(
        tmp_path,
        '[run]\narchs = 50\nproxies = ["params", "flops"]\n'
        '[combine]\nks = [20, 10, 20]\nsplits = 3\nmodels = "ridge, gbt"\nseed = 9\n'
        'transfer = ["cifar100"]\n',
    )
    assert load_run_config(path).archs == 50  # harness run ignores [combine]
    run, config = load_combine_config(path, ["combine.splits=5", "archs=40"])
    assert run.archs == 40
    assert config.ks == (10, 20) and config.splits == 5 and config.models == ("ridge", "gbt")
    assert config.transfer == ("cifar100",) and config.resolved_seed(run) == 9


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[combine]\nsplts = 3\n", "did you mean splits"),
        ("[combine]\nks = [1]\n", "integers >= 2"),
        ("[combine]\nks = []\n", "list of integers"),
        ('[combine]\nscores = "guessed"\n', "computed, reference, results"),
        ('[combine]\nscores = "results"\n', "goes with"),
        ("[combine]\nsplits = 0\n", "splits must be >= 1"),
        ("[combine]\nconfidence = 1.5\n", "confidence"),
        ("[combine]\nleakage = 1\n", "true or false"),
        ("[combine]\nmodels = []\n", "at least one model"),
        ("combine = 3\n", "must be a table"),
    ],
)
def test_bad_combine_settings_are_one_line_errors_naming_the_file(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_combine_config(path)
    assert "\n" not in str(caught.value)


def test_a_bad_override_is_a_config_error():
    with pytest.raises(ConfigError, match="combine.key=value"):
        load_combine_config(None, ["combine.splits"])
