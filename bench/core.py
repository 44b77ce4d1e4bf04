"""How many applicants one core decides per second, for all five programmes, in-process.

Prints ours (rules compiled to closures, parameters and wording resolved once per region and
date) next to a naive
baseline on the same applicants: an evaluator that re-parses each criterion's rule text and
re-resolves every parameter for every applicant, as a first "interpret the policy file" version
would.  The ratio is from one run on this machine; nothing here is asserted.

    .venv/bin/python bench/core.py [--applicants N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from typing import Any

import msgspec

from eligibility import rules
from eligibility.derive import flatten
from eligibility.determination import determine
from eligibility.facts import Applicant
from eligibility.policy import load_bundled
from eligibility.programme import PolicySet, resolve_parameter

REGIONS = ["140821", "230124", "620823", "520181", "451226", "410581", "510121", None]


def random_applicant(rng: random.Random) -> Applicant:
    """A plausible applicant with about a fifth of the facts unknown."""

    def maybe(value: Any) -> Any:
        return None if rng.random() < 0.2 else value

    data = {
        "as_of": str(dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(700))),
        "region_code": rng.choice(REGIONS),
        "household": {
            "category": maybe(
                rng.choice(
                    [
                        "poverty_alleviated",
                        "edge_vulnerable",
                        "ordinary",
                        "unstable_alleviated",
                        "sudden_hardship",
                    ]
                )
            ),
            "risk_eliminated": maybe(rng.random() < 0.3),
            "per_capita_net_income": maybe(rng.randrange(3000, 20000)),
            "per_capita_net_income_previous": maybe(rng.randrange(3000, 20000)),
            "microloan_overdue": maybe(rng.random() < 0.05),
            "microloan_outstanding": maybe(rng.choice([0, 0, 20000, 50000])),
        },
        "person": {
            "age": maybe(rng.randrange(14, 75)),
            "labor_capacity": maybe(rng.choice(["full", "weak", "none"])),
            "full_civil_capacity": maybe(rng.random() < 0.97),
            "serious_bad_credit": maybe(rng.random() < 0.03),
            "willing_to_work": maybe(rng.random() < 0.8),
            "holds_public_welfare_post": maybe(rng.random() < 0.1),
            "employment": {
                "status": maybe(rng.choice(["employed", "unemployed", "self_employed"])),
                "work_region_code": maybe(rng.choice(["330106", "140105", "620802", "610112"])),
                "months_continuous": maybe(rng.randrange(0, 12)),
                "transport_subsidy_claimed_this_year": maybe(rng.random() < 0.2),
            },
            "education": {
                "level": maybe(rng.choice(["secondary_vocational", "undergraduate"])),
                "full_time": maybe(True),
                "registered": maybe(True),
                "suspended": maybe(False),
            },
        },
        "loan_request": {"purpose": maybe(rng.choice(["production", "wedding", "business"]))},
    }
    return msgspec.convert(data, Applicant)


def naive_verdicts(applicant: Applicant, policies: PolicySet) -> list[str]:
    """The baseline: re-parse every rule and re-resolve every parameter, per applicant."""
    assert applicant.as_of is not None
    as_of = applicant.as_of
    facts = flatten(applicant, as_of)
    prefix = applicant.region_code or ""
    verdicts = []
    for programme in policies.programmes.values():
        regions = [
            applicant.region_code,
            *sorted(
                {
                    entry.region
                    for param in programme.policy.parameters.values()
                    for entry in param.values
                    if entry.region
                    and len(entry.region) > len(prefix)
                    and entry.region.startswith(prefix)
                    and entry.since <= as_of
                }
            ),
        ]
        variants: list[dict[str, Any]] = []
        for region in regions:
            params = {
                name: resolve_parameter(param, region, as_of)
                for name, param in programme.policy.parameters.items()
            }
            if params not in variants:
                variants.append(params)
        outcomes = []
        for criterion in programme.policy.criteria:
            seen = set()
            for params in variants:
                if criterion.applies_when:
                    applies, _ = rules.evaluate(rules.parse(criterion.applies_when), facts, params)
                    if applies is False:
                        seen.add(True)
                        continue
                value, _ = rules.evaluate(rules.parse(criterion.test), facts, params)
                seen.add(value)
            outcomes.append(seen.pop() if len(seen) == 1 else None)
        verdicts.append(
            "ineligible" if False in outcomes else "needs_info" if None in outcomes else "eligible"
        )
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--applicants", type=int, default=20_000)
    args = parser.parse_args()
    policies = load_bundled()
    rng = random.Random(20221)
    applicants = [random_applicant(rng) for _ in range(args.applicants)]

    start = time.perf_counter()
    ours = [determine(a, policies) for a in applicants]
    ours_seconds = time.perf_counter() - start

    start = time.perf_counter()
    baseline = [naive_verdicts(a, policies) for a in applicants]
    baseline_seconds = time.perf_counter() - start

    agree = all([d.verdict for d in o] == b for o, b in zip(ours, baseline, strict=True))
    ours_rate = len(applicants) / ours_seconds
    baseline_rate = len(applicants) / baseline_seconds
    print(f"applicants: {len(applicants)}, programmes each: {len(policies.programmes)}")
    print(f"ours (full determinations, reasons, missing, hashes): {ours_rate:,.0f} applicants/s")
    print(f"naive baseline (verdicts only, re-parse per call):   {baseline_rate:,.0f} applicants/s")
    print(f"ratio ours / baseline: {ours_rate / baseline_rate:.2f}x  (verdicts agree: {agree})")


if __name__ == "__main__":
    main()
