"""Policies as data: one TOML file per programme, decoded into typed Structs and checked at load.

A policy file reads like the document it encodes: its sources, then its criteria in the order the
document lists them (each citing a source), its parameters with their effective-date history and
regional overrides (each value citing a source), the benefit, next steps and documents, and last
the examples that must pass before the policy loads.  See `eligibility/policies/*.toml`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal, TypeVar

import msgspec

from eligibility import rules
from eligibility.catalogue import ChildSpec, FactCatalogueFile, FactSpec, QuestionSpec
from eligibility.derive import DERIVED_FACTS
from eligibility.facts import Applicant
from eligibility.text import Lang, Text

Verdict = Literal["eligible", "ineligible", "needs_info"]
ParamValue = int | float | bool | str | list[str | int] | None

PROGRAMME_ORDER = (
    "microloan",
    "transport_subsidy",
    "public_welfare_post",
    "yulu_plan",
    "monitoring_referral",
)
CATALOGUE_FILE = "facts.toml"
_T = TypeVar("_T")


class PolicyError(ValueError):
    """A policy file that must not load; the message names the file and what is wrong."""


class Source(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A document a criterion or value comes from."""

    title: str
    issuer: str
    number: str | None = None
    article: str | None = None
    date: dt.date | None = None
    url: str | None = None
    note: str | None = None


class Citation(msgspec.Struct, frozen=True, kw_only=True):
    """A source as cited by a determination: the document and where in it."""

    title: str
    issuer: str
    number: str | None = None
    article: str | None = None
    date: dt.date | None = None
    url: str | None = None


class ParameterValue(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One value of a parameter, in force from `since` for `region` (a code prefix; none = all)."""

    since: dt.date
    value: ParamValue = None
    unset: bool = False
    region: str | None = None
    source: str
    note: Text | None = None


class Parameter(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A named value with its history; `null` values mean "not set here"."""

    description: Text
    unit: str | None = None
    values: tuple[ParameterValue, ...]


class Criterion(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A named condition of a programme: wording, sources, and its rule expression."""

    id: str
    text: Text
    test: str
    sources: tuple[str, ...]
    applies_when: str | None = None


class AmountRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The first amount rule whose `when` holds gives the amount."""

    when: str = "true"
    amount: str
    note: Text | None = None


class Benefit(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How the amount is found, its unit, and what to say about it."""

    unit: Text | None = None
    amounts: tuple[AmountRule, ...] = ()
    note: Text | None = None
    unset_note: Text | None = None
    sources: tuple[str, ...] = ()


class Step(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A next step or a document to bring, shown for the listed verdicts."""

    text: Text
    verdicts: tuple[Verdict, ...] = ("eligible", "needs_info")
    when: str | None = None


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


class PolicyFile(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One programme's policy file as written."""

    id: str
    name: Text
    summary: Text
    who: Text
    sources: dict[str, Source]
    criteria: tuple[Criterion, ...]
    parameters: dict[str, Parameter] = {}
    benefit: Benefit = Benefit()
    next_steps: tuple[Step, ...] = ()
    documents: tuple[Step, ...] = ()
    examples: tuple[Example, ...] = ()


@dataclass(frozen=True)
class CompiledCriterion:
    """A criterion with its expressions parsed."""

    spec: Criterion
    test: rules.Expr
    applies_when: rules.Expr | None
    citations: tuple[Citation, ...]
    run_test: rules.Compiled = field(init=False, compare=False, repr=False)
    run_applies_when: rules.Compiled | None = field(init=False, compare=False, repr=False)
    request_facts: frozenset[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Facts whose mere presence makes the criterion apply (`given(loan_request.amount)`):
        # details of a request the applicant may give to have it checked too.
        object.__setattr__(
            self,
            "request_facts",
            frozenset() if self.applies_when is None else rules.given_facts(self.applies_when),
        )
        object.__setattr__(self, "run_test", rules.compile_expr(self.test))
        object.__setattr__(
            self,
            "run_applies_when",
            None if self.applies_when is None else rules.compile_expr(self.applies_when),
        )


@dataclass(frozen=True)
class CompiledAmount:
    """An amount rule with its expressions parsed."""

    spec: AmountRule
    when: rules.Expr
    amount: rules.Expr


@dataclass(frozen=True)
class CompiledStep:
    """A step with its optional condition parsed."""

    spec: Step
    when: rules.Expr | None


@dataclass(frozen=True)
class Programme:
    """A loaded programme: the policy file with expressions compiled and sources resolved."""

    id: str
    policy: PolicyFile
    criteria: tuple[CompiledCriterion, ...]
    amounts: tuple[CompiledAmount, ...]
    next_steps: tuple[CompiledStep, ...]
    documents: tuple[CompiledStep, ...]
    benefit_citations: tuple[Citation, ...]
    _params_cache: dict[tuple[str, dt.date], dict[str, ParamValue]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _params_interned: dict[bytes, dict[str, ParamValue]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _variants_cache: dict[tuple[str, dt.date], tuple[dict[str, ParamValue], ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _wording_cache: dict[tuple[int, int, str], str] = field(
        default_factory=dict, compare=False, repr=False
    )
    _placeholders: dict[int, frozenset[str]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def parameters(self, region_code: str | None, as_of: dt.date) -> dict[str, ParamValue]:
        """Every parameter's value in force for the region on the date (most specific wins)."""
        key = (region_code or "", as_of)
        found = self._params_cache.get(key)
        if found is None:
            found = {
                name: resolve_parameter(param, region_code, as_of)
                for name, param in self.policy.parameters.items()
            }
            # Most dates and regions share the same values: one dict per distinct set of values
            # lets the wording cache below key on it.
            found = self._params_interned.setdefault(msgspec.json.encode(found), found)
            if len(self._params_cache) < 65_536:
                self._params_cache[key] = found
        return found

    def parameter_variants(
        self, region_code: str | None, as_of: dt.date
    ) -> tuple[dict[str, ParamValue], ...]:
        """Every distinct set of parameters a person of `region_code` may be under on `as_of`.

        The first is the region's own.  A county code gives exactly one; an unknown region, or a
        province or prefecture code, also gives those of every more specific override in force,
        so that a decision holds for all of them or waits for the region.
        """
        key = (region_code or "", as_of)
        found = self._variants_cache.get(key)
        if found is None:
            prefix = region_code or ""
            candidates = {
                entry.region
                for param in self.policy.parameters.values()
                for entry in param.values
                if entry.region is not None
                and len(entry.region) > len(prefix)
                and entry.region.startswith(prefix)
                and entry.since <= as_of
            }
            variants = [self.parameters(region_code, as_of)]
            for candidate in sorted(candidates):
                params = self.parameters(candidate, as_of)
                if all(params is not v for v in variants):
                    variants.append(params)
            found = tuple(variants)
            if len(self._variants_cache) < 65_536:
                self._variants_cache[key] = found
        return found

    def wording(self, text: Text, variants: Sequence[Mapping[str, object]], lang: Lang) -> str:
        """`text` in `lang`, filled in from the first variant that sets every value it names.

        The first variant is the region's own (see `parameter_variants`); a criterion that only
        some counties have (an age limit) is worded with the values of one that has it, never
        with "None".  Memoised: it is on the hot path.
        """
        params = variants[0]
        names = self._placeholders.get(id(text))
        if names is None:
            names = self._placeholders[id(text)] = text.placeholders()
        for candidate in variants:
            if all(candidate.get(name) is not None for name in names):
                params = candidate
                break
        key = (id(text), id(params), lang)
        found = self._wording_cache.get(key)
        if found is None:
            found = text.format(params).in_(lang)
            if len(self._wording_cache) < 262_144:
                self._wording_cache[key] = found
        return found

    def parameter_source(
        self, name: str, region_code: str | None, as_of: dt.date
    ) -> ParameterValue | None:
        """The value entry that is in force (with its source), or None before any is."""
        return select_parameter_value(self.policy.parameters[name], region_code, as_of)

    def citation(self, key: str) -> Citation:
        """The citation for source `key` of this policy."""
        return _citation(self.policy.sources[key])


def select_parameter_value(
    param: Parameter, region_code: str | None, as_of: dt.date
) -> ParameterValue | None:
    """The entry in force: the most specific matching region, then the latest `since`."""
    best: ParameterValue | None = None
    best_key: tuple[int, dt.date] | None = None
    for entry in param.values:
        if entry.since > as_of:
            continue
        if entry.region is not None and not (region_code or "").startswith(entry.region):
            continue
        key = (len(entry.region or ""), entry.since)
        if best_key is None or key > best_key:
            best, best_key = entry, key
    return best


def resolve_parameter(param: Parameter, region_code: str | None, as_of: dt.date) -> ParamValue:
    """The value in force, or None (not set) before the first entry."""
    entry = select_parameter_value(param, region_code, as_of)
    return None if entry is None else entry.value


def _citation(source: Source) -> Citation:
    return Citation(
        title=source.title,
        issuer=source.issuer,
        number=source.number,
        article=source.article,
        date=source.date,
        url=source.url,
    )


@dataclass(frozen=True)
class PolicySet:
    """All programmes and the fact catalogue, with the content hash that identifies them."""

    programmes: Mapping[str, Programme]
    facts: Mapping[str, FactSpec]
    version: str
    sources: Mapping[str, bytes]
    # Combined questions and the child's programmes (facts.toml), for the bot's asking.
    questions: tuple[QuestionSpec, ...] = ()
    child: ChildSpec | None = None
    # Each fact's and question's `ask_when`, parsed.
    gates: Mapping[str, rules.Expr] = field(default_factory=dict)

    def fact_rank(self, path: str) -> int:
        """Where a fact stands in the asking order (unknown facts last)."""
        return _ranks(self).get(path, len(self.facts))

    def programme(self, programme_id: str) -> Programme:
        """The programme, or KeyError naming it."""
        try:
            return self.programmes[programme_id]
        except KeyError:
            raise KeyError(f"unknown programme {programme_id!r}") from None


_rank_cache: dict[str, dict[str, int]] = {}


def _ranks(policies: PolicySet) -> dict[str, int]:
    found = _rank_cache.get(policies.version)
    if found is None:
        found = {path: i for i, path in enumerate(policies.facts)}
        _rank_cache[policies.version] = found
    return found


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
    """Load and check the bundled policy set (the only I/O the core does)."""
    return load_policy_set(bundled_sources())


def load_policy_set(sources: Mapping[str, bytes], *, run_examples: bool = True) -> PolicySet:
    """Decode, check and (unless told not to) run every example; raise `PolicyError` if any fails.

    `sources` maps file names to their bytes, so a stored snapshot loads exactly like the
    bundled files.
    """
    if CATALOGUE_FILE not in sources:
        raise PolicyError(f"{CATALOGUE_FILE}: the fact catalogue is missing")
    catalogue = _decode(CATALOGUE_FILE, sources[CATALOGUE_FILE], FactCatalogueFile)
    facts = {spec.path: spec for spec in catalogue.facts}
    known_facts = set(facts) | set(DERIVED_FACTS)

    programmes: dict[str, Programme] = {}
    for name in sorted(sources):
        if name == CATALOGUE_FILE:
            continue
        policy = _decode(name, sources[name], PolicyFile)
        if f"{policy.id}.toml" != name:
            raise PolicyError(f"{name}: id {policy.id!r} does not match the file name")
        programmes[policy.id] = _compile(name, policy, known_facts)

    ordered = {pid: programmes[pid] for pid in PROGRAMME_ORDER if pid in programmes}
    ordered.update({pid: p for pid, p in programmes.items() if pid not in ordered})
    policy_set = PolicySet(
        programmes=ordered,
        facts=facts,
        version=policy_version(sources),
        sources=dict(sources),
        questions=catalogue.questions,
        child=catalogue.child,
        gates=_gates(catalogue, known_facts, set(ordered)),
    )
    if run_examples:
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


def _decode(name: str, raw: bytes, kind: type[_T]) -> _T:
    try:
        data = tomllib.loads(raw.decode("utf-8"))
        return msgspec.convert(data, kind)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, msgspec.ValidationError) as exc:
        raise PolicyError(f"{name}: {exc}") from None


def _compile(name: str, policy: PolicyFile, known_facts: set[str]) -> Programme:
    def expr(where: str, source: str) -> rules.Expr:
        try:
            parsed = rules.parse(source)
        except rules.RuleSyntaxError as exc:
            raise PolicyError(f"{name}: {where}: {exc}") from None
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
        return tuple(_citation(policy.sources[k]) for k in keys)

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
            if entry.region is not None and not (
                entry.region.isdigit() and len(entry.region) in (2, 4, 6)
            ):
                raise PolicyError(f"{name}: parameter {pname!r}: bad region {entry.region!r}")
    amounts = tuple(
        CompiledAmount(
            spec=rule,
            when=expr(f"benefit amount {i}", rule.when),
            amount=expr(f"benefit amount {i}", rule.amount),
        )
        for i, rule in enumerate(policy.benefit.amounts)
    )
    benefit_citations = cite("benefit", policy.benefit.sources) if amounts else ()

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
    )


def check_examples(policy_set: PolicySet) -> None:
    """Run every programme's examples; raise `PolicyError` naming the first that fails."""
    # Imported here: the determination module needs PolicySet, defined above.
    from eligibility.determination import determine_programme

    for programme in policy_set.programmes.values():
        if not programme.policy.examples:
            raise PolicyError(f"{programme.id}.toml: a policy must carry examples")
        for example in programme.policy.examples:
            where = f"{programme.id}.toml: example {example.name!r}"
            try:
                applicant = msgspec.convert(example.facts, Applicant)
            except msgspec.ValidationError as exc:
                raise PolicyError(f"{where}: bad facts: {exc}") from None
            if applicant.as_of is None:
                raise PolicyError(f"{where}: examples must give as_of")
            result = determine_programme(programme, applicant, policy_set, lang="en")
            problems = []
            expect = example.expect
            if result.verdict != expect.verdict:
                problems.append(f"verdict {result.verdict!r}, expected {expect.verdict!r}")
            if expect.amount is not msgspec.UNSET:
                wanted = None if expect.amount == "none" else expect.amount
                if result.amount != wanted:
                    problems.append(f"amount {result.amount!r}, expected {wanted!r}")
            if expect.not_met is not msgspec.UNSET:
                got = tuple(c.id for c in result.criteria if c.outcome == "not_met")
                if set(got) != set(expect.not_met):
                    problems.append(f"not met {list(got)}, expected {list(expect.not_met)}")
            if expect.missing is not msgspec.UNSET:
                got_missing = tuple(m.fact for m in result.missing)
                if got_missing != expect.missing:
                    problems.append(f"missing {list(got_missing)}, expected {list(expect.missing)}")
            if problems:
                raise PolicyError(f"{where} fails: " + "; ".join(problems))
