"""Run configuration: embedded default, TOML files and --set overrides."""

from __future__ import annotations

import pytest

from harness.config import RunConfig, load_run_config
from harness.errors import ConfigError
from harness.tables import table_info


def test_embedded_default_is_the_documented_run():
    config = load_run_config()
    assert config == RunConfig()
    assert (config.table, config.target, config.archs, config.unique) == (
        "nb201-csv",
        "",  # the table's default target: nb201-csv declares cifar10/test/200
        200,
        True,
    )
    assert table_info(config.table).default_target == "cifar10/test/200"
    assert config.proxies == ("standard",)
    assert (config.input.source, config.input.batch_size) == ("auto", 64)


def test_toml_file_then_overrides(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        '[run]\narchs = 12\nproxies = ["synflow", "nwot"]\n[input]\nsource = "synthetic"\n'
    )
    config = load_run_config(path, ["archs=7", "input.batch_size=16", "proxies=params,flops"])
    assert config.archs == 7
    assert config.input.source == "synthetic"
    assert config.input.batch_size == 16
    assert config.proxies == ("params", "flops")


def test_top_level_keys_without_a_run_table(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("archs = 3\nseed = 5\n[input]\nbatch_size = 8\n")
    config = load_run_config(path)
    assert (config.archs, config.seed, config.input.batch_size) == (3, 5, 8)


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        (["archz=3"], "archz"),
        (["archs=many"], "archs"),
        (["archs=0"], "archs"),
        (["input.batch_size=true"], "input.batch_size"),
        (["input.colour=1"], "input.colour"),
        (["confidence=2"], "confidence"),
        (["noequals"], "key=value"),
        (["unique=maybe"], "unique"),
    ],
)
def test_bad_values_are_one_line_config_errors(overrides, needle):
    with pytest.raises(ConfigError) as info:
        load_run_config(None, overrides)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_run_config(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("archs = [\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_run_config(broken)


def test_seeds_from_a_file_and_from_overrides(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[run]\nseeds = [0, 1, 2]\nvary_batch = true\n")
    config = load_run_config(path)
    assert (config.seeds, config.vary_batch) == ((0, 1, 2), True)
    assert load_run_config(None, ["seeds=[3,4]"]).seeds == (3, 4)
    assert load_run_config(None, ["seeds=5,6"]).seeds == (5, 6)
    assert load_run_config().seeds == () and not load_run_config().vary_batch


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        (['seeds=["a"]'], "seeds"),
        (["seeds=[true]"], "seeds"),
        (["seeds=x,y"], "seeds"),
        (["seeds=[1,1]"], "distinct"),
        (["vary_batch=true"], "vary_batch"),
        (["seeds=[1]", "vary_batch=true"], "vary_batch"),
    ],
)
def test_bad_seeds_are_one_line_config_errors(overrides, needle):
    with pytest.raises(ConfigError) as info:
        load_run_config(None, overrides)
    assert needle in str(info.value) and "\n" not in str(info.value)


# -- files and tables the user did not mean (issue 17) ----------------------------------------
def test_a_misspelled_top_level_table_is_an_error_with_did_you_mean(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[run]\narchs = 3\n[inputs]\nbatch_size = 8\n")
    with pytest.raises(ConfigError, match=r"'inputs'; did you mean input\?") as info:
        load_run_config(path)
    assert str(info.value).startswith(f"{path}: ")


def test_a_top_level_key_beside_the_run_table_is_an_error(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("archs = 3\n[run]\nseed = 1\n")
    with pytest.raises(ConfigError, match="unknown top-level config table 'archs'"):
        load_run_config(path)


def test_config_files_that_are_folders_or_not_utf8(tmp_path):
    with pytest.raises(ConfigError, match="is a folder, not a config file"):
        load_run_config(tmp_path)
    path = tmp_path / "latin1.toml"
    path.write_bytes("[run]\n# caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_run_config(path)


def test_table_options_from_file_and_overrides_merge(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        '[run]\ntable = "generic"\n[run.table_options]\npath = "a.csv"\n'
        '[run.table_options.targets]\n"cifar10/accuracy/test/200" = "acc"\n'
    )
    config = load_run_config(path, ["table_options.space=nb201", "table_options.arch_column=a"])
    assert config.table_options == {
        "path": "a.csv",
        "targets": {"cifar10/accuracy/test/200": "acc"},
        "space": "nb201",
        "arch_column": "a",
    }
    with pytest.raises(ConfigError, match="table_options must be a table"):
        load_run_config(None, ["table_options=3"])


@pytest.mark.parametrize(
    ("override", "says"),
    [
        ("seed=-1", "seed must be an integer in 0..2\\*\\*63-1"),
        ("seed=99999999999999999999", "seed must be an integer"),
        ("sample_seed=99999999999999999999", "sample_seed must be an integer"),
        ("store_timeout=0", "store_timeout"),
        ("store_timeout=inf", "store_timeout"),
    ],
)
def test_values_no_generator_or_store_accepts(override, says):
    with pytest.raises(ConfigError, match=says):
        load_run_config(None, [override])


def test_a_negative_sample_seed_still_means_the_run_seed():
    assert load_run_config(None, ["sample_seed=-1"]).sample_seed == -1
