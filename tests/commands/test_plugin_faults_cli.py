"""Issue 27: plugin code cannot end, stall or fool a run.

A plugin that calls sys.exit at import is an error naming it; a proxy that loops for ever
is stopped at its time limit and recorded as a failure; one that returns a string or None
is recorded as a failure with the reason; the run goes on and writes its results. A
plugin proxy that ends its process under `--executor serial` (scored in a child process)
is a recorded failure too, unless HARNESS_PLUGINS_IN_PROCESS=1. (A crashing worker of the
process executor: tests/execution/test_process_faults.py; the serial executor's child:
tests/execution/test_serial_isolation.py.)
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from importlib import metadata
from pathlib import Path

import pytest

from harness.cli import main
from harness.execution.isolation import IN_PROCESS_ENV
from harness.proxies import base
from harness.proxies.plugins import PluginError, _load_entry_point

PLUGIN = textwrap.dedent(
    """
    from harness.proxies import register_proxy

    @register_proxy(name="pf_loops", version="1", description="never returns")
    def pf_loops(ctx):
        while True:
            pass

    @register_proxy(name="pf_text", version="1", description="a string")
    def pf_text(ctx):
        return "1.5"

    @register_proxy(name="pf_none", version="1", description="None")
    def pf_none(ctx):
        return None
    """
)
CRASH_PLUGIN = textwrap.dedent(
    """
    import os
    from harness.proxies import register_proxy

    @register_proxy(name="crash_exit", version="1", description="os._exit(7)")
    def crash_exit(ctx):
        os._exit(7)
    """
)
RUN = ["run", "--archs", "3", "--executor", "serial", "--no-progress",
       "--set", 'input.source="synthetic"', "--set", "input.batch_size=4"]  # fmt: skip


@pytest.fixture
def plugin(tmp_path):
    path = tmp_path / "faulty.py"
    path.write_text(PLUGIN)
    yield path
    for name in ("pf_loops", "pf_text", "pf_none"):
        if name in base.PROXIES:
            base.PROXIES.unregister(name)


def _errors(store) -> dict[str, set[str]]:
    with sqlite3.connect(store) as conn:
        rows = conn.execute("SELECT proxy, status, error FROM scores").fetchall()
    found: dict[str, set[str]] = {}
    for proxy, status, error in rows:
        found.setdefault(proxy, set()).add(f"{status}: {error}")
    return found


def test_a_looping_proxy_is_stopped_at_its_limit_and_the_run_goes_on(plugin, tmp_path, capsys):
    store, out = tmp_path / "s.sqlite", tmp_path / "out"
    started = time.monotonic()
    argv = [*RUN, "--proxies", "params,pf_loops", "--include", str(plugin),
            "--proxy-timeout", "0.5", "--set", f'store="{store}"']  # fmt: skip
    code = main([*argv, "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert time.monotonic() - started < 120
    rows = {r["proxy"]: r for r in json.loads((out / "results.json").read_text())["rows"]}
    assert rows["pf_loops"]["n_failed"] == 3 and rows["params"]["n_failed"] == 0
    assert _errors(store)["pf_loops"] == {"error: timed out after 0.5 s (proxy_timeout)"}
    config = json.loads((out / "results.json").read_text())["config"]
    assert config["proxy_timeout"] == 0.5  # recorded when set


def test_a_per_proxy_limit_overrides_the_default(plugin, tmp_path, capsys):
    store = tmp_path / "s.sqlite"
    code = main([*RUN, "--proxies", "pf_loops", "--include", str(plugin),
                 "--set", "proxy_timeouts.pf_loops=0.3", "--set", f'store="{store}"',
                 "--out", str(tmp_path / "out")])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert _errors(store)["pf_loops"] == {"error: timed out after 0.3 s (proxy_timeout)"}


def test_a_proxy_returning_text_or_none_is_a_recorded_failure(plugin, tmp_path, capsys):
    store = tmp_path / "s.sqlite"
    code = main([*RUN, "--proxies", "pf_text,pf_none", "--include", str(plugin),
                 "--set", f'store="{store}"', "--out", str(tmp_path / "out")])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    errors = _errors(store)
    assert errors["pf_text"] == {"error: TypeError: returned str '1.5', not a real number"}
    assert errors["pf_none"] == {"error: TypeError: returned NoneType None, not a real number"}


def test_the_default_limit_is_not_recorded(tmp_path, capsys):
    out = tmp_path / "out"
    code = main([*RUN, "--proxies", "params", "--set", f'store="{tmp_path / "s.sqlite"}"',
                 "--out", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    config = json.loads((out / "results.json").read_text())["config"]
    assert "proxy_timeout" not in config and "proxy_timeouts" not in config


@pytest.fixture
def crash_plugin(tmp_path):
    path = tmp_path / "crashes.py"
    path.write_text(CRASH_PLUGIN)
    yield path
    if "crash_exit" in base.PROXIES:
        base.PROXIES.unregister("crash_exit")


@pytest.mark.timeout(300)
def test_a_serial_run_records_a_plugin_ending_its_process_and_completes(
    crash_plugin, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # where a staging folder would be left behind
    monkeypatch.delenv(IN_PROCESS_ENV, raising=False)
    store, out = tmp_path / "s.sqlite", tmp_path / "out"
    code = main([*RUN[:2], "2", *RUN[3:], "--proxies", "params,crash_exit", "--include",
                 str(crash_plugin), "--set", f'store="{store}"', "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    rows = {r["proxy"]: r for r in json.loads((out / "results.json").read_text())["rows"]}
    assert rows["crash_exit"]["n_failed"] == 2 and rows["params"]["n_failed"] == 0
    with sqlite3.connect(store) as conn:
        found = conn.execute("SELECT arch, proxy, status, error FROM scores").fetchall()
    crashed = {
        (arch, status, error) for arch, proxy, status, error in found if proxy == "crash_exit"
    }
    assert crashed == {
        (arch, "error", f"proxy crash_exit crashed on architecture {arch} (exit code 7)")
        for arch, *_ in found
    }
    assert {status for _, proxy, status, _ in found if proxy == "params"} == {"ok"}
    assert err.count("proxy crash_exit crashed on architecture") == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".harness-partial")] == []


@pytest.mark.timeout(300)
def test_plugins_in_process_end_the_serial_run_with_them(crash_plugin, tmp_path):
    """HARNESS_PLUGINS_IN_PROCESS=1 (to debug a plugin) scores it in the run's process."""
    store, out = tmp_path / "s.sqlite", tmp_path / "out"
    argv = [*RUN, "--proxies", "params,crash_exit", "--include", str(crash_plugin),
            "--set", f'store="{store}"', "--out", str(out)]  # fmt: skip
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": root, IN_PROCESS_ENV: "1"}
    done = subprocess.run([sys.executable, "-m", "harness.cli", *argv], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240)  # fmt: skip
    assert done.returncode == 7, done.stderr
    assert "crashed on architecture" not in done.stderr
    assert not out.exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".harness-partial")]  # left


def test_an_installed_plugin_calling_sys_exit_is_named(tmp_path, monkeypatch):
    (tmp_path / "exits_at_import.py").write_text("import sys\nsys.exit(3)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    entry = metadata.EntryPoint(name="exits", value="exits_at_import", group="harness.proxies")
    with pytest.raises(PluginError, match=r"called sys.exit\(3\) while loading: a plugin may"):
        _load_entry_point(entry)


@pytest.mark.slow  # fresh processes: about half a minute each
@pytest.mark.parametrize(
    ("proxy", "says"),
    [
        ("pf_loops", "timed out after 2 s (proxy_timeout)"),
        ("pf_exit", "its process crashed (exit code 7) while scoring pf_exit on nb201"),
    ],
)
def test_check_reports_a_proxy_that_hangs_or_crashes_as_broken(tmp_path, capsys, proxy, says):
    path = tmp_path / "faulty_check.py"
    path.write_text(
        PLUGIN + textwrap.dedent(
            """
            import os

            @register_proxy(name="pf_exit", version="1", description="os._exit")
            def pf_exit(ctx):
                os._exit(7)
            """
        )
    )  # fmt: skip
    try:
        code = main(["check", proxy, "--include", str(path), "--space", "nb201",
                     "--proxy-timeout", "2", "--no-progress", "--no-memory"])  # fmt: skip
    finally:
        for name in ("pf_loops", "pf_text", "pf_none", "pf_exit"):
            if name in base.PROXIES:
                base.PROXIES.unregister(name)
    out = capsys.readouterr().out
    assert code == 1, out
    assert f"FAIL {proxy} · architectures:" in out and says in out
