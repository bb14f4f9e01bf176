"""NASWOT (Mellor et al. ICML 2021): log|det| of the ReLU-code kernel, from pass B.

Every hooked module contributes, at every call on pass B's forward,
c c^T + (1 - c)(1 - c)^T with c = 1[module input > 0] flattened per sample; entry
(i, j) is the number of units minus the Hamming distance between the codes of samples
i and j. K is built in float64 (exact integers) and the score is slogdet's
log-magnitude. Which modules are hooked is where the references differ:

* `nwot` (default): the ReLU activation modules of `torch.nn`. This is what
  `automl/NASLib@0b51bc1` `pruners.measures.nwot.compute_nwot` counts on NASLib's own
  graphs (its rule, "ReLU" in the type and not "naslib", leaves out NASLib's
  `ReLUConvBN` wrappers), i.e. the convention behind NAS-Bench-Suite-Zero's nwot
  figures, which our docs compare with. NASLib's code run unchanged on *our* networks
  would also count our `ReLUConvBN` wrappers (their type lacks "naslib"): that is
  `nwot_relu_names`, not this.
* `nwot_relu_names`: every module whose type name contains "ReLU", the original rule
  (`BayesWatch/nas-without-training@b3a82a6`, `score_networks.py` hook_logdet), which on
  NB201's reference network (xautodl) and on DARTS also counts each `ReLUConvBN`
  wrapper, whose input is its inner ReLU's: those codes count twice.

All modules that run in the forward count (NASLib); the original counted those visited
by the Jacobian backward, which on the benchmark networks is the same set. The original
NB201 network had `num_classes = 1`; that is a network variant chosen by whoever builds
the network, not here. Duplicate codes make K singular: log|det| = -inf, recorded as
status "nan".
"""

from __future__ import annotations

import numpy as np
import torch

from harness.proxies.base import ProxyContext, register_proxy
from harness.proxies.passes import jacobian_pass

#: Why nwot records -inf on an NB201 cell of 'none' edges only (harness check).
_SINGLE_CODE = (
    "when no ReLU sees the input (an NB201 cell of 'none' edges only), every sample has the "
    "same binary code, K is singular and log|det K| = -inf (NASLib's -1e8)"
)


def naswot_score(kernel: torch.Tensor | np.ndarray) -> float:
    """log|det K| of a NASWOT kernel (-inf when K is singular)."""
    matrix = np.asarray(torch.as_tensor(kernel).detach().cpu().to(torch.float64))
    _, log_abs_det = np.linalg.slogdet(matrix)
    return float(log_abs_det)


@register_proxy(
    name="nwot",
    version="2",
    permutation_invariant=True,
    fails_on={"no_path": _SINGLE_CODE},
    needs=("data", "activations"),
    description="NASWOT: log|det| of the kernel of binary ReLU codes (torch.nn ReLU modules).",
)
def nwot(ctx: ProxyContext) -> float:
    result = jacobian_pass(ctx)
    if result.relu_calls == 0:
        raise RuntimeError("the network has no ReLU module, so NASWOT has no codes")
    return naswot_score(result.relu_kernel)


@register_proxy(
    name="nwot_relu_names",
    version="1",
    permutation_invariant=True,
    fails_on={"no_path": _SINGLE_CODE},
    needs=("data", "activations"),
    description="NASWOT, original hook rule: every module whose type name contains 'ReLU'.",
)
def nwot_relu_names(ctx: ProxyContext) -> float:
    result = jacobian_pass(ctx)
    if result.relu_name_calls == 0:
        raise RuntimeError("the network has no module named like ReLU, so NASWOT has no codes")
    return naswot_score(result.relu_name_kernel)
