"""Which torch devices this machine has: a `--device` value is checked before any work."""

from __future__ import annotations

from harness.errors import ConfigError


def check_device(text: str, name: str = "device") -> str:
    """`text` if it names a torch device this machine has (cpu, cuda[:N], mps), else a
    one-line ConfigError saying what exists."""
    # deferred: pulls in torch
    import torch

    try:
        device = torch.device(text)
    except (RuntimeError, TypeError, ValueError):
        raise ConfigError(
            f"{name} {text!r} is not a torch device (e.g. cpu, cuda, cuda:1)"
        ) from None
    if device.type == "cpu":
        return text
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"{name} {text!r}: CUDA is not available on this machine (use cpu)")
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise ConfigError(
                f"{name} {text!r}: this machine has {count} CUDA device(s) "
                f"(cuda:0..cuda:{count - 1})"
            )
        return text
    if device.type == "mps":
        if not torch.backends.mps.is_available():
            raise ConfigError(f"{name} {text!r}: MPS is not available on this machine (use cpu)")
        return text
    raise ConfigError(f"{name} {text!r}: the harness runs on cpu, cuda[:N] or mps")
