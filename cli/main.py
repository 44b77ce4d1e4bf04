"""`eligibility` — one entry point with subcommands; each door registers its own."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cli import batch, bot, check, server


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="eligibility",
        description="乡村帮扶资格 — rural support eligibility under the 2022 measures.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check.register(commands)
    server.register(commands)
    bot.register(commands)
    batch.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    status: int = args.run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
