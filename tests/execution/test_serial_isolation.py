"""Issue 27 under the serial executor: plugin proxies are scored in a child process.

A plugin proxy that ends its process (`os._exit`, a segfault) is recorded as that proxy's
failure on that architecture, with the same reason as under `--executor processes`, and
the other proxies (built-in and plugin) are scored as usual. Scores are identical in and
out of process; built-ins and proxies the worker could not load stay in-process; time
limits apply to the isolated calls; `HARNESS_PLUGINS_IN_PROCESS=1` keeps plugins here.
"""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from harness.errors import ConfigError
from harness.execution import get_executor, isolation
from harness.execution.serial import SerialExecutor
from harness.proxies import base
from harness.proxies.plugins import load_includes
from harness.scoring import score_architecture

ARCHS = [
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
    "|nor_conv_1x1~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_3x3~1|none~2|",
]

PLUGIN = textwrap.dedent(
    """
    import ctypes, os
    import torch
    from harness.proxies import register_proxy

    @register_proxy(name="iso_exit", version="1", description="os._exit on every arch")
    def iso_exit(ctx):
        os._exit(7)

    @register_proxy(name="iso_segv", version="1", description="a segfault")
    def iso_segv(ctx):
        ctypes.string_at(0)

    @register_proxy(name="iso_loops", version="1", description="never returns")
    def iso_loops(ctx):
        while True:
            pass

    @register_proxy(name="iso_grad", version="1", needs=["data", "labels"],
                    description="the loss gradient's norm on the batch")
    def iso_grad(ctx):
        net = ctx.fresh_network()
        out = net(ctx.images)
        logits = out[-1] if isinstance(out, tuple) else out
        loss = torch.nn.functional.cross_entropy(logits, ctx.labels)
        grads = torch.autograd.grad(loss, [p for p in net.parameters() if p.requires_grad],
                                    allow_unused=True)
        return float(sum(g.double().pow(2).sum() for g in grads if g is not None).sqrt())
    """
)
NAMES = ("iso_exit", "iso_segv", "iso_loops", "iso_grad")


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    path = tmp_path_factory.mktemp("isolated-plugin") / "isolated.py"
    path.write_text(PLUGIN)
    load_includes([path])
    yield str(path)
    for name in NAMES:
        base.PROXIES.unregister(name)


@pytest.fixture
def pooled(monkeypatch):
    """The work the serial executor hands to its child process, call by call."""
    calls = []
    original = isolation.ProcessExecutor.run

    def spy(self, plan, work, on_done):
        calls.append([(arch, list(proxies)) for arch, proxies in work])
        return original(self, plan, work, on_done)

    monkeypatch.setattr(isolation.ProcessExecutor, "run", spy)
    return calls


def _collect(plan, executor=None):
    out = {}

    def on_done(arch, records):
        assert arch not in out, "an architecture was reported twice"
        out[arch] = records

    (executor or SerialExecutor()).run(plan, [(a, list(plan.proxies)) for a in ARCHS], on_done)
    return out


def _outcomes(out):
    return {arch: {r.key.proxy: (r.status, r.error) for r in rs} for arch, rs in out.items()}


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    ("proxy", "how"),
    [
        ("iso_exit", "(exit code 7)"),
        pytest.param("iso_segv", "(signal SIGSEGV)", marks=pytest.mark.slow),
    ],
)
def test_a_plugin_ending_its_process_is_recorded_and_the_serial_run_goes_on(
    plugin, synthetic_plan, proxy, how, capsys
):
    proxies = ("params", proxy, "iso_grad", "l2_norm")
    plan = dataclasses.replace(synthetic_plan(proxies), includes=(plugin,))
    out = _collect(plan)
    assert set(out) == set(ARCHS)
    for arch in ARCHS:
        assert [r.key.proxy for r in out[arch]] == list(proxies)  # the plan's order
        outcomes = _outcomes(out)[arch]
        for other in ("params", "iso_grad", "l2_norm"):
            assert outcomes[other] == ("ok", "")
        assert outcomes[proxy] == ("error", f"proxy {proxy} crashed on architecture {arch} {how}")
    warnings = capsys.readouterr().err.splitlines()
    assert sum(f"proxy {proxy} crashed on architecture" in w for w in warnings) == len(ARCHS)


@pytest.mark.timeout(300)
def test_a_plugins_scores_are_identical_in_and_out_of_process(plugin, synthetic_plan, pooled):
    plan = dataclasses.replace(
        synthetic_plan(("params", "iso_grad", "synflow")), includes=(plugin,)
    )
    isolated = _collect(plan)
    assert pooled == [[(arch, ["iso_grad"]) for arch in ARCHS]]  # only the plugin went away
    here = _collect(plan, SerialExecutor(isolate_plugins=False))
    assert len(pooled) == 1  # in-process: no child
    for arch in ARCHS:
        scores = {r.key.proxy: (r.status, r.score) for r in isolated[arch]}
        assert scores == {r.key.proxy: (r.status, r.score) for r in here[arch]}  # bit for bit
        assert scores["iso_grad"][0] == "ok" and scores["iso_grad"][1] > 0


@pytest.mark.timeout(300)
def test_the_time_limit_applies_to_an_isolated_plugin(plugin, synthetic_plan, pooled):
    plan = dataclasses.replace(
        synthetic_plan(("params", "iso_loops")), includes=(plugin,), proxy_timeout=0.5
    )
    out = _outcomes(_collect(plan))
    assert pooled == [[(arch, ["iso_loops"]) for arch in ARCHS]]
    for arch in ARCHS:
        assert out[arch] == {
            "params": ("ok", ""),
            "iso_loops": ("error", "timed out after 0.5 s (proxy_timeout)"),
        }


def test_built_ins_and_proxies_registered_here_start_no_process(synthetic_plan, pooled):
    """A proxy registered by the driver's own code (not an include file, not an entry
    point) cannot be loaded by a worker: it runs here, with the built-ins."""
    base.register_proxy(name="iso_here", version="1", description="registered by a test")(
        lambda ctx: 1.5
    )
    try:
        out = _outcomes(_collect(synthetic_plan(("params", "iso_here"))))
    finally:
        base.PROXIES.unregister("iso_here")
    assert pooled == []
    assert all(out[arch] == {"params": ("ok", ""), "iso_here": ("ok", "")} for arch in ARCHS)


def test_only_the_work_with_plugins_goes_to_the_child(plugin, synthetic_plan, monkeypatch):
    """An architecture whose missing proxies are all built-in (a resumed run) is scored
    here; the others' plugin proxies go to the child, their built-ins stay here."""
    plan = dataclasses.replace(synthetic_plan(("params", "iso_grad")), includes=(plugin,))
    handed = []

    def fake_pool_run(self, plan, work, on_done):  # stands in for the child: no process
        handed.extend((arch, list(ps)) for arch, ps in work)
        for arch, ps in work:
            on_done(arch, score_architecture(plan, arch, ps))

    monkeypatch.setattr(isolation.ProcessExecutor, "run", fake_pool_run)
    got = {}
    SerialExecutor().run(
        plan,
        [(ARCHS[0], ["params"]), (ARCHS[1], ["params", "iso_grad"])],
        lambda arch, records: got.setdefault(arch, [r.key.proxy for r in records]),
    )
    assert handed == [(ARCHS[1], ["iso_grad"])]
    assert got == {ARCHS[0]: ["params"], ARCHS[1]: ["params", "iso_grad"]}


@pytest.mark.parametrize(("value", "in_process"), [(None, False), ("0", False), ("1", True)])
def test_the_environment_says_whether_plugins_run_in_process(monkeypatch, value, in_process):
    if value is None:
        monkeypatch.delenv(isolation.IN_PROCESS_ENV, raising=False)
    else:
        monkeypatch.setenv(isolation.IN_PROCESS_ENV, value)
    assert isolation.plugins_in_process() is in_process
    assert get_executor("serial").isolate_plugins is not in_process


def test_a_bad_in_process_value_is_an_error_naming_it(monkeypatch):
    monkeypatch.setenv(isolation.IN_PROCESS_ENV, "yes")
    with pytest.raises(
        ConfigError, match=r"^HARNESS_PLUGINS_IN_PROCESS must be 0 or 1, got 'yes'$"
    ):
        get_executor("serial")
