"""Replies made from parts kept per content give what making them afresh gives (hypothesis).

`eligibility.reply` keeps each shown determination by its content, the sources and questions of
a policy set, and the encoded determinations and tables of each combination; an answer must not
depend on what was asked before it.  The reference here is the reply made from nothing kept:
`full`, `shown` and `tables` of the determinations, and `msgspec.json.encode` of the reply.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility.answer import Determination
from eligibility.determination import determine
from eligibility.facts import Applicant
from eligibility.policy import bundled_sources, load_policy_set
from eligibility.programme import PolicySet
from eligibility.reply import (
    DETAILS,
    SHARED_PARTS,
    Detail,
    Reply,
    basis,
    full,
    prepare,
    reply,
    reply_json,
    shown,
    tables,
)
from eligibility.text import Lang

from .strategies import applicants

_POLICIES = load_policy_set(bundled_sources())
# The same policies loaded again: the same version, other objects (kept apart by the caches).
_AGAIN = load_policy_set(bundled_sources(), run_examples=False)


def afresh(
    determinations: list[Determination], policies: PolicySet, lang: Lang, detail: Detail
) -> Reply:
    """The reply made from nothing kept."""
    sent = shown([full(d) for d in determinations], detail)
    sources, questions = tables(sent, policies, lang)
    on = basis(determinations)
    return Reply(
        detail=detail,
        as_of=on.as_of,
        region_code=on.region_code,
        policy_version=policies.version,
        facts_hash=on.facts_hash,
        determinations=sent,
        sources=sources,
        questions=questions,
    )


@settings(max_examples=300, deadline=None)
@given(
    raw=applicants(),
    lang=st.sampled_from(["zh", "en"]),
    detail=st.sampled_from(DETAILS),
    policies=st.sampled_from([_POLICIES, _AGAIN]),
)
def test_a_reply_is_the_one_made_afresh_and_its_json_the_same_bytes(
    raw: dict[str, Any], lang: Lang, detail: Detail, policies: PolicySet
) -> None:
    determinations = determine(msgspec.convert(raw, Applicant), policies, lang=lang)
    expected = afresh(determinations, policies, lang, detail)
    # Twice: made, then found kept.
    for _ in range(2):
        assert reply(determinations, policies, lang, detail) == expected
        assert reply_json(determinations, policies, lang, detail) == msgspec.json.encode(expected)


@settings(max_examples=40, deadline=None)
@given(raw=applicants(), detail=st.sampled_from(DETAILS))
def test_a_reply_with_suggestions_is_the_one_made_afresh(
    raw: dict[str, Any], detail: Detail
) -> None:
    # Suggestions are worked out for one applicant: shown, not kept, and still the same bytes.
    determinations = determine(msgspec.convert(raw, Applicant), _POLICIES, suggest=True)
    expected = afresh(determinations, _POLICIES, "zh", detail)
    assert reply(determinations, _POLICIES, "zh", detail) == expected
    assert reply_json(determinations, _POLICIES, "zh", detail) == msgspec.json.encode(expected)
    for d in determinations:
        assert prepare(d, detail).kept is not bool(d.suggestions)


def test_determinations_alike_but_for_who_and_when_share_what_is_shown() -> None:
    # The same facts decided on two days of the same policies: the shown determinations are
    # the same objects, each answer says its own date.
    applicant = Applicant(region_code="140821")
    first = determine(applicant, _POLICIES, today=dt.date(2024, 6, 1))
    second = determine(applicant, _POLICIES, today=dt.date(2024, 6, 2))
    for a, b in zip(first, second, strict=True):
        assert prepare(a, "full") is prepare(b, "full")
    one = msgspec.json.decode(reply_json(first, _POLICIES, "zh"))
    two = msgspec.json.decode(reply_json(second, _POLICIES, "zh"))
    assert (one["as_of"], two["as_of"]) == ("2024-06-01", "2024-06-02")
    assert one["determinations"] == two["determinations"]


def test_every_field_shown_is_in_what_a_shown_determination_is_kept_by() -> None:
    # One field changed at a time (the rest as decided): the shown determination is that of
    # the changed determination, never the one kept for the first.
    applicant = Applicant(region_code="140821")
    [d] = determine(applicant, _POLICIES, programmes=["microloan"], today=dt.date(2024, 6, 1))
    criterion = msgspec.structs.replace(d.criteria[0], reason=d.criteria[0].reason + "。")
    missing = msgspec.structs.replace(d.missing[0], affects="amount")
    changes: dict[str, object] = {
        "programme": "another",
        "programme_name": d.programme_name + "(另)",
        "verdict": "eligible" if d.verdict != "eligible" else "ineligible",
        "verdict_label": (d.verdict_label or "") + "(另)",
        "amount": (d.amount or 0) + 1,
        "amount_unit": (d.amount_unit or "") + "(另)",
        "amount_note": (d.amount_note or "") + "(另)",
        "amount_sources": (*d.amount_sources, "another"),
        "criteria": (criterion, *d.criteria[1:]),
        "missing": (missing, *d.missing[1:]),
        "request_details": (*d.request_details, missing),
        "next_steps": (*d.next_steps, "另"),
        "documents": (*d.documents, "另"),
        "warnings": (*d.warnings, "另"),
    }
    shown_fields = set(msgspec.structs.asdict(full(d))) - {"suggestions"}
    assert set(changes) == shown_fields
    for detail in DETAILS:
        kept = prepare(d, detail).determination
        for name, value in changes.items():
            changed = msgspec.structs.replace(d, **{name: value})
            [expected] = shown([full(changed)], detail)
            assert expected != kept, name
            assert prepare(changed, detail).determination == expected, name


def test_a_determination_whose_parts_are_copies_is_shown_as_the_one_it_equals() -> None:
    # `prepare` finds a determination first by the identity of its parts (the core's shared
    # tuples), then by their content: copies of the parts are found by value, the same shown.
    applicant = Applicant(region_code="140821")
    for d in determine(applicant, _POLICIES, today=dt.date(2024, 6, 1)):
        # Other tuples of the same content (the empty tuple is one object whatever is done).
        copied = msgspec.structs.replace(d, **{name: (*getattr(d, name),) for name in SHARED_PARTS})
        assert copied.criteria == d.criteria
        assert copied.criteria is not d.criteria
        for detail in DETAILS:
            assert prepare(copied, detail) is prepare(d, detail)
            assert prepare(copied, detail) is prepare(copied, detail)
