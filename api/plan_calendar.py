"""A household plan's dates as an iCalendar file (RFC 5545), written with `icalendar`.

One all-day event per dated plan date (a window spans its days; a deadline or the day an answer
changes is one day); a date the source gives only in words ("每学期开学后") has no day and is
not an event (the JSON plan lists it).  Each event's UID is the household's id with the plan
date's id (programme, date and day), so importing a newer plan updates the same events rather
than adding copies; its description says who it is for and cites the source.
"""

from __future__ import annotations

import datetime as dt

import icalendar

from eligibility.household_plan import DATE_KIND_TEXT, HouseholdPlan, PlanDate
from eligibility.programme import Citation

PRODID = "-//rural-support-eligibility//household plan//ZH"
UID_DOMAIN = "rural-support-eligibility"
SOURCE_LABEL = {"zh": "依据：", "en": "Source: "}
FOR_LABEL = {"zh": "给谁：", "en": "For: "}
NAME_JOIN = {"zh": "、", "en": ", "}
SUMMARY_JOIN = {"zh": "：", "en": ": "}


def event_uid(household_id: str, date: PlanDate) -> str:
    """The event's stable UID: the same household, programme, date and day give the same one."""
    return f"{household_id}-{date.id}@{UID_DOMAIN}"


def citation_text(citation: Citation) -> str:
    """A source in one line: title, number, article, date, address (those it has)."""
    parts = [citation.title, citation.issuer, citation.number, citation.article]
    if citation.date is not None:
        parts.append(citation.date.isoformat())
    parts.append(citation.url)
    return "；".join(p for p in parts if p)


def plan_calendar(plan: HouseholdPlan, household_id: str, *, stamp: dt.datetime) -> bytes:
    """The plan's dated dates as an iCalendar file; `stamp` (UTC) is its DTSTAMP."""
    lang = plan.lang
    names = {m.member: m.name or m.member for m in plan.members}
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    for date in plan.dates:
        if date.start is None:
            continue
        event = icalendar.Event()
        event.add("uid", event_uid(household_id, date))
        event.add("dtstamp", stamp)
        event.add("dtstart", date.start)
        # DTEND of an all-day event is exclusive: the day after the window's last.  On the
        # calendar's last day there is none, and an all-day event without it is one day long.
        last = date.end or date.start
        if last < dt.date.max:
            event.add("dtend", last + dt.timedelta(days=1))
        kind = DATE_KIND_TEXT[date.kind].in_(lang)
        event.add("summary", date.programme_name + SUMMARY_JOIN[lang] + kind)
        lines = [
            date.text,
            FOR_LABEL[lang] + NAME_JOIN[lang].join(names.get(m, m) for m in date.members),
            *(SOURCE_LABEL[lang] + citation_text(c) for c in date.sources),
        ]
        event.add("description", "\n".join(lines))
        calendar.add_component(event)
    body: bytes = calendar.to_ical()
    return body
