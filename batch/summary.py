"""The summary of a run: counts of each verdict and total amounts, per programme and per area."""

from __future__ import annotations

import datetime as dt

import polars as pl

from eligibility.columnar import ColumnarPolicySet
from eligibility.text import Lang, Text

ERROR_COLUMN = "error"
COUNTED = "__counted."  # a row's column: whether a programme's amount is in the money total


class Summary:
    """Counts of each verdict and total amounts, per programme and per township or county."""

    def __init__(
        self, columnar: ColumnarPolicySet, lang: Lang, as_of: dt.date | None = None
    ) -> None:
        self.columnar = columnar
        self.lang = lang
        self.as_of = as_of  # names the programmes as they read on the run's date
        self.parts: list[pl.DataFrame] = []

    def count(self, out: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
        """One chunk's counts per programme and area (a small table; thread-safe, so that the
        deciding threads count their own chunks); `rows`: each row's `area` and whether each
        programme's amount is summed (`COUNTED`, `batch.run.decide_chunk`)."""
        error = out[ERROR_COLUMN].is_not_null()
        columns: dict[str, pl.Series] = {"area": rows["area"], "__error": error}
        aggregates: list[pl.Expr] = []
        for pid in self.columnar.ids:
            verdict = out[f"{pid}.verdict"]
            columns[f"{pid}.verdict"] = verdict
            columns[f"{pid}.amount"] = out[f"{pid}.amount"]
            columns[f"{pid}.counted"] = rows[f"{COUNTED}{pid}"]
            v = pl.col(f"{pid}.verdict")
            summed = (v == "eligible") & pl.col(f"{pid}.counted")
            aggregates += [
                (v == "eligible").sum().alias(f"{pid}.eligible"),
                (v == "ineligible").sum().alias(f"{pid}.ineligible"),
                (v == "needs_info").sum().alias(f"{pid}.needs_info"),
                # Money for those found eligible, by rules checked for the date, never a loan;
                # needs-info rows may show an amount too.
                pl.col(f"{pid}.amount").filter(summed).sum().alias(f"{pid}.amount"),
            ]
        # One grouping for every programme, then one long table (programme, area, counts).
        wide = (
            pl.DataFrame(columns)
            .group_by("area")
            .agg(pl.col("__error").sum().alias("errors"), *aggregates)
        )
        return pl.concat(
            [
                wide.select(
                    pl.lit(pid).alias("programme"),
                    "area",
                    pl.col(f"{pid}.eligible").alias("eligible"),
                    pl.col(f"{pid}.ineligible").alias("ineligible"),
                    pl.col(f"{pid}.needs_info").alias("needs_info"),
                    "errors",
                    pl.col(f"{pid}.amount").alias("amount"),
                )
                for pid in self.columnar.ids
            ],
            how="vertical_relaxed",
        )

    def add(self, part: pl.DataFrame) -> None:
        """Keep one chunk's counts (merged every few hundred chunks, and at the end)."""
        self.parts.append(part)
        if len(self.parts) > 256:
            self.parts = [self._merged()]

    def _merged(self) -> pl.DataFrame:
        return (
            pl.concat(self.parts)
            .group_by("programme", "area")
            .agg(pl.col("eligible", "ineligible", "needs_info", "errors", "amount").sum())
        )

    def _name(self, pid: str) -> Text:
        programme = self.columnar.policies.programme(pid)
        return programme.policy.name if self.as_of is None else programme.named_on(self.as_of)[0]

    def table(self) -> pl.DataFrame:
        """Per programme (in order) a row per area, then its total row; headers in `lang`."""
        zh = self.lang == "zh"
        names = {pid: self._name(pid).in_(self.lang) for pid in self.columnar.ids}
        if not self.parts:
            merged = pl.DataFrame(
                schema={
                    "programme": pl.String,
                    "area": pl.String,
                    "eligible": pl.Int64,
                    "ineligible": pl.Int64,
                    "needs_info": pl.Int64,
                    "errors": pl.Int64,
                    "amount": pl.Int64,
                }
            )
        else:
            merged = self._merged()
        rows: list[pl.DataFrame] = []
        for pid in self.columnar.ids:
            part = merged.filter(pl.col("programme") == pid).sort("area")
            total = part.select(
                pl.lit(pid).alias("programme"),
                pl.lit("合计" if zh else "total").alias("area"),
                pl.col("eligible", "ineligible", "needs_info", "errors", "amount").sum(),
            )
            rows.append(pl.concat([part, total], how="vertical_relaxed"))
        table = pl.concat(rows, how="vertical_relaxed") if rows else merged
        table = table.with_columns(
            pl.col("programme").replace_strict(names, return_dtype=pl.String),
            pl.col("eligible", "ineligible", "needs_info", "errors", "amount").cast(pl.Int64),
        )
        headers = (
            [
                "项目",
                "乡镇或县",
                "符合",
                "不符合",
                "待补充信息",
                "数据有误",
                "符合者金额合计（元；只算已核实的标准，不含贷款额度）",
            ]
            if zh
            else [
                "programme",
                "area",
                "eligible",
                "ineligible",
                "needs_info",
                "errors",
                "amount_total",
            ]
        )
        return table.rename(dict(zip(table.columns, headers, strict=True)))

    def legend(self) -> pl.DataFrame:
        """The reason codes given so far, spelled out (`ColumnarPolicySet.legend`), with the
        programmes named as in the summary and headers in `lang`."""
        names = {pid: self._name(pid).in_(self.lang) for pid in self.columnar.ids}
        legend = self.columnar.legend().with_columns(
            pl.col("programme").replace_strict(names, return_dtype=pl.String)
        )
        headers = (
            ["项目", "代码", "说明", "Meaning", "适用地区与日期（因地而异时）"]
            if self.lang == "zh"
            else ["programme", "code", "说明 (zh)", "meaning", "where (when it differs by place)"]
        )
        return legend.rename(dict(zip(legend.columns, headers, strict=True)))
