"""`harness search [CONFIG.toml]`: RelativeNAS, REA and random search over a table, per estimator.

Writes results.json (kind "search"), search.md / search.csv (final accuracy mean and 95%
interval per strategy and estimator, pairwise accuracy) and regret.png (regret vs
estimator calls).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from harness.commands._common import add_set_option, config_overrides, names, output_dir, run_id
from harness.devices import check_device
from harness.outputs import StagedOutput


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "search",
        parents=[common],
        help="run RelativeNAS, REA and random search with oracle, noisy, proxy estimators",
        description="Search a table's space with each strategy and estimator over many seeds "
        "under a budget of estimator calls (unique architectures scored); record the "
        "architecture each would return, its true accuracy and the regret per step; write "
        "results.json, search.md, search.csv and regret.png. --seed is the first search "
        "seed (default: the config's, 0). Without a config: NB201-CSV, CIFAR-10 test "
        "accuracy at 200 epochs, the oracle, 1000 calls, 20 seeds.",
    )
    p.add_argument("config", nargs="?", help="search config (TOML); default: embedded")
    p.add_argument("--budget", type=int, help="estimator calls per search")
    p.add_argument("--seeds", type=int, help="number of search seeds (20)")
    p.add_argument("--strategies", help="comma-separated: relativenas,rea,random")
    p.add_argument(
        "--estimators", help="comma-separated specs: oracle, noisy:SD, lowfi, proxy:NAME, ..."
    )
    p.add_argument("--device", help="torch device for proxy estimators (cpu)")
    add_set_option(p, "rea.sample=10")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(handler=run)


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """The search flags, --seed, the table flags and --set as config overrides."""
    flags = {
        "budget": args.budget,
        "seeds": args.seeds,
        "strategies": names(args.strategies) if args.strategies else None,
        "estimators": names(args.estimators) if args.estimators else None,
        "proxy.device": args.device or None,
    }
    return config_overrides(args, flags)


def run(args: argparse.Namespace) -> int:
    # deferred: pulls in numpy, pandas, scipy
    from harness.search import load_search_config, run_search
    from harness.search.report import plot_regret, summary_csv, summary_markdown

    config = load_search_config(args.config, overrides_from(args))
    if any(spec.kind == "proxy" for spec in config.estimator_specs()):
        check_device(config.proxy.device, "proxy.device")
    tag = Path(args.config).stem if args.config else "default"
    rid = run_id("search", tag)
    out = output_dir(args, rid)
    started = time.perf_counter()
    with StagedOutput(out) as stage:
        outcome = run_search(
            config, data_dir=args.data_dir, run_id=rid, progress=not args.no_progress
        )
        wall = time.perf_counter() - started
        document = outcome.document
        document.config["wall_seconds"] = round(wall, 2)
        document.config["proxy_computed_archs"] = outcome.proxy_computed_archs
        document.config["proxy_reused_archs"] = outcome.proxy_reused_archs
        document.write(stage / "results.json")
        setup = outcome.setup
        title = (
            f"{setup.table.name} · {setup.target} · {config.budget} calls · best {setup.best:.2f}"
        )
        markdown = summary_markdown(document.rows, title)
        table_csv = summary_csv(document.rows)
        (stage / "search.md").write_text(markdown)
        (stage / "search.csv").write_text(table_csv)
        plot_regret(document.rows, stage / "regret.png", title)
    if args.format == "json":
        print(json.dumps(document.to_dict()["rows"], indent=2, allow_nan=False))
    elif args.format == "csv":
        print(table_csv, end="")
    else:
        print(markdown, end="")
        extra = ""
        if outcome.proxy_computed_archs or outcome.proxy_reused_archs:
            extra = (
                f"; proxy scores: {outcome.proxy_computed_archs} architectures computed, "
                f"{outcome.proxy_reused_archs} reused from {config.proxy.store}"
            )
        print(f"\n{wall:.1f} s{extra}; wrote {out / 'results.json'}, search.md, regret.png")
    return 0
