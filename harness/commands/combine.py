"""`harness combine [CONFIG.toml]`: few-shot learned combinations of proxies, judged on
held-out architectures against the best single proxy.

Writes results.json (kind "combine"), combine.md (the report), curve.csv (a line per
evaluation, model and k), weights.csv (fitted weights / importances), leaderboard.md /
leaderboard.csv (a row per model and k, with the comparators on the same held-out
architectures) and learning_curve.png.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from harness.commands._common import (
    add_run_options,
    config_overrides,
    names,
    output_dir,
    run_flags,
    run_id,
)
from harness.config import set_override
from harness.errors import ConfigError
from harness.outputs import StagedOutput


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "combine",
        parents=[common],
        help="fit learned combinations of proxies on k labelled archs; judge them held out",
        description="Fit ridge / logistic / pairwise / gradient-boosted-tree combinations of "
        "the proxies on k labelled architectures (repeated random splits, isomorphic cells "
        "on one side) and judge them on the held-out ones only, against the best single "
        "proxy and the best label-free combination (paired bootstrap); transfer to other "
        "datasets and tables; a leakage test. The config is a run config with a [combine] "
        "table (docs/ensembles.md); without one: the embedded run's scores (from the store, "
        "scoring what is missing).",
    )
    p.add_argument("config", nargs="?", help="run config (TOML) with a [combine] table")
    add_run_options(p)
    p.add_argument(
        "--scores",
        choices=("computed", "reference", "results"),
        help="combine.scores: the run's (store), the table's reference scores, or a "
        "results.json's (default computed)",
    )
    p.add_argument(
        "--results", metavar="RESULTS.json", help="a harness run's results (--scores results)"
    )
    p.add_argument("--ks", help="comma-separated labelled-architecture counts (combine.ks)")
    p.add_argument("--splits", type=int, help="random splits per k (combine.splits)")
    p.add_argument("--models", help="comma-separated: ridge,logistic,pairwise,gbt")
    p.add_argument("--transfer", help="comma-separated DATASET or TABLE:DATASET targets")
    p.add_argument("--no-leakage", action="store_true", help="skip the leakage test")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(handler=run)


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """The run options, --seed, the table flags and --set (as `harness run`'s), then the
    combine flags, as config overrides; the combine flags win over `--set combine.KEY`."""
    ks = None
    if args.ks:
        try:
            ks = [int(k) for k in args.ks.split(",") if k.strip()]
        except ValueError:
            raise ConfigError(f"--ks expects comma-separated integers, got {args.ks!r}") from None
    # deferred: pulls in numpy, pandas, scipy
    from harness.combine.config import parse_combine_set

    overrides = config_overrides(args, run_flags(args), parse=parse_combine_set)
    flags = {
        "combine.scores": args.scores or ("results" if args.results else None),
        "combine.results": args.results or None,
        "combine.ks": ks,
        "combine.splits": args.splits,
        "combine.models": names(args.models) if args.models else None,
        "combine.transfer": names(args.transfer) if args.transfer else None,
        "combine.leakage": False if args.no_leakage else None,
    }
    for key, value in flags.items():
        if value is not None:
            set_override(overrides, key, value)
    return overrides


def run(args: argparse.Namespace) -> int:
    # deferred: pulls in numpy, pandas, scipy
    from harness.combine.config import load_combine_config
    from harness.combine.models import get_model
    from harness.combine.report import (
        combine_markdown,
        curve_csv,
        leaderboard_markdown,
        leaderboard_rows,
        plot_learning_curves,
        weights_csv,
    )  # deferred: pulls in numpy, pandas, scipy
    from harness.combine.runner import run_combine
    from harness.report.leaderboard_table import to_csv

    run_config, config = load_combine_config(args.config, overrides_from(args))
    for model in config.models:
        get_model(model)  # an unknown name stops here, before any work
    tag = Path(args.config).stem if args.config else "default"
    rid = run_id("combine", tag)
    out = output_dir(args, rid)
    started = time.perf_counter()
    with StagedOutput(out) as stage:
        outcome = run_combine(
            run_config, config, data_dir=args.data_dir, run_id=rid, progress=not args.no_progress
        )
        wall = time.perf_counter() - started
        document = outcome.document
        document.config["wall_seconds"] = round(wall, 2)
        document.write(stage / "results.json")
        markdown = combine_markdown(document)
        (stage / "combine.md").write_text(markdown)
        curve = curve_csv(document)
        (stage / "curve.csv").write_text(curve)
        (stage / "weights.csv").write_text(weights_csv(document))
        board = leaderboard_rows(document.rows)
        title = f"{outcome.source.name} · held-out, per k"
        (stage / "leaderboard.md").write_text(leaderboard_markdown(document.rows, title))
        (stage / "leaderboard.csv").write_text(to_csv(board))
        plot_learning_curves(document, stage / "learning_curve.png")
    if args.format == "json":
        print(json.dumps(document.to_dict()["rows"], indent=2, allow_nan=False))
    elif args.format == "csv":
        print(curve, end="")
    else:
        print(markdown, end="")
        print(f"\n{wall:.1f} s; wrote {out / 'results.json'}, combine.md, learning_curve.png")
    leakage = outcome.leakage
    if leakage is not None and not leakage.passed:
        print("harness: warning: the leakage test failed (see combine.md)", file=sys.stderr)
    return 0
