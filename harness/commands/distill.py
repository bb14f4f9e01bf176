"""`harness distill CONFIG.toml`: does distilling a proxy's ranking into a supernet help?

Trains SPOS and RD-NAS one-shot NB201 supernets under the same budget and seeds, ranks
subnets with inherited weights against the benchmark's ground truth, and writes
results.json (kind "distill"), distill.md / distill.csv and kendall_vs_epoch.png.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path
from typing import Any

from harness.commands._common import add_set_option, config_overrides, output_dir, run_id
from harness.devices import check_device
from harness.outputs import StagedOutput


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "distill",
        parents=[common],
        help="RD-NAS vs SPOS: distil a proxy's ranking into a one-shot supernet",
        description="Train SPOS and RD-NAS NB201 supernets with identical budgets and seeds "
        "(checkpointed: an interrupted run resumes), rank subnets with inherited weights "
        "against the benchmark, and write results.json, distill.md, distill.csv and "
        "kendall_vs_epoch.png. Configs: benchmarks/rdnas_cpu.toml (Fashion-MNIST, CPU) and "
        "benchmarks/rdnas_paper.toml (CIFAR-10, the reference's settings).",
    )
    p.add_argument("config", nargs="?", help="distill config (TOML); default: embedded (paper)")
    p.add_argument("--device", help="torch device, e.g. cpu or cuda")
    add_set_option(p, "rdnas.teacher=synflow")
    p.add_argument(
        "--smoke",
        action="store_true",
        help="one epoch, one seed, a small subset and 10 subnets: a quick check for CI",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    p.set_defaults(handler=run)


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """--device, --seed, the table flags and --set as config overrides."""
    return config_overrides(args, {"device": args.device or None})


def run(args: argparse.Namespace) -> int:
    # deferred: pulls in torch, numpy, pandas, scipy, tqdm
    from harness.distill.config import load_distill_config, smoke_config, validate
    from harness.distill.experiment import output_files, run_distill
    from harness.distill.report import plot_kendall_vs_epoch, to_csv, to_markdown

    config = load_distill_config(args.config, overrides_from(args))
    if args.smoke:
        config = smoke_config(config)
        validate(config)
    check_device(config.device)
    tag = Path(args.config).stem if args.config else "default"
    rid = run_id("distill", tag, "smoke" if args.smoke else "")
    out = output_dir(args, rid)
    started = time.perf_counter()
    staged = StagedOutput(out)
    with staged as stage:
        outcome = run_distill(
            config, data_dir=args.data_dir, run_id=rid, progress=not args.no_progress
        )
        wall = time.perf_counter() - started
        document = outcome.document
        document.config["wall_seconds"] = round(wall, 2)
        document.config["cpu_seconds"] = round(_cpu_seconds(), 2)
        document.config["smoke"] = bool(args.smoke)
        document.config["runs"] = [
            {
                "method": h.label,
                "seed": h.seed,
                "reused": h.reused,
                "resumed_from_epoch": h.resumed_from_epoch,
                "train_seconds": round(h.train_seconds, 2),
                "eval_seconds": round(h.eval_seconds, 2),
            }
            for h in outcome.histories
        ]
        files = output_files(stage)
        document.write(files["results"])
        markdown = to_markdown(document)
        files["table"].write_text(markdown)
        files["table"].with_suffix(".csv").write_text(to_csv(document))
        plot_kendall_vs_epoch(document, files["plot"])
    files = {name: staged.final(path) for name, path in files.items()}
    if args.format == "md":
        reused = sum(h.reused for h in outcome.histories)
        print(markdown, end="")
        print(
            f"\n{len(outcome.histories)} runs ({reused} reused from checkpoints), "
            f"{wall:.1f} s wall, {document.config['cpu_seconds']:.1f} s CPU; "
            f"wrote {files['results']}, {files['table']}, {files['plot']}"
        )
    elif args.format == "csv":
        print(to_csv(document), end="")
    else:
        print(json.dumps(document.config["summary"], indent=2))
    return 0


def _cpu_seconds() -> float:
    """User + system CPU time of this process so far (wall time on a shared machine is not
    the cost of the run)."""

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
