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
        "which tables can be loaded.",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from harness.tables import list_tables, table_info, verify_data_dir

    root = resolve_data_dir(args.data_dir)
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise DataError(
            f"{root}: the data folder {what} (set --data-dir or $HARNESS_DATA; see data/README.md)"
        )
    statuses = verify_data_dir(root)
    by_name = {s.name: s for s in statuses}
    tables = []
    for name in list_tables():
        info = table_info(name)
        files = list(info.files)
        if not files:
            state = "needs a path"
        elif all(f in by_name and by_name[f].ok for f in files):
            state = "found"
        elif any(f in by_name and by_name[f].status == "mismatch" for f in files):
            state = "checksum mismatch"
        else:
            state = "missing"
        tables.append(
            {
                "table": name,
                "status": state,
                "files": files,
                "default_target": info.default_target or "(its first column)",
                "needs": info.required_options(),
                "about": info.description,
            }
        )

    if args.format == "json":
        payload = {
            "data_dir": str(root),
            "files": [
                {
                    "name": s.name,
                    "status": s.status,
                    "expected_sha256": s.expected_sha256,
                    "actual_sha256": s.actual_sha256,
                }
                for s in statuses
            ],
            "tables": tables,
        }
        print(json.dumps(payload, indent=2))
    elif args.format == "csv":
        print("kind,name,status")
        for s in statuses:
            print(f"file,{s.name},{s.status}")
        for t in tables:
            print(f"table,{t['table']},{t['status']}")
    else:
        print(f"Data folder: {root}\n")
        print("| file | status | sha256 |")
        print("|---|---|---|")
        for s in statuses:
            digest = (s.actual_sha256 or s.expected_sha256 or "—")[:12]
            print(f"| {s.name} | {s.status} | {digest}… |")
        print("\n| table | status | default target | about |")
        print("|---|---|---|---|")
        for t in tables:
            print(f"| {t['table']} | {t['status']} | {t['default_target']} | {t['about']} |")
    bad = [s for s in statuses if s.status == "mismatch"]
    if bad:
        s = bad[0]
        raise DataError(
            f"{s.path}: sha256 mismatch (expected {s.expected_sha256}, got {s.actual_sha256})"
        )
    return 0
