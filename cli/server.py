"""Subcommands of the server door (being built; see the issue tracker)."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any) -> None:
    """Register this door's subcommands (none yet)."""
    del commands


def _unused(args: argparse.Namespace) -> int:
    del args
    return 1
