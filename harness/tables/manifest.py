"""The data manifest: which benchmark files we know, their sha256 and where they come from.

The manifest is package data (`harness/tables/data/manifest.toml`), so an installed
harness, editable or not, checks a data folder against the same pinned checksums; a
checksum change is a reviewed diff. It describes the user's data folder (the files
themselves are never part of the package, except the compact embedded NB201 table of
`harness.tables.embedded`). An explicit `manifest` argument reads another file instead.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from harness.datadir import resolve_data_dir
from harness.errors import DataError
from harness.tables.base import SourceFile

MANIFEST_NAME = "manifest.toml"
#: The manifest shipped inside the package.
PACKAGE_MANIFEST = Path(__file__).resolve().parent / "data" / MANIFEST_NAME
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
    #: where `harness data fetch` downloads it (a raw file at a full commit); None = by hand
    url: str | None = None
    #: its size in bytes, when pinned
    size: int | None = None
    #: the md5 its publisher gives, for files we could never download to hash ourselves
    #: (the CIFAR archives); checked like the sha256 when set
    md5: str | None = None

    @property
    def fetchable(self) -> bool:
        return self.url is not None and self.kind == "file"


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


def find_manifest() -> Path:
    """The manifest shipped with the package."""
    return PACKAGE_MANIFEST


def load_manifest(path: str | os.PathLike[str] | None = None) -> dict[str, ManifestEntry]:
    """Manifest entries by name, read from `path` (default: `find_manifest()`)."""
    manifest_path = Path(path) if path is not None else find_manifest()
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
    url = raw.get("url")
    if url is not None and (
        not isinstance(url, str) or not url.startswith(("https://", "http://"))
    ):
        raise DataError(f"{manifest_path}: {raw['name']}: url must be an http(s) address")
    size = raw.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise DataError(f"{manifest_path}: {raw['name']}: size must be a byte count")
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
        url=url,
        size=size,
    )


def verify_data_dir(
    data_dir: str | os.PathLike[str] | None = None,
    manifest: str | os.PathLike[str] | None = None,
) -> list[FileStatus]:
    """Check every manifest entry against the data folder: found, missing or mismatch."""
    root = resolve_data_dir(data_dir)
    entries = load_manifest(manifest)
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
    entries = load_manifest()  # also without verify: a mismatch is then noted
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
