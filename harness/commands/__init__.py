"""One module per `harness` subcommand; each exposes `register(subparsers, common)`.

Every module of this package is a command, registered in alphabetical order, so a new
command needs no edit here.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil


def register_all(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}").register(sub, common)
