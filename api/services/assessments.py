"""Assessments: a registered member decided with their household's facts, stored with the
policy version, date, facts (never the ID number) and facts hash, so it can be re-derived.

Each programme's determination is stored as the API sends it in full (issue 10): sources by id and
missing facts by path, which the policy version stored beside it resolves when it is shown; the row
also repeats the versions it rests on and every field at its default (`_Row`), as the release
before the lean answers reads it.
Rows stored before carry whole citations and questions; they still decode and show, their
citations under the registry's ids where the document is known (`_legacy`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence

import msgspec
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from api.problems import FieldError, ProblemError, check_as_of, invalid
from api.runtime import PolicyRegistry
from api.schemas import (
    AssessmentCreate,
    AssessmentDiff,
    AssessmentRead,
    Lang,
    RederiveResult,
    StoredFactWarning,
)
from api.security import Principal
from api.services import audit
from api.services.households import deny, member_with_household, not_found, record_id
from db.engine import utc
from db.facts import household_facts, person_facts
from db.models import Assessment, AssessmentDetermination, Household, Member
from eligibility import facts as f
from eligibility.answer import Determination, Outcome
from eligibility.derive import FactError, flatten
from eligibility.determination import determine, facts_hash
from eligibility.diff import Assessed, compare
from eligibility.policy_file import PolicyError, Verdict
from eligibility.programme import Citation, PolicySet
from eligibility.reply import (
    Detail,
    Missing,
    Reason,
    ShownDetermination,
    Source,
    basis,
    full,
    shown,
    source_of,
    tables,
)
from eligibility.stored import SetAside, decidable

# A row as stored since issue 10; one stored before the answer said its versions once still
# decodes (the `detail` tag and versions it repeats are the assessment's own, and ignored).
# A row stored before issue 10 has criteria without source ids, which this refuses (`_legacy`).
_stored = msgspec.json.Decoder(ShownDetermination)
_encoder = msgspec.json.Encoder()


class _Row(
    ShownDetermination,
    frozen=True,
    kw_only=True,
    omit_defaults=False,
    tag_field="detail",
    tag="full",
):
    """A determination as written to its row: every field, defaults too, with the versions it
    rests on, in the shape the release before the lean answers reads as well, so a deploy of
    this one can be rolled back without making the assessments it stored unreadable.  Rows are
    never sent, so their size is not the answer's."""

    as_of: dt.date
    region_code: str | None
    policy_version: str
    facts_hash: str

    @classmethod
    def of(cls, determination: Determination) -> _Row:
        d = determination
        return cls(
            **msgspec.structs.asdict(full(d)),
            as_of=d.as_of,
            region_code=d.region_code,
            policy_version=d.policy_version,
            facts_hash=d.facts_hash,
        )


class _LegacyCriterion(msgspec.Struct, frozen=True, kw_only=True):
    """A criterion as stored before sources were named by id."""

    id: str
    outcome: Outcome
    reason: str
    citations: tuple[Citation, ...] = ()


class _LegacyDetermination(msgspec.Struct, frozen=True, kw_only=True):
    """A determination as stored before issue 10: whole citations, questions in `missing`."""

    programme: str
    programme_name: str
    verdict: Verdict
    amount: int | None
    amount_unit: str | None
    amount_note: str | None
    amount_citations: tuple[Citation, ...] = ()
    criteria: tuple[_LegacyCriterion, ...]
    missing: tuple[Missing, ...]
    request_details: tuple[Missing, ...] = ()
    next_steps: tuple[str, ...]
    documents: tuple[str, ...]
    as_of: dt.date
    region_code: str | None
    policy_version: str
    facts_hash: str
    verdict_label: str | None = None
    warnings: tuple[str, ...] = ()


_legacy_decoder = msgspec.json.Decoder(_LegacyDetermination)


class Stored(msgspec.Struct, frozen=True, kw_only=True):
    """An assessment's determinations as stored, with the documents old rows cite that the
    registry does not name."""

    determinations: list[ShownDetermination]
    extra_sources: dict[str, Source]
    # Some row was stored before issue 10: its sources were whole citations, all a rule listed.
    legacy: bool = False


def _legacy(raw: str, policies: PolicySet | None, extra: dict[str, Source]) -> ShownDetermination:
    """An old row as a lean determination: each citation under the registry id of its document
    (or an id of its own, its document put in `extra`)."""
    old = _legacy_decoder.decode(raw)
    known: dict[tuple[object, ...], str] = {}
    if policies is not None:
        known = {
            (c.title, c.issuer, c.number, c.date): i for i, c in policies.registry.citations.items()
        }

    def ids(citations: tuple[Citation, ...]) -> tuple[str, ...]:
        found: list[str] = []
        for c in citations:
            source_id = known.get((c.title, c.issuer, c.number, c.date))
            if source_id is None:
                source_id = "stored-" + hashlib.sha256(_encoder.encode(c)).hexdigest()[:8]
                extra[source_id] = source_of(c)
            found.append(source_id)
        return tuple(dict.fromkeys(found))

    return ShownDetermination(
        programme=old.programme,
        programme_name=old.programme_name,
        verdict=old.verdict,
        verdict_label=old.verdict_label,
        amount=old.amount,
        amount_unit=old.amount_unit,
        amount_note=old.amount_note,
        amount_sources=ids(old.amount_citations),
        criteria=tuple(
            Reason(id=c.id, outcome=c.outcome, reason=c.reason, sources=ids(c.citations))
            for c in old.criteria
        ),
        missing=old.missing,
        request_details=old.request_details,
        next_steps=old.next_steps,
        documents=old.documents,
        warnings=old.warnings,
    )


def decode_stored(results: Sequence[str], policies: PolicySet | None) -> Stored:
    """Stored determinations (lean, or as stored before issue 10) as lean determinations."""
    extra: dict[str, Source] = {}
    found = []
    legacy = False
    for raw in results:
        try:
            found.append(_stored.decode(raw))
        except msgspec.ValidationError:
            found.append(_legacy(raw, policies, extra))
            legacy = True
    return Stored(determinations=found, extra_sources=extra, legacy=legacy)


def _decision(d: ShownDetermination) -> ShownDetermination:
    """The determination without its source ids (what an old row and a new one can share)."""
    return msgspec.structs.replace(
        d,
        amount_sources=(),
        criteria=tuple(msgspec.structs.replace(c, sources=()) for c in d.criteria),
    )


def applicant_for(
    household: Household,
    member: Member,
    *,
    as_of: dt.date,
    loan_request: f.LoanRequest | None,
) -> f.Applicant:
    """The applicant a member is decided as: household facts, person facts, the loan asked.

    The ID number is not among them (only its birth date is kept), so what is stored as "the
    facts used" holds no ID number either.
    """
    return f.Applicant(
        region_code=household.region_code,
        as_of=as_of,
        household=household_facts(household),
        person=person_facts(member),
        loan_request=loan_request,
    )


def warnings_of(member_id: str, set_aside: Sequence[SetAside]) -> list[StoredFactWarning]:
    """The facts set aside to decide a stored member, as the API says them."""
    return [
        StoredFactWarning(member_id=member_id, path=a.path, message=a.message) for a in set_aside
    ]


def _set_aside(row: Assessment, applicant: f.Applicant) -> list[StoredFactWarning]:
    """What was set aside to decide a stored assessment: the facts `decidable` sets aside,
    when the determinations stored rest on the rest (their facts' hash is of those); none for
    one decided with them, when they were accepted (a code retired since it was made)."""
    usable, set_aside = decidable(applicant, row.as_of)
    if not set_aside:
        return []
    try:
        decided = facts_hash(flatten(usable, row.as_of))
    except FactError:
        return []
    return warnings_of(row.member_id, set_aside) if decided == row.facts_hash else []


def check_programmes(policies: PolicySet, programmes: Sequence[str] | None, path: str) -> None:
    """400 naming the first programme the policy set does not know."""
    for i, programme in enumerate(programmes or []):
        if programme not in policies.programmes:
            raise invalid(
                [
                    FieldError(
                        path=f"{path}[{i}]" if path.startswith("$") else path,
                        message=f"unknown programme {programme!r}; known: "
                        + ", ".join(policies.programmes),
                    )
                ]
            )


def _read(
    row: Assessment,
    stored: Stored,
    policies: PolicySet,
    detail: Detail,
    warnings: list[StoredFactWarning] | None = None,
) -> AssessmentRead:
    lang: Lang = "en" if row.lang == "en" else "zh"
    sent = shown(stored.determinations, detail)
    sources, questions = tables(sent, policies, lang, stored.extra_sources)
    facts = msgspec.json.decode(row.facts, type=f.Applicant)
    return AssessmentRead(
        id=row.id,
        member_id=row.member_id,
        household_id=row.household_id,
        policy_version=row.policy_version,
        as_of=row.as_of,
        lang=lang,
        facts_hash=row.facts_hash,
        facts=facts,
        programmes=None
        if row.programmes is None
        else msgspec.json.decode(row.programmes, type=list[str]),
        created_by=row.created_by,
        created_at=utc(row.created_at),
        detail=detail,
        determinations=sent,
        sources=sources,
        questions=questions,
        # Known when it was just made; a stored one says them again (`_set_aside`).
        warnings=_set_aside(row, facts) if warnings is None else warnings,
    )


async def _policies_of(
    session: AsyncSession, registry: PolicyRegistry, version: str
) -> tuple[PolicySet | None, PolicySet]:
    """The policy set a row was decided with (None if not stored), and the set its ids and
    questions are shown with (that one, else the current one)."""
    try:
        own = await registry.get(session, version)
    except PolicyError:
        # A stored set that no longer loads still lets its assessments be shown (re-deriving
        # them is refused: `rederive`).
        own = None
    return own, own or registry.current


async def create_assessment(
    session: AsyncSession,
    principal: Principal,
    policies: PolicySet,
    data: AssessmentCreate,
    lang: Lang,
    today: dt.date,
    detail: Detail = "full",
) -> AssessmentRead:
    """Decide a member now and store the result as their latest assessment.

    Stored facts today's checks refuse (a region code retired since, an age the birth date
    contradicts) are set aside to decide, and named in `warnings`; the facts stored with the
    assessment are the record's, as they are."""
    check_programmes(policies, data.programmes, "$.programmes")
    check_as_of(policies, {"$.as_of": data.as_of}, today)
    member, household = await member_with_household(session, principal, data.member_id)
    lang = data.lang or lang
    as_of = data.as_of or today
    applicant = applicant_for(household, member, as_of=as_of, loan_request=data.loan_request)
    usable, set_aside = decidable(applicant, as_of)
    try:
        determinations = determine(usable, policies, programmes=data.programmes, lang=lang)
    except FactError as exc:
        # The member's stored facts were checked when registered: it is this date that is wrong.
        raise invalid(
            [FieldError(path="$.as_of", message=f"the member's {exc.path} {exc.message}")]
        ) from None
    row = Assessment(
        id=str(uuid.uuid4()),
        member_id=member.id,
        household_id=household.id,
        policy_version=policies.version,
        as_of=as_of,
        lang=lang,
        facts_hash=determinations[0].facts_hash if determinations else "",
        facts=_encoder.encode(applicant).decode(),
        programmes=None if data.programmes is None else _encoder.encode(data.programmes).decode(),
        is_latest=True,
        created_by=principal.key_id,
    )
    # One assessment at a time per member, so exactly one stays marked latest (PostgreSQL
    # locks the row; SQLite serialises writers anyway).
    await session.exec(select(Member.id).where(col(Member.id) == member.id).with_for_update())
    await session.exec(
        update(Assessment).where(col(Assessment.member_id) == member.id).values(is_latest=False)
    )
    session.add(row)
    await session.flush()
    session.add_all(
        AssessmentDetermination(
            assessment_id=row.id,
            programme=d.programme,
            verdict=d.verdict,
            amount=d.amount,
            result=_encoder.encode(_Row.of(d)).decode(),
        )
        for d in determinations
    )
    lean = [full(d) for d in determinations]
    audit.record(session, principal, "assess", "assessment", [(row.id, household.id)])
    await session.commit()
    made = Stored(determinations=lean, extra_sources={})
    return _read(row, made, policies, detail, warnings_of(member.id, set_aside))


async def _load(
    session: AsyncSession, principal: Principal, assessment_id: str
) -> tuple[Assessment, list[str]]:
    found = (
        await session.exec(
            select(Assessment, Household)
            .join(Household, col(Household.id) == col(Assessment.household_id))
            .where(col(Assessment.id) == record_id(assessment_id, "assessment"))
        )
    ).first()
    if found is None:
        raise not_found("assessment")
    if not principal.sees(found[1].region_code):
        await deny(session, principal, "assessment", found[0].id, found[1].id)
        raise not_found("assessment")
    row = found[0]
    results = (
        await session.exec(
            select(AssessmentDetermination)
            .where(col(AssessmentDetermination.assessment_id) == row.id)
            .order_by(col(AssessmentDetermination.id))
        )
    ).all()
    return row, [r.result for r in results]


async def read_assessment(
    session: AsyncSession,
    principal: Principal,
    registry: PolicyRegistry,
    assessment_id: str,
    detail: Detail = "full",
) -> AssessmentRead:
    """One stored assessment of a household in the caller's regions."""
    row, results = await _load(session, principal, assessment_id)
    own, shown_with = await _policies_of(session, registry, row.policy_version)
    audit.record(session, principal, "read", "assessment", [(row.id, row.household_id)])
    await session.commit()
    return _read(row, decode_stored(results, own), shown_with, detail)


async def member_history(
    session: AsyncSession,
    principal: Principal,
    registry: PolicyRegistry,
    member_id: str,
    detail: Detail = "full",
) -> list[AssessmentRead]:
    """A member's assessments, newest first."""
    member, household = await member_with_household(session, principal, member_id)
    rows = (
        await session.exec(
            select(Assessment)
            .where(col(Assessment.member_id) == member.id)
            .order_by(col(Assessment.created_at).desc(), col(Assessment.id))
        )
    ).all()
    by_assessment: dict[str, list[str]] = {r.id: [] for r in rows}
    if rows:
        results = (
            await session.exec(
                select(AssessmentDetermination)
                .where(col(AssessmentDetermination.assessment_id).in_(list(by_assessment)))
                .order_by(col(AssessmentDetermination.id))
            )
        ).all()
        for result in results:
            by_assessment[result.assessment_id].append(result.result)
    read = []
    for r in rows:
        own, shown_with = await _policies_of(session, registry, r.policy_version)
        read.append(_read(r, decode_stored(by_assessment[r.id], own), shown_with, detail))
    audit.record(session, principal, "list", "assessment", [(r.id, household.id) for r in rows])
    await session.commit()
    return read


async def rederive(
    session: AsyncSession,
    principal: Principal,
    registry: PolicyRegistry,
    assessment_id: str,
    detail: Detail = "full",
) -> RederiveResult:
    """Decide a stored assessment again with its own policy version, date, facts and language.

    `identical` compares what is stored (lean) with the new determinations made lean; a row
    stored before issue 10 compares under the ids its citations' documents have now."""
    row, results = await _load(session, principal, assessment_id)
    policies = await registry.get(session, row.policy_version)
    if policies is None:
        raise ProblemError(409, f"Policy set {row.policy_version} is not stored.")
    stored_facts = msgspec.json.decode(row.facts, type=f.Applicant)
    # Facts stored with it that today's checks refuse are set aside, as when it was made (and
    # for one made when they were accepted: then `identical` is false, and `warnings` say why).
    applicant, set_aside = decidable(stored_facts, row.as_of)
    programmes = (
        None if row.programmes is None else msgspec.json.decode(row.programmes, type=list[str])
    )
    lang: Lang = "en" if row.lang == "en" else "zh"
    try:
        again = determine(applicant, policies, programmes=programmes, lang=lang, today=row.as_of)
    except FactError as exc:
        # Stored before birth dates were checked against the date decided for.
        raise ProblemError(409, f"This assessment cannot be decided again: {exc}") from None
    stored = decode_stored(results, policies)
    lean = [full(d) for d in again]
    audit.record(session, principal, "rederive", "assessment", [(row.id, row.household_id)])
    await session.commit()
    sent = shown(lean, detail)
    sources, questions = tables(sent, policies, lang)
    on = basis(again)
    return RederiveResult(
        assessment_id=row.id,
        policy_version=policies.version,
        as_of=row.as_of,
        region_code=on.region_code,
        facts_hash=on.facts_hash,
        identical=on.facts_hash in (row.facts_hash, None)
        and (
            [_decision(d) for d in lean] == [_decision(d) for d in stored.determinations]
            if stored.legacy
            else lean == stored.determinations
        ),
        detail=detail,
        determinations=sent,
        sources=sources,
        questions=questions,
        warnings=warnings_of(row.member_id, set_aside),
    )


async def _load_named(
    session: AsyncSession, principal: Principal, assessment_id: str, parameter: str
) -> tuple[Assessment, list[str]]:
    """`_load`, its 404 naming the request parameter that gave the id (`path.assessment_id`,
    `query.against`): one missing or outside the caller's regions reads the same."""
    try:
        return await _load(session, principal, assessment_id)
    except ProblemError as exc:
        if exc.status_code != 404:
            raise
        raise ProblemError(
            404,
            "No such assessment.",
            errors=[
                FieldError(path=parameter, message="no assessment with this id in your regions")
            ],
        ) from None


async def _assessed(
    registry: PolicyRegistry, session: AsyncSession, row: Assessment
) -> tuple[Assessed, list[StoredFactWarning]]:
    """A stored assessment as the comparison takes it: decided again with its own policy
    version where that is stored and loads, else the current set, which the comparison then
    names as not exact; its stored facts today's checks refuse set aside, and named."""
    _, policies = await _policies_of(session, registry, row.policy_version)
    applicant, set_aside = decidable(msgspec.json.decode(row.facts, type=f.Applicant), row.as_of)
    assessed = Assessed(
        applicant=applicant,
        as_of=row.as_of,
        policy_version=row.policy_version,
        policies=policies,
        programmes=None
        if row.programmes is None
        else tuple(msgspec.json.decode(row.programmes, type=list[str])),
    )
    return assessed, warnings_of(row.member_id, set_aside)


async def diff_assessments(
    session: AsyncSession,
    principal: Principal,
    registry: PolicyRegistry,
    assessment_id: str,
    against: str,
    lang: Lang,
) -> AssessmentDiff:
    """Why the answer of `assessment_id` differs from that of `against` (the earlier one, as
    the caller names it): both must be assessments in the caller's regions."""
    after, _ = await _load_named(session, principal, assessment_id, "path.assessment_id")
    before, _ = await _load_named(session, principal, against, "query.against")
    earlier, earlier_aside = await _assessed(registry, session, before)
    later, later_aside = await _assessed(registry, session, after)
    try:
        comparison = compare(earlier, later, lang=lang)
    except FactError as exc:
        # Stored before birth dates were checked against the date decided for.
        raise ProblemError(409, f"These assessments cannot be decided again: {exc}") from None
    audit.record(
        session,
        principal,
        "compare",
        "assessment",
        [(after.id, after.household_id), (before.id, before.household_id)],
    )
    await session.commit()
    return AssessmentDiff(
        assessment_id=after.id,
        against=before.id,
        member_id=after.member_id,
        against_member_id=before.member_id,
        same_member=after.member_id == before.member_id,
        comparison=comparison,
        # Each side's, marked: the two may be the same member's.
        warnings=[
            *(msgspec.structs.replace(w, side="assessment") for w in later_aside),
            *(msgspec.structs.replace(w, side="against") for w in earlier_aside),
        ],
    )
