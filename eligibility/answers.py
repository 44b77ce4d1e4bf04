"""Answers as the doors send them: lean determinations with one table of sources and questions.

A determination names its sources by id and its missing facts by path; the answer carries each
document and each question once, however many programmes name it (issue 10: one applicant's five
determinations were 41 KB, mostly the same citations and questions again and again).  Two levels:

- `full`: every criterion's outcome and reason, the amount with its sources, every missing fact,
  next steps, documents, warnings and the versions that re-derive it;
- `summary`: the same without the criteria that are met (for phones and spreadsheets): verdict,
  amount, the failing and unknown criteria with their reasons, missing facts, next steps,
  documents, warnings, versions.

A criterion's wording without its outcome prefix (`CriterionResult.text`) is not sent: the reason
is that prefix and the same words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import msgspec

from eligibility.determination import Determination, MissingFact, Outcome
from eligibility.policy import Citation, Verdict

Detail = Literal["summary", "full"]
DETAILS: tuple[Detail, ...] = ("summary", "full")


class Source(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A document a determination names by id (its title, issuer, number, date and link)."""

    title: str
    issuer: str
    number: str | None = None
    date: dt.date | None = None
    url: str | None = None


class Question(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """How to ask a missing fact: the question, the kind of answer, an enum's options."""

    question: str
    kind: str
    options: tuple[tuple[str, str], ...] = ()


class Missing(msgspec.Struct, frozen=True, kw_only=True):
    """A fact still worth asking (its question is in the answer's `questions`), and what its
    answer may change: `verdict`, `amount` or `request` (see `MissingFact`)."""

    fact: str
    affects: Literal["verdict", "amount", "request"] = "verdict"


class Reason(msgspec.Struct, frozen=True, kw_only=True):
    """One criterion's outcome, the reason shown, and the ids of its sources."""

    id: str
    outcome: Outcome
    reason: str
    sources: tuple[str, ...] = ()


class FullDetermination(msgspec.Struct, frozen=True, kw_only=True, tag_field="detail", tag="full"):
    """One programme's answer in full: every criterion, the amount and its sources, what is
    missing, what to do, and the versions (`policy_version`, `facts_hash`, `as_of`) it rests on."""

    programme: str
    programme_name: str
    verdict: Verdict
    verdict_label: str | None
    amount: int | None
    amount_unit: str | None
    amount_note: str | None
    amount_sources: tuple[str, ...]
    criteria: tuple[Reason, ...]
    missing: tuple[Missing, ...]
    request_details: tuple[Missing, ...]
    next_steps: tuple[str, ...]
    documents: tuple[str, ...]
    warnings: tuple[str, ...]
    as_of: dt.date
    region_code: str | None
    policy_version: str
    facts_hash: str


class SummaryDetermination(
    msgspec.Struct, frozen=True, kw_only=True, tag_field="detail", tag="summary"
):
    """One programme's answer in short: the verdict, the amount, the criteria not met or still
    unknown (with their reasons and sources), what is missing, what to do, warnings, versions."""

    programme: str
    programme_name: str
    verdict: Verdict
    verdict_label: str | None
    amount: int | None
    amount_unit: str | None
    amount_note: str | None
    criteria: tuple[Reason, ...]
    missing: tuple[Missing, ...]
    next_steps: tuple[str, ...]
    documents: tuple[str, ...]
    warnings: tuple[str, ...]
    as_of: dt.date
    policy_version: str
    facts_hash: str


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    """Determinations (each `full` or `summary`, its `detail` says which), with the sources and
    questions they name, each once."""

    determinations: list[FullDetermination | SummaryDetermination]
    sources: dict[str, Source]
    questions: dict[str, Question]


def _reasons(determination: Determination, detail: Detail) -> tuple[Reason, ...]:
    return tuple(
        Reason(id=c.id, outcome=c.outcome, reason=c.reason, sources=c.sources)
        for c in determination.criteria
        if detail == "full" or c.outcome != "met"
    )


def _missing(facts: Iterable[MissingFact]) -> tuple[Missing, ...]:
    return tuple(Missing(fact=m.fact, affects=m.affects) for m in facts)


def full(determination: Determination) -> FullDetermination:
    """The determination as sent in full."""
    d = determination
    return FullDetermination(
        programme=d.programme,
        programme_name=d.programme_name,
        verdict=d.verdict,
        verdict_label=d.verdict_label,
        amount=d.amount,
        amount_unit=d.amount_unit,
        amount_note=d.amount_note,
        amount_sources=d.amount_sources,
        criteria=_reasons(d, "full"),
        missing=_missing(d.missing),
        request_details=_missing(d.request_details),
        next_steps=d.next_steps,
        documents=d.documents,
        warnings=d.warnings,
        as_of=d.as_of,
        region_code=d.region_code,
        policy_version=d.policy_version,
        facts_hash=d.facts_hash,
    )


def summary(determination: Determination) -> SummaryDetermination:
    """The determination as sent in short (its met criteria and request details left out)."""
    d = determination
    return SummaryDetermination(
        programme=d.programme,
        programme_name=d.programme_name,
        verdict=d.verdict,
        verdict_label=d.verdict_label,
        amount=d.amount,
        amount_unit=d.amount_unit,
        amount_note=d.amount_note,
        criteria=_reasons(d, "summary"),
        missing=_missing(d.missing),
        next_steps=d.next_steps,
        documents=d.documents,
        warnings=d.warnings,
        as_of=d.as_of,
        policy_version=d.policy_version,
        facts_hash=d.facts_hash,
    )


def source_table(citations: Mapping[str, Citation], ids: Iterable[str]) -> dict[str, Source]:
    """The table of the ids named, in first-named order; an id not in `citations` is left out."""
    table: dict[str, Source] = {}
    for source_id in ids:
        if source_id in table or source_id not in citations:
            continue
        c = citations[source_id]
        table[source_id] = Source(
            title=c.title, issuer=c.issuer, number=c.number, date=c.date, url=c.url
        )
    return table


def question_table(facts: Iterable[MissingFact]) -> dict[str, Question]:
    """Each missing fact's question once (the first determination's wording of it)."""
    table: dict[str, Question] = {}
    for m in facts:
        if m.fact not in table:
            table[m.fact] = Question(question=m.question, kind=m.kind, options=m.options)
    return table


def named_sources(determinations: Sequence[Determination], detail: Detail) -> list[str]:
    """The source ids the determinations name at this level of detail, in order."""
    ids: list[str] = []
    for d in determinations:
        shown = (c for c in d.criteria if detail == "full" or c.outcome != "met")
        ids.extend(i for c in shown for i in c.sources)
        if detail == "full":
            ids.extend(d.amount_sources)
    return ids


def shown(
    determinations: Sequence[Determination], detail: Detail
) -> list[FullDetermination | SummaryDetermination]:
    """The determinations at this level of detail."""
    project = full if detail == "full" else summary
    return [project(d) for d in determinations]


def tables(
    determinations: Sequence[Determination], citations: Mapping[str, Citation], detail: Detail
) -> tuple[dict[str, Source], dict[str, Question]]:
    """The sources and questions the determinations name at this level of detail."""
    asked = [
        m
        for d in determinations
        for m in (*d.missing, *(d.request_details if detail == "full" else ()))
    ]
    return source_table(citations, named_sources(determinations, detail)), question_table(asked)


def answer(
    determinations: Sequence[Determination],
    citations: Mapping[str, Citation],
    detail: Detail = "full",
) -> Answer:
    """The answer for the determinations at this level of detail, with its tables.

    `citations` is the registry the ids resolve in (`PolicySet.registry.citations`).
    """
    sources, questions = tables(determinations, citations, detail)
    return Answer(
        determinations=shown(determinations, detail), sources=sources, questions=questions
    )
