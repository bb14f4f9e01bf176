"""Run configuration: embedded default, TOML files and --set overrides."""

from __future__ import annotations

import pytest

from harness.config import RunConfig, load_run_config
from harness.errors import ConfigError


def test_embedded_default_is_the_documented_run():
    config = load_run_config()
    assert config == RunConfig()
    assert (config.table, config.target, config.archs, config.unique) == (
        "nb201-csv",
        "cifar10/test/200",
        200,
        True,
    )
    assert config.proxies == ("standard",)
    assert (config.input.source, config.input.batch_size) == ("fashion-mnist", 64)


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
