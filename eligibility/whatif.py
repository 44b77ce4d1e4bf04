"""What would change the answer: the smallest sets of fact changes that make a programme eligible
(or, for one that already is, pay more), solved exactly from the rules of the applicant's plan.

What a suggestion aims at is an answer to apply for (`Programme.can_apply`): eligible, or
waiting only on what a named party confirms at application (`Criterion.confirmed_by`: the
bank's checks of a 2026 帮扶小额信贷, never `eligible` before them), which it then leaves open
and says who checks.  Each criterion that is not met (or still unknown, and not one of those)
is read as the condition that must hold, under every parameter variant of the applicant's plan
(a province code covering counties with different rules must satisfy them all, as
`plan.criterion_outcome` requires), and solved:
comparisons for the nearest value that satisfies them (`months_continuous >= 3` with 1 → 3),
memberships for the allowed values, booleans flipped, unknown facts for the value that
satisfies.  The catalogue's class of each fact (`FactSpec.change`) says what may be asked:
fixed facts never, time facts only forwards (with the day it happens, counted from `as_of`),
choices and decisions by others (with who decides), but never a value the catalogue lists as
`never_suggested`.  Every candidate is re-decided with the plan's own generated code
(`ProgrammePlan.outcomes` and `choices`, through `verdict_of`) and kept only if it makes the
programme eligible (or gives the stated amount); a change that breaks another criterion is
either repaired by a further change or dropped.  The ones kept are ranked by how few facts
change, then how easy they are (time < choice < decided), then the earliest day.  The ones kept
are re-checked for the changed applicant: on its flat facts (the status facts must agree, as
`apply_changes` requires) where the plan reads nothing `apply_changes` drops, else through
`determine` by the caller (`eligibility.determination`).

Computed once, in the plan: the search for an applicant depends only on the plan, the outcome
pattern of its criteria, the amount rules' choices and the values of the facts the open
criteria read, closed over the criteria and amount rules a change could break (`_Shape`,
`_key`); `as_of` enters the key only where the order of the days can depend on it.  Each
search is made once per such key and its wording kept per language as templates into which
each applicant's days are put (`_instance`).  A programme where no suggestion can exist (no
changeable fact, an open criterion no change can meet, an eligible answer at its top tier)
costs a look-up.

A suggestion that names a day is checked under the rules in force on that day: a day under
another parameter profile whose rules differ from today's in what the search reads
(`_alike_on`), or with an age that moves on by itself, is re-decided on that day; one to
apply for then with another amount (a 2026 帮扶小额信贷 of 10万 for a transition-period 5万, a
county's amount of the next year), it is offered with that day's amount, unit or amount note
and sources; not one to apply for then, or needing a change that day's rules do not (the
fewer changes already give one to apply for, `_not_needed`), or meeting no rule then, it is
dropped.  A day after the rules were last confirmed for
the region (`Programme.confirmed_until`) is said to be unverified.

Where the region code does not name one county (none given, or a province's) and a suggestion
meets a rule its counties set differently (`_set_by_county`), it meets that rule in every
county found, but the county's own may ask less, and one not found may ask otherwise: the
suggestion first asks for the county, and says that rule as the county's, never with the
placeholder its general wording has for the figure (`programme.LOCAL_FIGURE`).

Pure: no I/O, no clock (`as_of` is the applicant's).
"""

from __future__ import annotations

import calendar
import datetime as dt
import heapq
import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress, count, product
from typing import Final, cast

import msgspec
from msgspec.structs import replace

from eligibility import rules
from eligibility.answer import Change, Determination, Suggestion
from eligibility.catalogue import FactSpec, bundled_catalogue
from eligibility.derive import AGE, BIRTH_DATE, age_on
from eligibility.facts import (
    STATUS_FIELDS,
    Applicant,
    MonitoringType,
    applicant_from_paths,
    applicant_paths,
    household_status,
)
from eligibility.plan import (
    MET,
    NOT_MET,
    SKIPPED,
    UNKNOWN,
    Choice,
    CriterionPlan,
    Key,
    Plans,
    ProgrammePlan,
    choose_amount,
    generated_function,
    show_fact,
    verdict_of,
    weighs_amount,
)
from eligibility.policy_file import Verdict
from eligibility.programme import LOCAL_FIGURE, PolicySet
from eligibility.text import UNIT_WORDS, Lang, date_words

Assignment = dict[str, object]  # fact path -> the value it changes to

# How easy a change is: what happens by itself, then what the household does, then what others
# decide.  Fixed facts are never changed.
EASE: dict[str, int] = {"time": 0, "choice": 1, "decided": 2}
SHOWN = 3  # suggestions kept per programme
_WAYS_PER_CRITERION = 8  # candidates kept per criterion before they are combined
_COMBINATIONS = 64  # combined candidates tried per programme
_REPAIRS = 2  # rounds of repairing a change that breaks another criterion
_STATUS = frozenset(f"household.{name}" for name in STATUS_FIELDS)
_OPPOSITE: dict[str, str] = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_SEMESTER_STARTS = {"spring": (3, 1), "autumn": (9, 1)}  # 春季学期 from March, 秋季 from September


# ---------------------------------------------------------------------------------------------
# Dates


def add_months(day: dt.date, months: int) -> dt.date | None:
    """`months` calendar months after `day`, on the same day of the month or that month's last
    (a 1-month term from 31 January ends on 28 or 29 February); None after the year 9999."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if year > dt.MAXYEAR:
        return None
    if day.day <= 28:
        return dt.date(year, month, day.day)  # a day every month has
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def birthday(birth_date: dt.date, age: int) -> dt.date:
    """The day someone born on `birth_date` turns `age` (29 February: 1 March, as `age_on`)."""
    year = birth_date.year + age
    try:
        return birth_date.replace(year=year)
    except ValueError:
        return dt.date(year, 3, 1)


def semester_start(semester: str, as_of: dt.date) -> dt.date:
    """The first day after `as_of` on which `semester` starts."""
    month, day = _SEMESTER_STARTS[semester]
    start = dt.date(as_of.year, month, day)
    return start if start > as_of else dt.date(as_of.year + 1, month, day)


# ---------------------------------------------------------------------------------------------
# Solving one condition


class _Solver:
    """Finds the assignments of changeable facts that make an expression true (or false)."""

    def __init__(self, policies: PolicySet, facts: Mapping[str, object]) -> None:
        self.policies = policies
        self.facts = facts

    def spec(self, path: str) -> FactSpec | None:
        """The catalogue entry of a fact that may be changed, or None (fixed or not a fact)."""
        spec = self.policies.facts.get(path)
        return None if spec is None or spec.change == "fixed" else spec

    def value(self, expr: rules.Expr) -> object:
        """The expression's value on the facts (None: unknown)."""
        return rules.evaluate(expr, self.facts, {})[0]

    def allowed(self, path: str, value: object) -> bool:
        """Whether `path` may change to `value`: a changeable fact, a value of its kind within
        its bounds and not one the catalogue never suggests, and time only forwards."""
        spec = self.spec(path)
        if spec is None:
            return False
        before = self.facts.get(path)
        if value == before and type(value) is type(before):
            return False
        if not _may_suggest(spec, value):
            return False
        # `_may_suggest` has checked an int's kind: only its direction is left, for time.
        return not (
            spec.kind == "int"
            and spec.change == "time"
            and isinstance(before, int)
            and cast(int, value) < before
        )

    def ways(self, expr: rules.Expr, want: bool) -> list[Assignment]:
        """Minimal assignments under which `expr` evaluates to `want` (given the other facts)."""
        match expr:
            case rules.Const(value):
                return [{}] if value is want else []
            case rules.Not(item):
                return self.ways(item, not want)
            case rules.All(items) | rules.Any_(items):
                # `and` wanted true (or `or` wanted false) needs every item; the other way, one.
                every = isinstance(expr, rules.All) == want
                if every:
                    open_items = [i for i in items if self.value(i) is not want]
                    return _combine([self.ways(i, want) for i in open_items])
                found: list[Assignment] = []
                for item in items:
                    found.extend(self.ways(item, want))
                return _minimal(found)
            case rules.Compare(op, left, right):
                return self._compare(op if want else _OPPOSITE[op], left, right)
            case rules.Member(rules.Fact(path), rules.Const(collection)) if isinstance(
                collection, list
            ):
                spec = self.spec(path)
                if spec is None:
                    return []
                if want:
                    values: Iterable[object] = collection
                elif spec.kind == "enum":
                    values = [o.value for o in spec.options if o.value not in collection]
                else:
                    return []
                return [{path: v} for v in values if self.allowed(path, v)]
        # `given(x)` asks whether a fact is known, which no change of value makes so; other
        # shapes are not solved (and so never suggested).
        return []

    def _compare(self, op: str, left: rules.Expr, right: rules.Expr) -> list[Assignment]:
        found: list[Assignment] = []
        for path in _paths(left, right):
            spec = self.spec(path)
            if spec is None:
                continue
            for value in self._solve(op, left, right, path, spec):
                if self.allowed(path, value):
                    found.append({path: value})
        return found

    def _solve(
        self, op: str, left: rules.Expr, right: rules.Expr, path: str, spec: FactSpec
    ) -> list[object]:
        """The values of `path` nearest its own that make `left op right` hold, the other facts
        as they are."""
        if spec.kind in ("bool", "enum"):
            if isinstance(left, rules.Const) and isinstance(right, rules.Fact):
                left, right = right, left
            if not (isinstance(left, rules.Fact) and left.path == path):
                return []
            if not isinstance(right, rules.Const):
                return []
            if op == "==":
                return [right.value]
            if op == "!=":
                if spec.kind == "bool":
                    return [not right.value] if isinstance(right.value, bool) else []
                return [o.value for o in spec.options if o.value != right.value]
            return []
        if spec.kind != "int":
            return []
        # Both sides are linear in the fact (the rule language has + - * /): read the slope
        # and the offset of left - right from two points, and solve.
        at0 = self._difference(left, right, path, 0)
        at1 = self._difference(left, right, path, 1)
        if at0 is None or at1 is None:
            return []
        slope, offset = at1 - at0, at0
        if slope == 0:
            return []
        bound = -offset / slope
        if slope < 0:
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}[op]
        before = self.facts.get(path)
        if op == ">=":
            return [math.ceil(bound - 1e-9)]
        if op == ">":
            return [math.floor(bound + 1e-9) + 1]
        if op == "<=":
            return [math.floor(bound + 1e-9)]
        if op == "<":
            return [math.ceil(bound - 1e-9) - 1]
        if op == "==":
            return [int(bound)] if float(bound).is_integer() else []
        if isinstance(before, int) and not isinstance(before, bool):
            return [before + 1, before - 1]
        return [math.floor(bound) + 1]

    def _difference(self, left: rules.Expr, right: rules.Expr, path: str, x: int) -> float | None:
        a, b = _number(left, self.facts, path, x), _number(right, self.facts, path, x)
        return None if a is None or b is None else a - b


def _may_suggest(spec: FactSpec, value: object) -> bool:
    """What `_Solver.allowed` says of a value whatever the facts: one of the fact's kind
    within its bounds and not one the catalogue never suggests (the rest, a value other than
    the fact's own and time only forwards, depends on the facts)."""
    if any(v == value and type(v) is type(value) for v in spec.never_suggested):
        return False  # giving up work, school or a post is never offered as a way in
    if spec.kind == "bool" and not isinstance(value, bool):
        return False
    if spec.kind == "enum" and value not in {o.value for o in spec.options}:
        return False
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return False
        if (spec.min is not None and value < spec.min) or (
            spec.max is not None and value > spec.max
        ):
            return False
    return spec.kind not in ("date", "region", "text")


# ---------------------------------------------------------------------------------------------
# Criteria no change can meet, whatever the facts
#
# `_Solver.ways` assigns values only at a comparison or a membership of a changeable fact; a
# bool or enum fact's values there are the constants compared with, or the other options, which
# the facts do not choose, and the catalogue may refuse them all (`household.monitored == true`:
# being monitored is never suggested).  Where every such leaf is refused, `ways` finds at most
# the empty change, and only where the expression already is what is wanted (a constant, or an
# `and` whose items all hold): an open criterion then has none, and its answer no suggestion,
# which `_suggester` knows from the outcome codes alone, without the look-ups of `_searched`
# (two in three of the answers it searched found just this).


def _unsolved(solver: _Solver, expr: rules.Expr, want: bool) -> bool:
    """Whether `solver.ways` of a leaf (not a constant, `not` or junction) is empty whatever
    the facts: every value it could assign is one `_may_suggest` refuses (an int's value
    depends on the facts, and so it may be solved)."""
    match expr:
        case rules.Compare(op, left, right):
            solved = op if want else _OPPOSITE[op]
            for path in _paths(left, right):
                spec = solver.spec(path)
                if spec is None or spec.kind not in ("bool", "enum", "int"):
                    continue  # never assigned (`_Solver._solve` solves only these kinds)
                if spec.kind == "int":
                    return False
                # A bool's or enum's values are the constants and options alone.
                found = solver._solve(solved, left, right, path, spec)
                if any(_may_suggest(spec, v) for v in found):
                    return False
            return True
        case rules.Member(rules.Fact(path), rules.Const(collection)) if isinstance(
            collection, list
        ):
            spec = solver.spec(path)
            if spec is None:
                return True
            if want:
                values: Iterable[object] = collection
            elif spec.kind == "enum":
                values = [o.value for o in spec.options if o.value not in collection]
            else:
                return True
            # The values are the rule's (or the other options): refused by kind or bounds,
            # one is refused whatever the facts.
            return not any(_may_suggest(spec, v) for v in values)
    return True  # `given`, a lone fact, arithmetic: `ways` solves none


def _only_as_is(solver: _Solver, expr: rules.Expr, want: bool) -> bool:
    """Whether `solver.ways(expr, want)`, whatever the facts, is empty, or the empty change
    alone where `expr` already evaluates to `want`: no leaf it reaches is solved."""
    match expr:
        case rules.Const():
            return True
        case rules.Not(item):
            return _only_as_is(solver, item, not want)
        case rules.All(items) | rules.Any_(items):
            # An item's empty change needs it to be `want` already; with each so, the `and`
            # wanted true (`or` wanted false) has it only with every item so, the other way
            # with one: either way the junction is `want` (Kleene).
            return all(_only_as_is(solver, i, want) for i in items)
    return _unsolved(solver, expr, want)


def _no_ways(solver: _Solver, expr: rules.Expr, want: bool) -> bool:
    """Whether `solver.ways(expr, want)` is empty whatever the facts (not even the empty
    change)."""
    match expr:
        case rules.Const(value):
            return value is not want
        case rules.Not(item):
            return _no_ways(solver, item, not want)
        case rules.All(items) | rules.Any_(items):
            if isinstance(expr, rules.All) == want:
                # Every open item is needed: one never `want` is always open, and with no way
                # of its own leaves none.
                return any(_never_is(i, want) and _no_ways(solver, i, want) for i in items)
            return all(_no_ways(solver, i, want) for i in items)
    return _unsolved(solver, expr, want)


def _never_is(expr: rules.Expr, want: bool) -> bool:
    """Whether `expr` evaluates to `want` for no facts (Kleene: a constant unknown or the
    opposite, and the junctions and negations of such)."""
    match expr:
        case rules.Const(value):
            return value is None or value is (not want)
        case rules.Not(item):
            return _never_is(item, not want)
        case rules.All(items) | rules.Any_(items):
            # `and` is true only with every item true, false with one; `or` the other way.
            if isinstance(expr, rules.All) == want:
                return any(_never_is(i, want) for i in items)
            return all(_never_is(i, want) for i in items)
    return False


def _unmeetable(policies: PolicySet, criterion: CriterionPlan) -> bool:
    """Whether no change meets the criterion wherever it is open (not met or unknown), whatever
    the facts: `_Solver.ways` of its condition (`_condition`) is then empty.

    Open, one variant is (`criterion_outcome`: skipped and met ones combine to neither): not
    met, its `applies_when` holds and its test is false; unknown, `applies_when` is not false.
    Neither finds the empty change of its test or the not-applying (`_only_as_is`), so its
    part of the condition is not true and has no way, and nor has the condition.  The one case
    left: unknown where `applies_when` is and the test is true, the part then true with the
    criterion open.  An `applies_when` that is a constant is never unknown; with one variant,
    a test with no way at all (`_no_ways`) leaves the part none; with several, the other parts
    may all be true, and the condition's empty change a way, so such a criterion is searched."""
    solver = _Solver(policies, {})
    bounds = [b for b in criterion.bound if b is not None]
    if not bounds:
        return False  # skipped wherever it applies: never open
    for applies_when, test in bounds:
        if not _only_as_is(solver, test, True):
            return False
        if applies_when is None or (
            isinstance(applies_when, rules.Const) and isinstance(applies_when.value, bool)
        ):
            continue
        if not (
            len(bounds) == 1
            and _only_as_is(solver, applies_when, False)
            and _no_ways(solver, test, True)
        ):
            return False
    return True


_PATHS: dict[tuple[int, int], tuple[rules.Expr, rules.Expr, tuple[str, ...]]] = {}


def _paths(left: rules.Expr, right: rules.Expr) -> tuple[str, ...]:
    """The facts a comparison reads, sorted (kept per node: a plan's nodes live as long as it)."""
    found = _PATHS.get((id(left), id(right)))
    if found is not None and found[0] is left and found[1] is right:
        return found[2]
    paths = tuple(sorted(rules.fact_paths(left) | rules.fact_paths(right)))
    if len(_PATHS) >= 65_536:
        _PATHS.clear()
    _PATHS[(id(left), id(right))] = (left, right, paths)
    return paths


def _number(expr: rules.Expr, facts: Mapping[str, object], path: str, x: int) -> float | None:
    """A numeric expression's value with `path` set to `x` (None: not a number, or unknown)."""
    match expr:
        case rules.Fact(p):
            value = x if p == path else facts.get(p)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return None
            return value
        case rules.Const(value):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return None
            return value
        case rules.Arith(op, left, right):
            a, b = _number(left, facts, path, x), _number(right, facts, path, x)
            if a is None or b is None:
                return None
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            return None if b == 0 else a / b
    return None


def _combine(parts: Sequence[list[Assignment]]) -> list[Assignment]:
    """Every way to satisfy all parts at once (one way from each), without contradictions."""
    found: list[Assignment] = [{}]
    for ways in parts:
        if not ways:
            return []
        merged: list[Assignment] = []
        for base, way in product(found, ways):
            if all(base.get(k, v) == v for k, v in way.items()):
                merged.append({**base, **way})
        found = _minimal(merged)[: _COMBINATIONS * 4]
    return found


def _minimal(ways: Iterable[Assignment]) -> list[Assignment]:
    """The assignments no other one is contained in (duplicates dropped)."""
    unique: list[Assignment] = []
    for way in sorted(ways, key=len):
        if any(all(way.get(k, _MISSING) == v for k, v in kept.items()) for kept in unique):
            continue
        unique.append(way)
    return unique


_MISSING = object()


# ---------------------------------------------------------------------------------------------
# A programme's conditions


def _condition(plan: ProgrammePlan, index: int) -> rules.Expr:
    parts: list[rules.Expr] = []
    for bound in plan.criteria[index].bound:
        if bound is None:
            continue
        applies_when, test = bound
        parts.append(test if applies_when is None else rules.Any_((rules.Not(applies_when), test)))
    if not parts:
        return rules.Const(True)
    return parts[0] if len(parts) == 1 else rules.All(tuple(parts))


def _amount_condition(plan: ProgrammePlan, rule: int) -> rules.Expr:
    """What must hold for amount rule `rule` to decide (the earlier ones not holding)."""
    own = plan.amounts[0]
    return rules.All((*(rules.Not(r.when) for r in own[:rule]), own[rule].when))


@dataclass(frozen=True)
class _Shape:
    """What the search for a plan's answer with these criteria open (not met or unknown) reads:
    the facts whose values its result depends on, besides which are open and the amount rules'
    choices.

    The search starts from the open criteria (or, for an eligible answer, the amount rules),
    changes only changeable facts they read, and re-decides: a criterion or amount rule that
    reads a fact it may change can break (and be repaired by changing the facts *it* reads), so
    `relevant` is the closure of the facts read over the changeable facts shared.  Criteria
    and amount rules outside it read no fact any candidate changes: their outcomes are those in
    the answer and the choices.  `fixed_only`: open criteria that read no changeable fact; then
    there is no suggestion (an open criterion's condition is not true, and `_Solver.ways` finds
    no way to make an expression that reads no changeable fact what it is not: every leaf is
    a constant or a fact it may not change).  `times`: the changeable time facts among
    `relevant`; `ages`: whether `person.age` is one (its day needs the birth date);
    `absolute`: a time fact whose day is not a whole number of months from `as_of` (a
    semester), so that ranking by day depends on `as_of` itself.  `none`: no suggestion can
    exist (an open criterion reads no changeable fact; or, eligible, no amount rule does: a
    higher tier's condition is not true now, as it did not decide, and no change makes it).
    `choices_within`: every amount rule reads only facts in `relevant`, so that the rules'
    choices follow from their values (`_key`)."""

    relevant: tuple[str, ...]
    open_criteria: tuple[int, ...]
    fixed_only: tuple[int, ...]
    none: bool
    times: tuple[str, ...]
    ages: bool
    absolute: bool
    choices_within: bool
    # Whether the values (`_search_reader`) are the search's key, nothing else entering it.
    simple: bool = False
    # The open criteria a change must meet: `open_criteria` but those confirmed at application
    # and unknown (written there as `~i`: an answer waiting only on them is one to apply for,
    # `Programme.can_apply`, and which of them wait is part of the search's key).
    to_meet: tuple[int, ...] = ()


@dataclass
class _Entry:
    """The search's result for one key: the ways kept (verified, re-checked), best first, and
    their wording per language as templates the applicant's dates are put into."""

    ways: tuple[tuple[Assignment, Decided], ...]
    current_amount: int | None
    templates: dict[Lang, tuple[_Template, ...]] = field(default_factory=dict)
    undated: dict[Lang, tuple[Suggestion, ...]] = field(default_factory=dict)


Reader = Callable[[Mapping[str, object]], tuple[object, ...]]


def _fixed_parts(
    exprs: Iterable[rules.Expr], as_is: frozenset[str]
) -> tuple[set[str], list[rules.Expr]]:
    """What a search or `_Solver.ways` reads of the facts in `exprs`: the own values of the
    facts `as_is` (the changeable ones, and others of a few values; the first set), and of
    each part that reads none of them, its value alone (the parts; with, for a junction inside
    one, its items', whose truth `_Solver.ways` weighs).  A change leaves such a part as it is,
    so two applicants whose parts agree decide every change alike: an income the monitoring
    line is compared with is one of a few keys, not one per yuan."""
    raw: set[str] = set()
    parts: list[rules.Expr] = []
    for expr in exprs:
        key = (id(expr), as_is)
        found = _FIXED_PARTS.get(key)
        if found is None or found[0] is not expr:
            found = (expr, *_expression_parts(expr, as_is))
            if len(_FIXED_PARTS) >= 65_536:
                _FIXED_PARTS.clear()
            _FIXED_PARTS[key] = found
        raw |= found[1]
        parts += found[2]
    return raw, parts


def _expression_parts(
    expr: rules.Expr, as_is: frozenset[str]
) -> tuple[frozenset[str], tuple[rules.Expr, ...]]:
    """`_fixed_parts` of one expression, worked out (kept by `_fixed_parts`: shapes are
    worked out often, of the same conditions)."""
    raw: set[str] = set()
    parts: list[rules.Expr] = []

    def visit(expr: rules.Expr) -> None:
        reads = rules.fact_paths(expr)
        if not reads:
            return
        if not reads & as_is:
            parts.append(expr)
            for node, _ in rules.walk(expr):
                if isinstance(node, (rules.All, rules.Any_)):
                    parts.extend(i for i in node.items if rules.fact_paths(i))
        elif isinstance(expr, rules.Fact):
            raw.add(expr.path)
        else:
            for child in rules.children(expr):
                visit(child)

    visit(expr)
    return frozenset(raw), tuple(parts)


_FIXED_PARTS: dict[
    tuple[int, frozenset[str]],
    tuple[rules.Expr, frozenset[str], tuple[rules.Expr, ...]],
] = {}


def _parts_reader(head: object, raw: Iterable[str], parts: Sequence[rules.Expr]) -> Reader:
    """`(head, *values of raw, *values of parts)` as one generated function (every part that
    is a lone fact read as the others are): the key of a criterion's ways (`_criterion_ways`)
    and of a search (`_search_reader`), which most applicants run once per open criterion, so
    one call with each fact read once, not closures that build the tuple in parts (a fifth of
    what suggestions cost).  Each part's value is written inline (`rules.Emitter`, the code
    `rules.compile_expr` runs), not through its own evaluator, which would read the facts
    again and, for an unknown value, gather the facts it hinges on (that no key reads)."""
    paths = sorted(set(raw) | {p.path for p in parts if isinstance(p, rules.Fact)})
    # Each part once (a node shared by two rules is one value).
    evaluated = tuple({id(p): p for p in parts if not isinstance(p, rules.Fact)}.values())
    emitter = rules.Emitter()
    items = ["H", *(emitter.emit(rules.Fact(path))[0] for path in paths)]
    items += [emitter.emit(p)[0] for p in evaluated]
    names: dict[str, object] = {**emitter.names, "H": head, "P": _NO_PARAMS}
    lines = ["def read(facts):", emitter.loads().rstrip("\n"), "    params = P"]
    lines.append(f"    return ({', '.join(items)},)")
    return cast(Reader, generated_function(names, lines, "read", "<facts read>"))


def _ways_reader(index: int, condition: rules.Expr, as_is: frozenset[str]) -> Reader:
    """The key of criterion `index`'s ways (`_criterion_ways`): all `_Solver.ways` reads of
    the facts (`_fixed_parts`)."""
    return _parts_reader(index, *_fixed_parts((condition,), as_is))


_NO_PARAMS: dict[str, object] = {}


@dataclass(frozen=True)
class _Prepared:
    """What a plan's suggestions need, made once per plan: the conditions as expression trees
    that stay the same objects (so their evaluators are compiled once), the facts each
    criterion and amount rule reads, the shapes of the search by the criteria open (shared by
    the plans that read alike), and the searches, ways and wordings already made, each by what
    it depends on (`_key`, `_criterion_ways`, `_templates`)."""

    conditions: tuple[rules.Expr, ...]
    amount_conditions: tuple[rules.Expr, ...]
    criterion_reads: tuple[frozenset[str], ...]
    amount_reads: tuple[frozenset[str], ...]
    changeable: frozenset[str]  # the changeable facts the plan reads
    # The facts a key reads as they are: the changeable ones and any of a few values
    # (`_fixed_parts` reads the rest through the parts of the rules that compare them).
    read_as_is: frozenset[str]
    # Per changeable fact, all that the criteria and amount rules read which a change of it
    # can reach (`_reach`): what `_shape` closes the facts read over.
    reach: dict[str, frozenset[str]]
    top_amount: float | None  # the highest fixed amount of the region's own amount rules
    # Whether an eligible answer can be raised to a higher tier (one variant and a highest
    # fixed amount: `_shape_of`).
    tiers: bool
    # The criteria that read no changeable fact, or no change of them can meet
    # (`_unmeetable`): one of them open, the answer has no suggestion (`_Shape.fixed_only`,
    # `unmeetable`), whatever else is open (`_suggester`).
    fixed_criteria: tuple[int, ...]
    # Those of them that read a changeable fact (which `_Shape`, shared by plans that read
    # alike, does not know of: `_shape_of` asks).
    unmeetable: frozenset[int]
    # Whether a way the plan's code found eligible holds for the changed applicant as it is
    # (`_status_holds`), or must be re-decided through `determine` (`recheck`).
    flat_recheck: bool
    amounts_read: bool  # whether an amount rule reads a fact
    reads_date: bool  # whether a criterion or amount rule reads `as_of` itself
    # The amount rules' choices where they read a fact (`_key`), else None.
    choose: Callable[[Mapping[str, object]], tuple[object, ...]] | None
    # Per criterion, `_criterion_ways`'s key: its index and the values of the facts its
    # condition reads.
    way_keys: tuple[Reader, ...]
    index: dict[str, int]  # each criterion's position, by its id
    # The criteria confirmed at application (`Criterion.confirmed_by`): unknown, a suggestion
    # leaves them to the bank or county (`_open`).
    confirming: frozenset[int]
    # The criteria whose rule is `null` (unknown wherever they apply: for the bank or county to
    # confirm): a change meets one only by making it not apply, and its wording states the
    # situation, never a rule met (`_template`'s `worded`).
    never_met: frozenset[int]
    shapes: dict[tuple[int, ...], _Shape] = field(default_factory=dict)
    ways: dict[tuple[object, ...], list[Assignment]] = field(default_factory=dict)
    templates: dict[tuple[object, ...], _Template] = field(default_factory=dict)
    confirmed: dict[str | None, object] = field(default_factory=dict)  # by region code
    # `_alike_on` by region code, the day's bucket of the profiles' dates and its year (which
    # settle the plan of that day, `Plans.rules_on`).
    alike: dict[tuple[str | None, int, int], bool] = field(default_factory=dict)
    # The shape for an answer (None: no suggestion can exist) by its criteria's outcome codes,
    # the first part of its `Key` (`_shape_of`); shared as `shapes` are.
    codes: dict[tuple[int, ...], _Shape | None] = field(default_factory=dict)
    made: dict[tuple[object, ...], _Entry] = field(default_factory=dict)
    # A search's values by its open criteria (`_search_reader`), shared as `made` is.
    readers: dict[tuple[int, ...], Reader] = field(default_factory=dict)


# The entry of every key whose search finds no way (read only: `suggestions_for` returns
# before it would fill in any wording).
_NO_WAYS = _Entry(ways=(), current_amount=None)

_PREPARED: dict[int, tuple[ProgrammePlan, _Prepared]] = {}


def _reads(exprs: Iterable[rules.Expr | None]) -> frozenset[str]:
    return frozenset(p for e in exprs if e is not None for p in rules.fact_paths(e))


def _prepared(plan: ProgrammePlan) -> _Prepared:
    found = _PREPARED.get(id(plan))
    if found is not None and found[0] is plan:
        return found[1]
    policies = plan.policies
    amounts = [
        r.amount.value
        for r in (plan.amounts[0] if plan.amounts else ())
        if isinstance(r.amount, rules.Const)
        and isinstance(r.amount.value, (int, float))
        and not isinstance(r.amount.value, bool)
    ]
    shared = _shared(plan)
    if shared.conditions is None:
        # The same trees for the plans alike (their rules are): each node's evaluator is
        # compiled once for them all (`rules.compile_expr`).
        shared.conditions = tuple(_condition(plan, i) for i in range(len(plan.criteria)))
        shared.amount_conditions = tuple(
            _amount_condition(plan, i) for i in range(len(plan.amounts[0]) if plan.amounts else 0)
        )
    conditions = shared.conditions
    if shared.reads is None:
        shared.reads = _reads_of(plan, conditions)
    reads = shared.reads
    criterion_reads, amount_reads = reads.criterion_reads, reads.amount_reads
    changeable, unmeetable = reads.changeable, reads.unmeetable
    top_amount = max(amounts) if amounts else None
    flat_recheck = reads.flat_recheck
    # The shapes (and which outcome patterns have none) follow from what the plan reads, and
    # for an eligible answer from whether a higher tier can be named (`_shape_of`).
    confirming = frozenset(
        i for i, c in enumerate(plan.criteria) if c.criterion.spec.confirmed_by is not None
    )
    shapes, codes = _shared_shapes(
        policies,
        criterion_reads,
        amount_reads,
        flat_recheck,
        len(plan.variants) == 1 and top_amount is not None,
        confirming,
        unmeetable,
    )
    prepared = _Prepared(
        read_as_is=reads.read_as_is,
        ways=shared.ways,
        templates=shared.templates,
        made=shared.made,
        readers=shared.readers,
        conditions=conditions,
        way_keys=reads.way_keys,
        index={c.id: i for i, c in enumerate(plan.criteria)},
        confirming=confirming,
        never_met=frozenset(
            i
            for i, c in enumerate(plan.criteria)
            if isinstance(c.criterion.test, rules.Const) and c.criterion.test.value is None
        ),
        amount_conditions=shared.amount_conditions or (),
        criterion_reads=criterion_reads,
        amount_reads=amount_reads,
        changeable=changeable,
        reach=reads.reach,
        top_amount=top_amount,
        tiers=len(plan.variants) == 1 and top_amount is not None,
        fixed_criteria=reads.fixed_criteria,
        unmeetable=unmeetable,
        flat_recheck=flat_recheck,
        amounts_read=any(amount_reads),
        reads_date="as_of" in reads.every,
        choose=plan.choices if plan.amounts and plan.amounts[0] and any(amount_reads) else None,
        shapes=shapes,
        codes=codes,
    )
    if len(_PREPARED) >= 4096:
        _PREPARED.clear()
    _PREPARED[id(plan)] = (plan, prepared)
    return prepared


def _reach(
    nodes: Sequence[frozenset[str]], changeable: frozenset[str]
) -> dict[str, frozenset[str]]:
    """For each changeable fact, the facts read by the criteria and amount rules (`nodes`, by
    what each reads) joined to it through changeable facts they share: a change of it can
    break such a node, whose repair changes the facts *it* reads, and so on (the closure
    `_shape` needs, made once per plan as the connected parts of nodes and changeable facts)."""
    part: dict[str, set[str]] = {p: {p} for p in changeable}  # changeable facts joined
    reads: dict[str, set[str]] = {p: set() for p in changeable}  # what their nodes read
    for node in nodes:
        mine = sorted(node & changeable)
        if not mine:
            continue
        joined = part[mine[0]]
        read = reads[mine[0]]
        for p in mine[1:]:
            other = part[p]
            if other is not joined:
                joined |= other
                read |= reads[p]
                for q in other:
                    part[q], reads[q] = joined, read
        read |= node
    made: dict[int, frozenset[str]] = {}
    return {p: made.setdefault(id(reads[p]), frozenset(reads[p])) for p in changeable}


@dataclass(frozen=True)
class _Reads:
    """What a plan's rules read and what follows from it alone, the same for the plans alike
    (`_likeness`: their rules are), worked out once for them (`_Shared.reads`); each is the
    `_Prepared` field of its name."""

    criterion_reads: tuple[frozenset[str], ...]
    amount_reads: tuple[frozenset[str], ...]
    every: frozenset[str]
    changeable: frozenset[str]
    read_as_is: frozenset[str]
    reach: dict[str, frozenset[str]]
    fixed_criteria: tuple[int, ...]
    unmeetable: frozenset[int]
    flat_recheck: bool
    way_keys: tuple[Reader, ...]


def _reads_of(plan: ProgrammePlan, conditions: Sequence[rules.Expr]) -> _Reads:
    policies = plan.policies
    criterion_reads = tuple(
        _reads(e for b in c.bound if b is not None for e in b) for c in plan.criteria
    )
    amount_reads = tuple(_reads((r.when, r.amount)) for variant in plan.amounts for r in variant)
    every = frozenset().union(*criterion_reads, *amount_reads)
    changeable = frozenset(
        p for p in every if p in policies.facts and policies.facts[p].change != "fixed"
    )
    fixed = frozenset(i for i, r in enumerate(criterion_reads) if not r & changeable)
    unmeetable = frozenset(
        i for i, c in enumerate(plan.criteria) if i not in fixed and _unmeetable(policies, c)
    )
    # Only a count (an income, a balance) has so many values that a key of its own value
    # would rarely be met again: a fact of a few values is read as it is (`_fixed_parts`).
    read_as_is = changeable | frozenset(
        p for p in every if p not in policies.facts or policies.facts[p].kind != "int"
    )
    return _Reads(
        criterion_reads=criterion_reads,
        amount_reads=amount_reads,
        every=every,
        changeable=changeable,
        read_as_is=read_as_is,
        reach=_reach((*criterion_reads, *amount_reads), changeable),
        fixed_criteria=tuple(sorted(fixed | unmeetable)),
        unmeetable=unmeetable,
        flat_recheck=_flat_recheck(policies, every, changeable),
        way_keys=tuple(_ways_reader(i, c, read_as_is) for i, c in enumerate(conditions)),
    )


@dataclass
class _Shared:
    """The searches, ways and wordings of the plans that decide and word suggestions alike
    (`_likeness`): a programme's plans of one profile in other years, or of profiles whose
    differences the suggestions never read."""

    policies: PolicySet
    ways: dict[tuple[object, ...], list[Assignment]] = field(default_factory=dict)
    templates: dict[tuple[object, ...], _Template] = field(default_factory=dict)
    made: dict[tuple[object, ...], _Entry] = field(default_factory=dict)
    readers: dict[tuple[int, ...], Reader] = field(default_factory=dict)
    # The conditions of the criteria and amount rules (`_Prepared`), made by the first plan.
    conditions: tuple[rules.Expr, ...] | None = None
    amount_conditions: tuple[rules.Expr, ...] | None = None
    reads: _Reads | None = None  # made by the first plan too


_SHARED: dict[tuple[int, bytes], _Shared] = {}
_encode = msgspec.json.Encoder(order="deterministic").encode


def _likeness(plan: ProgrammePlan) -> bytes:
    """All of a plan that a search or a suggestion's wording reads: the programme, each
    criterion's rule per variant (which alone decides its outcome code: `outcomes_function`),
    id, sources and general wording, the amount rules per variant and their sources, the
    name and unit, how many variants.  Two plans alike in these find the same ways, give them
    the same verdicts and amounts and word them the same (`_search`, `_raise_amount`,
    `_template`); what differs (warnings, the years they name, next steps) no suggestion
    reads.  Encoded as JSON: parameter values are ints, floats, booleans, strings or lists of
    them (`policy_file`), which all encode apart (3, 3.0, true, "3"); a parameter of another
    kind (a date beside a string that spells it) would need its type in here.  Whoever makes a
    search or a wording read more of a plan adds it here."""
    return _encode(
        (
            plan.programme.id,
            len(plan.variants),
            [(c.id, c.bound, c.sources, c.general) for c in plan.criteria],
            [[(r.when, r.amount) for r in variant] for variant in plan.amounts],
            plan.amount_sources,
            plan.amount_sources_unset,
            plan.name,
            plan.amount_unit,
        )
    )


def _shared(plan: ProgrammePlan) -> _Shared:
    try:
        likeness = _likeness(plan)
    except (TypeError, msgspec.EncodeError):
        return _Shared(plan.policies)  # a rule no encoding says: its plan shares nothing
    key = (id(plan.policies), likeness)
    found = _SHARED.get(key)
    if found is None or found.policies is not plan.policies:
        if len(_SHARED) >= 1024:
            _SHARED.clear()
        found = _SHARED[key] = _Shared(plan.policies)
    return found


# Shapes follow from which facts each criterion and amount rule reads (and the catalogue's
# classes): the plans of a programme's profiles and years mostly read the same, and share them,
# and so the shape (or None) of each outcome pattern (`_Prepared.codes`).
_Shapes = tuple[dict[tuple[int, ...], _Shape], dict[tuple[int, ...], "_Shape | None"]]
_SHAPES: dict[tuple[object, ...], tuple[PolicySet, _Shapes]] = {}


def _shared_shapes(
    policies: PolicySet,
    criterion_reads: tuple[frozenset[str], ...],
    amount_reads: tuple[frozenset[str], ...],
    flat_recheck: bool,
    tiers: bool,
    confirming: frozenset[int],
    unmeetable: frozenset[int],
) -> _Shapes:
    """The shapes by open criteria and by outcome pattern of the plans that read alike
    (`tiers`: one variant and a highest fixed amount, which an eligible answer's shape needs;
    `confirming`: the criteria confirmed at application, which `_open` reads; `unmeetable`:
    those no change meets, `_Prepared.unmeetable`, which `_shape_of` reads)."""
    key = (id(policies), criterion_reads, amount_reads, flat_recheck, tiers, confirming, unmeetable)
    found = _SHAPES.get(key)
    if found is None or found[0] is not policies:
        if len(_SHAPES) >= 1024:
            _SHAPES.clear()
        found = _SHAPES[key] = (policies, ({}, {}))
    return found[1]


# The facts `apply_changes` may drop from the changed applicant: a plan that reads none of them
# decides the changed applicant's flat facts as `{**facts, **way}` (the age, the only derived
# fact a suggestion changes, is then given: `derive.flatten` keeps a given age).
_DROPPED = frozenset(
    ("household.category", "household.monitoring_type", BIRTH_DATE, "person.id_number")
)


def _flat_recheck(policies: PolicySet, every: frozenset[str], changeable: frozenset[str]) -> bool:
    """Whether a plan reading `every` fact can re-check a way on the flat facts: it reads none
    that `apply_changes` drops, and each fact it may change is the bundled catalogue's (whose
    kinds, options and bounds the `Applicant` checks; a stored policy version's catalogue may
    differ, and then `determine` re-checks)."""
    if every & _DROPPED:
        return False
    bundled = {spec.path: spec for spec in bundled_catalogue().facts}
    return all(bundled.get(p) == policies.facts[p] for p in changeable)


def _status_holds(facts: Mapping[str, object], way: Assignment) -> bool:
    """Whether the changed status facts agree with one another, as `apply_changes` (through
    `Household`'s check, `household_status`) requires; the other facts a way may change are
    each checked by `_Solver.allowed` against the catalogue's kinds and bounds."""
    if not (_STATUS.intersection(way) or "household.risk_eliminated" in way):
        return True
    status = {
        name: way.get(f"household.{name}", facts.get(f"household.{name}")) for name in STATUS_FIELDS
    }
    kind = None if way.get("household.monitored") is False else status["monitoring_type"]
    try:
        household_status(
            poverty_alleviated=status["poverty_alleviated"],  # type: ignore[arg-type]
            monitored=status["monitored"],  # type: ignore[arg-type]
            monitoring_type=None if kind is None else MonitoringType(str(kind)),
        )
    except ValueError:
        return False
    return True


def _shape_of(plan: ProgrammePlan, prepared: _Prepared, codes: tuple[int, ...]) -> _Shape | None:
    """The shape of an outcome pattern not seen before (kept by it in `_Prepared.codes`), or
    None where no suggestion can exist for it: nothing the plan reads can change, an eligible
    answer where no higher tier can be named, or an open criterion no change can meet
    (`_Shape.none`, or whatever the facts: `_Prepared.unmeetable`).  The codes say the open
    criteria (not met or unknown) and the verdict (`verdict_of`)."""
    shape: _Shape | None = None
    if prepared.changeable and (prepared.tiers or not _reached(plan, verdict_of(codes), codes)):
        shape = _shape(plan, prepared, _open(codes, prepared.confirming))
        if shape.none or not prepared.unmeetable.isdisjoint(shape.to_meet):
            shape = None
    if len(prepared.codes) >= 8192:
        prepared.codes.clear()
    prepared.codes[codes] = shape
    return shape


def _open(codes: Sequence[int], confirming: frozenset[int]) -> tuple[int, ...]:
    """The criteria not met or unknown, in order; one confirmed at application (`confirming`)
    and unknown as `~i`, which no change need meet (`_Shape.to_meet`)."""
    found = tuple(compress(range(len(codes)), map(_OPEN_CODES.__contains__, codes)))
    if not confirming:
        return found
    return tuple(~i if i in confirming and codes[i] == UNKNOWN else i for i in found)


def _to_meet(codes: Sequence[int], confirming: frozenset[int]) -> list[int]:
    """The criteria a change must meet: not met, or unknown and not confirmed at application."""
    return [
        i
        for i, code in enumerate(codes)
        if code == NOT_MET or (code == UNKNOWN and i not in confirming)
    ]


def _reached(plan: ProgrammePlan, verdict: Verdict, codes: Sequence[int]) -> bool:
    """Whether the answer is what a suggestion aims at (`Programme.can_apply`): eligible, or
    waiting only on what is confirmed at application."""
    return verdict == "eligible" or plan.to_confirm(verdict, codes)


_OPEN_CODES = frozenset((NOT_MET, UNKNOWN))
# The open codes are the highest: a code is open where it is at least this (`_suggester`).
_FIRST_OPEN: Final = min(_OPEN_CODES)
assert all((code >= _FIRST_OPEN) == (code in _OPEN_CODES) for code in (SKIPPED, MET, *_OPEN_CODES))


# Not yet in `_Prepared.codes` (None there means no suggestion).
_UNSEEN: Final = _Shape((), (), (), True, (), False, False, False)


def _shape(plan: ProgrammePlan, prepared: _Prepared, open_criteria: tuple[int, ...]) -> _Shape:
    """The shape for the criteria not met or unknown (`open_criteria`, in order, as `_open`
    gives them)."""
    found = prepared.shapes.get(open_criteria)
    if found is not None:
        return found
    policies = plan.policies
    to_meet = tuple(i for i in open_criteria if i >= 0)
    if to_meet:
        start: set[str] = set().union(*(prepared.criterion_reads[i] for i in to_meet))
    else:  # eligible: the amount rules are what a change aims at
        start = set().union(*prepared.amount_reads)
    # Closed over the criteria and amount rules that share a changeable fact with it: those a
    # change can break, and so on (`_reach`).
    relevant = set(start)
    reach = prepared.reach
    for path in start & prepared.changeable:
        relevant |= reach[path]
    changed = relevant & prepared.changeable
    if changed & (_STATUS | {"household.risk_eliminated"}):
        # Applying a change of status re-checks the status facts together (`_status_holds`;
        # through `determine`, the 户类型 word too, which `apply_changes` drops).
        relevant |= _STATUS if prepared.flat_recheck else {*_STATUS, "household.category"}
    times = tuple(sorted(p for p in changed if policies.facts[p].change == "time"))
    fixed_only = tuple(i for i in to_meet if not prepared.criterion_reads[i] & changed)
    relevant.discard(BIRTH_DATE)
    read = tuple(sorted(relevant))
    ages = AGE in changed
    absolute = any(policies.facts[p].advances == "semesters" for p in times)
    choices_within = all(reads <= relevant for reads in prepared.amount_reads)
    found = prepared.shapes[open_criteria] = _Shape(
        relevant=read,
        open_criteria=open_criteria,
        fixed_only=fixed_only,
        none=bool(fixed_only) or not (to_meet or changed),
        times=times,
        ages=ages,
        absolute=absolute,
        choices_within=choices_within,
        # Neither the choices nor a day enter its key (`_key`).
        simple=choices_within and not (ages or absolute),
        to_meet=to_meet,
    )
    return found


def _search_reader(plan: ProgrammePlan, prepared: _Prepared, shape: _Shape) -> Reader:
    """The values a search of `shape` depends on, headed by its open criteria (`_key`): of the
    facts no change touches, what the rules a change reaches make of them (`_fixed_parts`);
    the rest, and the status facts and the 户类型 word (which re-checking a change of status
    reads: `_status_holds`, `determine`), as they are.  Made of the plan's own conditions, so
    kept with what plans alike share (`_Shared.readers`), not with the shape, which plans of
    other rules share."""
    open_criteria = shape.open_criteria
    to_meet = shape.to_meet
    relevant = set(shape.relevant)
    changed = relevant & prepared.changeable
    chosen = [
        i for i, reads in enumerate(prepared.criterion_reads) if i in to_meet or reads & changed
    ]
    reached = [prepared.conditions[i] for i in chosen]
    read_there = set().union(*(prepared.criterion_reads[i] for i in chosen))
    every_rule = [r for variant in plan.amounts for r in variant]  # as `amount_reads`
    for r, reads in zip(every_rule, prepared.amount_reads, strict=True):
        if not to_meet or reads & changed:
            reached += (r.when, r.amount)
            read_there |= reads
    raw, parts = _fixed_parts(reached, prepared.read_as_is)
    raw |= (relevant - read_there) | (relevant & (_STATUS | {"household.category"}))
    made = _parts_reader(open_criteria, raw, parts)
    if len(prepared.readers) >= 4096:
        prepared.readers.clear()
    prepared.readers[open_criteria] = made
    return made


# ---------------------------------------------------------------------------------------------
# Suggestions

Decided = tuple[Verdict, int | None]
# The caller's answer for the changed applicant on the day a suggestion names, under that
# day's rules (None: the changes contradict the applicant's other facts).
DayAnswer = Callable[[Suggestion], Determination | None]


# What deciding a changed applicant found besides its verdict and amount: the outcome codes
# and the choices of amount (None where no amount is weighed), which a search's wording reads
# again (`_templates`).
_Found = tuple[tuple[int, ...], "tuple[Choice, ...] | None"]


def _decided(plan: ProgrammePlan, facts: Mapping[str, object]) -> tuple[Decided, _Found]:
    """The verdict and amount the plan gives the facts, by the same semantics as
    `Plans.decide_under` (`verdict_of`, `weighs_amount`, `choose_amount`) without assembling the
    answer's wording (what checking a candidate change needs), with the codes and choices it
    found."""
    codes = plan.outcomes(facts)[0]
    verdict = verdict_of(codes)
    if not weighs_amount(verdict) or not plan.amounts[0]:
        return (verdict, None), (codes, None)
    choices = plan.choices(facts)
    amount, _, _ = choose_amount(choices)
    return (verdict, amount), (codes, choices)


# Two centuries before the last day Python can name: farther than any time fact moves (an age
# from 0 to 130, months of work), so every day a suggestion names before it exists.
_CALENDAR_END = dt.date(dt.MAXYEAR - 200, 1, 1)


def suggestions_for(
    plans: Plans,
    plan: ProgrammePlan,
    determination: Determination,
    facts: Mapping[str, object],
    as_of: dt.date,
    region_code: str | None,
    lang: Lang,
    recheck: Callable[[Suggestion], bool] | None = None,
    on_day: DayAnswer | None = None,
    key: Key | None = None,
) -> tuple[Suggestion, ...]:
    """The best few suggestions for one programme of the applicant's answer (none where it is
    eligible at the highest amount it can pay, or not in force), best first; only those
    `recheck` accepts (the caller's re-decision of the changed applicant).  `key`: the
    answer's `Key`, where the caller has it (`Plans.decide_plans_keyed`).

    The search depends only on the plan, the outcome pattern, the amount rules' choices and
    the values of the facts the open criteria read (with the criteria a change could break:
    `_Shape`), and on `as_of` only where ranking by day needs it: it is made once per such key
    (`_key`) and its wording kept as templates into which each applicant's dates are put.

    A suggestion that names a day is checked under the rules in force on that day: where that
    day's plan is another (a new year, a rule that starts or ends), it is decided on that day
    (where the plan cannot do it on the flat facts, by `on_day`, the caller's answer for the
    changed applicant then): offered with that day's amount if one to apply for then, else
    not offered; where the rules for that day are not confirmed (`Programme.confirmed_until`), its
    text says so.
    """
    if plan.not_in_force is not None or as_of >= _CALENDAR_END:
        # Near the calendar's end a time fact's day may not exist, and the searches kept by
        # key assume every applicant's days do: no suggestion for such a date at all.
        return ()
    prepared = _prepared(plan)
    if key is None:
        key = plan.decision.key(facts)
    codes = cast(tuple[int, ...], key[0])
    shape = prepared.codes.get(codes, _UNSEEN)
    if shape is None:
        return ()  # an outcome pattern already known to have no suggestion (`_shape_of`)
    return _searched(
        plans,
        plan,
        prepared,
        shape,
        determination,
        key,
        facts,
        as_of,
        region_code,
        lang,
        recheck,
        on_day,
    )


def _searched(
    plans: Plans,
    plan: ProgrammePlan,
    prepared: _Prepared,
    shape: _Shape,
    determination: Determination,
    key: Key,
    facts: Mapping[str, object],
    as_of: dt.date,
    region_code: str | None,
    lang: Lang,
    recheck: Callable[[Suggestion], bool] | None,
    on_day: DayAnswer | None,
) -> tuple[Suggestion, ...]:
    """`suggestions_for` past its guards, given the shape its outcome codes have
    (`_Prepared.codes`: `_UNSEEN` where not yet known, `_shape_of`; never None): for an
    eligible answer whether a higher tier pays more, then each open criterion's ways, then
    the search's key (`_key`), whose suggestions are those kept where they name no day (or
    there are none), else worked out and checked (`_suggestions`).  What most applicants
    run: look-ups only."""
    if shape is _UNSEEN:
        found = _shape_of(plan, prepared, key[0])  # type: ignore[arg-type]
        if found is None:
            return ()  # nothing can change, or a criterion no change can meet
        shape = found
    if not shape.to_meet:
        # Reached (`_reached`): with nothing not met and only criteria confirmed at
        # application unknown, the answer is eligible or waits only on those.
        amount = determination.amount
        top = prepared.top_amount
        if amount is None or top is None or top <= amount:
            return ()  # no higher tier (`_raise_amount` would find none)
    read = prepared.readers.get(shape.open_criteria) or _search_reader(plan, prepared, shape)
    values = read(facts)
    search = values if shape.simple else _key(prepared, shape, values, facts, as_of)
    entry = prepared.made.get(search)
    if entry is not None:
        # Kept only where every open criterion had a way: the values read here include all
        # that each one's ways are kept by (`_search_reader` reads the facts of their
        # conditions as `_ways_reader` does), so every applicant of the key has them too.
        if not entry.ways:
            return ()
        undated = entry.undated.get(lang)
        if undated is not None:
            return undated  # no day in them: the same suggestions for every applicant of the key
    else:
        known = prepared.ways
        way_keys = prepared.way_keys
        for i in shape.to_meet:
            each = known.get(way_keys[i](facts))
            if each is None:
                each = _criterion_ways(prepared, plans.policies, facts, i)
            if not each:
                # An open criterion no change meets here: the search would find none.
                # Kept as a search that found none, which the next applicant of the key
                # finds in one look-up.
                if len(prepared.made) >= 8192:
                    prepared.made.clear()
                prepared.made[search] = _NO_WAYS
                return ()
    return _suggestions(
        plans,
        plan,
        prepared,
        search,
        entry,
        determination,
        facts,
        as_of,
        region_code,
        lang,
        recheck,
        on_day,
        cast(tuple[int, ...], key[0]),
    )


def with_suggestions(
    plans: Plans,
    chosen: Sequence[ProgrammePlan],
    found: Sequence[Determination],
    keys: Sequence[Key | None],
    facts: Mapping[str, object],
    as_of: dt.date,
    region_code: str | None,
    lang: Lang,
    recheck: Callable[[Suggestion], bool] | None = None,
    on_day: DayAnswer | None = None,
) -> list[Determination]:
    """Each determination of the plans `chosen` (in order) with its `suggestions_for`, given
    their keys (`Plans.decide_plans_keyed`): what every applicant runs, so the programmes
    that can have none (most) cost one look-up each (the shape of their outcome codes,
    `_Prepared.codes`, in one generated function per tuple of plans: `_suggester`)."""
    made = list(found)
    if as_of >= _CALENDAR_END:
        return made  # as `suggestions_for`
    held = _SUGGESTERS.get(id(chosen))
    suggest = held[1] if held is not None and held[0] is chosen else _suggester(chosen)
    made = suggest(made, keys, plans, facts, as_of, region_code, lang, recheck, on_day)
    for i, d in enumerate(made):
        # Few answers have a suggestion: the programme's `suggest_when` is read for those.
        gate = chosen[i].programme.suggest_when if d.suggestions else None
        if gate is not None and rules.evaluate(gate, facts, {})[0] is False:
            made[i] = replace(d, suggestions=())
    return made


# `with_suggestions` past its guard for one tuple of plans: `_suggester`.
_Suggester = Callable[
    [
        list[Determination],
        Sequence["Key | None"],
        Plans,
        Mapping[str, object],
        dt.date,
        "str | None",
        Lang,
        "Callable[[Suggestion], bool] | None",
        "DayAnswer | None",
    ],
    list[Determination],
]
_SUGGESTERS: dict[int, tuple[Sequence[ProgrammePlan], _Suggester]] = {}


def _suggester(chosen: Sequence[ProgrammePlan]) -> _Suggester:
    """The loop of `with_suggestions` over the plans `chosen` as one generated function, kept
    by the tuple of plans (held, so its id stays its own; `with_suggestions` looks it up
    itself, and calls this for a tuple not seen): for each plan in force, the shape
    of its answer's outcome codes looked up (`_Prepared.codes`), and where it can have one,
    `_searched` with the plan and its preparation bound; the answer with its suggestions.
    Unrolled, as `Plans.decide_plans` decides several plans in one function.  Before the
    look-up, what the plan alone says (`_shape_of`'s cases that need no search): a plan that
    reads no changeable fact is left out, an answer with a criterion open that reads none or
    that no change meets (`_Prepared.fixed_criteria`) or, where no higher tier can be named, an
    eligible one has none: most programmes cost a comparison or two."""
    namespace: dict[str, object] = {"U": _UNSEEN, "searched": _searched, "replace": replace}
    lines = ["def suggest(made, keys, plans, facts, as_of, region_code, lang, recheck, on_day):"]
    for j, plan in enumerate(chosen):
        if plan.not_in_force is not None:
            continue  # its key is None: no suggestion
        prepared = _prepared(plan)
        if not prepared.changeable:
            continue  # nothing it reads can change (`_shape_of`)
        namespace.update({f"c{j}": prepared.codes.get, f"p{j}": plan, f"q{j}": prepared})
        # The key's codes, then its verdict (`Decision`): a criterion that reads no changeable
        # fact not open (its code below the open ones, `_OPEN_CODES`), and where the plan has
        # no higher tier, not eligible.
        # One confirmed at application may be unknown (`_open`), never not met.
        guards = [
            f"cs[{i}] != {NOT_MET}" if i in prepared.confirming else f"cs[{i}] < {_FIRST_OPEN}"
            for i in prepared.fixed_criteria
        ]
        if not prepared.tiers:
            guards.append("k[1] != 'eligible'")
        lines += [f"    k = keys[{j}]", "    cs = k[0]"]
        indent = "    "
        if guards:
            lines.append(f"    if {' and '.join(guards)}:")
            indent = "        "
        lines += [
            f"{indent}s = c{j}(cs, U)",
            f"{indent}if s is not None:",
            f"{indent}    d = made[{j}]",
            f"{indent}    f = searched(plans, p{j}, q{j}, s, d, k, facts, as_of, region_code,"
            " lang, recheck, on_day)",
            f"{indent}    if f:",
            f"{indent}        made[{j}] = replace(d, suggestions=f)",
        ]
    lines.append("    return made")
    made = cast(_Suggester, generated_function(namespace, lines, "suggest", "<suggestions>"))
    if isinstance(chosen, tuple):
        if len(_SUGGESTERS) >= 4096:
            _SUGGESTERS.clear()
        _SUGGESTERS[id(chosen)] = (chosen, made)
    return made


def _suggestions(
    plans: Plans,
    plan: ProgrammePlan,
    prepared: _Prepared,
    key: tuple[object, ...],
    entry: _Entry | None,
    determination: Determination,
    facts: Mapping[str, object],
    as_of: dt.date,
    region_code: str | None,
    lang: Lang,
    recheck: Callable[[Suggestion], bool] | None,
    on_day: DayAnswer | None,
    codes: tuple[int, ...],
) -> tuple[Suggestion, ...]:
    """`_searched` past its look-ups: the search for its key (`key`) made where it has no
    entry yet (`entry` None), its wording, and the days put in; `codes`: the answer's outcome
    codes, which the search and its wording read (not decided again)."""
    current = determination.amount if _reached(plan, determination.verdict, codes) else None
    deciding: dict[int, _Found] = {}  # what the search found deciding each way it kept
    if entry is None:
        ways = _search(plans, plan, determination, facts, as_of, codes, deciding)
        entry = _NO_WAYS if not ways else _Entry(ways=tuple(ways), current_amount=current)
        if not ways:
            pass  # nothing to re-check, word or date: one entry shared by every such key
        elif prepared.flat_recheck:
            entry.ways = tuple((w, d) for w, d in entry.ways if _status_holds(facts, w))
        elif recheck is not None:
            made = _templates(plans, plan, entry, facts, as_of, lang, codes, deciding)
            kept = [
                (way, template)
                for way, template in zip(entry.ways, made, strict=True)
                if recheck(_instance(template, facts, as_of))
            ]
            entry.ways = tuple(w for w, _ in kept)
            entry.templates[lang] = tuple(t for _, t in kept)
        if len(prepared.made) >= 8192:
            prepared.made.clear()
        prepared.made[key] = entry
    if not entry.ways:
        return ()
    undated = entry.undated.get(lang)
    if undated is not None:
        return undated  # no day in them: the same suggestions for every applicant of the key
    templates = entry.templates.get(lang)
    if templates is None:
        templates = _templates(plans, plan, entry, facts, as_of, lang, codes, deciding)
        entry.templates[lang] = templates
    if not any(t.dated for t in templates):
        undated = entry.undated[lang] = tuple(t.suggestion for t in templates)
        return undated
    found = [_instance(t, facts, as_of) for t in templates]
    return tuple(_on_its_day(plans, plan, found, facts, as_of, region_code, lang, on_day, current))


def _key(
    prepared: _Prepared,
    shape: _Shape,
    values: tuple[object, ...],
    facts: Mapping[str, object],
    as_of: dt.date,
) -> tuple[object, ...]:
    """What the search for the applicant depends on (the plan is the cache's own): which
    criteria are open, the amount rules' choices (where they do not follow from the values
    below: `_Shape.choices_within`), the values of the facts in `shape.relevant`, and for an
    age whether the birth date is known.  (Of the other criteria, those a change
    could break are decided by the facts in `relevant`; the rest stay met or skipped, which
    count alike.)  `as_of` (and the birth date) only where the order
    of the days can depend on it: a semester, or more than one time fact with an age worked
    out from a birth date, or an age that does not follow from the birth date given; else
    every day is a whole number of months after `as_of` (or a birthday, the only day), and
    days compare as the values they reach.  A shape with no choices or day in it
    (`_Shape.simple`) has its values, headed by the open criteria, as its key: a key of
    another shape is a tuple of four headed by other criteria, or holding a tuple, which no
    fact's value is."""
    if shape.simple:
        return values  # the open criteria and the values, nothing else
    # The amount rules' choices (constant where they read no fact: the plan's own).
    choose = prepared.choose
    choices = None if choose is None or shape.choices_within else choose(facts)
    day: object = as_of if shape.absolute else None
    if shape.ages:
        born = facts.get(BIRTH_DATE)
        if isinstance(born, str):
            age = facts.get(AGE)
            if (
                shape.absolute
                or len(shape.times) > 1
                or age != age_on(dt.date.fromisoformat(born), as_of)
            ):
                day = (as_of, born)
            else:
                day = True  # the birthday is the only day, later as the age is higher
    return shape.open_criteria, choices, values, day


def _criterion_ways(
    prepared: _Prepared, policies: PolicySet, facts: Mapping[str, object], index: int
) -> list[Assignment]:
    """`_Solver.ways` for criterion `index`'s condition to hold, kept per the values of the
    facts the condition reads (all that `_Solver.ways` reads of them: values, and the facts'
    own values it changes from).  Callers only read the list and its assignments."""
    key = prepared.way_keys[index](facts)
    found = prepared.ways.get(key)
    if found is None:
        found = _Solver(policies, facts).ways(prepared.conditions[index], True)
        if len(prepared.ways) >= 16_384:
            prepared.ways.clear()
        prepared.ways[key] = found
    return found


def _search(
    plans: Plans,
    plan: ProgrammePlan,
    determination: Determination,
    facts: Mapping[str, object],
    as_of: dt.date,
    codes: Sequence[int],
    found: dict[int, _Found],
) -> list[tuple[Assignment, Decided]]:
    """The ways kept, best first, each with the verdict and amount it gives; `codes`: the
    answer's outcome codes (its `Key`'s).  What deciding each way kept found is put in
    `found`, by the way's id."""
    if _reached(plan, determination.verdict, codes):
        return _raise_amount(plans, plan, determination, facts, as_of, found)
    prepared = _prepared(plan)
    open_criteria = _to_meet(codes, prepared.confirming)
    candidates = _combine(
        [
            _best(_criterion_ways(prepared, plans.policies, facts, i), facts, plans, as_of)
            for i in open_criteria
        ]
    )
    # Best first: once SHOWN have been found, every one left ranks after them.  A candidate
    # containing one already kept is not minimal; one that breaks another criterion is repaired
    # by a further change (which ranks it later) or dropped.
    queue: list[tuple[tuple[object, ...], int, Assignment, int]] = []
    order = count()  # ties in rank never compare the assignments
    for way in candidates:
        heapq.heappush(queue, (_rank(way, facts, plans, as_of), next(order), way, 0))
    kept: list[tuple[Assignment, Decided]] = []
    seen: set[tuple[tuple[str, object], ...]] = set()
    tried = 0
    while queue and len(kept) < SHOWN and tried < _COMBINATIONS:
        _, _, candidate, depth = heapq.heappop(queue)
        key = tuple(sorted(candidate.items(), key=lambda item: item[0]))
        if key in seen or any(_contains(candidate, k) for k, _ in kept):
            continue
        seen.add(key)
        tried += 1
        changed = {**facts, **candidate}
        decided, got = _decided(plan, changed)
        if _reached(plan, decided[0], got[0]):
            kept.append((candidate, decided))
            found[id(candidate)] = got
            continue
        if depth >= _REPAIRS:
            continue
        still = _to_meet(got[0], prepared.confirming)
        extra = _combine([_criterion_ways(prepared, plans.policies, changed, i) for i in still])
        for more in _best(extra, changed, plans, as_of, _WAYS_PER_CRITERION):
            # A repair may move a fact the candidate already changes (a 15-year-old's loan:
            # 16 leaves the capacity of a 16- or 17-year-old to ask, 18 does not): the way is
            # decided again as a whole when it is taken, so it is kept only if it still meets
            # what the first change met.
            way = {**candidate, **more}
            if way != candidate:
                rank = _rank(way, facts, plans, as_of)
                heapq.heappush(queue, (rank, next(order), way, depth + 1))
    return kept


def _raise_amount(
    plans: Plans,
    plan: ProgrammePlan,
    determination: Determination,
    facts: Mapping[str, object],
    as_of: dt.date,
    found: dict[int, _Found],
) -> list[tuple[Assignment, Decided]]:
    """For an eligible programme paying a known amount: the changes that make a higher tier
    decide, keeping it eligible.  Only where the region has one variant (else the region, not
    a fact, decides the tier).  What deciding each way kept found is put in `found`."""
    current = determination.amount
    if current is None or len(plan.variants) != 1:
        return []
    solver = _Solver(plans.policies, facts)
    kept: list[tuple[Assignment, Decided]] = []
    for index, rule in enumerate(plan.amounts[0]):
        if not isinstance(rule.amount, rules.Const):
            continue
        value = rule.amount.value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= current:
            continue
        ways = solver.ways(_prepared(plan).amount_conditions[index], True)
        for candidate in _best(ways, facts, plans, as_of, _WAYS_PER_CRITERION):
            decided, got = _decided(plan, {**facts, **candidate})
            if decided[1] == int(value) and _reached(plan, decided[0], got[0]):
                kept.append((candidate, decided))
                found[id(candidate)] = got
    kept = [
        (c, d)
        for c, d in kept
        if not any(o is not c and _contains(c, o) and (od[1] or 0) >= (d[1] or 0) for o, od in kept)
    ]
    kept.sort(key=lambda item: (-(item[1][1] or 0), _rank(item[0], facts, plans, as_of)))
    return kept[:SHOWN]


def _contains(bigger: Assignment, smaller: Assignment) -> bool:
    return all(bigger.get(k, _MISSING) == v for k, v in smaller.items())


def _best(
    ways: list[Assignment],
    facts: Mapping[str, object],
    plans: Plans,
    as_of: dt.date,
    limit: int = _WAYS_PER_CRITERION,
) -> list[Assignment]:
    return sorted(ways, key=lambda way: _rank(way, facts, plans, as_of))[:limit]


def _rank(
    way: Assignment, facts: Mapping[str, object], plans: Plans, as_of: dt.date
) -> tuple[int, int, dt.date, tuple[str, ...]]:
    """Fewest facts changed, then easiest (time < choice < decided), then the earliest day."""
    ease = 0
    day = as_of
    for path, value in way.items():
        spec = plans.policies.facts[path]
        ease += EASE[spec.change]
        on = change_date(spec, facts, path, value, as_of)
        if on is not None and on > day:
            day = on
    return len(way), ease, day, tuple(sorted(way))


def change_date(
    spec: FactSpec, facts: Mapping[str, object], path: str, value: object, as_of: dt.date
) -> dt.date | None:
    """The day a time fact reaches `value` from the applicant's own (None: not a time fact,
    its value now is unknown, or the day is past the calendar's end)."""
    before = facts.get(path)
    if spec.change != "time" or before is None:
        return None
    if spec.advances == "months" and isinstance(before, int) and isinstance(value, int):
        return add_months(as_of, value - before)
    if spec.advances == "years" and isinstance(before, int) and isinstance(value, int):
        born = facts.get("person.birth_date")
        if isinstance(born, str):
            return birthday(dt.date.fromisoformat(born), value)
        # Only the age is known: the birthday falls within the year; say the latest day.
        return add_months(as_of, 12 * (value - before))
    if spec.advances == "semesters" and isinstance(value, str):
        return semester_start(value, as_of)
    return None


# ---------------------------------------------------------------------------------------------
# Words


# A choice that is what the money is used for, not a label on a form: the suggestion says the
# money would go to another use, never "change the purpose from X to Y", which reads as coaching
# to write down another purpose (户借户用户还: the loan must really be used as lent).
# `{to}`/`{before}`: the option's words; `{before}` only where the current use is known.
_USE_WORDS: dict[str, dict[Lang, tuple[str, str]]] = {
    "loan_request.purpose": {
        "zh": (
            "如果贷款用于{to}",
            "如果这笔贷款不用于{before}，而是用于{to}（钱要真的这样用，不是只改填的用途）",
        ),
        "en": (
            "if a loan is used for {to}",
            "if the loan is used for {to} instead of {before} (the money must really be spent "
            "so, not just the purpose written down differently)",
        ),
    },
}


def _change_words(
    change: Change, spec: FactSpec, policies: PolicySet, lang: Lang, day: str | None
) -> str:
    """One change in plain words: "再过2个月（2027年1月5日起）连续务工月数满3个月" (`day`: the
    words of the day it happens, None where it names none)."""
    label = spec.label.in_(lang)
    unit = UNIT_WORDS[spec.unit][lang] if spec.unit else ""
    to = show_fact(policies, change.fact, change.to, lang)
    before = (
        None if change.before is None else show_fact(policies, change.fact, change.before, lang)
    )
    if day is not None and isinstance(change.to, int) and isinstance(change.before, int):
        diff = change.to - change.before
        if spec.advances == "years":
            if lang == "zh":
                return f"{day}满{to}周岁" if change.exact else f"最迟{day}满{to}周岁"
            at = f"on {day}" if change.exact else f"by {day} at the latest"
            return f"you turn {to} {at}"
        if lang == "zh":
            return f"再过{diff}{unit}（{day}起）{label}满{to}{unit}"
        more = unit[:-1] if diff == 1 and unit.endswith("s") else unit
        return f"in {diff} more {more} (from {day}) your {label.lower()} reach {to}"
    if day is not None:
        return f"{day}起{label}为“{to}”" if lang == "zh" else f"from {day}, {label.lower()}: {to}"
    # Only from a value the household gave: "被认定为…以后" presumes it is not so now.
    becoming = (
        None
        if change.before is None
        else next((b for b in spec.becomes if b.value == change.to), None)
    )
    if becoming is not None:
        said = becoming.zh if lang == "zh" else becoming.en
        if change.decided_by is None:
            return said
        return f"{said}（{change.decided_by}）" if lang == "zh" else f"{said} ({change.decided_by})"
    use = _USE_WORDS.get(change.fact)
    if use is not None:
        unknown, known = use[lang]
        if lang == "en":
            to = to[:1].lower() + to[1:]
            before = None if before is None else before[:1].lower() + before[1:]
        return unknown.format(to=to) if before is None else known.format(to=to, before=before)
    if change.before is None:
        # Not known yet: say whose decision it is where someone else decides it.
        # The label quoted, as the name of what is asked: most labels are statements
        # ("村里、县里认定有帮扶需求"), which read run together with their value
        # ("如果村里、县里认定有帮扶需求是“是”", "if found in need of support … is yes").
        if lang == "zh":
            said = f"如果“{label}”是“{to}{unit}”"
            return said if change.decided_by is None else f"{said}（{change.decided_by}）"
        said = f"if “{label.lower()}” is {to} {unit}".rstrip()
        return said if change.decided_by is None else f"{said} ({change.decided_by})"
    if change.decided_by is not None:
        if lang == "zh":
            return f"“{label}”由“{before}”变为“{to}”（{change.decided_by}）"
        return f"{label} changes from '{before}' to '{to}' ({change.decided_by})"
    if lang == "zh":
        return f"“{label}”从“{before}{unit}”改为“{to}{unit}”"
    return f"{label} changed from {before} to {to} {unit}".rstrip()


@dataclass(frozen=True)
class _Template:
    """A suggestion's wording for every applicant of a search key: the changes without their
    days, for each change that names a day how to reckon it (`change_date`), and the text with
    a placeholder where each day goes."""

    suggestion: Suggestion  # `on` and the changes' days unset; the text with placeholders
    # (change, spec, fact, value, the placeholder of its day in the text)
    dated: tuple[tuple[int, FactSpec, str, object, str], ...]
    lang: Lang


def _placeholder(index: int) -> str:
    return f"\x00{index}\x00"


_UNCONFIRMED: dict[Lang, str] = {
    "zh": "{year}年的标准还没有核实，请以县里公布的为准。",
    "en": "The rules for {year} have not been verified yet; what your county announces prevails.",
}


def _templates(
    plans: Plans,
    plan: ProgrammePlan,
    entry: _Entry,
    facts: Mapping[str, object],
    as_of: dt.date,
    lang: Lang,
    codes: Sequence[int] | None = None,
    searched: Mapping[int, _Found] | None = None,
) -> tuple[_Template, ...]:
    """The templates of an entry's ways, each kept per plan by all its wording reads: the
    way, what it gives, the values it changes from, whether the birth date is known, the
    criteria it makes met and the amount rule it brings (alike ways of many keys share one).
    `codes`: the answer's outcome codes, and `searched`: what the search found deciding each
    way (`_search`), where the caller has them."""
    prepared = _prepared(plan)
    born = isinstance(facts.get(BIRTH_DATE), str)
    before = plan.outcomes(facts)[0] if codes is None else codes
    made = []
    for way, decided in entry.ways:
        seen = None if searched is None else searched.get(id(way))
        after = plan.outcomes({**facts, **way})[0] if seen is None else seen[0]
        satisfied = tuple(
            i
            for i, (was, now) in enumerate(zip(before, after, strict=True))
            if was in (NOT_MET, UNKNOWN) and now in (MET, SKIPPED)
        )
        rule: int | None = None
        # Not eligible, the criteria left to the bank or county (`_reached`), whose wording
        # says who checks them, and the amount's own note, which says what the figure is (a
        # transition cap the bank confirms in January 2026, a 帮扶小额信贷's highest).
        waiting = () if decided[0] == "eligible" else _open(after, prepared.confirming)
        amount_note: str | None = None
        if entry.current_amount is not None or (waiting and decided[1] is not None):
            choices = None if seen is None else seen[1]
            if choices is None:
                choices = plan.choices({**facts, **way})
            if entry.current_amount is not None:
                rule = choices[0][0]
            else:
                amount_note = plan.amount(choices, lang)[1]
        key = (
            lang,
            tuple(sorted(way.items())),
            tuple([facts.get(p) for p in sorted(way)]),
            decided,
            born,
            satisfied,
            entry.current_amount,
            rule,
            waiting,
            worded := tuple(i for i in satisfied if i not in prepared.never_met),
            amount_note,
        )
        found = prepared.templates.get(key)
        if found is None:
            found = _template(
                plans,
                plan,
                way,
                decided,
                facts,
                as_of,
                lang,
                entry.current_amount,
                satisfied,
                rule,
                tuple(~i for i in waiting if i < 0),
                worded,
            )
            if amount_note:
                noted = _noted(found.suggestion, amount_note, lang)
                found = _Template(suggestion=noted, dated=found.dated, lang=found.lang)
            if len(prepared.templates) >= 8192:
                prepared.templates.clear()
            prepared.templates[key] = found
        made.append(found)
    return tuple(made)


# A rule the counties set differently, where the county is not known (`_set_by_county`): the
# suggestion first asks for the county, and says the rule as the county's, with no figure.
_ASK_COUNTY: dict[Lang, str] = {
    "zh": "{name}对{what}的要求各县不一样，告诉我们您家在哪个县，才能算准要怎样才能办。",
    "en": "{name}: counties set their own rules on {what}; tell us your county to work out "
    "exactly what it takes.",
}
_COUNTY_RULE: dict[Lang, str] = {
    "zh": "{what}要符合县里的规定",
    "en": "{what} as your county sets it",
}


# A suggestion that makes the answer one to apply for, with what is confirmed at application
# still open (`_reached`): it says so, and who checks, never "能办".
_CHECKED_AT_APPLICATION: dict[Lang, str] = {
    "zh": "，剩下的条件由{who}办理时审核",
    "en": "; {who} will check the rest when you apply",
}
_CONFIRMER_WORDS: dict[str, dict[Lang, str]] = {
    "bank": {"zh": "银行", "en": "the bank"},
    "county": {"zh": "县里", "en": "the county"},
}
_CONFIRMER_JOIN: dict[Lang, str] = {"zh": "和", "en": " and "}


def _set_by_county(criterion: CriterionPlan, lang: Lang) -> bool:
    """Whether the places the applicant's region code may stand for (no code, or a province's)
    apply the criterion differently: its rule differs between the plan's variants (a county's
    own figure, or a rule only some counties have), or its wording names a local figure."""
    first = criterion.bound[0]
    return LOCAL_FIGURE[lang] in criterion.general[lang] or any(
        bound != first for bound in criterion.bound[1:]
    )


def _labels(policies: PolicySet, paths: Sequence[str], lang: Lang) -> str:
    """The facts' labels as a list in words ("年龄、连续务工月数"; "age and months in this job")."""
    labels = [policies.facts[p].label.in_(lang) for p in paths]
    if lang == "zh":
        return "、".join(labels)
    labels = [label[:1].lower() + label[1:] for label in labels]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def _template(
    plans: Plans,
    plan: ProgrammePlan,
    way: Assignment,
    decided: Decided,
    facts: Mapping[str, object],
    as_of: dt.date,
    lang: Lang,
    current_amount: int | None,
    met: tuple[int, ...],
    rule: int | None,
    waiting: tuple[int, ...] = (),
    worded: tuple[int, ...] | None = None,
) -> _Template:
    """The wording of one verified way; it cites the criteria the way makes met (`met`) and,
    raising an amount, the sources of the amount rule it brings (`rule`); `waiting`: the
    criteria still unknown, left to whoever confirms them at application, which it names;
    `worded`: of `met`, those its basis words (default all): a `null` criterion the way makes
    not apply (a minor's capacity, at 16) is cited, but its wording states the obstacle, never
    a rule met ("依据：借款人没有完全民事行为能力" read as its opposite).  It reads
    no day: only which change names one."""
    policies = plans.policies
    satisfied: list[CriterionPlan] = [plan.criteria[i] for i in met]
    changes: list[Change] = []
    dated: list[tuple[int, FactSpec, str, object, str]] = []
    words: list[str] = []
    for path in sorted(way, key=lambda p: (EASE[policies.facts[p].change], policies.fact_rank(p))):
        spec = policies.facts[path]
        exact = not (spec.advances == "years" and not isinstance(facts.get(BIRTH_DATE), str))
        change = Change(
            fact=path,
            label=spec.label.in_(lang),
            change=spec.change,  # type: ignore[arg-type]
            before=_wire(facts.get(path)),
            to=_known(way[path]),
            on=None,
            exact=exact,
            decided_by=None if spec.decided_by is None else spec.decided_by.in_(lang),
        )
        day: str | None = None
        if change_date(spec, facts, path, way[path], as_of) is not None:
            day = _placeholder(len(changes))
            dated.append((len(changes), spec, path, way[path], day))
        changes.append(change)
        words.append(_change_words(change, spec, policies, lang, day))
    sources: list[str] = []
    for c in satisfied:
        # The criterion's sources in force for the applicant's region and date, as its answer
        # cites them: never another county's table.
        sources.extend(s for s in c.sources if s not in sources)
    if current_amount is not None:
        # The sources of the amount the change brings, as the plan's answer would cite them.
        cited = plan.amount_sources_unset if rule is None else plan.amount_sources[rule]
        sources.extend(s for s in cited if s not in sources)
    # "如果A，B，C": one "if" for the facts not yet known.
    prefix = "如果" if lang == "zh" else "if "
    words = [
        w.removeprefix(prefix) if i and words[i - 1].startswith(prefix) else w
        for i, w in enumerate(words)
    ]
    # A rule the counties the region code may stand for set differently (no county given, or
    # only a province's): the way meets it in every one found here, but its wording has no
    # figure to name ("年龄在（按当地标准）到（按当地标准）之间" read as a number), and a county not
    # found may ask otherwise.  Said as the county's rule, after asking for the county.
    ordered = sorted(way, key=policies.fact_rank)
    local: list[str] = []  # the changed facts such rules read, in the asking order
    rule_words: list[str] = []
    reads = _prepared(plan).criterion_reads
    for i, c in zip(met, satisfied, strict=True):
        if worded is not None and i not in worded:
            continue
        if _set_by_county(c, lang):
            read = reads[i]
            mine = [p for p in ordered if p in read] or ordered
            local.extend(p for p in mine if p not in local)
            said_rule = _COUNTY_RULE[lang].format(what=_labels(policies, mine, lang))
        else:
            said_rule = c.general[lang]
        if said_rule not in rule_words:
            rule_words.append(said_rule)
    # What meeting a rule does not settle (the strictest figure found, not the county's own);
    # where the rule is said as the county's, after asking for the county, that says it.
    notes = (
        []
        if local
        else list(
            dict.fromkeys(
                c.criterion.spec.way_note.in_(lang)
                for c in satisfied
                if c.criterion.spec.way_note is not None
            )
        )
    )
    name = plan.name[lang]
    unit = plan.amount_unit[lang] or ""
    # A way that changes the sum asked names it: the programme's amount beside it (a loan's
    # cap) read as what the household gets ("申请金额从80000元改为50000元，就可以申请帮扶小额
    # 信贷（100000元（最高贷款额度））").
    amount_said = decided[1] is not None and not any(
        policies.facts[p].change == "choice" and policies.facts[p].unit == "yuan" for p in way
    )
    # One to apply for, not yet eligible (`_reached`): who still checks what is left open.
    confirmers = dict.fromkeys(plan.criteria[i].criterion.spec.confirmed_by for i in waiting)
    who = _CONFIRMER_JOIN[lang].join(_CONFIRMER_WORDS[c][lang] for c in confirmers if c)
    checks = _CHECKED_AT_APPLICATION[lang].format(who=who) if who else ""
    # The changes, what they give, then the rules they meet: each part kept apart as well.
    if lang == "zh":
        said = "，".join(words)
        if current_amount is None:
            gives = f"，就可以申请{name}"
            if amount_said:
                gives += f"（{decided[1]}{unit}）"
            gives += checks
        else:
            gives = f"，{name}可以领{decided[1]}{unit}（现在是{current_amount}）"
            gives += checks  # more, still to be confirmed where the answer was
        basis = (f"依据：{'；'.join(rule_words)}。" if rule_words else "") + "".join(notes)
        text = f"{said}{gives}。{basis}"
        if local:
            ask = _ASK_COUNTY[lang].format(name=name, what=_labels(policies, local, lang))
            text = f"{ask}照这里查到的规定算，{text}"
    else:
        said = " and ".join(words)
        # The programme's name quoted (a title, which takes no article: "apply for Yulu
        # Plan"), the amount after a comma (its unit may hold brackets of its own: "(once)").
        if current_amount is None:
            gives = f": then you can apply for “{name}”"
            if amount_said:
                gives += f", {decided[1]} {unit}".rstrip()
            gives += checks
        else:
            gives = f": then “{name}” pays {decided[1]} {unit} (now {current_amount})"
            gives += checks  # more, still to be confirmed where the answer was
        heading = "Rule" if len(rule_words) == 1 else "Rules"
        rule_said = f"{heading}: {'; '.join(rule_words)}." if rule_words else ""
        basis = " ".join(part for part in (rule_said, *notes) if part)
        text = f"{said}{gives}." + (f" {basis}" if basis else "")
        if local:
            ask = _ASK_COUNTY[lang].format(name=name, what=_labels(policies, local, lang))
            text = f"{ask} Under the rules found here, {text}"
        else:
            text = text[:1].upper() + text[1:]
        said = said[:1].upper() + said[1:]
    suggestion = Suggestion(
        programme=plan.programme.id,
        changes=tuple(changes),
        verdict=decided[0],
        amount=decided[1],
        on=None,
        criteria=tuple(c.id for c in satisfied),
        sources=tuple(sources),
        text=text,
        changes_text=said,
        basis_text=basis,
    )
    return _Template(suggestion=suggestion, dated=tuple(dated), lang=lang)


def _instance(template: _Template, facts: Mapping[str, object], as_of: dt.date) -> Suggestion:
    """The template with the applicant's days (counted from `as_of`) put in."""
    if not template.dated:
        return template.suggestion
    suggestion = template.suggestion
    changes = list(suggestion.changes)
    text = suggestion.text
    said = suggestion.changes_text
    on: dt.date | None = None
    for index, spec, path, value, placeholder in template.dated:
        day = change_date(spec, facts, path, value, as_of)
        assert day is not None  # the key holds what makes it one
        changes[index] = replace(changes[index], on=day)
        words = date_words(day, template.lang)
        text = text.replace(placeholder, words)
        said = said.replace(placeholder, words)
        on = day if on is None or day > on else on
    return replace(suggestion, changes=tuple(changes), on=on, text=text, changes_text=said)


def _on_its_day(
    plans: Plans,
    plan: ProgrammePlan,
    found: Iterable[Suggestion],
    facts: Mapping[str, object],
    as_of: dt.date,
    region_code: str | None,
    lang: Lang,
    on_day: DayAnswer | None,
    current: int | None,
) -> Iterable[Suggestion]:
    """The suggestions as they hold on the day they name, under the rules in force then: a day
    under another parameter profile (a rule that starts or ends, or stops being confirmed) that
    is not alike today's in all the search reads (`_alike_on`), or with an age that moves on by
    itself (worked out from a birth date), is re-decided on that day (`_on_the_day`), and a
    suggestion eligible then with another amount is offered with
    that day's; a day after the rules were last confirmed for the region is said to be
    unverified.  (A day in another year under the same profile has the same rules: the plan
    differs only in the year its warnings name.)  `current`: the amount an eligible answer
    pays now, which a suggestion for it must still beat on its day."""
    prepared = _prepared(plan)
    confirmed = prepared.confirmed.get(region_code, _MISSING)
    if confirmed is _MISSING:
        confirmed = prepared.confirmed[region_code] = plan.programme.confirmed_until(region_code)
    # The same region code is in the same profile on a later day unless one of the dates the
    # profiles turn on (`Profiles.dates`) falls between (`Profiles.profile_of`).
    dates = plans.profiles(plan.programme).dates
    bucket = bisect_right(dates, as_of)
    ages = isinstance(facts.get(BIRTH_DATE), str)
    for suggestion in found:
        day = suggestion.on
        if day is None:
            yield suggestion
            continue
        if not ages:
            then_bucket = bisect_right(dates, day)
            alike = then_bucket == bucket
            if not alike:
                at = (region_code, then_bucket, day.year)
                found_alike = prepared.alike.get(at)
                if found_alike is None:
                    if len(prepared.alike) >= 4096:
                        prepared.alike.clear()
                    found_alike = prepared.alike[at] = _alike_on(plans, plan, day, region_code)
                alike = found_alike
        if ages or not alike:
            then = _on_the_day(
                plans, plan, suggestion, facts, as_of, region_code, day, ages, lang, on_day, current
            )
            if then is None:
                continue
            suggestion = then
        if isinstance(confirmed, dt.date) and day > confirmed:
            suggestion = _noted(suggestion, _UNCONFIRMED[lang].format(year=day.year), lang)
        yield suggestion


def _alike_on(plans: Plans, plan: ProgrammePlan, day: dt.date, region_code: str | None) -> bool:
    """Whether the rules in force on `day` (`Plans.rules_on`) decide and word suggestions as
    `plan` does: in force, and alike in all a search and its wording read (`_likeness`: they
    share its searches), where neither reads `as_of` itself.  A suggestion then holds on that
    day as it is, as on a day under the same profile (another county's rule that starts, or
    a date the region's rules do not turn on)."""
    on = plans.rules_on(plan.programme, region_code, day)
    if on is plan:
        return True
    if on.not_in_force is not None:
        return False
    mine, theirs = _prepared(plan), _prepared(on)
    return theirs.made is mine.made and not (mine.reads_date or theirs.reads_date)


def _noted(suggestion: Suggestion, note: str, lang: Lang) -> Suggestion:
    """The suggestion with a note after its words, and after its basis."""
    space = "" if lang == "zh" else " "
    basis = suggestion.basis_text
    return replace(
        suggestion,
        text=f"{suggestion.text}{space}{note}",
        basis_text=f"{basis}{space}{note}" if basis else note,
    )


def _on_the_day(
    plans: Plans,
    plan: ProgrammePlan,
    suggestion: Suggestion,
    facts: Mapping[str, object],
    as_of: dt.date,
    region_code: str | None,
    day: dt.date,
    ages: bool,
    lang: Lang,
    on_day: DayAnswer | None,
    current: int | None,
) -> Suggestion | None:
    """The suggestion as it holds on `day`, under that day's plan: itself where it gives what
    it says; reworded with that day's amount (`_as_decided_then`) where it is one to apply for
    with another one (and, for an answer to apply for now, still more than `current`); None
    where it is not one to apply for then, or a change is not needed then (`_not_needed`).
    Where no fact moves on by itself (no age worked out from a birth date) and neither plan
    reads a fact `apply_changes` drops, the changed applicant's facts on that day are its facts
    now with the changes made, decided by that day's plan's code
    (`_decided`, the semantics of `Plans.decide_under`); else the caller decides it
    (`on_day`).  Checked and reworded with a plan of that day's profile of any year
    (`Plans.rules_on`)."""
    on = plans.rules_on(plan.programme, region_code, day)
    if on.not_in_force is not None:
        return None  # not in force that day: `ineligible`
    said = (suggestion.verdict, suggestion.amount)
    then: Determination | None = None
    changed: dict[str, object] | None = None
    by_determine = ages or not (_prepared(plan).flat_recheck and _prepared(on).flat_recheck)
    if by_determine:
        then = None if on_day is None else on_day(suggestion)
        gives = (
            None
            if then is None or not on.programme.answer_can_apply(then)
            else (then.verdict, then.amount)
        )
    else:
        # Its verdict and amount only (`_decided`): the answer in full, under that day's own
        # plan, only where the suggestion is reworded with it (below).
        changed = {**facts, **{c.fact: c.to for c in suggestion.changes}, "as_of": day.isoformat()}
        gives = _reaching(on, changed)
    if gives is None:
        return None  # neither eligible nor one to apply for on that day
    profiles = plans.profiles(plan.programme)
    if gives == said and profiles.profile_of(region_code, day) == profiles.profile_of(
        region_code, as_of
    ):
        return suggestion  # today's rules: the search found no change it does not need
    if gives != said and current is not None and (gives[1] is None or gives[1] <= current):
        return None  # a higher tier now, but not more than is paid now on that day
    for left_out, change in enumerate(suggestion.changes):
        if ages and change.fact == AGE:
            continue  # the birth date makes it on that day by itself
        # The changes were found under today's rules: one that day's rules do not need (临猗
        # 2024 sets no minimum months; a 2026 帮扶小额信贷 reads no loan purpose the old way)
        # would have the household do what it need not, or wait longer than it must.  Such a
        # suggestion is not offered (review2 F1); the search is today's, not that day's.  Also
        # where that day gives what it says: 广西 from 2022-05-22 asks no 就业困难人员
        # recognition, so a 10-year-old's way in on turning 16 is not the age and recognition.
        rest = replace(
            suggestion, changes=suggestion.changes[:left_out] + suggestion.changes[left_out + 1 :]
        )
        if by_determine:
            without = None if on_day is None else on_day(rest)
            fewer_gives = (
                (without.verdict, without.amount)
                if without is not None and on.programme.answer_can_apply(without)
                else None
            )
        else:
            fewer = {**facts, **{c.fact: c.to for c in rest.changes}, "as_of": day.isoformat()}
            fewer_gives = _reaching(on, fewer)
        if fewer_gives is not None and _not_needed(on, fewer_gives, gives, current):
            return None
    if gives == said:
        return suggestion  # another day's rules, needing every change too
    # Reworded with the same plan: one of that day's profile built for another year words
    # the day's answer as its own would (the plans of a profile differ only in the year their
    # warnings and yearly windows name, `Profiles`, which neither the answer's parts read below
    # nor a suggestion's wording reads), so no plan is built for that year alone.
    if then is None:
        assert changed is not None  # decided on the flat facts above
        then = plans.decide_under(on, changed, "", region_code, day, lang)
    return _as_decided_then(plans, on, suggestion, then, facts, as_of, lang, current)


def _not_needed(on: ProgrammePlan, fewer: Decided, gives: Decided, current: int | None) -> bool:
    """Whether a change left out is not needed on its day, where the fewer changes already give
    an answer to apply for (`fewer`): they give the same; or, aiming at an answer to apply for
    (not at more money: `current` None), the change only names a figure, a loan's cap (an
    asked amount cut to 5万 for "50000" where the bank confirms the 8万 asked) or one set where
    the fewer changes leave it to the bank or county."""
    if fewer == gives:
        return True
    return current is None and (on.programme.lends or fewer[1] is None)


def _reaching(plan: ProgrammePlan, facts: Mapping[str, object]) -> Decided | None:
    """The verdict and amount the plan gives the facts where that is what a suggestion aims at
    (`_reached`), else None."""
    decided, (codes, _) = _decided(plan, facts)
    return decided if _reached(plan, decided[0], codes) else None


def _as_decided_then(
    plans: Plans,
    on: ProgrammePlan,
    suggestion: Suggestion,
    then: Determination,
    facts: Mapping[str, object],
    as_of: dt.date,
    lang: Lang,
    current: int | None,
) -> Suggestion | None:
    """The suggestion worded under the plan of its day (`on`) with what that day's answer
    (`then`) gives: its programme name, amount and unit, or where it sets no amount its note
    (the county decides); the criteria the changes meet then, and the sources that day's
    answer cites for them and for the amount.  None where, aiming at an answer to apply for,
    the changes meet no criterion then (the day's rules do not read what they change: a 17-year-old
    turning 18 on 2026-01-15, whose age the 2026 rules leave to the bank): they would be
    offered on no rule at all."""
    results = {r.id: r for r in then.criteria}
    # The criteria met then that the changes meet: those the suggestion named, or, where that
    # day's rules put another criterion on the same facts (贵州 2025's stated 3 months for the
    # county's own before, review1 F7), the ones that read a changed fact.
    changed = {c.fact for c in suggestion.changes}
    met = tuple(
        i
        for i, c in enumerate(on.criteria)
        if c.id in results
        and results[c.id].outcome == "met"
        and (c.id in suggestion.criteria or changed & rules.fact_paths(c.criterion.test))
    )
    # The obstacles the changes remove then: a `null` criterion the search removed today that
    # the changes keep from applying then too (a 10-year-old's lack of capacity, at 16, under
    # the 2032 帮扶小额信贷 rules): cited, never worded as a rule met (`_template`'s `worded`).
    # A way with neither is one the day's rules do not read at all.
    removed = tuple(
        i
        for i, c in enumerate(on.criteria)
        if c.id in suggestion.criteria
        and c.id not in results
        and c.criterion.applies_when is not None
        and changed & rules.fact_paths(c.criterion.applies_when)
        and not rules.fact_paths(c.criterion.test)
    )
    if not met and not removed and current is None:
        return None
    way: Assignment = {c.fact: c.to for c in suggestion.changes}
    waiting = tuple(
        i
        for i, c in enumerate(on.criteria)
        if c.id in results
        and results[c.id].outcome == "unknown"
        and c.criterion.spec.confirmed_by is not None
    )
    template = _template(
        plans,
        on,
        way,
        (then.verdict, then.amount),
        facts,
        as_of,
        lang,
        current,
        (*met, *removed),
        None,
        waiting,
        worded=met,
    )
    worded = _instance(template, facts, as_of)
    sources = [s for i in met for s in results[on.criteria[i].id].sources]
    sources.extend(s for i in removed for s in on.criteria[i].sources)
    sources.extend(then.amount_sources)
    worded = replace(worded, sources=tuple(dict.fromkeys(sources)))
    # The amount's note where the figure alone would mislead: none set (the county decides),
    # or one the bank or county still confirms (`_templates`).
    if then.amount_note and (then.amount is None or then.verdict == "needs_info"):
        worded = _noted(worded, then.amount_note, lang)
    return worded


def _known(value: object) -> bool | int | str:
    # `_Solver.allowed` admits only values of the fact's kind: never None.
    found = _wire(value)
    assert found is not None
    return found


def _wire(value: object) -> bool | int | str | None:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


# ---------------------------------------------------------------------------------------------
# Applying a suggestion


def apply_changes(applicant: Applicant, changes: Iterable[Change]) -> Applicant:
    """The applicant with the suggestion's changes made (a household status fact changed drops
    the 户类型 word, which would contradict it; the status facts it stood for stay).  Raises
    `msgspec.ValidationError` where the changes contradict the applicant's other facts."""
    paths = applicant_paths(applicant)
    changed = {c.fact: c.to for c in changes}
    if _STATUS.intersection(changed) or "household.risk_eliminated" in changed:
        paths.pop("household.category", None)
        if changed.get("household.monitored") is False:
            paths.pop("household.monitoring_type", None)
    if "person.age" in changed:
        # The suggested age is what the rules read; a birth date would be read instead of it.
        paths.pop("person.birth_date", None)
        paths.pop("person.id_number", None)
    paths.update(changed)
    return applicant_from_paths(paths)
