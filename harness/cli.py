"""The `harness` command line (also installed as `proxy-ranking-harness`).

Every command shares the run options (--data-dir, --out, --format, --seed, --debug).
User errors (bad options included) print one line and exit with status 2; an internal
error (a bug) prints one line and exits with status 3; --debug shows the traceback.
Status 1 is left to `harness compare`, where it means a regression.

The commands live in `harness.commands` (what they share in `harness.commands._common`);
this module imports them, never the reverse.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence

from harness import DISTRIBUTION, __version__
from harness.commands import register_all
from harness.config import check_seed
from harness.errors import FileSystemError, HarnessError, is_user_os_error

Handler = Callable[[argparse.Namespace], int]

#: Exit status of an unexpected exception (a bug, not a user error).
INTERNAL_ERROR_EXIT = 3


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (`harness: error: ...`), status 2.

    argparse prints the usage before its error; the usage stays a `--help` away.
    """

    def error(self, message: str):  # type: ignore[override]
        text = " ".join(message.split())
        self.exit(2, f"harness: error: {self.prog}: {text} (see {self.prog} --help)\n")


def seed_value(text: str) -> int:
    """A `--seed` value: an integer in 0..2**63-1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid seed {text!r}: not an integer") from None
    try:
        check_seed("--seed", value)
    except HarnessError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _common_options() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--data-dir",
        help="folder with the benchmark files (default: $HARNESS_DATA, else ./data)",
    )
    common.add_argument("--out", help="output folder (default: reports/<run-id>/)")
    common.add_argument(
        "--format",
        choices=("md", "csv", "json", "latex"),
        default="md",
        help="what to print (md); latex (booktabs) for the leaderboards of run and leaderboard",
    )
    # None = not given: the config's seed stands (commands without a config use 0)
    common.add_argument(
        "--seed", type=seed_value, default=None, help="run seed, 0..2**63-1 (config's, else 0)"
    )
    common.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    tables = common.add_argument_group("benchmark tables")
    tables.add_argument(
        "--no-verify",
        action="store_true",
        help="load files whose sha256 differs from the manifest's (a warning goes into the "
        "results' notes)",
    )
    tables.add_argument(
        "--trust-pickle",
        action="store_true",
        help="unpickle benchmark files the manifest does not pin (NATS-Bench folders, "
        "a .pth with Python objects): only for files you trust, unpickling can run code",
    )
    tables.add_argument(
        "--bad-truth",
        choices=("error", "drop"),
        default=None,
        help="ground truth outside [0, 100], inf, NaN or null: refuse the file (error, "
        "default) or drop those records with a counted warning (drop)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="harness",
        description="How well do zero-cost proxies rank neural architectures?",
    )
    parser.add_argument("--version", action="version", version=f"{DISTRIBUTION} {__version__}")
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

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _interrupt)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.format == "latex" and not getattr(args, "prints_latex", False):
        parser.error(f"--format latex: harness {args.command} prints no LaTeX (run and "
                     "leaderboard do)")  # fmt: skip
    handler: Handler = args.handler
    previous = _stop_on_sigterm()
    try:
        return handler(args)
    except HarnessError as exc:
        if getattr(args, "debug", False):
            raise
        print(f"harness: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except OSError as exc:
        if getattr(args, "debug", False):
            raise
        if not is_user_os_error(exc):
            return _internal_error(exc)
        # the file system's refusal (full, read-only, name too long) is the user's to fix
        text = str(FileSystemError.from_os_error(exc))
        print(f"harness: error: {' '.join(text.split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("harness: interrupted; completed work is kept, rerun to resume", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line, and never status 1 (a CI regression)
        if getattr(args, "debug", False):
            raise
        return _internal_error(exc)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _internal_error(exc: BaseException) -> int:
    text = " ".join(str(exc).split()) or "(no message)"
    print(
        f"harness: internal error: {type(exc).__name__}: {text} "
        "(a bug; rerun with --debug for the traceback and report it)",
        file=sys.stderr,
    )
    return INTERNAL_ERROR_EXIT


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
