"""Sources by id: one registry of the documents every programme cites, and which of them a
determination names for a region and date.

A determination names its sources by id; the answer that carries it carries one table, id →
`Citation`, for all its determinations (`cited`).  The registry holds each *document* once, however
many programme files cite it: the 2022 measures (国家乡村振兴局《若干措施》) is one entry, not
one per programme and article.  An entry is the document (title, issuer, number, date, url); the
article a programme cites it at stays in the programme listing (`eligibility.listing`), which is
where a caseworker reads what a rule says.

Which sources a determination names depends on the region and date only (a plan can resolve them
once per profile): a criterion's or the benefit's *general* sources, and the regional tables in
force there.  A regional table is a source that only regional parameter values cite (临猗's
《外出务工一次性交通补贴政策》); it is named for an applicant of that region on a date it is
in force, never for 崇信's or 环江's applicant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from eligibility import rules
from eligibility.policy_file import Source
from eligibility.programme import (
    Citation,
    CompiledCriterion,
    Programme,
    SourceRegistry,
    select_parameter_value,
)


def _document_key(source: Source) -> tuple[str, str, str | None, dt.date | None]:
    """What makes two sources one document: title, issuer, number and date (the article is
    where a programme cites it; a link or note one file gives and another omits is no
    different document: 人社部发〔2022〕13号 in two files)."""
    return (source.title, source.issuer, source.number, source.date)


def build_registry(programmes: Mapping[str, Programme]) -> SourceRegistry:
    """The registry of the programmes' sources (built once, when the policy set loads).

    Each document once, without an article; its link the first file's that gives one.
    """
    users_of: dict[tuple[object, ...], list[tuple[str, str]]] = {}
    url_of: dict[tuple[object, ...], str | None] = {}
    for pid, programme in programmes.items():
        for key, source in programme.policy.sources.items():
            doc = _document_key(source)
            users_of.setdefault(doc, []).append((pid, key))
            url_of[doc] = url_of.get(doc) or source.url
    first_key: dict[str, int] = {}
    for users in users_of.values():
        first_key[users[0][1]] = first_key.get(users[0][1], 0) + 1
    citations: dict[str, Citation] = {}
    ids: dict[tuple[str, str], str] = {}
    for found, users in users_of.items():
        pid, key = users[0]
        source_id = key if first_key[key] == 1 else f"{pid}.{key}"
        source = programmes[pid].policy.sources[key]
        citations[source_id] = Citation(
            title=source.title,
            issuer=source.issuer,
            number=source.number,
            date=source.date,
            url=url_of[found],
        )
        ids.update(dict.fromkeys(users, source_id))
    return SourceRegistry(citations=citations, ids=ids)


_MEMO_LIMIT = 262_144


def source_scopes(programme: Programme) -> dict[str, frozenset[str]]:
    """The programme's local sources, each with the region codes it is for: its declared
    `region`, else the regions of the values citing it when only regional values do (临猗's
    table: {"140821"}).  A source not here is general (the measures, a national notice)."""
    regions: dict[str, set[str]] = {}
    general: set[str] = set()
    for param in programme.policy.parameters.values():
        for entry in param.values:
            if entry.region is None:
                general.add(entry.source)
            else:
                regions.setdefault(entry.source, set()).add(entry.region)
    scopes = {k: frozenset(v) for k, v in regions.items() if k not in general}
    for key, source in programme.policy.sources.items():
        if source.region is not None:
            scopes[key] = frozenset({source.region})
    return scopes


def may_stand_for(region_code: str | None, scope: Iterable[str]) -> bool:
    """Whether an applicant of `region_code` may be of a place in `scope`: the code lies under
    one of its regions, or stands for an area holding one (a province's code, or none)."""
    code = region_code or ""
    return any(code.startswith(r) or r.startswith(code) for r in scope)


# The scope of a general source (one `source_scopes` does not list): the empty prefix, which
# every region code starts with (`may_stand_for` is then true for any applicant).
_EVERYWHERE = ("",)


def _regional_keys(programme: Programme) -> frozenset[str]:
    """The programme's sources that are local documents (`source_scopes`)."""
    return frozenset(source_scopes(programme))


def _in_force_keys(programme: Programme, region_code: str | None, as_of: dt.date) -> set[str]:
    """The sources of the parameter values in force on the date for every place the region
    code may stand for (`Programme.parameter_variants`: one county, or a province's counties),
    and the local documents no value cites whose region the code may stand for."""
    places = {region_code}
    prefix = region_code or ""
    for param in programme.policy.parameters.values():
        places.update(
            e.region
            for e in param.values
            if e.region is not None and e.region.startswith(prefix) and e.since <= as_of
        )
    found: set[str] = set()
    cited: set[str] = set()
    for param in programme.policy.parameters.values():
        cited.update(e.source for e in param.values)
        for place in places:
            entry = select_parameter_value(param, place, as_of)
            if entry is not None:
                found.add(entry.source)
    for key, scope in source_scopes(programme).items():
        if key not in cited and may_stand_for(region_code, scope):
            found.add(key)
    return found


def _local(
    registry: SourceRegistry,
    programme: Programme,
    keys: Iterable[str],
    region_code: str | None,
    as_of: dt.date,
) -> tuple[str, ...]:
    """`keys` without the regional tables not in force for the region and date."""
    regional = registry.memo.get((programme.id, "#regional"))
    if regional is None:
        regional = registry.memo[(programme.id, "#regional")] = tuple(_regional_keys(programme))
    keys = tuple(keys)
    if not set(regional).intersection(keys):
        return keys
    memo_key = (programme.id, "#in_force", region_code, as_of)
    in_force = registry.memo.get(memo_key)
    if in_force is None:
        in_force = tuple(_in_force_keys(programme, region_code, as_of))
        if len(registry.memo) < _MEMO_LIMIT:
            registry.memo[memo_key] = in_force
    return tuple(k for k in keys if k not in regional or k in in_force)


def _governing(programme: Programme, keys: Iterable[str], as_of: dt.date) -> tuple[str, ...]:
    """`keys` without the documents that do not govern decisions on the date (`Source.since`,
    `until`: 银保监发〔2021〕6号 for a loan after the 2026 notice replaced it)."""
    sources = programme.policy.sources
    return tuple(k for k in keys if sources[k].governs_on(as_of))


def criterion_source_keys(
    registry: SourceRegistry,
    programme: Programme,
    criterion: CompiledCriterion,
    region_code: str | None,
    as_of: dt.date,
) -> tuple[str, ...]:
    """The source keys a criterion names for the region and date: those of its sources that
    govern on the date, general or local tables in force there.  If none of its local tables
    is in force (a criterion applied only where they are), those of a place the applicant may
    be of; never another place's, so it may name none (it is then applied nowhere here).  The
    documents its wording quotes (`Criterion.quotes`) on every date."""
    dated = _governing(programme, criterion.spec.sources, as_of)
    dated += tuple(k for k in criterion.spec.quotes if k not in dated)
    found = _local(registry, programme, dated, region_code, as_of)
    if not found:
        scopes = source_scopes(programme)
        found = tuple(k for k in dated if may_stand_for(region_code, scopes.get(k, _EVERYWHERE)))
    return found


def criterion_sources(
    registry: SourceRegistry,
    programme: Programme,
    criterion: CompiledCriterion,
    region_code: str | None,
    as_of: dt.date,
) -> tuple[str, ...]:
    """The ids a criterion's result names for the region and date (`criterion_source_keys`)."""
    memo_key = (programme.id, criterion.spec.id, region_code, as_of)
    found = registry.memo.get(memo_key)
    if found is None:
        keys = criterion_source_keys(registry, programme, criterion, region_code, as_of)
        found = tuple(dict.fromkeys(registry.id_of(programme.id, k) for k in keys))
        if len(registry.memo) < _MEMO_LIMIT:
            registry.memo[memo_key] = found
    return found


def amount_sources(
    registry: SourceRegistry,
    programme: Programme,
    region_code: str | None,
    as_of: dt.date,
    rule: int | None = None,
) -> tuple[str, ...]:
    """The ids an amount names: the sources of the values in force for the region and date of
    the amount rule that gave it (`rule`, its index; None when no one rule did: every amount
    rule's), then the benefit's general sources.  Never another region's table: a 临猗
    applicant's 1500元 cites 临猗's table, not 黑龙江's, 崇信's or 环江's (issue 10)."""
    memo_key = (programme.id, "#amount", rule, region_code, as_of)
    found = registry.memo.get(memo_key)
    if found is None:
        found = _amount_sources(registry, programme, region_code, as_of, rule)
        if len(registry.memo) < _MEMO_LIMIT:
            registry.memo[memo_key] = found
    return found


def _amount_sources(
    registry: SourceRegistry,
    programme: Programme,
    region_code: str | None,
    as_of: dt.date,
    rule: int | None,
) -> tuple[str, ...]:
    chosen = programme.amounts if rule is None else (programme.amounts[rule],)
    keys: list[str] = []
    for amount in chosen:
        # The values the amount is, the rule's condition reads and its note names (贴息70%,
        # 每户10万): each cited by the entry in force for the region and date.
        note = amount.spec.note or programme.policy.benefit.note
        named = {n for n in (note.placeholders() if note else ()) if "." not in n}
        own = rules.param_names(amount.amount)
        others = (rules.param_names(amount.when) | (named & set(programme.policy.parameters))) - own
        for name in (*sorted(own), *sorted(others)):
            entry = programme.parameter_source(name, region_code, as_of)
            if entry is not None and (entry.value is not None or rule is None):
                keys.append(entry.source)
    # A general benefit source that parameter values cite is named only through a value in
    # force: 青阳's 2024-25 subsidy and 清华镇's 10万 total are not 2026's (review1 F10).
    tables = {
        entry.source for param in programme.policy.parameters.values() for entry in param.values
    }
    regional = _regional_keys(programme)
    keys.extend(
        k
        for k in _governing(programme, programme.policy.benefit.sources, as_of)
        if k not in tables and k not in regional
    )
    # What the one rule's note quotes (`AmountRule.quotes`), on any date.
    if rule is not None:
        keys.extend(chosen[0].spec.quotes)
    return tuple(dict.fromkeys(registry.id_of(programme.id, k) for k in keys))


def ids_of(registry: SourceRegistry, programme: Programme, keys: Iterable[str]) -> tuple[str, ...]:
    """The registry ids of a programme's source keys, in order, once each."""
    return tuple(dict.fromkeys(registry.id_of(programme.id, k) for k in keys))
