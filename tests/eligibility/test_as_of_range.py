"""The dates an answer may be asked for (`eligibility.as_of_range`): from the earliest day the
loaded policies speak of to five years after today."""

from __future__ import annotations

import datetime as dt

from eligibility.as_of_range import AS_OF_YEARS_AHEAD, as_of_range
from eligibility.programme import PolicySet


def test_the_range_runs_from_the_first_rule_to_five_years_ahead(policies: PolicySet) -> None:
    # policy-2026 notes: the transition period (过渡期) ran from 2021-01-01, the first `since`
    # of the bundled tables (transport_subsidy, 黑人社发〔2022〕18号's 3 months "since 2021-01-01"),
    # earlier than any cited document's date (银保监发〔2021〕6号, 2021-03-04).
    allowed = as_of_range(policies, dt.date(2026, 12, 1))
    assert allowed.earliest == dt.date(2021, 1, 1)
    assert allowed.latest == dt.date(2026 + AS_OF_YEARS_AHEAD, 12, 1)
    assert allowed.problem(dt.date(2021, 1, 1)) is None
    assert allowed.problem(dt.date(2031, 12, 1)) is None
    assert allowed.problem(dt.date(2020, 12, 31)) == (
        "is before 2021-01-01, the earliest date the rules cover"
    )
    assert allowed.problem(dt.date(1, 1, 1)) is not None
    assert allowed.problem(dt.date(2031, 12, 2)) == (
        "is after 2031-12-01, more than 5 years from today"
    )
    assert allowed.problem(dt.date(9999, 12, 31), "zh") == (
        "晚于2031-12-01：最多只能按今天起5年内的日期算"
    )
    # From 29 February, five years on is 28 February.
    assert as_of_range(policies, dt.date(2028, 2, 29)).latest == dt.date(2033, 2, 28)
