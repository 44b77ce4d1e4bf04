"""What to ask next, by the catalogue's data: gates (`ask_when`) and combined questions.

The core's `next_questions` says which facts could still change a verdict, best first.  This
module narrows that to a question a person can answer: a fact whose gate does not hold is not
asked (no work follow-ups for someone not working), a gate still unknown has its own facts asked
first ("想不想贷款" before the loan conditions), and a combined question is asked in place of its
facts while at least two of them are open.  Everything here is a pure function of the answers.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

import msgspec

from eligibility import rules
from eligibility.catalogue import QuestionSpec
from eligibility.derive import DERIVED_FACTS
from eligibility.programme import PolicySet


class Ask(msgspec.Struct, frozen=True, kw_only=True):
    """The next question: one fact, or a combined question (then `question` is set)."""

    fact: str
    question: QuestionSpec | None = None


def gate(
    policies: PolicySet, key: str, facts: Mapping[str, object]
) -> tuple[object, frozenset[str]]:
    """The gate of a fact or combined question on the known facts: True (ask), False (do not),
    None (unknown) with the facts it waits on.  No gate: True."""
    expr = policies.gates.get(key)
    if expr is None:
        return True, frozenset()
    return rules.evaluate(expr, facts, {})


def choose(
    policies: PolicySet,
    wanted: Iterable[str],
    facts: Mapping[str, object],
    done: Collection[str],
    questions_done: Collection[str],
    *,
    allowed: Collection[str] | None = None,
) -> Ask | None:
    """The first of `wanted` (facts, best first) that may be asked now, or what its gate waits
    on; as a combined question where one covers it.  `done`: facts answered or "不清楚";
    `allowed`: only these facts (the child's), if given."""
    for fact in wanted:
        found = _askable(policies, fact, facts, done, depth=0)
        if found is None or (allowed is not None and found not in allowed):
            continue
        return Ask(fact=found, question=_combined(policies, found, facts, done, questions_done))
    return None


def _askable(
    policies: PolicySet, fact: str, facts: Mapping[str, object], done: Collection[str], depth: int
) -> str | None:
    if fact in done or fact not in policies.facts or depth > 3:
        return None
    spec = policies.facts[fact]
    if spec.asked_with is not None and spec.asked_with not in done:
        # Asked through another fact's question (the one 户类型 question for the status).
        return _askable(policies, spec.asked_with, facts, done, depth + 1)
    holds, waits_on = gate(policies, fact, facts)
    if holds is True:
        return fact
    if holds is False:
        return None
    for other in sorted(waits_on, key=lambda path: (policies.fact_rank(path), path)):
        found = _askable(policies, other, facts, done, depth + 1)
        if found is not None:
            return found
    return None  # what the gate reads was answered "不清楚": not asked


def _combined(
    policies: PolicySet,
    fact: str,
    facts: Mapping[str, object],
    done: Collection[str],
    questions_done: Collection[str],
) -> QuestionSpec | None:
    for question in policies.questions:
        if question.id in questions_done or fact not in question.facts:
            continue
        open_facts = [f for f in question.facts if f not in done]
        if len(open_facts) < 2:
            continue
        if gate(policies, question.id, facts)[0] is True:
            return question
    return None


def programme_facts(policies: PolicySet, programme_id: str) -> frozenset[str]:
    """Every catalogue fact a programme's criteria and amounts read, and what each is worked
    out from and gated by: all a question about this programme can ever be about."""
    programme = policies.programme(programme_id)
    read: set[str] = set()
    for criterion in programme.criteria:
        read |= rules.fact_paths(criterion.test)
        if criterion.applies_when is not None:
            read |= rules.fact_paths(criterion.applies_when)
    for amount in programme.amounts:
        read |= rules.fact_paths(amount.when) | rules.fact_paths(amount.amount)
    for derived, sources in DERIVED_FACTS.items():
        if derived in read:
            read |= set(sources)
    gated = set(read)
    for fact in read:
        expr = policies.gates.get(fact)
        if expr is not None:
            gated |= rules.fact_paths(expr)
    return frozenset(f for f in gated if f in policies.facts)


def settled_by(question: QuestionSpec) -> frozenset[str]:
    """The facts a combined question settles whatever the answer ("不清楚" settles all; a
    choice that sets nothing leaves its facts to be asked one by one)."""
    outcomes = [frozenset(choice.sets) for choice in question.choices]
    if question.typed is not None:
        outcomes.append(frozenset(question.typed.sets) | {question.typed.facts[0]})
    return frozenset.intersection(*outcomes) if outcomes else frozenset()


def questions_left(
    policies: PolicySet,
    open_facts: Iterable[str],
    facts: Mapping[str, object],
    done: Collection[str],
    questions_done: Collection[str],
) -> int:
    """At most how many questions may still come for `open_facts` (every fact a rule of an
    undecided programme reads and not yet answered): those whose gate is not already false; a
    combined question counts once, and the facts it may leave open count one each."""
    left = {
        f
        for f in open_facts
        if f not in done and f in policies.facts and gate(policies, f, facts)[0] is not False
    }
    count = 0
    for question in policies.questions:
        covered = left & set(question.facts)
        if (
            question.id not in questions_done
            and len(covered) >= 2
            and gate(policies, question.id, facts)[0] is not False
        ):
            count += 1
            left -= covered & settled_by(question)
    return count + len(left)
