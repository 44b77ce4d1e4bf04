"""Yearly application windows (`[[dates]]` with `yearly`), said for the day asked.

A policy file declares a window once (临猗's "每年11月上旬集中申报": `yearly = { start = "11-01",
end = "11-10" }`).  The household plan shows its next occurrence as a date
(`eligibility.household_plan`); an answer whose programme says it among its next steps
(`KeyDate.step`) words it for the day asked: when this year's opens, that it is open now, or that
it has passed and when the next one is (`window_step`).  Which of the three a day is in depends
only on its month and day (`season_turns`, `season_of`), so the decision plans, resolved once per
region class and date bucket, are resolved once per season too (`eligibility.plan.Profiles`).

Pure: no clock is read; the day is the caller's.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable
from typing import Literal

from eligibility.policy_file import KeyDate
from eligibility.text import Lang, Text

# Where a day stands to a yearly window of its year.
Phase = Literal["before", "open", "passed"]

# Said after a yearly window that falls after the programme's rules were last checked for the
# region (`confirmed_until`): the window is the source's for its own year, and that year's is not
# known (review1 F11: 临猗's 2024 "11月上旬" shown for 2027 as if confirmed).  The time-based
# dates of the plan say the same through their suggestion's text.
UNCONFIRMED_WINDOW = Text(
    zh="{year}年的安排还没有核实，请以县里公布的为准。",
    en="The arrangements for {year} have not been verified yet; what your county announces "
    "prevails.",
)

PHASE_TEXT: dict[Phase, Text] = {
    "before": Text(
        zh="今年的申报时间是{start}到{end}，还没有开始。",
        en="This year's applications are taken from {start} to {end}; they have not opened yet.",
    ),
    "open": Text(
        zh="现在正是申报时间，{end}截止。",
        en="Applications are open now, until {end}.",
    ),
    "passed": Text(
        zh="今年的申报时间已经过了，下一次是{start}到{end}。",
        en="This year's application time has passed; the next one is {start} to {end}.",
    ),
}

# The same, for a window whose year is not verified (`unconfirmed_note` says so after it): the
# source's window is only the usual time, so no phase is said as fact (review of 2026-12-02:
# "现在正是申报时间" beside "2026年的安排还没有核实").  "passed" is for a day after a window itself
# not verified; `next_unverified` for one after a verified window, before one that is not.
UNVERIFIED_PHASE_TEXT: dict[Phase | Literal["next_unverified"], Text] = {
    "before": Text(
        zh="按往年的安排，今年的申报时间是{start}到{end}，还没有开始。",
        en="If this year follows past years, applications are taken from {start} to {end}; "
        "they have not opened yet.",
    ),
    "open": Text(
        zh="往年这个时候是申报时间（到{end}截止）。",
        en="This is when applications are usually taken (until {end}).",
    ),
    "passed": Text(
        zh="按往年的安排，今年的申报时间已经过了，下一次是{start}到{end}。",
        en="If this year followed past years, its application time has passed; the next one "
        "would be {start} to {end}.",
    ),
    "next_unverified": Text(
        zh="今年的申报时间已经过了；按往年的安排，下一次是{start}到{end}。",
        en="This year's application time has passed; if next year follows past years, the "
        "next one is {start} to {end}.",
    ),
}

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _month_day(text: str) -> tuple[int, int]:
    month, day = (int(p) for p in text.split("-"))
    return month, day


def _ordinal(month: int, day: int) -> int:
    """A month and day as one comparable number (MMDD); day 32 or 29 February as written are
    only compared, never made into a date."""
    return month * 100 + day


def window_in(key_date: KeyDate, year: int) -> tuple[dt.date, dt.date] | None:
    """The yearly window's days in `year` (both inclusive); None without `yearly`."""
    if key_date.yearly is None:
        return None
    start = dt.date(year, *_month_day(key_date.yearly.start))
    return start, dt.date(year, *_month_day(key_date.yearly.end))


def next_window(key_date: KeyDate, as_of: dt.date) -> tuple[dt.date, dt.date] | None:
    """The next (or current) occurrence of a yearly window on or after `as_of`."""
    this_year = window_in(key_date, as_of.year)
    if this_year is None:
        return None
    if as_of <= this_year[1]:
        return this_year
    if as_of.year >= dt.MAXYEAR:
        return None  # no calendar year after 9999
    return window_in(key_date, as_of.year + 1)


def phase_of(key_date: KeyDate, as_of: dt.date) -> Phase | None:
    """Where `as_of` stands to the window of its year; None without `yearly`."""
    window = window_in(key_date, as_of.year)
    if window is None:
        return None
    start, end = window
    return "before" if as_of < start else "open" if as_of <= end else "passed"


def season_turns(key_dates: Iterable[KeyDate]) -> tuple[int, ...]:
    """The days of the year (MMDD, `season_of`) on which a yearly window said in an answer
    (`KeyDate.step`) opens or has passed: between two of them every day is in the same phase of
    every such window."""
    turns: set[int] = set()
    for key_date in key_dates:
        if key_date.yearly is None or not key_date.step:
            continue
        start = _month_day(key_date.yearly.start)
        end_month, end_day = _month_day(key_date.yearly.end)
        turns.add(_ordinal(*start))
        if (end_month, end_day) != (12, 31):
            turns.add(_ordinal(end_month, end_day + 1))  # the day after: "passed"
    turns.discard(_ordinal(1, 1))  # the year starts in its first season anyway
    return tuple(sorted(turns))


def season_of(turns: tuple[int, ...], day: dt.date) -> int:
    """The season of a day: how many of the turns it is on or after."""
    return bisect_right(turns, _ordinal(day.month, day.day))


def season_day(turns: tuple[int, ...], season: int, year: int, last: bool = False) -> dt.date:
    """The first (or, with `last`, the last) day of `season` in `year`."""
    if last:
        if season >= len(turns):
            return dt.date(year, 12, 31)
        return season_day(turns, season + 1, year) - dt.timedelta(days=1)
    if season == 0:
        return dt.date(year, 1, 1)
    month, day = divmod(turns[season - 1], 100)
    try:
        return dt.date(year, month, day)
    except ValueError:  # the day after a month's last day (or 28 February) as written
        return dt.date(year, month + 1, 1)


def _said(day: dt.date, lang: Lang, year: bool) -> str:
    """A day in words, with its year where `year` (a window's first day in Chinese, its last in
    English: "2027年11月1日到11月10日", "1 November to 10 November 2027")."""
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日" if year else f"{day.month}月{day.day}日"
    said = f"{day.day} {_MONTHS_EN[day.month - 1]}"
    return f"{said} {day.year}" if year else said


def window_step(
    key_date: KeyDate, as_of: dt.date, confirmed_until: dt.date | None, lang: Lang
) -> str:
    """The window as a next step for `as_of`: its text, then (a yearly one) when this year's
    opens, that it is open now, or that it has passed and when the next one is, and, where that
    window falls after the rules were last checked for the region, that its year is not
    verified (`unconfirmed_note`), the phase then said as past years' (`UNVERIFIED_PHASE_TEXT`)."""
    text = key_date.text.in_(lang)
    phase = phase_of(key_date, as_of)
    this_year = window_in(key_date, as_of.year)
    window = next_window(key_date, as_of)
    if phase is None or this_year is None or window is None:
        return text
    start, end = window
    stop = "。" if lang == "zh" else ". "
    values = {"start": _said(start, lang, lang == "zh"), "end": _said(end, lang, lang == "en")}
    if _verified(start, confirmed_until):
        said = PHASE_TEXT[phase]
    elif phase == "passed" and _verified(this_year[0], confirmed_until):
        said = UNVERIFIED_PHASE_TEXT["next_unverified"]
    else:
        said = UNVERIFIED_PHASE_TEXT[phase]
    text = text.rstrip("。.") + stop + said.format(values).in_(lang)
    note = unconfirmed_note(start, confirmed_until, lang)
    return text if note is None else text + ("" if lang == "zh" else " ") + note


def _verified(start: dt.date, confirmed_until: dt.date | None) -> bool:
    """Whether a window starting on `start` lies within the dates the rules were checked to."""
    return confirmed_until is None or start <= confirmed_until


def unconfirmed_note(start: dt.date, confirmed_until: dt.date | None, lang: Lang) -> str | None:
    """`UNCONFIRMED_WINDOW` for a window starting after the rules were last checked."""
    if _verified(start, confirmed_until):
        return None
    return UNCONFIRMED_WINDOW.format({"year": start.year}).in_(lang)
