"""The one error a batch run reports to its caller instead of a traceback."""

from __future__ import annotations


class BatchInputError(ValueError):
    """The input cannot be read or the output cannot be written where asked (exit status 2)."""
