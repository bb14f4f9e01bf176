"""Issue 27: a proxy that kills or hangs its worker process does not end the run.

The plugin file is loaded by the driver (as `harness run --include` does) and by every
worker (the plan carries its path). A crashed worker is recorded as that proxy's failure
on that architecture, naming both, the pool is rebuilt, and the other proxies of that
architecture and the other architectures are scored as usual.
"""

from __future__ import annotations

import dataclasses
import textwrap
import time

import pytest

from harness.execution import get_executor
from harness.execution import processes as pool_module
from harness.proxies import base
from harness.proxies.plugins import load_includes

ARCHS = [
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
    "|nor_conv_1x1~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_3x3~1|none~2|",
]

PLUGIN = textwrap.dedent(
    """
    import ctypes, os, signal
    from harness.proxies import register_proxy

    @register_proxy(name="fault_exit", version="1", description="os._exit on every arch")
    def fault_exit(ctx):
        os._exit(7)

    @register_proxy(name="fault_segv", version="1", description="a segfault")
    def fault_segv(ctx):
        ctypes.string_at(0)

    @register_proxy(name="fault_deaf", version="1", description="ignores the alarm")
    def fault_deaf(ctx):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        while True:
            pass
    """
)


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    path = tmp_path_factory.mktemp("fault-plugin") / "faults.py"
    path.write_text(PLUGIN)
    load_includes([path])
    yield str(path)
    for name in ("fault_exit", "fault_segv", "fault_deaf"):
        base.PROXIES.unregister(name)


def _collect(plan, workers=2):
    out = {}

    def on_done(arch, records):
        assert arch not in out, "an architecture was reported twice"
        out[arch] = {r.key.proxy: (r.status, r.error) for r in records}

    get_executor("processes", workers=workers, threads=1).run(
        plan, [(a, list(plan.proxies)) for a in ARCHS], on_done
    )
    return out


@pytest.mark.slow  # four worker processes start (about a minute on a busy machine)
@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    ("proxy", "how"), [("fault_exit", "(exit code 7)"), ("fault_segv", "(signal SIGSEGV)")]
)
def test_a_crashing_proxy_is_recorded_per_architecture_and_the_run_goes_on(
    plugin, synthetic_plan, proxy, how, capsys
):
    plan = dataclasses.replace(synthetic_plan(("params", proxy, "l2_norm")), includes=(plugin,))
    out = _collect(plan)
    assert set(out) == set(ARCHS)
    for arch in ARCHS:
        assert out[arch]["params"] == ("ok", "")
        assert out[arch]["l2_norm"] == ("ok", "")
        status, error = out[arch][proxy]
        assert status == "error"
        assert error == f"proxy {proxy} crashed on architecture {arch} {how}"
    warnings = capsys.readouterr().err.splitlines()
    assert any(f"proxy {proxy} crashed on architecture" in w for w in warnings)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_proxy_deaf_to_its_alarm_is_killed_by_the_driver(plugin, synthetic_plan, monkeypatch):
    monkeypatch.setattr(pool_module, "KILL_GRACE", 1.0)
    plan = dataclasses.replace(
        synthetic_plan(("params", "fault_deaf")), includes=(plugin,), proxy_timeout=1.0
    )
    started = time.monotonic()
    out = _collect(plan, workers=1)
    assert time.monotonic() - started < 200
    for arch in ARCHS:
        assert out[arch]["params"] == ("ok", "")
        status, error = out[arch]["fault_deaf"]
        assert status == "error" and error.startswith("timed out after 1 s (proxy_timeout;")


class _Ended:
    def __init__(self, exitcode):
        self.exitcode = exitcode

    def join(self, timeout=None):
        return None


@pytest.mark.parametrize(
    ("exitcode", "said"),
    [
        (7, "exit code 7"),
        (-11, "signal SIGSEGV"),
        (-9, "signal SIGKILL"),
        (-15, None),
        (None, None),
    ],
)
def test_how_a_worker_died_is_said_unless_the_pool_stopped_it(exitcode, said):
    """SIGTERM is how the pool stops the other workers after one died: not a crash."""
    assert pool_module._death(_Ended(exitcode)) == said
    assert pool_module._death(None) is None
