"""The answer's shape: one `Determination` per programme, its criteria and the facts still asked.

Every door (API, bot, CLI, batch) shows these; `eligibility.plan` makes them.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from eligibility.policy_file import Verdict

Outcome = Literal["met", "not_met", "unknown"]


class CriterionResult(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One criterion's outcome, its wording (`text`), the reason shown (outcome + wording), and
    where the rule is written: the ids of its sources in `PolicySet.registry` (those in force for
    the region and date, `eligibility.sources.criterion_sources`)."""

    id: str
    outcome: Outcome
    text: str
    reason: str
    sources: tuple[str, ...] = ()


class MissingFact(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A fact still worth asking, how to ask it, and what its answer may change.

    `affects` is `verdict` (the programme's answer waits on it), `amount` (the verdict does not,
    the amount does) or `request` (a detail of what is asked for, such as the loan amount: the
    programme is open without it, and giving it has the request itself checked).
    """

    fact: str
    question: str
    kind: str
    options: tuple[tuple[str, str], ...] = ()
    affects: Literal["verdict", "amount", "request"] = "verdict"


class Change(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One fact a suggestion changes: from the applicant's value (`from`, null where unknown)
    to the value that satisfies the rule; for a time fact the day it gets there (`on`, exact
    unless only the age is known: then the latest day), for a decided fact who decides it."""

    fact: str
    label: str
    change: Literal["time", "choice", "decided"]
    before: bool | int | str | None = msgspec.field(name="from")
    to: bool | int | str
    on: dt.date | None = None
    exact: bool = True
    decided_by: str | None = None


class Suggestion(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """What would change the answer (`eligibility.whatif`): the changes that, made together,
    make the programme one to apply for (`verdict`: eligible, or `needs_info` waiting only on
    what the bank or county confirms at application, `Programme.can_apply`) or pay `amount`,
    the criteria they satisfy and the sources of those rules in force for the applicant's
    region and date (registry ids, as the answer's `sources` table names them), from the day
    `on` (the latest change's), and all of it in plain words (`text`).  Its parts apart, for a
    door that says what they give its own way: `changes_text`, the changes ("再过2个月
    （2027年2月5日起）连续务工月数满6个月"), and `basis_text`, the rules they meet and any note on
    them ("依据：连续稳定务工满3个月。"); the text is the changes, what they give, then the
    basis."""

    programme: str
    changes: tuple[Change, ...]
    verdict: Verdict
    amount: int | None
    on: dt.date | None
    criteria: tuple[str, ...]
    sources: tuple[str, ...]
    text: str
    # Added later: suggestions stored without them still decode (empty: only `text` says it).
    changes_text: str = ""
    basis_text: str = ""


class Determination(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The answer for one programme: verdict, amount, reasons, what is missing, what to do."""

    programme: str
    programme_name: str
    verdict: Verdict
    amount: int | None
    amount_unit: str | None
    amount_note: str | None
    criteria: tuple[CriterionResult, ...]
    missing: tuple[MissingFact, ...]
    request_details: tuple[MissingFact, ...]
    next_steps: tuple[str, ...]
    documents: tuple[str, ...]
    as_of: dt.date
    region_code: str | None
    policy_version: str
    facts_hash: str
    # Added later: stored determinations without them still decode.
    verdict_label: str | None = None
    warnings: tuple[str, ...] = ()
    # The registry ids the amount (or its note) rests on: the values in force for the region and
    # date of the rule that gave it, then the benefit's general sources
    # (`eligibility.sources.amount_sources`).
    amount_sources: tuple[str, ...] = ()
    # Filled only when asked for (`determine(..., suggest=True)`); empty for eligible programmes
    # paying the most they can.
    suggestions: tuple[Suggestion, ...] = ()

    def source_ids(self) -> tuple[str, ...]:
        """Every source id the determination names, once each, criteria first."""
        named = [i for c in self.criteria for i in c.sources]
        return tuple(dict.fromkeys((*named, *self.amount_sources)))
