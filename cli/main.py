"""`eligibility` — one entry point with subcommands; each door registers its own."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each door's module, in the order `--help` lists them.
_DOORS = ("cli.check", "cli.diff", "cli.server", "cli.bot", "cli.batch")
# Commands run alone: only their own module is imported (the bot's and the server's imports
# cost `eligibility batch` most of a second, run after run in a county's scripts).
_ALONE = {"batch": "cli.batch"}


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
    parser = build_parser(_ALONE.get(given[0]) if given else None)
    args = parser.parse_args(given)
    status: int = args.run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
