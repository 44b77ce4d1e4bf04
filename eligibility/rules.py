"""The rule language: a small expression syntax for criteria, parsed into a tagged-union AST.

    household.category in ['poverty_alleviated', 'edge_vulnerable'] and person.age >= param.min_age

Names are facts (dotted glossary paths) or `param.<name>`; literals are numbers, 'strings',
true, false, null and [lists]; operators are `or`, `and`, `not`, comparisons, `in`, `not in`,
`+ - * /` and `given(x)`.  Evaluation is three-valued (Kleene): an unknown fact makes a comparison
unknown, `and` is false as soon as one side is false, `or` true as soon as one side is true.
`given(x)` is the only way to ask whether something is known; it is never unknown itself.

Evaluation also returns the unknown facts that the result hinges on, so a `needs_info` answer
asks only questions that can still change it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Literal, TypeAlias

import msgspec

Scalar: TypeAlias = int | float | str | bool | None
Value: TypeAlias = Scalar | list[str] | list[int] | tuple[Scalar, ...]
Facts: TypeAlias = Mapping[str, object]
Params: TypeAlias = Mapping[str, object]


class RuleSyntaxError(ValueError):
    """An expression that does not parse; the message shows where."""


class Fact(msgspec.Struct, frozen=True, tag="fact"):
    path: str


class Param(msgspec.Struct, frozen=True, tag="param"):
    name: str


class Const(msgspec.Struct, frozen=True, tag="const"):
    value: int | float | str | bool | list[int | float | str] | None


class Compare(msgspec.Struct, frozen=True, tag="compare"):
    op: Literal["==", "!=", "<", "<=", ">", ">="]
    left: Expr
    right: Expr


class Member(msgspec.Struct, frozen=True, tag="in"):
    item: Expr
    collection: Expr


class Arith(msgspec.Struct, frozen=True, tag="arith"):
    op: Literal["+", "-", "*", "/"]
    left: Expr
    right: Expr


class All(msgspec.Struct, frozen=True, tag="all"):
    items: tuple[Expr, ...]


class Any_(msgspec.Struct, frozen=True, tag="any"):
    items: tuple[Expr, ...]


class Not(msgspec.Struct, frozen=True, tag="not"):
    item: Expr


class Given(msgspec.Struct, frozen=True, tag="given"):
    item: Expr


Expr: TypeAlias = Fact | Param | Const | Compare | Member | Arith | All | Any_ | Not | Given

# ---------------------------------------------------------------------------------------------
# Parsing

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\)|\[|\]|,)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null", "given"}


def _tokenize(source: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(source):
        if source[pos:].strip() == "":
            break
        match = _TOKEN.match(source, pos)
        if match is None or match.end() == pos:
            raise RuleSyntaxError(f"unexpected character at {pos}: {source[pos : pos + 12]!r}")
        kind = match.lastgroup
        assert kind is not None
        text, start = match.group(kind), match.start(kind)
        if kind == "name" and text in _KEYWORDS:
            kind = "keyword"
        tokens.append((kind, text, start))
        pos = match.end()
    tokens.append(("end", "", len(source)))
    return tokens


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokenize(source)
        self.index = 0

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.index]

    def take(self) -> tuple[str, str, int]:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def accept(self, text: str) -> bool:
        if self.peek()[1] == text and self.peek()[0] in ("op", "keyword"):
            self.index += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            kind, found, pos = self.peek()
            raise RuleSyntaxError(
                f"expected {text!r} at {pos} but found {found or kind!r} in {self.source!r}"
            )

    def parse(self) -> Expr:
        expr = self.or_()
        kind, text, pos = self.peek()
        if kind != "end":
            raise RuleSyntaxError(f"unexpected {text!r} at {pos} in {self.source!r}")
        return expr

    def or_(self) -> Expr:
        items = [self.and_()]
        while self.accept("or"):
            items.append(self.and_())
        return items[0] if len(items) == 1 else Any_(tuple(items))

    def and_(self) -> Expr:
        items = [self.not_()]
        while self.accept("and"):
            items.append(self.not_())
        return items[0] if len(items) == 1 else All(tuple(items))

    def not_(self) -> Expr:
        if self.accept("not"):
            return Not(self.not_())
        return self.comparison()

    def comparison(self) -> Expr:
        left = self.sum_()
        kind, text, _ = self.peek()
        if kind == "op" and text in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            return Compare(text, left, self.sum_())  # type: ignore[arg-type]
        if self.accept("in"):
            return Member(left, self.sum_())
        if kind == "keyword" and text == "not" and self.tokens[self.index + 1][1] == "in":
            self.index += 2
            return Not(Member(left, self.sum_()))
        return left

    def sum_(self) -> Expr:
        left = self.product()
        while self.peek()[0] == "op" and self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            left = Arith(op, left, self.product())  # type: ignore[arg-type]
        return left

    def product(self) -> Expr:
        left = self.atom()
        while self.peek()[0] == "op" and self.peek()[1] in ("*", "/"):
            op = self.take()[1]
            left = Arith(op, left, self.atom())  # type: ignore[arg-type]
        return left

    def atom(self) -> Expr:
        kind, text, pos = self.take()
        if kind == "number":
            return Const(float(text) if "." in text else int(text))
        if kind == "string":
            return Const(text[1:-1])
        if kind == "keyword" and text in ("true", "false", "null"):
            return Const({"true": True, "false": False, "null": None}[text])
        if kind == "keyword" and text == "given":
            self.expect("(")
            inner = self.or_()
            self.expect(")")
            return Given(inner)
        if kind == "op" and text == "(":
            inner = self.or_()
            self.expect(")")
            return inner
        if kind == "op" and text == "[":
            values: list[int | float | str] = []
            while not self.accept("]"):
                item = self.atom()
                if (
                    not isinstance(item, Const)
                    or item.value is None
                    or isinstance(item.value, (bool, list))
                ):
                    raise RuleSyntaxError(f"list items must be numbers or strings at {pos}")
                values.append(item.value)
                if not self.accept(","):
                    self.expect("]")
                    break
            return Const(values)
        if kind == "name":
            if text.startswith("param."):
                return Param(text.removeprefix("param."))
            return Fact(text)
        raise RuleSyntaxError(f"unexpected {text or kind!r} at {pos} in {self.source!r}")


def parse(source: str) -> Expr:
    """Parse one expression of the rule language into its AST."""
    return _Parser(source).parse()


DEFINITION_PREFIX = "def."


def expand_definitions(expr: Expr, definitions: Mapping[str, Expr]) -> Expr:
    """`expr` with every `def.<name>` replaced by that definition's expression.

    Definitions are expanded when a policy loads, so evaluation (and the missing facts it
    reports) is exactly that of the written-out condition.  Raises KeyError naming an unknown
    definition.
    """
    match expr:
        case Fact(path) if path.startswith(DEFINITION_PREFIX):
            name = path.removeprefix(DEFINITION_PREFIX)
            if name not in definitions:
                raise KeyError(name)
            return definitions[name]
        case Fact() | Param() | Const():
            return expr
        case Compare(op, left, right):
            return Compare(
                op, expand_definitions(left, definitions), expand_definitions(right, definitions)
            )
        case Arith(op, left, right):
            return Arith(
                op, expand_definitions(left, definitions), expand_definitions(right, definitions)
            )
        case Member(item, collection):
            return Member(
                expand_definitions(item, definitions), expand_definitions(collection, definitions)
            )
        case All(items):
            return All(tuple(expand_definitions(i, definitions) for i in items))
        case Any_(items):
            return Any_(tuple(expand_definitions(i, definitions) for i in items))
        case Not(item):
            return Not(expand_definitions(item, definitions))
        case Given(item):
            return Given(expand_definitions(item, definitions))
    raise TypeError(expr)


# ---------------------------------------------------------------------------------------------
# Static questions: one walk over the tree, read four ways


def children(expr: Expr) -> tuple[Expr, ...]:
    """The expression's direct sub-expressions."""
    match expr:
        case Fact() | Param() | Const():
            return ()
        case Compare(_, left, right) | Arith(_, left, right):
            return (left, right)
        case Member(item, collection):
            return (item, collection)
        case All(items) | Any_(items):
            return items
        case Not(item) | Given(item):
            return (item,)
    raise TypeError(expr)


def walk(expr: Expr, *, inside_given: bool = False) -> Iterator[tuple[Expr, bool]]:
    """Every node of the tree, with whether it sits inside a `given(...)` (which asks only
    whether its operand is known, never for its value)."""
    yield expr, inside_given
    below = inside_given or isinstance(expr, Given)
    for child in children(expr):
        yield from walk(child, inside_given=below)


def fact_paths(expr: Expr) -> set[str]:
    """Every fact path the expression reads."""
    return {node.path for node, _ in walk(expr) if isinstance(node, Fact)}


def param_names(expr: Expr) -> set[str]:
    """Every parameter the expression reads."""
    return {node.name for node, _ in walk(expr) if isinstance(node, Param)}


def given_facts(expr: Expr) -> frozenset[str]:
    """The facts the expression tests with `given(...)`: whether they are known at all."""
    return frozenset(node.path for node, given in walk(expr) if given and isinstance(node, Fact))


def required_params(expr: Expr) -> set[str]:
    """The parameters the expression needs a value of: all it reads except inside `given(...)`,
    which asks only whether the parameter is set."""
    return {node.name for node, given in walk(expr) if not given and isinstance(node, Param)}


# ---------------------------------------------------------------------------------------------
# Three-valued evaluation

_NOTHING: frozenset[str] = frozenset()


def evaluate(expr: Expr, facts: Facts, params: Params) -> tuple[object, frozenset[str]]:
    """Evaluate with Kleene logic.

    Returns the value (`None` = unknown) and, when it is unknown, the unknown facts it hinges on.
    A parameter that is `null` is "not set for this region" and is never reported as a missing
    fact; policies test such parameters with `given(param.x)`.  There is one evaluator: the
    expression compiled to Python code (`compile_expr`).
    """
    return compile_expr(expr)(facts, params)


def _compare(op: str, left: object, right: object) -> bool:
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    a, b = _number(left), _number(right)
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def _arith(op: str, left: object, right: object) -> float | int | None:
    a, b = _number(left), _number(right)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    # Division by zero has no answer: unknown rather than a crash on a strange register row.
    return None if b == 0 else a / b


def _number(value: object) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {value!r}")
    return value


def to_source(expr: Expr) -> str:
    """Render an AST back into the rule language (for listings and error messages)."""
    match expr:
        case Fact(path):
            return path
        case Param(name):
            return f"param.{name}"
        case Const(value):
            return _literal(value)
        case Compare(op, left, right):
            return f"{to_source(left)} {op} {to_source(right)}"
        case Member(item, collection):
            return f"{to_source(item)} in {to_source(collection)}"
        case Arith(op, left, right):
            return f"({to_source(left)} {op} {to_source(right)})"
        case All(items):
            return "(" + " and ".join(to_source(i) for i in items) + ")"
        case Any_(items):
            return "(" + " or ".join(to_source(i) for i in items) + ")"
        case Not(item):
            return f"not {to_source(item)}"
        case Given(item):
            return f"given({to_source(item)})"
    raise TypeError(expr)


def _literal(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Sequence):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return str(value)


# ---------------------------------------------------------------------------------------------
# Compilation to Python code: the evaluator.  An expression is compiled once (per policy load,
# or per parameter profile in a decision plan), so deciding an applicant does not re-dispatch on
# node types.  With `params` bound, parameters are constants and every sub-expression that reads
# no fact is worked out at compile time (`fold`): a plan's code reads only facts.

Compiled: TypeAlias = Callable[[Facts, Params], tuple[object, frozenset[str]]]

_EMPTY: Params = {}
_CACHE_LIMIT = 4096
_compiled: dict[int, tuple[Expr, Compiled]] = {}


def compile_expr(expr: Expr, params: Params | None = None) -> Compiled:
    """A function of (facts, params) giving `expr`'s value and the unknown facts it hinges on.

    With `params`, the function is bound to those parameter values (its own `params` argument
    is ignored) and every part that reads no fact is folded to its value.  Unbound compilations
    are memoised by node.
    """
    if params is not None:
        return _compile(fold(expr, params))
    found = _compiled.get(id(expr))
    if found is not None and found[0] is expr:
        return found[1]
    compiled = _compile(expr)
    if len(_compiled) >= _CACHE_LIMIT:
        _compiled.clear()  # a bound on memory that never stops caching (whatif compiles many)
    _compiled[id(expr)] = (expr, compiled)
    return compiled


def fold(expr: Expr, params: Params) -> Expr:
    """`expr` with every sub-expression that reads no fact replaced by its value under `params`
    (an unset parameter folds to null, as it evaluates)."""
    if isinstance(expr, (Fact, Const)):
        return expr
    if not fact_paths(expr):
        # The node's own compiled function, memoised (`compile_expr`): plans of many regions
        # and dates fold the same nodes under their own parameters.
        value, _ = compile_expr(expr)(_EMPTY, params)
        return Const(value)  # type: ignore[arg-type]
    match expr:
        case Compare(op, left, right):
            return Compare(op, fold(left, params), fold(right, params))
        case Arith(op, left, right):
            return Arith(op, fold(left, params), fold(right, params))
        case Member(item, collection):
            return Member(fold(item, params), fold(collection, params))
        case All(items) | Any_(items):
            return _settle(expr, tuple(fold(i, params) for i in items))
        case Not(item):
            return Not(fold(item, params))
        case Given(item):
            return Given(fold(item, params))
    raise TypeError(expr)


def _settle(junction: All | Any_, items: tuple[Expr, ...]) -> Expr:
    """A folded `and`/`or` without the items its parameters already settle: a known item that
    does not decide it is dropped; one that decides it decides it (Kleene)."""
    decisive = isinstance(junction, Any_)
    kept: list[Expr] = []
    for item in items:
        if isinstance(item, Const) and item.value is not None:
            if bool(item.value) is decisive:
                return Const(decisive)
            continue
        kept.append(item)
    if not kept:
        return Const(not decisive)
    return Any_(tuple(kept)) if decisive else All(tuple(kept))


def _compile(expr: Expr) -> Compiled:
    """The expression as one generated Python function (see `Emitter`)."""
    emitter = Emitter()
    value, missing = emitter.emit(expr)
    source = (
        "def run(facts, params):\n"
        f"{emitter.loads()}"
        f"    value = {value}\n"
        "    if value is None:\n"
        f"        return None, {missing}\n"
        "    return value, E\n"
    )
    namespace = dict(emitter.names)
    exec(compile(source, f"<rule {to_source(expr)[:60]}>", "exec"), namespace)
    run: Compiled = namespace["run"]  # type: ignore[assignment]
    return run


def _number_checks(left: Expr, right: Expr) -> list[str]:
    """The generated tests that each operand is a number (an int or a float, never a bool),
    with `{a}`/`{b}` for their values: none for a side that is a constant number."""
    return [
        f"{{{side}}}.__class__ in NUMBERS"
        for side, operand in (("a", left), ("b", right))
        if not (isinstance(operand, Const) and operand.value.__class__ in (int, float))
    ]


class Emitter:
    """Writes an expression as Python source with the rule language's three-valued semantics.

    Each node gives two pieces of code: its value (None = unknown), and the unknown facts it
    hinges on, valid only where its value is None (where every operand it hinges on has been
    evaluated: `and`/`or` stop early only on a deciding item, comparisons evaluate both sides).
    Constants and fact paths reach the code through the function's namespace (`K<n>`), never
    as text; facts are read once into locals at the top.

    The hinges are frozensets of fact paths, or with `bits` ints: one bit per path, in the
    order of `hinge_paths` (`hinge_set` turns them back), unions the same `|`, none `E` = 0.
    Ints hash and compare faster and are not tracked by the garbage collector, which is what
    an answer's cache key wants (`plan.decision_function`).
    """

    def __init__(self, *, bits: bool = False) -> None:
        self.names: dict[str, object] = {
            "E": 0 if bits else _NOTHING,
            "compare": _compare,
            "arith": _arith,
            "member": _member,
            "NUMBERS": (int, float),
        }
        self.fact_locals: dict[str, tuple[str, str]] = {}  # path -> (local, its constant)
        self.bits = bits
        self.hinge_paths: list[str] = []  # with `bits`: the path of each bit, lowest first
        self._hinges: dict[str, str] = {}  # path -> the constant of its hinge
        self._temps = 0
        # The last binary node's (unknown when, value otherwise, the hinges where it is
        # unknown), for `test`.
        self._split: tuple[str, str, str] | None = None

    def scope(self) -> None:
        """Start the hinges afresh: the code emitted from here on gives its own bits, from the
        lowest (several plans' code in one function, each with the bits of its own)."""
        self.hinge_paths = []
        self._hinges = {}

    def hinge(self, path: str) -> str:
        """The constant of the hinge on one fact (or on the region, `REGION`)."""
        found = self._hinges.get(path)
        if found is None:
            if self.bits:
                found = self.constant(1 << len(self.hinge_paths))
                self.hinge_paths.append(path)
            else:
                found = self.constant(frozenset((path,)))
            self._hinges[path] = found
        return found

    def hinge_set(self, hinges: int) -> frozenset[str]:
        """With `bits`: the paths of a hinge's bits."""
        paths = self.hinge_paths
        return frozenset(paths[i] for i in range(hinges.bit_length()) if hinges >> i & 1)

    def loads(self) -> str:
        """The function body's first lines: every fact the emitted code reads, read once."""
        lines = ["    get = facts.get\n"]
        lines.extend(f"    {local} = get({key})\n" for local, key in self.fact_locals.values())
        return "".join(lines)

    def constant(self, value: object) -> str:
        """A name in the namespace that holds `value`."""
        name = f"K{len(self.names)}"
        self.names[name] = value
        return name

    def temp(self) -> str:
        """A fresh local name."""
        self._temps += 1
        return f"t{self._temps}"

    def emit(self, expr: Expr) -> tuple[str, str]:
        """The code of `expr`'s value, and of the unknown facts it hinges on (valid only where
        the value is None)."""
        value, missing, _ = self._emit(expr)
        return value, missing

    def _emit(self, expr: Expr) -> tuple[str, str, bool]:
        # (value, hinges, whether the value can be None at all)
        match expr:
            case Fact(path):
                found = self.fact_locals.get(path)
                if found is None:
                    found = self.fact_locals[path] = (
                        f"f{len(self.fact_locals)}",
                        self.constant(path),
                    )
                return found[0], self.hinge(path), True
            case Param(name):
                return f"params[{self.constant(name)}]", "E", True
            case Const(value):
                return ("None" if value is None else self.constant(value)), "E", value is None
            case Compare(op, left, right):
                if op in ("==", "!="):
                    return self._binary(left, right, "{a} " + op + " {b}")
                # Ordering needs numbers (`_compare` refuses anything else); the common case is
                # tested inline, a constant number's side not at all.
                checks = _number_checks(left, right)
                inline = "{a} " + op + " {b}"
                slow = "compare(" + self.constant(op) + ", {a}, {b})"
                if not checks:
                    return self._binary(left, right, "(" + inline + ")")
                return self._binary(
                    left, right, f"({inline} if {' and '.join(checks)} else {slow})"
                )
            case Member(item, Const(collection)) if isinstance(collection, list):
                try:
                    members: object = frozenset(collection)
                except TypeError:
                    members = tuple(collection)
                return self._binary(item, Const(None), "{a} in " + self.constant(members), 1)
            case Member(item, collection):
                return self._binary(item, collection, "member({a}, {b})")
            case Arith(op, left, right):
                slow = "arith(" + self.constant(op) + ", {a}, {b})"
                if op == "/":
                    # What a division by zero gives is `_arith`'s alone to say (no rule of the
                    # bundled policies divides).
                    return self._binary(left, right, slow)
                # Sums, differences and products of numbers inline; anything else (a bool, a
                # string) through `_arith`, which refuses it.
                checks = _number_checks(left, right)
                inline = "{a} " + op + " {b}"
                if not checks:
                    return self._binary(left, right, f"({inline})")
                return self._binary(
                    left, right, f"({inline} if {' and '.join(checks)} else {slow})"
                )
            case All(items) | Any_(items):
                decisive = isinstance(expr, Any_)
                parts = [self._emit(item) for item in items]
                temps = [self.temp() for _ in parts]
                # `and` is decided by the first false item, `or` by the first true one (Kleene).
                settles = " or ".join(
                    (
                        f"(({t} := {v}) is not None and "
                        if nullable
                        else f"((({t} := {v}) or True) and "
                    )
                    + f"{'' if decisive else 'not '}{t})"
                    for t, (v, _, nullable) in zip(temps, parts, strict=True)
                )
                nullable_temps = [t for t, (_, _, n) in zip(temps, parts, strict=True) if n]
                if not nullable_temps:
                    return f"({decisive} if ({settles}) else {not decisive})", "E", False
                unknown = " or ".join(f"{t} is None" for t in nullable_temps)
                value = f"({decisive} if ({settles}) else (None if {unknown} else {not decisive}))"
                missing = self.either(
                    *((t, m) for t, (_, m, n) in zip(temps, parts, strict=True) if n)
                )
                return value, missing, True
            case Not(item):
                iv, im, nullable = self._emit(item)
                if not nullable:
                    return f"(not {iv})", "E", False
                a = self._name(iv)
                return f"(None if {a[1]} is None else not {a[0]})", im, True
            case Given(item):
                iv, _, nullable = self._emit(item)
                return ("True" if not nullable else f"({iv} is not None)"), "E", False
        raise TypeError(expr)

    def _name(self, code: str) -> tuple[str, str]:
        """(how to refer to the value again, how to bind it the first time): a name is used as
        it is, anything else bound to a fresh local once."""
        if code.isidentifier():
            return code, code
        t = self.temp()
        return t, f"({t} := {code})"

    def _binary(self, left: Expr, right: Expr, test: str, only: int = 2) -> tuple[str, str, bool]:
        """A node unknown when an operand is (both operands are evaluated, as the hinges are
        those of every unknown operand); `test` is its value otherwise, with `{a}`/`{b}`."""
        operands = [self._emit(left)] if only == 1 else [self._emit(left), self._emit(right)]
        names = [self._name(v) for v, _, _ in operands]
        checks = [
            f"{bind} is None" for (_, bind), (_, _, n) in zip(names, operands, strict=True) if n
        ]
        # Operands that cannot be None are bound before the test reads them.
        bound = [
            bind
            for (ref, bind), (_, _, n) in zip(names, operands, strict=True)
            if not n and bind != ref
        ]
        filled = test.format(a=names[0][0], b=names[-1][0] if only == 2 else "")
        if bound:
            filled = "(" + " and ".join(f"({b} or True)" for b in bound) + f" and {filled})"
        if not checks:
            self._split = None
            return filled, "E", False
        guard = checks[0] if len(checks) == 1 else " | ".join(f"({c})" for c in checks)
        unknown = [(ref, m) for (ref, _), (_, m, n) in zip(names, operands, strict=True) if n]
        missing = self.either(*unknown)
        # Where the guard holds with one operand that may be unknown, that operand is: its own
        # hinges, with no test of it again.
        self._split = (guard, filled, unknown[0][1] if len(unknown) == 1 else missing)
        return f"(None if {guard} else {filled})", missing, True

    def test(self, expr: Expr) -> tuple[str | None, str, str, str]:
        """`emit` for a test read first for being unknown, then for holding: for a comparison
        or a membership in a list, its code apart (when it is unknown, else its value, which is
        then a bool: `(guard, value, hinges, hinges where the guard holds)`), so that neither
        is kept in a local; else `(None, value, hinges, hinges)` as `emit` gives them."""
        splits = isinstance(expr, Compare) or (
            isinstance(expr, Member)
            and isinstance(expr.collection, Const)
            and isinstance(expr.collection.value, list)
        )
        self._split = None
        value, missing, _ = self._emit(expr)
        if splits and self._split is not None:
            guard, filled, under = self._split
            return guard, filled, missing, under
        return None, value, missing, missing

    @staticmethod
    def either(*operands: tuple[str, str]) -> str:
        """The union of the hinges of the (value, hinges) operands that are unknown; one whose
        hinges are none (`E`) adds nothing."""
        parts = [f"({m} if {t} is None else E)" for t, m in operands if m != "E"]
        return " | ".join(parts) if parts else "E"


def _member(item: object, collection: object) -> bool:
    assert isinstance(collection, (list, tuple))
    return item in collection
