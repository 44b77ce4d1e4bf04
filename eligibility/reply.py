"""Replies as the doors send them: lean determinations with one table of sources and questions.

A determination names its sources by id and its missing facts by path; the answer carries each
document and each question once, however many programmes name it (issue 10: one applicant's five
determinations were 41 KB, mostly the same citations and questions again and again).  What all
of one applicant's determinations share (the level of detail, the date, the region, the policy
version and the facts' hash) the answer says once, and a field at its default (null, an empty
list) is left out, but for a missing fact's `affects`, which a client reads to know whether the
answer decides the verdict.  A source is shown whole (title, number, issuer, date, link): who
stands behind the words, how far a reprint can be trusted and how old a county's table is are
what a caseworker weighs a reason by, and cost only a few hundred bytes; the registry of every
document a policy version cites is at `GET /v1/sources`.
Two levels:

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
    """A document a determination names by id: its title, number (文号), link, issuer and
    date, as the registry of its policy version holds it (`GET /v1/sources`, the same ids)."""

    title: str
    number: str | None = None
    url: str | None = None
    issuer: str | None = None
    date: dt.date | None = None


class Question(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """How to ask a missing fact: the question, the kind of answer, an enum's options."""

    question: str
    kind: str
    options: tuple[tuple[str, str], ...] = ()


class Missing(msgspec.Struct, frozen=True, kw_only=True):
    """A fact still worth asking (its question is in the answer's `questions`), and what its
    answer may change: `verdict`, `amount` or `request` (see `MissingFact`).  Always sent, the
    default too: a client that reads an absent `affects` as "not the verdict" would take the
    questions that decide eligibility for ones that do not."""

    fact: str
    affects: Literal["verdict", "amount", "request"] = "verdict"


class Reason(msgspec.Struct, frozen=True, kw_only=True):
    """One criterion's outcome, the reason shown, and the ids of its sources (a criterion always
    names some, `criterion_sources`; a row stored without them is one stored before issue 10,
    which `api.services.assessments` reads by its whole citations)."""

    id: str
    outcome: Outcome
    reason: str
    sources: tuple[str, ...]


class ShownDetermination(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One programme's answer as sent and stored: the verdict, the amount and the sources it
    rests on, the criteria (all of them in `full`; in `summary` those not met or unknown), what
    is missing (the loan's details the bank checks too), what to do, warnings.

    A field left out is its default: null, an empty list, `affects: verdict`.  What every
    programme of one answer shares (its `detail`, `as_of`, `region_code`, `policy_version`,
    `facts_hash`) is said once by the answer that carries the determinations."""

    programme: str
    programme_name: str
    verdict: Verdict
    verdict_label: str | None = None
    amount: int | None = None
    amount_unit: str | None = None
    amount_note: str | None = None
    amount_sources: tuple[str, ...] = ()
    criteria: tuple[Reason, ...] = ()
    missing: tuple[Missing, ...] = ()
    request_details: tuple[Missing, ...] = ()
    next_steps: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    # What would change it, when asked for (`eligibility.whatif`).
    suggestions: tuple[Suggestion, ...] = ()


class Basis(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What one applicant's determinations rest on, the same for all of them: the date decided
    for, the applicant's region, the policy set's content hash and the facts' hash."""

    as_of: dt.date | None = None
    region_code: str | None = None
    policy_version: str | None = None
    facts_hash: str | None = None


class Reply(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One applicant's determinations at one level of `detail`, what they rest on (said once),
    and the sources and questions they name, each once."""

    detail: Detail
    as_of: dt.date | None = None
    region_code: str | None = None
    policy_version: str
    facts_hash: str | None = None
    determinations: list[ShownDetermination]
    sources: dict[str, Source]
    questions: dict[str, Question]


def _reasons(determination: Determination) -> tuple[Reason, ...]:
    return tuple(
        Reason(id=c.id, outcome=c.outcome, reason=c.reason, sources=c.sources)
        for c in determination.criteria
    )


def _missing(facts: Iterable[MissingFact]) -> tuple[Missing, ...]:
    return tuple(Missing(fact=m.fact, affects=m.affects) for m in facts)


def full(determination: Determination) -> ShownDetermination:
    """The determination as sent (and stored) in full."""
    d = determination
    return ShownDetermination(
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
        suggestions=d.suggestions,
    )


def summary(determination: ShownDetermination) -> ShownDetermination:
    """The determination in short: its met criteria left out (a yes still cites what its amount
    rests on, and keeps the loan's details the bank checks)."""
    criteria = tuple(c for c in determination.criteria if c.outcome != "met")
    return msgspec.structs.replace(determination, criteria=criteria)


def shown(determinations: Iterable[ShownDetermination], detail: Detail) -> list[ShownDetermination]:
    """The (full) determinations at this level of detail."""
    if detail == "full":
        return list(determinations)
    return [summary(d) for d in determinations]


def basis(determinations: Sequence[Determination]) -> Basis:
    """What one applicant's determinations rest on (empty for none); ValueError if they do not
    all rest on the same: they are one answer only if they do."""
    found = {(d.as_of, d.region_code, d.policy_version, d.facts_hash) for d in determinations}
    if not found:
        return Basis()
    if len(found) > 1:
        raise ValueError("determinations of different dates, places, policies or facts")
    [(as_of, region_code, policy_version, facts_hash)] = found
    return Basis(
        as_of=as_of, region_code=region_code, policy_version=policy_version, facts_hash=facts_hash
    )


def ask(spec: FactSpec, lang: Lang) -> Question:
    """How the catalogue asks a fact, in `lang` (the words `MissingFact` carries)."""
    return Question(
        question=spec.question.in_(lang),
        kind=spec.kind,
        options=tuple((o.value, o.zh if lang == "zh" else o.en) for o in spec.options),
    )


def tables(
    determinations: Sequence[ShownDetermination],
    policies: PolicySet,
    lang: Lang,
    extra: Mapping[str, Source] | None = None,
) -> tuple[dict[str, Source], dict[str, Question]]:
    """The sources and questions the (shown) determinations name, each once, in first-named
    order: sources from the policy set's registry or from
    `extra` (a stored answer's own documents, whole), questions from its fact catalogue."""
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
                citation = policies.registry.citations[source_id]
                sources[source_id] = source_of(citation)
        for m in asked:
            spec = policies.facts.get(m.fact)
            if m.fact not in questions and spec is not None:
                questions[m.fact] = ask(spec, lang)
    return sources, questions


def source_of(citation: Citation) -> Source:
    """A registry entry as answers and `GET /v1/sources` show it: title, number, link,
    issuer and date."""
    c = citation
    return Source(title=c.title, number=c.number, url=c.url, issuer=c.issuer, date=c.date)


def reply(
    determinations: Sequence[Determination],
    policies: PolicySet,
    lang: Lang,
    detail: Detail = "full",
) -> Reply:
    """The reply for one applicant's determinations (made with `policies`, in `lang`) at this
    level of detail: what they rest on, said once, and the sources and questions they name."""
    sent = shown((full(d) for d in determinations), detail)
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
