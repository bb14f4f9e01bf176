"""`harness data list|fetch`: what the data folder holds, and downloading what it lacks.

Besides the manifest's benchmark files, `fetch` takes the image sets `cifar10` and
`cifar100` (the authors' python archives, md5-pinned, unpacked into the data folder in
torchvision's layout) and `list` says where each image set the inputs read is, or how to
get it (ImageNet16-120 by hand).
"""

from __future__ import annotations

import argparse
import json
import sys

from harness.datadir import resolve_data_dir
from harness.errors import ConfigError, DataError, UnknownNameError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "data",
        help="list or fetch the benchmark files of the manifest",
        description="List the manifest's files (present, missing, fetchable) or download them "
        "from their public sources into the data folder, verified against the manifest.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser(
        "list", parents=[common], help="each file: present, missing or mismatched; fetchable?"
    )
    listing.set_defaults(handler=run_list)
    fetch = actions.add_parser(
        "fetch",
        parents=[common],
        help="download files (by manifest, table or image-set name) and verify them",
        description="Download manifest files from their public sources (raw files at a full "
        "commit) into the data folder, with a progress bar, sha256 verification, atomic writes "
        "and retries. Files already present and verified are left alone. The image sets "
        "cifar10 and cifar100 are the authors' python archives, checked against the md5 they "
        "and torchvision publish and unpacked into the data folder in torchvision's layout "
        "(cifar-10-batches-py/, cifar-100-python/), which input source auto then finds.",
    )
    fetch.add_argument(
        "names", nargs="*", help="manifest file names, table names, or cifar10 / cifar100"
    )
    fetch.add_argument(
        "--all", action="store_true", help="every fetchable benchmark file (not the image sets)"
    )
    fetch.add_argument("--mirror", help="download <MIRROR>/<name> instead of each file's url")
    fetch.add_argument("--retries", type=int, default=3, help="further attempts (default 3)")
    fetch.add_argument("--force", action="store_true", help="replace files with another sha256")
    fetch.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    fetch.set_defaults(handler=run_fetch)


def run_list(args: argparse.Namespace) -> int:
    # deferred: pulls in numpy, pandas
    from harness.tables.availability import file_states

    root = resolve_data_dir(args.data_dir)
    files = file_states(root)
    rows = [
        {
            "name": f.status.name,
            "status": f.status.status,
            "fetchable": f.fetchable,
            "source": f.source,
        }
        for f in files
    ]
    images = _image_rows(root)
    if args.format == "json":
        print(json.dumps({"data_dir": str(root), "files": rows, "images": images}, indent=2))
    elif args.format == "csv":
        print("name,status,fetchable,source")
        for r in rows:
            print(f"{r['name']},{r['status']},{r['fetchable']},{r['source']}")
    else:
        print(f"Data folder: {root}\n")
        print("| file | status | fetchable | source |")
        print("|---|---|---|---|")
        for r in rows:
            fetchable = "yes" if r["fetchable"] else "no (by hand)"
            print(f"| {r['name']} | {r['status']} | {fetchable} | {r['source']} |")
        print("\nImage sets (input source auto scores on the target's own when found):\n")
        print("| image set | status | where | how to get it |")
        print("|---|---|---|---|")
        for r in images:
            print(f"| {r['name']} | {r['status']} | {r['where'] or '—'} | {r['how']} |")
    return 0


def _image_rows(root) -> list[dict[str, object]]:
    # deferred: pulls in numpy, torch
    from harness.inputs import image_set_states

    return [
        {"name": s.name, "status": s.status, "where": s.where, "how": s.how}
        for s in image_set_states(root)
    ]


def run_fetch(args: argparse.Namespace) -> int:
    # deferred: pulls in numpy, pandas
    from harness.tables.fetch import OfflineError, fetch_entry

    if args.retries < 0:
        raise ConfigError(f"--retries must be >= 0, got {args.retries}")
    root = resolve_data_dir(args.data_dir, must_exist=False)  # fetch creates it
    image_names = [n for n in args.names if _image_set(n) is not None]
    names = [n for n in args.names if n not in image_names]
    entries = _selected(names, args.all) if names or args.all or not image_names else []
    failures: list[str] = []
    for name in image_names:
        try:
            print(f"{name}: {_fetch_images(name, root, args)}", flush=True)
        except OfflineError as exc:
            failures.append(str(exc))
            entries = []  # every other file would fail the same way
            break
        except DataError as exc:
            failures.append(str(exc))
            print(f"{name}: failed", flush=True)
    for entry in entries:
        try:
            result = fetch_entry(
                entry,
                root,
                mirror=args.mirror,
                retries=args.retries,
                force=args.force,
                progress=not args.no_progress,
            )
        except OfflineError as exc:
            failures.append(str(exc))
            break  # every other file would fail the same way
        except DataError as exc:
            failures.append(str(exc))
            print(f"{entry.name}: failed", flush=True)
            continue
        done = "already present, sha256 verified" if result.status == "present" else "fetched"
        print(f"{entry.name}: {done} ({result.size:,} bytes)", flush=True)
    if failures:
        for line in failures[:-1]:
            print(f"harness: error: {line}", file=sys.stderr)
        raise DataError(failures[-1])
    return 0


def _image_set(name: str) -> str | None:
    """The image-set name `name` spells (cifar10, cifar100, imagenet16-120), else None."""
    spelled = name.strip().lower().replace("_", "-")
    return spelled if spelled in ("cifar10", "cifar100", "imagenet16-120") else None


def _fetch_images(name: str, root, args: argparse.Namespace) -> str:
    """Download and unpack one image set; what was done, for the progress line."""
    # deferred: pulls in numpy, pandas, torch
    from harness.inputs import IMAGE_ARCHIVES, IMAGENET16_GUIDE, check_unpacked, unpack_archive
    from harness.tables import ManifestEntry
    from harness.tables.fetch import fetch_entry

    image_set = _image_set(name)
    if image_set not in IMAGE_ARCHIVES:
        raise DataError(f"{name}: not fetchable. {IMAGENET16_GUIDE}")
    archive = IMAGE_ARCHIVES[image_set]
    folder = root / archive.folder
    if folder.exists() and not args.force:
        problem = check_unpacked(archive, root)
        if problem is None:
            return f"already present in {folder}, md5 of every file verified"
        raise DataError(f"{problem}; pass --force to replace it")
    entry = ManifestEntry(
        name=archive.archive,
        sha256=None,
        md5=archive.md5,
        format="tar.gz",
        tables=(),
        source=archive.page,
        url=archive.url,
    )
    result = fetch_entry(
        entry,
        root,
        mirror=args.mirror,
        retries=args.retries,
        force=args.force,
        progress=not args.no_progress,
    )
    unpack_archive(archive, result.path, root, force=args.force)
    return f"fetched ({result.size:,} bytes, md5 verified), unpacked into {folder}"


def _selected(names: list[str], everything: bool):
    # deferred: pulls in numpy, pandas
    from harness.tables import list_tables, load_manifest, table_info

    entries = load_manifest()
    if everything:
        if names:
            raise ConfigError("give file names or --all, not both")
        return [e for e in entries.values() if e.fetchable]
    if not names:
        raise ConfigError("name the files or tables to fetch, or pass --all")
    chosen = []
    for name in names:
        if name in entries:
            wanted = [name]
        elif name in list_tables():
            wanted = list(table_info(name).files)
            if not wanted:
                raise ConfigError(f"table {name!r} reads no fixed file; nothing to fetch")
        else:
            raise UnknownNameError("file or table", name, [*entries, *list_tables()])
        for file in wanted:
            if entries[file] not in chosen:
                chosen.append(entries[file])
    return chosen
