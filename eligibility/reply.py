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

Made once and kept, not per answer (a check's answer took longer to show and encode than to
decide): each shown determination with its JSON and what it names, by its content
(`prepare`); a policy set's sources and questions and their JSON (`_Tables`); the encoded
determinations, sources and questions of each combination of shown determinations (`_tail`).
What is kept is bounded, and keyed on all an answer's bytes depend on, never on the applicant:
applicants with the same answers share it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from operator import attrgetter
from typing import Literal, NamedTuple, get_args

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
    if not determinations:
        return Basis()
    first = determinations[0]
    as_of, region_code = first.as_of, first.region_code
    policy_version, facts_hash = first.policy_version, first.facts_hash
    for d in determinations:
        if (
            d.as_of != as_of
            or d.region_code != region_code
            or d.policy_version != policy_version
            or d.facts_hash != facts_hash
        ):
            raise ValueError("determinations of different dates, places, policies or facts")
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
    table = _tables_of(policies)
    registry = table.sources
    catalogue = table.questions[lang]
    sources: dict[str, Source] = {}
    questions: dict[str, Question] = {}
    for d in determinations:
        named = [i for c in d.criteria for i in c.sources]
        named.extend(i for suggestion in d.suggestions for i in suggestion.sources)
        named.extend(d.amount_sources)
        for source_id in named:
            if source_id in sources:
                continue
            if extra is not None and source_id in extra:
                sources[source_id] = extra[source_id]
            elif source_id in registry:
                sources[source_id] = registry[source_id]
        for m in (*d.missing, *d.request_details):
            if m.fact not in questions and m.fact in catalogue:
                questions[m.fact] = catalogue[m.fact]
    return sources, questions


def _named(d: ShownDetermination) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The source ids a shown determination names (its criteria's, its suggestions', its
    amount's) and the facts it asks (missing, then request details), each once, in order."""
    named = [i for c in d.criteria for i in c.sources]
    named.extend(i for suggestion in d.suggestions for i in suggestion.sources)
    named.extend(d.amount_sources)
    asked = [m.fact for m in d.missing]
    asked.extend(m.fact for m in d.request_details)
    return tuple(dict.fromkeys(named)), tuple(dict.fromkeys(asked))


def prepared_tables(
    sent: Iterable[Prepared], policies: PolicySet, lang: Lang
) -> tuple[dict[str, Source], dict[str, Question]]:
    """`tables` of determinations shown by `prepare`, from the source ids and facts each
    names (kept with it): each once, in first-named order; an id the registry does not hold,
    a fact the catalogue does not know, left out."""
    sent = list(sent)
    source_ids = dict.fromkeys(chain.from_iterable(s.sources for s in sent))
    facts = dict.fromkeys(chain.from_iterable(s.facts for s in sent))
    table = _tables_of(policies)
    registry = table.sources
    catalogue = table.questions[lang]
    return (
        {i: registry[i] for i in source_ids if i in registry},
        {f: catalogue[f] for f in facts if f in catalogue},
    )


class _Tables:
    """One policy set's sources (by registry id) and questions (by language and fact path) as
    answers show them, and their JSON: made once per policy set (it is immutable once
    loaded), not per answer."""

    __slots__ = ("policies", "questions", "questions_json", "sources", "sources_json")

    def __init__(self, policies: PolicySet) -> None:
        self.policies = policies
        self.sources = {i: source_of(c) for i, c in policies.registry.citations.items()}
        self.sources_json = {i: msgspec.Raw(_ENCODER.encode(s)) for i, s in self.sources.items()}
        self.questions: dict[str, dict[str, Question]] = {
            lang: {path: ask(spec, lang) for path, spec in policies.facts.items()}
            for lang in get_args(Lang)
        }
        self.questions_json = {
            lang: {path: msgspec.Raw(_ENCODER.encode(q)) for path, q in questions.items()}
            for lang, questions in self.questions.items()
        }


# The tables of the policy sets in use, by the set's id (held, so the id stays its own).
_TABLES: dict[int, _Tables] = {}


def _tables_of(policies: PolicySet) -> _Tables:
    found = _TABLES.get(id(policies))
    if found is None or found.policies is not policies:
        if len(_TABLES) >= 64:
            _TABLES.clear()
        found = _TABLES[id(policies)] = _Tables(policies)
    return found


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
    sent = [prepare(d, detail) for d in determinations]
    sources, questions = prepared_tables(sent, policies, lang)
    on = basis(determinations)
    return Reply(
        detail=detail,
        as_of=on.as_of,
        region_code=on.region_code,
        policy_version=policies.version,
        facts_hash=on.facts_hash,
        determinations=[s.determination for s in sent],
        sources=sources,
        questions=questions,
    )


def reply_json(
    determinations: Sequence[Determination],
    policies: PolicySet,
    lang: Lang,
    detail: Detail = "full",
) -> bytes:
    """`reply(...)` encoded as JSON: the bytes `msgspec.json.encode` gives, spliced from the
    part said once (`Basis`, encoded per answer) and the determinations with the sources and
    questions they name, encoded once per combination of shown determinations (`reply_parts`)."""
    opening, rest = reply_parts(determinations, policies, lang, detail)
    return opening + rest


def reply_parts(
    determinations: Sequence[Determination],
    policies: PolicySet,
    lang: Lang,
    detail: Detail = "full",
) -> tuple[bytes, bytes]:
    """`reply_json`'s bytes in two parts: the opening (what the determinations rest on,
    encoded for this answer) and the rest (the determinations, sources and questions), the
    same `bytes` object for every answer with the same shown determinations, policy set and
    language while it is kept (so what is made of it, compressed say, can be kept by it)."""
    sent = [prepare(d, detail) for d in determinations]
    on = basis(determinations)
    head = _ENCODER.encode(
        _Head(
            detail=detail,
            as_of=on.as_of,
            region_code=on.region_code,
            policy_version=policies.version,
            facts_hash=on.facts_hash,
        )
    )
    # Both are JSON objects: `{head}` and `{tail}` make `{head,tail}`.
    return head[:-1] + b",", _tail(sent, _tables_of(policies), lang)


class _Head(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The first fields of `Reply`, in its order (never empty: `policy_version` is always
    there)."""

    detail: Detail
    as_of: dt.date | None = None
    region_code: str | None = None
    policy_version: str
    facts_hash: str | None = None


class _Tail(msgspec.Struct, frozen=True, kw_only=True):
    """The last fields of `Reply`, in its order, each part already encoded."""

    determinations: list[msgspec.Raw]
    sources: dict[str, msgspec.Raw]
    questions: dict[str, msgspec.Raw]


def _tail(sent: Sequence[Prepared], table: _Tables, lang: Lang) -> bytes:
    """`_Tail` of these shown determinations, encoded, without its opening brace: kept by the
    shown determinations (the kept ones, by identity: each is made once per content), the
    policy set and the language (up to `_TAILS_BYTES` of them), which is all it depends on."""
    key = (lang, id(table), *map(id, sent))
    found = _TAILS.entries.get(key)
    if found is not None:
        return found[2]
    source_ids = dict.fromkeys(chain.from_iterable(s.sources for s in sent))
    facts = dict.fromkeys(chain.from_iterable(s.facts for s in sent))
    registry = table.sources_json
    catalogue = table.questions_json[lang]
    encoded = _ENCODER.encode(
        _Tail(
            determinations=[s.json for s in sent],
            sources={i: registry[i] for i in source_ids if i in registry},
            questions={f: catalogue[f] for f in facts if f in catalogue},
        )
    )[1:]
    if all(s.kept for s in sent):
        if _TAILS.size + len(encoded) > _TAILS_BYTES:
            _TAILS.entries.clear()
            _TAILS.size = 0
        # The key's ids stay those of these objects while the entry holds them.
        _TAILS.entries[key] = (table, tuple(sent), encoded)
        _TAILS.size += len(encoded)
    return encoded


class Prepared(NamedTuple):
    """A determination as shown at one level of detail, the source ids and fact paths it
    names (`_named`), its JSON, and whether it is kept (`prepare`)."""

    determination: ShownDetermination
    sources: tuple[str, ...]
    facts: tuple[str, ...]
    json: msgspec.Raw
    kept: bool


def prepare(determination: Determination, detail: Detail) -> Prepared:
    """`shown([full(determination)], detail)`'s one determination, what it names and its JSON.

    What is shown depends only on the determination's content but for who and when it is for
    (its date, region, policy version and facts' hash are said once by the answer): the core
    gives every applicant with the same answer the same content, so it is made once per
    content and level of detail and kept (up to `_SHOWN_MAX`).  The key is that content
    itself, compared by value (the core's shared parts make it cheap); a determination with
    suggestions (worked out for one applicant) is made anew and not kept."""
    d = determination
    if d.suggestions:
        return _prepared(d, detail, kept=False)
    # First by the identity of its parts: the core hands every applicant with the same answer
    # the same tuples (criteria, missing facts, steps), so they are found again without
    # hashing their content (most of a `prepare` by value).  The entry holds the parts, so
    # the ids in its key are theirs while it lives (as `_tail`'s); a determination whose parts
    # are other objects of the same content is found by value below.
    scalars = _SCALARS(d)
    parts = _PARTS(d)
    quick = (detail, scalars, tuple(map(id, parts)))
    held = _BY_PARTS.get(quick)
    if held is not None:
        return held[1]
    key = (detail, scalars, parts)
    found = _SHOWN.get(key)
    if found is None:
        if len(_SHOWN) >= _SHOWN_MAX:
            _SHOWN.clear()
        found = _SHOWN[key] = _prepared(d, detail, kept=True)
    if len(_BY_PARTS) >= _SHOWN_MAX:
        _BY_PARTS.clear()
    _BY_PARTS[quick] = (key, found)  # the key holds the parts
    return found


def _prepared(determination: Determination, detail: Detail, *, kept: bool) -> Prepared:
    [sent] = shown([full(determination)], detail)
    source_ids, facts = _named(sent)
    return Prepared(sent, source_ids, facts, msgspec.Raw(_ENCODER.encode(sent)), kept)


# What `prepare` keys a determination by: its own values, and the parts the core shares between
# applicants with the same answer (by identity first, then by value).
_SCALARS = attrgetter(
    "programme",
    "programme_name",
    "verdict",
    "verdict_label",
    "amount",
    "amount_unit",
    "amount_note",
)
# The parts by name (a test copies each to check the look-up by value).
SHARED_PARTS = (
    "amount_sources",
    "criteria",
    "missing",
    "request_details",
    "next_steps",
    "documents",
    "warnings",
)
_PARTS = attrgetter(*SHARED_PARTS)
_SHOWN: dict[tuple[object, ...], Prepared] = {}
_SHOWN_MAX = 4096  # a few KB each
# The same by the identity of a determination's parts (`prepare`): the key by value (which holds
# the parts), and what is shown.
_BY_PARTS: dict[tuple[object, ...], tuple[tuple[object, ...], Prepared]] = {}


# The encoded tails (`_tail`): the policy set's tables, the shown determinations, the bytes;
# up to `_TAILS_BYTES` of them (a typical answer's is 15 KB).
class _Tails:
    __slots__ = ("entries", "size")

    def __init__(self) -> None:
        self.entries: dict[tuple[object, ...], tuple[_Tables, tuple[Prepared, ...], bytes]] = {}
        self.size = 0  # bytes


_TAILS = _Tails()
_TAILS_BYTES = 16 << 20
_ENCODER = msgspec.json.Encoder()
