"""Helpers for the example proxy plugin, installed into a temporary folder (never the
environment).

`pip install --no-deps --no-build-isolation --target TMP` builds the package from a copy
of `examples/proxy_plugin` (the build writes into its source folder) and puts it, with
its entry point, in TMP; commands then run in subprocesses whose PYTHONPATH is TMP and
this checkout, so the global environment and the editable install stay untouched, and
pytest's temporary folders are removed as usual.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "proxy_plugin"
PROXY = "grad_norm_global"
PROXY_FILE = Path("src") / "harness_proxy_example" / "proxy.py"


def copy_example(where: Path) -> Path:
    """A copy of the example package, without build leftovers."""
    ignore = shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    shutil.copytree(EXAMPLE, where, ignore=ignore)
    return where


def pip_install(source: Path, target: Path) -> Path:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--disable-pip-version-check", "--target", str(target),
         str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return target


def environment(*paths: Path) -> dict[str, str]:
    """os.environ with PYTHONPATH = `paths` then this checkout (nothing else)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*(str(p) for p in paths), str(REPO)])
    env.pop("HARNESS_SKIP_PLUGINS", None)
    return env


Harness = Callable[..., subprocess.CompletedProcess]


def harness_runner(env: dict[str, str], cwd: Path) -> Harness:
    """harness(*args, expect=0): `python -m harness.cli ARGS` in `cwd` with `env`."""

    def run(
        *args: str, expect: int | None = 0, timeout: float = 1200
    ) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "-m", "harness.cli", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if expect is not None:
            assert done.returncode == expect, (
                f"harness {' '.join(args)} exited {done.returncode}, not {expect}\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done

    return run
