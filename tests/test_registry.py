"""The generic registry (harness.registry) and the kinds of named things built on it."""

from __future__ import annotations

import sys
import textwrap
import warnings

import pytest

from harness.errors import UnknownNameError
from harness.registry import DuplicateNameError, Registry, package_modules


def test_register_as_decorator_returns_the_object_and_registers_it():
    registry: Registry[object] = Registry("widget")

    @registry.register("spin")
    def spin() -> str:
        return "spun"

    assert spin() == "spun"
    assert registry["spin"] is spin
    assert registry.register("turn", len) is len
    assert list(registry) == ["spin", "turn"]  # registration order
    assert "turn" in registry and "twist" not in registry
    assert registry.get("twist") is None and len(registry) == 2


def test_a_duplicate_warns_and_the_later_one_wins():
    registry: Registry[int] = Registry("widget")
    registry.register("a", 1)
    with pytest.warns(UserWarning, match="widget 'a' registered twice; the later one wins"):
        registry.register("a", 2)
    assert registry["a"] == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        registry.register("a", 3, replace=True)  # an explicit replacement is silent
    assert registry["a"] == 3


def test_duplicate_policies_error_and_replace_and_custom_message():
    strict: Registry[int] = Registry("gadget", on_duplicate="error")
    strict.register("a", 1)
    with pytest.raises(DuplicateNameError, match="gadget 'a' registered twice"):
        strict.register("a", 2)
    assert strict["a"] == 1
    quiet: Registry[int] = Registry("gadget", on_duplicate="replace")
    quiet.register("a", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet.register("a", 2)
    assert quiet["a"] == 2
    custom: Registry[int] = Registry("table", duplicate_message="{kind} {name!r} again")
    custom.register("t", 1)
    with pytest.warns(UserWarning, match="^table 't' again$"):
        custom.register("t", 2)


def test_a_duplicate_warning_points_at_the_caller():
    registry: Registry[int] = Registry("widget")
    registry.register("a", 1)
    with pytest.warns(UserWarning) as caught:
        registry.register("a", 2)
    assert caught[0].filename == __file__


def test_glob_listing_is_sorted_and_case_sensitive():
    registry: Registry[int] = Registry("widget")
    for i, name in enumerate(["syn_b", "Syn_c", "syn_a", "other"]):
        registry.register(name, i)
    assert registry.names() == ["Syn_c", "other", "syn_a", "syn_b"]
    assert registry.names("syn*") == ["syn_a", "syn_b"]
    assert registry.names("syn_[ab]") == ["syn_a", "syn_b"]
    assert registry.names("nothing*") == []


def test_an_unknown_name_is_a_did_you_mean_unknown_name_error():
    registry: Registry[int] = Registry("search space")
    for name in ("nb201", "darts", "nb101"):
        registry.register(name, 0)
    with pytest.raises(UnknownNameError) as caught:
        registry["nb2011"]
    assert str(caught.value) == (
        "unknown search space 'nb2011'; did you mean nb201, nb101? (known: darts, nb101, nb201)"
    )
    assert isinstance(caught.value, KeyError)
    assert (caught.value.kind, caught.value.name) == ("search space", "nb2011")
    assert str(registry.unknown("zzz")) == "unknown search space 'zzz' (known: darts, nb101, nb201)"


def test_discovery_runs_once_and_only_on_first_read():
    calls = []
    registry: Registry[int] = Registry("widget", discover=lambda: calls.append(1))
    registry.register("early", 0)  # a write does not discover
    assert calls == [] and not registry.discovered
    assert registry.peek("early") == 0 and calls == []  # nor does peek
    assert registry.snapshot() == {"early": 0} and calls == []
    assert registry["early"] == 0
    assert calls == [1] and registry.discovered
    registry.names()
    list(registry)
    _ = "x" in registry
    with pytest.raises(UnknownNameError):
        registry["x"]
    assert calls == [1]


def test_discovery_registers_built_ins_and_a_lookup_inside_it_does_not_recurse():
    calls = []

    def discover() -> None:
        calls.append(1)
        registry.register("builtin", 1)
        assert registry.names() == ["builtin"]  # no second discovery while running

    registry: Registry[int] = Registry("widget", discover=discover)
    assert registry.names() == ["builtin"] and calls == [1]


def test_a_failed_discovery_is_tried_again():
    attempts = []

    def discover() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("not yet")

    registry: Registry[int] = Registry("widget", discover=discover)
    with pytest.raises(RuntimeError):
        registry.names()
    assert registry.names() == [] and len(attempts) == 2
    registry.names()
    assert len(attempts) == 2


def test_discovery_imports_modules_of_a_package(tmp_path, monkeypatch):
    package = tmp_path / "regpkg_i16"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from harness.registry import Registry, package_modules\n"
        "THINGS = Registry('thing', discover=package_modules(__name__))\n"
    )
    for name in ("beta", "alpha"):
        (package / f"{name}.py").write_text(
            textwrap.dedent(f"""
                from regpkg_i16 import THINGS
                THINGS.register("{name}", "{name}!")
            """)
        )
    (package / "_private.py").write_text("raise RuntimeError('never imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        import regpkg_i16

        assert "regpkg_i16.alpha" not in sys.modules  # nothing imported before first use
        assert regpkg_i16.THINGS.names() == ["alpha", "beta"]
        assert regpkg_i16.THINGS["beta"] == "beta!"
        assert package_modules("regpkg_i16")() == ["alpha", "beta"]
    finally:
        for name in [m for m in sys.modules if m.startswith("regpkg_i16")]:
            del sys.modules[name]


def test_module_paths_as_discovery(tmp_path, monkeypatch):
    (tmp_path / "regmod_i16.py").write_text("IMPORTED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("regmod_i16", None)
    registry: Registry[int] = Registry("listed thing", discover=["regmod_i16"])
    try:
        registry.register("early", 1)
        assert "regmod_i16" not in sys.modules
        assert registry.names() == ["early"]
        assert sys.modules["regmod_i16"].IMPORTED
    finally:
        sys.modules.pop("regmod_i16", None)


def test_snapshot_restore_and_unregister():
    registry: Registry[int] = Registry("widget")
    registry.register("a", 1)
    saved = registry.snapshot()
    registry.register("b", 2)
    assert registry.unregister("a") == 1 and registry.unregister("a") is None
    registry.restore(saved)
    assert dict(registry) == {"a": 1}


# -- the kinds built on it ---------------------------------------------------------------


def test_every_kind_uses_a_registry_with_its_own_name_in_messages():
    from harness.commands import COMMANDS
    from harness.execution import EXECUTORS, executor_names
    from harness.inputs import SOURCES, list_sources
    from harness.proxies.base import PROXIES
    from harness.search.strategies import STRATEGIES, list_strategies
    from harness.spaces import SPACES, list_spaces
    from harness.tables._registry import TABLES

    kinds = {
        "proxy": PROXIES,
        "table": TABLES,
        "search space": SPACES,
        "input source": SOURCES,
        "executor": EXECUTORS,
        "search strategy": STRATEGIES,
        "command": COMMANDS,
    }
    for kind, registry in kinds.items():
        assert isinstance(registry, Registry) and registry.kind == kind
        with pytest.raises(UnknownNameError, match=f"^unknown {kind} 'no-such'"):
            registry["no-such"]
    assert executor_names() == ("serial", "processes", "dask")
    assert list_strategies() == ["relativenas", "rea", "random"]
    assert list_spaces() == ["darts", "nb101", "nb201"]
    assert "synthetic" in list_sources() and "cifar10" in list_sources()
    assert {"run", "proxies", "tables"} <= set(COMMANDS.names())


def test_the_network_builders_come_from_the_one_space_registry():
    from harness.spaces import SPACES
    from harness.spaces.networks import list_variants

    assert SPACES["nb201"].builder().__name__ == "harness.spaces.nb201_network"
    assert list_variants("nb201")[0] == "as_trained"
    with pytest.raises(UnknownNameError, match="unknown search space 'nb2011'; did you mean"):
        list_variants("nb2011")


def test_the_executor_names_come_from_the_registry():
    from harness.config import load_run_config
    from harness.errors import ConfigError
    from harness.execution import EXECUTORS

    with pytest.raises(ConfigError, match="executor must be serial, processes or dask, got 'x'"):
        load_run_config(None, ['executor="x"'])
    EXECUTORS.register("ray", EXECUTORS["serial"])
    try:
        assert load_run_config(None, ['executor="ray"']).executor == "ray"
    finally:
        EXECUTORS.unregister("ray")
