"""Plugin proxies: entry points of installed packages and --include files, one registry."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.proxies import base, compute_proxies, get_proxy, list_proxies, plugins
from harness.proxies.plugins import PluginError, load_includes, proxy_origins

GOOD = """
from harness.proxies import register_proxy

@register_proxy(name="{name}", version="3", description="a test plugin", needs=("data",))
def {name}(ctx):
    return float(ctx.images.abs().sum())
"""


@pytest.fixture
def registry(monkeypatch):
    """Restore the registry, the plugin loader's state and sys.modules/sys.path after."""
    saved = base.PROXIES.snapshot()
    included = dict(plugins._INCLUDED)
    state, failure = dict(plugins._state), list(plugins._failure)
    modules, path = set(sys.modules), list(sys.path)
    monkeypatch.delenv(plugins.SKIP_ENV, raising=False)
    yield
    base.PROXIES.restore(saved)
    plugins._INCLUDED.clear()
    plugins._INCLUDED.update(included)
    plugins._state.update(state)
    plugins._failure[:] = failure
    for name in set(sys.modules) - modules:
        del sys.modules[name]
    sys.path[:] = path
    plugins._top_level_index.cache_clear()
    plugins._files_of.cache_clear()


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


# -- --include files -----------------------------------------------------------------------


def test_an_included_file_registers_like_a_builtin(registry, tmp_path, make_context):
    file = _write(tmp_path / "mine.py", GOOD.format(name="test_inc_sum"))
    assert load_includes([file]) == [file.resolve()]
    spec = get_proxy("test_inc_sum")
    assert "test_inc_sum" in list_proxies("test_inc*")
    assert spec.origin.kind == "file" and spec.origin.name == str(file.resolve())
    assert len(spec.origin.sha256) == 64 and spec.version == spec.store_version == "3"
    outcome = compute_proxies(["test_inc_sum", "snip"], make_context(0))["test_inc_sum"]
    assert outcome.status == "ok" and outcome.score > 0
    assert proxy_origins(["snip", "test_inc_sum"]) == {"test_inc_sum": spec.origin.to_dict()}


def test_a_file_runs_once_per_process(registry, tmp_path):
    log = tmp_path / "runs.log"
    text = GOOD.format(name="test_inc_once") + f"\nopen({str(log)!r}, 'a').write('x')\n"
    file = _write(tmp_path / "once.py", text)
    load_includes([file])
    load_includes([file, str(file)])
    assert log.read_text() == "x"


def test_a_folder_loads_its_py_files_in_name_order(registry, tmp_path):
    _write(tmp_path / "plug" / "b.py", GOOD.format(name="test_inc_b"))
    _write(tmp_path / "plug" / "a.py", GOOD.format(name="test_inc_a"))
    _write(tmp_path / "plug" / "_private.py", "raise RuntimeError('never loaded')")
    _write(tmp_path / "plug" / "notes.txt", "not python")
    files = load_includes([tmp_path / "plug"])
    assert [f.name for f in files] == ["a.py", "b.py"]
    assert get_proxy("test_inc_a").origin.name.endswith("a.py")


def test_worker_processes_load_the_file_under_every_seed(registry, tmp_path):
    # each seed's scoring plan carries the include files, so a fresh worker process
    # (executor "processes") knows the plugin's proxy whichever seed it scores
    from harness.config import load_run_config
    from harness.experiment import run_experiment

    file = _write(tmp_path / "mine.py", GOOD.format(name="test_inc_seeds"))
    config = load_run_config(
        None,
        [
            "archs=3",
            'proxies=["test_inc_seeds", "params"]',
            f"include=[{str(file)!r}]",
            "seeds=[0, 1]",
            'executor="processes"',
            "workers=1",
            f"store={str(tmp_path / 'scores.sqlite')!r}",
            'input.source="synthetic"',
            "input.batch_size=8",
            "bootstrap_resamples=20",
        ],
    )
    outcome = run_experiment(config, data_dir=None, run_id="seeds", progress=False)
    assert outcome.computed_archs == 6
    document = outcome.document
    (row,) = [r for r in document.rows if r.proxy == "test_inc_seeds"]
    assert row.extra["statuses"] == {"ok": 6, "nan": 0, "error": 0}
    assert row.extra["proxy_origin"]["kind"] == "file"
    assert document.config["resolved"]["seeds"] == [0, 1]
    assert document.config["resolved"]["include_files"] == [str(file.resolve())]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "absent.py", "no such file or folder"),
        (lambda d: _write(d / "x.txt", "1"), "not a .py file"),
        (lambda d: (d / "empty").mkdir() or d / "empty", "holds no .py files"),
        (lambda d: _write(d / "boom.py", "import no_such_module_xyz"), "ModuleNotFoundError"),
        (lambda d: _write(d / "syntax.py", "def (:"), "SyntaxError"),
        (lambda d: _write(d / "nothing.py", "x = 1"), "registers no proxy"),
        (
            lambda d: _write(
                d / "needs.py",
                GOOD.format(name="test_inc_bad").replace('("data",)', '("telepathy",)'),
            ),
            "unknown needs",
        ),
    ],
)
def test_a_bad_include_is_one_line_naming_it(registry, tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(PluginError, match=message) as caught:
        load_includes([path])
    text = str(caught.value)
    assert "\n" not in text and Path(path).name in text


def test_a_clash_with_a_builtin_is_an_error(registry, tmp_path):
    file = _write(tmp_path / "clash.py", GOOD.format(name="snip"))
    with pytest.raises(PluginError, match="'snip', which is a built-in proxy.*overrides=True"):
        load_includes([file])
    assert get_proxy("snip").origin.builtin


def test_a_declared_override_replaces_the_builtin_and_says_so(registry, tmp_path):
    text = GOOD.format(name="snip").replace('needs=("data",)', 'needs=("data",), overrides=True')
    file = _write(tmp_path / "override.py", text)
    builtin = get_proxy("snip")
    load_includes([file])
    spec = get_proxy("snip")
    assert spec.overridden is builtin and spec.origin.kind == "file"
    # never the built-in's stored scores: the store key's version is tagged by origin
    assert spec.store_version == f"3+override.{spec.origin.sha256[:12]}"
    origin = proxy_origins(["snip"])["snip"]
    assert origin["overrides"] == {"origin": "builtin", "version": builtin.version}
    assert any("OVERRIDES the built-in snip" in n for n in plugins.origin_notes(["snip"]))


def test_two_plugins_cannot_claim_one_name(registry, tmp_path):
    text = GOOD.format(name="test_inc_twice")
    load_includes([_write(tmp_path / "one.py", text)])
    with pytest.raises(PluginError, match="already registered by file .*one.py"):
        load_includes([_write(tmp_path / "two.py", text.replace('"3"', '"4"'))])


def test_overrides_replaces_only_a_builtin(registry, tmp_path):
    load_includes([_write(tmp_path / "one.py", GOOD.format(name="test_inc_own"))])
    text = GOOD.format(name="test_inc_own").replace("needs=", "overrides=True, needs=")
    with pytest.raises(PluginError, match="already registered"):
        load_includes([_write(tmp_path / "two.py", text)])


def test_fails_on_conditions_are_checked(registry):
    with pytest.raises(ValueError, match="unknown condition 'tuesdays'"):
        base.register_proxy(name="t", version="1", description="t", fails_on={"tuesdays": "x"})
    with pytest.raises(ValueError, match="needs a reason"):
        base.register_proxy(name="t", version="1", description="t", fails_on={"no_path": ""})
    base.register_proxy(name="test_fails", version="1", description="t",
                        fails_on={"space:nb101": "why"})(lambda ctx: 1.0)  # fmt: skip
    spec = get_proxy("test_fails")
    assert spec.expected_failure({"space:nb101"}) == "space:nb101: why"
    assert spec.expected_failure({"space:nb201", "no_path"}) is None
    # several conditions met: the whole space's reason is the one given
    ntk = get_proxy("ntk_cond")
    assert ntk.expected_failure({"space:nb101", "parameter_free"}).startswith("space:nb101:")
    assert ntk.expected_failure({"space:darts", "parameter_free"}).startswith("parameter_free:")


# -- installed packages (entry points) -------------------------------------------------------


def _package(root: Path, dist: str, module: str, body: str, entry: str) -> None:
    """A distribution on sys.path without pip: its module and a dist-info folder."""
    _write(root / module / "__init__.py", body)
    info = root / f"{dist.replace('-', '_')}-0.7.1.dist-info"
    _write(info / "METADATA", f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.7.1\n")
    _write(info / "entry_points.txt", f"[harness.proxies]\n{entry}\n")
    _write(info / "RECORD", f"{module}/__init__.py,,\n")
    sys.path.insert(0, str(root))
    plugins._state["loaded"] = False
    plugins._failure.clear()
    plugins._top_level_index.cache_clear()


def test_an_installed_package_is_loaded_once_on_first_use(registry, tmp_path):
    log = tmp_path / "imports.log"
    body = GOOD.format(name="test_ep_sum") + f"\nopen({str(log)!r}, 'a').write('x')\n"
    _package(tmp_path, "test-ep-pkg", "test_ep_pkg", body, "test_ep_sum = test_ep_pkg")
    assert "test_ep_pkg" not in sys.modules  # lazily: nothing imported yet
    assert "test_ep_sum" in list_proxies()
    spec = get_proxy("test_ep_sum")
    assert spec.origin.kind == "package"
    assert (spec.origin.name, spec.origin.version) == ("test-ep-pkg", "0.7.1")
    assert spec.origin.entry_point == "test_ep_sum = test_ep_pkg"
    get_proxy("snip")
    list_proxies()
    assert log.read_text() == "x"


def test_an_entry_naming_a_function(registry, tmp_path):
    _package(tmp_path, "test-ep-fn", "test_ep_fn", GOOD.format(name="test_ep_fn_sum"),
             "test_ep_fn_sum = test_ep_fn:test_ep_fn_sum")  # fmt: skip
    assert get_proxy("test_ep_fn_sum").origin.entry_point.endswith(":test_ep_fn_sum")


def test_a_broken_package_is_one_line_naming_it_every_time(registry, tmp_path, monkeypatch):
    body = "import no_such_dependency_xyz\n"
    _package(tmp_path, "test-ep-broken", "test_ep_broken", body, "broken = test_ep_broken")
    for _ in range(2):  # raised again by every later use: no run with a plugin missing
        with pytest.raises(PluginError) as caught:
            get_proxy("snip")
        text = str(caught.value)
        assert "\n" not in text and isinstance(caught.value, HarnessError)
        assert "test-ep-broken 0.7.1" in text and "No module named 'no_such_dependency_xyz'" in text
        assert f"{plugins.SKIP_ENV}=test-ep-broken" in text
    monkeypatch.setenv(plugins.SKIP_ENV, "test-ep-broken")
    plugins._state["loaded"] = False
    plugins._failure.clear()
    assert get_proxy("snip").origin.builtin


def test_an_entry_that_registers_nothing(registry, tmp_path):
    _package(tmp_path, "test-ep-empty", "test_ep_empty", "x = 1\n", "empty = test_ep_empty")
    with pytest.raises(PluginError, match="registers no proxy"):
        list_proxies()


def test_a_package_clashing_with_a_builtin(registry, tmp_path):
    _package(tmp_path, "test-ep-clash", "test_ep_clash", GOOD.format(name="params"),
             "params = test_ep_clash")  # fmt: skip
    with pytest.raises(PluginError, match="package test-ep-clash 0.7.1 registers proxy 'params'"):
        list_proxies()
