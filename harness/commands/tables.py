"""`harness tables`: verify the data folder against the manifest and list the tables found."""

from __future__ import annotations

import argparse
import json

from harness.datadir import resolve_data_dir
from harness.errors import DataError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "tables",
        parents=[common],
        help="verify benchmark files and list the tables found",
        description="Check every file of the manifest in the data folder (sha256) and list "
        "which tables can be loaded: found, embedded (the package's own copy stands in), "
        "missing (and whether `harness data fetch` can get it).",
    )
    p.add_argument(
        "--targets",
        metavar="TABLE",
        help="list the targets (ground-truth columns) of TABLE instead, with their direction "
        "and how many architectures have each (loads the table)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # deferred: pulls in numpy, pandas
    from harness.tables.availability import file_states, table_states

    if args.targets:
        return list_targets(args)
    root = resolve_data_dir(args.data_dir)  # a named folder must exist
    if root.exists() and not root.is_dir():  # the default ./data may be absent, not a file
        raise DataError(
            f"{root}: the data folder is a file, not a folder (set --data-dir or "
            "$HARNESS_DATA; see data/README.md)"
        )
    files = file_states(root)
    tables = table_states(files)
    if args.format == "json":
        payload = {
            "data_dir": str(root),
            "files": [
                {
                    "name": f.status.name,
                    "status": f.status.status,
                    "fetchable": f.fetchable,
                    "expected_sha256": f.status.expected_sha256,
                    "actual_sha256": f.status.actual_sha256,
                }
                for f in files
            ],
            "tables": [
                {
                    "table": t.table,
                    "status": t.status,
                    "files": list(t.files),
                    "default_target": t.default_target,
                    "about": t.about,
                }
                for t in tables
            ],
        }
        print(json.dumps(payload, indent=2))
    elif args.format == "csv":
        print("kind,name,status")
        for f in files:
            print(f"file,{f.status.name},{f.status.status}")
        for t in tables:
            print(f"table,{t.table},{t.status}")
    else:
        print(f"Data folder: {root}\n")
        print("| file | status | sha256 |")
        print("|---|---|---|")
        for f in files:
            s = f.status
            digest = (s.actual_sha256 or s.expected_sha256 or "—")[:12]
            state = s.status + (" (fetchable)" if s.status == "missing" and f.fetchable else "")
            print(f"| {s.name} | {state} | {digest}… |")
        print("\n| table | status | default target | about |")
        print("|---|---|---|---|")
        for t in tables:
            print(f"| {t.table} | {t.status} | {t.default_target} | {t.about} |")
        if any(f.status.status == "missing" and f.fetchable for f in files):
            print(f"\nFetch the missing files with: harness data fetch --all --data-dir {root}")
    bad = [f.status for f in files if f.status.status == "mismatch"]
    if bad:
        s = bad[0]
        raise DataError(
            f"{s.path}: sha256 mismatch (expected {s.expected_sha256}, got {s.actual_sha256})"
        )
    return 0


def list_targets(args: argparse.Namespace) -> int:
    """`--targets TABLE`: the table's ground-truth columns, their direction and coverage."""
    # deferred: pulls in numpy, pandas
    from harness.commands._common import table_policy
    from harness.tables import load_table

    table = load_table(args.targets, args.data_dir, **table_policy(args))
    rows = [
        {
            "target": column,
            "better": "lower" if column in table.lower_is_better else "higher",
            "archs": int(table.frame[column].notna().sum()),
        }
        for column in table.targets()
    ]
    if args.format == "json":
        print(json.dumps({"table": table.name, "targets": rows}, indent=2))
    elif args.format == "csv":
        print("target,better,archs")
        for row in rows:
            print(f"{row['target']},{row['better']},{row['archs']}")
    else:
        print(f"Targets of {table.name}, {len(table):,} architectures (another table's "
              f"command names one as --target {args.targets}:TARGET)\n")  # fmt: skip
        print("| target | better | archs |")
        print("|---|---|---:|")
        for row in rows:
            print(f"| {row['target']} | {row['better']} | {row['archs']:,} |")
    return 0
