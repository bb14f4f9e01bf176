"""The data manifest: which benchmark files we know, their sha256 and where they come from.

The canonical manifest is `data/manifest.toml` at the repository root, beside the
default data folder (`./data`) and under version control, so a checksum change is a
reviewed diff. The package never reads data from inside itself; the manifest is
metadata about the user's data folder, found in this order:

1. an explicit `manifest` argument;
2. the repository's `data/manifest.toml`, found from this module's location, which is
   where it is for the editable install we use (`pip install -e .`);
3. a `manifest.toml` inside the data folder itself (a data folder can carry its own
   copy, e.g. for a non-editable install, where step 2 finds nothing).

When none is found, tables still load (their sources record the sha256 of what was
read) but nothing is checked against known checksums, and a warning says so.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from harness.datadir import resolve_data_dir
from harness.errors import DataError
from harness.tables.base import SourceFile

MANIFEST_NAME = "manifest.toml"
#: Where the repository keeps the canonical manifest, relative to the package's parent.
_REPO_MANIFEST = Path(__file__).resolve().parents[2] / "data" / MANIFEST_NAME
_CHUNK = 1 << 20

Status = Literal["found", "missing", "mismatch"]


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One known file: its path relative to the data folder and what we know about it."""

    name: str
    sha256: str | None
    format: str
    tables: tuple[str, ...]
    source: str
    commit: str | None = None
    source_path: str | None = None
    license: str | None = None
    kind: Literal["file", "directory"] = "file"
    description: str = ""


@dataclass(frozen=True, slots=True)
class FileStatus:
    """What `verify_data_dir` found for one manifest entry.

    `status` is `found` (present and, when the manifest pins a sha256, matching it),
    `missing`, or `mismatch` (present with another sha256). `actual_sha256` is None for
    missing files and folders.
    """

    name: str
    path: Path
    status: Status
    expected_sha256: str | None
    actual_sha256: str | None

    @property
    def ok(self) -> bool:
        return self.status == "found"


def sha256_of(path: str | os.PathLike[str]) -> str:
    """The hex sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def find_manifest(data_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The manifest to use (see the module docstring for the order), or None."""
    if _REPO_MANIFEST.is_file():
        return _REPO_MANIFEST
    if data_dir is not None:
        candidate = Path(data_dir) / MANIFEST_NAME
        if candidate.is_file():
            return candidate
    return None


def load_manifest(path: str | os.PathLike[str] | None = None) -> dict[str, ManifestEntry]:
    """Manifest entries by name, read from `path` (default: `find_manifest()`)."""
    manifest_path = Path(path) if path is not None else find_manifest()
    if manifest_path is None:
        raise DataError("no data manifest found (expected data/manifest.toml in the repository)")
    try:
        with open(manifest_path, "rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise DataError(f"{manifest_path}: manifest not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"{manifest_path}: malformed TOML ({err})") from None
    except OSError as err:
        raise DataError(f"{manifest_path}: cannot read the manifest ({err.strerror})") from None
    files = document.get("file", [])
    if not isinstance(files, list):
        raise DataError(f"{manifest_path}: 'file' must be an array of [[file]] tables")
    entries: dict[str, ManifestEntry] = {}
    for number, raw in enumerate(files, start=1):
        entry = _entry_from_toml(manifest_path, number, raw)
        if entry.name in entries:
            raise DataError(f"{manifest_path}: file {entry.name!r} is listed twice")
        entries[entry.name] = entry
    return entries


def _entry_from_toml(manifest_path: Path, number: int, raw: dict) -> ManifestEntry:
    if not isinstance(raw, dict):
        raise DataError(f"{manifest_path}: [[file]] entry {number} is not a table")
    for key in ("name", "format", "source", "tables"):
        if key not in raw:
            raise DataError(f"{manifest_path}: [[file]] entry {number} lacks {key!r}")
    text_keys = ("name", "format", "source", "commit", "source_path", "license", "description")
    for key in text_keys:
        if key in raw and not isinstance(raw[key], str):
            raise DataError(f"{manifest_path}: [[file]] entry {number}: {key} must be text")
    tables = raw["tables"]
    if not isinstance(tables, list) or not all(isinstance(t, str) for t in tables):
        raise DataError(f"{manifest_path}: [[file]] entry {number}: tables must list names")
    if raw.get("kind", "file") not in ("file", "directory"):
        raise DataError(f"{manifest_path}: [[file]] entry {number}: kind must be file or directory")
    sha = raw.get("sha256")
    if sha is not None and (
        not isinstance(sha, str) or len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha)
    ):
        raise DataError(f"{manifest_path}: {raw['name']}: sha256 must be 64 lowercase hex digits")
    return ManifestEntry(
        name=raw["name"],
        sha256=sha,
        format=raw["format"],
        tables=tuple(raw["tables"]),
        source=raw["source"],
        commit=raw.get("commit"),
        source_path=raw.get("source_path"),
        license=raw.get("license"),
        kind=raw.get("kind", "file"),
        description=raw.get("description", ""),
    )


def verify_data_dir(
    data_dir: str | os.PathLike[str] | None = None,
    manifest: str | os.PathLike[str] | None = None,
) -> list[FileStatus]:
    """Check every manifest entry against the data folder: found, missing or mismatch."""
    root = resolve_data_dir(data_dir)
    entries = load_manifest(manifest if manifest is not None else find_manifest(root))
    statuses = []
    for entry in entries.values():
        path = root / entry.name
        exists = path.is_dir() if entry.kind == "directory" else path.is_file()
        if not exists:
            statuses.append(FileStatus(entry.name, path, "missing", entry.sha256, None))
            continue
        try:
            actual = sha256_of(path) if entry.kind == "file" else None
        except OSError as err:
            raise DataError(f"{path}: cannot read ({err.strerror or err})") from None
        matches = entry.sha256 is None or actual == entry.sha256
        status: Status = "found" if matches else "mismatch"
        statuses.append(FileStatus(entry.name, path, status, entry.sha256, actual))
    return statuses


def checked_source(
    data_dir: Path,
    name: str,
    *,
    verify: bool = True,
    path: str | os.PathLike[str] | None = None,
    kind: Literal["file", "directory"] = "file",
) -> SourceFile:
    """Locate a table's input and, with `verify`, check it against the manifest.

    `name` is the file's manifest name (relative to `data_dir`); `path` overrides where
    it is read from (relative paths are taken from the working directory, else from the
    data folder). A file outside the data folder is checked against the manifest entry
    with the same file name, if exactly one has it. Raises a one-line DataError when the
    file is missing or its sha256 differs from the manifest's.
    """
    target = Path(path).expanduser() if path is not None else data_dir / name
    if path is not None and not target.is_absolute() and not target.exists():
        target = data_dir / target
    exists = target.is_dir() if kind == "directory" else target.is_file()
    if not exists:
        what = "folder" if kind == "directory" else "file"
        label = name if path is None else str(path)
        raise DataError(
            f"{label}: {what} not found at {target} (set --data-dir or $HARNESS_DATA; "
            "see data/README.md)"
        )
    try:
        digest = sha256_of(target) if kind == "file" else None
    except OSError as err:
        raise DataError(f"{target}: cannot read ({err.strerror or err})") from None
    entries = _manifest_entries(data_dir, quiet=not verify)
    label = _manifest_name(data_dir, target, entries)
    entry = entries.get(label)
    warning = ""
    if digest is not None and entry is not None and entry.sha256 not in (None, digest):
        mismatch = (
            f"{label}: checksum mismatch (sha256 {digest[:12]}…, manifest expects "
            f"{entry.sha256[:12]}…)"
        )
        if verify:
            raise DataError(f"{mismatch}; pass --no-verify (verify=False) to load it anyway")
        warning = f"{mismatch}; loaded anyway (--no-verify): its figures are not the benchmark's"
    return SourceFile(name=label, path=str(target), sha256=digest, warning=warning)


def _manifest_name(data_dir: Path, target: Path, entries: dict[str, ManifestEntry]) -> str:
    """The manifest-style name of `target`: relative to the data folder when inside it,
    else the name of the one manifest entry with the same file name, else the path."""
    try:
        return target.resolve().relative_to(data_dir.resolve()).as_posix()
    except ValueError:
        pass
    same_name = [n for n in entries if Path(n).name == target.name]
    return same_name[0] if len(same_name) == 1 else str(target)


def _manifest_entries(data_dir: Path, quiet: bool = False) -> dict[str, ManifestEntry]:
    manifest_path = find_manifest(data_dir)
    if manifest_path is None:
        if quiet:
            return {}
        warnings.warn(
            "no data manifest found; benchmark files are not checked against known checksums",
            stacklevel=3,
        )
        return {}
    return load_manifest(manifest_path)
