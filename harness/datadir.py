"""Where benchmark files live: --data-dir, else $HARNESS_DATA, else ./data."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "HARNESS_DATA"


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data folder chosen by flag, environment variable or default (`./data`)."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return Path("data")
