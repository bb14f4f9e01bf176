"""A run's proxy scores beside a table's reference scores of the same proxies.

    python3 benchmarks/reference_agreement.py reports/<run>/results.json
    python3 benchmarks/reference_agreement.py RESULTS --table suite-zero-nb201-full \
        --reference-dataset cifar10 --resamples 1000 --seed 0

Answers "does our run rank the architectures as the published scores do?": for every
proxy that both the run (a harness results document) and the table's reference scores
have, on the architectures both scored (the same canonical key) with a finite score on
both sides and a finite ground truth, against the *run's* ground truth (so the two sides
differ only in their scores: images, batch, initialisation, implementation):

* Kendall tau and Spearman rho of the run's scores and of the reference's, and the paired
  bootstrap difference run - reference with its interval (`harness.stats.compare_proxies`);
* Kendall tau between the two score vectors: do they order the same cells alike?

A reference proxy is paired with the harness proxy that computes its definition
(`harness.tables.suite_zero.HARNESS_PROXY`: NASLib's synflow is our `synflow_nobn`, its
fisher our `fisher_fanin`) when the run scored it; otherwise with the run's proxy of the
same name, marked `≠` (another definition: read its difference as that, not as images).

Reference scores are read higher-is-better (the tables orient them so); the run's scores
with the direction its rows record (a run with several seeds: its first seed's scores).
Prints one Markdown table, and the run's provenance (git revision, input source, seed)
beside the table's files.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

from harness.errors import DataError, HarnessError
from harness.leaderboard import wide_scores
from harness.results import ResultsDocument
from harness.stats import ProxyDifference, compare_proxies
from harness.tables import BenchmarkTable, load_table
from harness.tables.suite_zero import HARNESS_PROXY


@dataclass(frozen=True)
class Agreement:
    """One proxy: the run's figures beside the reference's (`estimate_a` / `estimate_b` of
    each paired difference, run - reference), and how alike the two order the cells."""

    proxy: str
    #: the table's name of the proxy
    reference_proxy: str
    n: int
    kendall: ProxyDifference
    spearman: ProxyDifference
    #: Kendall tau between the run's and the reference's scores on the same n cells
    scores_kendall: float

    @property
    def same_definition(self) -> bool:
        """Whether the run's proxy computes the table's definition (`HARNESS_PROXY`)."""
        return HARNESS_PROXY.get(self.reference_proxy, self.reference_proxy) == self.proxy


def _run_scores(document: ResultsDocument) -> tuple[pd.DataFrame, pd.Series, dict[str, bool]]:
    """The run's scores (arch x proxy), its truth (by arch) and each proxy's direction."""
    if len(document.per_arch) != 1:
        raise DataError(
            f"results document {document.run_id}: has {len(document.per_arch)} groups of "
            "per-architecture values; this compares one run on one target"
        )
    values = document.per_arch[0]
    index = pd.Index(values.archs, name="arch")  # a failed score (None) reads as NaN
    scores = pd.DataFrame(values.scores, index=index, dtype=float)
    truth = pd.Series(values.truth, index=index, dtype=float)
    direction = {row.proxy: bool(row.higher_is_better) for row in document.rows}
    return scores, truth, direction


def _reference_scores(table: BenchmarkTable, dataset: str) -> pd.DataFrame:
    """The table's reference scores on `dataset`, arch x proxy."""
    refs = table.reference_scores
    refs = refs[refs["dataset"] == dataset]
    if len(refs) == 0:
        known = ", ".join(sorted(set(table.reference_scores["dataset"]))) or "none"
        raise DataError(f"table {table.name}: no reference scores on {dataset!r} (has: {known})")
    return wide_scores(refs)


def pair_proxies(reference: list[str], ours: set[str]) -> list[tuple[str, str]]:
    """(table's proxy, run's proxy) pairs: the harness proxy of the table's definition when
    the run has it, else the run's proxy of the same name; proxies in one side only are
    left out."""
    pairs = []
    for name in sorted(reference):
        same = HARNESS_PROXY.get(name, name)
        if same in ours:
            pairs.append((name, same))
        elif name in ours:
            pairs.append((name, name))
    return pairs


def agreements(
    document: ResultsDocument,
    table: BenchmarkTable,
    *,
    dataset: str,
    n_resamples: int = 1000,
    seed: int = 0,
) -> list[Agreement]:
    """One `Agreement` per proxy in both, best run Kendall tau first."""
    ours, truth, direction = _run_scores(document)
    theirs = _reference_scores(table, dataset)
    pairs = pair_proxies(list(theirs.columns), set(ours.columns))
    if not pairs:
        raise DataError(f"results document and table {table.name} share no proxy")
    archs = ours.index.intersection(theirs.index)
    if len(archs) == 0:
        raise DataError(f"results document and table {table.name} share no architecture")
    ours, theirs, truth = ours.loc[archs], theirs.loc[archs], truth.loc[archs].to_numpy(float)
    out = []
    for reference_proxy, proxy in pairs:
        a = ours[proxy].to_numpy(float)
        b = theirs[reference_proxy].to_numpy(float)
        keep = np.isfinite(a) & np.isfinite(b) & np.isfinite(truth)
        a, b, y = a[keep], b[keep], truth[keep]
        up = direction.get(proxy, True)
        figures = {
            statistic: compare_proxies(
                a,
                b,
                y,
                higher_is_better_a=up,
                statistic=statistic,
                n_resamples=n_resamples,
                seed=seed,
            )  # fmt: skip
            for statistic in ("kendall", "spearman")
        }
        out.append(
            Agreement(
                proxy=proxy,
                reference_proxy=reference_proxy,
                n=int(keep.sum()),
                scores_kendall=float(sps.kendalltau(a if up else -a, b).statistic),
                **figures,
            )
        )
    return sorted(out, key=lambda r: -r.kendall.estimate_a)


def markdown(rows: list[Agreement], *, run: str, reference: str) -> str:
    """The table: one line per proxy."""
    lines = [
        f"| proxy (table → run) | n | τ {run} | τ {reference} | Δτ [95% CI] | ρ {run} "
        f"| ρ {reference} | Δρ [95% CI] | τ(scores) |",
        "|---|---:|---:|---:|---|---:|---:|---|---:|",
    ]
    differ = [r for r in rows if not r.same_definition]
    for r in rows:
        label = r.proxy if r.proxy == r.reference_proxy else f"{r.reference_proxy} → {r.proxy}"
        if not r.same_definition:
            label += " ≠"
        cells = [label, f"{r.n:,}"]
        for d in (r.kendall, r.spearman):
            cells += [f"{d.estimate_a:.3f}", f"{d.estimate_b:.3f}",
                      f"{d.delta:+.3f} [{d.low:+.3f}, {d.high:+.3f}]"]  # fmt: skip
        lines.append("| " + " | ".join([*cells, f"{r.scores_kendall:.3f}"]) + " |")
    if differ:
        lines.append("")
        lines.append(
            "≠: the run's proxy of that name computes another definition than the table's ("
            + "; ".join(
                f"{r.reference_proxy}: the table's is `{HARNESS_PROXY[r.reference_proxy]}`"
                for r in differ
            )
            + "), so its difference is not the images' alone."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="a harness run's results.json")
    parser.add_argument("--table", default="suite-zero-nb201-full")
    parser.add_argument("--reference-dataset", default="cifar10",
                        help="data set of the reference scores")  # fmt: skip
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("HARNESS_DATA", "data")))  # fmt: skip
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        document = ResultsDocument.read(args.results)
        table = load_table(args.table, args.data_dir)
        rows = agreements(
            document, table, dataset=args.reference_dataset,
            n_resamples=args.resamples, seed=args.seed,
        )  # fmt: skip
    except HarnessError as exc:  # bad files, names, values: one line, exit 2
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"reference_agreement: error: {message}", file=sys.stderr)
        return 2
    resolved = document.config.get("resolved", {})
    print(
        f"run {document.run_id} (git {document.git_revision}, seed {document.seed}, "
        f"target {document.per_arch[0].target}, input {resolved.get('input_source')} "
        f"{resolved.get('input_hash', '')[:12]}) against table {table.name} "
        f"({', '.join(s.name for s in table.sources)}), reference scores on "
        f"{args.reference_dataset}; {args.resamples} paired resamples, seed {args.seed}\n"
    )
    print(markdown(rows, run="run", reference=table.name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
