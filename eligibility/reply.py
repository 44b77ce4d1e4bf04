"""Replies as the doors send them: lean determinations with one table of sources and questions.

A determination names its sources by id and its missing facts by path; the answer carries each
document and each question once, however many programmes name it (issue 10: one applicant's five
determinations were 41 KB, mostly the same citations and questions again and again).  Two levels:

- `full`: every criterion's outcome and reason, the amount with its sources, every missing fact,
  next steps, documents, warnings and the versions that re-derive it;
- `summary`: the same without the criteria that are met (for phones and spreadsheets): verdict,
  amount with its sources, the failing and unknown criteria with their reasons, missing facts
  and request details, next steps, documents, warnings, versions.

A criterion's wording without its outcome prefix (`CriterionResult.text`) is not sent: the reason
is that prefix and the same words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import msgspec

from eligibility.answer import Determination, MissingFact, Outcome, Suggestion
from eligibility.catalogue import FactSpec
from eligibility.policy_file import Verdict
from eligibility.programme import Citation, PolicySet
from eligibility.text import Lang

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
    # What would change it, when asked for (`eligibility.whatif`).
    suggestions: tuple[Suggestion, ...] = ()


class SummaryDetermination(
    msgspec.Struct, frozen=True, kw_only=True, tag_field="detail", tag="summary"
):
    """One programme's answer in short: the verdict, the amount and the sources it rests on, the
    criteria not met or still unknown (with their reasons and sources), what is missing (the
    loan's details the bank checks too), what to do, warnings, versions."""

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
    policy_version: str
    facts_hash: str
    suggestions: tuple[Suggestion, ...] = ()


class Reply(msgspec.Struct, frozen=True, kw_only=True):
    """Determinations (each `full` or `summary`, its `detail` says which), with the sources and
    questions they name, each once."""

    determinations: list[FullDetermination | SummaryDetermination]
    sources: dict[str, Source]
    questions: dict[str, Question]


def _reasons(determination: Determination) -> tuple[Reason, ...]:
    return tuple(
        Reason(id=c.id, outcome=c.outcome, reason=c.reason, sources=c.sources)
        for c in determination.criteria
    )


def _missing(facts: Iterable[MissingFact]) -> tuple[Missing, ...]:
    return tuple(Missing(fact=m.fact, affects=m.affects) for m in facts)


def full(determination: Determination) -> FullDetermination:
    """The determination as sent (and stored) in full."""
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
        criteria=_reasons(d),
        missing=_missing(d.missing),
        request_details=_missing(d.request_details),
        next_steps=d.next_steps,
        documents=d.documents,
        warnings=d.warnings,
        as_of=d.as_of,
        region_code=d.region_code,
        policy_version=d.policy_version,
        facts_hash=d.facts_hash,
        suggestions=d.suggestions,
    )


def summary(determination: FullDetermination) -> SummaryDetermination:
    """The determination in short: its met criteria left out (a yes still cites what its amount
    rests on)."""
    d = determination
    return SummaryDetermination(
        programme=d.programme,
        programme_name=d.programme_name,
        verdict=d.verdict,
        verdict_label=d.verdict_label,
        amount=d.amount,
        amount_unit=d.amount_unit,
        amount_note=d.amount_note,
        amount_sources=d.amount_sources,
        criteria=tuple(c for c in d.criteria if c.outcome != "met"),
        missing=d.missing,
        request_details=d.request_details,
        next_steps=d.next_steps,
        documents=d.documents,
        warnings=d.warnings,
        as_of=d.as_of,
        policy_version=d.policy_version,
        facts_hash=d.facts_hash,
        suggestions=d.suggestions,
    )


def shown(
    determinations: Iterable[FullDetermination], detail: Detail
) -> list[FullDetermination | SummaryDetermination]:
    """The determinations at this level of detail."""
    if detail == "full":
        return list(determinations)
    return [summary(d) for d in determinations]


def ask(spec: FactSpec, lang: Lang) -> Question:
    """How the catalogue asks a fact, in `lang` (the words `MissingFact` carries)."""
    return Question(
        question=spec.question.in_(lang),
        kind=spec.kind,
        options=tuple((o.value, o.zh if lang == "zh" else o.en) for o in spec.options),
    )


def tables(
    determinations: Sequence[FullDetermination | SummaryDetermination],
    policies: PolicySet,
    lang: Lang,
    extra: Mapping[str, Source] | None = None,
) -> tuple[dict[str, Source], dict[str, Question]]:
    """The sources and questions the (shown) determinations name, each once, in first-named
    order: sources from the policy set's registry (or `extra`, a stored answer's own), questions
    from its fact catalogue."""
    sources: dict[str, Source] = {}
    questions: dict[str, Question] = {}
    for d in determinations:
        named = [i for c in d.criteria for i in c.sources]
        named.extend(i for suggestion in d.suggestions for i in suggestion.sources)
        named.extend(d.amount_sources)
        asked = [*d.missing, *d.request_details]
        for source_id in named:
            if source_id in sources:
                continue
            if extra is not None and source_id in extra:
                sources[source_id] = extra[source_id]
            elif source_id in policies.registry.citations:
                sources[source_id] = source_of(policies.registry.citations[source_id])
        for m in asked:
            spec = policies.facts.get(m.fact)
            if m.fact not in questions and spec is not None:
                questions[m.fact] = ask(spec, lang)
    return sources, questions


def source_of(citation: Citation) -> Source:
    """A registry entry as an answer's table shows it."""
    c = citation
    return Source(title=c.title, issuer=c.issuer, number=c.number, date=c.date, url=c.url)


def reply(
    determinations: Sequence[Determination],
    policies: PolicySet,
    lang: Lang,
    detail: Detail = "full",
) -> Reply:
    """The reply for the determinations (made with `policies`, in `lang`) at this level of
    detail, with the sources and questions it names."""
    sent = shown((full(d) for d in determinations), detail)
    sources, questions = tables(sent, policies, lang)
    return Reply(determinations=sent, sources=sources, questions=questions)
