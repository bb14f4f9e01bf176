"""The re-initialisation VKDNW and AZ-NAS apply before scoring: Kaiming normal, fan-in.

Both references (`ondratybl/VKDNW@6901b65` and `cvlab-yonsei/AZ-NAS@5e6683a`,
`NB201/ZeroShotProxy/compute_*_score.py` `init_model(model, "kaiming_norm_fanin")`)
re-initialise the network they score: every Conv2d and Linear weight drawn from
N(0, 2 / fan_in) (`nn.init.kaiming_normal_(mode="fan_in", nonlinearity="relu")`), their
biases zeroed, affine BatchNorm / GroupNorm weights set to 1 and biases to 0. The harness
does the same on a private copy, drawing from a generator seeded from the context's seed
and the proxy's purpose (`ctx.generator(purpose)`), modules in `net.modules()` order (the
order in which the references' `model.apply` reaches the leaf modules). A reference run
right after `torch.manual_seed(derive_seed(seed, purpose))` draws the same weights.
"""

from __future__ import annotations

import torch
from torch import nn


def kaiming_fanin_(net: nn.Module, generator: torch.Generator) -> nn.Module:
    """Re-initialise `net` in place as the references do (see the module docstring)."""
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(
                    module.weight, mode="fan_in", nonlinearity="relu", generator=generator
                )
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)) and module.affine:
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
    return net
