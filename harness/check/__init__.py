"""The proxy contract checker: `harness check PROXY... [--include PATH]`.

Front door: `run_check(names, CheckOptions(...))` runs, for every proxy (built-in or
plugin), the checks of `harness.check.contract` on each space's typical, smallest,
largest and degenerate architectures (`harness.check.archs`), determinism in fresh
processes (`harness.check.worker`), and time and peak memory against the floor of
`harness.bench`; `render(report, fmt)` prints the table. A proxy passes when no check
fails; `harness check` exits 1 when one does.
"""

from harness.check.archs import CheckArch, check_archs, check_spaces
from harness.check.report import document, render
from harness.check.runner import CHECKS, CheckOptions, CheckReport, ProxyCheck, run_check

__all__ = [
    "CHECKS",
    "CheckArch",
    "CheckOptions",
    "CheckReport",
    "ProxyCheck",
    "check_archs",
    "check_spaces",
    "document",
    "render",
    "run_check",
]
