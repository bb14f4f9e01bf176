"""Where benchmark files live: --data-dir, else $HARNESS_DATA, else ./data.

A folder the user named (the flag or the environment variable) must be a folder: one that
is missing, or a file, is a one-line `DataError`, never silently replaced by the embedded
table. Only the default `./data` may be absent (the embedded NB201 table stands in).
"""

from __future__ import annotations

import os
from pathlib import Path

from harness.errors import DataError

ENV_VAR = "HARNESS_DATA"


def resolve_data_dir(
    data_dir: str | os.PathLike[str] | None = None, *, must_exist: bool = True
) -> Path:
    """The data folder chosen by flag, environment variable or default (`./data`).

    A named folder (flag or $HARNESS_DATA) that is a file, or lies under a file, is a
    DataError; so is one that does not exist, unless `must_exist` is False (a folder
    `harness data fetch` is about to create).
    """
    if data_dir is not None:
        root, named = Path(data_dir).expanduser(), f"--data-dir {data_dir}"
    elif os.environ.get(ENV_VAR):
        root, named = Path(os.environ[ENV_VAR]).expanduser(), f"${ENV_VAR}={os.environ[ENV_VAR]}"
    else:
        return Path("data")
    _check_named(root, named, must_exist)
    return root


def _check_named(root: Path, named: str, must_exist: bool) -> None:
    try:
        exists, is_dir = root.exists(), root.is_dir()
    except OSError as exc:  # a name too long, a loop of links
        raise DataError(f"{named}: not a usable data folder ({exc.strerror or exc})") from None
    if exists and not is_dir:
        raise DataError(f"{named}: the data folder is a file, not a folder")
    if exists:
        return
    if must_exist:
        raise DataError(
            f"{named}: the data folder does not exist (create it, fix the path, or name no "
            "folder to use ./data and the embedded NB201 table)"
        )
    anchor = Path(os.path.abspath(root)).parent
    while not anchor.exists():
        anchor = anchor.parent
    if not anchor.is_dir():
        raise DataError(f"{named}: {anchor} is a file, not a folder")
