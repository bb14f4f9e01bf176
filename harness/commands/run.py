"""`harness run [CONFIG.toml]`: score proxies on sampled architectures and rank them."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from harness.cli import output_dir, run_id, table_policy_overrides


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


def add_run_options(p: argparse.ArgumentParser) -> None:
    """Options shared by the commands that run experiments."""
    p.add_argument("--archs", type=int, help="number of architectures")
    p.add_argument("--proxies", help="comma-separated proxy names or globs (default: all)")
    add_include_option(p)
    p.add_argument("--device", help="torch device, e.g. cpu or cuda (default cpu)")
    p.add_argument(
        "--executor",
        choices=("serial", "processes", "dask"),
        help="who computes: serial, a local process pool (default) or Dask",
    )
    p.add_argument("--workers", type=int, help="worker processes (default: cores // threads)")
    p.add_argument(
        "--failures",
        choices=("worst", "drop", "common"),
        help="architectures a proxy failed on: ranked worst (default), dropped, or only "
        "architectures where every proxy succeeded",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override any config value, e.g. --set input.batch_size=32 (repeatable)",
    )


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "run",
        parents=[common],
        help="score proxies on sampled architectures and rank them",
        description="Sample architectures from a table, score proxies (stored and resumable), "
        "correlate with ground truth; write results.json and leaderboard.{md,csv}. Without a "
        "config: NB201, CIFAR-10 200-epoch test accuracy, 200 unique architectures, every "
        "proxy, a Fashion-MNIST batch of 64.",
    )
    p.add_argument("config", nargs="?", help="experiment config (TOML); default: embedded")
    add_run_options(p)
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(handler=run)


def overrides_from(args: argparse.Namespace) -> list[str]:
    sets = []
    if args.archs is not None:
        sets.append(f"archs={args.archs}")
    if args.proxies:
        sets.append(f"proxies={json.dumps(args.proxies)}")
    if args.device:
        sets.append(f"device={json.dumps(args.device)}")
    if getattr(args, "executor", None):
        sets.append(f'executor="{args.executor}"')
    if getattr(args, "workers", None) is not None:
        sets.append(f"workers={args.workers}")
    if getattr(args, "failures", None):
        sets.append(f'failures="{args.failures}"')
    if args.seed is not None:
        sets.append(f"seed={args.seed}")
    return sets + table_policy_overrides(args) + list(args.set)


def include_overrides(
    args: argparse.Namespace,
    config: str | None,
    overrides: list[str],
    other_tables: tuple[str, ...] = (),
) -> list[str]:
    """`--include` paths appended to the config's own `include` list, as one override."""
    from harness.config import load_run_config

    if not getattr(args, "include", None):
        return []
    base = load_run_config(config, overrides, other_tables=other_tables)
    return [f"include={json.dumps([*base.include, *args.include])}"]


def run(args: argparse.Namespace) -> int:
    from harness.config import load_run_config
    from harness.experiment import run_experiment
    from harness.outputs import StagedOutput
    from harness.report.leaderboard_table import render, to_csv, to_markdown

    overrides = overrides_from(args)
    overrides += include_overrides(args, args.config, overrides)
    config = load_run_config(args.config, overrides)
    table_tag = Path(args.config).stem if args.config else "default"
    rid = run_id("run", table_tag)
    out = output_dir(args, rid)
    started = time.perf_counter()
    with StagedOutput(out) as stage:
        outcome = run_experiment(
            config, data_dir=args.data_dir, run_id=rid, progress=not args.no_progress
        )
        wall = time.perf_counter() - started
        document = outcome.document
        document.config["wall_seconds"] = round(wall, 2)
        document.config["computed_archs"] = outcome.computed_archs
        document.config["reused_archs"] = outcome.reused_archs
        document.write(stage / "results.json")
        rows = document.rows
        target = rows[0].target if rows else document.config["resolved"]["target"]
        title = f"{config.table} · {target} · {config.archs} archs"
        (stage / "leaderboard.md").write_text(to_markdown(rows, title=title))
        (stage / "leaderboard.csv").write_text(to_csv(rows))
    print(render(rows, args.format, title=title), end="")
    if args.format == "md":
        print(
            f"\n{outcome.computed_archs} architectures scored, {outcome.reused_archs} reused "
            f"from the store, {wall:.1f} s; wrote {out / 'results.json'}"
        )
    return 0
