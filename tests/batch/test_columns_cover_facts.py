"""Every fact of `Applicant` can be read from a register, under its Chinese header or its
dotted name, with no code of its own in `batch/columns.py` (issue 10, "facts declared once"):
the batch's headers and cell checks come from `facts.toml`, which
`tests/eligibility/test_fact_catalogue.py` holds equal to the Structs.  Failures name the fact."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import polars as pl
import pytest

from batch.columns import ID_PATH, known_headers, normalise_header, parse_chunk, plan_columns
from eligibility.catalogue import FactSpec, bundled_catalogue
from eligibility.facts import fact_types
from eligibility.programme import PolicySet

AS_OF = dt.date(2024, 11, 5)
FACTS = [spec for spec in bundled_catalogue().facts if spec.path in fact_types()]


def _cell(spec: FactSpec) -> tuple[str, object]:
    """A cell as a register holds it, and the typed value it must give."""
    if spec.kind == "enum":
        return spec.options[0].zh, spec.options[0].value
    if spec.kind == "int":
        assert spec.max is not None
        return str(spec.max), spec.max
    cells: dict[str, tuple[str, object]] = {
        "bool": ("是", True),
        "date": ("2024-05-01", dt.date(2024, 5, 1)),
        "region": ("140821", "140821"),
    }
    return cells[spec.kind]


def test_no_two_facts_share_a_header(policies: PolicySet) -> None:
    headers = Counter(
        normalise_header(header)
        for spec in policies.facts.values()
        for header in {spec.path, spec.header_zh, *spec.also_headers}
    )
    assert [header for header, count in headers.items() if count > 1] == []
    assert set(known_headers(policies).values()) == set(fact_types())


@pytest.mark.parametrize("spec", [s for s in FACTS if s.path != ID_PATH], ids=lambda s: s.path)
@pytest.mark.parametrize("by", ["header_zh", "path"])
def test_every_fact_is_read_from_its_column(policies: PolicySet, spec: FactSpec, by: str) -> None:
    cell, value = _cell(spec)
    header = spec.header_zh if by == "header_zh" else spec.path
    raw = pl.DataFrame({header: [cell]})
    plan = plan_columns(raw.columns, policies)
    assert plan.facts == {header: spec.path}, f"{spec.path}: header {header!r} not recognised"
    parsed = parse_chunk(raw, plan, policies, as_of=AS_OF, lang="en")
    assert parsed.errors.to_list() == [None], f"{spec.path}: {parsed.errors[0]}"
    assert parsed.facts[spec.path].to_list() == [value], spec.path
