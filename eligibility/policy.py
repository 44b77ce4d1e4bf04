"""Policies as data, loaded: one TOML file per programme, decoded, checked and compiled at load.

The file's schema is `eligibility.policy_file`, what it compiles to `eligibility.programme`.  The
loader decodes each file and the fact catalogue, checks every expression, source and region they
name, compiles the programmes into a `PolicySet`, and runs each policy's examples
(`eligibility.examples`) before the set loads.  See `eligibility/policies/*.toml`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from typing import TypeVar

import msgspec

from eligibility import rules
from eligibility.catalogue import FactCatalogueFile, FactSpec, decoded_catalogue
from eligibility.derive import DERIVED_FACTS, askable
from eligibility.policy_file import PolicyError, PolicyFile, Step
from eligibility.programme import (
    Citation,
    CompiledAmount,
    CompiledCriterion,
    CompiledStep,
    PolicySet,
    Programme,
    citation_of,
)
from eligibility.regions import is_region_code
from eligibility.sources import build_registry
from eligibility.text import Text

PROGRAMME_ORDER = (
    "microloan",
    "transport_subsidy",
    "public_welfare_post",
    "yulu_plan",
    "monitoring_referral",
)
CATALOGUE_FILE = "facts.toml"
EXAMPLES_PASSED_FILE = "examples-passed.txt"
_T = TypeVar("_T")


def policy_version(sources: Mapping[str, bytes]) -> str:
    """Content hash of a policy set: the same files give the same version anywhere."""
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(name.encode() + b"\0" + sources[name] + b"\0")
    return "ps-" + digest.hexdigest()[:16]


def bundled_sources() -> dict[str, bytes]:
    """The policy files shipped with the package, by file name."""
    folder = resources.files("eligibility") / "policies"
    return {
        entry.name: entry.read_bytes() for entry in folder.iterdir() if entry.name.endswith(".toml")
    }


def load_bundled() -> PolicySet:
    """Load and check the bundled policy set (the only I/O the core does).

    Every file is decoded and checked as `load_policy_set` does; the examples are run too,
    unless these very files (their content hash, `policy_version`) are the ones recorded in
    `policies/examples-passed.txt` (the test suite runs every example; a record gone stale
    only costs the time, until `make policies-checked` records the files).  A file edited has
    another hash, so its examples are run again and a failing one refuses it.
    """
    sources = bundled_sources()
    checked = policy_version(sources) == examples_passed_version()
    return load_policy_set(sources, run_examples=not checked)


def examples_passed_version() -> str | None:
    """The policy version whose bundled examples were recorded as passing, if any."""
    entry = resources.files("eligibility") / "policies" / EXAMPLES_PASSED_FILE
    try:
        return entry.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def load_policy_set(sources: Mapping[str, bytes], *, run_examples: bool = True) -> PolicySet:
    """Decode, check and (unless told not to) run every example; raise `PolicyError` if any fails.

    `sources` maps file names to their bytes, so a stored snapshot loads exactly like the
    bundled files.
    """
    if CATALOGUE_FILE not in sources:
        raise PolicyError(f"{CATALOGUE_FILE}: the fact catalogue is missing")
    raw_catalogue = sources[CATALOGUE_FILE]
    catalogue = _refusing(CATALOGUE_FILE, lambda: decoded_catalogue(raw_catalogue))
    facts = {spec.path: spec for spec in catalogue.facts}
    known_facts = set(facts) | set(DERIVED_FACTS)
    for spec in catalogue.facts:
        if spec.asked_with is not None and spec.asked_with not in facts:
            raise PolicyError(f"{CATALOGUE_FILE}: {spec.path} asked with unknown {spec.asked_with}")
    definitions = _definitions(catalogue, known_facts)

    programmes: dict[str, Programme] = {}
    for name in sorted(sources):
        if name == CATALOGUE_FILE:
            continue
        policy = _shared_gap_notes(name, _decode(name, sources[name], PolicyFile))
        if f"{policy.id}.toml" != name:
            raise PolicyError(f"{name}: id {policy.id!r} does not match the file name")
        programmes[policy.id] = _compile(name, policy, known_facts, definitions)
        _check_placeholders(name, policy, known_facts)
        _check_dates(name, policy, facts)
        _check_zero_wordings(name, policy, facts)
        _check_sources(name, policy)

    ordered = {pid: programmes[pid] for pid in PROGRAMME_ORDER if pid in programmes}
    ordered.update({pid: p for pid, p in programmes.items() if pid not in ordered})
    gates = _gates(catalogue, known_facts, set(ordered))
    policy_set = PolicySet(
        programmes=ordered,
        facts=facts,
        version=policy_version(sources),
        sources=dict(sources),
        questions=catalogue.questions,
        child=catalogue.child,
        gates=gates,
        asked_after=_asked_after(gates, facts),
        registry=build_registry(ordered),
    )
    if run_examples:
        # Imported only when examples run: they need the row core (`determination`, `whatif`),
        # which a batch run whose files are recorded as checked never loads.
        from eligibility.examples import check_examples

        check_examples(policy_set)
    return policy_set


def _gates(
    catalogue: FactCatalogueFile, known_facts: set[str], programmes: set[str]
) -> dict[str, rules.Expr]:
    """Each `ask_when` parsed (by fact path, or by combined question id), its facts checked."""
    gates: dict[str, rules.Expr] = {}
    wanted = [(spec.path, spec.ask_when) for spec in catalogue.facts]
    wanted += [(q.id, q.ask_when) for q in catalogue.questions]
    if catalogue.child is not None:
        wanted.append(("child", catalogue.child.when))
    for key, source in wanted:
        if source is None:
            continue
        try:
            parsed = rules.parse(source)
        except rules.RuleSyntaxError as exc:
            raise PolicyError(f"{CATALOGUE_FILE}: {key}: ask_when: {exc}") from None
        unknown = rules.fact_paths(parsed) - known_facts
        if unknown:
            raise PolicyError(f"{CATALOGUE_FILE}: {key}: unknown facts {sorted(unknown)}")
        gates[key] = parsed
    for question in catalogue.questions:
        named = set(question.facts) | {f for c in question.choices for f in c.sets}
        if question.typed is not None:
            named |= {*question.typed.facts, *question.typed.sets}
        if named - known_facts:
            raise PolicyError(
                f"{CATALOGUE_FILE}: {question.id}: unknown facts {sorted(named - known_facts)}"
            )
    if catalogue.child is not None and set(catalogue.child.programmes) - programmes:
        raise PolicyError(f"{CATALOGUE_FILE}: child: unknown programmes")
    return gates


def _asked_after(
    gates: Mapping[str, rules.Expr], facts: Mapping[str, FactSpec]
) -> dict[str, frozenset[str]]:
    """Each gated fact and the facts its `ask_when` reads, as facts someone is asked; refused
    where a fact would wait on itself (directly or through other gates): it could never be
    asked."""
    after: dict[str, frozenset[str]] = {}
    for path in facts:
        expr = gates.get(path)
        if expr is not None:
            read = frozenset(askable(dict.fromkeys(rules.fact_paths(expr), 1), facts))
            if read:
                after[path] = read
    for path in after:
        seen: set[str] = set()
        waiting = list(after[path])
        while waiting:
            other = waiting.pop()
            if other == path:
                raise PolicyError(f"{CATALOGUE_FILE}: {path}: ask_when waits on {path} itself")
            if other not in seen:
                seen.add(other)
                waiting.extend(after.get(other, ()))
    return after


def _shared_gap_notes(name: str, policy: PolicyFile) -> PolicyFile:
    """The policy with each `gap_note_of` resolved into its parameter's `gap_note` (a key the
    file's `gap_notes` has, never beside a `gap_note` of its own)."""
    parameters = dict(policy.parameters)
    for pname, param in policy.parameters.items():
        if param.gap_note_of is None:
            continue
        note = policy.gap_notes.get(param.gap_note_of)
        if note is None or param.gap_note is not None:
            raise PolicyError(
                f"{name}: parameter {pname!r}: gap_note_of {param.gap_note_of!r} must name one "
                "of the file's gap_notes, instead of a gap_note of its own"
            )
        parameters[pname] = msgspec.structs.replace(param, gap_note=note)
    return msgspec.structs.replace(policy, parameters=parameters)


def _check_sources(name: str, policy: PolicyFile) -> None:
    """A source's region is a valid code, its dates in order, and no value outside its region
    cites it: a province's table cited by a national value would be named to every applicant
    (黑龙江's notice as the national default of the transport subsidy's places covered)."""
    for key, source in policy.sources.items():
        where = f"{name}: source {key!r}"
        if source.region is not None and not is_region_code(source.region):
            raise PolicyError(f"{where}: bad region {source.region!r}")
        if source.since is not None and source.until is not None and source.until <= source.since:
            raise PolicyError(f"{where}: until must be after since")
    for pname, param in policy.parameters.items():
        for entry in param.values:
            cited = policy.sources.get(entry.source)
            if cited is None or cited.region is None:
                continue
            if entry.region is None or not entry.region.startswith(cited.region):
                raise PolicyError(
                    f"{name}: parameter {pname!r}: a value for {entry.region or 'every region'} "
                    f"cites {entry.source!r}, a document of region {cited.region} only"
                )


# What fills a policy text's `{name}` placeholders, by where the text stands: a criterion's
# outcome wordings are filled with the parameters and the applicant's facts (`eligibility.plan`),
# its general `text`, amount notes and steps with the parameters only (`Programme.wording`), the
# two warnings with the values the engine gives them (`Programme.warnings`).  Every other text is
# shown as written, so a placeholder there would reach a reader with its braces.
_FILLED_WITH_FACTS = frozenset(
    f"{outcome}{suffix}"
    for outcome in ("met", "not_met", "unknown")
    for suffix in ("", "_here", "_zero")
)
_FILLED_WITH_PARAMETERS = {
    "Criterion": {"text"},
    "AmountRule": {"note"},
    "Step": {"text"},
    "Benefit": {"note", "unset_note"},
}
_FILLED_BY_THE_ENGINE = {
    "unconfirmed_warning": frozenset({"year", "confirmed"}),
    "table_ended_warning": frozenset({"last", "year"}),
}


def _check_placeholders(name: str, policy: PolicyFile, known_facts: set[str]) -> None:
    """Each `{name}` in a policy text is one its place fills: a typo (`{min_month}`) would show
    braces or drop the step or note that names it, for every applicant, without a word."""
    parameters = frozenset(policy.parameters)
    # A fact placeholder is a dotted path: `{region_code}` or `{as_of}` would be read as a
    # parameter (`Programme.wording`) and never filled.
    facts_too = parameters | {f for f in known_facts if "." in f}
    for where, owner, field, text in _texts(policy, name):
        if field in _FILLED_BY_THE_ENGINE and owner == "PolicyFile":
            allowed = _FILLED_BY_THE_ENGINE[field]
        elif owner == "Criterion" and field in _FILLED_WITH_FACTS:
            allowed = facts_too
        elif field in _FILLED_WITH_PARAMETERS.get(owner, ()):
            allowed = parameters
        else:
            allowed = frozenset()
        if text.stray_braces():
            raise PolicyError(f"{where}: a brace that is no `{{name}}` placeholder")
        unknown = text.placeholders() - allowed
        if unknown:
            raise PolicyError(f"{where}: unknown placeholders {sorted(unknown)}")


def _texts(
    node: object, where: str, owner: str = "", field: str = ""
) -> Iterable[tuple[str, str, str, Text]]:
    """Every `Text` under `node`, with where it stands, the struct holding it and its field (a
    text in a table or a list keeps the field that holds the table)."""
    if isinstance(node, Text):
        yield where, owner, field, node
    elif isinstance(node, msgspec.Struct):
        for name in node.__struct_fields__:
            yield from _texts(getattr(node, name), f"{where}.{name}", type(node).__name__, name)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _texts(value, f"{where}[{key}]", owner, field)
    elif isinstance(node, tuple):
        for index, value in enumerate(node):
            yield from _texts(value, f"{where}[{getattr(value, 'id', index)}]", owner, field)


def _check_zero_wordings(name: str, policy: PolicyFile, facts: Mapping[str, FactSpec]) -> None:
    """Each `<outcome>_zero` wording stands beside its outcome's own wording, which names
    exactly one whole-number fact (the count that is 0), and names no fact but that one and no
    parameter the file lacks; an outcome worded by place (`_here`) has none (which would win
    is not said)."""
    for criterion in policy.criteria:
        for outcome in ("met", "not_met", "unknown"):
            zero = criterion.zero_text(outcome)
            if zero is None:
                continue
            where = f"{name}: criterion {criterion.id!r} {outcome}_zero"
            own: Text | None = getattr(criterion, outcome)
            counted = [n for n in (own.placeholders() if own else ()) if "." in n]
            if len(counted) != 1 or counted[0] not in facts or facts[counted[0]].kind != "int":
                raise PolicyError(f"{where}: its `{outcome}` wording must name one number fact")
            if getattr(criterion, f"{outcome}_here", None) is not None:
                raise PolicyError(f"{where}: not beside `{outcome}_here`")
            names = zero.placeholders()
            unknown = {n for n in names if "." in n} - set(counted)
            unknown |= {n for n in names if "." not in n} - set(policy.parameters)
            if unknown:
                raise PolicyError(f"{where}: unknown placeholders {sorted(unknown)}")


def _check_dates(name: str, policy: PolicyFile, facts: Mapping[str, FactSpec]) -> None:
    """Each key date cites a known source, names valid regions and real days of the year, and
    counts months from a whole-number fact; a date no source gives is never written."""
    seen: set[str] = set()
    for entry in policy.dates:
        where = f"{name}: date {entry.id!r}"
        if entry.id in seen:
            raise PolicyError(f"{where} is defined twice")
        seen.add(entry.id)
        if entry.source not in policy.sources:
            raise PolicyError(f"{where} cites unknown source {entry.source!r}")
        for region in entry.regions:
            if not is_region_code(region):
                raise PolicyError(f"{where}: bad region {region!r}")
        if entry.since is not None and entry.until is not None and entry.until <= entry.since:
            raise PolicyError(f"{where}: until must be after since")
        if entry.yearly is not None and entry.months_after is not None:
            raise PolicyError(f"{where}: give yearly or months_after, not both")
        if entry.yearly is not None:
            start = _month_day(where, "start", entry.yearly.start)
            end = _month_day(where, "end", entry.yearly.end)
            if end < start:
                raise PolicyError(f"{where}: yearly end is before its start (split it at 12-31)")
        if entry.months_after is not None:
            spec = facts.get(entry.months_after)
            if spec is None or spec.kind != "int":
                raise PolicyError(
                    f"{where}: months_after must name a whole-number fact, "
                    f"not {entry.months_after!r}"
                )


def _month_day(where: str, field: str, value: str) -> tuple[int, int]:
    """`MM-DD` as (month, day), if that day comes every year (29 February does not)."""
    month, day = (int(part) for part in value.split("-"))
    try:
        dt.date(2001, month, day)
    except ValueError:
        raise PolicyError(f"{where}: yearly {field} {value!r} is not a day of every year") from None
    return month, day


def _decode(name: str, raw: bytes, kind: type[_T]) -> _T:
    return _refusing(name, lambda: msgspec.convert(tomllib.loads(raw.decode("utf-8")), kind))


def _refusing(name: str, decode: Callable[[], _T]) -> _T:
    """What `decode` gives, its failure to read the file `name` as a `PolicyError`."""
    try:
        return decode()
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, msgspec.ValidationError) as exc:
        raise PolicyError(f"{name}: {exc}") from None


def _definitions(catalogue: FactCatalogueFile, known_facts: set[str]) -> dict[str, rules.Expr]:
    """The catalogue's shared definitions, parsed; one may use those defined before it."""
    parsed: dict[str, rules.Expr] = {}
    for key, definition in catalogue.definitions.items():
        where = f"{CATALOGUE_FILE}: definition {key!r}"
        try:
            expr = rules.expand_definitions(rules.parse(definition.test), parsed)
        except rules.RuleSyntaxError as exc:
            raise PolicyError(f"{where}: {exc}") from None
        except KeyError as exc:
            raise PolicyError(f"{where}: unknown definition {exc.args[0]!r}") from None
        unknown = rules.fact_paths(expr) - known_facts
        if unknown:
            raise PolicyError(f"{where}: unknown facts {sorted(unknown)}")
        if rules.param_names(expr):
            raise PolicyError(f"{where}: a shared definition may not read parameters")
        parsed[key] = expr
    return parsed


def _compile(
    name: str, policy: PolicyFile, known_facts: set[str], definitions: Mapping[str, rules.Expr]
) -> Programme:
    def expr(where: str, source: str) -> rules.Expr:
        try:
            parsed = rules.expand_definitions(rules.parse(source), definitions)
        except rules.RuleSyntaxError as exc:
            raise PolicyError(f"{name}: {where}: {exc}") from None
        except KeyError as exc:
            raise PolicyError(f"{name}: {where}: unknown definition {exc.args[0]!r}") from None
        unknown_facts = rules.fact_paths(parsed) - known_facts
        if unknown_facts:
            raise PolicyError(f"{name}: {where}: unknown facts {sorted(unknown_facts)}")
        unknown_params = rules.param_names(parsed) - set(policy.parameters)
        if unknown_params:
            raise PolicyError(f"{name}: {where}: unknown parameters {sorted(unknown_params)}")
        return parsed

    def cite(where: str, keys: Iterable[str]) -> tuple[Citation, ...]:
        keys = tuple(keys)
        if not keys:
            raise PolicyError(f"{name}: {where} cites no source")
        for key in keys:
            if key not in policy.sources:
                raise PolicyError(f"{name}: {where} cites unknown source {key!r}")
        return tuple(citation_of(policy.sources[k]) for k in keys)

    seen: set[str] = set()
    criteria = []
    for criterion in policy.criteria:
        if criterion.id in seen:
            raise PolicyError(f"{name}: criterion {criterion.id!r} is defined twice")
        seen.add(criterion.id)
        where = f"criterion {criterion.id!r}"
        criteria.append(
            CompiledCriterion(
                spec=criterion,
                test=expr(where, criterion.test),
                applies_when=(
                    expr(where + " applies_when", criterion.applies_when)
                    if criterion.applies_when
                    else None
                ),
                citations=cite(where, criterion.sources),
            )
        )
        if criterion.quotes:
            cite(where + " quotes", criterion.quotes)
    for pname, param in policy.parameters.items():
        if not param.values:
            raise PolicyError(f"{name}: parameter {pname!r} has no values")
        for entry in param.values:
            cite(
                f"parameter {pname!r} ({entry.since}, {entry.region or 'national'})", [entry.source]
            )
            if (entry.value is None) != entry.unset:
                raise PolicyError(
                    f"{name}: parameter {pname!r} ({entry.since}): give a value or unset = true"
                )
            if entry.until is not None and entry.until <= entry.since:
                raise PolicyError(
                    f"{name}: parameter {pname!r} ({entry.since}): until must be after since"
                )
            if entry.region is not None and not is_region_code(entry.region):
                raise PolicyError(f"{name}: parameter {pname!r}: bad region {entry.region!r}")

    def check_region(where: str, region: str) -> None:
        if not is_region_code(region):
            raise PolicyError(f"{name}: {where}: bad region {region!r}")

    for region in policy.confirmed_until_by_region:
        check_region("confirmed_until_by_region", region)
    for kind, items in (("next step", policy.next_steps), ("document", policy.documents)):
        for i, step in enumerate(items):
            for region in step.regions:
                check_region(f"{kind} {i}", region)
    amounts = tuple(
        CompiledAmount(
            spec=rule,
            when=expr(f"benefit amount {i}", rule.when),
            amount=expr(f"benefit amount {i}", rule.amount),
        )
        for i, rule in enumerate(policy.benefit.amounts)
    )
    benefit_citations = cite("benefit", policy.benefit.sources) if amounts else ()
    for i, rule in enumerate(policy.benefit.amounts):
        if rule.quotes:
            cite(f"benefit amount {i} quotes", rule.quotes)

    def steps(kind: str, items: tuple[Step, ...]) -> tuple[CompiledStep, ...]:
        return tuple(
            CompiledStep(spec=s, when=expr(f"{kind} {i}", s.when) if s.when else None)
            for i, s in enumerate(items)
        )

    return Programme(
        id=policy.id,
        policy=policy,
        criteria=tuple(criteria),
        amounts=amounts,
        next_steps=steps("next step", policy.next_steps),
        documents=steps("document", policy.documents),
        benefit_citations=benefit_citations,
        suggest_when=(
            None if policy.suggest_when is None else expr("suggest_when", policy.suggest_when)
        ),
    )
