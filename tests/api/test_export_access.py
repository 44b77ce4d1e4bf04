"""The API's region rule for exports, applied by the batch pipeline as its row check."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from api.services.export_access import outside_regions
from batch.run import BatchOptions, run_batch
from eligibility.policy import load_bundled
from tests.batch.conftest import AS_OF, ROOT


def test_rows_outside_the_allowed_regions_get_an_error(
    tmp_path: Path,
) -> None:
    policies = load_bundled()
    options = BatchOptions(as_of=AS_OF, lang="en", row_check=outside_regions(("1408",), "en"))
    result = run_batch(
        ROOT / "examples/register.csv", tmp_path / "o.parquet", options, policies=policies
    )
    out = pl.read_parquet(tmp_path / "o.parquet")
    inside = out.filter(pl.col("乡镇").is_in(["临晋镇", "嵋阳镇", "角杯乡"]))
    outside = out.filter(~pl.col("乡镇").is_in(["临晋镇", "嵋阳镇", "角杯乡"]))
    assert outside.height == 11 and inside.height == 9
    assert all("is outside this key's regions" in e for e in outside["error"].to_list())
    assert outside["microloan.verdict"].null_count() == outside.height
    # Inside rows are decided as usual (one of them has a bad age).
    assert inside["error"].null_count() == 8
    assert result.error_rows == 12
