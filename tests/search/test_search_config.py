"""Search config: defaults, TOML sections, --set overrides, estimator specs, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ConfigError, UnknownNameError
from harness.search.config import EstimatorSpec, SearchConfig, load_search_config

REPO = Path(__file__).resolve().parents[2]


def test_defaults():
    config = load_search_config()
    assert config == SearchConfig()
    assert (config.budget, config.seeds, config.estimators) == (1000, 20, ("oracle",))
    assert config.strategies == ("relativenas", "rea", "random")
    assert config.proxy.store == "reports/scores.sqlite"
    assert (config.proxy.input.source, config.proxy.input.batch_size) == ("auto", 64)
    assert config.seed_list == tuple(range(20))


def test_toml_sections_then_overrides(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        '[search]\nbudget = 50\nestimators = ["oracle", "noisy:2"]\n'
        "[rea]\nsample = 3\n[proxy]\nseed = 4\n[proxy.input]\nbatch_size = 16\n"
    )
    config = load_search_config(path, ["seeds=3", "rea.population=9", "estimators=proxy:nwot"])
    assert (config.budget, config.seeds) == (50, 3)
    assert (config.rea.sample, config.rea.population) == (3, 9)
    assert (config.proxy.seed, config.proxy.input.batch_size) == (4, 16)
    assert config.estimator_specs() == [EstimatorSpec("proxy", "nwot")]
    assert config.strategy_options("rea") == {"population": 9, "sample": 3, "stall_proposals": 1000}


@pytest.mark.parametrize("name", ["search_nb201.toml", "search_nb201_proxies.toml"])
def test_shipped_configs_load(name):
    config = load_search_config(REPO / "benchmarks" / name)
    assert config.budget == 100


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("oracle", EstimatorSpec("oracle")),
        ("noisy:1.5", EstimatorSpec("noisy", "1.5")),
        ("lowfi", EstimatorSpec("lowfi")),
        ("lowfi:cifar10-valid/valid/12", EstimatorSpec("lowfi", "cifar10-valid/valid/12")),
        (" proxy : synflow ", EstimatorSpec("proxy", "synflow")),
        ("supernet:ckpt/s.pt", EstimatorSpec("supernet", "ckpt/s.pt")),
    ],
)
def test_estimator_specs_parse(text, spec):
    assert EstimatorSpec.parse(text) == spec


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        (["budget=0"], "budget"),
        (["seeds=-1"], "seeds"),
        (["estimators=magic"], "magic"),
        (["estimators=noisy:loud"], "noise sd"),
        (["estimators=noisy:-1"], "noise sd"),
        (["estimators=proxy"], "needs an argument"),
        (["estimators=oracle:x"], "no argument"),
        (["estimators=oracle,oracle"], "twice"),
        (["relativenas.population=7"], "relativenas.population"),
        (["rea.sample=30"], "rea"),
        (["ops=three"], "ops"),
        (["duplicate_policy=ignore"], "duplicate_policy"),
        (["budgett=3"], "budgett"),
        (["proxy.input.batch_size=0"], "batch_size"),
    ],
)
def test_bad_values_are_one_line_config_errors(overrides, needle):
    with pytest.raises(ConfigError) as info:
        load_search_config(None, overrides)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_strategy_suggests_a_name():
    with pytest.raises(UnknownNameError, match="did you mean random"):
        load_search_config(None, ["strategies=randum"])
