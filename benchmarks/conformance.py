"""The conformance table: every proxy against its reference implementation.

    python benchmarks/conformance.py [--cells N] [--reference-dir DIR] [--out DIR]

For each reference row (tests/conformance/data, or the shared set with
--reference-dir ../shared/conformance), rebuilds the network as the reference saw it,
computes the harness's proxy on the same batch (one torch thread) and prints one line
per (proxy, reference): rows, named deviations, max and median relative error, rank
agreement (Kendall tau, ours vs theirs), tolerance and pass/fail. Writes the per-row
comparison (conformance_rows.csv) and the table (conformance.md) under --out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from harness.conformance import (
    check_rows,
    read_reference_batch,
    read_reference_rows,
    rows_frame,
    subset,
    summary_table,
)
from harness.provenance import git_revision, machine_info, package_versions

DEFAULT_DATA = Path(__file__).resolve().parents[1] / "tests" / "conformance" / "data"


def _markdown(table: pd.DataFrame) -> str:
    lines = [
        "| proxy | reference | rows | named deviations | max rel err | median rel err "
        "| rank agreement | tolerance | passed |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in table.itertuples():
        lines.append(
            f"| {row.proxy} | {row.reference} | {row.rows} | {row.named_deviations} | "
            f"{row.max_rel_error:.1e} | {row.median_rel_error:.1e} | "
            f"{row.rank_agreement:.4f} | {row.tolerance:g} | {'yes' if row.passed else 'NO'} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=0, help="first N cells only (0: all)")
    parser.add_argument("--reference-dir", default=str(DEFAULT_DATA))
    parser.add_argument("--out", default="reports/conformance")
    args = parser.parse_args()
    rows = read_reference_rows(args.reference_dir)
    if args.cells:
        rows = subset(rows, args.cells)
    images, labels = read_reference_batch(args.reference_dir)
    bar = tqdm(total=len(rows), desc="conformance", unit="row", file=sys.stderr)
    results = check_rows(rows, images, labels, progress=lambda _row: bar.update(1))
    bar.close()
    table = summary_table(results)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows_frame(results).to_csv(out / "conformance_rows.csv", index=False)
    versions = package_versions()
    header = (
        f"Conformance at git {git_revision()}, torch {versions['torch']}, "
        f"{machine_info()['cpu']}, one torch thread; {len(rows)} reference rows.\n\n"
    )
    markdown = header + _markdown(table)
    (out / "conformance.md").write_text(markdown)
    print(markdown, end="")
    failed = int((~table["passed"]).sum())
    print(f"\n{failed} of {len(table)} (proxy, reference) pairs failed; wrote {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
