"""Download manifest files from their public sources into a data folder, verified.

`fetch_entry(entry, data_dir)` downloads one file from its manifest `url` (a raw file
at a full commit) or from a mirror (`<mirror>/<name>`), with a progress bar, and keeps
it only when its size and sha256 (or the publisher's md5, where that is the pin) equal the
manifest's. The bytes go to a temporary
file beside the destination, renamed into place once verified, so an interrupted or
corrupt download never leaves anything under the final name. Connection failures,
cut transfers, server errors and checksum mismatches are retried with exponential
back-off; a missing file (404) or an unknown host is not. Failures are one-line
`DataError`s naming the file and the cause.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from harness import DISTRIBUTION, __version__
from harness.errors import DataError, FileSystemError, is_user_os_error
from harness.tables.manifest import ManifestEntry, sha256_of

_CHUNK = 1 << 16
#: HTTP statuses worth another try (the server may recover); every other error status is final.
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

Status = Literal["fetched", "present"]


@dataclass(frozen=True)
class FetchResult:
    """What happened to one file: `fetched` (downloaded and verified) or `present`
    (already there with the manifest's sha256, left alone)."""

    name: str
    status: Status
    path: Path
    size: int
    attempts: int = 0


class OfflineError(DataError):
    """The source's host cannot be resolved: every other download would fail the same way."""


class _Retryable(Exception):
    """A failure that another attempt may not repeat (its message is one line)."""


def source_url(entry: ManifestEntry, mirror: str | None = None) -> str:
    """Where `entry` is downloaded from: `<mirror>/<name>` with a mirror, else its url."""
    if mirror:
        return f"{mirror.rstrip('/')}/{entry.name}"
    if entry.url is None:
        raise DataError(
            f"{entry.name}: not fetchable (no download url in the manifest); get it by hand "
            f"from {entry.source}"
        )
    return entry.url


def fetch_entry(
    entry: ManifestEntry,
    data_dir: str | os.PathLike[str],
    *,
    mirror: str | None = None,
    retries: int = 3,
    backoff: float = 1.0,
    timeout: float = 60.0,
    force: bool = False,
    progress: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchResult:
    """Download `entry` into `data_dir` (see the module docstring).

    A file already present with the manifest's sha256 is left alone; one present with
    another sha256 is an error unless `force`, which replaces it (atomically, once the
    download is verified). `retries` more attempts follow a failed one, after
    `backoff`, 2 x `backoff`, ... seconds.
    """
    if entry.kind != "file":
        raise DataError(f"{entry.name}: a folder, not fetchable; get it from {entry.source}")
    url = source_url(entry, mirror)
    destination = Path(data_dir) / entry.name
    pinned = _pin(entry)
    if destination.is_file() and pinned is not None:
        kind, expected = pinned
        actual = sha256_of(destination) if kind == "sha256" else _md5_of(destination)
        if actual == expected:
            return FetchResult(entry.name, "present", destination, destination.stat().st_size)
        if not force:
            raise DataError(
                f"{destination}: present with {kind} {actual[:12]}… instead of the manifest's "
                f"{expected[:12]}…; pass --force to replace it"
            )
    attempts = retries + 1
    for attempt in range(1, attempts + 1):
        try:
            size = _download(url, destination, entry, timeout=timeout, progress=progress)
            return FetchResult(entry.name, "fetched", destination, size, attempt)
        except _Retryable as exc:
            if attempt == attempts:
                raise DataError(
                    f"{entry.name}: download from {url} failed after {attempts} attempts: {exc}"
                ) from None
            delay = backoff * 2 ** (attempt - 1)
            print(
                f"harness: {entry.name}: {exc}; retrying in {delay:g} s "
                f"(attempt {attempt + 1} of {attempts})",
                file=sys.stderr,
            )
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _download(
    url: str, destination: Path, entry: ManifestEntry, *, timeout: float, progress: bool
) -> int:
    """One attempt: stream `url` into a temporary file, verify, rename into place. The
    file system's refusals (a full disk, a read-only folder) are `FileSystemError`s naming
    the file, never retried."""
    request = urllib.request.Request(url, headers={"User-Agent": f"{DISTRIBUTION}/{__version__}"})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (http(s) or file)
    except urllib.error.HTTPError as exc:
        if exc.code in _RETRY_STATUSES:
            raise _Retryable(f"HTTP {exc.code} {exc.reason}") from None
        raise DataError(f"{entry.name}: {url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise _connection_error(entry, url, exc.reason) from None
    except (OSError, http.client.HTTPException) as exc:
        raise _Retryable(_describe(exc)) from None
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{destination.name}.", suffix=".part", dir=destination.parent
        )
    except OSError as exc:  # a read-only or forbidden folder, a file in the way
        response.close()
        raise FileSystemError.from_os_error(exc, destination) from None
    try:
        return _stream(response, handle, temporary, destination, entry, progress=progress)
    except OSError as exc:  # a full disk or quota while writing: the user's to fix
        if is_user_os_error(exc):
            raise FileSystemError.from_os_error(exc, destination) from None
        raise
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _stream(response, handle: int, temporary: str, destination: Path, entry, *, progress: bool):
    """Write the response into the temporary file, verify it, rename it into place."""
    # deferred: pulls in tqdm
    from tqdm import tqdm

    with response, os.fdopen(handle, "wb") as out:
        announced = response.headers.get("Content-Length")
        expected = int(announced) if announced and announced.isdigit() else entry.size
        digest = hashlib.sha256()
        md5 = hashlib.md5(usedforsecurity=False)
        size = 0
        with tqdm(
            total=expected,
            desc=entry.name,
            unit="B",
            unit_scale=True,
            disable=not progress,
            file=sys.stderr,
            leave=False,
        ) as bar:
            while True:
                try:
                    chunk = response.read(_CHUNK)
                except (OSError, http.client.HTTPException) as exc:
                    cause = _describe(exc)
                    raise _Retryable(f"transfer cut after {size:,} bytes ({cause})") from None
                if not chunk:
                    break
                out.write(chunk)  # a full disk: an OSError for the caller, not a retry
                digest.update(chunk)
                md5.update(chunk)
                size += len(chunk)
                bar.update(len(chunk))
        out.flush()
        os.fsync(out.fileno())
    if announced and announced.isdigit() and size != int(announced):
        raise _Retryable(f"transfer cut after {size:,} of {int(announced):,} bytes")
    actual = digest.hexdigest()
    if entry.sha256 is not None and actual != entry.sha256:
        raise _Retryable(
            f"checksum mismatch (got {size:,} bytes with sha256 {actual[:12]}…, the "
            f"manifest expects {entry.sha256[:12]}…); nothing was kept"
        )
    if entry.md5 is not None and md5.hexdigest() != entry.md5:
        raise _Retryable(
            f"checksum mismatch (got {size:,} bytes with md5 {md5.hexdigest()}, the "
            f"published md5 is {entry.md5}); nothing was kept"
        )
    if entry.size is not None and size != entry.size:
        raise _Retryable(f"got {size:,} bytes, the manifest expects {entry.size:,}")
    os.replace(temporary, destination)
    return size


def _pin(entry: ManifestEntry) -> tuple[str, str] | None:
    """The checksum a present file is judged by: the sha256, else the md5, else none."""
    if entry.sha256 is not None:
        return "sha256", entry.sha256
    if entry.md5 is not None:
        return "md5", entry.md5
    return None


def _md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _connection_error(entry: ManifestEntry, url: str, reason: object) -> Exception:
    """A URLError's cause: an unknown host or a missing local file is final, the rest retried."""
    if isinstance(reason, socket.gaierror):
        host = urllib.request.urlparse(url).hostname
        return OfflineError(
            f"{entry.name}: cannot resolve {host} ({reason.strerror}); is this machine "
            "offline? Fetch on a connected machine or give --mirror"
        )
    if isinstance(reason, FileNotFoundError):
        return DataError(f"{entry.name}: {url}: no such file")
    return _Retryable(_describe(reason))


def _describe(exc: object) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())
