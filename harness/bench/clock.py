"""Wall time of one call on a device: CUDA events on a GPU, `perf_counter` on a CPU.

Both clocks are read after synchronising the device, so queued kernels of earlier
work are not charged to the call and the call's own kernels are all counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import torch

T = TypeVar("T")


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(call: Callable[[], T], device: torch.device | str) -> tuple[float, T]:
    """(seconds, result) of `call()`."""
    device = torch.device(device)
    if device.type == "cuda":
        synchronize(device)
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        result = call()
        stop.record()
        synchronize(device)
        return start.elapsed_time(stop) / 1000.0, result
    synchronize(device)
    begin = time.perf_counter()
    result = call()
    synchronize(device)
    return time.perf_counter() - begin, result
