"""Deliberately bad proxies for the contract checker's tests, loaded with --include.

Each breaks one clause of the contract; `checked_ok` keeps all of them. (A file, not a
test module: the checker's fresh processes load it by path, as they load any plugin.)
"""

from __future__ import annotations

import math
import random

import torch
import torch.nn.functional as F

from harness.proxies import register_proxy
from harness.proxies.jacobian import jacov_score
from harness.proxies.passes import jacobian_pass, logits_of, loss_grad_pass


def _grad_norm(ctx) -> float:
    return math.fsum(float(layer.grad.norm()) for layer in loss_grad_pass(ctx).layers)


@register_proxy(name="checked_ok", version="1", needs=("data", "labels", "loss_grads"),
                permutation_invariant=True, description="keeps the contract")  # fmt: skip
def checked_ok(ctx):
    return _grad_norm(ctx)


@register_proxy(name="checked_python_random", version="1", description="python's RNG")
def checked_python_random(ctx):
    return random.random()


@register_proxy(name="checked_torch_global_rng", version="1", description="torch's global RNG")
def checked_torch_global_rng(ctx):
    return float(torch.rand(1))  # the same first draw in every fresh process, not the second


@register_proxy(name="checked_mutates_network", version="1", description="edits ctx.network")
def checked_mutates_network(ctx):
    with torch.no_grad():
        ctx.network.classifier.weight.add_(1.0)
    return 1.0


@register_proxy(name="checked_mutates_batch", version="1", needs=("data",),
                description="edits the batch")  # fmt: skip
def checked_mutates_batch(ctx):
    ctx.images.mul_(1.5)
    return 1.0


@register_proxy(name="checked_undeclared_data", version="1", description="reads the batch")
def checked_undeclared_data(ctx):
    return float(ctx.images.abs().sum())


@register_proxy(name="checked_undeclared_labels", version="1", needs=("data",),
                description="reads the labels")  # fmt: skip
def checked_undeclared_labels(ctx):
    return float(ctx.images.abs().sum()) if ctx.labels is None else float(ctx.labels.sum())


@register_proxy(name="checked_undeclared_pass", version="1", needs=("data", "labels"),
                description="reads pass A")  # fmt: skip
def checked_undeclared_pass(ctx):
    return _grad_norm(ctx)


@register_proxy(name="checked_raises", version="1", description="raises")
def checked_raises(ctx):
    raise RuntimeError("deliberate failure")


class Escape(BaseException):
    """Not an Exception: the engine lets it through."""


@register_proxy(name="checked_escapes", version="1", description="escapes the engine")
def checked_escapes(ctx):
    raise Escape("deliberately not an Exception")


@register_proxy(name="checked_permutation", version="1", needs=("data",),
                permutation_invariant=True, description="reads the first image only")  # fmt: skip
def checked_permutation(ctx):
    return float(ctx.images[0].abs().sum())


@register_proxy(name="checked_slow", version="1", needs=("data", "labels"),
                description="six forward + backward passes")  # fmt: skip
def checked_slow(ctx):
    net = ctx.fresh_network()
    for _ in range(6):
        F.cross_entropy(logits_of(net(ctx.images)), ctx.labels).backward()
    return 1.0


@register_proxy(name="checked_memory", version="1", description="holds 800 MiB")
def checked_memory(ctx):
    block = torch.ones(200 * 1024 * 1024)  # 800 MiB, touched
    return float(block[-1])


@register_proxy(name="checked_jacov_undeclared", version="1", needs=("data", "input_jacobian"),
                description="jacov without declaring its NaN on cells without a path")  # fmt: skip
def checked_jacov_undeclared(ctx):
    return jacov_score(jacobian_pass(ctx).jacobian)


@register_proxy(name="checked_jacov_declared", version="1", needs=("data", "input_jacobian"),
                fails_on={"no_path": "constant Jacobian rows: NaN"},
                description="jacov, declaring its NaN on cells without a path")  # fmt: skip
def checked_jacov_declared(ctx):
    return jacov_score(jacobian_pass(ctx).jacobian)
