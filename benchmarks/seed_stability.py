"""Init-seed stability of every proxy, batch fixed and batch varied, in one table.

    python3 benchmarks/seed_stability.py reports/fidelity/seeds5_fixed \\
        reports/fidelity/seeds5_varied [--out reports/fidelity/stability]

Reads the results documents of two `harness run --seeds K` runs of the same sample, the
first with the batch fixed, the second with `--vary-batch` (folders or results.json
files; nothing is scored here), and prints one Markdown line per proxy:

- the first seed's Kendall tau with its interval over architectures alone (what a
  single-seed run reports, the same in both runs);
- per batch setting: the mean tau over the seeds with its two-level interval (seeds and
  architectures), the range of the seeds' own tau, and `self tau`, the mean (lowest)
  Kendall tau between two seeds' scores;
- how much wider the two-level interval is than the one-seed interval (batch varied).

Sorted by the mean tau with the batch fixed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.errors import DataError, HarnessError
from harness.report.documents import load_documents
from harness.results import ResultRow, ResultsDocument


def _document(path: str) -> ResultsDocument:
    (source,) = load_documents([path])
    document = source.document
    if len(document.seeds) < 2:
        raise DataError(f"{path}: a run with one seed (run it with harness run --seeds K)")
    return document


def _interval(point: float | None, low: float | None, high: float | None) -> str:
    if point is None:
        return "—"
    if low is None or high is None:
        return f"{point:.3f}"
    return f"{point:.3f} [{low:.3f}, {high:.3f}]"


def _width(low: float | None, high: float | None) -> float | None:
    return None if low is None or high is None else high - low


def _seed_cells(row: ResultRow) -> list[str]:
    taus = [t for t in row.extra.get("seed_kendall", []) if t is not None]
    spread = f"{min(taus):.3f} … {max(taus):.3f}" if taus else "—"
    mean, low = row.extra.get("self_kendall"), row.extra.get("self_kendall_min")
    agreement = "—" if mean is None else f"{mean:.3f} [{low:.3f}]"
    return [_interval(row.kendall, row.kendall_lo, row.kendall_hi), spread, agreement]


def stability_table(fixed: ResultsDocument, varied: ResultsDocument) -> tuple[str, list[dict]]:
    if fixed.per_arch[0].archs != varied.per_arch[0].archs:
        raise DataError("the two runs scored different architectures (not the same sample)")
    varied_rows = {r.proxy: r for r in varied.rows}
    header = [
        "proxy", "τ one seed [95% CI, archs]", "fixed: mean τ [95% CI, seeds × archs]",
        "fixed: seeds' τ", "fixed: self τ [min]", "varied: mean τ [95% CI]", "varied: seeds' τ",
        "varied: self τ [min]", "CI width ×",
    ]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---|" * (len(header) - 1)]
    records = []
    for row in fixed.rows:
        other = varied_rows.get(row.proxy)
        if other is None:
            continue
        one = [row.extra.get(f"single_seed_kendall{e}") for e in ("", "_lo", "_hi")]
        single_width = _width(one[1], one[2])
        varied_width = _width(other.kendall_lo, other.kendall_hi)
        ratio = (
            f"{varied_width / single_width:.2f}"
            if single_width and varied_width is not None
            else "—"
        )
        lines.append(
            "| "
            + " | ".join(
                [row.proxy, _interval(*one), *_seed_cells(row), *_seed_cells(other), ratio]
            )
            + " |"
        )
        records.append(
            {
                "proxy": row.proxy,
                "single_seed": dict(zip(("kendall", "low", "high"), one, strict=True)),
                **{
                    setting: {
                        "kendall": r.kendall,
                        "low": r.kendall_lo,
                        "high": r.kendall_hi,
                        "seed_kendall": r.extra.get("seed_kendall"),
                        "self_kendall": r.extra.get("self_kendall"),
                        "self_kendall_min": r.extra.get("self_kendall_min"),
                    }
                    for setting, r in (("fixed", row), ("varied", other))
                },
            }  # fmt: skip
        )
    return "\n".join(lines) + "\n", records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fixed", help="results of harness run --seeds K (batch fixed)")
    parser.add_argument("varied", help="results of harness run --seeds K --vary-batch")
    parser.add_argument("--out", help="folder for stability.md and stability.json")
    args = parser.parse_args(argv)
    fixed, varied = _document(args.fixed), _document(args.varied)
    if fixed.config.get("vary_batch") or not varied.config.get("vary_batch"):
        raise DataError("give the batch-fixed run first and the --vary-batch run second")
    table, records = stability_table(fixed, varied)
    seeds = ", ".join(str(s) for s in fixed.seeds)
    text = (
        f"fixed: {fixed.run_id}, varied: {varied.run_id}; seeds {seeds}; "
        f"{len(fixed.per_arch[0].archs)} architectures; failures {fixed.config.get('failures')}\n\n"
        + table
    )
    print(text, end="")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "stability.md").write_text(text)
        (out / "stability.json").write_text(json.dumps(records, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except HarnessError as exc:  # a user error: one line, status 2
        print(f"{Path(sys.argv[0]).name}: {exc}", file=sys.stderr)
        sys.exit(2)
