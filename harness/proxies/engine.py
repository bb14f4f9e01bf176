"""The proxy engine: many proxies for one network and batch, with shared passes.

`compute_proxies(names, ctx)` runs each named proxy on the context and returns
one `ProxyOutcome` per name. Shared passes (see `harness.proxies.passes`) are
computed lazily by the first proxy that needs them and cached in `ctx.cache`,
so asking for grad_norm, snip, plain and fisher together costs one
forward/backward.

Failures are data: a proxy that raises, returns something other than one real number
(a string, None, a vector: `limits.as_score`) or runs past its time limit
(`limits.time_limit`) gives status "error" with the reason, one that returns NaN or
+-inf gives status "nan"; the other proxies still run.
A proxy whose declared needs the context cannot meet (no batch, no labels) is
an error without being called. Set-level proxies (needs "score_set") combine
other proxies' scores over a whole scored set and are not computed here.

Timing: the clock (`time.perf_counter`) is read after synchronising the device.
A proxy's seconds = its own time + an equal share of each shared pass it used,
the pass's seconds split equally among the proxies of this call that used it.
So the seconds of one call add up to its wall time, and a proxy's seconds are
what it costs inside a batch of proxies. A pass cached by an earlier call on
the same context is charged to nobody.

Order: proxies run in the order given, except those that need "loss_grads_graph"
(grasp), which run first: they build pass A with its graph and use it at once (the
outcomes still come back in the order given).

Determinism: every pass and proxy works on a fresh copy of the same initial
weights and the same batch, so the scores do not depend on which proxies are
asked together or in which order. On CUDA, bitwise repeatability also needs
`torch.use_deterministic_algorithms(True)`, which is the runner's choice.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import torch

from harness.proxies.base import ProxyContext, ProxySpec, get_proxy
from harness.proxies.limits import ProxyTimeout, as_score, time_limit
from harness.proxies.passes import PASS_LOG_KEY, synchronize

#: Proxies with this need run before the others (in their given order among themselves):
#: they build pass A keeping its graph, which no cache holds (see `passes`).
GRAPH_NEED = "loss_grads_graph"

Status = Literal["ok", "nan", "error"]


@dataclass(frozen=True)
class ProxyOutcome:
    """The result of one proxy on one context (score unoriented, as the proxy gives it)."""

    score: float
    seconds: float
    status: Status
    error: str | None = None


@dataclass(frozen=True)
class _Run:
    score: float
    own_seconds: float
    status: Status
    error: str | None
    passes_used: frozenset[str]
    passes_computed: dict[str, float]


def compute_proxies(
    names: Iterable[str],
    ctx: ProxyContext,
    *,
    on_error: Literal["record", "raise"] = "record",
    timeout: float | None = None,
    timeouts: Mapping[str, float] | None = None,
    on_start: Callable[[str], None] | None = None,
) -> dict[str, ProxyOutcome]:
    """Compute the named proxies on `ctx`; one outcome per distinct name, in order.

    `on_error="record"` turns an exception into an "error" outcome; "raise"
    re-raises it (NaN scores are still recorded as "nan"). Unknown names raise
    `UnknownNameError` before anything runs. Each proxy runs under a time limit of
    `timeouts[name]`, else `timeout` seconds (None or 0: none); `on_start(name)` is
    called before each proxy runs (a worker tells its driver what it is running).
    """
    if on_error not in ("record", "raise"):
        raise ValueError(f"on_error must be 'record' or 'raise', not {on_error!r}")
    specs = [get_proxy(name) for name in dict.fromkeys(names)]
    limits = timeouts or {}
    runs = {}
    for spec in sorted(specs, key=lambda spec: GRAPH_NEED not in spec.needs):
        if on_start is not None:
            on_start(spec.name)
        runs[spec.name] = _run_one(spec, ctx, on_error, limits.get(spec.name, timeout))
    return _charge_shared_passes({spec.name: runs[spec.name] for spec in specs})


def _run_one(spec: ProxySpec, ctx: ProxyContext, on_error: str, limit: float | None) -> _Run:
    unmet = _unmet_need(spec, ctx)
    if unmet is not None:
        if on_error == "raise":
            raise RuntimeError(f"proxy {spec.name!r}: {unmet}")
        return _Run(math.nan, 0.0, "error", unmet, frozenset(), {})
    log = ctx.cache.setdefault(PASS_LOG_KEY, [])
    first_entry = len(log)
    synchronize(ctx.device)
    start = time.perf_counter()
    try:
        with time_limit(limit), torch.enable_grad():
            value = spec.compute(ctx)
        score = as_score(value)
        error = None
        status: Status = "ok" if math.isfinite(score) else "nan"
        if status == "nan":
            error = f"score is {score}"
    except ProxyTimeout as exc:
        if on_error == "raise":
            raise RuntimeError(f"proxy {spec.name!r} {exc}") from None
        score, status, error = math.nan, "error", str(exc)
    except SystemExit as exc:  # a proxy may not end the run that calls it
        error = f"called sys.exit({exc.code!r}): a proxy may not end the process"
        if on_error == "raise":
            raise RuntimeError(f"proxy {spec.name!r} {error}") from None
        score, status = math.nan, "error"
    except Exception as exc:
        if on_error == "raise":
            raise
        score, status = math.nan, "error"
        error = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    synchronize(ctx.device)
    elapsed = time.perf_counter() - start
    uses = log[first_entry:]
    computed = {use.key: use.seconds for use in uses if use.seconds is not None}
    return _Run(
        score=score,
        own_seconds=max(elapsed - sum(computed.values()), 0.0),
        status=status,
        error=error,
        passes_used=frozenset(use.key for use in uses),
        passes_computed=computed,
    )


def _unmet_need(spec: ProxySpec, ctx: ProxyContext) -> str | None:
    if "score_set" in spec.needs:
        return "set-level proxy: combined from other proxies' scores over the scored set"
    if "data" in spec.needs and ctx.images is None:
        return "needs a data batch but the context has none"
    if "labels" in spec.needs and ctx.labels is None:
        return "needs labels but the context has none"
    if "second_batch" in spec.needs and ctx.second_batch is None:
        return "needs a second labelled batch but the context has one batch only"
    if "network_variant" in spec.needs and ctx.build_variant is None:
        return "needs network variants but the context cannot build them"
    return None


def _charge_shared_passes(runs: dict[str, _Run]) -> dict[str, ProxyOutcome]:
    pass_seconds: dict[str, float] = {}
    users: dict[str, int] = defaultdict(int)
    for run in runs.values():
        pass_seconds.update(run.passes_computed)
        for key in run.passes_used:
            users[key] += 1
    outcomes = {}
    for name, run in runs.items():
        share = sum(
            pass_seconds[key] / users[key] for key in run.passes_used if key in pass_seconds
        )
        outcomes[name] = ProxyOutcome(run.score, run.own_seconds + share, run.status, run.error)
    return outcomes
