"""What a programme requires and pays, as in force for a region and date (for people to read):
what is in force, up to when it was confirmed, and what is history (values that have ended)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Literal

import msgspec

from eligibility import rules
from eligibility.policy_file import ParameterValue, ParamValue
from eligibility.programme import Citation, CompiledCriterion, PolicySet, Programme, parameter_gap
from eligibility.sources import criterion_source_keys
from eligibility.text import Lang

Params = Mapping[str, object]

# `in_force`: a value applies; `unset`: deliberately none here (a local rule this region does not
# have, an amount the county sets); `not_yet`: no value has started; `ended`: the value in use
# has ended (a one-year table) and nothing renewed it.
ParameterState = Literal["in_force", "unset", "not_yet", "ended"]


class CriterionListing(msgspec.Struct, frozen=True, kw_only=True):
    """A criterion as worded for the region and date, its rule and its sources.

    `in_force` is false when a parameter it needs has no value for the region and date: it is
    then left out of determinations (see `Programme.applies_under`)."""

    id: str
    text: str
    test: str
    applies_when: str | None
    citations: tuple[Citation, ...]
    in_force: bool = True


class HistoryEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A value of the parameter for the region that is not the one in force on the date.

    `state`: `ended` (its `until` has passed), `superseded` (a later or more specific value
    replaces it) or
    `later` (it starts after the date)."""

    value: ParamValue
    since: dt.date
    until: dt.date | None
    region: str | None
    citation: Citation
    state: Literal["ended", "superseded", "later"]


class ParameterListing(msgspec.Struct, frozen=True, kw_only=True):
    """A parameter's value in force, the entry it comes from, and its history for the region."""

    name: str
    description: str
    value: ParamValue
    unit: str | None
    since: dt.date | None
    region: str | None
    citation: Citation | None
    note: str | None
    until: dt.date | None = None
    state: ParameterState = "in_force"
    history: tuple[HistoryEntry, ...] = ()


class ProgrammeListing(msgspec.Struct, frozen=True, kw_only=True):
    """One programme as in force for a region and date."""

    id: str
    name: str
    summary: str
    who: str
    region_code: str | None
    as_of: dt.date
    criteria: tuple[CriterionListing, ...]
    parameters: tuple[ParameterListing, ...]
    benefit_citations: tuple[Citation, ...]
    policy_version: str
    # The last date its rules were checked against a source for the region; `confirmed` is
    # whether `as_of` is on or before it; `warnings` as a determination on the date carries.
    confirmed_until: dt.date | None = None
    confirmed: bool = True
    warnings: tuple[str, ...] = ()


def describe_programme(
    programme: Programme,
    policies: PolicySet,
    *,
    region_code: str | None,
    as_of: dt.date,
    lang: Lang,
) -> ProgrammeListing:
    """The programme's criteria (worded with the values in force), parameters with their state
    and history, and up to when its rules were confirmed."""
    params = programme.parameters(region_code, as_of)
    parameters = []
    for name, param in programme.policy.parameters.items():
        entry = programme.parameter_source(name, region_code, as_of)
        gap = parameter_gap(name, param, region_code, as_of)
        state: ParameterState = (
            "in_force"
            if entry is not None and entry.value is not None
            else "unset"
            if entry is not None
            else "ended"
            if gap is not None and gap.ended is not None
            else "not_yet"
        )
        shown = entry if entry is not None else (gap.ended if gap is not None else None)
        parameters.append(
            ParameterListing(
                name=name,
                description=param.description.in_(lang),
                value=params[name],
                unit=param.unit,
                since=None if shown is None else shown.since,
                until=None if shown is None else shown.until,
                region=None if shown is None else shown.region,
                citation=None if shown is None else programme.citation(shown.source),
                note=None if entry is None or entry.note is None else entry.note.in_(lang),
                state=state,
                history=_history(programme, param.values, shown, region_code, as_of),
            )
        )
    confirmed_until = programme.confirmed_until(region_code)
    named, summary, who = programme.named_on(as_of)
    return ProgrammeListing(
        id=programme.id,
        name=named.in_(lang),
        summary=summary.in_(lang),
        who=who.in_(lang),
        region_code=region_code,
        as_of=as_of,
        criteria=tuple(
            CriterionListing(
                id=c.spec.id,
                text=_criterion_text(programme, c, params, region_code, as_of, lang),
                test=rules.to_source(c.test),
                applies_when=None if c.applies_when is None else rules.to_source(c.applies_when),
                citations=_citations(policies, programme, c, params, region_code, as_of),
                in_force=_in_force(programme, c, params),
            )
            for c in programme.criteria
        ),
        parameters=tuple(parameters),
        benefit_citations=programme.benefit_citations,
        policy_version=policies.version,
        confirmed_until=confirmed_until,
        confirmed=confirmed_until is None or as_of <= confirmed_until,
        warnings=programme.warnings(region_code, as_of, lang),
    )


def _citations(
    policies: PolicySet,
    programme: Programme,
    criterion: CompiledCriterion,
    params: Params,
    region_code: str | None,
    as_of: dt.date,
) -> tuple[Citation, ...]:
    """What a criterion in force cites for the region and date, as its results do (never
    another place's table); one not in force here, everything it rests on (where it is from)."""
    if not _in_force(programme, criterion, params):
        return criterion.citations
    keys = criterion_source_keys(policies.registry, programme, criterion, region_code, as_of)
    return tuple(programme.citation(k) for k in keys)


def _in_force(programme: Programme, criterion: CompiledCriterion, params: Params) -> bool:
    """Whether the criterion applies for the region and date: its parameters have values and
    its `applies_when`, read on the parameters alone, is not false (临猗's risk rule is not
    崇信's, review9 F11)."""
    if not programme.applies_under(criterion, params):
        return False
    if criterion.applies_when is None:
        return True
    holds, _ = rules.evaluate(criterion.applies_when, {}, params)
    return holds is not False


def _criterion_text(
    programme: Programme,
    criterion: CompiledCriterion,
    params: Params,
    region_code: str | None,
    as_of: dt.date,
    lang: Lang,
) -> str:
    """The criterion's wording with the values in force; for one whose values are not in force,
    with the last values it had, said as history ("…（到2026-02-27为止）"), never "（未定）"."""
    text = criterion.spec.text
    if programme.sets_all(text, params):
        return programme.wording(text, (params,), lang)
    ends = sorted(
        {
            e.until
            for name in criterion.required_params
            for e in programme.policy.parameters[name].values
            if e.until is not None and e.until <= as_of
        },
        reverse=True,
    )
    for until in ends:
        then = programme.parameters(region_code, until - dt.timedelta(days=1))
        if programme.sets_all(text, then):
            last = (until - dt.timedelta(days=1)).isoformat()
            said = programme.wording(text, (then,), lang)
            return f"{said}（到{last}为止）" if lang == "zh" else f"{said} (until {last})"
    # Never in force here up to the date: the wording with no figures.
    return programme.wording(text, (params, *programme.parameter_variants(None, as_of)), lang)


def _history(
    programme: Programme,
    values: tuple[ParameterValue, ...],
    shown: ParameterValue | None,
    region_code: str | None,
    as_of: dt.date,
) -> tuple[HistoryEntry, ...]:
    """The region's other values of a parameter, oldest first."""
    history = []
    for entry in sorted(values, key=lambda e: (e.since, len(e.region or ""))):
        if entry is shown or (
            entry.region is not None and not (region_code or "").startswith(entry.region)
        ):
            continue
        state: Literal["ended", "superseded", "later"] = (
            "later"
            if entry.since > as_of
            else "ended"
            if entry.until is not None and entry.until <= as_of
            else "superseded"
        )
        history.append(
            HistoryEntry(
                value=entry.value,
                since=entry.since,
                until=entry.until,
                region=entry.region,
                citation=programme.citation(entry.source),
                state=state,
            )
        )
    return tuple(history)


def list_programmes(
    policies: PolicySet, *, region_code: str | None, as_of: dt.date, lang: Lang
) -> list[ProgrammeListing]:
    """Every programme, as `describe_programme` gives it."""
    return [
        describe_programme(p, policies, region_code=region_code, as_of=as_of, lang=lang)
        for p in policies.programmes.values()
    ]
