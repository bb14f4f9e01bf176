"""The in-process contract checks of one proxy on one architecture's workload.

Each check compares what the proxy did with what its registration promises:

- **no mutation**: `ctx.network` (every parameter and buffer, `requires_grad`, `.grad`,
  train/eval mode, hooks) and the batch (images, labels, second batch) are bitwise the
  same after the proxy ran;
- **honest needs**: on a context holding only what the proxy declares (no batch unless
  `data`, no labels unless `labels`, no second batch, no variant builder unless declared;
  `input_shape` always), it gives the same outcome, bit for bit, as on a full context; it
  reads a shared pass only if it declares it; without a batch (if it declares `data`) or
  without labels (`labels`) it records an error instead of raising;
- **permutation** (only if declared `permutation_invariant`): permuting the batch (and
  the second batch) leaves the score equal within a relative tolerance (summation order
  changes the last bits);
- **architectures**: a finite score where no declared failure condition applies, a
  recorded failure (status nan or error) where one does, and never an exception escaping
  the engine.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field, replace

import torch
from torch import nn

from harness.bench.clock import timed
from harness.bench.workload import Workload
from harness.proxies import ProxyContext, ProxyOutcome, ProxySpec, compute_proxies
from harness.proxies.passes import JACOBIAN_KEY, LOSS_GRADS_KEY, PASS_LOG_KEY

#: Which declared needs allow reading each shared pass.
PASS_NEEDS: dict[str, frozenset[str]] = {
    LOSS_GRADS_KEY: frozenset({"loss_grads"}),
    JACOBIAN_KEY: frozenset({"input_jacobian", "activations"}),
}


@dataclass(frozen=True)
class Outcome:
    """A proxy's outcome on one context, or the exception that escaped the engine."""

    status: str
    score: float
    error: str | None
    seconds: float = 0.0
    passes: frozenset[str] = frozenset()
    escaped: str | None = None

    def same_as(self, other: Outcome) -> bool:
        """Same status and the same score, bit for bit (NaN equals NaN)."""
        return self.status == other.status and score_bits(self.score) == score_bits(other.score)

    def describe(self) -> str:
        if self.escaped:
            return f"exception escaped: {self.escaped}"
        if self.status == "ok":
            return f"{self.score:.6g}"
        return f"{self.status}: {self.error}"


def score_bits(score: float) -> str:
    """A score's exact float64 value as text (`nan` for any NaN)."""
    return "nan" if math.isnan(score) else float(score).hex()


#: the time limit of each proxy call of the check, in seconds (None: none); `run_check`
#: sets it from `CheckOptions.proxy_timeout` for the length of a check
TIME_LIMIT: dict[str, float | None] = {"seconds": None}


def run_proxy(name: str, ctx: ProxyContext, timeout: float | None = None) -> Outcome:
    """The engine's outcome of `name` on `ctx`, under the time limit `timeout` (default
    `TIME_LIMIT`); an exception the engine let through (it records every `Exception`) is
    caught here and reported, never raised."""
    limit = TIME_LIMIT["seconds"] if timeout is None else timeout
    try:
        seconds, outcomes = timed(lambda: compute_proxies([name], ctx, timeout=limit), ctx.device)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - the check reports it
        text = " ".join(f"{type(exc).__name__}: {exc}".split())
        return Outcome("error", math.nan, text, escaped=text)
    outcome: ProxyOutcome = outcomes[name]
    log = ctx.cache.get(PASS_LOG_KEY, [])
    return Outcome(
        outcome.status,
        float(outcome.score),
        outcome.error,
        seconds,
        frozenset(use.key for use in log),
    )


# -- contexts ---------------------------------------------------------------------------


def _clone(tensor: torch.Tensor | None) -> torch.Tensor | None:
    return None if tensor is None else tensor.detach().clone()


def full_context(work: Workload) -> ProxyContext:
    """Everything a run gives a proxy, on private copies of the network and the batch."""
    ctx = work.context(copy.deepcopy(work.network))
    second = work.second_batch
    return replace(
        ctx,
        images=_clone(ctx.images),
        labels=_clone(ctx.labels),
        second_batch=None if second is None else (_clone(second[0]), _clone(second[1])),
    )


def declared_context(work: Workload, needs: frozenset[str]) -> ProxyContext:
    """A context with only what `needs` declares (and always the sample shape)."""
    ctx = full_context(work)
    data = bool({"data", "labels"} & needs)
    return replace(
        ctx,
        images=ctx.images if data else None,
        labels=ctx.labels if "labels" in needs else None,
        second_batch=ctx.second_batch if "second_batch" in needs else None,
        build_variant=ctx.build_variant if "network_variant" in needs else None,
        input_shape=tuple(int(d) for d in work.images.shape[1:]),
    )


def permuted_context(work: Workload, seed: int) -> ProxyContext:
    """A full context whose batch (and second batch) are permuted, seeded."""
    ctx = full_context(work)
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(ctx.images.shape[0], generator=gen).to(ctx.images.device)
    second = ctx.second_batch
    if second is not None:
        other = torch.randperm(second[0].shape[0], generator=gen).to(second[0].device)
        second = (second[0][other], second[1][other])
    return replace(ctx, images=ctx.images[order], labels=ctx.labels[order], second_batch=second)


# -- no mutation --------------------------------------------------------------------------


@dataclass
class Snapshot:
    """What a proxy must leave untouched: the network's state and the batch."""

    tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    flags: dict[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, ctx: ProxyContext) -> Snapshot:
        snap = cls()
        net: nn.Module = ctx.network
        for key, value in net.state_dict(keep_vars=True).items():
            snap.tensors[f"network {key}"] = value.detach().clone()
        for key, param in net.named_parameters():
            snap.flags[f"network {key}.requires_grad"] = param.requires_grad
            snap.flags[f"network {key}.grad"] = param.grad is None
        for key, module in net.named_modules():
            where = f"network module {key or '(root)'}"
            snap.flags[f"{where} training"] = module.training
            for hooks in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks"):
                snap.flags[f"{where} {hooks}"] = len(getattr(module, hooks, {}) or {})
        batch = {"images": ctx.images, "labels": ctx.labels}
        if ctx.second_batch is not None:
            batch.update(second_images=ctx.second_batch[0], second_labels=ctx.second_batch[1])
        for key, tensor in batch.items():
            if tensor is not None:
                snap.tensors[f"batch {key}"] = tensor.detach().clone()
                snap.flags[f"batch {key}.requires_grad"] = tensor.requires_grad
        return snap

    def changes(self, ctx: ProxyContext) -> list[str]:
        """What differs now from the snapshot, one phrase each."""
        after = Snapshot.of(ctx)
        changed = [
            key
            for key, before in self.tensors.items()
            if key not in after.tensors
            or after.tensors[key].shape != before.shape
            or after.tensors[key].dtype != before.dtype
            or not torch.equal(after.tensors[key], before)
        ]
        changed += [k for k, v in self.flags.items() if after.flags.get(k) != v]
        changed += [k for k in after.tensors if k not in self.tensors]
        return changed


def mutation_run(name: str, work: Workload) -> tuple[Outcome, list[str]]:
    """The proxy on a full context, and what it changed in the network or the batch."""
    ctx = full_context(work)
    before = Snapshot.of(ctx)
    outcome = run_proxy(name, ctx)
    return outcome, before.changes(ctx)


# -- honest needs -------------------------------------------------------------------------


def needs_findings(spec: ProxySpec, work: Workload, full: Outcome) -> list[str]:
    """Problems with the proxy's declared needs (empty: honest)."""
    problems = []
    restricted = run_proxy(spec.name, declared_context(work, spec.needs))
    if full.escaped:  # the architectures check reports it; needs cannot be judged
        return problems
    if restricted.escaped:
        problems.append(f"with only its declared needs: {restricted.describe()}")
    elif not restricted.same_as(full) and run_proxy(spec.name, full_context(work)).same_as(full):
        # (a proxy that differs from itself on a full context is the determinism check's)
        problems.append(
            f"reads something it does not declare (needs {_needs(spec)}): with only those, "
            f"{restricted.describe()} instead of {full.describe()}"
        )
    for key in sorted(full.passes | restricted.passes):
        allowed = PASS_NEEDS.get(key)
        if allowed is not None and not allowed & spec.needs:
            problems.append(
                f"reads the shared pass {key!r} without declaring {' or '.join(sorted(allowed))}"
            )
    if "data" in spec.needs:
        without = run_proxy(spec.name, replace(declared_context(work, spec.needs), images=None,
                                               labels=None))  # fmt: skip
        if without.escaped or without.status != "error":
            problems.append(f"declares data but without a batch: {without.describe()}")
    if "labels" in spec.needs:
        without = run_proxy(spec.name, replace(declared_context(work, spec.needs), labels=None))
        if without.escaped or without.status != "error":
            problems.append(f"declares labels but without them: {without.describe()}")
    return problems


def _needs(spec: ProxySpec) -> str:
    return ", ".join(sorted(spec.needs)) or "nothing"


# -- permutation --------------------------------------------------------------------------


def permutation_change(name: str, work: Workload, full: Outcome, seed: int) -> tuple[float, str]:
    """(relative change of the score under a permuted batch, problem or "")."""
    permuted = run_proxy(name, permuted_context(work, seed))
    if permuted.escaped:
        return math.inf, f"on a permuted batch: {permuted.describe()}"
    if permuted.status != full.status:
        return math.inf, f"on a permuted batch: {permuted.describe()} instead of {full.describe()}"
    if full.status != "ok":
        return 0.0, ""
    scale = max(abs(full.score), abs(permuted.score))
    change = 0.0 if scale == 0 else abs(permuted.score - full.score) / scale
    return change, ""
