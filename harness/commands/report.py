"""`harness report RESULTS.json…`: plots, CSVs, report.md and a self-contained report.html."""

from __future__ import annotations

import argparse
import json

from harness.commands._common import add_failures_option, output_dir, run_id
from harness.errors import ConfigError
from harness.outputs import StagedOutput


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "report",
        parents=[common],
        help="plots, CSVs and a self-contained HTML/Markdown report from results documents",
        description="Read results documents (files, or folders searched for results.json) "
        "written by leaderboard, run, ablate, distill or search, and write report.html (no "
        "network needed: images inline), report.md, figures/*.png|svg and CSVs. Nothing is "
        "recomputed: figures use the stored per-architecture values.",
    )
    p.add_argument("results", nargs="+", metavar="RESULTS", help="results.json files or folders")
    p.add_argument("--title", default="Proxy ranking report", help="report title")
    p.add_argument(
        "--resamples",
        type=int,
        default=1000,
        help="bootstrap resamples of the tests between ablation settings (1000)",
    )
    p.add_argument(
        "--confidence", type=float, default=0.95, help="interval level of those tests (0.95)"
    )
    add_failures_option(p, recompute=True)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # deferred: the report room pulls in matplotlib, pandas and scipy (`harness --help` stays light)
    from harness.report import ReportOptions, build_report, load_documents

    if args.resamples < 1:
        raise ConfigError(f"--resamples must be >= 1, got {args.resamples}")
    if not 0 < args.confidence < 1:
        raise ConfigError(f"--confidence must lie in (0, 1), got {args.confidence}")
    out = output_dir(args, run_id("report"))
    options = ReportOptions(
        title=args.title,
        n_resamples=args.resamples,
        confidence=args.confidence,
        seed=args.seed or 0,
    )
    staged = StagedOutput(out)
    with staged as stage:
        sources = load_documents(args.results, need_rows=True)
        if args.failures:
            # deferred: pulls in numpy, pandas, scipy
            from harness.report.failure_policy import rescored

            sources = [
                rescored(s, args.failures, n_resamples=args.resamples,
                         confidence=args.confidence, seed=args.seed or 0)
                for s in sources
            ]  # fmt: skip
        files = build_report(sources, stage, options)
    final = staged.final
    if args.format == "json":
        print(
            json.dumps(
                {
                    "html": str(final(files.html)),
                    "markdown": str(final(files.markdown)),
                    "csvs": [str(final(p)) for p in files.csvs],
                    "figures": [str(final(f.files.png)) for f in files.figures],
                },
                indent=2,
            )
        )
    else:
        for source in sources:
            print(
                f"{source.label}: {source.document.kind} {source.document.run_id} ({source.path})"
            )
        print(
            f"wrote {final(files.html)}, {files.markdown.name}, {len(files.csvs)} CSV files and "
            f"{len(files.figures)} figures (PNG + SVG) in {out / 'figures'}"
        )
    return 0
