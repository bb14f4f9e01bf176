"""What a proxy call may take and give back: a time limit and a real number.

`time_limit(seconds)` stops a proxy that runs past its limit by raising `ProxyTimeout`
from a SIGALRM handler, in the process's main thread (a proxy stuck inside one long C
call is stopped when that call returns; the process executor's driver kills a worker
that overruns, see `harness.execution.processes`). Elsewhere (another thread, no
SIGALRM) it is a no-op. `ProxyTimeout` is a BaseException, so a proxy's own
`except Exception` cannot swallow it.

`as_score(value)` is the one conversion of a proxy's return value to a float: a real
number (int, float, numpy scalar) or a tensor or array holding exactly one real number;
anything else (a string, None, a vector, a bool) is a `TypeError` whose message says what
came back.
"""

from __future__ import annotations

import math
import numbers
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: The default time limit of one proxy on one architecture, in seconds (`proxy_timeout`).
DEFAULT_PROXY_TIMEOUT = 600.0


class ProxyTimeout(BaseException):  # noqa: N818 (a BaseException like KeyboardInterrupt)
    """A proxy ran past its time limit."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"timed out after {seconds:g} s (proxy_timeout)")
        self.seconds = seconds


def can_limit_time() -> bool:
    """Whether `time_limit` works here: SIGALRM exists and this is the main thread."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise `ProxyTimeout` in the block after `seconds` (None, 0 or inf: no limit)."""
    if not seconds or seconds <= 0 or not math.isfinite(seconds) or not can_limit_time():
        yield
        return

    def on_alarm(signum, frame):  # noqa: ARG001
        raise ProxyTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def as_score(value: Any) -> float:
    """A proxy's return value as a float; TypeError unless it is one real number."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        raise TypeError(f"returned the bool {value!r}, not a number")
    if isinstance(value, numbers.Real):
        return float(value)
    numel = getattr(value, "numel", None)  # a torch tensor
    size = numel() if callable(numel) else getattr(value, "size", None)  # a numpy array
    dtype = str(getattr(value, "dtype", ""))
    if isinstance(size, int) and dtype:
        if size != 1:
            shape = tuple(getattr(value, "shape", ()))
            raise TypeError(f"returned a {type(value).__name__} of shape {shape}, not one number")
        if "complex" in dtype or "bool" in dtype:
            raise TypeError(f"returned a {type(value).__name__} of {dtype}, not a real number")
        return float(value)
    text = repr(value)
    text = text if len(text) <= 40 else text[:37] + "..."
    raise TypeError(f"returned {type(value).__name__} {text}, not a real number")
