"""Columnar evaluation: the rule language compiled to polars expressions, for whole registers.

The row-by-row path (`determination.determine`) is the reference; this module gives the same
verdicts, amounts and missing facts for every row of a frame, a property test holds it to that.

How it maps the reference's semantics onto polars:

- **Unknown is null.**  A fact column holds null where the fact is unknown.  Comparisons,
  arithmetic and `is_in` give null on a null operand, as `rules.evaluate` gives None; `&` and `|`
  on booleans are Kleene in polars (false & null = false, true | null = true), and `~null` is null.
  `given(x)` is `is_not_null()`.  Division by zero is null, as in `rules._arith`.
- **Parameters vary by row** because `region_code` and `as_of` vary.  Rather than building each
  parameter as a per-row column, each programme has a small set of *parameter profiles*: a row's
  profile is the longest override region that prefixes its region code (or none) and how many of
  the programme's dates it is on or after (each value's `since` and `until`, and the day after
  each `confirmed_until`).  Every row of one profile has the same
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
  integer *signature* (profile, each criterion's outcome, each criterion's hinge facts, the amount's
  hinge facts), and the wording is made once per distinct signature, with the reference's ranking
  (facts several open criteria hinge on first, then the catalogue's asking order, then the facts
  only the amount waits on).  The wordings are kept in a table across chunks and joined onto the
  rows; reasons and missing facts are categorical columns (each text held once).  A wording that
  names a fact ("您{person.age}岁…") is made with a token for the value, and the values are filled
  in by polars over the distinct (reasons, values) of a chunk, so ages and months do not
  multiply the signatures.  The warnings depend on the profile and the year of `as_of` only;
  the year is part of the signature.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Literal

import polars as pl

from eligibility import rules
from eligibility.catalogue import FactKind
from eligibility.facts import CATEGORY_STATUS, MONITORING_TYPE_STATUS, STATUS_FIELDS
from eligibility.plan import (
    MET,
    NOT_MET,
    SKIPPED,
    UNKNOWN,
    Profiles,
    not_in_force_reason,
    plans_of,
    rank_missing,
)
from eligibility.policy_file import ParamValue
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
WORK_PROVINCE = "person.employment.work_province"
WORK_SCOPE = "person.employment.work_scope"
WORK_REGION = "person.employment.work_region_code"
CATEGORY = "household.category"
MONITORING_TYPE = "household.monitoring_type"

_SKIPPED, _MET, _NOT_MET, _UNKNOWN = SKIPPED, MET, NOT_MET, UNKNOWN
_CODE = pl.Int8()  # outcome codes: a byte a row keeps the many intermediate columns small
# Signatures worded and kept per programme: a register of millions has some tens of thousands.
_MEMO_SIZE = 200_000
# The year of `as_of` in a signature: 7 bits from 1970 (to 2097).
_YEAR_BASE, _YEAR_MASK = 1970, 127


def _token(index: int) -> str:
    """Where named fact `index`'s value goes in a reason worded once per signature."""
    return f"\x1f{index}\x1f"


NodeKind = Literal["bool", "num", "str", "date", "list", "null"]
Reasons = Literal["text", "codes", "none"]


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


def derived_facts() -> list[pl.Expr]:
    """Expressions filling the derived facts as `derive.flatten` does (given values win).

    - `person.age` at `as_of`: given, else from `person.birth_date`, else from the birth date in
      `person.id_number` (the caller has validated the numbers);
    - `person.employment.work_scope`: given, else from `region_code` and `work_region_code`;
    - `person.employment.work_province`: the first two digits of `work_region_code`.
    """
    scope, province = region_facts()
    return [
        derived_age(),
        pl.coalesce(pl.col(WORK_SCOPE), scope).alias(WORK_SCOPE),
        province,
        *household_status_facts(),
    ]


def status_claims(name: str) -> list[pl.Expr]:
    """What each source says about status fact `name` (null: says nothing): the fact as given,
    the 户类型 (`CATEGORY_STATUS`), and the monitoring type as given (`MONITORING_TYPE_STATUS`).

    The same tables `facts.household_status` reads; a row whose claims differ is a conflict
    (the batch reports it as the row's error, the row path refuses such an applicant).
    """
    dtype = pl.Boolean() if name != "monitoring_type" else pl.String()

    def mapped(column: str, table: dict[str, object]) -> pl.Expr:
        if all(v is None for v in table.values()):
            return pl.lit(None, dtype=dtype)
        # Each cell's place among the table's keys (null if it is none of them), then the value
        # at that place: cheaper than a hashed lookup of every cell for every status fact.
        place = pl.col(column).cast(pl.Enum(list(table)), strict=False).to_physical()
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


def household_status_facts() -> list[pl.Expr]:
    """The status facts completed from the 户类型 and the monitoring type, as
    `facts.household_status` does for one applicant (a conflict is the caller's row error)."""
    return [pl.coalesce(status_claims(name)).alias(f"household.{name}") for name in STATUS_FIELDS]


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


def derived_age() -> pl.Expr:
    """`person.age` at `as_of`: given, else from the birth date, else from the ID number's."""
    as_of = pl.col("as_of")
    birth = pl.col("person.birth_date")
    # The ID number's YYYYMMDD read as a number: cheaper than parsing it as a date, and the
    # numbers are validated (a real date) before they get here.
    from_id = pl.col("person.id_number").str.slice(6, 8).cast(pl.Int32, strict=False)
    year = pl.coalesce(birth.dt.year().cast(pl.Int32), from_id // 10_000)
    month_day = pl.coalesce(
        birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day().cast(pl.Int32), from_id % 10_000
    )
    # Whole years: one less if the birthday has not come yet this year (as `derive.age_on`).
    before_birthday = (as_of.dt.month().cast(pl.Int32) * 100 + as_of.dt.day().cast(pl.Int32)) < (
        month_day
    )
    computed_age = (as_of.dt.year().cast(pl.Int64) - year.cast(pl.Int64)) - before_birthday.cast(
        pl.Int64
    )
    return pl.coalesce(pl.col("person.age"), computed_age).alias("person.age")


def region_facts() -> tuple[pl.Expr, pl.Expr]:
    """The work scope worked out from `region_code` and `work_region_code` (the given scope is
    not read), and `person.employment.work_province`: both read only the two codes."""
    home, work = pl.col("region_code"), pl.col("person.employment.work_region_code")
    short = (home.str.len_chars() < 4) | (work.str.len_chars() < 4)
    county_short = (home.str.len_chars() < 6) | (work.str.len_chars() < 6)
    # The branches of `derive.work_scope_between`, in its order.
    scope = (
        pl.when(home.is_null() | work.is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(home.str.slice(0, 2) != work.str.slice(0, 2))
        .then(pl.lit("other_province"))
        .when(short)
        .then(pl.lit(None, dtype=pl.String))
        .when(home.str.slice(0, 4) != work.str.slice(0, 4))
        .then(pl.lit("other_prefecture"))
        .when(county_short)
        .then(pl.lit(None, dtype=pl.String))
        .when(home == work)
        .then(pl.lit("same_county"))
        .otherwise(pl.lit("other_county"))
    )
    return scope, work.str.slice(0, 2).alias(WORK_PROVINCE)


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
    return region_class * buckets + bucket


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


@dataclass(frozen=True)
class _Decoder:
    """Each signature part as (word, shift, mask), in the order `describe` reads them."""

    profile: tuple[int, int, int]
    year: tuple[int, int, int]
    outcomes: list[tuple[int, int, int]]
    hinges: list[tuple[tuple[int, int, int], str]]
    amount: list[tuple[tuple[int, int, int], str]]
    named: list[tuple[int, int, int]]

    @classmethod
    def of(cls, compiled: ColumnarProgramme) -> _Decoder:
        def slot(key: tuple[str, int, str]) -> tuple[int, int, int]:
            placed = compiled.slots[key]
            return placed.shift // 63, placed.shift % 63, (1 << placed.width) - 1

        return cls(
            profile=slot(("profile", 0, "")),
            year=slot(("year", 0, "")),
            outcomes=[slot(("outcome", i, "")) for i in range(len(compiled.outcomes))],
            hinges=[(slot(("hinge", i, path)), path) for i, path, _ in compiled.hinge_bits],
            amount=[(slot(("amount", 0, path)), path) for path, _ in compiled.amount_hinges],
            named=[slot(("named", j, "")) for j in range(len(compiled.fact_columns))],
        )


@dataclass
class ColumnarProgramme:
    """One programme compiled to polars: verdict, amount, signature, and the wording per signature.

    Build it with `compile_programme`; `prepare()` computes its intermediate columns,
    `expressions()` the per-row results, and `describe()` turns a signature into words.
    """

    programme: Programme
    policies: PolicySet
    profiles: Profiles
    bindings: _Bindings
    outcomes: list[pl.Expr]
    hinge_bits: list[tuple[int, str, pl.Expr]]  # (criterion index, fact, mask)
    amount: pl.Expr | None
    amount_hinges: list[tuple[str, pl.Expr]]
    slots: dict[tuple[str, int, str], _Slot] = field(default_factory=dict)
    words: int = 1
    # Facts a not-met or unknown wording names ("您{person.age}岁…"), by (criterion, path).  The
    # signature holds only whether each is known (one bit: a named fact that is unknown gives
    # the general wording); the wording is made with a token in its place (`_token`), and the
    # values (`__<id>.fact<j>` columns, null where the outcome does not name them) are filled
    # in by polars over the distinct (signature, values) of a chunk.  So the wording in Python
    # stays once per signature however many ages or months a register holds.
    fact_columns: list[tuple[int, str]] = field(default_factory=list)
    fact_exprs: list[pl.Expr] = field(default_factory=list)
    _decoder: _Decoder | None = field(default=None, repr=False)
    _named: dict[int, tuple[str, ...]] = field(default_factory=dict, repr=False)
    # A criterion's reason by (profile, criterion, outcome, language, facts named): few.
    _reasons: dict[tuple[int, int, int, str, tuple[bool, ...]], str] = field(
        default_factory=dict, repr=False
    )
    # The (profile, criterion, outcome) given to rows as codes: what `legend` spells out.
    _coded: set[tuple[int, int, int]] = field(default_factory=set, repr=False)
    _not_in_force: dict[int, dt.date] | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        """The programme's id."""
        return self.programme.id

    @property
    def not_in_force(self) -> dict[int, dt.date]:
        """The profiles on whose dates none of the programme's rules had started, with the
        programme's first date: their rows are `ineligible` with the one reason
        `not_in_force_reason` gives, nothing missing (`determination._not_in_force`)."""
        found = self._not_in_force
        if found is None:
            found = self._not_in_force = {
                i: starts
                for i, (code, day) in enumerate(self.profiles.points)
                if (starts := self.programme.not_in_force_from(code, day)) is not None
            }
        return found

    def prepare(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """The frame (facts with derived facts, and the profile as `__profile.<id>`) with this
        programme's intermediate columns."""
        profile = pl.col(f"__profile.{self.id}").alias("__profile")
        return self.bindings.apply(frame.with_columns(profile))

    def expressions(self) -> list[pl.Expr]:
        """Per-row `<id>.verdict`, `<id>.amount` and the integer signature `<id>.__key*`.

        Reads the columns `prepare()` adds, as `ColumnarPolicySet.evaluate` arranges.
        """
        pid = self.id
        profile = pl.col("__profile")
        off = profile.is_in(list(self.not_in_force)) if self.not_in_force else pl.lit(False)
        any_not_met = _or(o == _NOT_MET for o in self.outcomes) | off
        any_unknown = _or(o == _UNKNOWN for o in self.outcomes)
        verdict = (
            pl.when(any_not_met)
            .then(pl.lit("ineligible", dtype=VERDICT_DTYPE))
            .when(any_unknown)
            .then(pl.lit("needs_info", dtype=VERDICT_DTYPE))
            .otherwise(pl.lit("eligible", dtype=VERDICT_DTYPE))
        )
        ineligible = any_not_met
        amount = (
            pl.lit(None, dtype=pl.Int64)
            if self.amount is None
            else pl.when(ineligible).then(pl.lit(None, dtype=pl.Int64)).otherwise(self.amount)
        )
        # The warnings name the year asked about ("2026年的具体标准还没有核实"): it is part of
        # the signature (a register holds few years).
        year = (pl.col("as_of").dt.year().cast(pl.Int64) - _YEAR_BASE).clip(0, _YEAR_MASK)
        parts: list[tuple[_Slot, pl.Expr]] = [
            (self.slots[("profile", 0, "")], profile),
            (self.slots[("year", 0, "")], year),
        ]
        for i, outcome in enumerate(self.outcomes):
            parts.append((self.slots[("outcome", i, "")], outcome))
        for i, path, mask in self.hinge_bits:
            parts.append((self.slots[("hinge", i, path)], mask))
        for path, mask in self.amount_hinges:
            parts.append((self.slots[("amount", 0, path)], mask & ~ineligible))
        for j, fact in enumerate(self.fact_exprs):
            parts.append((self.slots[("named", j, "")], fact.is_not_null()))
        keys: list[pl.Expr] = []
        for word in range(self.words):
            terms = [
                expr.cast(pl.Int64) * (1 << (slot.shift - 63 * word))
                for slot, expr in parts
                if slot.shift // 63 == word
            ]
            keys.append(
                reduce(lambda a, b: a + b, terms, pl.lit(0, dtype=pl.Int64)).alias(
                    f"__{pid}.key{word}"
                )
            )
        facts = [e.alias(f"__{pid}.fact{j}") for j, e in enumerate(self.fact_exprs)]
        return [verdict.alias(f"{pid}.verdict"), amount.alias(f"{pid}.amount"), *keys, *facts]

    def signature_columns(self) -> list[str]:
        """The columns `expressions()` gives that make up a row's signature."""
        return [f"__{self.id}.key{w}" for w in range(self.words)]

    def named_fact_columns(self) -> list[str]:
        """The columns `expressions()` gives with the values of the named facts."""
        return [f"__{self.id}.fact{j}" for j in range(len(self.fact_columns))]

    def describe(
        self, words: Sequence[object], lang: Lang, *, worded: bool = True
    ) -> tuple[str | None, list[str], list[str]]:
        """The reasons (not-met and unknown criteria, joined), the ranked missing facts and the
        warnings of one signature (its integer words).  The reasons hold `_token(j)` where the
        value of named fact `j` goes.  `worded=False`: no reasons (None), for rows that show
        them as codes or not at all: wording them is most of the time spent here."""
        if self._decoder is None:
            self._decoder = _Decoder.of(self)
        decoder = self._decoder

        def read(slot: tuple[int, int, int]) -> int:
            word = words[slot[0]]
            assert isinstance(word, int)
            return (word >> slot[1]) & slot[2]

        values = (
            {
                key: _token(j) if read(slot) else None
                for j, (key, slot) in enumerate(zip(self.fact_columns, decoder.named, strict=True))
            }
            if worded
            else {}
        )
        profile = read(decoder.profile)
        year = _YEAR_BASE + read(decoder.year)
        starts = self.not_in_force.get(profile)
        if starts is not None:
            # As the row path: one reason, nothing missing, no warnings (the reason says it).
            return not_in_force_reason(starts, lang)[1], [], []
        reasons: list[str] = []
        any_unknown = any_not_met = False
        for i, slot in enumerate(decoder.outcomes):
            outcome = read(slot)
            if outcome in (_NOT_MET, _UNKNOWN) and not worded:
                any_unknown |= outcome == _UNKNOWN
                any_not_met |= outcome == _NOT_MET
            elif outcome in (_NOT_MET, _UNKNOWN):
                named = tuple(values[(i, path)] is not None for path in self._named_facts(i))
                said = self._reasons.get((profile, i, outcome, lang, named))
                if said is None:
                    plan = plans_of(self.policies).of_profile(self.programme, profile, year)
                    said = (
                        plan.criteria[i]
                        .result(outcome, lang, lambda path, i=i: values.get((i, path)))  # type: ignore[misc]
                        .reason
                    )
                    self._reasons[(profile, i, outcome, lang, named)] = said
                reasons.append(said)
                any_unknown |= outcome == _UNKNOWN
                any_not_met |= outcome == _NOT_MET
        missing: list[str] = []
        if any_unknown and not any_not_met:
            hinges: dict[str, int] = {}
            for slot, path in decoder.hinges:
                if read(slot):
                    hinges[path] = hinges.get(path, 0) + 1
            missing.extend(rank_missing(hinges, self.policies))
        extra = {path: 1 for slot, path in decoder.amount if read(slot) and path not in missing}
        missing.extend(p for p in rank_missing(extra, self.policies) if p not in missing)
        joined = ("；" if lang == "zh" else "; ").join(reasons) if reasons else None
        code, day = self.profiles.points[profile]
        # A day of the profile's date bucket in the row's year: the bucket starts at `day` and
        # holds the row's date, so it holds 1 January of a later year (or 31 December of an
        # earlier one, before the first date) too; the warnings are the same across a bucket
        # but for the year they name.
        if year > day.year:
            day = dt.date(year, 1, 1)
        elif year < day.year:
            day = dt.date(year, 12, 31)
        return joined, missing, list(self.programme.warnings(code, day, lang))

    def _named_facts(self, index: int) -> tuple[str, ...]:
        """The facts criterion `index` names in its not-met or unknown wording, in order."""
        found = self._named.get(index)
        if found is None:
            found = self._named[index] = tuple(p for i, p in self.fact_columns if i == index)
        return found

    def shown_facts(self, lang: Lang) -> list[pl.Expr]:
        """Each named fact's value as `determination.show_fact` words it (null stays null)."""
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

    def codes(self, words: Sequence[object]) -> str | None:
        """The reasons as codes: the ids of the criteria not met (`id!`) and unknown (`id?`), in
        the programme's order, space-separated; `ColumnarPolicySet.legend` spells them out."""
        if self._decoder is None:
            self._decoder = _Decoder.of(self)
        decoder = self._decoder

        def read(slot: tuple[int, int, int]) -> int:
            word = words[slot[0]]
            assert isinstance(word, int)
            return (word >> slot[1]) & slot[2]

        profile = read(decoder.profile)
        if profile in self.not_in_force:
            self._coded.add((profile, -1, _NOT_MET))
            return reason_code(NOT_IN_FORCE_CRITERION, False)
        codes: list[str] = []
        for i, slot in enumerate(decoder.outcomes):
            outcome = read(slot)
            if outcome in (_NOT_MET, _UNKNOWN):
                codes.append(reason_code(self.programme.criteria[i].spec.id, outcome == _UNKNOWN))
                self._coded.add((profile, i, outcome))
        return " ".join(codes) or None

    def reason_text(self, profile: int, criterion: int, unknown: bool, lang: Lang) -> str:
        """One criterion's reason as `describe` words it for rows of `profile`: `describe` itself
        on a signature where only that criterion is not met (or unknown)."""
        if self._decoder is None:
            self._decoder = _Decoder.of(self)
        decoder = self._decoder
        words = [0] * self.words

        def put(slot: tuple[int, int, int], value: int) -> None:
            words[slot[0]] |= (value & slot[2]) << slot[1]

        put(decoder.profile, profile)
        # A year inside the profile's dates (the year is part of a signature; year 0, 1970,
        # would word the reason under no parameters at all).
        year = self.profiles.points[profile][1].year - _YEAR_BASE
        put(decoder.year, min(max(year, 0), _YEAR_MASK))
        for i, slot in enumerate(decoder.outcomes):
            put(slot, (_UNKNOWN if unknown else _NOT_MET) if i == criterion else _MET)
        # No named fact known: the legend spells a code out in the criterion's general wording.
        text, _, _ = self.describe(words, lang)
        return text or ""


def reason_code(criterion: str, unknown: bool) -> str:
    """A criterion's reason code: its id, then `!` when not met or `?` when not known."""
    return criterion + ("?" if unknown else "!")


def compile_programme(
    programme: Programme, policies: PolicySet, *, variants: int = 1
) -> ColumnarProgramme:
    """Compile a programme's criteria and amount rules for rows under up to `variants` parameter
    variants; raise `ColumnarUnsupportedError` for a rule it cannot express.

    With one variant, rows of profiles with several must not be evaluated (see `evaluate`).
    """
    profiles = plans_of(policies).profiles(programme)
    kinds: dict[str, NodeKind] = {}
    for path, spec in policies.facts.items():
        kinds[path] = _NODE_KINDS.get(spec.kind, "str")
    bindings = _Bindings(f"__{programme.id}.")
    compiler = _Compiler(profiles, kinds, bindings)

    outcomes: list[pl.Expr] = []
    hinge_bits: list[tuple[int, str, pl.Expr]] = []
    for index, criterion in enumerate(programme.criteria):
        codes: list[pl.Expr] = []
        applying: list[pl.Expr] = []
        masks: list[dict[str, pl.Expr]] = []
        level = 0
        for variant in range(variants):
            compiler.variant = variant
            code, applies, variant_masks, variant_level = _criterion(compiler, programme, criterion)
            codes.append(code)
            applying.append(applies)
            masks.append(variant_masks)
            level = max(level, variant_level)
        # As `determination._criterion_outcome`: not applying counts as met; skipped only if it
        # applies under no variant; variants that disagree leave it unknown, hinging on the region.
        somewhere = _or(applying) if len(applying) > 1 else applying[0]
        agree = reduce(lambda a, b: a & b, (c == codes[0] for c in codes[1:]), pl.lit(True))
        if variants == 1 and applying[0] is _ALWAYS:
            outcome = codes[0]  # always applies, one variant: the code is the outcome
        else:
            outcome = (
                pl.when(~somewhere)
                .then(pl.lit(_SKIPPED, dtype=_CODE))
                .when(agree)
                .then(codes[0])
                .otherwise(pl.lit(_UNKNOWN, dtype=_CODE))
            )
            outcome, _ = bindings.bind(outcome, level)
        outcomes.append(outcome)
        unknown = outcome == _UNKNOWN
        merged: dict[str, list[pl.Expr]] = {}
        for variant_masks in masks:
            for path, mask in variant_masks.items():
                merged.setdefault(path, []).append(mask)
        if variants > 1:
            merged.setdefault(REGION, []).append(~agree)
        for path, parts in sorted(merged.items()):
            hinge_bits.append((index, path, unknown & _or(parts)))

    amount: pl.Expr | None = None
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
        # As `determination._determine`: the region's own amount if every variant gives the
        # same, else unknown, hinging on the region.
        same = reduce(
            lambda a, b: a & b, (v.eq_missing(values[0]) for v in values[1:]), pl.lit(True)
        )
        amount = pl.when(same).then(values[0]).otherwise(pl.lit(None, dtype=pl.Int64))
        if variants > 1:
            hinges.setdefault(REGION, []).append(~same)
        amount_hinges = sorted((path, _or(parts)) for path, parts in hinges.items())

    fact_columns: list[tuple[int, str]] = []
    fact_exprs: list[pl.Expr] = []
    for index, criterion in enumerate(programme.criteria):
        naming: dict[str, list[int]] = {}
        for outcome_code, name in ((_NOT_MET, "not_met"), (_UNKNOWN, "unknown")):
            own: Text | None = getattr(criterion.spec, name)
            for path in sorted(p for p in (own.placeholders() if own else ()) if "." in p):
                naming.setdefault(path, []).append(outcome_code)
        for path, codes_naming in naming.items():
            fact_columns.append((index, path))
            fact_exprs.append(
                pl.when(outcomes[index].is_in(codes_naming)).then(pl.col(path)).otherwise(None)
            )

    compiled = ColumnarProgramme(
        programme=programme,
        policies=policies,
        profiles=profiles,
        bindings=bindings,
        outcomes=outcomes,
        hinge_bits=hinge_bits,
        amount=amount,
        amount_hinges=amount_hinges,
        fact_columns=fact_columns,
        fact_exprs=fact_exprs,
    )
    _lay_out(compiled)
    return compiled


_NODE_KINDS: dict[str, NodeKind] = {"bool": "bool", "int": "num", "date": "date"}
# What `_criterion` says of a criterion that applies on every row (compared by identity).
_ALWAYS = pl.lit(True)
REGION = "region_code"


def _criterion(
    compiler: _Compiler, programme: Programme, criterion: CompiledCriterion
) -> tuple[pl.Expr, pl.Expr, dict[str, pl.Expr], int]:
    """One criterion under the compiler's variant: its outcome code (skipped counted as met),
    whether it applies, the facts an unknown outcome hinges on, and its binding level."""
    test = compiler.compile(criterion.test)
    holds, level = compiler.bindings.bind(_truthy(test), test.level)
    skipped: pl.Expr = pl.lit(False)
    applies_unknown: pl.Expr = pl.lit(False)
    nodes = [test]
    # As `Programme.applies_under`: a profile without a value for a parameter the criterion
    # needs does not apply it.  That depends on the profile only: a lookup on it.
    chosen = compiler.chosen()
    gaps = [not programme.applies_under(criterion, params) for params in chosen]
    gapped = any(gaps)
    if gapped:
        if all(gaps):
            skipped = pl.lit(True)
        else:
            lookup = pl.lit(pl.Series(gaps, dtype=pl.Boolean)).gather(compiler.profile)
            skipped = compiler.bindings.bind(lookup, 0)[0]
            level = max(level, 1)
    if criterion.applies_when is not None:
        applies_node = compiler.compile(criterion.applies_when)
        nodes.append(applies_node)
        level = max(level, applies_node.level)
        if applies_node.expr is not None:
            # The reference skips a criterion only when `applies_when` is exactly False.
            if applies_node.kind == "bool":
                skipped = skipped | (~applies_node.expr).fill_null(False)
            applies_unknown = applies_node.expr.is_null()
    decided = (
        pl.when(holds.is_null())
        .then(pl.lit(_UNKNOWN, dtype=_CODE))
        .when(holds)
        .then(pl.lit(_MET, dtype=_CODE))
        .otherwise(pl.lit(_NOT_MET, dtype=_CODE))
    )
    if criterion.applies_when is None and not gapped:
        code, level = compiler.bindings.bind(decided, level)
        return code, _ALWAYS, _merge_hinges(*nodes), level
    code = (
        pl.when(skipped)
        .then(pl.lit(_MET, dtype=_CODE))
        .when(applies_unknown)
        .then(pl.lit(_UNKNOWN, dtype=_CODE))
        .otherwise(decided)
    )
    code, level = compiler.bindings.bind(code, level)
    masks = {path: ~skipped & mask for path, mask in _merge_hinges(*nodes).items()}
    return code, ~skipped, masks, level


def _amount(compiler: _Compiler, programme: Programme) -> tuple[pl.Expr, dict[str, pl.Expr]]:
    """The amount under the compiler's variant, and the facts an unknown amount hinges on."""
    value: pl.Expr = pl.lit(None, dtype=pl.Int64)
    hinges: dict[str, pl.Expr] = {}
    # Built from the last rule back, so the first rule that holds (or is unknown) decides.
    for rule in reversed(programme.amounts):
        when = compiler.compile(rule.when)
        holds = _truthy(when) if when.expr is not None else pl.lit(True)
        if when.by_profile is None:
            holds, _ = compiler.bindings.bind(holds, when.level)
        amount_node = compiler.compile(rule.amount)
        if amount_node.expr is None:
            raise ColumnarUnsupportedError("an amount that is a list")
        # `int(value)` in the reference truncates toward zero, as a cast to Int64 does.
        rule_value = amount_node.expr.cast(pl.Int64)
        value = (
            pl.when(holds.is_null())
            .then(pl.lit(None, dtype=pl.Int64))
            .when(holds)
            .then(rule_value)
            .otherwise(value)
        )
        for path in set(hinges) | set(when.hinges) | set(amount_node.hinges):
            before = hinges.get(path, pl.lit(False))
            hinges[path] = (
                pl.when(holds.is_null())
                .then(when.hinges.get(path, pl.lit(False)))
                .when(holds)
                .then(amount_node.hinges.get(path, pl.lit(False)))
                .otherwise(before)
            )
    return value, hinges


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
    for i in range(len(compiled.outcomes)):
        place(("outcome", i, ""), 2)
    for i, path, _ in compiled.hinge_bits:
        place(("hinge", i, path), 1)
    for path, _ in compiled.amount_hinges:
        place(("amount", 0, path), 1)
    for j in range(len(compiled.fact_columns)):
        place(("named", j, ""), 1)
    compiled.words = max(1, (shift + 62) // 63)


# ---------------------------------------------------------------------------------------------
# Policy sets


class ColumnarPolicySet:
    """All (or the chosen) programmes of a policy set, compiled once, evaluated per frame.

    Each programme is compiled twice: for rows under one parameter variant (county codes: almost
    every row of a register) and, if any profile has several, for rows of those profiles, which
    must be decided under every variant.  Rows are split by profile, so the common case pays for
    one variant only.
    """

    def __init__(self, policies: PolicySet, programmes: Sequence[str] | None = None) -> None:
        self.policies = policies
        chosen = list(policies.programmes) if programmes is None else list(programmes)
        self.programmes: list[tuple[ColumnarProgramme, ColumnarProgramme | None]] = []
        for pid in chosen:
            programme = policies.programme(pid)
            single = compile_programme(programme, policies)
            most = single.profiles.most_variants
            multi = compile_programme(programme, policies, variants=most) if most > 1 else None
            self.programmes.append((single, multi))
        self._labels = {path: spec.label for path, spec in policies.facts.items()}
        # The wording of each signature as shown, kept across chunks (they recur), per compiled
        # programme and way of showing; chunks may be evaluated in several threads at once.
        self._worded: dict[tuple[object, ...], pl.DataFrame] = {}
        self._lock = threading.Lock()

    @property
    def ids(self) -> list[str]:
        """The programmes evaluated, in order."""
        return [single.id for single, _ in self.programmes]

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
        (`text`), as codes (`codes`: see `ColumnarProgramme.codes` and `legend`), or left out
        (`none`: no `.reasons` column).
        """
        frame = (
            with_fact_columns(facts, self.policies)
            .lazy()
            .with_columns(derived_age(), *household_status_facts())
            .drop(WORK_PROVINCE)  # derived only, joined below
            .with_row_index("__row")
            .collect()
        )
        # The profiles, the work scope and the work province depend only on a row's region
        # codes and date, and a register holds few distinct ones: work each out once per
        # distinct triple and join them onto the rows.
        keys = [REGION, "as_of", WORK_REGION]
        scope, province = region_facts()
        triples = (
            frame.lazy()
            .select(keys)
            .unique()
            .with_columns(
                scope.alias("__scope"),
                province,
                *(
                    profile_expr(single.profiles).alias(f"__profile.{single.id}")
                    for single, _ in self.programmes
                ),
            )
            .collect()
        )
        frame = frame.join(
            triples, on=keys, how="left", nulls_equal=True, maintain_order="left"
        ).with_columns(pl.coalesce(WORK_SCOPE, "__scope").alias(WORK_SCOPE))
        parts: list[tuple[ColumnarProgramme, pl.LazyFrame]] = []
        split: dict[str, bool] = {}
        for single, multi in self.programmes:
            mask = None
            if multi is not None:
                mask = frame[f"__profile.{single.id}"].is_in(single.profiles.multi())
            if mask is None or not mask.any():
                parts.append((single, frame.lazy()))
                split[single.id] = False
                continue
            assert multi is not None
            parts.append((single, frame.filter(~mask).lazy()))
            parts.append((multi, frame.filter(mask).lazy()))
            split[single.id] = True
        # The programmes' queries are independent: polars runs them in parallel.
        results = pl.collect_all(
            [c.prepare(lf).select(pl.col("__row"), *c.expressions()) for c, lf in parts]
        )
        by_programme: dict[str, list[pl.DataFrame]] = {}
        for (compiled, _), result in zip(parts, results, strict=True):
            pid = compiled.id
            worded, missing, warnings = self._describe(
                result.select(compiled.signature_columns()),
                compiled,
                lang,
                missing_as,
                separator,
                reasons,
            )
            if compiled.fact_columns and reasons == "text":
                worded = _fill_named_facts(
                    worded, result.select(compiled.named_fact_columns()), compiled, lang
                )
            by_programme.setdefault(pid, []).append(
                pl.DataFrame(
                    [
                        result["__row"],
                        result[f"{pid}.verdict"],
                        result[f"{pid}.amount"],
                        *([] if reasons == "none" else [worded.alias(f"{pid}.reasons")]),
                        missing.alias(f"{pid}.missing"),
                        warnings.alias(f"{pid}.warnings"),
                    ]
                )
            )
        out: list[pl.DataFrame] = []
        for pid in self.ids:
            pieces = by_programme[pid]
            combined = pl.concat(pieces).sort("__row") if split[pid] else pieces[0]
            out.append(combined.drop("__row"))
        return pl.concat(out, how="horizontal")

    def _describe(
        self,
        keys: pl.DataFrame,
        compiled: ColumnarProgramme,
        lang: Lang,
        missing_as: Literal["path", "label"],
        separator: str | None,
        reasons: Reasons = "text",
    ) -> tuple[pl.Series, pl.Series, pl.Series]:
        """Reasons, missing facts and warnings for each row, worded once per distinct signature."""

        def single_key(frame: pl.DataFrame) -> pl.Series:
            if frame.width == 1:
                return frame.to_series()
            # Named facts are null where unused: a marker keeps the key defined.
            return frame.select(
                pl.concat_str(
                    [pl.col(c).cast(pl.String).fill_null("\u2205") for c in frame.columns],
                    separator="-",
                )
            ).to_series()

        if keys.height == 0:
            return (
                pl.Series([], dtype=pl.Categorical),
                pl.Series([], dtype=_missing_dtype(separator)),
                pl.Series([], dtype=_missing_dtype(separator)),
            )
        key = single_key(keys).alias("__key")
        # The wording of every signature seen so far is kept as a table (signature, reasons,
        # missing), and each row joins it: only signatures new in this chunk are worded in
        # Python, and a register has few after its first chunks.
        table_id = (id(compiled), lang, missing_as, separator, reasons)
        distinct = key.unique()
        with self._lock:
            known = self._worded.get(table_id)
            new = (
                distinct
                if known is None
                else distinct.filter(~distinct.is_in(known["__key"].implode()))
            )
            if new.len():
                if known is not None and known.height > _MEMO_SIZE:
                    known, new = None, distinct
                added = self._worded_rows(
                    keys, key, new, compiled, lang, missing_as, separator, reasons
                )
                known = added if known is None else pl.concat([known, added]).rechunk()
                self._worded[table_id] = known
        assert known is not None
        joined = key.to_frame().join(known, on="__key", how="left", maintain_order="left")
        return joined["reasons"], joined["missing"], joined["warnings"]

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
        """The wording of the signatures `new`: reasons and missing facts as shown."""
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
        reasons_list: list[str | None] = []
        missing_list: list[object] = []
        warnings_list: list[object] = []
        # Warnings are whole sentences, one per line of the cell: run together ("…为准。2026年起…")
        # they read as one (review9 F13).
        sentences = "\n"
        for words in signatures:
            said, missing, warnings = compiled.describe(words, lang, worded=reasons == "text")
            if reasons == "codes":
                said = compiled.codes(words)
            shown = missing
            if missing_as == "label":
                shown = [self._labels[p].in_(lang) for p in missing]
            reasons_list.append(said)
            missing_list.append(shown if separator is None else (separator.join(shown) or None))
            warnings_list.append(
                warnings if separator is None else (sentences.join(warnings) or None)
            )
        # Categorical: a register repeats a few hundred texts a million times; each row holds a
        # small code, and Parquet stores each text once per row group.
        return pl.DataFrame(
            [
                worded_keys.alias("__key"),
                pl.Series("reasons", reasons_list, dtype=pl.Categorical),
                pl.Series("missing", missing_list, dtype=_missing_dtype(separator)),
                pl.Series("warnings", warnings_list, dtype=_missing_dtype(separator)),
            ]
        )

    def legend(self) -> pl.DataFrame:
        """Each reason code given so far, spelled out: programme id, code, the reason in zh and
        in en, and where it applies when its wording differs by region or date (`where`)."""
        rows: list[tuple[str, str, str, str, str]] = []
        for single, multi in self.programmes:
            seen: dict[tuple[int, int], dict[tuple[str, str], list[int]]] = {}
            for compiled in (single, multi):
                if compiled is None:
                    continue
                for profile, i, outcome in sorted(compiled._coded):
                    if i < 0:
                        starts = compiled.not_in_force[profile]
                        said = (
                            not_in_force_reason(starts, "zh")[1],
                            not_in_force_reason(starts, "en")[1],
                        )
                        places = seen.setdefault((i, outcome), {}).setdefault(said, [])
                        if profile not in places:
                            places.append(profile)
                        continue
                    unknown = outcome == _UNKNOWN
                    said = (
                        compiled.reason_text(profile, i, unknown, "zh"),
                        compiled.reason_text(profile, i, unknown, "en"),
                    )
                    places = seen.setdefault((i, outcome), {}).setdefault(said, [])
                    if profile not in places:
                        places.append(profile)
            for (i, outcome), wordings in sorted(seen.items()):
                criterion = (
                    NOT_IN_FORCE_CRITERION if i < 0 else single.programme.criteria[i].spec.id
                )
                code = reason_code(criterion, outcome == _UNKNOWN)
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


def _missing_dtype(separator: str | None) -> pl.DataType:
    """The missing facts' column: one text per row when joined by a separator, else a list."""
    return pl.Categorical() if separator else pl.List(pl.String())
