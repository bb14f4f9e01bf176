"""User-facing errors.

Every error a user can cause (bad file, bad key, bad config) is a `HarnessError`
whose message is one line naming the file or value and the problem. The command
line prints that line and exits non-zero; tracebacks appear only with --debug.
"""

from __future__ import annotations

import difflib
import errno
import os


class HarnessError(Exception):
    """A problem the user can fix; the message is one self-contained line."""

    exit_code: int = 2


class DataError(HarnessError):
    """A data file is missing, malformed, truncated, empty or fails its checksum."""


class ArchitectureError(HarnessError, ValueError):
    """An architecture key or encoding is malformed or invalid for its space."""


class ConfigError(HarnessError, ValueError):
    """A configuration value or command-line option is invalid."""


class UnknownNameError(HarnessError, KeyError):
    """A name (space, table, proxy, dataset) is not registered."""

    def __init__(self, kind: str, name: str, known: list[str] | tuple[str, ...]):
        close = difflib.get_close_matches(name, list(known), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        msg = f"unknown {kind} {name!r}{hint} (known: {', '.join(sorted(known))})"
        super().__init__(msg)
        self.kind, self.name = kind, name

    def __str__(self) -> str:  # KeyError quotes its message otherwise
        return self.args[0]


#: File-system errors that are the user's to fix (a full disk or quota, a read-only or
#: forbidden folder, a name too long, a file where a folder should be, or the reverse).
USER_ERRNO_NAMES: tuple[str, ...] = (
    "ENOSPC", "EDQUOT", "EFBIG", "EROFS", "EACCES", "EPERM", "ENAMETOOLONG", "ENOTDIR",
    "EISDIR", "EEXIST", "ELOOP",
)  # fmt: skip
USER_ERRNOS: frozenset[int] = frozenset(
    getattr(errno, name) for name in USER_ERRNO_NAMES if hasattr(errno, name)
)


class FileSystemError(HarnessError):
    """The file system refused a write (full, read-only, forbidden, name too long, ...)."""

    @classmethod
    def from_os_error(
        cls, exc: OSError, path: str | os.PathLike[str] | None = None
    ) -> FileSystemError:
        """One line naming `path` (default: the error's file) and the problem."""
        code = exc.errno if exc.errno is not None else 0
        name = errno.errorcode.get(code, str(code))
        problem = exc.strerror or os.strerror(code)
        if path is not None:
            where = os.fsdecode(path)
        elif exc.filename is not None and exc.filename2 is not None:
            where = f"{os.fsdecode(exc.filename)} -> {os.fsdecode(exc.filename2)}"
        elif exc.filename is not None:
            where = os.fsdecode(exc.filename)
        else:
            where = "a file"
        if len(where) > 300:  # a name too long to print in full
            where = f"{where[:120]}...{where[-60:]} ({len(where)} characters)"
        return cls(f"cannot write {where}: {problem} ({name})")


def is_user_os_error(exc: BaseException) -> bool:
    """Whether `exc` is a file-system error the user can fix (`USER_ERRNOS`)."""
    return isinstance(exc, OSError) and exc.errno in USER_ERRNOS
