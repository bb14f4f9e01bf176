"""What several `harness` commands share: output folders, shared options, and the flags
that become config overrides.

Not a command (the leading underscore keeps it out of `register_all`), and it never
imports `harness.cli`: the top-level parser imports the commands, not the reverse.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.config import Overrides, load_run_config, parse_set, set_override
from harness.execution import executor_names  # the executor registry
from harness.stats import FAILURE_POLICIES


def run_id(kind: str, *parts: str) -> str:
    """`KIND-PART-...-YYYYmmddTHHMMSS` (UTC); empty parts are left out."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return "-".join([kind, *[p for p in parts if p], stamp])


def output_dir(args: argparse.Namespace, rid: str) -> Path:
    """`--out`, else reports/<run id>/."""
    return Path(args.out) if args.out else Path("reports") / rid


def add_failures_option(parser: argparse.ArgumentParser, *, recompute: bool) -> None:
    """`--failures`: how the figures treat architectures a proxy failed on. With
    `recompute`, the command recomputes stored documents' figures (default: as recorded)."""
    what = (
        "recompute the documents' figures with failed architectures ranked worst, dropped, "
        "or only where every proxy succeeded (default: as each document recorded)"
        if recompute
        else "architectures a proxy failed on: ranked worst (default), dropped, or only "
        "architectures where every proxy succeeded"
    )
    parser.add_argument("--failures", choices=FAILURE_POLICIES, default=None, help=what)


def add_measurement_options(parser: argparse.ArgumentParser) -> None:
    """`--threads`, `--input`, `--variant`: how `harness bench` and `harness check` build
    the networks and batch they measure."""
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1, as executors)")
    parser.add_argument(
        "--input",
        dest="input_source",
        default="fashion-mnist",
        help="image source (fashion-mnist; synthetic if its files are absent)",
    )
    parser.add_argument("--variant", default="as_trained", help="network variant (as_trained)")


def add_set_option(parser: argparse.ArgumentParser, example: str) -> None:
    """`--set KEY=VALUE` (repeatable): any config value, e.g. `example`."""
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"override any config value, e.g. --set {example} (repeatable)",
    )


def table_policy(args: argparse.Namespace) -> dict[str, object]:
    """The table options the --no-verify / --trust-pickle / --bad-truth flags ask for."""
    policy: dict[str, object] = {}
    if getattr(args, "no_verify", False):
        policy["verify"] = False
    if getattr(args, "trust_pickle", False):
        policy["trust_pickle"] = True
    if getattr(args, "bad_truth", None):
        policy["bad_truth"] = args.bad_truth
    return policy


def table_policy_overrides(
    args: argparse.Namespace, prefix: str = "table_options"
) -> dict[str, object]:
    """`table_policy(args)` as overrides of a config's `table_options`."""
    return {f"{prefix}.{k}": v for k, v in table_policy(args).items()}


def names(text: str) -> list[str]:
    """A comma-separated flag value ("a, b,c") as a list of names (empty items dropped)."""
    return [t.strip() for t in text.split(",") if t.strip()]


def config_overrides(
    args: argparse.Namespace,
    flags: Mapping[str, Any],
    parse: Callable[[str], tuple[str, Any]] = parse_set,
) -> dict[str, Any]:
    """A command's config overrides, in the order they apply: `flags` (dotted key ->
    value; None = flag not given), then `--seed`, the table flags (`table_policy`), and
    last the user's `--set KEY=VALUE` texts (read by `parse`), which win."""
    overrides: dict[str, Any] = {}
    for key, value in flags.items():
        if value is not None:
            set_override(overrides, key, value)
    if args.seed is not None:
        set_override(overrides, "seed", args.seed)
    for key, value in table_policy_overrides(args).items():
        set_override(overrides, key, value)
    for item in args.set:
        set_override(overrides, *parse(item))
    return overrides


# -- the flags of the commands that run experiments (run, ablate, combine, ...) ----------


def add_include_option(p: argparse.ArgumentParser) -> None:
    """`--include PATH` (repeatable): plugin proxies from a .py file or a folder of them."""
    p.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="PATH",
        help="load proxies from a .py file or a folder of .py files first (repeatable; "
        "added to a run config's include list); installed packages' proxies (entry-point "
        "group harness.proxies) load by themselves",
    )


def add_proxy_timeout_option(p: argparse.ArgumentParser, default: float | None = None) -> None:
    """`--proxy-timeout SECONDS`: the time limit of one proxy on one architecture."""
    p.add_argument(
        "--proxy-timeout",
        type=float,
        default=default,
        metavar="SECONDS",
        help="time limit of one proxy on one architecture, after which that architecture is "
        "the proxy's recorded failure (config proxy_timeout, default 600; 0 = none; "
        "per proxy: --set proxy_timeouts.NAME=SECONDS)",
    )


def add_run_options(p: argparse.ArgumentParser) -> None:
    """Options shared by the commands that run experiments."""

    p.add_argument("--archs", type=int, help="number of architectures")
    p.add_argument("--proxies", help="comma-separated proxy names or globs (default: all)")
    add_include_option(p)
    p.add_argument("--device", help="torch device, e.g. cpu or cuda (default cpu)")
    p.add_argument(
        "--executor",
        choices=executor_names(),
        help="who computes: serial, a local process pool (default) or Dask",
    )
    p.add_argument("--workers", type=int, help="worker processes (default: cores // threads)")
    add_proxy_timeout_option(p)
    add_failures_option(p, recompute=False)
    add_set_option(p, "input.batch_size=32")


def run_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The run options' flags as config keys (None: not given)."""
    return {
        "archs": args.archs,
        "proxies": args.proxies or None,
        "device": args.device or None,
        "executor": getattr(args, "executor", None) or None,
        "workers": getattr(args, "workers", None),
        "failures": getattr(args, "failures", None) or None,
        "proxy_timeout": getattr(args, "proxy_timeout", None),
    }


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """The run options, --seed, the table flags and --set as config overrides."""
    return config_overrides(args, run_flags(args))


def include_overrides(
    args: argparse.Namespace,
    config: str | None,
    overrides: Overrides,
    other_tables: tuple[str, ...] = (),
) -> dict[str, Any]:
    """`--include` paths appended to the config's own `include` list, as one override."""
    if not getattr(args, "include", None):
        return {}
    base = load_run_config(config, overrides, other_tables=other_tables)
    return {"include": [*base.include, *args.include]}
