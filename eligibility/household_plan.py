"""The household's plan: every member's answers brought together in one plan (issue 13, part 2).

For a household (its members, each decided by the core with the household's facts) the plan says,
per member and programme, the verdict and amount; the **yearly total** the household can expect,
summing only confirmed amounts (an eligible verdict with an amount paid once a year or once a school
year), with everything else that may bring money listed apart and why (the county sets the amount,
the answer still needs facts, a monthly or lent amount); **one checklist** of the documents the
open programmes ask for, the same document asked by several programmes said once, the ones most
programmes need first; and the **dates**: the application windows and deadlines the policy files
give (`[[dates]]`, each with its source), and the days on which time alone changes an answer (the
time-based suggestions of `eligibility.whatif`, where the determinations carry them).

Pure: the caller decides the members (`decide_household` does it with `determine`) and gives the
date; nothing here reads a clock or a file.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from typing import Literal

import msgspec

from eligibility.answer import Determination
from eligibility.asking import gate
from eligibility.derive import flatten
from eligibility.determination import determine
from eligibility.facts import Applicant, applicant_paths
from eligibility.plan import plans_of
from eligibility.policy_file import KeyDate, Verdict
from eligibility.programme import Citation, PolicySet, Programme, citation_of
from eligibility.text import LANGS, Lang, Text
from eligibility.whatif import add_months
from eligibility.windows import next_window, unconfirmed_note

# Why an amount is not in the yearly total.
Apart = Literal[
    "needs_info",
    "to_confirm",
    "to_confirm_county",
    "to_confirm_both",
    "to_ask",
    "unconfirmed",
    "set_locally",
    "per_month",
    "loan",
]
DateKind = Literal["application", "deadline", "becomes_eligible", "amount_changes"]

APART_TEXT: dict[Apart, Text] = {
    "needs_info": Text(
        zh="还要补充情况才能确定能不能办，没有算进合计",
        en="Not decided until more is known: not in the total",
    ),
    # Waiting only on what is confirmed at application (`Criterion.confirmed_by`): nothing is
    # left to ask (review of `fixes`: a 2026 loan read "还要补充情况").  The bank here.
    "to_confirm": Text(
        zh="没有要再补充的情况了：能不能贷、贷多少，申请时由银行审核确认，没有算进合计",
        en="Nothing more to ask: the bank confirms at application whether and how much it "
        "lends; not in the total",
    ),
    # The same where the county confirms (a transport subsidy after a county's table ended,
    # `local_rules_to_confirm`): "能不能贷" was said of a subsidy (review of 2026-12-04).
    "to_confirm_county": Text(
        zh="没有要再补充的情况了：能不能办，申请时由县里审核确认，没有算进合计",
        en="Nothing more to ask: the county confirms at application whether it applies; not "
        "in the total",
    ),
    "to_confirm_both": Text(
        zh="没有要再补充的情况了：申请时由银行和县里审核确认，没有算进合计",
        en="Nothing more to ask: the bank and the county confirm at application; not in the total",
    ),
    # Waiting on something no question of ours settles (a rule not found here, a known overdue
    # loan under a 2026 rule not found): nothing to supply, so not "还要补充情况" (review of
    # `fixes2`); what to ask and of whom is in the answer's reasons.
    "to_ask": Text(
        zh="没有要再补充的情况了，但还要问清楚（见上面的原因）才能确定能不能办，没有算进合计",
        en="Nothing more to supply, but it is not decided until what the reasons above say to "
        "ask is settled: not in the total",
    ),
    "unconfirmed": Text(
        zh="能办，但这一年的标准还没有核实（按以前的规定算的），没有算进合计",
        en="Eligible, but this year's rates are not yet verified (worked out by an earlier year's "
        "rules): not in the total",
    ),
    "set_locally": Text(
        zh="能办，钱数由县里定，没有算进合计",
        en="Eligible; the county sets the amount: not in the total",
    ),
    "per_month": Text(
        zh="按月发，发几个月要看岗位合同，没有算进合计",
        en="Paid monthly for as long as the post lasts: not in the total",
    ),
    "loan": Text(
        zh="这是可以借的钱（要还），不是补贴，没有算进合计",
        en="An amount that can be borrowed (repaid), not a grant: not in the total",
    ),
}
TOTAL_UNIT = Text(zh="元/年", en="yuan per year")
DATE_KIND_TEXT: dict[DateKind, Text] = {
    "application": Text(zh="申请时间", en="When to apply"),
    "deadline": Text(zh="到期", en="Due"),
    "becomes_eligible": Text(zh="到这天可以申请", en="Can apply from this day"),
    "amount_changes": Text(zh="到这天钱数会变", en="The amount changes from this day"),
}


class PlanMember(msgspec.Struct, frozen=True, kw_only=True):
    """A member of the household as the plan is asked for: a key (the member's id or a row's
    number), a name to show, and the applicant they are decided as."""

    key: str
    name: str | None = None
    applicant: Applicant


class MemberAnswers(msgspec.Struct, frozen=True, kw_only=True):
    """A member with their determinations (one per programme decided)."""

    member: PlanMember
    determinations: tuple[Determination, ...]


class PlanEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One member's answer for one programme, and whether its amount is in the yearly total
    (`counted`) or listed apart (`apart`, with the reason in words)."""

    member: str
    member_name: str | None
    programme: str
    programme_name: str
    verdict: Verdict
    verdict_label: str | None
    amount: int | None
    amount_unit: str | None
    counted: bool
    apart: Apart | None = None
    apart_reason: str | None = None


class MemberPlan(msgspec.Struct, frozen=True, kw_only=True):
    """Every programme's answer for one member."""

    member: str
    name: str | None
    entries: tuple[PlanEntry, ...]


class ChecklistItem(msgspec.Struct, frozen=True, kw_only=True):
    """A document to bring once, the programmes that ask for it and for whom."""

    text: str
    programmes: tuple[str, ...]
    members: tuple[str, ...]


class PlanDate(msgspec.Struct, frozen=True, kw_only=True):
    """A date in the plan: an application window (`start`..`end`), a deadline (`start` only),
    or the day time alone changes an answer (`becomes_eligible`; `amount_changes` for an
    eligible answer whose amount it raises).  Without `start` the source
    gives no day and `text` says when in words.  `id` is stable for the same programme, date
    and day, so a calendar keeps one event per plan date; `sources` are where it comes from."""

    id: str
    kind: DateKind
    programme: str
    programme_name: str
    members: tuple[str, ...]
    text: str
    start: dt.date | None
    end: dt.date | None
    sources: tuple[Citation, ...]


class HouseholdPlan(msgspec.Struct, frozen=True, kw_only=True):
    """The household's plan (see the module's docstring)."""

    as_of: dt.date
    lang: Lang
    policy_version: str
    members: tuple[MemberPlan, ...]
    yearly_total: int
    yearly_total_unit: str
    apart: tuple[PlanEntry, ...]
    checklist: tuple[ChecklistItem, ...]
    dates: tuple[PlanDate, ...]


def decide_household(
    members: Sequence[PlanMember],
    policies: PolicySet,
    *,
    as_of: dt.date,
    lang: Lang = "zh",
    programmes: Sequence[str] | None = None,
) -> HouseholdPlan:
    """Decide each member on `as_of` (their applicant's own date is replaced) and plan."""
    answers = [
        MemberAnswers(
            member=m,
            determinations=tuple(
                determine(
                    msgspec.structs.replace(m.applicant, as_of=as_of),
                    policies,
                    programmes=programmes,
                    lang=lang,
                    suggest=True,
                )
            ),
        )
        for m in members
    ]
    return household_plan(answers, policies, as_of=as_of, lang=lang)


def household_plan(
    answers: Sequence[MemberAnswers], policies: PolicySet, *, as_of: dt.date, lang: Lang = "zh"
) -> HouseholdPlan:
    """One plan from the members' determinations (all made on `as_of` with `policies`)."""
    answers = [_for_the_member(a, policies, as_of) for a in answers]
    members = tuple(_member_plan(a, policies, lang) for a in answers)
    entries = [e for m in members for e in m.entries]
    return HouseholdPlan(
        as_of=as_of,
        lang=lang,
        policy_version=policies.version,
        members=members,
        yearly_total=sum(e.amount or 0 for e in entries if e.counted),
        yearly_total_unit=TOTAL_UNIT.in_(lang),
        apart=tuple(e for e in entries if e.apart is not None),
        checklist=checklist(answers, policies),
        dates=plan_dates(answers, policies, as_of=as_of, lang=lang),
    )


def _for_the_member(answers: MemberAnswers, policies: PolicySet, as_of: dt.date) -> MemberAnswers:
    """The member's determinations without the child's programmes (`ChildSpec`: 雨露计划) for
    an adult who said nothing of their own schooling: those are the household's children's,
    each a member of their own, and "雨露计划 还要确认 3000元" under a grandfather of 72 read as
    money he could get (review of 2026-12-04).  An adult who said they are at school keeps it."""
    child = policies.child
    if child is None:
        return answers
    facts = flatten(msgspec.structs.replace(answers.member.applicant, as_of=as_of), as_of)
    adult, _ = gate(policies, "child", facts)
    if adult is not True or any(path in facts for path in child.facts):
        return answers
    kept = tuple(d for d in answers.determinations if d.programme not in child.programmes)
    return msgspec.structs.replace(answers, determinations=kept)


def _member_plan(answers: MemberAnswers, policies: PolicySet, lang: Lang) -> MemberPlan:
    member = answers.member
    entries = []
    for d in answers.determinations:
        apart = _apart(d, policies.programme(d.programme))
        entries.append(
            PlanEntry(
                member=member.key,
                member_name=member.name,
                programme=d.programme,
                programme_name=d.programme_name,
                verdict=d.verdict,
                verdict_label=d.verdict_label,
                amount=d.amount,
                amount_unit=d.amount_unit,
                counted=_counted(d, policies.programme(d.programme)),
                apart=apart,
                apart_reason=None if apart is None else APART_TEXT[apart].in_(lang),
            )
        )
    return MemberPlan(member=member.key, name=member.name, entries=tuple(entries))


def _counted(d: Determination, programme: Programme) -> bool:
    """Only a confirmed amount counts: eligible, an amount, paid once a year or school year, by
    rules checked for the date (an amount worked out by an earlier year's rules is not)."""
    paid = programme.policy.benefit.paid
    yearly = paid in ("per_year", "per_school_year")
    return d.verdict == "eligible" and d.amount is not None and yearly and _verified(d, programme)


def _verified(d: Determination, programme: Programme) -> bool:
    """Whether the programme's rules for the region were checked for the determination's date
    (`confirmed_until`; its warnings say so when they were not)."""
    return programme.checked_on(d.region_code, d.as_of)


def to_confirm(d: Determination, programme: Programme) -> bool:
    """Whether the answer waits only on what a named party confirms at application (the bank's
    checks of a 2026 borrower: `Programme.to_confirm_at_application`): one to apply for."""
    return programme.answer_to_confirm(d)


def _apart(d: Determination, programme: Programme) -> Apart | None:
    """Why a programme that may bring money is not in the total; None if counted, refused, or
    the programme pays nothing (a referral)."""
    if not programme.amounts or d.verdict == "ineligible" or _counted(d, programme):
        return None
    if d.verdict == "needs_info":
        if to_confirm(d, programme):
            by = {c.spec.id: c.spec.confirmed_by for c in programme.criteria}
            who = {by.get(c.id) for c in d.criteria if c.outcome == "unknown"} - {None}
            if who == {"county"}:
                return "to_confirm_county"
            return "to_confirm_both" if "county" in who else "to_confirm"
        return "needs_info" if d.missing else "to_ask"
    if programme.lends:
        return "loan"  # never a grant, verified or not
    if d.amount is not None and not _verified(d, programme):
        return "unconfirmed"
    if programme.policy.benefit.paid == "per_month" and d.amount is not None:
        return "per_month"
    return "set_locally"


# --- the checklist ---------------------------------------------------------------------------

# A list inside one document line ("身份证、户口本" / "户口本、身份证") is the same in any order.
_LIST_SEPARATORS = re.compile(r"[、，,；;/]")


def document_key(text: str) -> tuple[str, ...]:
    """What makes two document lines the same: compatibility forms folded (full-width to
    half-width), case, whitespace and punctuation ignored, and the parts of a listed line
    ("身份证、户口本") taken in any order."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    parts = []
    for part in _LIST_SEPARATORS.split(folded):
        kept = "".join(
            ch for ch in part if not ch.isspace() and not unicodedata.category(ch).startswith("P")
        )
        if kept:
            parts.append(kept)
    return tuple(sorted(parts))


def _same_document(d: Determination, policies: PolicySet) -> dict[str, tuple[str, ...]]:
    """What makes each document line the answer may show the same as another programme's, in
    any language: the `document_key` of its Chinese wording, from the plan that decided the
    answer (its region and date).  The policy files write the Chinese first and the same paper
    the same way there ("户口本、身份证"), while their English names of it differ ("Household
    register and ID cards", "ID card and household register"); keyed on the Chinese, a zh and
    an en checklist have the same items in the same order."""
    plan = plans_of(policies).plan(policies.programme(d.programme), d.region_code, d.as_of)
    return {
        step.text[lang]: document_key(step.text["zh"]) for step in plan.documents for lang in LANGS
    }


def checklist(answers: Sequence[MemberAnswers], policies: PolicySet) -> tuple[ChecklistItem, ...]:
    """The documents of every programme a member can apply for (eligible), each once, the one
    most programmes need first (then the one more members need, then the first met); the same
    document is found by its Chinese wording whatever the language (`_same_document`), and
    named as first met.  An answer still waiting on facts adds none: its list may not be the
    one that applies (nor one with nothing to ask that opens later: a worker short of months).
    One waiting only on what a named party confirms at application (`to_confirm`: a 2026 loan
    the bank checks the borrower for) is one to apply for, and adds its documents."""
    first_text: dict[tuple[str, ...], str] = {}
    programmes: dict[tuple[str, ...], list[str]] = {}
    members: dict[tuple[str, ...], list[str]] = {}
    for a in answers:
        for d in a.determinations:
            if not policies.programme(d.programme).answer_can_apply(d):
                continue
            same = _same_document(d, policies)
            for text in d.documents:
                key = same.get(text) or document_key(text)
                first_text.setdefault(key, text)
                if d.programme not in programmes.setdefault(key, []):
                    programmes[key].append(d.programme)
                if a.member.key not in members.setdefault(key, []):
                    members[key].append(a.member.key)
    order = {key: i for i, key in enumerate(first_text)}
    ranked = sorted(first_text, key=lambda k: (-len(programmes[k]), -len(members[k]), order[k]))
    return tuple(
        ChecklistItem(
            text=first_text[k], programmes=tuple(programmes[k]), members=tuple(members[k])
        )
        for k in ranked
    )


# --- dates -----------------------------------------------------------------------------------


def plan_dates(
    answers: Sequence[MemberAnswers], policies: PolicySet, *, as_of: dt.date, lang: Lang
) -> tuple[PlanDate, ...]:
    """The policy files' windows and deadlines that apply to the members' answers, and the
    time-based suggestions; the same date for several members is one date naming them all.
    Dated ones first, by day; undated ones (said in words) after."""
    found: dict[str, PlanDate] = {}

    def add(date: PlanDate, member: str) -> None:
        seen = found.get(date.id)
        if seen is None:
            found[date.id] = msgspec.structs.replace(date, members=(member,))
        elif member not in seen.members:
            found[date.id] = msgspec.structs.replace(seen, members=(*seen.members, member))

    for a in answers:
        facts = applicant_paths(a.member.applicant)
        for d in a.determinations:
            programme = policies.programme(d.programme)
            for key_date in programme.policy.dates:
                date = _key_date(key_date, programme, d, facts, lang)
                if date is not None:
                    add(date, a.member.key)
            timed = _time_suggestion(d, programme, policies, as_of)
            if timed is not None:
                add(timed, a.member.key)
    # Stable: dates on the same day, and the undated ones, keep the programmes' and the policy
    # files' order (spring before autumn).
    return tuple(sorted(found.values(), key=lambda p: (p.start is None, p.start or dt.date.min)))


def _key_date(
    key_date: KeyDate,
    programme: Programme,
    d: Determination,
    facts: dict[str, object],
    lang: Lang,
) -> PlanDate | None:
    if not key_date.shown_for(d.verdict, d.region_code, d.as_of, to_confirm(d, programme)):
        return None
    start: dt.date | None = None
    end: dt.date | None = None
    window = next_window(key_date, d.as_of)
    if window is not None:
        start, end = window
    elif key_date.months_after is not None:
        months = facts.get(key_date.months_after)
        if not isinstance(months, int):
            return None  # no term asked for: no day to give
        start = add_months(d.as_of, months)
        if start is None:
            return None
    day = "" if start is None else f"-{start.isoformat()}"
    text = key_date.text.in_(lang)
    note = (
        None
        if window is None
        else unconfirmed_note(window[0], programme.confirmed_until(d.region_code), lang)
    )
    if note is not None:
        text += ("。" if lang == "zh" else ". ") + note
    return PlanDate(
        id=f"{programme.id}-{key_date.id}{day}",
        kind=key_date.kind,
        programme=programme.id,
        programme_name=d.programme_name,
        members=(),
        text=text,
        start=start,
        end=end,
        sources=(citation_of(programme.policy.sources[key_date.source]),),
    )


def _time_suggestion(
    d: Determination, programme: Programme, policies: PolicySet, as_of: dt.date
) -> PlanDate | None:
    """The best suggestion that time alone brings about ("满3个月后可申请"), as a date.

    Reads the determination's `suggestions` (`eligibility.whatif`): the first one whose every
    change is of the `time` kind and that gives a day after `as_of`.  A determination made
    without suggestions gives none.
    """
    cited = policies.registry.citations
    for s in d.suggestions:
        if s.on is None or s.on <= as_of or not s.changes:
            continue
        if any(c.change != "time" for c in s.changes):
            continue
        # Already one to apply for (eligible, or waiting only on the bank's or county's
        # checks), the suggestion raises the amount.
        kind: DateKind = "amount_changes" if programme.answer_can_apply(d) else "becomes_eligible"
        return PlanDate(
            id=f"{programme.id}-{kind}-{s.on.isoformat()}",
            kind=kind,
            programme=programme.id,
            programme_name=d.programme_name,
            members=(),
            text=s.text,
            start=s.on,
            end=None,
            # The suggestion names its sources by registry id, those in force for the region.
            sources=tuple(cited[k] for k in s.sources if k in cited),
        )
    return None
