"""`harness leaderboard`: rank the reference proxy scores shipped with a benchmark table."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from harness.commands._common import add_failures_option, output_dir, run_id, table_policy
from harness.config import load_run_config
from harness.errors import ConfigError
from harness.outputs import StagedOutput
from harness.report import load_documents

if TYPE_CHECKING:
    from harness.leaderboard import LeaderboardOptions


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "leaderboard",
        parents=[common],
        help="rank the reference proxy scores of a table, or merge results documents",
        description="Rank the proxy scores shipped in a benchmark table (e.g. NAS-Bench-Suite-"
        "Zero) against ground-truth accuracy; write results.json, leaderboard.md and "
        "leaderboard.csv. With --results, merge the rows of several results documents into "
        "one ranking instead (mean tau with intervals per space/dataset; leaderboard.md, .csv "
        "and .html).",
    )
    p.add_argument(
        "--results",
        nargs="+",
        metavar="RESULTS",
        help="merge these results documents (results.json files, or folders searched for "
        "them) instead of ranking a table",
    )
    p.add_argument("--table", default="suite-zero-nb201", help="table (suite-zero-nb201)")
    p.add_argument(
        "--dataset",
        help="dataset of the proxy scores (default: the dataset of the target the table "
        "declares; suite-zero-nb201: cifar10)",
    )
    p.add_argument(
        "--target",
        help="ground truth: dataset/split/epochs, dataset/metric/split/epochs, dataset/metric "
        "or a metric the table has once; TABLE:TARGET ranks against another table's column, "
        "joined on the canonical keys, e.g. hw-nas-bench:cifar10/edgegpu_latency (lower-is-"
        "better targets are ranked against their negation) (default: the table's own accuracy "
        "for --dataset)",
    )
    p.add_argument(
        "--targets",
        help="rank against several targets at once, comma-separated (any form --target takes, "
        "e.g. cifar10-valid/valid/200,hw-nas-bench:cifar10/edgegpu_latency,"
        "nb201-robustness:pgd@Linf_eps-1.0): one proxies x targets table per figure",
    )
    p.add_argument(
        "--truth-table",
        help="table to join for the target when --table lacks it (default: the one the table "
        "declares; suite-zero-nb201: nb201-csv)",
    )
    p.add_argument(
        "--duplicates",
        choices=("as-written", "mean", "first"),
        default="as-written",
        help="Suite-Zero records of one architecture: rank each record as the file's authors "
        "did (as-written, default), average them (mean) or keep the first",
    )
    p.add_argument(
        "--combinations",
        help="comma-separated label-free combinations to rank with the table's proxies, e.g. "
        "mean_rank,borda,median_rank,vote (members the table lacks are left out and named)",
    )
    p.add_argument(
        "--config",
        help="a run config whose [combinations] (user-named combinations) may be named in "
        "--combinations",
    )
    add_failures_option(p, recompute=False)
    p.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (1000)")
    p.add_argument("--confidence", type=float, default=0.95, help="interval level (0.95)")
    p.add_argument(
        "--interval",
        choices=("bootstrap", "jackknife"),
        default="bootstrap",
        help="how intervals are made: paired percentile bootstrap with --resamples "
        "(default), or the jackknife's normal interval, no resampling, seconds on a whole "
        "space (harness.stats.jackknife)",
    )
    p.set_defaults(handler=run, prints_latex=True)


def run(args: argparse.Namespace) -> int:
    if args.seed is None:  # --seed not given
        args.seed = 0
    if args.resamples < 0:
        raise ConfigError(f"--resamples must be >= 0, got {args.resamples}")
    if not 0 < args.confidence < 1:
        raise ConfigError(f"--confidence must lie in (0, 1), got {args.confidence}")
    if args.results:
        if args.interval != "bootstrap":
            raise ConfigError("--interval jackknife ranks a table; a merge of --results "
                              "bootstraps over the runs")  # fmt: skip
        if args.format == "latex":
            raise ConfigError("--format latex ranks a table; a merge of --results writes md, "
                              "csv and html")  # fmt: skip
        return merge(args)
    args.dataset = args.dataset or _default_dataset(args.table)
    rid = run_id("leaderboard", args.table, args.dataset)
    if args.targets:
        if args.target or args.combinations or args.truth_table:
            raise ConfigError("--targets ranks the table's proxies only: give it without "
                              "--target, --truth-table and --combinations")  # fmt: skip
        with StagedOutput(output_dir(args, rid)) as stage:
            return _rank_targets(args, rid, stage)
    with StagedOutput(output_dir(args, rid)) as stage:
        return _rank_table(args, rid, stage)


def _rank_table(args: argparse.Namespace, rid: str, stage: Path) -> int:
    # deferred: pulls in numpy, pandas, scipy
    from harness.leaderboard import rank_table
    from harness.report.leaderboard_table import render, to_csv, to_markdown

    board = rank_table(
        args.table,
        run_id=rid,
        dataset=args.dataset,
        target=args.target,
        options=_options(args),
        data_dir=args.data_dir,
        truth_table=args.truth_table,
        duplicates=args.duplicates,
        table_policy=table_policy(args),
        combinations=_combinations(args),
    )
    out = output_dir(args, rid)
    board.document.write(stage / "results.json")
    images = board.images or None
    lower = board.lower_is_better
    markdown = to_markdown(board.rows, title=board.title, images=images, lower_is_better=lower)
    (stage / "leaderboard.md").write_text(markdown)
    (stage / "leaderboard.csv").write_text(to_csv(board.rows))
    if args.format == "latex":
        (stage / "leaderboard.tex").write_text(render(board.rows, "latex", title=board.title))
    print(render(board.rows, args.format, title=board.title, images=images,
                 lower_is_better=lower), end="")  # fmt: skip
    if args.format == "md":
        print(f"\nwrote {Path(out) / 'results.json'}, leaderboard.md, leaderboard.csv")
    return 0


def _rank_targets(args: argparse.Namespace, rid: str, stage: Path) -> int:
    # deferred: pulls in numpy, pandas, scipy
    from harness.leaderboard import rank_table_targets
    from harness.report import target_matrix
    from harness.report.leaderboard_table import render, to_csv

    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    board = rank_table_targets(
        args.table,
        run_id=rid,
        dataset=args.dataset,
        targets=targets,
        options=_options(args),
        data_dir=args.data_dir,
        duplicates=args.duplicates,
        table_policy=table_policy(args),
    )
    lower = [t.column for t in board.targets if not t.higher_is_better]
    markdown = target_matrix.to_markdown(board.rows, title=board.title, lower_is_better=lower)
    latex = target_matrix.to_latex(board.rows, caption=board.title, lower_is_better=lower)
    board.document.write(stage / "results.json")
    (stage / "leaderboard.md").write_text(markdown)
    (stage / "leaderboard.csv").write_text(to_csv(board.rows))
    (stage / "leaderboard.html").write_text(
        target_matrix.to_html(board.rows, title=board.title, lower_is_better=lower)
    )
    (stage / "leaderboard.tex").write_text(latex)
    printed = {"md": markdown, "latex": latex}
    print(printed.get(args.format) or render(board.rows, args.format), end="")
    if args.format == "md":
        out = output_dir(args, rid)
        print(f"\nwrote {Path(out) / 'results.json'}, leaderboard.md, .csv, .html, .tex (booktabs)")
    return 0


def merge(args: argparse.Namespace) -> int:
    """`--results`: one ranking over several results documents (see harness.report.merge)."""
    # deferred: pulls in numpy, pandas, scipy
    from harness.report.merge import merge_documents, merged_frame, merged_html, merged_markdown

    if args.resamples < 1:
        raise ConfigError(f"--resamples must be >= 1 to merge runs, got {args.resamples}")
    out = output_dir(args, run_id("leaderboard", "merged"))
    with StagedOutput(out) as stage:
        sources = load_documents(args.results, need_rows=True)
        if args.failures:
            # deferred: pulls in numpy, pandas, scipy
            from harness.report.failure_policy import rescored

            sources = [
                rescored(s, args.failures, n_resamples=args.resamples,
                         confidence=args.confidence, seed=args.seed)
                for s in sources
            ]  # fmt: skip
        merged = merge_documents(
            sources, n_resamples=args.resamples, confidence=args.confidence, seed=args.seed
        )
        markdown = merged_markdown(merged, sources)
        csv = merged_frame(merged).to_csv(index=False, float_format="%.6g")
        (stage / "leaderboard.md").write_text(markdown)
        (stage / "leaderboard.csv").write_text(csv)
        (stage / "leaderboard.html").write_text(merged_html(merged, sources))
    if args.format == "md":
        print(markdown, end="")
        print(f"\nmerged {len(sources)} documents; wrote {out / 'leaderboard.md'}, .csv, .html")
    elif args.format == "csv":
        print(csv, end="")
    else:
        print(merged_frame(merged).to_json(orient="records", indent=2))
    return 0


def _options(args: argparse.Namespace) -> LeaderboardOptions:
    """The figures' settings of a table's leaderboard (failed architectures ranked worst
    unless --failures says otherwise)."""
    # deferred: pulls in numpy, pandas, scipy
    from harness.leaderboard import LeaderboardOptions  # noqa: F811

    return LeaderboardOptions(
        n_resamples=args.resamples,
        confidence=args.confidence,
        seed=args.seed,
        failures=args.failures or "worst",
        interval=args.interval,
    )


def _default_dataset(table: str) -> str:
    """The proxies' dataset the table declares (through its default target)."""
    # deferred: pulls in numpy, pandas
    from harness.leaderboard import require_rankable
    from harness.tables import default_dataset

    dataset = default_dataset(table)
    if dataset is None:
        require_rankable(table)  # a table only a run config loads: say that first
        raise ConfigError(f"table {table} declares no default target: give --dataset")
    return dataset


def _combinations(args: argparse.Namespace) -> list[str]:
    """The combination names of --combinations, after defining a --config's own."""
    if args.config:
        # deferred: pulls in torch, numpy, scipy, tqdm
        from harness.proxies.combinations import define_combinations

        define_combinations(load_run_config(args.config).combinations)
    if not args.combinations:
        return []
    return list(dict.fromkeys(n.strip() for n in args.combinations.split(",") if n.strip()))
