"""Deciding: from an applicant's facts and a policy set to one `Determination` per programme.

A programme is `eligible` only when every criterion is met, `ineligible` as soon as one is not
met (all failing criteria listed), otherwise `needs_info` with the unknown facts that could still
change the verdict, best first.  Amounts, next steps and documents come from the policy; where a
bank or the county decides something no applicant can know, the next steps say so instead of
holding the verdict back.  The decision itself is made by the programme's plan for the region
and date (`eligibility.plan`); this module is the entry every door calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from hashlib import sha256
from typing import Any

import msgspec
from msgspec.structs import replace

from eligibility.answer import Change, Determination, MissingFact, Suggestion
from eligibility.derive import flatten
from eligibility.facts import Applicant
from eligibility.plan import plans_of
from eligibility.programme import PolicySet, Programme
from eligibility.text import Lang
from eligibility.whatif import apply_changes, with_suggestions


def facts_hash(facts: Mapping[str, Any]) -> str:
    """A stable hash of the (flattened, ID-free) facts a determination was made on."""
    return "fh-" + sha256(_sorted.encode(facts)).hexdigest()[:16]


_sorted = msgspec.json.Encoder(order="sorted")


def determine(
    applicant: Applicant,
    policies: PolicySet,
    *,
    programmes: Sequence[str] | None = None,
    lang: Lang = "zh",
    today: dt.date | None = None,
    suggest: bool = False,
) -> list[Determination]:
    """One determination per programme (all, or those chosen), a pure function of its inputs.

    `as_of` is the applicant's, else `today` (the caller's clock: the core reads none).  With
    `suggest`, each determination carries what would change it (`eligibility.whatif`): for a
    programme not eligible, the smallest changes that make it so; for one that is, those that
    raise the amount.  Each suggestion has been re-decided here on the changed applicant.
    """
    plans = plans_of(policies)
    chosen = plans.programmes if programmes is None else tuple(programmes)
    as_of = applicant.as_of or today
    if as_of is None:
        raise ValueError("as_of: give the applicant's as_of or today's date")
    facts = flatten(applicant, as_of)
    hashed = facts_hash(facts)
    region = applicant.region_code
    chosen_plans = plans.plans_for(chosen, region, as_of)
    if not suggest:
        return plans.decide_plans(chosen_plans, facts, hashed, region, as_of, lang)
    found, keys = plans.decide_plans_keyed(chosen_plans, facts, hashed, region, as_of, lang)

    def recheck(suggestion: Suggestion) -> bool:
        again = _made(suggestion, applicant, policies, as_of, lang)
        if again is None or (again.verdict, again.amount) != (
            suggestion.verdict,
            suggestion.amount,
        ):
            return False
        # Not eligible yet, it must wait only on what is confirmed at application.
        return policies.programme(again.programme).answer_can_apply(again)

    # The answers on a suggestion's day, by what they depend on: the search asks for the same
    # one more than once (a suggestion and, leaving each change out, the fewer changes: the
    # applicant as is on that day for every suggestion of one change).
    made_on: dict[tuple[str, dt.date, tuple[Change, ...]], Determination | None] = {}

    def on_day(suggestion: Suggestion) -> Determination | None:
        day = suggestion.on
        if day is None:
            return None
        key = (suggestion.programme, day, suggestion.changes)
        if key not in made_on:
            made_on[key] = _made(suggestion, applicant, policies, day, lang)
        return made_on[key]

    return with_suggestions(
        plans, chosen_plans, found, keys, facts, as_of, region, lang, recheck, on_day
    )


def _made(
    suggestion: Suggestion, applicant: Applicant, policies: PolicySet, as_of: dt.date, lang: Lang
) -> Determination | None:
    """The programme's answer, through `determine` on `as_of`, for the applicant with the
    suggestion made (None where its changes contradict the applicant's other facts)."""
    try:
        changed = apply_changes(replace(applicant, as_of=as_of), suggestion.changes)
        [again] = determine(changed, policies, programmes=[suggestion.programme], lang=lang)
    except (msgspec.ValidationError, ValueError):
        return None
    return again


def determine_programme(
    programme: Programme, applicant: Applicant, policies: PolicySet, *, lang: Lang
) -> Determination:
    """The determination of one programme for an applicant whose `as_of` is set."""
    assert applicant.as_of is not None
    facts = flatten(applicant, applicant.as_of)
    return plans_of(policies).decide(
        programme, facts, facts_hash(facts), applicant.region_code, applicant.as_of, lang
    )


def next_questions(determinations: Iterable[Determination]) -> list[MissingFact]:
    """The questions still worth asking across programmes, best first.

    Verdict questions before amount ones before request details; among equals, a fact more
    programmes wait on, then the one a programme ranks first.
    """
    kinds = ("verdict", "amount", "request")
    score: dict[str, list[int]] = {}
    first: dict[str, MissingFact] = {}
    for d in determinations:
        for position, fact in enumerate((*d.missing, *d.request_details)):
            counts = score.setdefault(fact.fact, [0, 0, 0, 1_000])
            counts[kinds.index(fact.affects)] -= 1
            counts[3] = min(counts[3], position)
            first.setdefault(fact.fact, fact)
    return [first[path] for path in sorted(score, key=lambda path: score[path])]
