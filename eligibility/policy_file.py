"""The policy file as written: the msgspec Structs one programme's TOML file decodes into.

A policy file reads like the document it encodes: its sources, then its criteria in the order the
document lists them (each citing a source), its parameters with their effective-date history and
regional overrides (each value citing a source), the benefit, next steps and documents, and last
the examples that must pass before the policy loads.  See `eligibility/policies/*.toml`.  The
loader (`eligibility.policy`) checks a decoded file and compiles it (`eligibility.programme`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from eligibility.text import Text

Verdict = Literal["eligible", "ineligible", "needs_info"]
# Who confirms a criterion at application, where the household cannot answer it (a bank's own
# checks of the borrower): `Criterion.confirmed_by`.
Confirmer = Literal["bank", "county"]
# What a step or key date is shown for: a verdict, or `to_confirm_at_application`, an answer
# `needs_info` whose every unknown criterion is one a named party confirms at application
# (`Criterion.confirmed_by`): nothing is left to ask, it is one to apply for.
StepVerdict = Literal["eligible", "ineligible", "needs_info", "to_confirm_at_application"]
TO_CONFIRM: StepVerdict = "to_confirm_at_application"
ParamValue = int | float | bool | str | list[str | int] | None


class PolicyError(ValueError):
    """A policy file that must not load; the message names the file and what is wrong."""


class Source(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A document a criterion or value comes from.

    `region` (a code prefix) is the place a local document governs, where it is that place's
    own rule (黑龙江's 800 元 notice: "23"): it is never cited for an applicant of another place,
    and only values of that place may cite it.  A local document that only regional values cite
    has that scope without saying so.  `since`/`until` (until exclusive) are the dates on which
    it governs new decisions (a transition-period notice ends where its successor starts): it is
    not cited for a date outside them.
    """

    title: str
    issuer: str
    number: str | None = None
    article: str | None = None
    date: dt.date | None = None
    url: str | None = None
    note: str | None = None
    region: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def governs_on(self, as_of: dt.date) -> bool:
        """Whether the document governs decisions on `as_of` (`since <= as_of < until`)."""
        if self.since is not None and as_of < self.since:
            return False
        return self.until is None or as_of < self.until


class ParameterValue(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One value of a parameter, in force from `since` for `region` (a code prefix; none = all).

    `until` is **exclusive**: the value is in force on `since <= as_of < until`.  A table a county
    published for 2024 ("对2024年…") is written `since = 2024-01-01, until = 2025-01-01`, so the two
    dates read like the year's bounds and one entry can start where another ends.  See
    `select_parameter_value` for what applies once a regional value has ended.
    """

    since: dt.date
    until: dt.date | None = None
    value: ParamValue = None
    unset: bool = False
    region: str | None = None
    source: str
    note: Text | None = None


class Parameter(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A named value with its history; `null` values mean "not set here".

    `gap_note` is what a determination says when no value is in force for its date (before the
    first `since`, or after a regional value's `until`): who decides instead.  Without it the
    engine's general wording is used.  `gap_note_of` names one of the file's `gap_notes`
    instead, for parameters whose gaps one sentence says (the loader puts it in `gap_note`).
    """

    description: Text
    unit: str | None = None
    values: tuple[ParameterValue, ...]
    gap_note: Text | None = None
    gap_note_of: str | None = None


class Criterion(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A named condition of a programme: wording, sources, and its rule expression.

    `text` states the condition (listings, and every outcome without its own wording).  `met`,
    `not_met` and `unknown` word one outcome where one sentence cannot serve both: "您62岁，公益性
    岗位要16到60岁" says what was found and what is required.  Besides `{parameter}` placeholders
    these may name facts, `{person.age}` (an enum shows its option's words); if a named fact is
    unknown the general `text` is shown instead, so no placeholder or "None" ever reaches a reader.
    A local rule's `met` and `unknown` must hold wherever the applicant's county may be ("有的县");
    `met_here` and `unknown_here` word them where the place is known (one parameter variant:
    "本地").  `met_zero`, `not_met_zero` and `unknown_zero` word an outcome where the one count
    its own wording names is 0: "您现在还没有连续务工", not "您连续务工0个月".
    """

    id: str
    text: Text
    test: str
    sources: tuple[str, ...]
    applies_when: str | None = None
    met: Text | None = None
    not_met: Text | None = None
    unknown: Text | None = None
    met_here: Text | None = None
    unknown_here: Text | None = None
    met_zero: Text | None = None
    not_met_zero: Text | None = None
    unknown_zero: Text | None = None
    # Who confirms it at application (the household cannot answer it): an answer waiting only
    # on such criteria is one to apply for (`StepVerdict` `to_confirm_at_application`).
    confirmed_by: Confirmer | None = None
    # Documents the wording quotes besides its rule's own (the transition rule as past, "过渡期的
    # 规定：逾期的要先还清"; the Civil Code on capacity): cited on every date, also after they
    # stop governing (`Source.until`), so that no claim is left uncited.
    quotes: tuple[str, ...] = ()
    # What a suggestion that meets it must add, where meeting it is only meeting the strictest
    # rule found (`months_set_locally`: 3 months, where the county's own may ask fewer), so
    # that the suggestion's figure is not read as the county's requirement.
    way_note: Text | None = None

    def outcome_text(self, outcome: str, here: bool = False) -> Text:
        """The wording for `outcome` (`met`, `not_met`, `unknown`): its own, else `text`; with
        `here` (the applicant's place is known), its `_here` wording first."""
        own: Text | None = getattr(self, f"{outcome}_here", None) if here else None
        if own is None:
            own = getattr(self, outcome)
        return self.text if own is None else own

    def zero_text(self, outcome: str) -> Text | None:
        """The wording for `outcome` where the count its own wording names is 0, if any."""
        found: Text | None = getattr(self, f"{outcome}_zero")
        return found


class AmountRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The first amount rule whose `when` holds gives the amount."""

    when: str = "true"
    amount: str
    note: Text | None = None
    # Documents the note quotes besides the benefit's sources (as `Criterion.quotes`): cited
    # with the amount it gives.
    quotes: tuple[str, ...] = ()


# How an amount recurs, for the household's yearly total (`eligibility.household_plan`): once a
# year and once a school year are summed as a year's money; a monthly amount is not multiplied
# (how many months is not known) and a loan is an amount lent, not given: both are listed apart.
Paid = Literal["per_year", "per_school_year", "per_month", "loan"]


class Benefit(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How the amount is found, its unit, and what to say about it.

    `paid` says how the amount recurs (`Paid`); without it the amount is never added to a
    household's yearly total.
    """

    unit: Text | None = None
    paid: Paid | None = None
    amounts: tuple[AmountRule, ...] = ()
    note: Text | None = None
    unset_note: Text | None = None
    sources: tuple[str, ...] = ()


class Step(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A next step or a document to bring, shown for the listed verdicts.

    `regions` (code prefixes) limits it to applicants whose region code starts with one of them;
    an applicant whose region is unknown is not shown a local step ("临猗县每年11月上旬集中申报"
    is for 临猗 only).  `since`/`until` (until exclusive, as for parameters) limit it in time.
    """

    text: Text
    verdicts: tuple[StepVerdict, ...] = ("eligible", "needs_info")
    when: str | None = None
    regions: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None

    def shown_for(self, region_code: str | None, as_of: dt.date) -> bool:
        """Whether the step applies to the region and date (its verdicts and `when` aside)."""
        if self.regions and not any((region_code or "").startswith(r) for r in self.regions):
            return False
        if self.since is not None and as_of < self.since:
            return False
        return self.until is None or as_of < self.until


MonthDay = Annotated[str, Meta(pattern=r"^[0-9]{2}-[0-9]{2}$", description="MM-DD")]


class YearlyPeriod(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A period that comes back every year, `start` to `end` (MM-DD, both inclusive, within one
    calendar year): 临猗's "每年11月上旬" is `11-01` to `11-10` (上旬 is a month's days 1-10)."""

    start: MonthDay
    end: MonthDay


class KeyDate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An application window or a deadline a source gives, shown in the household's plan.

    When it falls is one of: `yearly` (a period each year; the plan shows the next one from the
    determination's date), `months_after` (a fact path holding a number of months: the date is
    that many months after the determination's date, as a loan's term end), or neither: the
    source gives no date ("每学期开学后"), and `text` says when in words.  `verdicts`, `regions`,
    `since`/`until` limit it as they do a `Step`; by default a date is shown only to those who
    can apply (`eligible`): one waiting on facts may not be for them.  `step` makes it one of the
    answer's next steps too, for those verdicts (regions and dates as above).
    """

    id: str
    kind: Literal["application", "deadline"]
    text: Text
    source: str
    verdicts: tuple[StepVerdict, ...] = ("eligible",)
    regions: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    yearly: YearlyPeriod | None = None
    months_after: str | None = None
    # The verdicts whose answers also say it among their next steps, worded for the day asked
    # (`eligibility.windows.window_step`: a yearly window's "今年的申报时间已经过了，下一次是…");
    # none: only the household plan shows it.  Declared once, for the plan and the answer.
    step: tuple[StepVerdict, ...] = ()

    def shown_for(
        self, verdict: Verdict, region_code: str | None, as_of: dt.date, to_confirm: bool = False
    ) -> bool:
        """Whether the date applies to a determination of this verdict, region and date
        (`to_confirm`: one waiting only on what is confirmed at application)."""
        shown = verdict in self.verdicts or (to_confirm and TO_CONFIRM in self.verdicts)
        return shown and self.applies_to(region_code, as_of)

    def applies_to(self, region_code: str | None, as_of: dt.date) -> bool:
        """Whether the date applies to the region and date (its verdicts aside), as a `Step`
        limited so would."""
        step = Step(text=self.text, regions=self.regions, since=self.since, until=self.until)
        return step.shown_for(region_code, as_of)


class ExpectedOutcome(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What an example must give."""

    verdict: Verdict
    amount: int | Literal["none"] | msgspec.UnsetType = msgspec.UNSET
    not_met: tuple[str, ...] | msgspec.UnsetType = msgspec.UNSET
    missing: tuple[str, ...] | msgspec.UnsetType = msgspec.UNSET


class Example(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A test case inside the policy: facts and the expected outcome."""

    name: str
    facts: dict[str, object]
    expect: ExpectedOutcome


class VerdictLabels(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How a programme's verdicts read where "能办 / 不能办" would mislead (a referral's
    `ineligible` is "目前不需要申请监测")."""

    eligible: Text | None = None
    ineligible: Text | None = None
    needs_info: Text | None = None


class Renaming(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A programme's name (and its summary and who) from a date on: 脱贫人口小额信贷 became
    帮扶小额信贷 on 2026-02-28, under the same id."""

    since: dt.date
    name: Text
    summary: Text | None = None
    who: Text | None = None


class PolicyFile(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One programme's policy file as written.

    `confirmed_until` (inclusive) is the last date for which the programme's rules were checked
    against a source; `confirmed_until_by_region` overrides it for a region code prefix (the most
    specific wins).  A determination for a later date carries a warning (`unconfirmed_warning`,
    else the engine's wording) that the rules for its date are not verified.
    """

    id: str
    name: Text
    summary: Text
    who: Text
    confirmed_until: dt.date | None = None
    confirmed_until_by_region: dict[str, dt.date] = {}
    unconfirmed_warning: Text | None = None
    # The warning when a local table has ended (`{last}`, `{year}`), where the engine's
    # `ENDED_TABLE` ("条件和钱数请问县里") does not fit: a programme paying no money.
    table_ended_warning: Text | None = None
    # The next step when a rule is not in force on the date (a table ended, a rule not yet
    # started): who decides instead.  Else the engine's `GAP_STEP`.
    gap_step: Text | None = None
    # The same step where only conditions have no value in force and the amount is known, where
    # `gap_step` speaks of the amount ("补贴标准还没有公布") and would read as its opposite.
    conditions_gap_step: Text | None = None
    # Whom a suggestion (`eligibility.whatif`) is for, on the facts as they are: a way in
    # that is true by the rules may still be no advice (a schoolchild told to plan a 10万 loan
    # for the day they turn 16: review of 2026-12-04).  None: everyone.
    suggest_when: str | None = None
    verdict_labels: VerdictLabels = VerdictLabels()
    renamed: tuple[Renaming, ...] = ()
    sources: dict[str, Source]
    criteria: tuple[Criterion, ...]
    parameters: dict[str, Parameter] = {}
    # Gap notes several parameters share, by key (`Parameter.gap_note_of`): written once.
    gap_notes: dict[str, Text] = {}
    benefit: Benefit = Benefit()
    next_steps: tuple[Step, ...] = ()
    documents: tuple[Step, ...] = ()
    dates: tuple[KeyDate, ...] = ()
    examples: tuple[Example, ...] = ()
