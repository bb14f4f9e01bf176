"""Output folders written all at once: nothing is half-written when a command fails.

A command opens its output folder with `StagedOutput(out)` before doing any work: that
checks the folder can be written (not a file, not under a file, not read-only) and makes
a hidden staging folder on the same file system. The command writes into the staging
folder; only when it succeeds are the files moved into place (one `os.replace` each),
and on any failure the staging folder is removed, leaving `out` as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from harness.errors import ConfigError

STAGING_PREFIX = ".harness-partial-"


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
        try:
            # Staging next to (or inside) the target keeps it on the same file system,
            # so moving the files into place is a rename.
            self.stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=anchor))
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
        finally:
            shutil.rmtree(self.stage, ignore_errors=True)

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
