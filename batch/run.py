"""The batch pipeline: a register in, one decided row per register row out, in chunks.

Reading, deciding and writing go chunk by chunk (`chunk_rows` rows at a time), so memory stays
bounded whatever the register's size.  Each chunk is read (`batch.readers`), parsed
(`batch.columns`), decided columnar (`eligibility.columnar`), counted (`batch.summary`) and
appended to the output (`batch.writers`).  Which rows a caller may decide (a caseworker's
regions) is the caller's rule, handed in as `BatchOptions.row_check`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from batch.columns import (
    AS_OF,
    REGION,
    ColumnPlan,
    ParsedChunk,
    few_valued_headers,
    known_headers,
    not_a_person,
    parse_chunk,
    plan_columns,
)
from batch.errors import BatchInputError
from batch.readers import (
    DEFAULT_CHUNK_ROWS,
    INPUT_FORMATS,
    REPLACEMENT,
    NotUtf8Error,
    Register,
    open_register,
)
from batch.summary import COUNTED, ERROR_COLUMN, Summary
from batch.writers import OUTPUT_FORMATS, XLSX_MAX_ROWS, atomic_output, open_writer, write_side_csv
from eligibility.as_of_range import as_of_range
from eligibility.columnar import REASONS, ColumnarPolicySet, Reasons
from eligibility.policy import load_bundled
from eligibility.programme import PolicySet
from eligibility.text import Lang

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "ERROR_COLUMN",
    "INPUT_FORMATS",
    "OUTPUT_FORMATS",
    "REASONS",
    "XLSX_MAX_ROWS",
    "BatchInputError",
    "BatchOptions",
    "BatchResult",
    "RowCheck",
    "decide_chunk",
    "run_batch",
]

Progress = Callable[[int, int | None], None]  # rows done, rows in all (None: not known)
RowCheck = Callable[[pl.DataFrame], pl.Series]
"""A caller's rule for which rows it may decide: given a chunk's parsed facts (`region_code`
among them), each row's error (String), or null for a row it may decide."""


@dataclass(frozen=True, kw_only=True)
class BatchOptions:
    """What to decide and how to word it."""

    as_of: dt.date
    programmes: Sequence[str] | None = None
    region_default: str | None = None
    lang: Lang = "zh"
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    workers: int | None = None
    """Chunks decided at once, in threads; None: one per core, and one more."""
    reasons: Reasons = "text"
    """Each programme's reasons worded (`text`), as criterion codes with a legend (`codes`), or
    left out (`none`)."""
    sheet: str | None = None
    """The XLSX sheet to read, by name or number from 1; None: the one with the headers."""
    row_check: RowCheck | None = None
    """Rows it gives an error get that error and no verdict (see `RowCheck`)."""
    household_plan: bool = False
    """Also plan each household (grouped by 户编号): a 户计划 sheet in XLSX, else
    `<output>.households.csv` beside the output (`batch.household_plans`)."""
    what_if: bool = False
    """Also give each programme's best suggestion (`<id>.what_if`, `batch.what_if`)."""


@dataclass
class BatchResult:
    """What a run did: rows, rows with errors, notes to show once, and the summary table."""

    rows: int
    error_rows: int
    notes: list[str]
    summary: pl.DataFrame
    output: Path
    summary_path: Path | None = None
    legend_path: Path | None = None
    legend: pl.DataFrame | None = None
    """With reason codes, each code given spelled out (written beside the output, or as an
    XLSX sheet, unless the caller writes it itself); None otherwise."""
    households: pl.DataFrame | None = None
    """With `household_plan`, one row per household: its plan's total, checklist and dates."""
    households_path: Path | None = None


# ---------------------------------------------------------------------------------------------
# Deciding one chunk


def decide_chunk(
    raw: pl.DataFrame,
    plan: ColumnPlan,
    columnar: ColumnarPolicySet,
    options: BatchOptions,
    *,
    damaged: bool = False,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The output rows for one chunk, and per row its summary area (township or county,
    `area`) and whether each programme's amount is summed (`COUNTED` + the programme's id).

    `damaged`: the register had bytes that were not text; rows holding them get an error.
    """
    parsed = parse_chunk(
        raw,
        plan,
        columnar.policies,
        as_of=options.as_of,
        region_default=options.region_default,
        lang=options.lang,
    )
    decided = columnar.evaluate(
        parsed.facts,
        lang=options.lang,
        # Facts by their labels in either language (English showed dotted paths a
        # caseworker cannot read: review of 2026-12-04); English labels may hold commas.
        missing_as="label",
        separator="、" if options.lang == "zh" else "; ",
        reasons=options.reasons,
    )
    if options.what_if:
        # Imported only when asked: the suggestion search (and the row core it runs) costs a
        # plain run's start-up a few hundredths of a second.
        from batch.what_if import what_if_columns

        found = what_if_columns(parsed.facts, columnar.policies, options.programmes, options.lang)
        decided = pl.concat([decided, found], how="horizontal")
    errors = [parsed.errors, not_a_person(raw, options.lang)]
    if damaged:
        errors.append(_damaged_rows(raw, options.lang))
    if options.row_check is not None:
        errors.append(options.row_check(parsed.facts))
    error = _joined(errors)
    bad = error.is_not_null()
    if bad.any():
        # A row with bad data gets its error and no verdict; the other rows are unaffected.
        decided = decided.select(
            pl.when(pl.lit(bad)).then(None).otherwise(pl.col(c)).alias(c) for c in decided.columns
        )
    if parsed.carried.width:
        decided = pl.concat([parsed.carried, decided], how="horizontal")
    out = decided.with_columns(error.alias(ERROR_COLUMN))
    if plan.township is not None:
        area = raw[plan.township].cast(pl.String)
    else:
        area = parsed.facts[REGION].str.slice(0, 6)
    area = area.fill_null("（未填）" if options.lang == "zh" else "(none)").alias("area")
    return out, pl.DataFrame(
        [area, *(mask.alias(f"{COUNTED}{pid}") for pid, mask in _counted(parsed, columnar))]
    )


def _counted(parsed: ParsedChunk, columnar: ColumnarPolicySet) -> Iterator[tuple[str, pl.Series]]:
    """Per programme, whether each row's amount may be summed as money: never a loan's (a sum
    to borrow and repay, not paid out), and only by rules checked for the row's region and date
    (`Programme.checked_on`, as the household plan sums): the 汇总 had summed
    2026's amounts worked out by 2024's rules, and three borrowers' 50000 caps as 150000."""
    regions = parsed.facts[REGION]
    days = parsed.facts[AS_OF]
    height = regions.len()
    # A register's rows are of few regions, and usually of the run's one date: each region's
    # last checked day is looked up once, and the rows compared by region alone where they can.
    places = regions.unique().to_list()
    first, last = days.min(), days.max()
    for pid in columnar.ids:
        programme = columnar.policies.programme(pid)
        if programme.lends or not programme.amounts:
            yield pid, pl.repeat(False, height, eager=True)
            continue
        if first == last and isinstance(first, dt.date):
            late = [r for r in places if not programme.checked_on(r, first)]
            if not late:
                yield pid, pl.repeat(True, height, eager=True)
            else:
                yield pid, ~regions.is_in(late, nulls_equal=True)
            continue
        confirmed = {region: programme.confirmed_until(region) for region in places}
        until = regions.replace_strict(
            {k: v for k, v in confirmed.items() if k is not None},
            default=programme.confirmed_until(None),
            return_dtype=pl.Date,
        )
        yield pid, (until.is_null() | (days <= until)).fill_null(True)


def _joined(errors: list[pl.Series]) -> pl.Series:
    """Each row's errors from several checks, joined with "; " (null when it has none)."""
    present = [e for e in errors if e.null_count() < e.len()]
    if not present:
        return errors[0].alias(ERROR_COLUMN)
    if len(present) == 1:
        return present[0].alias(ERROR_COLUMN)
    return (
        pl.DataFrame([e.alias(f"__{i}") for i, e in enumerate(present)])
        .select(
            pl.concat_str(pl.all(), separator="; ", ignore_nulls=True)
            .replace("", None)
            .alias(ERROR_COLUMN)
        )
        .to_series()
    )


def _damaged_rows(raw: pl.DataFrame, lang: Lang) -> pl.Series:
    """Per row, the columns whose cells held bytes that were not text (read as U+FFFD)."""
    message = (
        "含无法识别的字节（文件编码有误，请核对原表）"
        if lang == "zh"
        else "holds bytes that are not text (the file is damaged here: check the original)"
    )
    texts = [c for c, d in raw.schema.items() if d == pl.String or isinstance(d, pl.Categorical)]
    if not texts:
        return pl.repeat(None, raw.height, dtype=pl.String, eager=True)
    return raw.select(
        pl.concat_str(
            [
                pl.when(pl.col(c).cast(pl.String).str.contains(REPLACEMENT, literal=True)).then(
                    pl.lit(f"{c}: {message}")
                )
                for c in texts
            ],
            separator="; ",
            ignore_nulls=True,
        )
        .replace("", None)
        .alias(ERROR_COLUMN)
    ).to_series()


# ---------------------------------------------------------------------------------------------
# The pipeline


def run_batch(
    input_path: Path,
    output_path: Path,
    options: BatchOptions,
    *,
    policies: PolicySet | None = None,
    progress: Progress | None = None,
    notes: Callable[[str], None] | None = None,
    write_summary_csv: bool = True,
) -> BatchResult:
    """Decide every row of the register at `input_path` and write the result to `output_path`.

    The output format follows the output's extension.  Notes (the sheet and header rows found,
    unknown headers) are passed to `notes` once, before the rows are read.  For formats other
    than XLSX the summary is also written beside the output as `<output>.summary.csv`, and with
    reason codes their legend as `<output>.legend.csv` (unless told not to write side files).
    """
    suffix = output_path.suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise BatchInputError(
            f"{output_path.name}: unsupported output format {suffix or '(none)'}; "
            f"use {', '.join(OUTPUT_FORMATS)}"
        )
    if options.chunk_rows < 1:
        raise BatchInputError("chunk size must be at least one row")
    if options.reasons not in REASONS:
        raise BatchInputError(f"reasons must be one of {', '.join(REASONS)}")
    policies = policies or load_bundled()
    problem = as_of_range(policies, dt.date.today()).problem(options.as_of)
    if problem is not None:
        # The date of rows without their own: every row would be refused for it.
        raise BatchInputError(f"as_of {options.as_of.isoformat()} {problem}")
    unknown = [p for p in options.programmes or [] if p not in policies.programmes]
    if unknown:
        raise BatchInputError(
            f"unknown programme {unknown[0]!r}; known: {', '.join(policies.programmes)}"
        )
    said: list[str] = []

    def once(note: str) -> None:
        if note not in said:
            said.append(note)
            if notes is not None:
                notes(note)

    try:
        # A CSV register that starts as UTF-8 is read once, its text checked as it is parsed;
        # should a byte further on not be UTF-8, nothing is written and it is read again, its
        # encoding judged on the whole file first (`open_register`).
        return _run_batch(
            input_path, output_path, options, policies, progress, once, write_summary_csv, True
        )
    except NotUtf8Error:
        return _run_batch(
            input_path, output_path, options, policies, progress, once, write_summary_csv, False
        )


def _run_batch(
    input_path: Path,
    output_path: Path,
    options: BatchOptions,
    policies: PolicySet,
    progress: Progress | None,
    notes: Callable[[str], None],
    write_summary_csv: bool,
    utf8_while_reading: bool,
) -> BatchResult:
    """`run_batch` once its options are checked (`notes` shows each note once)."""
    suffix = output_path.suffix.lower()
    known = known_headers(policies)
    register = open_register(
        input_path,
        options.chunk_rows,
        known=known,
        sheet=options.sheet,
        utf8_while_reading=utf8_while_reading,
    )
    try:
        if suffix == ".xlsx" and register.total is not None and register.total > XLSX_MAX_ROWS:
            raise BatchInputError(
                f"{register.total} rows do not fit in an XLSX sheet; write CSV or Parquet instead"
            )
        plan = plan_columns(register.headers, policies, options.lang)
        if not plan.facts and input_path.suffix.lower() in (".csv", ".xlsx"):
            raise BatchInputError(_no_known_header(input_path, policies))
        shown = [*register.notes, *plan.notes]
        for note in shown:
            notes(note)
        # Checked (and planned) before the main pass, so a register without 户编号 fails first.
        households = None
        if options.household_plan:
            # Imported only when asked: the household planner is not needed by a plain run.
            from batch.household_plans import household_plans

            households = household_plans(input_path, policies, options)
        # The reader starts now, in polars' threads: the first chunks are read while the
        # programmes are compiled and the output is opened.
        chunks = register.read(few_valued_headers(plan, policies))
        columnar = ColumnarPolicySet(policies, options.programmes)
        summary = Summary(columnar, options.lang, options.as_of)
        rows = error_rows = 0
        with atomic_output(output_path) as temporary, contextlib.ExitStack() as stack:
            writer = open_writer(suffix, temporary, options.lang, stack)
            if progress is not None:
                progress(0, register.total)
            for out, counts in _decided(register, chunks, plan, columnar, options, summary):
                writer.write(out)
                summary.add(counts)
                rows += out.height
                error_rows += int(out[ERROR_COLUMN].is_not_null().sum())
                if progress is not None:
                    progress(rows, register.total)
            if rows == 0:
                # No rows at all: still a file with the header, so the output is not empty.
                empty, _ = decide_chunk(
                    pl.DataFrame(schema=dict.fromkeys(register.headers, pl.String)),
                    plan,
                    columnar,
                    options,
                )
                writer.write(empty)
            table = summary.table()
            legend = summary.legend() if options.reasons == "codes" else None
            writer.finish(table, legend, households)
    finally:
        register.close()
    summary_path = legend_path = households_path = None
    if suffix != ".xlsx" and write_summary_csv:
        summary_path = output_path.with_name(output_path.name + ".summary.csv")
        write_side_csv(summary_path, table)
        if legend is not None:
            legend_path = output_path.with_name(output_path.name + ".legend.csv")
            write_side_csv(legend_path, legend)
        if households is not None:
            households_path = output_path.with_name(output_path.name + ".households.csv")
            write_side_csv(households_path, households)
    return BatchResult(
        rows=rows,
        error_rows=error_rows,
        notes=shown,
        summary=table,
        output=output_path,
        summary_path=summary_path,
        legend_path=legend_path,
        legend=legend,
        households=households,
        households_path=households_path,
    )


def _no_known_header(path: Path, policies: PolicySet) -> str:
    examples = "、".join(spec.header_zh for spec in list(policies.facts.values())[:6])
    return (
        f"{path.name}: 找不到已知的表头（每张工作表的前几十行都看过了），"
        f"表头应含 {examples} 等列之一 (no known column header found in the first rows of any "
        "sheet; a register needs at least one fact column, by its Chinese header or glossary "
        "name)"
    )


def _decided(
    register: Register,
    chunks: Iterator[pl.DataFrame],
    plan: ColumnPlan,
    columnar: ColumnarPolicySet,
    options: BatchOptions,
    summary: Summary,
) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """The register's chunks (`Register.read`) decided and counted, in order, by
    `options.workers` threads.

    Deciding a chunk keeps a core busy only part of the time (polars' queries alternate with
    Python wording and bookkeeping, which hold the interpreter), so several chunks are decided
    at once; at most one more chunk than there are threads is read ahead, bounding memory.
    """

    def decide(raw: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        out, rows = decide_chunk(raw, plan, columnar, options, damaged=register.damaged)
        return out, summary.count(out, rows)

    # One more thread than cores: while one thread holds the interpreter (wording, building
    # queries), the cores still have polars work from the others.
    workers = options.workers or min(os.cpu_count() or 1, pl.thread_pool_size()) + 1
    if workers == 1:
        for raw in chunks:
            yield decide(raw)
        return
    pending: deque[Future[tuple[pl.DataFrame, pl.DataFrame]]] = deque()
    with ThreadPoolExecutor(workers, thread_name_prefix="decide") as pool:
        try:
            for raw in chunks:
                pending.append(pool.submit(decide, raw))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
