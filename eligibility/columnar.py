"""Columnar evaluation: the rule language compiled to polars expressions, for whole registers.

The columnar back-end of the decision plans (`eligibility.plan`): polars computes only what
needs a row's values (each criterion's code under each parameter variant, the facts an unknown
one hinges on, each variant's amount); what they decide (a criterion's outcome over the
variants, the verdict, whether the amount stands, the missing facts, the reasons) is the plan's
semantics, called once per distinct signature, so the row and columnar back-ends cannot
disagree.  What polars computes per row follows the plan's ladders (`plan.criterion_ladder`,
`plan.amount_ladder`), translated here by `_ladder` as the row back-end's code is generated
from them.  A property test holds them equal.

How it maps the rule language's semantics onto polars:

- **Unknown is null.**  A fact column holds null where the fact is unknown.  Comparisons,
  arithmetic and `is_in` give null on a null operand, as `rules.evaluate` gives None; `&` and `|`
  on booleans are Kleene in polars (false & null = false, true | null = true), and `~null` is null.
  `given(x)` is `is_not_null()`.  Division by zero is null, as in `rules._arith`.
- **Parameters vary by row** because `region_code` and `as_of` vary.  Rather than building each
  parameter as a per-row column, each programme has a small set of *parameter profiles*
  (`eligibility.plan.Profiles`): a row's profile is its region class (its code matched exactly
  against the programme's regions and their prefixes, else the longest of them that prefixes it,
  else none) times how many of the programme's dates it is on or after, times its season (the
  phase of a yearly window an answer says, `eligibility.windows`) (`profile_expr` here,
  `Profiles.profile_of` for one applicant).  Every row of one profile has the same
  parameter values (they come from `Programme.parameters`, the reference's own resolution), so any
  sub-expression that reads only parameters is evaluated once per profile by `rules.evaluate`
  itself and becomes a lookup on the profile column.  This keeps parameter semantics (lists,
  `!= []`, `given(param.x)`, unset values) identical to the row path by construction, costs one
  small integer column per programme, and stays exact however many distinct region codes a
  register holds (a per-(region, as_of) group split would not).
- **Missing facts.**  For every node and every fact it reads, a boolean expression says whether
  the fact is in the node's "unknown facts it hinges on" set, following `rules.evaluate` (a known
  value hinges on nothing; `and`/`or` that are unknown hinge on the union of their items').
- **Wording.**  Reasons and the ranked missing list are strings; building them per row would
  dominate the run time, and a register holds few distinct outcome patterns.  So each row gets an
  integer *signature* (profile, year, each criterion's code under each variant, its hinge facts,
  whether each variant's amount equals the own one's, the amount's hinge facts), and the decision
  and wording are made once per distinct signature by `ColumnarProgramme.decision` (the plan's
  `criterion_outcome`, `verdict_of`, `settle_amount`, `missing_facts`) and the plan's criterion
  results.  They are kept in a table across chunks, and each row takes its signature's row by
  position (the verdict, whether the row's own amount stands, reasons, missing facts, warnings);
  reasons and missing facts are categorical columns (each text held once).  A wording that
  names a fact ("您{person.age}岁…") is made with a token for the value, and the values are
  filled in by polars over the distinct (reasons, values) of a chunk, so ages and months do not
  multiply the signatures.  The warnings depend on the profile and the year of `as_of` only;
  the year is part of the signature.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial, reduce
from typing import Final, Literal, get_args

import polars as pl

from eligibility import rules
from eligibility.catalogue import FactKind
from eligibility.derive import WORK_PROVINCE, WORK_REGION, WORK_SCOPE, age_in, work_facts_in
from eligibility.facts import CATEGORY_STATUS, MONITORING_TYPE_STATUS, STATUS_FIELDS
from eligibility.plan import (
    MET,
    NOT_MET,
    REGION,
    UNKNOWN,
    AmountResult,
    Profiles,
    ProgrammePlan,
    R,
    Rung,
    amount_ladder,
    asks_hinges,
    criterion_ladder,
    criterion_outcome,
    missing_facts,
    not_in_force_reason,
    plans_of,
    settle_amount,
    verdict_of,
    weighs_amount,
)
from eligibility.policy_file import ParamValue, Verdict
from eligibility.programme import NOT_IN_FORCE_CRITERION, CompiledCriterion, PolicySet, Programme
from eligibility.text import Lang, Text

VERDICTS = ("eligible", "ineligible", "needs_info")
# Verdicts as an enum: one byte a row, and stored as a dictionary in Parquet.
VERDICT_DTYPE = pl.Enum(VERDICTS)

# The polars type of each catalogue kind: enums are their English values, regions their codes.
KIND_DTYPES: dict[FactKind, pl.DataType] = {
    "bool": pl.Boolean(),
    "int": pl.Int64(),
    "enum": pl.String(),
    "date": pl.Date(),
    "region": pl.String(),
    "text": pl.String(),
}
CATEGORY = "household.category"
MONITORING_TYPE = "household.monitoring_type"

_CODE = pl.Int8()  # outcome codes: a byte a row keeps the many intermediate columns small
_INT64 = pl.Int64()
# The bits of a signature word summed as one 32-bit integer (`ColumnarProgramme.expressions`).
_HALF = 31
# Signatures worded and kept per programme: a register of millions has some tens of thousands.
_MEMO_SIZE = 200_000
# The year of `as_of` in a signature: 7 bits from 1970 (to 2097).
_YEAR_BASE, _YEAR_MASK = 1970, 127
# The engine of queries on frames already in memory (a chunk, its columns).  Polars 2 runs a
# plain `collect()` on its streaming engine, whose start-up costs each query a few tenths of a
# millisecond more and which reads nothing from disk here to gain from; `batch` uses it too.
IN_MEMORY: Final = "in-memory"


def _token(index: int) -> str:
    """Where named fact `index`'s value goes in a reason worded once per signature."""
    return f"\x1f{index}\x1f"


NodeKind = Literal["bool", "num", "str", "date", "list", "null"]
Reasons = Literal["text", "codes", "none"]
REASONS: tuple[Reasons, ...] = get_args(Reasons)  # the choices, in this order


class ColumnarUnsupportedError(ValueError):
    """A rule this compiler cannot express columnar (the row path must be used instead)."""


def fact_schema(policies: PolicySet) -> dict[str, pl.DataType]:
    """Every catalogue fact and derived fact by dotted path, with the polars type it is held in."""
    schema = {path: KIND_DTYPES[spec.kind] for path, spec in policies.facts.items()}
    schema[WORK_PROVINCE] = pl.String()
    return schema


def with_fact_columns(frame: pl.DataFrame, policies: PolicySet) -> pl.DataFrame:
    """The frame with every fact column present (absent ones all unknown) and cast to its type."""
    schema = fact_schema(policies)
    missing = [pl.lit(None, dtype=dtype).alias(p) for p, dtype in schema.items() if p not in frame]
    frame = frame.with_columns(missing) if missing else frame
    wrong = [pl.col(p).cast(d) for p, d in schema.items() if frame.schema[p] != d]
    return frame.with_columns(wrong) if wrong else frame


# The cells of the status facts' sources (the 户类型, the monitoring type), each in the order of
# its table's keys (`CATEGORY_STATUS`, `MONITORING_TYPE_STATUS`).
_STATUS_SOURCES: dict[str, list[str]] = {
    CATEGORY: [category.value for category in CATEGORY_STATUS],
    MONITORING_TYPE: [kind.value for kind in MONITORING_TYPE_STATUS],
}


def _status_place(column: str) -> pl.Expr:
    """Each cell of a status source's column as its place among its table's keys (null if it is
    none of them)."""
    return pl.col(column).cast(pl.Enum(_STATUS_SOURCES[column]), strict=False).to_physical()


def status_places() -> list[pl.Expr]:
    """The places of the status sources' cells (`_status_place`) as columns `__place.<column>`,
    for `household_status_facts(placed=True)`: each cell is then placed once, not once for each
    status fact that reads it."""
    return [_status_place(column).alias(f"__place.{column}") for column in _STATUS_SOURCES]


def status_claims(name: str, placed: bool = False) -> list[pl.Expr]:
    """What each source says about status fact `name` (null: says nothing): the fact as given,
    the 户类型 (`CATEGORY_STATUS`), and the monitoring type as given (`MONITORING_TYPE_STATUS`).
    `placed`: the sources' places are read from the columns `status_places` gives.

    The same tables `facts.household_status` reads; a row whose claims differ is a conflict
    (the batch reports it as the row's error, the row path refuses such an applicant).
    """
    dtype = pl.Boolean() if name != "monitoring_type" else pl.String()

    def mapped(column: str, table: dict[str, object]) -> pl.Expr:
        assert list(table) == _STATUS_SOURCES[column]
        if all(v is None for v in table.values()):
            return pl.lit(None, dtype=dtype)
        # Each cell's place among the table's keys (null if it is none of them), then the value
        # at that place: cheaper than a hashed lookup of every cell for every status fact.
        place = pl.col(f"__place.{column}") if placed else _status_place(column)
        return pl.lit(pl.Series(list(table.values()), dtype=dtype)).gather(place)

    def value(status: object) -> object:
        found = getattr(status, name)
        return found.value if hasattr(found, "value") else found

    claims = [
        pl.col(f"household.{name}").cast(dtype),
        mapped(CATEGORY, {c.value: value(s) for c, s in CATEGORY_STATUS.items()}),
    ]
    if name != "monitoring_type":
        claims.append(
            mapped(MONITORING_TYPE, {t.value: value(s) for t, s in MONITORING_TYPE_STATUS.items()})
        )
    return claims


def household_status_facts(placed: bool = False) -> list[pl.Expr]:
    """The status facts completed from the 户类型 and the monitoring type, as
    `facts.household_status` does for one applicant (a conflict is the caller's row error).
    `placed`: as `status_claims` reads it."""
    return [
        pl.coalesce(status_claims(name, placed)).alias(f"household.{name}")
        for name in STATUS_FIELDS
    ]


def household_status_conflict() -> pl.Expr:
    """Per row, the first status fact whose sources contradict each other (its name), or null."""
    conflict: pl.Expr = pl.lit(None, dtype=pl.String)
    for name in reversed(STATUS_FIELDS):
        claims = status_claims(name)
        differ = pl.lit(False)
        for i, left in enumerate(claims):
            for right in claims[i + 1 :]:
                differ = differ | (left != right).fill_null(False)
        conflict = pl.when(differ).then(pl.lit(name)).otherwise(conflict)
    return conflict


# ---------------------------------------------------------------------------------------------
# Parameter profiles


def profile_expr(profiles: Profiles) -> pl.Expr:
    """The row's profile id from its `region_code` and `as_of`, as `Profiles.profile_of` gives
    it for one applicant."""
    region = pl.col("region_code")
    buckets = len(profiles.dates) + 1
    # Class ids follow `Profiles.of`'s representatives: 0 null, then exact codes, then prefixes,
    # then the class of codes no region touches.
    no_match = profiles.no_match
    region_class: pl.Expr = pl.lit(no_match, dtype=pl.Int64)
    for index, prefix in reversed(list(enumerate(profiles.prefixed, start=no_match + 1))):
        region_class = (
            pl.when(region.str.starts_with(prefix).fill_null(False))
            .then(pl.lit(index, dtype=pl.Int64))
            .otherwise(region_class)
        )
    if profiles.exact:
        exact = region.replace_strict(
            {code: i for i, code in enumerate(profiles.exact, start=1)},
            default=None,
            return_dtype=pl.Int64,
        )
        region_class = pl.coalesce(exact, region_class)
    region_class = pl.when(region.is_null()).then(pl.lit(0, dtype=pl.Int64)).otherwise(region_class)
    bucket = reduce(
        lambda acc, day: acc + (pl.col("as_of") >= pl.lit(day)).cast(pl.Int64),
        profiles.dates,
        pl.lit(0, dtype=pl.Int64),
    )
    if not profiles.seasons:
        return region_class * buckets + bucket
    # The season: how many of the turns (MMDD, `windows.season_of`) the day is on or after.
    day_of_year = pl.col("as_of").dt.month().cast(pl.Int64) * 100 + pl.col("as_of").dt.day()
    season = reduce(
        lambda acc, turn: acc + (day_of_year >= turn).cast(pl.Int64),
        profiles.seasons,
        pl.lit(0, dtype=pl.Int64),
    )
    return (region_class * buckets + bucket) * (len(profiles.seasons) + 1) + season


# ---------------------------------------------------------------------------------------------
# Compiling expressions


@dataclass
class _Node:
    """A compiled expression: its value per row (or per profile) and its hinge facts."""

    kind: NodeKind
    expr: pl.Expr | None  # per-row value; None only for a list that is constant per profile
    by_profile: tuple[object, ...] | None = None  # when it reads only parameters
    hinges: dict[str, pl.Expr] = field(default_factory=dict)
    level: int = 0  # the layer of bound columns it reads (0: only input columns)


def _level(*nodes: _Node) -> int:
    return max((n.level for n in nodes), default=0)


class _Bindings:
    """Named intermediate columns, in layers: a layer reads only the layers before it.

    Polars does not reliably share a sub-expression used many times in one `select` (an `and`'s
    value is read by its parent and again by every hinge mask), so values read more than once
    are computed once into a column and read by name.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.layers: list[list[pl.Expr]] = []

    def bind(self, expr: pl.Expr, level: int) -> tuple[pl.Expr, int]:
        """Compute `expr` (reading layers below `level`) into a column; its reference and level."""
        while len(self.layers) <= level:
            self.layers.append([])
        name = f"{self.prefix}{sum(len(layer) for layer in self.layers)}"
        self.layers[level].append(expr.alias(name))
        return pl.col(name), level + 1

    def apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """The frame with every bound column computed, layer by layer."""
        for layer in self.layers:
            frame = frame.with_columns(layer)
        return frame


def _kind_of(value: object) -> NodeKind:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "num"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dt.date):
        return "date"
    raise ColumnarUnsupportedError(f"no columnar type for {value!r}")


_POLARS_OF_KIND: dict[str, pl.DataType] = {
    "bool": pl.Boolean(),
    "num": pl.Float64(),
    "str": pl.String(),
    "date": pl.Date(),
}


def _or(parts: Iterable[pl.Expr]) -> pl.Expr:
    return reduce(lambda a, b: a | b, parts, pl.lit(False))


def _merge_hinges(*nodes: _Node) -> dict[str, pl.Expr]:
    merged: dict[str, list[pl.Expr]] = {}
    for node in nodes:
        for path, mask in node.hinges.items():
            merged.setdefault(path, []).append(mask)
    return {path: _or(masks) if len(masks) > 1 else masks[0] for path, masks in merged.items()}


class _Compiler:
    """Compiles one programme's expressions against its profiles and the fact catalogue."""

    def __init__(
        self, profiles: Profiles, fact_kinds: Mapping[str, NodeKind], bindings: _Bindings
    ) -> None:
        self.profiles = profiles
        self.fact_kinds = fact_kinds
        self.bindings = bindings
        self.profile = pl.col("__profile")
        self.variant = 0  # which parameter variant of each profile `compile` reads
        self._constants: dict[tuple[str, int], pl.Expr] = {}

    def compile(self, expr: rules.Expr) -> _Node:
        if not rules.fact_paths(expr):
            return self._constant(expr)
        match expr:
            case rules.Fact(path):
                column = pl.col(path)
                kind = self.fact_kinds.get(path, "str")
                return _Node(kind, column, None, {path: column.is_null()})
            case rules.Compare(op, left, right):
                return self._compare(op, self.compile(left), self.compile(right))
            case rules.Member(item, collection):
                return self._member(self.compile(item), self.compile(collection))
            case rules.Arith(op, left, right):
                return self._arith(op, self.compile(left), self.compile(right))
            case rules.All(items) | rules.Any_(items):
                nodes = [self.compile(item) for item in items]
                parts = [_is_not_false(n) for n in nodes]
                combined = reduce(
                    (lambda a, b: a & b) if isinstance(expr, rules.All) else (lambda a, b: a | b),
                    parts,
                )
                value, level = self.bindings.bind(combined, _level(*nodes))
                unknown = value.is_null()
                hinges = {p: unknown & m for p, m in _merge_hinges(*nodes).items()}
                return _Node("bool", value, None, hinges, level)
            case rules.Not(item):
                node = self.compile(item)
                return _Node("bool", _negate(node), None, node.hinges, node.level)
            case rules.Given(item):
                node = self.compile(item)
                assert node.expr is not None
                return _Node("bool", node.expr.is_not_null(), None, {}, node.level)
        raise ColumnarUnsupportedError(f"cannot compile {rules.to_source(expr)}")

    def chosen(self) -> list[dict[str, ParamValue]]:
        """Each profile's parameters under the current variant."""
        # A profile with fewer variants repeats its own: a repeated variant changes no outcome.
        return [v[self.variant] if self.variant < len(v) else v[0] for v in self.profiles.variants]

    def _constant(self, expr: rules.Expr) -> _Node:
        """A parameter-only expression, evaluated by the reference once per profile."""
        chosen = self.chosen()
        values = tuple(rules.evaluate(expr, {}, params)[0] for params in chosen)
        kinds = {_kind_of(v) for v in values} - {"null"}
        if len(kinds) > 1:
            raise ColumnarUnsupportedError(f"{rules.to_source(expr)} mixes types {kinds}")
        kind: NodeKind = kinds.pop() if kinds else "null"
        if kind == "list":
            return _Node("list", None, values)
        if kind == "num" and all(isinstance(v, int) or v is None for v in values):
            dtype: pl.DataType = pl.Int64()
        else:
            dtype = _POLARS_OF_KIND.get(kind, pl.Null())
        if len(set(values)) == 1:
            return _Node(kind, pl.lit(values[0], dtype=dtype), values)
        key = (rules.to_source(expr), self.variant)
        if key not in self._constants:
            # The profile id is the value's index: a gather, far cheaper than a hashed lookup.
            lookup = pl.lit(pl.Series(values, dtype=dtype)).gather(self.profile)
            self._constants[key] = self.bindings.bind(lookup, 0)[0]
        return _Node(kind, self._constants[key], values, {}, 1)

    def _compare(self, op: str, left: _Node, right: _Node) -> _Node:
        if "list" in (left.kind, right.kind) or left.expr is None or right.expr is None:
            raise ColumnarUnsupportedError("comparing a list with a fact")
        a, b = left.expr, right.expr
        value = {
            "==": lambda: a == b,
            "!=": lambda: a != b,
            "<": lambda: a < b,
            "<=": lambda: a <= b,
            ">": lambda: a > b,
            ">=": lambda: a >= b,
        }[op]()
        return _Node("bool", value, None, _merge_hinges(left, right), _level(left, right))

    def _member(self, item: _Node, collection: _Node) -> _Node:
        if item.expr is None or collection.by_profile is None:
            raise ColumnarUnsupportedError("`in` needs a list of constants or parameters")
        groups: dict[tuple[object, ...] | None, list[int]] = {}
        for profile, value in enumerate(collection.by_profile):
            assert value is None or isinstance(value, (list, tuple))
            key = None if value is None else tuple(value)
            groups.setdefault(key, []).append(profile)
        null_bool = pl.lit(None, dtype=pl.Boolean)

        def within(values: tuple[object, ...] | None) -> pl.Expr:
            assert item.expr is not None
            if values is None:
                return null_bool  # the list is a parameter not set here: unknown
            if not values:
                return pl.when(item.expr.is_null()).then(null_bool).otherwise(pl.lit(False))
            # Null items give null (unknown) in polars' is_in, as in the reference.
            return item.expr.is_in(list(values))

        if len(groups) == 1:
            value = within(next(iter(groups)))
        else:
            value = null_bool
            for values, profiles in groups.items():
                value = pl.when(self.profile.is_in(profiles)).then(within(values)).otherwise(value)
        return _Node("bool", value, None, _merge_hinges(item), item.level)

    def _arith(self, op: str, left: _Node, right: _Node) -> _Node:
        if left.expr is None or right.expr is None or "list" in (left.kind, right.kind):
            raise ColumnarUnsupportedError("arithmetic on a list")
        a, b = left.expr, right.expr
        if op == "+":
            value = a + b
        elif op == "-":
            value = a - b
        elif op == "*":
            value = a * b
        else:
            # Division by zero has no answer: unknown, as in `rules._arith`.
            value = pl.when(b == 0).then(pl.lit(None, dtype=pl.Float64)).otherwise(a / b)
        return _Node("num", value, None, _merge_hinges(left, right), _level(left, right))


def _is_not_false(node: _Node) -> pl.Expr:
    """An `and`/`or` item as the reference reads it: only `False` is false, null is unknown."""
    assert node.expr is not None
    if node.kind == "bool":
        return node.expr
    return pl.when(node.expr.is_null()).then(pl.lit(None, dtype=pl.Boolean)).otherwise(True)


def _truthy(node: _Node) -> pl.Expr:
    """A condition as Python's `if value:` reads it, null kept as unknown."""
    if node.expr is None:
        raise ColumnarUnsupportedError("a list used as a condition")
    if node.kind == "bool":
        return node.expr
    if node.kind == "num":
        return node.expr != 0
    if node.kind == "str":
        return node.expr != ""
    if node.kind == "null":
        return pl.lit(None, dtype=pl.Boolean)
    return pl.when(node.expr.is_null()).then(pl.lit(None, dtype=pl.Boolean)).otherwise(True)


def _negate(node: _Node) -> pl.Expr:
    return ~_truthy(node)


# ---------------------------------------------------------------------------------------------
# Programmes


@dataclass(frozen=True)
class _Slot:
    """Where one part of a row's signature sits in its integer key."""

    shift: int
    width: int


# A signature part as (word, shift, mask).
_Place = tuple[int, int, int]


@dataclass(frozen=True)
class _Decoder:
    """Each signature part's place, in the order `decision` reads them."""

    profile: _Place
    year: _Place
    raw: list[list[_Place]]  # per criterion, per variant
    hinges: list[tuple[_Place, int, str]]  # (place, criterion, fact)
    agree: list[_Place]  # per variant after the own one
    amount: list[tuple[_Place, str]]
    named: list[_Place]
    # The same places as (shift, mask) in the signature's words read as one integer
    # (`_one_integer`): what `decision` reads, signature after signature.
    raw_bits: list[list[tuple[int, int]]]
    hinge_bits: list[tuple[int, int, int, str]]
    agree_bits: list[tuple[int, int]]
    amount_bits: list[tuple[int, int, str]]
    # Per criterion, (shift, mask) of the bits from its first variant's code to its last's.
    raw_spans: list[tuple[int, int]]
    # The bits of the profile, the year and every raw code: all below the first hinge bit.
    outcome_mask: int
    # Per criterion, its hinge bits as (shift, mask, fact), and (shift, mask) of them all.
    hinges_of: list[list[tuple[int, int, str]]]
    hinge_spans: list[tuple[int, int]]

    @classmethod
    def of(cls, compiled: ColumnarProgramme) -> _Decoder:
        def slot(key: tuple[str, int, str]) -> _Place:
            placed = compiled.slots[key]
            return placed.shift // 63, placed.shift % 63, (1 << placed.width) - 1

        def bits(place: _Place) -> tuple[int, int]:
            return place[0] * 63 + place[1], place[2]

        def span(places: Sequence[_Place]) -> tuple[int, int]:
            if not places:
                return 0, 0
            low = min(bits(p)[0] for p in places)
            high = max(bits(p)[0] + p[2].bit_length() for p in places)
            return low, (1 << (high - low)) - 1

        raw = [
            [slot(("raw", i, str(v))) for v in range(len(codes))]
            for i, codes in enumerate(compiled.raw_codes)
        ]
        outcome_places = [
            slot(("profile", 0, "")),
            slot(("year", 0, "")),
            *(p for places in raw for p in places),
        ]
        hinges = [(slot(("hinge", i, path)), i, path) for i, path, _ in compiled.hinge_bits]
        agree = [slot(("agree", v, "")) for v in range(1, len(compiled.agree) + 1)]
        amount = [(slot(("amount", 0, path)), path) for path, _ in compiled.amount_hinges]
        return cls(
            profile=slot(("profile", 0, "")),
            year=slot(("year", 0, "")),
            raw=raw,
            hinges=hinges,
            agree=agree,
            amount=amount,
            named=[slot(("named", j, "")) for j in range(len(compiled.fact_columns))],
            raw_bits=[[bits(p) for p in places] for places in raw],
            hinge_bits=[(*bits(p), i, path) for p, i, path in hinges],
            agree_bits=[bits(p) for p in agree],
            amount_bits=[(*bits(p), path) for p, path in amount],
            raw_spans=[span(places) for places in raw],
            outcome_mask=(1 << max(bits(p)[0] + p[2].bit_length() for p in outcome_places)) - 1,
            hinges_of=[
                [(*bits(p), path) for p, i, path in hinges if i == index]
                for index in range(len(raw))
            ],
            hinge_spans=[
                span([p for p, i, _ in hinges if i == index]) for index in range(len(raw))
            ],
        )


@dataclass(frozen=True)
class Decision:
    """What one signature decides, by the shared semantics of `eligibility.plan`."""

    plan: ProgrammePlan
    profile: int
    year: int
    verdict: Verdict
    outcomes: tuple[int, ...]  # each criterion's, over the variants (`criterion_outcome`)
    amount_stands: bool  # whether the row's own variant's amount is the answer's
    missing: list[str]  # ranked (`missing_facts`)


@dataclass(frozen=True)
class Described:
    """A signature as a row shows it: its decision, the reasons (not-met and unknown criteria,
    joined; `_token(j)` where named fact `j`'s value goes), the missing facts, the warnings."""

    decision: Decision
    reasons: str | None
    missing: list[str]
    warnings: list[str]


@dataclass
class ColumnarProgramme:
    """One programme compiled to polars: what each row's decision depends on, as a signature.

    Build it with `compile_programme`; `prepare()` computes its intermediate columns,
    `expressions()` the per-row signature and amount, `decision()` and `describe()` what a
    signature decides and how it reads, by the plan's semantics (`eligibility.plan`).
    """

    programme: Programme
    policies: PolicySet
    profiles: Profiles
    bindings: _Bindings
    # Per criterion, per variant: its code there (SKIPPED, MET, NOT_MET, UNKNOWN), not combined.
    raw_codes: list[list[pl.Expr]]
    hinge_bits: list[tuple[int, str, pl.Expr]]  # (criterion index, fact, mask over variants)
    amount: pl.Expr | None  # under the row's own variant
    agree: list[pl.Expr]  # per other variant: whether its amount equals the own one's
    amount_hinges: list[tuple[str, pl.Expr]]
    slots: dict[tuple[str, int, str], _Slot] = field(default_factory=dict)
    words: int = 1
    # Facts a not-met or unknown wording names ("您{person.age}岁…"), by (criterion, path).  The
    # signature holds only whether each is known (one bit: a named fact that is unknown gives
    # the general wording); the wording is made with a token in its place (`_token`), and the
    # values (`__<id>.fact<j>` columns, null where no wording can name them) are filled in by
    # polars over the distinct (signature, values) of a chunk.  So the wording in Python
    # stays once per signature however many ages or months a register holds.
    fact_columns: list[tuple[int, str]] = field(default_factory=list)
    fact_exprs: list[pl.Expr] = field(default_factory=list)
    # The named facts (by their place in `fact_columns`) that a wording for a count of 0 names
    # (`Criterion.zero_text`): their part of the signature is two bits, known and known to be 0,
    # so that `describe` gives the plan's wording the 0 and the other counts a token.
    counted: frozenset[int] = frozenset()
    _decoder: _Decoder | None = field(default=None, repr=False)
    _named: dict[int, tuple[str, ...]] = field(default_factory=dict, repr=False)
    # A criterion's reason by (profile, criterion, outcome, language, facts named: each None,
    # 0 or its token, as `describe` gives them): few.
    _reasons: dict[tuple[int, int, int, str, tuple[object, ...]], str] = field(
        default_factory=dict, repr=False
    )
    # The (profile, year, criterion, outcome) given to rows as codes: what `legend` spells out
    # (criterion -1: the programme is not in force).
    _coded: set[tuple[int, int, int, int]] = field(default_factory=set, repr=False)
    # The codes `codes` gave by (profile, year, outcomes).
    _codes: dict[tuple[int, int, tuple[int, ...]], str | None] = field(
        default_factory=dict, repr=False
    )
    _plans: dict[tuple[int, int], ProgrammePlan] = field(default_factory=dict, repr=False)
    # The warning codes of rows by (profile, year): what `legend` spells out with the reasons.
    _warning_codes: dict[tuple[int, int], list[str]] = field(default_factory=dict, repr=False)
    _missing: dict[tuple[object, ...], list[str]] = field(default_factory=dict, repr=False)
    # Per criterion, `criterion_outcome` by its codes' bits (`_Decoder.raw_spans`).
    _outcomes: list[dict[int, tuple[int, bool]]] = field(default_factory=list, repr=False)
    # What `describe` gives without worded reasons, by the profile, year and raw codes' bits
    # (`_Decoder.outcome_mask`), language and reasons, for answers that read nothing else.
    _settled: dict[tuple[int, str, str], Described] = field(default_factory=dict, repr=False)
    # Per criterion, the facts an unknown outcome hinges on by its hinge bits and whether the
    # variants disagree (`_Decoder.hinge_spans`).
    _hinge_sets: list[dict[tuple[int, bool], frozenset[str]]] = field(
        default_factory=list, repr=False
    )
    # What `expressions` gives, by its `named`.
    _expressions: dict[bool, list[pl.Expr]] = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        """The programme's id."""
        return self.programme.id

    def prepare(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """The frame (facts with derived facts, and the profile as `__profile.<id>`) with this
        programme's intermediate columns."""
        profile = pl.col(f"__profile.{self.id}").alias("__profile")
        return self.bindings.apply(frame.with_columns(profile))

    def expressions(self, named: bool = True) -> list[pl.Expr]:
        """Per-row `__<id>.amount` (under the row's own variant: whether it stands is the
        signature's decision), the integer signature `__<id>.key*` and the named facts' values.

        `named=False` (reasons as codes, or none: nothing names a value) leaves out the named
        facts' values and their bits (read as unknown: `describe` reads them only for text).
        Reads the columns `prepare()` adds, as `ColumnarPolicySet.evaluate` arranges.
        Built once for each `named` and kept: every chunk of a register reads the same.
        """
        built = self._expressions.get(named)
        if built is None:
            built = self._expressions[named] = self._built_expressions(named)
        return built

    def _built_expressions(self, named: bool) -> list[pl.Expr]:
        """`expressions`, built."""
        pid = self.id
        # The warnings name the year asked about ("2026年的具体标准还没有核实"): it is part of
        # the signature (a register holds few years).
        year = (pl.col("as_of").dt.year().cast(pl.Int64) - _YEAR_BASE).clip(0, _YEAR_MASK)
        parts: list[tuple[_Slot, pl.Expr, bool]] = [
            (self.slots[("profile", 0, "")], pl.col("__profile"), False),
            (self.slots[("year", 0, "")], year, False),
        ]
        for i, codes in enumerate(self.raw_codes):
            for v, code in enumerate(codes):
                parts.append((self.slots[("raw", i, str(v))], code, False))
        for i, path, mask in self.hinge_bits:
            parts.append((self.slots[("hinge", i, path)], mask, True))
        for v, same in enumerate(self.agree, start=1):
            parts.append((self.slots[("agree", v, "")], same, True))
        for path, mask in self.amount_hinges:
            parts.append((self.slots[("amount", 0, path)], mask, True))
        if named:
            for j, fact in enumerate(self.fact_exprs):
                if j in self.counted:
                    state = pl.when(fact == 0).then(2).when(fact.is_not_null()).then(1).otherwise(0)
                    parts.append((self.slots[("named", j, "")], state, False))
                else:
                    parts.append((self.slots[("named", j, "")], fact.is_not_null(), True))
        keys: list[pl.Expr] = []
        for word in range(self.words):
            # A part that lies within one 31-bit half of its word (codes and flags are a bit or
            # two) is summed with the others of that half as 32-bit integers, and each half
            # widened once: a term a chunk's height then takes half the memory.  The sums are
            # those of the 64-bit terms (the parts' bits never overlap).
            halves: dict[int, list[pl.Expr]] = {}
            terms: list[pl.Expr] = []
            for slot, expr, flag in parts:
                if slot.shift // 63 != word:
                    continue
                shift = slot.shift - 63 * word
                half = shift // _HALF
                if half == (shift + slot.width - 1) // _HALF and half < 2:
                    halves.setdefault(half, []).append(
                        _term(expr, shift - _HALF * half, flag, pl.Int32())
                    )
                else:
                    terms.append(_term(expr, shift, flag))
            for half, half_terms in halves.items():
                summed = reduce(lambda a, b: a + b, half_terms).cast(pl.Int64)
                terms.append(summed * (1 << (_HALF * half)) if half else summed)
            keys.append(
                reduce(lambda a, b: a + b, terms, pl.lit(0, dtype=pl.Int64)).alias(
                    f"__{pid}.key{word}"
                )
            )
        amount = pl.lit(None, dtype=pl.Int64) if self.amount is None else self.amount
        facts = [e.alias(f"__{pid}.fact{j}") for j, e in enumerate(self.fact_exprs) if named]
        return [amount.alias(f"__{pid}.amount"), *keys, *facts]

    def signature_columns(self) -> list[str]:
        """The columns `expressions()` gives that make up a row's signature."""
        return [f"__{self.id}.key{w}" for w in range(self.words)]

    def named_fact_columns(self) -> list[str]:
        """The columns `expressions()` gives with the values of the named facts."""
        return [f"__{self.id}.fact{j}" for j in range(len(self.fact_columns))]

    def _reader(self, words: Sequence[object]) -> tuple[_Decoder, Callable[[_Place], int]]:
        if self._decoder is None:
            self._outcomes = [{} for _ in self.raw_codes]
            self._hinge_sets = [{} for _ in self.raw_codes]
            self._decoder = _Decoder.of(self)

        def read(place: _Place) -> int:
            word = words[place[0]]
            assert isinstance(word, int)
            return (word >> place[1]) & place[2]

        return self._decoder, read

    def decision(self, words: Sequence[object]) -> Decision:
        """What a signature (its integer words) decides: the row back-end's semantics
        (`criterion_outcome`, `verdict_of`, `weighs_amount`, `settle_amount`, `missing_facts`)
        applied to the raw codes and bits the columns computed."""
        decoder, read = self._reader(words)
        profile = read(decoder.profile)
        year = _YEAR_BASE + read(decoder.year)
        whole = _one_integer(words)
        plan = self._plans.get((profile, year))
        if plan is None:
            plan = self._plans[(profile, year)] = plans_of(self.policies).of_profile(
                self.programme, profile, year
            )
        if plan.not_in_force is not None:
            return Decision(plan, profile, year, "ineligible", (), False, [])
        # A criterion's outcome over the variants, kept by its codes' bits (few patterns).
        combined: list[tuple[int, bool]] = []
        for (shift, mask), places, kept in zip(
            decoder.raw_spans, decoder.raw_bits, self._outcomes, strict=True
        ):
            bits = (whole >> shift) & mask
            outcome = kept.get(bits)
            if outcome is None:
                outcome = kept[bits] = criterion_outcome(
                    [(whole >> at) & width for at, width in places]
                )
            combined.append(outcome)
        outcomes = tuple([code for code, _ in combined])
        verdict = verdict_of(outcomes)
        # An unknown criterion hinges on the facts whose bits are set (and on the region when
        # the variants disagree), kept by its hinge bits; a known one on nothing.
        found: list[frozenset[str] | None] = []
        for i, (code, disagree) in enumerate(combined):
            if code != UNKNOWN:
                found.append(None)
                continue
            shift, mask = decoder.hinge_spans[i]
            hinge_key = ((whole >> shift) & mask, disagree)
            hinged = self._hinge_sets[i].get(hinge_key)
            if hinged is None:
                paths = {REGION} if disagree else set()
                for at, width, path in decoder.hinges_of[i]:
                    if (whole >> at) & width:
                        paths.add(path)
                hinged = self._hinge_sets[i][hinge_key] = frozenset(paths)
            found.append(hinged)
        hinges = tuple(found)
        stands, amount_hinges = False, frozenset[str]()
        if self.amount is not None and weighs_amount(verdict):
            stands, amount_hinges = settle_amount(
                [bool((whole >> shift) & mask) for shift, mask in decoder.agree_bits],
                [
                    frozenset(
                        path for shift, mask, path in decoder.amount_bits if (whole >> shift) & mask
                    )
                ],
            )
        # Many signatures differ only in what no fact list reads (a known value's bit).
        key = (verdict, hinges, amount_hinges)
        missing = self._missing.get(key)
        if missing is None:
            for_verdict, for_amount = missing_facts(verdict, hinges, amount_hinges, self.policies)
            missing = self._missing[key] = for_verdict + for_amount
        return Decision(plan, profile, year, verdict, outcomes, stands, missing)

    def describe(self, words: Sequence[object], lang: Lang, reasons: Reasons = "text") -> Described:
        """A signature's decision with its reasons (worded, as `codes`, or none), missing facts
        and warnings in `lang`."""
        decoder, read = self._reader(words)
        if reasons != "text":
            # Without worded reasons, an answer whose verdict asks no hinge and weighs no
            # amount (`asks_hinges`, `weighs_amount`) reads only the profile, the year and the
            # raw codes: signatures that share them share it (most of a register's are so).
            settled_key = (_one_integer(words) & decoder.outcome_mask, lang, reasons)
            described = self._settled.get(settled_key)
            if described is None:
                described = self._unworded(self.decision(words), lang, reasons)
                verdict = described.decision.verdict
                if described.decision.plan.not_in_force is not None or not (
                    asks_hinges(verdict) or (self.amount is not None and weighs_amount(verdict))
                ):
                    self._settled[settled_key] = described
            return described
        decision = self.decision(words)
        plan = decision.plan
        warnings = list(plan.warnings[lang])
        if plan.not_in_force is not None:
            # As the row back-end: one reason, nothing missing.
            return Described(
                decision, not_in_force_reason(plan.not_in_force, lang)[1], [], warnings
            )
        values = {
            key: _named_value_of(read(place), j)
            for j, (key, place) in enumerate(zip(self.fact_columns, decoder.named, strict=True))
        }
        worded: list[str] = []
        for i, outcome in enumerate(decision.outcomes):
            if outcome in (NOT_MET, UNKNOWN):
                named = tuple(values[(i, path)] for path in self._named_facts(i))
                key = (decision.profile, i, outcome, lang, named)
                said = self._reasons.get(key)
                if said is None:
                    said = self._reasons[key] = (
                        plan.criteria[i]
                        .result(outcome, lang, partial(_named_value, values, i))
                        .reason
                    )
                worded.append(said)
        joined = ("；" if lang == "zh" else "; ").join(worded) if worded else None
        return Described(decision, joined, decision.missing, warnings)

    def _unworded(self, decision: Decision, lang: Lang, reasons: Reasons) -> Described:
        """A decision shown with its reasons as codes, or without reasons (`describe`)."""
        if reasons == "codes":
            # The warnings as codes too, spelled out in the legend with the reasons' codes.
            return Described(
                decision, self.codes(decision), decision.missing, self.warning_codes(decision)
            )
        return Described(decision, None, decision.missing, list(decision.plan.warnings[lang]))

    def _named_facts(self, index: int) -> tuple[str, ...]:
        """The facts criterion `index` names in its not-met or unknown wording, in order."""
        found = self._named.get(index)
        if found is None:
            found = self._named[index] = tuple(p for i, p in self.fact_columns if i == index)
        return found

    def shown_facts(self, lang: Lang) -> list[pl.Expr]:
        """Each named fact's value as `plan.show_fact` words it (null stays null)."""
        shown = []
        for j, (_, path) in enumerate(self.fact_columns):
            column = pl.col(f"__{self.id}.fact{j}")
            spec = self.policies.facts.get(path)
            if spec is not None and spec.kind == "enum":
                words = {o.value: o.zh if lang == "zh" else o.en for o in spec.options}
                value = column.cast(pl.String)
                column = value.replace_strict(words, default=value, return_dtype=pl.String)
            elif spec is not None and spec.kind == "bool":
                yes, no = ("是", "否") if lang == "zh" else ("yes", "no")
                column = pl.when(column).then(pl.lit(yes)).otherwise(pl.lit(no))
                column = (
                    pl.when(pl.col(f"__{self.id}.fact{j}").is_null()).then(None).otherwise(column)
                )
            else:
                column = column.cast(pl.String)
            shown.append(column.alias(f"__shown{j}"))
        return shown

    def codes(self, decision: Decision) -> str | None:
        """The reasons as codes: the ids of the criteria not met (`id!`) and unknown (`id?`), in
        the programme's order, space-separated; `ColumnarPolicySet.legend` spells them out."""
        year = decision.year
        if decision.plan.not_in_force is not None:
            self._coded.add((decision.profile, year, -1, NOT_MET))
            return reason_code(NOT_IN_FORCE_CRITERION, False)
        # Signatures that differ only in hinges and facts share their outcomes: their codes
        # (and what `_coded` records for them) are worked out once.
        key = (decision.profile, year, decision.outcomes)
        if key in self._codes:
            return self._codes[key]
        codes: list[str] = []
        for i, outcome in enumerate(decision.outcomes):
            if outcome in (NOT_MET, UNKNOWN):
                codes.append(reason_code(self.programme.criteria[i].spec.id, outcome == UNKNOWN))
                self._coded.add((decision.profile, year, i, outcome))
        joined = self._codes[key] = " ".join(codes) or None
        return joined

    def warning_codes(self, decision: Decision) -> list[str]:
        """The signature's warnings as codes (`Programme.coded_warnings`), in the order the
        row back-end words them; `ColumnarPolicySet.legend` spells them out."""
        key = (decision.profile, decision.year)
        found = self._warning_codes.get(key)
        if found is None:
            found = self._warning_codes[key] = [
                code for code, _ in self.warning_texts(decision.profile, decision.year, "zh")
            ]
        return found

    def warning_texts(self, profile: int, year: int, lang: Lang) -> tuple[tuple[str, str], ...]:
        """The warnings of rows of `profile` in `year` with their codes, in `lang`: those of
        the profile's plan (`ProgrammePlan.warnings`), worded at the same region and date."""
        region_code, day = self.profiles.point(profile, year)
        return self.programme.coded_warnings(region_code, day, lang)

    def reason_text(
        self, profile: int, year: int, criterion: int, unknown: bool, lang: Lang
    ) -> str:
        """One criterion's reason as `describe` words it for rows of `profile` in `year`:
        `describe` itself on a signature where only that criterion is not met (or unknown)."""
        decoder, _ = self._reader(())
        words = [0] * self.words

        def put(place: _Place, value: int) -> None:
            words[place[0]] |= (value & place[2]) << place[1]

        put(decoder.profile, profile)
        put(decoder.year, year - _YEAR_BASE)
        for i, places in enumerate(decoder.raw):
            for place in places:
                put(place, (UNKNOWN if unknown else NOT_MET) if i == criterion else MET)
        # No named fact known: the legend spells a code out in the criterion's general wording.
        return self.describe(words, lang).reasons or ""


def _term(expr: pl.Expr, shift: int, flag: bool, dtype: pl.DataType = _INT64) -> pl.Expr:
    """A signature part at `shift` of its word (as `dtype`): a flag (a mask, true or not) as its
    bit, picked in one step (a cast and a product make two columns of a chunk's height, not
    one)."""
    if flag:
        return pl.when(expr).then(pl.lit(1 << shift, dtype=dtype)).otherwise(pl.lit(0, dtype=dtype))
    value = expr.cast(dtype)
    return value * pl.lit(1 << shift, dtype=dtype) if shift else value


def _one_integer(words: Sequence[object]) -> int:
    """A signature's integer words (63 bits each, the first lowest) as one integer."""
    if len(words) == 1:
        word = words[0]
        assert isinstance(word, int)
        return word
    whole = 0
    for n, word in enumerate(words):
        assert isinstance(word, int)
        whole |= word << (63 * n)
    return whole


def _named_value_of(state: int, index: int) -> object:
    """What `describe` gives the wording for named fact `index` by its part of the signature
    (`ColumnarProgramme.counted`): None where unknown, 0 for a count known to be 0 (its
    wording may differ), else its token (`_token`), filled in by polars."""
    return None if state == 0 else 0 if state == 2 else _token(index)


def _named_value(values: Mapping[tuple[int, str], object], index: int, path: str) -> object:
    """What criterion `index`'s wording shows for a named fact: its token, 0 (a count of 0), or
    None (unknown)."""
    return values.get((index, path))


def reason_code(criterion: str, unknown: bool) -> str:
    """A criterion's reason code: its id, then `!` when not met or `?` when not known."""
    return criterion + ("?" if unknown else "!")


def compile_programme(
    programme: Programme, policies: PolicySet, *, variants: int = 1
) -> ColumnarProgramme:
    """Compile a programme's criteria and amount rules for rows under up to `variants` parameter
    variants; raise `ColumnarUnsupportedError` for a rule it cannot express.

    Only what needs a row's values is computed here: each criterion's code under each variant
    and the facts an unknown one hinges on, each variant's amount and whether it equals the
    own variant's.  How they combine is the plan's (`ColumnarProgramme.decision`).  With one
    variant, rows of profiles with several must not be evaluated (see `evaluate`).
    """
    profiles = plans_of(policies).profiles(programme)
    kinds: dict[str, NodeKind] = {}
    for path, spec in policies.facts.items():
        kinds[path] = _NODE_KINDS.get(spec.kind, "str")
    bindings = _Bindings(f"__{programme.id}.")
    compiler = _Compiler(profiles, kinds, bindings)

    raw_codes: list[list[pl.Expr]] = []
    hinge_bits: list[tuple[int, str, pl.Expr]] = []
    for index, criterion in enumerate(programme.criteria):
        codes: list[pl.Expr] = []
        merged: dict[str, list[pl.Expr]] = {}
        for variant in range(variants):
            compiler.variant = variant
            code, masks = _criterion(compiler, programme, criterion)
            codes.append(code)
            for path, mask in masks.items():
                merged.setdefault(path, []).append(mask)
        raw_codes.append(codes)
        for path, parts in sorted(merged.items()):
            hinge_bits.append((index, path, _or(parts) if len(parts) > 1 else parts[0]))

    amount: pl.Expr | None = None
    agree: list[pl.Expr] = []
    amount_hinges: list[tuple[str, pl.Expr]] = []
    if programme.amounts:
        values: list[pl.Expr] = []
        hinges: dict[str, list[pl.Expr]] = {}
        for variant in range(variants):
            compiler.variant = variant
            value, variant_hinges = _amount(compiler, programme)
            values.append(value)
            for path, mask in variant_hinges.items():
                hinges.setdefault(path, []).append(mask)
        amount = values[0]
        agree = [v.eq_missing(values[0]) for v in values[1:]]
        amount_hinges = sorted((path, _or(parts)) for path, parts in hinges.items())

    fact_columns: list[tuple[int, str]] = []
    fact_exprs: list[pl.Expr] = []
    for index, criterion in enumerate(programme.criteria):
        naming: dict[str, list[int]] = {}
        for outcome_code, name in ((NOT_MET, "not_met"), (UNKNOWN, "unknown")):
            own: Text | None = getattr(criterion.spec, name)
            for path in sorted(p for p in (own.placeholders() if own else ()) if "." in p):
                naming.setdefault(path, []).append(outcome_code)
        codes = raw_codes[index]
        for path, codes_naming in naming.items():
            # Which values travel, not what is shown (`describe` decides that): under one
            # variant the code is the outcome; under several, a criterion not met or unknown
            # under one of them may be either (`criterion_outcome`), so its values travel then.
            if len(codes) == 1:
                naming_rows = codes[0].is_in(codes_naming)
            else:
                naming_rows = _or(c.is_in((NOT_MET, UNKNOWN)) for c in codes)
            fact_columns.append((index, path))
            fact_exprs.append(pl.when(naming_rows).then(pl.col(path)).otherwise(None))

    compiled = ColumnarProgramme(
        programme=programme,
        policies=policies,
        profiles=profiles,
        bindings=bindings,
        raw_codes=raw_codes,
        hinge_bits=hinge_bits,
        amount=amount,
        agree=agree,
        amount_hinges=amount_hinges,
        fact_columns=fact_columns,
        fact_exprs=fact_exprs,
        counted=_counted(programme, fact_columns),
    )
    _lay_out(compiled)
    return compiled


_NODE_KINDS: dict[str, NodeKind] = {"bool": "bool", "int": "num", "date": "date"}


def _ladder(
    compiler: _Compiler,
    rungs: Sequence[Rung[R]],
    left_out: pl.Expr | bool,
    result: Callable[[R], tuple[pl.Expr, dict[str, pl.Expr]]],
) -> tuple[pl.Expr, dict[str, pl.Expr], int]:
    """A ladder (`plan.criterion_ladder`, `plan.amount_ladder`) as polars, under the
    compiler's variant: its value (a `when`/`then` chain, the first rung that holds deciding),
    the facts it hinges on (each a mask: the rung that decided hinges on it), and the layer of
    bound columns its conditions read.  `left_out` is the "left_out" rung's condition per row
    (a lookup on the profile) or a constant; `result` compiles a rung's result into its value
    and its hinges.

    Each expression is compiled once and its truth (`_truthy`, null where unknown) bound to a
    column where it reads facts.  A condition that is a constant is settled here (a rung that
    never holds is left out, one that always does ends the ladder).  A node's hinge mask holds
    only where its value is null (every `_Node` is made so), so an "unknown" rung's hinges
    need not be masked with its own condition."""
    truths: list[tuple[rules.Expr, _Node, pl.Expr]] = []
    level = 0

    def truth(expr: rules.Expr) -> tuple[_Node, pl.Expr]:
        nonlocal level
        for known, node, value in truths:
            if known == expr:
                return node, value
        node = compiler.compile(expr)
        if node.expr is None:
            raise ColumnarUnsupportedError("a list used as a condition")
        value, at = _truthy(node), node.level
        if node.by_profile is None:
            value, at = compiler.bindings.bind(value, at)
        level = max(level, at)
        truths.append((expr, node, value))
        return node, value

    # Each rung that can hold: its condition (True where it always holds), whether that is
    # never null (a `when` reads null as false), its value, the hinges of its expressions
    # (masks that hold only where the condition does) and those of its result.
    steps: list[tuple[pl.Expr | bool, bool, pl.Expr, dict[str, pl.Expr], dict[str, pl.Expr]]]
    steps = []
    for rung in rungs:
        condition: pl.Expr | bool
        hinges: dict[str, pl.Expr] = {}
        never_null = True
        if rung.on == "otherwise":
            condition = True
        elif rung.on == "left_out":
            condition = left_out
        elif rung.on == "false":
            node, value = truth(rung.exprs[0])
            # Only a boolean can be exactly False.
            condition = (~value).fill_null(False) if node.kind == "bool" else False
        elif rung.on == "unknown":
            compiled = [truth(e) for e in rung.exprs]
            nulls = [value.is_null() for _, value in compiled]
            condition = reduce(lambda a, b: a | b, nulls) if nulls else False
            hinges = _merge_hinges(*(node for node, _ in compiled))
        else:
            condition = truth(rung.exprs[0])[1]
            never_null = False
        if condition is False:
            continue
        value, own = result(rung.result)
        steps.append((condition, never_null, value, hinges, own))
        if condition is True:
            break
    # Built from the last rung that can hold back (it always does).
    *rest, (_, _, value, hinges, own) = steps
    masks = dict(hinges)
    for path, mask in own.items():
        masks[path] = masks[path] | mask if path in masks else mask
    for condition, never_null, then, hinges, own in reversed(rest):
        assert not isinstance(condition, bool)
        value = pl.when(condition).then(then).otherwise(value)
        for path in set(masks) | set(hinges) | set(own):
            before = masks.get(path)
            if path not in hinges and path not in own:
                assert before is not None
                # The rung hinges on nothing: the mask below it, where it does not hold.
                masks[path] = (
                    ~condition & before
                    if never_null
                    else pl.when(condition).then(pl.lit(False)).otherwise(before)
                )
                continue
            if path in own:
                mask = own[path] if path not in hinges else hinges[path] | own[path]
            else:
                mask = hinges[path]
                if before is None:
                    masks[path] = mask  # holds only where the condition does
                    continue
            masks[path] = (
                pl.when(condition).then(mask).otherwise(pl.lit(False) if before is None else before)
            )
    return value, masks, level


def _criterion(
    compiler: _Compiler, programme: Programme, criterion: CompiledCriterion
) -> tuple[pl.Expr, dict[str, pl.Expr]]:
    """One criterion under the compiler's variant: its code there (`plan.criterion_ladder`)
    and the facts an unknown code hinges on."""
    # As `Programme.applies_under` says: a profile without a value for a parameter the
    # criterion needs does not apply it.  That depends on the profile only: a lookup on it.
    gaps = [not programme.applies_under(criterion, params) for params in compiler.chosen()]
    left_out: pl.Expr | bool = all(gaps)
    level = 0
    if any(gaps) and not all(gaps):
        lookup = pl.lit(pl.Series(gaps, dtype=pl.Boolean)).gather(compiler.profile)
        left_out, level = compiler.bindings.bind(lookup, 0)
    code, hinges, at = _ladder(
        compiler,
        criterion_ladder(criterion.applies_when, criterion.test),
        left_out,
        lambda outcome: (pl.lit(outcome, dtype=_CODE), {}),
    )
    code, _ = compiler.bindings.bind(code, max(level, at))
    return code, hinges


def _amount(compiler: _Compiler, programme: Programme) -> tuple[pl.Expr, dict[str, pl.Expr]]:
    """The amount under the compiler's variant (`plan.amount_ladder`), and the facts an
    unknown amount hinges on."""

    def result(chosen: AmountResult) -> tuple[pl.Expr, dict[str, pl.Expr]]:
        if chosen is None:
            return pl.lit(None, dtype=pl.Int64), {}
        node = compiler.compile(chosen[1])
        if node.expr is None:
            raise ColumnarUnsupportedError("an amount that is a list")
        # `int(value)` in the reference truncates toward zero, as a cast to Int64 does.
        return node.expr.cast(pl.Int64), node.hinges

    ladder = amount_ladder([(rule.when, rule.amount) for rule in programme.amounts])
    value, hinges, _ = _ladder(compiler, ladder, False, result)
    return value, hinges


def _counted(programme: Programme, fact_columns: Sequence[tuple[int, str]]) -> frozenset[int]:
    """The named facts (by their place) whose 0 chooses a wording of their own: the count a
    criterion's `not_met_zero` or `unknown_zero` is for (`Criterion.zero_text`)."""
    found: set[int] = set()
    for j, (index, path) in enumerate(fact_columns):
        spec = programme.criteria[index].spec
        for outcome in ("not_met", "unknown"):
            own: Text | None = getattr(spec, outcome)
            zero = spec.zero_text(outcome)
            if zero is not None and own is not None and path in own.placeholders():
                found.add(j)
    return frozenset(found)


def _lay_out(compiled: ColumnarProgramme) -> None:
    """Assign each signature part its bits; a part never straddles two 63-bit words."""
    shift = 0

    def place(key: tuple[str, int, str], width: int) -> None:
        nonlocal shift
        if shift // 63 != (shift + width - 1) // 63:
            shift = (shift // 63 + 1) * 63
        compiled.slots[key] = _Slot(shift, width)
        shift += width

    place(("profile", 0, ""), max(1, (len(compiled.profiles) - 1).bit_length()))
    place(("year", 0, ""), _YEAR_MASK.bit_length())
    for i, codes in enumerate(compiled.raw_codes):
        for v in range(len(codes)):
            place(("raw", i, str(v)), 2)
    for i, path, _ in compiled.hinge_bits:
        place(("hinge", i, path), 1)
    for v in range(1, len(compiled.agree) + 1):
        place(("agree", v, ""), 1)
    for path, _ in compiled.amount_hinges:
        place(("amount", 0, path), 1)
    for j in range(len(compiled.fact_columns)):
        place(("named", j, ""), 2 if j in compiled.counted else 1)
    compiled.words = max(1, (shift + 62) // 63)


# ---------------------------------------------------------------------------------------------
# Policy sets


class ColumnarPolicySet:
    """All (or the chosen) programmes of a policy set, compiled once, evaluated per frame.

    Each programme is compiled for rows under one parameter variant (county codes: almost every
    row of a register) and, if any profile has several and a frame has rows of those profiles,
    again for those rows, which must be decided under every variant.  Rows are split by
    profile, so the common case pays for one variant only.
    """

    def __init__(self, policies: PolicySet, programmes: Sequence[str] | None = None) -> None:
        self.policies = policies
        chosen = list(policies.programmes) if programmes is None else list(programmes)
        self.programmes = [compile_programme(policies.programme(pid), policies) for pid in chosen]
        # The compilation for rows of profiles with several variants, made when a frame first
        # has such rows (a register of county codes never does).
        self._multi: dict[str, ColumnarProgramme] = {}
        self._multi_lock = threading.Lock()
        self._labels = {path: spec.label for path, spec in policies.facts.items()}
        # The wording of each signature as shown, kept across chunks (they recur), per compiled
        # programme and way of showing; chunks may be evaluated in several threads at once.
        self._worded: dict[tuple[object, ...], pl.DataFrame] = {}
        # The profiles, work scope and work province of each (region, as_of, work region) seen
        # (`evaluate`).
        self._triples: pl.DataFrame | None = None
        self._lock = threading.Lock()
        # One lock per table of `_worded`: a chunk's thread wording one programme's new
        # signatures holds up only the threads that need that programme's table, not those
        # at another programme of their chunks (their polars work goes on meanwhile).
        self._worded_locks: dict[tuple[object, ...], threading.Lock] = {}

    @property
    def ids(self) -> list[str]:
        """The programmes evaluated, in order."""
        return [single.id for single in self.programmes]

    def evaluate(
        self,
        facts: pl.DataFrame,
        *,
        lang: Lang = "zh",
        missing_as: Literal["path", "label"] = "path",
        separator: str | None = None,
        reasons: Reasons = "text",
    ) -> pl.DataFrame:
        """Per programme `<id>.verdict`, `.amount`, `.reasons`, `.missing` and `.warnings`, one
        row per row.

        `facts` holds fact columns by dotted path (any may be absent: unknown), `region_code` and
        `as_of` (a date on every row).  `missing` is a list of fact paths, or of labels in `lang`
        with `missing_as="label"`; with a `separator` it is joined into one string, and the
        warnings (`Determination.warnings`) into one text.  `reasons`: the reasons worded
        (`text`), as codes (`codes`: see `ColumnarProgramme.codes` and `legend`; the warnings
        are then codes too, `ColumnarProgramme.warning_codes`, joined by a space), or left out
        (`none`: no `.reasons` column).
        """
        frame = (
            with_fact_columns(facts, self.policies)
            .lazy()
            .with_columns(age_in(), *status_places())
            .with_columns(household_status_facts(placed=True))
            # The work province is derived only (joined below); the places were read.
            .drop(WORK_PROVINCE, *(f"__place.{column}" for column in _STATUS_SOURCES))
            .with_row_index("__row")
            .collect(engine=IN_MEMORY)
        )
        # The profiles, the work scope and the work province depend only on a row's region
        # codes and date, and a register holds few distinct ones: work each out once per
        # distinct triple and join them onto the rows.
        # Those worked out are kept across frames (a register's next chunks hold the same few):
        # only triples not seen before are worked out.
        keys = [REGION, "as_of", WORK_REGION]
        distinct = frame.lazy().select(keys).unique().collect(engine=IN_MEMORY)
        with self._lock:
            triples = self._triples
            if triples is not None and triples.height > _MEMO_SIZE:
                triples = None
            new = (
                distinct
                if triples is None
                else distinct.join(triples, on=keys, how="anti", nulls_equal=True)
            )
            if triples is None or new.height:
                scope, province = work_facts_in()
                worked = new.with_columns(
                    scope.alias("__scope"),
                    province,
                    # The profile ids as polars' own index type: every parameter of a row
                    # is looked up by them (`_Compiler._constant`), dozens of gathers a chunk,
                    # and indices of another type are converted and checked at each.
                    *(
                        profile_expr(single.profiles)
                        .cast(pl.UInt32)
                        .alias(f"__profile.{single.id}")
                        for single in self.programmes
                    ),
                )
                triples = worked if triples is None else pl.concat([triples, worked]).rechunk()
                self._triples = triples
        assert triples is not None
        frame = frame.join(
            triples, on=keys, how="left", nulls_equal=True, maintain_order="left"
        ).with_columns(pl.coalesce(WORK_SCOPE, "__scope").alias(WORK_SCOPE))
        parts: list[tuple[ColumnarProgramme, pl.LazyFrame]] = []
        split: dict[str, bool] = {}
        for single in self.programmes:
            mask = None
            if single.profiles.most_variants > 1:
                mask = frame[f"__profile.{single.id}"].is_in(single.profiles.multi())
            if mask is None or not mask.any():
                parts.append((single, frame.lazy()))
                split[single.id] = False
                continue
            multi = self._multi_of(single)
            parts.append((single, frame.filter(~mask).lazy()))
            parts.append((multi, frame.filter(mask).lazy()))
            split[single.id] = True
        # The programmes' queries are independent: polars runs them in parallel.
        named = reasons == "text"
        results = pl.collect_all(
            [c.prepare(lf).select(pl.col("__row"), *c.expressions(named)) for c, lf in parts],
            engine=IN_MEMORY,
        )
        by_programme: dict[str, list[pl.DataFrame]] = {}
        for (compiled, _), result in zip(parts, results, strict=True):
            pid = compiled.id
            shown = self._describe(
                result.select(compiled.signature_columns()),
                compiled,
                lang,
                missing_as,
                separator,
                reasons,
            )
            worded = shown["reasons"]
            if compiled.fact_columns and named:
                worded = _fill_named_facts(
                    worded, result.select(compiled.named_fact_columns()), compiled, lang
                )
            # The row's own variant's amount, where its signature's decision lets it stand.
            amount = result.select(
                pl.when(shown["amount_stands"]).then(pl.col(f"__{pid}.amount"))
            ).to_series()
            by_programme.setdefault(pid, []).append(
                pl.DataFrame(
                    [
                        result["__row"],
                        shown["verdict"].alias(f"{pid}.verdict"),
                        amount.alias(f"{pid}.amount"),
                        *([] if reasons == "none" else [worded.alias(f"{pid}.reasons")]),
                        shown["missing"].alias(f"{pid}.missing"),
                        shown["warnings"].alias(f"{pid}.warnings"),
                    ]
                )
            )
        out: list[pl.DataFrame] = []
        for pid in self.ids:
            pieces = by_programme[pid]
            combined = pl.concat(pieces).sort("__row") if split[pid] else pieces[0]
            out.append(combined.drop("__row"))
        return pl.concat(out, how="horizontal")

    def _multi_of(self, single: ColumnarProgramme) -> ColumnarProgramme:
        """`single`'s programme compiled for rows under all of its profiles' variants."""
        with self._multi_lock:
            multi = self._multi.get(single.id)
            if multi is None:
                multi = self._multi[single.id] = compile_programme(
                    single.programme, self.policies, variants=single.profiles.most_variants
                )
            return multi

    def _describe(
        self,
        keys: pl.DataFrame,
        compiled: ColumnarProgramme,
        lang: Lang,
        missing_as: Literal["path", "label"],
        separator: str | None,
        reasons: Reasons = "text",
    ) -> pl.DataFrame:
        """Each row's verdict, whether its amount stands, reasons, missing facts and warnings:
        decided and worded once per distinct signature (`ColumnarProgramme.describe`)."""

        def single_key(frame: pl.DataFrame) -> pl.Series:
            if frame.width == 1:
                return frame.to_series()
            if frame.width == 2:
                # Two 63-bit words (never null) as one 128-bit integer: hashed and compared as
                # a number, several times cheaper than the words written out as text.
                low, high = frame.columns
                return frame.select(
                    pl.col(low).cast(pl.Int128) + pl.col(high).cast(pl.Int128) * (1 << 63)
                ).to_series()
            # Named facts are null where unused: a marker keeps the key defined.
            return frame.select(
                pl.concat_str(
                    [pl.col(c).cast(pl.String).fill_null("\u2205") for c in frame.columns],
                    separator="-",
                )
            ).to_series()

        if keys.height == 0:
            return _worded_frame([], [], [], [], [], separator)
        key = single_key(keys).alias("__key")
        # The decision and wording of every signature seen so far is kept as a table
        # (signature, verdict, amount standing, reasons, missing, warnings), and each row takes
        # its signature's row by position: only signatures new in this chunk are decided in
        # Python, and a register has few after its first chunks.
        table_id = (id(compiled), lang, missing_as, separator, reasons)
        with self._lock:
            lock = self._worded_locks.setdefault(table_id, threading.Lock())
        with lock:
            known = self._worded.get(table_id)
            place = None if known is None else _places(key, known["__key"])
            if place is None or place.null_count():
                # The rows of new signatures, and those signatures: decided, then appended to
                # the table, and only those rows looked up again (in the new part alone).
                new_rows = None if place is None else place.is_null()
                fresh = key if new_rows is None else key.filter(new_rows)
                if known is not None and known.height > _MEMO_SIZE:
                    known, place, new_rows, fresh = None, None, None, key
                new = fresh.unique()
                added = self._worded_rows(
                    keys, key, new, compiled, lang, missing_as, separator, reasons
                )
                found = _places(fresh, added["__key"])
                if known is None or place is None or new_rows is None:
                    known, place = added, found
                else:
                    found = found + known.height
                    known = pl.concat([known, added]).rechunk()
                    place = place.scatter(new_rows.arg_true(), found)
                self._worded[table_id] = known
        assert known is not None and place is not None
        return known.drop("__key")[place]

    def _worded_rows(
        self,
        keys: pl.DataFrame,
        key: pl.Series,
        new: pl.Series,
        compiled: ColumnarProgramme,
        lang: Lang,
        missing_as: Literal["path", "label"],
        separator: str | None,
        reasons: Reasons = "text",
    ) -> pl.DataFrame:
        """The decision and wording of the signatures `new`, as shown."""
        if keys.width == 1:
            signatures: Iterable[tuple[object, ...]] = ((word,) for word in new)
            worded_keys = new
        else:
            frame = (
                keys.with_columns(key)
                .filter(pl.col("__key").is_in(new.implode()))
                .unique(subset="__key")
            )
            worded_keys = frame["__key"]
            signatures = frame.drop("__key").iter_rows()
        verdicts: list[str] = []
        stands: list[bool] = []
        reasons_list: list[str | None] = []
        missing_list: list[object] = []
        warnings_list: list[object] = []
        # Warnings are whole sentences, one per line of the cell: run together ("…为准。2026年起…")
        # they read as one (review9 F13).  As codes, they are separated as the reasons' are.
        sentences = " " if reasons == "codes" else "\n"
        # The missing facts as shown, by the facts: signatures share a few hundred lists.
        shown_missing: dict[tuple[str, ...], object] = {}
        for words in signatures:
            described = compiled.describe(words, lang, reasons)
            missing, warnings = described.missing, described.warnings
            paths = tuple(missing)
            shown = shown_missing.get(paths)
            if shown is None:
                labels = missing
                if missing_as == "label":
                    labels = [self._labels[p].in_(lang) for p in missing]
                shown = labels if separator is None else (separator.join(labels) or None)
                if separator is not None:
                    shown_missing[paths] = shown
            verdicts.append(described.decision.verdict)
            stands.append(described.decision.amount_stands)
            reasons_list.append(described.reasons)
            missing_list.append(shown)
            warnings_list.append(
                warnings if separator is None else (sentences.join(warnings) or None)
            )
        return _worded_frame(
            worded_keys, verdicts, stands, reasons_list, missing_list, separator, warnings_list
        )

    def legend(self) -> pl.DataFrame:
        """Each reason code given so far, then each warning code (`Programme.coded_warnings`),
        spelled out: programme id, code, the reason or warning in zh and in en, and where it
        applies when its wording differs by region or date (`where`)."""
        rows: list[tuple[str, str, str, str, str]] = []
        for single in self.programmes:
            multi = self._multi.get(single.id)
            seen: dict[tuple[int, int], dict[tuple[str, str], list[int]]] = {}
            for compiled in (single, multi):
                if compiled is None:
                    continue
                for profile, year, i, outcome in sorted(compiled._coded):
                    # A code of a programme not in force reads as `describe` says it, too.
                    unknown = outcome == UNKNOWN
                    said = (
                        compiled.reason_text(profile, year, i, unknown, "zh"),
                        compiled.reason_text(profile, year, i, unknown, "en"),
                    )
                    places = seen.setdefault((i, outcome), {}).setdefault(said, [])
                    if profile not in places:
                        places.append(profile)
            for (i, outcome), wordings in sorted(seen.items()):
                criterion = (
                    NOT_IN_FORCE_CRITERION if i < 0 else single.programme.criteria[i].spec.id
                )
                code = reason_code(criterion, outcome == UNKNOWN)
                for (zh, en), profiles in wordings.items():
                    where = (
                        ", ".join(single.profiles.where(p) for p in sorted(profiles))
                        if len(wordings) > 1
                        else ""
                    )
                    rows.append((single.id, code, zh, en, where))
            # The warnings given as codes, after the reasons: each in the words the text output
            # gives it, where and when it applies if they differ by region or date.
            warned: dict[str, dict[tuple[str, str], list[int]]] = {}
            for compiled in (single, multi):
                if compiled is None:
                    continue
                for profile, year in sorted(compiled._warning_codes):
                    in_zh = dict(compiled.warning_texts(profile, year, "zh"))
                    in_en = dict(compiled.warning_texts(profile, year, "en"))
                    for code in compiled._warning_codes[(profile, year)]:
                        said = (in_zh.get(code, ""), in_en.get(code, ""))
                        places = warned.setdefault(code, {}).setdefault(said, [])
                        if profile not in places:
                            places.append(profile)
            for code, wordings in sorted(warned.items()):
                for (zh, en), profiles in wordings.items():
                    where = (
                        ", ".join(single.profiles.where(p) for p in sorted(profiles))
                        if len(wordings) > 1
                        else ""
                    )
                    rows.append((single.id, code, zh, en, where))
        return pl.DataFrame(
            rows,
            schema=dict.fromkeys(["programme", "code", "zh", "en", "where"], pl.String),
            orient="row",
        )


def _places(key: pl.Series, known: pl.Series) -> pl.Series:
    """Each row's signature's place in the kept table's keys `known`, null where it is new."""
    return key.replace_strict(
        known, pl.int_range(known.len(), dtype=pl.UInt32, eager=True), default=None
    )


def _fill_named_facts(
    reasons: pl.Series, values: pl.DataFrame, compiled: ColumnarProgramme, lang: Lang
) -> pl.Series:
    """The reasons with each named fact's token replaced by the row's value, in words.

    Done on the distinct (reasons, values) of the chunk, then joined back: a register repeats
    a few thousand of them (cheaper than replacing in every row, or in only the rows that need
    it and scattering them back, measured on the benchmark's register)."""
    if reasons.len() == 0:
        return reasons
    # Texts as categoricals: the unique and the join then compare codes, not strings.
    values = values.with_columns(
        pl.col(name).cast(pl.Categorical)
        for name, dtype in values.schema.items()
        if dtype == pl.String
    )
    frame = values.with_columns(reasons.alias("__reasons"))
    keys = ["__reasons", *values.columns]
    distinct = frame.unique(subset=keys)
    filled = pl.col("__reasons").cast(pl.String)
    for j, shown in enumerate(compiled.shown_facts(lang)):
        # A null value is never named by its reason (its known bit is off): nothing to fill.
        filled = filled.str.replace_all(_token(j), shown.fill_null(""), literal=True)
    distinct = distinct.with_columns(filled.cast(pl.Categorical).alias("__filled"))
    joined = frame.join(distinct, on=keys, how="left", nulls_equal=True, maintain_order="left")
    return joined["__filled"].alias(reasons.name)


def _worded_frame(
    keys: Iterable[object],
    verdicts: list[str],
    stands: list[bool],
    reasons: list[str | None],
    missing: list[object],
    separator: str | None,
    warnings: list[object] | None = None,
) -> pl.DataFrame:
    """The table of decided and worded signatures."""
    # Categorical: a register repeats a few hundred texts a million times; each row holds a
    # small code, and Parquet stores each text once per row group.
    return pl.DataFrame(
        [
            pl.Series("__key", keys) if not isinstance(keys, pl.Series) else keys.alias("__key"),
            pl.Series("verdict", verdicts, dtype=VERDICT_DTYPE),
            pl.Series("amount_stands", stands, dtype=pl.Boolean),
            pl.Series("reasons", reasons, dtype=pl.Categorical),
            pl.Series("missing", missing, dtype=_missing_dtype(separator)),
            pl.Series("warnings", warnings or [], dtype=_missing_dtype(separator)),
        ]
    )


def _missing_dtype(separator: str | None) -> pl.DataType:
    """The missing facts' column: one text per row when joined by a separator, else a list."""
    return pl.Categorical() if separator else pl.List(pl.String())
