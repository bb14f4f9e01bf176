"""Output folders written all at once: nothing is half-written when a command fails.

A command opens its output folder with `StagedOutput(out)` before doing any work: that
checks the folder can be written (not a file, not under a file, not read-only) and makes
a hidden staging folder on the same file system. The command writes into the staging
folder; only when it succeeds are the files moved into place (one `os.replace` each),
and on any failure the staging folder is removed, leaving `out` as it was.

A killed command (SIGKILL, a crash) cannot remove its staging folder; its name carries the
owner's process id (`.harness-partial-<pid>-<random>`), and the next command staging into
the same place removes the ones whose owner is no longer running on this machine, and any
untouched for `STALE_AFTER` seconds (a folder of another machine sharing the disk, or of
an older version without the pid).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from types import TracebackType

from harness.errors import ConfigError, FileSystemError, is_user_os_error

STAGING_PREFIX = ".harness-partial-"
#: A staging folder untouched this long (seconds) is stale whoever owns it: a day.
STALE_AFTER = 24 * 3600.0


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    except OSError:
        return False
    return True


def _stale(folder: Path, now: float) -> bool:
    """Whether a staging folder was left by a command that cannot finish it."""
    try:
        age = now - folder.stat().st_mtime
    except OSError:
        return False
    if age > STALE_AFTER:
        return True
    pid_text = folder.name[len(STAGING_PREFIX) :].split("-", 1)[0]
    if not pid_text.isdigit():
        return False
    pid = int(pid_text)
    return pid != os.getpid() and not _running(pid)


def remove_stale_staging(where: str | os.PathLike[str]) -> list[Path]:
    """Remove the stale staging folders (`_stale`) directly inside `where`; the removed."""
    removed = []
    now = time.time()
    try:
        candidates = [p for p in Path(where).glob(f"{STAGING_PREFIX}*") if p.is_dir()]
    except OSError:
        return removed
    for folder in candidates:
        if _stale(folder, now):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


class StagedOutput:
    """`with StagedOutput(out) as stage:` write into `stage`; files reach `out` on success."""

    def __init__(self, out: str | os.PathLike[str]) -> None:
        self.target = Path(out)
        absolute = Path(os.path.abspath(self.target))
        if absolute.exists() and not absolute.is_dir():
            raise ConfigError(f"--out {self.target}: is a file, not a folder")
        anchor = absolute
        while not anchor.exists():
            anchor = anchor.parent
        if not anchor.is_dir():
            raise ConfigError(f"--out {self.target}: {anchor} is a file, not a folder")
        remove_stale_staging(anchor)
        try:
            # Staging next to (or inside) the target keeps it on the same file system,
            # so moving the files into place is a rename.
            prefix = f"{STAGING_PREFIX}{os.getpid()}-"
            self.stage = Path(tempfile.mkdtemp(prefix=prefix, dir=anchor))
        except OSError as exc:
            raise ConfigError(
                f"--out {self.target}: cannot write in {anchor} ({exc.strerror or exc})"
            ) from None

    def final(self, path: str | os.PathLike[str]) -> Path:
        """Where a file written at `path` under the staging folder ends up."""
        return self.target / Path(path).relative_to(self.stage)

    def __enter__(self) -> Path:
        return self.stage

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                self._commit()
            elif isinstance(exc, OSError) and is_user_os_error(exc):
                # a full disk (or the like) while writing into the staging folder: name
                # the file where it was going, not the hidden staging folder
                raise self._file_system_error(exc) from None
        finally:
            shutil.rmtree(self.stage, ignore_errors=True)

    def _file_system_error(self, exc: OSError) -> FileSystemError:
        path: Path | None = self.target  # a write that names no file (EFBIG, ENOSPC at flush)
        if exc.filename is not None:
            path = None
            written = Path(os.fsdecode(exc.filename))
            if written.is_relative_to(self.stage):
                path = self.final(written.with_name(written.name.removesuffix(".tmp")))
        return FileSystemError.from_os_error(exc, path)

    def _commit(self) -> None:
        files = sorted(p for p in self.stage.rglob("*") if not p.is_dir())
        for source in files:  # a conflict found while moving would leave half the files
            destination = self.final(source)
            for parent in destination.relative_to(self.target).parents:
                folder = self.target / parent
                if folder.exists() and not folder.is_dir():
                    raise ConfigError(f"--out {self.target}: {folder} is a file, not a folder")
            if destination.is_dir():
                raise ConfigError(f"--out {self.target}: {destination} is a folder, not a file")
        try:
            self.target.mkdir(parents=True, exist_ok=True)
            for source in files:
                destination = self.final(source)
                destination.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, destination)
        except OSError as exc:
            raise ConfigError(
                f"--out {self.target}: cannot move the output into place ({exc.strerror or exc})"
            ) from None
