"""User-facing errors.

Every error a user can cause (bad file, bad key, bad config) is a `HarnessError`
whose message is one line naming the file or value and the problem. The command
line prints that line and exits non-zero; tracebacks appear only with --debug.
"""

from __future__ import annotations

import difflib


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
