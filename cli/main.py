"""`eligibility` — one entry point with subcommands; each door registers its own."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import importlib
import sys
from collections.abc import Iterator, Sequence

from api.settings import SettingsError

# Each door's module, in the order `--help` lists them.
_DOORS = ("cli.check", "cli.diff", "cli.server", "cli.bot", "cli.batch")
# Commands run alone: only their own module is imported (the bot's and the server's imports
# cost `eligibility batch` most of a second, run after run in a county's scripts).
_ALONE = {"batch": "cli.batch"}
# Collection thresholds for commands that build a large, long-lived object graph (the policies
# and their compiled programmes) and then allocate container objects by the million: with
# Python's defaults the collector walks that graph again and again, the interpreter held, to
# find almost nothing (0.26 s of collecting in a million-row batch, measured with
# `gc.callbacks`, 0.09 s with these); a batch's memory is bounded by its chunks, not by cycles.
_FEW_COLLECTIONS = {"batch": (100_000, 50, 100)}


@contextlib.contextmanager
def _collections(command: str | None) -> Iterator[None]:
    """The garbage collector's thresholds for `command` while it runs, then as they were."""
    thresholds = _FEW_COLLECTIONS.get(command or "")
    if thresholds is None:
        yield
        return
    # At the process's exit Python collects once more, walking every object left (the
    # policies, the compiled programmes, polars' modules) only to free them: 0.25 s after a
    # million-row batch has written everything.  Frozen first (exit handlers run before that
    # collection), they are passed over, and the process ends in 0.07 s.  The outputs are
    # complete and closed by then; nothing left relies on a finaliser.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    before = gc.get_threshold()
    gc.set_threshold(*thresholds)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered (or only the module `only`)."""
    parser = argparse.ArgumentParser(
        prog="eligibility",
        description="乡村帮扶资格 — rural support eligibility under the 2022 measures.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _DOORS if only is None else (only,):
        importlib.import_module(name).register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad input)."""
    given = list(sys.argv[1:] if argv is None else argv)
    with _collections(given[0] if given else None):
        parser = build_parser(_ALONE.get(given[0]) if given else None)
        args = parser.parse_args(given)
        try:
            status: int = args.run(args)
        except SettingsError as exc:  # read where a command first needs its settings
            print(f"eligibility: {exc}", file=sys.stderr)
            return 2
    return status


if __name__ == "__main__":
    sys.exit(main())
