"""`harness run [CONFIG.toml]`: score proxies on sampled architectures and rank them."""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from harness.commands._common import (
    add_run_options,
    include_overrides,
    output_dir,
    overrides_from,
    run_id,
)
from harness.config import MAX_SEEDS, RunConfig, load_run_config, validate
from harness.errors import ConfigError
from harness.outputs import StagedOutput
from harness.seeds import seed_range


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "run",
        parents=[common],
        help="score proxies on sampled architectures and rank them",
        description="Sample architectures from a table, score proxies (stored and resumable), "
        "correlate with ground truth; write results.json and leaderboard.{md,csv}. Without a "
        "config: NB201, CIFAR-10 200-epoch test accuracy, 200 unique architectures, every "
        "proxy, a batch of 64 images of CIFAR-10 when found (data folder, torchvision's and "
        "NAS-Bench-201's usual places; `harness data fetch cifar10`), else Fashion-MNIST.",
    )
    p.add_argument("config", nargs="?", help="experiment config (TOML); default: embedded")
    add_run_options(p)
    p.add_argument(
        "--seeds",
        type=int,
        metavar="K",
        help="score the same architectures under K initial-weight seeds (the run seed and "
        "the K - 1 after it); figures become means over seeds with intervals over seeds and "
        "architectures, beside each proxy's agreement with itself across seeds",
    )
    p.add_argument(
        "--vary-batch",
        action="store_true",
        help="with several seeds, draw each seed's image batch with that seed (default: "
        "every seed reads the run seed's batch)",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(handler=run, prints_latex=True)


def seed_overrides(args: argparse.Namespace, config: RunConfig) -> RunConfig:
    """`--seeds K` (the run seed and the K - 1 after it) and `--vary-batch` applied."""
    changes: dict = {}
    if args.seeds is not None:
        if not 1 <= args.seeds <= MAX_SEEDS:
            raise ConfigError(f"--seeds must be in 1..{MAX_SEEDS}, got {args.seeds}")
        changes["seeds"] = seed_range(config.seed, args.seeds)
    if args.vary_batch:
        changes["vary_batch"] = True
    if not changes:
        return config
    config = dataclasses.replace(config, **changes)
    validate(config)
    return config


def images_title(images: dict) -> str:
    """The title's warning when the proxies did not score the target's own images."""
    if images["target_images"]:
        return ""
    return f" · on {images['label']} images, not the target's"


def run(args: argparse.Namespace) -> int:
    # deferred: pulls in torch, numpy, pandas, scipy, tqdm
    from harness.experiment import run_experiment
    from harness.report.leaderboard_table import render, to_csv, to_markdown

    overrides = overrides_from(args)
    overrides |= include_overrides(args, args.config, overrides)
    config = seed_overrides(args, load_run_config(args.config, overrides))
    table_tag = Path(args.config).stem if args.config else "default"
    rid = run_id("run", table_tag)
    out = output_dir(args, rid)
    started = time.perf_counter()
    seeds = config.seed_list
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
        if len(seeds) > 1:
            batch = "batch varied with the seed" if config.vary_batch else "batch fixed"
            title += f" · {len(seeds)} seeds ({batch})"
        images = document.config["resolved"]["images"]
        title += images_title(images)
        text = images["description"]
        (stage / "leaderboard.md").write_text(to_markdown(rows, title=title, images=text))
        (stage / "leaderboard.csv").write_text(to_csv(rows))
    print(render(rows, args.format, title=title, images=text), end="")
    if args.format == "md":
        what = "architectures" if len(seeds) == 1 else "(architecture, seed) pairs"
        print(
            f"\n{outcome.computed_archs} {what} scored, {outcome.reused_archs} reused "
            f"from the store, {wall:.1f} s; wrote {out / 'results.json'}"
        )
    return 0
