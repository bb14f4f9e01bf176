"""Applying a failure policy to documents already written (`report`, `compare`,
`leaderboard --results` with `--failures`).

A results document records, per row, the policy its figures used (`extra["failures"]`;
documents written before policies existed dropped failures). `rescored` recomputes the
rows of a document under another policy from its per-architecture values; rows without
such values keep their figures and the document says so in a note. The policies
themselves (names, meanings, the rows of "common", the worst-fill) are the statistics
room's: `harness.stats.failures`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np

from harness.report.documents import LoadedDocument, groups_of
from harness.results import ResultRow, row_from_summary
from harness.stats import check_failure_policy, common_rows, figure_keys, summarise

#: The policy of rows that do not record one (documents from before policies existed).
LEGACY_POLICY = "drop"


def row_policy(row: ResultRow) -> str:
    return str(row.extra.get("failures") or LEGACY_POLICY)


def _floats(values) -> np.ndarray:
    return np.array([math.nan if v is None else float(v) for v in values], dtype=float)


def rescored(
    source: LoadedDocument,
    failures: str,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> LoadedDocument:
    """`source` with every row that has per-architecture values recomputed under
    `failures` (rows already under that policy are kept as they are)."""
    check_failure_policy(failures)
    document = source.document
    new_rows: dict[int, ResultRow] = {}
    kept: list[str] = []
    for group in groups_of(source):
        values = group.per_arch
        stale = [r for r in group.rows if row_policy(r) != failures]
        if not stale:
            continue
        if values is None:
            kept.extend(r.proxy for r in stale)
            continue
        truth = _floats(values.truth)
        scores = {
            r.proxy: _floats(values.scores[r.proxy]) for r in group.rows if r.proxy in values.scores
        }
        keep = common_rows(scores, failures) if scores else np.ones(truth.size, dtype=bool)
        for row in stale:
            if row.proxy not in scores:
                kept.append(row.proxy)
                continue
            summary = summarise(
                scores[row.proxy][keep],
                truth[keep],
                higher_is_better=row.higher_is_better,
                n_resamples=max(n_resamples, 1),
                confidence=confidence,
                seed=seed,
                failures=failures,
            ).to_dict()
            identity = {
                f.name: getattr(row, f.name)
                for f in dataclasses.fields(ResultRow)
                if f.name
                in ("space", "dataset", "target", "proxy", "higher_is_better", "seconds_per_arch",
                    "origin", "proxy_version")
            }  # fmt: skip
            new_rows[id(row)] = row_from_summary(summary, **identity, extra=_carried(row.extra))
    if not new_rows and not kept:
        return source
    notes = list(document.notes)
    if new_rows:
        notes.append(
            f"figures recomputed from the per-architecture values with failures={failures}"
        )
    if kept:
        notes.append(
            f"rows without per-architecture values keep their own failure policy: "
            f"{', '.join(sorted(set(kept)))}"
        )
    rows = [new_rows.get(id(r), r) for r in document.rows]
    return dataclasses.replace(
        source, document=dataclasses.replace(document, rows=rows, notes=notes)
    )


#: Row extras that are figures or their settings (`harness.stats.FIGURES`): recomputed,
#: not carried; every other extra describes the row and is carried into a recomputed row.
_FIGURE_KEYS = frozenset({*figure_keys(), "failures", "confidence", "n_resamples", "seed"})


def _carried(extra: Mapping[str, object]) -> dict[str, object]:
    return {k: v for k, v in extra.items() if k not in _FIGURE_KEYS}
