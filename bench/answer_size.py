"""How many bytes one check answer takes: lean (sources by id in one table, each
whole once; what all determinations share said once; defaults left out) against
the shape before issue 10 (whole citations under every criterion and the amount, every benefit
table, questions inside each programme's missing facts), for the same applicants in one run.

Prints, per applicant, the JSON and gzip sizes of both and the ratio, then what the typical
applicant's full answer is made of.  Nothing is asserted (tests/api/test_api_answers.py holds
the wire size of the typical applicant).

    .venv/bin/python bench/answer_size.py
"""

from __future__ import annotations

import datetime as dt
import gzip
from typing import Any

import msgspec

from eligibility import rules
from eligibility.answer import Determination
from eligibility.determination import determine
from eligibility.facts import Applicant
from eligibility.policy import load_bundled
from eligibility.programme import Citation, PolicySet
from eligibility.reply import reply

TYPICAL: dict[str, Any] = {
    "region_code": "140821",
    "as_of": "2025-06-01",
    "household": {"category": "poverty_alleviated", "size": 4, "microloan_outstanding": 0},
    "person": {
        "age": 40,
        "labor_capacity": "full",
        "full_civil_capacity": True,
        "employment": {"status": "employed", "work_region_code": "440300", "months_continuous": 6},
    },
    "loan_request": {"amount": 30000, "term_months": 36, "purpose": "production"},
}
APPLICANTS: dict[str, dict[str, Any]] = {
    "typical (临猗 worker, loan wanted)": TYPICAL,
    "成都 loan applicant": {
        "region_code": "510121",
        "as_of": "2024-03-01",
        "household": {"category": "poverty_alleviated", "size": 4, "microloan_outstanding": 0},
        "person": {"age": 40, "labor_capacity": "full", "full_civil_capacity": True},
        "loan_request": {"amount": 30000, "term_months": 36, "purpose": "production"},
    },
    "region only": {"region_code": "620823", "as_of": "2024-06-01"},
}


def _before(d: Determination, policies: PolicySet) -> dict[str, Any]:
    """The determination as the core sent it before issue 10."""
    programme = policies.programme(d.programme)
    compiled = {c.spec.id: c for c in programme.criteria}
    shown: dict[str, Any] = msgspec.to_builtins(d)
    for criterion in shown["criteria"]:
        own = compiled.get(criterion["id"])
        criterion["citations"] = msgspec.to_builtins(own.citations if own else ())
        del criterion["sources"]
    cited: list[Citation] = []
    if d.amount is not None or d.amount_note is not None:
        for rule in programme.amounts:
            for name in sorted(rules.param_names(rule.amount)):
                entry = programme.parameter_source(name, d.region_code, d.as_of)
                if entry is not None and entry.value is not None:
                    cited.append(programme.citation(entry.source))
        cited.extend(c for c in programme.benefit_citations if c not in cited)
    shown["amount_citations"] = msgspec.to_builtins(cited)
    del shown["amount_sources"]
    return shown


def main() -> None:
    """Print the sizes."""
    policies = load_bundled()
    today = dt.date(2025, 6, 1)
    print(f"{'applicant':36} {'before':>14} {'full':>14} {'summary':>14}  ratio full/before")
    for name, facts in APPLICANTS.items():
        found = determine(msgspec.convert(facts, Applicant), policies, today=today)
        before = msgspec.json.encode({"determinations": [_before(d, policies) for d in found]})
        sizes = [before]
        for detail in ("full", "summary"):
            sizes.append(msgspec.json.encode(reply(found, policies, "zh", detail)))
        cells = [f"{len(s):>6} ({len(gzip.compress(s, 6)):>5})" for s in sizes]
        print(f"{name:36} {' '.join(cells)}  {len(sizes[1]) / len(sizes[0]):.2f}")
    print("bytes of JSON (gzip level 6 in brackets)")
    found = determine(msgspec.convert(TYPICAL, Applicant), policies, today=today)
    typical = msgspec.to_builtins(reply(found, policies, "zh", "full"))
    parts = {key: len(msgspec.json.encode(value)) for key, value in typical.items()}
    criteria = sum(
        len(msgspec.json.encode(d.get("criteria", []))) for d in typical["determinations"]
    )
    print(
        "typical, full, zh: "
        + ", ".join(f"{key} {size}" for key, size in parts.items() if size > 100)
        + f" (of which criteria {criteria})"
    )


if __name__ == "__main__":
    main()
