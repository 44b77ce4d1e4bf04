"""The two ladders (`plan.criterion_ladder`, `plan.amount_ladder`) as the row back-end's
generated code reads them (`plan._ladder_code`): the rule the issue states (#10), and the same
answer whether a condition reads a fact or is a constant the variant's parameters settled when
the code was written (`plan._static`).  That the columnar translation agrees is the property
test's (`tests/batch/test_columnar_property.py`)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import product
from typing import cast

import pytest

from eligibility import rules
from eligibility.plan import (
    MET,
    NOT_MET,
    SKIPPED,
    UNKNOWN,
    AmountRulePlan,
    Choice,
    _choice_code,
    _ladder_code,
    criterion_ladder,
)

APPLIES, TEST, WHEN1, WHEN2, AMOUNT = "a.applies", "a.test", "a.when1", "a.when2", "a.amount"
ABSENT = "absent"  # the criterion has no `applies_when`
THREE = (True, False, None)


def _condition(path: str, value: bool | None, as_fact: bool) -> rules.Expr:
    return rules.Fact(path) if as_fact else rules.Const(value)


def _run(emitter: rules.Emitter, lines: list[str], facts: dict[str, object]) -> object:
    source = "def run(facts):\n" + emitter.loads() + "".join(line + "\n" for line in lines)
    namespace = dict(emitter.names)
    exec(compile(source, "<test ladder>", "exec"), namespace)
    run = cast(Callable[[dict[str, object]], object], namespace["run"])
    return run(facts)


def _criterion(
    applies_when: rules.Expr | None, test: rules.Expr, facts: dict[str, object], left_out: bool
) -> object:
    emitter = rules.Emitter()

    def settle(code: int, hinge: str | None, at: str) -> list[str]:
        return [f"{at}return {code}, {hinge or 'E'}"]

    ladder = criterion_ladder(applies_when, test)
    return _run(emitter, _ladder_code(emitter, ladder, left_out, settle, "    "), facts)


@pytest.mark.parametrize(
    ("applies", "applies_fact", "test", "test_fact"),
    list(product((ABSENT, *THREE), (True, False), THREE, (True, False))),
)
def test_a_criterion_under_one_variant(
    applies: bool | str | None, applies_fact: bool, test: bool | None, test_fact: bool
) -> None:
    """SKIPPED where `applies_when` is exactly False; UNKNOWN where it or the test is unknown,
    hinging on the unknown facts of both; else MET or NOT_MET."""
    # the one str among the values is ABSENT
    applies_when = None if isinstance(applies, str) else _condition(APPLIES, applies, applies_fact)
    facts: dict[str, object] = {APPLIES: applies, TEST: test}
    facts = {path: value for path, value in facts.items() if value is not None}
    found = _criterion(applies_when, _condition(TEST, test, test_fact), facts, False)
    if applies is False:
        expected: tuple[int, frozenset[str]] = (SKIPPED, frozenset())
    elif applies is None or test is None:
        hinges = {APPLIES} if applies is None and applies_fact else set()
        hinges |= {TEST} if test is None and test_fact else set()
        expected = (UNKNOWN, frozenset(hinges))
    else:
        expected = (MET if test else NOT_MET, frozenset())
    assert found == expected


def test_a_criterion_the_variants_parameters_leave_out_is_skipped() -> None:
    """`Programme.applies_under` false: skipped whatever the facts, hinging on none."""
    found = _criterion(rules.Fact(APPLIES), rules.Fact(TEST), {}, True)
    assert found == (SKIPPED, frozenset())


@pytest.mark.parametrize(
    ("when1", "fact1", "when2", "fact2", "amount"),
    list(product(THREE, (True, False), THREE, (True, False), (250, None))),
)
def test_the_first_amount_rule_that_holds_decides(
    when1: bool | None, fact1: bool, when2: bool | None, fact2: bool, amount: int | None
) -> None:
    """The first rule whose `when` holds decides; an unknown `when` before it leaves the
    amount unknown, hinging on its facts; none holding, no amount."""
    plans = [
        AmountRulePlan(when=when, amount=value, note={}, entry_note={}, unset_note={})
        for when, value in (
            (_condition(WHEN1, when1, fact1), rules.Const(100)),
            (_condition(WHEN2, when2, fact2), rules.Fact(AMOUNT)),
        )
    ]
    emitter = rules.Emitter()
    lines = [*_choice_code(emitter, [plans], "    "), "    return ch0"]
    facts = {WHEN1: when1, WHEN2: when2, AMOUNT: amount}
    found = _run(emitter, lines, {p: v for p, v in facts.items() if v is not None})
    expected: Choice
    if when1 is None:
        expected = (None, None, frozenset({WHEN1} if fact1 else ()))
    elif when1:
        expected = (0, 100, frozenset())
    elif when2 is None:
        expected = (None, None, frozenset({WHEN2} if fact2 else ()))
    elif when2:
        expected = (1, None, frozenset({AMOUNT})) if amount is None else (1, amount, frozenset())
    else:
        expected = (None, None, frozenset())
    assert found == expected
