"""grad_norm_global: the global L2 norm of the loss gradient, a documented grad_norm variant.

The built-in `grad_norm` follows foresight and NASLib: the *sum* of per-layer Frobenius
norms of dL/dW over conv and linear layers. A frequent misreading of the papers takes the
*global* norm instead, sqrt(sum over layers of ||dL/dW||^2), which weighs the layers with
the largest gradients more. This proxy computes that global norm, so the two can be
compared on one leaderboard.

It reads the harness's shared cross-entropy pass (pass A) and so declares `loss_grads`
with the data and labels it needs; its score ignores the order of the batch. This file is
self-contained: `harness run --include path/to/proxy.py` loads it without installing.
"""

from __future__ import annotations

import math

from harness.proxies import ProxyContext, register_proxy
from harness.proxies.passes import loss_grad_pass


@register_proxy(
    name="grad_norm_global",
    version="1",
    needs=("data", "labels", "loss_grads"),
    higher_is_better=True,
    permutation_invariant=True,
    description="Global L2 norm of dL/dW over conv/linear layers (grad_norm sums per layer).",
)
def grad_norm_global(ctx: ProxyContext) -> float:
    squares = [float(layer.grad.double().pow(2).sum()) for layer in loss_grad_pass(ctx).layers]
    return math.sqrt(math.fsum(squares))
