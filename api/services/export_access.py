"""Which rows of a register a caseworker's export may decide: those in the key's regions.

The API's own rule, handed to the batch pipeline as its `row_check`: a row outside the caller's
regions, or without a region, gets an error and no verdict (the batch itself knows no keys).
"""

from __future__ import annotations

import polars as pl

from batch.run import RowCheck
from eligibility.text import Lang

REGION = "region_code"


def outside_regions(regions: tuple[str, ...], lang: Lang) -> RowCheck:
    """The row check for a key limited to `regions` (region code prefixes)."""
    zh = lang == "zh"
    label = "户籍所在地区划代码（region_code）" if zh else "region_code"
    not_given = (
        "未填，无法确认在本账号的地区内"
        if zh
        else "not given: cannot tell it is within this key's regions"
    )
    outside = "不在本账号的地区内" if zh else "is outside this key's regions"

    def check(facts: pl.DataFrame) -> pl.Series:
        region = pl.col(REGION)
        inside = pl.any_horizontal(
            [region.str.starts_with(prefix) for prefix in regions] or [pl.lit(False)]
        ).fill_null(False)
        return facts.select(
            pl.when(region.is_null())
            .then(pl.lit(f"{label}: {not_given}"))
            .when(~inside)
            .then(pl.format(f'{label}: "{{}}" {outside}', region))
            .otherwise(pl.lit(None, dtype=pl.String))
            .alias("error")
        ).to_series()

    return check
