"""The `harness` command line.

Every command shares the run options (--data-dir, --out, --format, --seed, --debug).
User errors print one line and exit with status 2; --debug shows the traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from harness import __version__
from harness.errors import HarnessError

Handler = Callable[[argparse.Namespace], int]


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        help="folder with the benchmark files (default: $HARNESS_DATA, else ./data)",
    )
    common.add_argument("--out", help="output folder (default: reports/<run-id>/)")
    common.add_argument(
        "--format", choices=("md", "csv", "json"), default="md", help="what to print (md)"
    )
    # None = not given: the config's seed stands (commands without a config use 0)
    common.add_argument("--seed", type=int, default=None, help="run seed (config's, else 0)")
    common.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    return common


def run_id(kind: str, *parts: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return "-".join([kind, *[p for p in parts if p], stamp])


def output_dir(args: argparse.Namespace, rid: str) -> Path:
    return Path(args.out) if args.out else Path("reports") / rid


def build_parser() -> argparse.ArgumentParser:
    from harness.commands import register_all

    parser = argparse.ArgumentParser(
        prog="harness",
        description="How well do zero-cost proxies rank neural architectures?",
    )
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    register_all(sub, _common_options())
    return parser


def _interrupt(signum, frame):  # noqa: ARG001
    raise KeyboardInterrupt


def _stop_on_sigterm():
    """Treat SIGTERM (a scheduler or `kill`) like Ctrl-C: stop cleanly, keep what is stored.

    Returns the previous handler (None off the main thread, where none can be set).
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _interrupt)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    previous = _stop_on_sigterm()
    try:
        return handler(args)
    except HarnessError as exc:
        if getattr(args, "debug", False):
            raise
        print(f"harness: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("harness: interrupted; completed work is kept, rerun to resume", file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            import signal

            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
