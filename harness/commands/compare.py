"""`harness compare BASE.json NEW.json`: the regression gate for CI.

Exit status: 0 when no drop is both beyond its threshold and significant, 1 when
one is (a regression), 2 for a user error (bad file, bad option).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.commands._common import add_failures_option
from harness.errors import ConfigError
from harness.outputs import StagedOutput
from harness.report import DEFAULT_FAIL_ON, load_documents


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "compare",
        parents=[common],
        help="regression gate: compare two results documents, exit 1 on a significant drop",
        description="Print the change of every (space, dataset, proxy) between BASE and NEW and "
        "exit 1 when a drop is larger than its threshold AND significant under a bootstrap "
        "test over the architectures (paired when both runs scored the same architectures, "
        "unpaired otherwise). Documents with several initial-weight seeds (harness run --seeds) "
        "are compared on the mean over seeds with a two-level bootstrap over seeds and "
        "architectures. New proxies are reported; a proxy of BASE missing from NEW fails "
        "(--allow-missing reports it instead), as do a document with no rows and a proxy of NEW "
        "ranked on fewer architectures than in BASE (beyond --arch-tolerance).",
    )
    p.add_argument("base", help="baseline results.json (or a folder holding one)")
    p.add_argument("new", help="candidate results.json (or a folder holding one)")
    p.add_argument(
        "--fail-on",
        default=DEFAULT_FAIL_ON,
        help=f"STAT:THRESHOLD,... drops that fail (default {DEFAULT_FAIL_ON}); STAT is "
        "kendall, spearman or pearson; -0.02 and 0.02 both mean a drop of more than 0.02",
    )
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (0.05)")
    p.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (1000)")
    p.add_argument(
        "--pairing",
        choices=("auto", "archs"),
        default="auto",
        help="auto (default): paired test only when both runs scored the same architectures "
        "with the same seed(s) and input batch(es); archs: paired whenever the architectures "
        "match (seed noise then counts as a change; runs with as many seeds pair seed by seed)",
    )
    add_failures_option(p, recompute=True)
    p.add_argument(
        "--arch-tolerance",
        type=float,
        default=0.1,
        help="share of the base's architectures a proxy of NEW may lack before the gate "
        "fails (0.1: exit 1 when NEW ranked more than 10%% fewer)",
    )
    p.add_argument(
        "--allow-missing",
        action="store_true",
        help="report a proxy of BASE that is missing from NEW instead of failing on it",
    )
    p.add_argument(  # the default since issue 27; kept so existing CI jobs keep working
        "--fail-on-missing", action="store_true", help=argparse.SUPPRESS
    )
    p.set_defaults(handler=run)


def _single(path: str, role: str):
    sources = load_documents([path])
    if len(sources) != 1:
        raise ConfigError(f"{path}: {role} must be one results document, found {len(sources)}")
    return sources[0]


def run(args: argparse.Namespace) -> int:
    # deferred: pulls in numpy, pandas, scipy
    from harness.report.gate import parse_fail_on

    if args.resamples < 1:
        raise ConfigError(f"--resamples must be >= 1, got {args.resamples}")
    if not 0 < args.alpha < 1:
        raise ConfigError(f"--alpha must lie in (0, 1), got {args.alpha}")
    rules = parse_fail_on(args.fail_on)
    if not args.out:
        return _compare(args, rules, None)
    with StagedOutput(args.out) as stage:  # checked before any work, written all at once
        return _compare(args, rules, stage)


def _compare(args: argparse.Namespace, rules, stage: Path | None) -> int:
    # deferred: pulls in numpy, pandas, scipy
    from harness.report.gate import (
        compare_documents,
        gate_markdown,
        gate_records,
    )  # deferred: pulls in numpy, pandas, scipy

    base, new = _single(args.base, "BASE"), _single(args.new, "NEW")
    base = type(base)(label="base", path=base.path, document=base.document)
    new = type(new)(label="new", path=new.path, document=new.document)
    if args.failures:
        # deferred: pulls in numpy, pandas, scipy
        from harness.report.failure_policy import rescored

        base, new = (
            rescored(d, args.failures, n_resamples=args.resamples, seed=args.seed or 0)
            for d in (base, new)
        )
    report = compare_documents(
        base,
        new,
        rules,
        alpha=args.alpha,
        n_resamples=args.resamples,
        seed=args.seed or 0,
        pair_across_seeds=args.pairing == "archs",
        failures=args.failures,
        arch_tolerance=args.arch_tolerance,
        allow_missing=args.allow_missing and not args.fail_on_missing,
    )
    markdown = gate_markdown(report, base, new)
    records = gate_records(report)
    if args.format == "md":
        print(markdown, end="")
    elif args.format == "csv":
        # deferred: pulls in pandas
        import pandas as pd

        print(pd.DataFrame(records).to_csv(index=False, float_format="%.6g"), end="")
    else:
        payload = {"failed": report.failed, "notes": list(report.notes), "lines": records}
        if report.problems:  # only when the gate fails on them: the usual output is unchanged
            payload["problems"] = list(report.problems)
        print(json.dumps(payload, indent=2, allow_nan=True))
    if stage is not None:
        # deferred: pulls in pandas
        import pandas as pd

        (stage / "compare.md").write_text(markdown)
        pd.DataFrame(records).to_csv(stage / "compare.csv", index=False, float_format="%.6g")
    return 1 if report.failed else 0
