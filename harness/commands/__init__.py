"""One module per `harness` subcommand; each exposes `register(subparsers, common)`.

Every module of this package is a command: the registry `COMMANDS` (module name ->
module) imports them all on first use, and `register_all` adds them to the parser in
alphabetical order, so a new command needs no edit here.
"""

from __future__ import annotations

import argparse
import sys
from types import ModuleType

from harness.registry import Registry, package_modules


def _discover() -> None:
    for name in package_modules(__name__)():
        COMMANDS.register(name, sys.modules[f"{__name__}.{name}"])


#: Every command module by name; the package's modules are imported on first use.
COMMANDS: Registry[ModuleType] = Registry("command", discover=_discover)


def register_all(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add every command of `COMMANDS` to `sub`, in alphabetical order."""
    for name in COMMANDS.names():
        COMMANDS[name].register(sub, common)
