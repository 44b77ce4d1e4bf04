"""What a programme requires and pays, as in force for a region and date (for people to read)."""

from __future__ import annotations

import datetime as dt

import msgspec

from eligibility import rules
from eligibility.policy import Citation, ParamValue, PolicySet, Programme
from eligibility.text import Lang


class CriterionListing(msgspec.Struct, frozen=True, kw_only=True):
    """A criterion as worded for the region and date, its rule and its sources."""

    id: str
    text: str
    test: str
    applies_when: str | None
    citations: tuple[Citation, ...]


class ParameterListing(msgspec.Struct, frozen=True, kw_only=True):
    """A parameter's value in force, and the entry it comes from."""

    name: str
    description: str
    value: ParamValue
    unit: str | None
    since: dt.date | None
    region: str | None
    citation: Citation | None
    note: str | None


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


def describe_programme(
    programme: Programme,
    policies: PolicySet,
    *,
    region_code: str | None,
    as_of: dt.date,
    lang: Lang,
) -> ProgrammeListing:
    """The programme's criteria (worded with the values in force) and parameters."""
    params = programme.parameters(region_code, as_of)
    parameters = []
    for name, param in programme.policy.parameters.items():
        entry = programme.parameter_source(name, region_code, as_of)
        parameters.append(
            ParameterListing(
                name=name,
                description=param.description.in_(lang),
                value=params[name],
                unit=param.unit,
                since=None if entry is None else entry.since,
                region=None if entry is None else entry.region,
                citation=None if entry is None else programme.citation(entry.source),
                note=None if entry is None or entry.note is None else entry.note.in_(lang),
            )
        )
    return ProgrammeListing(
        id=programme.id,
        name=programme.policy.name.in_(lang),
        summary=programme.policy.summary.in_(lang),
        who=programme.policy.who.in_(lang),
        region_code=region_code,
        as_of=as_of,
        criteria=tuple(
            CriterionListing(
                id=c.spec.id,
                text=c.spec.text.format(params).in_(lang),
                test=rules.to_source(c.test),
                applies_when=None if c.applies_when is None else rules.to_source(c.applies_when),
                citations=c.citations,
            )
            for c in programme.criteria
        ),
        parameters=tuple(parameters),
        benefit_citations=programme.benefit_citations,
        policy_version=policies.version,
    )


def list_programmes(
    policies: PolicySet, *, region_code: str | None, as_of: dt.date, lang: Lang
) -> list[ProgrammeListing]:
    """Every programme, as `describe_programme` gives it."""
    return [
        describe_programme(p, policies, region_code=region_code, as_of=as_of, lang=lang)
        for p in policies.programmes.values()
    ]
