"""The rule language: parsing, Kleene three-valued logic, and which unknown facts matter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility import rules


def ev(source: str, **facts: object) -> object:
    value, _ = rules.evaluate(rules.parse(source), facts, {"cap": 5, "none": None})
    return value


@pytest.mark.parametrize(
    ("left", "right", "and_", "or_"),
    [
        (True, True, True, True),
        (True, False, False, True),
        (True, None, None, True),
        (False, None, False, None),
        (None, None, None, None),
        (False, False, False, False),
    ],
)
def test_kleene_truth_tables(left: object, right: object, and_: object, or_: object) -> None:
    assert ev("a and b", a=left, b=right) is and_
    assert ev("b and a", a=left, b=right) is and_
    assert ev("a or b", a=left, b=right) is or_
    assert ev("b or a", a=left, b=right) is or_


def test_not_keeps_unknown_unknown() -> None:
    assert ev("not a") is None
    assert ev("not a", a=True) is False
    assert ev("not (a and b)", a=False) is True


def test_comparisons_with_unknown_are_unknown() -> None:
    assert ev("x >= 3") is None
    assert ev("x >= 3", x=3) is True
    assert ev("x < param.cap", x=5) is False
    assert ev("x in ['a', 'b']") is None
    assert ev("x not in ['a', 'b']", x="c") is True


def test_zero_is_not_unknown() -> None:
    assert ev("x <= 0", x=0) is True
    assert ev("given(x)", x=0) is True
    assert ev("given(x)") is False


def test_arithmetic_and_division_by_zero() -> None:
    assert ev("x * 100 <= y * (100 - 30)", x=7, y=10) is True
    assert ev("x / y > 1", x=1, y=0) is None


def test_arithmetic_on_a_bool_is_refused_by_generated_code_too() -> None:
    # `rules._arith` takes numbers only (a bool is not one); the inline form defers to it.
    with pytest.raises(TypeError):
        rules.compile_expr(rules.parse("x + 1 > 2"))({"x": True}, {})


def test_given_of_an_unset_parameter() -> None:
    assert ev("given(param.none) and x > 1") is False


def test_only_facts_that_can_still_matter_are_reported() -> None:
    expr = rules.parse("household.category == 'poverty_alleviated' or person.age > 60")
    value, missing = rules.evaluate(expr, {"household.category": "poverty_alleviated"}, {})
    assert (value, missing) == (True, frozenset())
    value, missing = rules.evaluate(expr, {"household.category": "ordinary"}, {})
    assert (value, missing) == (None, frozenset({"person.age"}))
    value, missing = rules.evaluate(expr, {}, {})
    assert missing == {"household.category", "person.age"}


def test_parse_round_trips_through_source() -> None:
    source = "not (a in [1, 2] and param.x >= 3) or given(b)"
    assert rules.parse(rules.to_source(rules.parse(source))) == rules.parse(source)


@pytest.mark.parametrize("source", ["a ==", "(a", "a b", "a $ b", "[a]", "given a"])
def test_syntax_errors_are_reported(source: str) -> None:
    with pytest.raises(rules.RuleSyntaxError):
        rules.parse(source)


def test_fact_and_param_references() -> None:
    expr = rules.parse("person.age >= param.min_age and not given(household.size)")
    assert rules.fact_paths(expr) == {"person.age", "household.size"}
    assert rules.param_names(expr) == {"min_age"}


_NAMES = ("a", "b", "c")
_atoms = st.one_of(
    st.sampled_from(_NAMES).map(rules.Fact),
    st.integers(-3, 3).map(rules.Const),
    st.just(rules.Param("cap")),
    st.just(rules.Param("none")),
)


# Arithmetic as the generated code writes it inline (numbers; division by zero unknown) and as
# `rules._arith` has it, over facts, constants and parameters.
_terms = _atoms | st.builds(
    lambda op, left, right: rules.Arith(op, left, right),
    st.sampled_from(["+", "-", "*", "/"]),
    _atoms,
    _atoms,
)


def _comparison(pair: tuple[rules.Expr, rules.Expr], op: str) -> rules.Expr:
    return rules.Compare(op, *pair)  # type: ignore[arg-type]


_booleans = st.recursive(
    st.builds(
        _comparison, st.tuples(_terms, _terms), st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
    )
    | st.builds(lambda item: rules.Member(item, rules.Const([0, 1, 2])), _atoms)
    | st.builds(rules.Given, _atoms),
    lambda inner: (
        st.builds(rules.Not, inner)
        | st.lists(inner, min_size=1, max_size=3).map(lambda xs: rules.All(tuple(xs)))
        | st.lists(inner, min_size=1, max_size=3).map(lambda xs: rules.Any_(tuple(xs)))
    ),
    max_leaves=8,
)


def _reference(
    expr: rules.Expr, facts: dict[str, int], params: dict[str, object]
) -> tuple[object, frozenset[str]]:
    """The rule language's semantics as a plain tree walk (the interpreter the core had before
    its evaluator became generated code): the oracle the generated code is held to."""
    nothing: frozenset[str] = frozenset()
    match expr:
        case rules.Fact(path):
            value = facts.get(path)
            return value, (frozenset((path,)) if value is None else nothing)
        case rules.Param(name):
            return params[name], nothing
        case rules.Const(value):
            return value, nothing
        case rules.Compare(op, left, right) | rules.Arith(op, left, right):
            (a, am), (b, bm) = _reference(left, facts, params), _reference(right, facts, params)
            if a is None or b is None:
                return None, am | bm
            if isinstance(expr, rules.Compare):
                return rules._compare(op, a, b), nothing
            return rules._arith(op, a, b), nothing
        case rules.Member(item, collection):
            (a, am), (b, bm) = (
                _reference(item, facts, params),
                _reference(collection, facts, params),
            )
            if a is None or b is None:
                return None, am | bm
            assert isinstance(b, (list, tuple))
            return a in b, nothing
        case rules.All(items) | rules.Any_(items):
            decisive = isinstance(expr, rules.Any_)
            missing, unknown = nothing, False
            for item in items:
                held, item_missing = _reference(item, facts, params)
                if held is None:
                    unknown, missing = True, missing | item_missing
                elif bool(held) is decisive:
                    return decisive, nothing
            return (None, missing) if unknown else (not decisive, nothing)
        case rules.Not(item):
            inner, missing = _reference(item, facts, params)
            return (None, missing) if inner is None else (not inner, nothing)
        case rules.Given(item):
            return _reference(item, facts, params)[0] is not None, nothing
    raise TypeError(expr)


@given(
    expr=_booleans,
    facts=st.fixed_dictionaries({}, optional={n: st.integers(-3, 3) for n in _NAMES}),
)
def test_generated_rules_agree_with_the_reference_semantics(
    expr: rules.Expr, facts: dict[str, int]
) -> None:
    # Unbound (parameters read per call) and bound to a profile's parameters with the
    # parameter-only parts folded, as a decision plan compiles them.
    params: dict[str, object] = {"cap": 1, "none": None}
    expected = _reference(expr, facts, params)
    assert rules.compile_expr(expr)(facts, params) == expected
    assert rules.compile_expr(expr, params)(facts, {}) == expected
    assert rules.evaluate(expr, facts, params) == expected


def test_numbers_inside_and_or_are_read_as_at_the_top_level() -> None:
    # A bare 0 is false and a bare 2 is true wherever it stands, as in the compiled rules.
    assert ev("x and true", x=0) is False
    assert ev("x or false", x=2) is True
    assert rules.compile_expr(rules.parse("x and true"))({"x": 0}, {})[0] is False
