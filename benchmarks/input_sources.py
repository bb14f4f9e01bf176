"""What Fashion-MNIST costs: proxies on real CIFAR-10 vs Fashion-MNIST vs synthetic images.

    python3 benchmarks/input_sources.py score benchmarks/ablation_input_sources.toml [--archs N]
    python3 benchmarks/input_sources.py table benchmarks/ablation_input_sources.toml --out DIR

`score` scores the config's sample under every `[[setting]]` (input keys on top of `[input]`),
`chunk` architectures at a time per setting, into the config's score store (resumable: an
interrupted run loses at most the architectures in flight). `--archs N` scores only the
first N architectures of the sample (the sample is a seeded random draw, so its first N are
a random subset of it). `table` reads the store and writes, for the architectures scored
under every setting, per proxy: Kendall tau with the target for each setting with its 95%
bootstrap interval, each setting's tau minus the reference's (the first setting) with a
paired bootstrap interval (the same resampled architectures for both), and tau between each
setting's scores and the reference's. Written as input_sources.md and input_sources.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from harness.config import RunConfig, load_run_config, read_toml
from harness.execution import get_executor
from harness.experiment import draw_batches, sample, scoring_plans, set_up
from harness.inputs import cifar
from harness.provenance import git_revision, package_versions
from harness.proxies import get_proxy, list_proxies
from harness.scoring import ScoringPlan, score_missing
from harness.stats import bootstrap_correlations, compare_proxies
from harness.store import ScoreStore

TABLES = ("setting", "measure")


def settings(path: str) -> tuple[dict, list[tuple[str, RunConfig]]]:
    raw = read_toml(path, "input-source config")
    measure = raw.get("measure", {})
    chosen = []
    for entry in raw.get("setting", []):
        entry = dict(entry)
        name = entry.pop("name")
        overrides = {f"input.{key}": value for key, value in entry.items()}
        chosen.append((name, load_run_config(path, overrides, other_tables=TABLES)))
    if not chosen:
        sys.exit(f"{path}: no [[setting]]")
    return measure, chosen


def write_cifar_npz(measure: dict) -> None:
    """The shared CIFAR-10 images with CIFAR-10's NAS-Bench-201 channel statistics."""
    source, target = Path(measure["cifar_samples"]), Path(measure["cifar_npz"])
    with np.load(source) as data:
        images, labels = data["images"], data["labels"]
    variant = cifar.VARIANTS["cifar10"]
    target.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        target,
        images=images,
        labels=labels,
        mean=np.array(variant.mean, dtype=np.float64),
        std=np.array(variant.std, dtype=np.float64),
    )


def prepared(config: RunConfig):
    setup = set_up(config, None)
    archs = sample(config, setup)
    plan = scoring_plans(config, setup, draw_batches(config, setup))[0]
    return setup, archs, plan


def score(path: str, archs_limit: int | None) -> None:
    measure, chosen = settings(path)
    write_cifar_npz(measure)
    plans: list[tuple[str, ScoringPlan]] = []
    archs: list[str] = []
    for name, config in chosen:
        _, archs, plan = prepared(config)
        plans.append((name, plan))
        print(f"{name}: batch {plan.input_source} hash {plan.input_hash[:12]}", flush=True)
    if archs_limit:
        archs = archs[:archs_limit]
    config = chosen[0][1]
    chunk = int(measure.get("chunk", 20))
    executor = get_executor(config.executor, workers=config.workers, threads=config.threads)
    with ScoreStore(config.store, busy_timeout=config.store_timeout) as store:
        for start in range(0, len(archs), chunk):
            part = archs[start : start + chunk]
            for name, plan in plans:
                began = time.perf_counter()
                _, computed = score_missing(plan, part, store, executor)
                seconds = time.perf_counter() - began
                print(
                    f"archs {start}..{start + len(part) - 1} {name}: {computed} computed "
                    f"in {seconds:.0f} s",
                    flush=True,
                )


def table(path: str, out: str, resamples: int) -> None:
    measure, chosen = settings(path)
    config = chosen[0][1]
    scores: dict[str, dict[str, np.ndarray]] = {}
    plans: list[tuple[str, ScoringPlan]] = []
    setup = archs = None
    with ScoreStore(config.store, busy_timeout=config.store_timeout) as store:
        for name, run_config in chosen:
            setup, archs, plan = prepared(run_config)
            plans.append((name, plan))
            by_proxy = {p: np.full(len(archs), np.nan) for p in plan.proxies}
            done = np.ones(len(archs), dtype=bool)
            for i, arch in enumerate(archs):
                for key in plan.keys(arch):
                    record = store.get(key)
                    if record is None:
                        done[i] = False
                    elif record.score is not None:
                        by_proxy[key.proxy][i] = record.score
            scores[name] = by_proxy
            scores[name]["__done__"] = done
    assert setup is not None and archs is not None
    complete = np.logical_and.reduce([scores[n]["__done__"] for n, _ in chosen])
    truth = setup.table.frame[setup.target].reindex(archs).to_numpy(dtype=float)[complete]
    names = [n for n, _ in chosen]
    reference = names[0]
    result = {
        "config": path,
        "n_archs": int(complete.sum()),
        "archs": [a for a, done in zip(archs, complete, strict=True) if done],
        "settings": names,
        "batches": {n: {"source": p.input_source, "input_hash": p.input_hash} for n, p in plans},
        "resamples": resamples,
        "git_revision": git_revision(),
        "versions": package_versions(),
        "proxies": {},
    }
    scored = [p for p in scores[reference] if p != "__done__"]
    by_setting = {n: {p: scores[n][p][complete] for p in scored} for n in names}
    for combined in list_proxies():  # set-level proxies whose members were all scored
        spec = get_proxy(combined)
        if spec.combine is not None and spec.combines and set(spec.combines) <= set(scored):
            for n in names:
                members = {m: by_setting[n][m] for m in spec.combines}
                by_setting[n][combined] = np.asarray(spec.combine(members), dtype=float)
    for proxy in by_setting[reference]:
        higher = get_proxy(proxy).higher_is_better
        columns = {n: by_setting[n][proxy] for n in names}
        entry = {}
        for n in names:
            figures = bootstrap_correlations(
                columns[n], truth, higher_is_better=higher, n_resamples=resamples, seed=0
            )
            tau = figures.kendall
            cell = {"tau": tau.estimate, "low": tau.low, "high": tau.high}
            cell |= {"n": figures.n, "n_failed": figures.n_failed}
            if n != reference:
                diff = compare_proxies(
                    columns[n], columns[reference], truth,
                    higher_is_better_a=higher, higher_is_better_b=higher,
                    n_resamples=resamples, seed=0,
                )  # fmt: skip
                agree = bootstrap_correlations(
                    columns[n], columns[reference], n_resamples=resamples, seed=0
                ).kendall
                cell |= {
                    "minus_reference": diff.delta,
                    "minus_low": diff.low,
                    "minus_high": diff.high,
                    "agreement": agree.estimate,
                    "agreement_low": agree.low,
                    "agreement_high": agree.high,
                }
            if n == "fashion-mnist-b64" and "fashion-mnist-b20" in columns:
                b64 = compare_proxies(
                    columns[n], columns["fashion-mnist-b20"], truth,
                    higher_is_better_a=higher, higher_is_better_b=higher,
                    n_resamples=resamples, seed=0,
                )  # fmt: skip
                cell |= {
                    "minus_b20": b64.delta,
                    "minus_b20_low": b64.low,
                    "minus_b20_high": b64.high,
                }
            entry[n] = cell
        result["proxies"][proxy] = entry
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "input_sources.json").write_text(json.dumps(result, indent=2) + "\n")
    (folder / "input_sources.md").write_text(markdown(result))
    print(markdown(result))


def _ci(value: float, low: float, high: float) -> str:
    return f"{value:+.3f} [{low:+.3f}, {high:+.3f}]"


def markdown(result: dict) -> str:
    """Two tables: tau with the target per setting and each minus the reference; the
    agreement of each setting's scores with the reference's, and batch 64 minus 20."""
    names = result["settings"]
    reference, others = names[0], names[1:]
    proxies = result["proxies"]
    lines = [
        f"{result['n_archs']} architectures scored under every setting; 95% percentile "
        "bootstrap intervals over architectures (differences paired: the same resampled "
        "architectures for both settings).",
        "",
        "Kendall τ with the target:",
        "",
        "| proxy | " + " | ".join(names) + " | " + " | ".join(f"{n} − {reference}" for n in others)
        + " |",
        "|---|" + "---|" * (2 * len(names) - 1),
    ]  # fmt: skip
    for proxy, entry in proxies.items():
        cells = [_ci(entry[n]["tau"], entry[n]["low"], entry[n]["high"]) for n in names]
        cells += [
            _ci(entry[n]["minus_reference"], entry[n]["minus_low"], entry[n]["minus_high"])
            for n in others
        ]
        lines.append(f"| {proxy} | " + " | ".join(cells) + " |")
    b64 = "fashion-mnist-b64" in names and "fashion-mnist-b20" in names
    lines += [
        "",
        f"Rank agreement of the scores with {reference}'s (Kendall τ between the score "
        "vectors)" + (", and fashion-mnist-b64's τ minus fashion-mnist-b20's:" if b64 else ":"),
        "",
        "| proxy | " + " | ".join(f"τ({n}, {reference})" for n in others)
        + (" | b64 − b20 |" if b64 else " |"),
        "|---|" + "---|" * (len(others) + int(b64)),
    ]  # fmt: skip
    for proxy, entry in proxies.items():
        cells = [
            _ci(entry[n]["agreement"], entry[n]["agreement_low"], entry[n]["agreement_high"])
            for n in others
        ]
        if b64:
            e = entry["fashion-mnist-b64"]
            cells.append(_ci(e["minus_b20"], e["minus_b20_low"], e["minus_b20_high"]))
        lines.append(f"| {proxy} | " + " | ".join(cells) + " |")
    failed = [
        f"{proxy} {n} {entry[n]['n_failed']}"
        for proxy, entry in proxies.items()
        for n in names
        if entry[n].get("n_failed")
    ]
    lines += [
        "",
        "Failed architectures (left out of that proxy's figures under that setting): "
        + ("; ".join(failed) if failed else "none")
        + ".",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("score", "table"))
    parser.add_argument("config")
    parser.add_argument("--archs", type=int, default=None, help="only the sample's first N")
    parser.add_argument("--out", default="reports/input_sources")
    parser.add_argument("--resamples", type=int, default=2000)
    args = parser.parse_args()
    if args.action == "score":
        score(args.config, args.archs)
    else:
        table(args.config, args.out, args.resamples)


if __name__ == "__main__":
    main()
