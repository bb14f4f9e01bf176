"""`harness check PROXY... [--include PATH]`: the contract every proxy must keep."""

from __future__ import annotations

import argparse
import sys

from harness.commands._common import (
    add_include_option,
    add_measurement_options,
    add_proxy_timeout_option,
)
from harness.errors import ConfigError
from harness.outputs import StagedOutput


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "check",
        parents=[common],
        help="check that proxies keep the proxy contract (exit 1 when one does not)",
        description="Check each proxy (built-in or plugin) against the contract: the same "
        "score twice in each of two fresh processes, ctx.network and the batch untouched, "
        "honest needs, batch-permutation invariance when declared, a finite score or a "
        "recorded failure on each space's typical, smallest, largest and degenerate "
        "architectures (failures only where the proxy declares them), and time and peak "
        "memory as multiples of one forward + backward. Prints a table; exits 1 when a "
        "check fails.",
    )
    p.add_argument("proxies", nargs="+", metavar="PROXY", help="names, globs or 'standard'")
    add_include_option(p)
    p.add_argument(
        "--space",
        default=None,
        help="comma-separated spaces to check (default: every registered space; each "
        "declares the architectures checked)",
    )
    p.add_argument(
        "--arch",
        action="append",
        default=[],
        metavar="LABEL",
        help="check only the architectures with this label (repeatable), e.g. all-none; "
        "the table's details name them (default: all)",
    )
    p.add_argument("--batch-size", type=int, default=16, help="images per batch (16)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (cpu)")
    add_measurement_options(p)
    p.add_argument(
        "--processes", type=int, default=2, help="fresh processes of the determinism check (2)"
    )
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory check")
    p.add_argument(
        "--max-time-x",
        type=float,
        default=100.0,
        help="fail above this many floors of time on a space's largest architecture (100; 0 "
        "= no limit)",
    )
    p.add_argument(
        "--max-memory-x",
        type=float,
        default=20.0,
        help="fail above this many floors of peak memory there (20; 0 = no limit)",
    )
    p.add_argument(
        "--permutation-rtol",
        type=float,
        default=1e-4,
        help="largest relative change of a permutation-invariant score (1e-4)",
    )
    add_proxy_timeout_option(p, default=600.0)
    p.add_argument("--no-progress", action="store_true", help="no progress on stderr")
    p.set_defaults(handler=run)


def options_from(args: argparse.Namespace):
    # deferred: pulls in torch, numpy, pandas, scipy, tqdm
    from harness.check import CheckOptions, check_spaces

    if args.space is None:
        spaces = tuple(check_spaces())
    else:
        spaces = tuple(s.strip() for s in args.space.split(",") if s.strip())
    if not spaces:
        raise ConfigError("--space names no space")
    return CheckOptions(
        spaces=spaces,
        batch_size=args.batch_size,
        seed=0 if args.seed is None else args.seed,
        device=args.device,
        threads=args.threads,
        input_source=args.input_source,
        network_variant=args.variant,
        includes=tuple(args.include),
        archs=tuple(args.arch),
        processes=args.processes,
        memory=not args.no_memory,
        max_time_x=args.max_time_x,
        max_memory_x=args.max_memory_x,
        permutation_rtol=args.permutation_rtol,
        proxy_timeout=args.proxy_timeout,
    )


def run(args: argparse.Namespace) -> int:
    # deferred: pulls in torch, numpy, pandas, scipy, tqdm
    from harness.check import render, run_check

    options = options_from(args)
    options.validate()
    names = [n.strip() for arg in args.proxies for n in arg.split(",") if n.strip()]

    def progress(message: str) -> None:
        if not args.no_progress:
            print(f"check: {message}", file=sys.stderr, flush=True)

    if args.out:
        with StagedOutput(args.out) as stage:
            report = run_check(names, options, progress)
            (stage / "check.md").write_text(render(report, "md"))
            (stage / "check.json").write_text(render(report, "json"))
    else:
        report = run_check(names, options, progress)
    print(render(report, args.format), end="")
    return 0 if report.passed else 1
