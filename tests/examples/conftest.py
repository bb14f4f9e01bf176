"""The example plugin installed once per session (see example_plugin.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from example_plugin import copy_example, pip_install


@pytest.fixture(scope="session")
def installed_example(tmp_path_factory) -> Path:
    """The folder the example plugin is installed into (its entry point included)."""
    root = tmp_path_factory.mktemp("proxy-plugin")
    return pip_install(copy_example(root / "source"), root / "site")
