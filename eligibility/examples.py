"""A policy's own examples, run through the determination before the policy set loads.

Apart from the loader (`eligibility.policy`) because it needs the determination, which itself
reads the compiled programme: loader → examples → determination → programme, with no cycle.
"""

from __future__ import annotations

import msgspec

from eligibility.determination import determine_programme
from eligibility.facts import Applicant
from eligibility.policy_file import PolicyError
from eligibility.programme import PolicySet


def check_examples(policy_set: PolicySet) -> None:
    """Run every programme's examples; raise `PolicyError` naming the first that fails."""
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
