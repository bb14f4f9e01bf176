"""Reports: plots, leaderboard tables (one run or merged runs), a self-contained HTML
report, and the regression gate for CI. Everything here reads results documents; no
proxy score is ever recomputed.

    load_documents(paths)            results.json files/folders -> labelled documents
    build_report(sources, out_dir)   figures/ + CSVs + report.md + report.html
    merge_documents(sources)         one leaderboard over several runs
    compare_documents(base, new)     the CI gate: per (space, dataset, proxy) changes

Names are imported on first use, so commands that only need a table (harness run,
harness leaderboard) do not pay for matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

#: The gate's default rule: which drops fail CI (here, not in `gate`, so that building
#: the command line does not import the statistics).
DEFAULT_FAIL_ON = "kendall:-0.02,spearman:-0.02"

_HOMES = {
    "ReportFiles": "builder",
    "ReportOptions": "builder",
    "build_report": "builder",
    "GroupKey": "documents",
    "LoadedDocument": "documents",
    "ResultGroup": "documents",
    "groups_of": "documents",
    "label_documents": "documents",
    "load_documents": "documents",
    "GateReport": "gate",
    "GateRule": "gate",
    "compare_documents": "gate",
    "parse_fail_on": "gate",
    "MergedRow": "merge",
    "merge_documents": "merge",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
