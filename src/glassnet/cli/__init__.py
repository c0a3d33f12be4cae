"""Command line: ``glassnet COMMAND`` (and ``python -m glassnet COMMAND``).

Each subcommand lives in its own module with ``add_parser(subparsers)`` and
``run(args) -> int``. User errors (bad flags, unreadable or unwritable files)
print one line to stderr and exit with status 2; they never show a traceback.
A run stopped by SIGTERM or SIGHUP (``train`` saves first, as on Ctrl-C) exits
with 128 + the signal's number.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Sequence

from .._version import __version__
from ._common import StoppedBySignal, UserError
from ._stdout import GuardedStdout, StdoutError

__all__ = ["main"]

# Subcommand modules, imported when the parser is built.
COMMANDS = ["train", "explain", "gradcheck", "predict", "export", "playground"]


def _build_parser() -> argparse.ArgumentParser:
    """The ``glassnet`` parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="glassnet",
        description="A see-through neural-network classifier: softmax + cross-entropy, "
        "trained by backpropagation with dL/dz = y_hat - y.",
    )
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``glassnet`` command line; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments after the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        0 on success, 2 on a usage or input error, 1 when training diverged or a
        check failed (``gradcheck`` above its threshold), 130 when interrupted,
        128 + the signal's number when stopped by SIGTERM (143) or SIGHUP (129).
    """
    from ..exceptions import TrainingDivergedError

    parser = _build_parser()
    args = parser.parse_args(argv)
    real = sys.stdout
    out = GuardedStdout(real)
    sys.stdout = out
    try:
        code = int(args.func(args))
        out.flush()
        out.raise_if_failed()  # reported after the command, so its files are written
        return code
    except StdoutError as exc:
        print(
            f"glassnet {args.command}: error: cannot write to standard output: {exc.strerror}",
            file=sys.stderr,
        )
        return 2
    except UserError as exc:
        print(f"glassnet {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except TrainingDivergedError as exc:
        print(f"glassnet {args.command}: training diverged: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"glassnet {args.command}: interrupted", file=sys.stderr)
        return 130
    except StoppedBySignal as exc:
        name = signal.Signals(exc.signum).name
        print(f"glassnet {args.command}: stopped by {name}", file=sys.stderr)
        return 128 + exc.signum
    finally:
        if sys.stdout is out:
            sys.stdout = real
