"""The optional `what_if` columns of a batch (issue 13 part 1, `eligibility batch --what-if`):
per programme, the best suggestion of `eligibility.whatif` for each row, in the run's language.

Suggestions are made by the row back-end (`determine(..., suggest=True)`), on the applicant the
row's facts make (as `batch.household_plans` does); the columnar verdicts beside them decide
the same facts by the same plan (the row/columnar equality tests), so a row's suggestion is
for the verdict shown.  Rows are taken once per distinct set of fact values (a register's many
alike rows share one), and the searches behind them once per plan, outcome pattern and the
values the open criteria read (`whatif.suggestions_for`'s key), so most rows cost a look-up.
A row that cannot be decided (bad data) gets none: its verdicts are left empty too.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import polars as pl

from eligibility.answer import Determination
from eligibility.determination import determine
from eligibility.facts import applicant_from_paths
from eligibility.programme import WARNING_CODE_PREFIX, PolicySet
from eligibility.text import Lang


def what_if_header(programme: str) -> str:
    """The column holding a programme's best suggestion, beside its `<id>.verdict`."""
    return f"{programme}.what_if"


def what_if_columns(
    facts: pl.DataFrame,
    policies: PolicySet,
    programmes: Sequence[str] | None,
    lang: Lang,
) -> pl.DataFrame:
    """One column per programme (in the policy set's order, or those chosen) with each row's
    best suggestion's text, null where there is none; `facts` is a parsed chunk's facts (one
    column per glossary path, with `as_of` and `region_code`)."""
    chosen = tuple(policies.programmes) if programmes is None else tuple(programmes)
    headers = [what_if_header(p) for p in chosen]
    made: dict[tuple[object, ...], list[str | None]] = {}
    columns: list[list[str | None]] = [[] for _ in chosen]
    paths = facts.columns
    for values in facts.iter_rows():
        texts = made.get(values)
        if texts is None:
            texts = made[values] = _best(
                dict(zip(paths, values, strict=True)), policies, chosen, lang
            )
        for column, text in zip(columns, texts, strict=True):
            column.append(text)
    return pl.DataFrame(
        [pl.Series(h, c, dtype=pl.String) for h, c in zip(headers, columns, strict=True)]
    )


def _best(
    row: dict[str, object], policies: PolicySet, chosen: tuple[str, ...], lang: Lang
) -> list[str | None]:
    """Each programme's best suggestion for one row's facts (none for a row the main pass
    gives an error: its verdicts are left empty too)."""
    try:
        answers = determine(
            applicant_from_paths(row), policies, programmes=chosen, lang=lang, suggest=True
        )
    except (msgspec.ValidationError, ValueError):
        return [None] * len(chosen)
    return [_said(d, policies, lang) if d.suggestions else None for d in answers]


def _said(d: Determination, policies: PolicySet, lang: Lang) -> str:
    """The best suggestion's text, in a cell of its own: one that names an amount on the day
    asked, where that day's rules are not yet verified, says so as the answer's warning does
    (a 2026 "就可以申请雨露计划（3000元/学年）" stood alone in its cell: review of 2026-12-04).
    A dated suggestion says it of its own day already."""
    best = d.suggestions[0]
    if best.on is not None or best.amount is None:
        return best.text
    unverified = [
        line
        for code, line in policies.programme(d.programme).coded_warnings(
            d.region_code, d.as_of, lang
        )
        if code.startswith(f"{WARNING_CODE_PREFIX}unconfirmed.")
    ]
    return " ".join((best.text, *unverified)) if lang == "en" else "".join((best.text, *unverified))
