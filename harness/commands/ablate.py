"""`harness ablate CONFIG.toml`: run a grid of run configurations, write one ablation report."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from harness.ablation import GRID_TABLES, experiment_runner, run_ablation, settings_of
from harness.commands._common import (
    add_run_options,
    include_overrides,
    output_dir,
    overrides_from,
    run_id,
)
from harness.devices import check_device
from harness.errors import ConfigError
from harness.outputs import StagedOutput


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "ablate",
        parents=[common],
        help="run a grid of run configurations (ablation) and report it",
        description="Run every setting of the [grid] table of CONFIG (a run config whose grid "
        "keys are run config keys, dotted for input.*), reusing the score store; write one "
        "results.json (kind ablation), the ablation figures (PNG + SVG), report.md, "
        "report.html and CSVs.",
    )
    p.add_argument("config", help="ablation config (TOML with [run] and [grid] tables)")
    add_run_options(p)
    p.add_argument("--dry-run", action="store_true", help="list the settings, run nothing")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    p.add_argument(
        "--resamples", type=int, default=1000, help="resamples of the tests between settings"
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # deferred: the report room pulls in matplotlib, pandas and scipy (`harness --help` stays light)
    from harness.report import ReportOptions, build_report, label_documents
    from harness.report.documents import setting_label

    if args.resamples < 1:
        raise ConfigError(f"--resamples must be >= 1, got {args.resamples}")
    overrides = overrides_from(args)
    overrides |= include_overrides(args, args.config, overrides, GRID_TABLES)
    base, grid, settings = settings_of(args.config, overrides)
    for setting in settings:
        check_device(setting.config.device)
    if args.dry_run:
        for setting in settings:
            print(f"setting {setting.index}: {setting_label(setting.values)}")
        print(f"{len(settings)} settings of {base.archs} architectures; store {base.store}")
        return 0
    rid = run_id("ablation", Path(args.config).stem)
    out = output_dir(args, rid)
    started = time.perf_counter()

    def announce(setting) -> None:
        if not args.no_progress:
            print(
                f"setting {setting.index + 1}/{len(settings)}: {setting_label(setting.values)}",
                file=sys.stderr,
            )

    staged = StagedOutput(out)
    with staged as stage:
        document = run_ablation(
            args.config,
            experiment_runner(args.data_dir, progress=not args.no_progress),
            run_id=rid,
            overrides=overrides,
            on_setting=announce,
        )
        results = staged.final(document.write(stage / "results.json"))
        files = build_report(
            label_documents([document]),
            stage,
            ReportOptions(
                title=f"Ablation {Path(args.config).stem}",
                n_resamples=args.resamples,
                seed=base.seed,
            ),
        )
    wall = time.perf_counter() - started
    print(
        f"{len(settings)} settings in {wall:.0f} s; wrote {results}, {files.markdown.name}, "
        f"{files.html.name}, {len(files.figures)} figures in {out / 'figures'}"
    )
    return 0
