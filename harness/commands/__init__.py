"""One module per `harness` subcommand; each exposes `register(subparsers, common)`."""

from __future__ import annotations

import argparse
import importlib

_COMMANDS = ("tables", "leaderboard", "proxies", "run")


def register_all(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    for name in _COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub, common)
