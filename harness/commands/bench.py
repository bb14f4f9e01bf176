"""`harness bench`: how long the proxies take per architecture, against the floor and naively."""

from __future__ import annotations

import argparse
import sys

from harness.commands._common import add_include_option, add_measurement_options, output_dir, run_id
from harness.outputs import StagedOutput


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "bench",
        parents=[common],
        help="time the proxies per architecture: engine vs naive vs one forward+backward",
        description="On a seeded sample of a search space, time one forward+backward (the "
        "floor), every proxy through the shared-pass engine and naively (each alone on its "
        "own copy), and peak memory; print one table and write bench.json (under --out, "
        "else reports/<run-id>/).",
    )
    p.add_argument("--space", default="nb201", help="a registered search space (nb201)")
    p.add_argument("--archs", type=int, default=20, help="architectures sampled (20)")
    p.add_argument("--batch-size", type=int, default=64, help="images per batch (64)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (cpu)")
    p.add_argument(
        "--proxies", default="standard", help="names, globs or 'standard' (comma-separated)"
    )
    add_include_option(p)
    p.add_argument(
        "--shared-set",
        default=None,
        help="proxies timed together through the engine as a second set "
        "(default: grad_norm,snip,grasp,fisher,jacov,plain,synflow; 'none' to skip)",
    )
    p.add_argument("--repeats", type=int, default=3, help="timed repeats per architecture (3)")
    p.add_argument("--warmup", type=int, default=1, help="untimed rounds before timing (1)")
    add_measurement_options(p)
    p.add_argument("--no-naive", action="store_true", help="skip the naive timings")
    p.add_argument(
        "--memory-archs",
        type=int,
        default=-1,
        help="measure peak memory on the first N architectures (-1 all, 0 none)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress on stderr")
    p.set_defaults(handler=run)


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


def options_from(args: argparse.Namespace):
    # deferred: pulls in torch, numpy, pandas, scipy, tqdm
    from harness.bench import SHARED_PASS_SET, BenchOptions

    if args.shared_set is None:
        shared = SHARED_PASS_SET
    elif args.shared_set.strip().lower() in ("", "none"):
        shared = ()
    else:
        shared = _names(args.shared_set)
    return BenchOptions(
        space=args.space,
        archs=args.archs,
        batch_size=args.batch_size,
        device=args.device,
        proxies=_names(args.proxies),
        include=tuple(args.include),
        shared_set=shared,
        repeats=args.repeats,
        warmup=args.warmup,
        threads=args.threads,
        # None when another command reset the shared --seed default (argparse parents)
        seed=0 if args.seed is None else args.seed,
        input_source=args.input_source,
        network_variant=args.variant,
        naive=not args.no_naive,
        memory_archs=args.memory_archs,
    )


def run(args: argparse.Namespace) -> int:
    # deferred: pulls in torch, numpy, pandas, scipy, tqdm
    from harness.bench import (
        bench_document,
        environment,
        render,
        run_bench,
        summarise_bench,
        title,
        write_document,
    )  # deferred: pulls in numpy, pandas, scipy, torch, tqdm

    options = options_from(args)
    options.validate()
    staged = StagedOutput(output_dir(args, run_id("bench", options.space)))
    done = 0

    def progress(arch: str) -> None:
        nonlocal done
        done += 1
        if not args.no_progress:
            print(f"bench: {done}/{options.archs} {arch}", file=sys.stderr, flush=True)

    with staged as stage:
        bench = run_bench(options, progress=progress)
        rows = summarise_bench(bench)
        env = environment(options.device, options.threads)
        heading = title(bench, env)
        path = staged.final(write_document(bench_document(bench, rows, env), stage / "bench.json"))
    print(render(rows, args.format, heading), end="")
    if args.format == "md":
        print(f"\nwrote {path}")
    return 0
