"""Keeping ID numbers out of the logs, python-telegram-bot's debug logs included.

At DEBUG level python-telegram-bot logs every update it fetches and every call it makes, with
the message text: a household typing its ID number would leave it in the log.  The filter masks
anything shaped like an ID number, ASCII or full-width, with the core's mask (`5101**************`)
before a record is written.
"""

from __future__ import annotations

import logging
import re

from eligibility.identity import mask_identity_number

# ASCII or full-width digits (a phone keyboard in Chinese mode types `１４０８…`); masked as
# the core masks any number, full-width ones normalised first.
_ID_LIKE = re.compile(
    r"(?<![0-9０-９])[0-9０-９]{17}[0-9０-９XxＸｘ](?![0-9A-Za-z０-９Ａ-Ｚａ-ｚ])"
)
# The loggers that can carry message text: updates, API calls and their results.
LOGGERS = (
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.ext.Application",
    "telegram.ext.Updater",
    "telegram.ext.BaseUpdateProcessor",
    "bot",
)


def redact(text: str) -> str:
    """`text` with every ID-number-shaped run masked."""
    return _ID_LIKE.sub(lambda m: mask_identity_number(m.group(0)), text)


class IdentityNumberFilter(logging.Filter):
    """Masks ID numbers in a record's message (never drops the record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with ID numbers masked."""
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


_FILTER = IdentityNumberFilter()


def install() -> None:
    """Attach the filter to every logger that may carry message text (once)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
