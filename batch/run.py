"""The batch pipeline: a register in, one decided row per register row out, in chunks.

Reading, deciding and writing go chunk by chunk (`chunk_rows` rows at a time), so memory stays
bounded whatever the register's size: Parquet is read by row batches (pyarrow), CSV by the polars
streaming reader; an XLSX sheet (at most about a million rows) is read whole and cut into chunks.
Each chunk is parsed (`batch.columns`), decided columnar (`eligibility.columnar`) and appended to
the output.  The output is written to a temporary file in the same folder and renamed onto its
name only when complete, so an interrupted run (Ctrl-C, a crash, a full disk) never leaves a
half-written file under the output's name.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import os
import queue
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

import polars as pl

from batch.columns import REGION, ColumnPlan, parse_chunk, plan_columns
from eligibility.columnar import ColumnarPolicySet
from eligibility.policy import PolicySet, load_bundled
from eligibility.text import Lang, Text

INPUT_FORMATS = (".csv", ".xlsx", ".parquet")
OUTPUT_FORMATS = (".csv", ".xlsx", ".parquet", ".ndjson", ".jsonl")
XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header
ERROR_COLUMN = "error"
DEFAULT_CHUNK_ROWS = 100_000
_BOM = b"\xef\xbb\xbf"

Progress = Callable[[int, int | None], None]  # rows done, rows in all (None: not known)


class BatchInputError(ValueError):
    """The input cannot be read or the output cannot be written where asked (exit status 2)."""


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
    allowed_regions: tuple[str, ...] | None = None
    """Region code prefixes the rows must fall in (a caseworker's regions); None: any.  A row
    outside them, or without a region, gets an error and no verdict."""


@dataclass
class BatchResult:
    """What a run did: rows, rows with errors, notes to show once, and the summary table."""

    rows: int
    error_rows: int
    notes: list[str]
    summary: pl.DataFrame
    output: Path
    summary_path: Path | None = None


# ---------------------------------------------------------------------------------------------
# Reading


@dataclass
class Register:
    """An open register: its headers, its row count if known, and its rows chunk by chunk."""

    headers: list[str]
    total: int | None
    chunks: Callable[[], Iterator[pl.DataFrame]]
    cleanup: list[Path] = field(default_factory=list)

    def close(self) -> None:
        """Remove any temporary copy made while opening."""
        for path in self.cleanup:
            path.unlink(missing_ok=True)


def open_register(path: Path, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Register:
    """Open a CSV, XLSX or Parquet register; raise `BatchInputError` saying why it cannot be."""
    suffix = path.suffix.lower()
    if suffix not in INPUT_FORMATS:
        raise BatchInputError(
            f"{path.name}: unsupported input format {suffix or '(none)'}; "
            f"use {', '.join(INPUT_FORMATS)}"
        )
    if not path.is_file():
        raise BatchInputError(f"{path}: no such file")
    try:
        if suffix == ".parquet":
            return _open_parquet(path, chunk_rows)
        if suffix == ".csv":
            return _open_csv(path, chunk_rows)
        return _open_xlsx(path, chunk_rows)
    except BatchInputError:
        raise
    except Exception as exc:  # a reader's own error: the file is not what its name says
        raise BatchInputError(f"{path.name}: cannot read: {exc}") from exc


def _open_parquet(path: Path, chunk_rows: int) -> Register:
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(path).metadata
    group_rows = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    scan = pl.scan_parquet(path)

    def chunks() -> Iterator[pl.DataFrame]:
        # Polars reads the rows of a slice from the row groups that hold them (several times
        # faster than pyarrow's batches converted to polars).  Reads follow row-group edges, so
        # no group is read twice: memory stays that of one chunk, or one row group if larger.
        start = 0
        ends = _read_ends(group_rows, chunk_rows)
        for end in ends:
            piece = scan.slice(start, end - start).collect()
            for offset in range(0, piece.height, chunk_rows):
                yield piece.slice(offset, chunk_rows)
            start = end

    return Register(headers=scan.collect_schema().names(), total=metadata.num_rows, chunks=chunks)


def _read_ends(group_rows: Sequence[int], chunk_rows: int) -> list[int]:
    """Where each read of a Parquet file ends: whole row groups, gathered until a read holds at
    least `chunk_rows` rows."""
    ends: list[int] = []
    position = pending = 0
    for rows in group_rows:
        position += rows
        pending += rows
        if pending >= chunk_rows:
            ends.append(position)
            pending = 0
    if pending:
        ends.append(position)
    return ends


def _open_csv(path: Path, chunk_rows: int) -> Register:
    cleanup: list[Path] = []
    source = path
    with path.open("rb") as stream:
        head = stream.read(1 << 20)
    try:
        # A multi-byte character cut at the end of the sample is not an encoding error.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        # Excel and WPS on Chinese Windows save "CSV" in GB18030 (GBK): convert a copy.
        source = _transcoded(path)
        cleanup.append(source)
    lines = _count_lines(source)
    scan = pl.scan_csv(source, infer_schema=False, encoding="utf8")
    headers = scan.collect_schema().names()
    if headers and headers[0].startswith("\ufeff"):
        headers[0] = headers[0].removeprefix("\ufeff")
        scan = scan.rename({"\ufeff" + headers[0]: headers[0]})

    def chunks() -> Iterator[pl.DataFrame]:
        yield from scan.collect_batches(chunk_size=chunk_rows)

    return Register(headers=headers, total=max(lines - 1, 0), chunks=chunks, cleanup=cleanup)


def _transcoded(path: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix="register-", suffix=".csv")
    try:
        with (
            path.open("r", encoding="gb18030", newline="") as source,
            os.fdopen(fd, "w", encoding="utf-8", newline="") as target,
        ):
            while block := source.read(1 << 20):
                target.write(block)
    except UnicodeDecodeError as exc:
        Path(name).unlink(missing_ok=True)
        raise BatchInputError(f"{path.name}: neither UTF-8 nor GB18030 text") from exc
    return Path(name)


def _count_lines(path: Path) -> int:
    """Lines in the file, for the progress bar (quoted line breaks make it an estimate)."""
    count = 0
    last = b"\n"
    with path.open("rb") as stream:
        while block := stream.read(1 << 22):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


def _open_xlsx(path: Path, chunk_rows: int) -> Register:
    import fastexcel

    # Every cell as text: numbers that are really codes (区划代码, 身份证号) keep their digits,
    # and parsing is the same as for CSV.
    sheet = fastexcel.read_excel(path).load_sheet(0, dtypes="string").to_polars()

    def chunks() -> Iterator[pl.DataFrame]:
        for start in range(0, sheet.height, chunk_rows):
            yield sheet.slice(start, chunk_rows)

    return Register(headers=sheet.columns, total=sheet.height, chunks=chunks)


# ---------------------------------------------------------------------------------------------
# Deciding one chunk


def decide_chunk(
    raw: pl.DataFrame,
    plan: ColumnPlan,
    columnar: ColumnarPolicySet,
    options: BatchOptions,
) -> tuple[pl.DataFrame, pl.Series]:
    """The output rows for one chunk, and each row's summary area (township or county)."""
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
        missing_as="label" if options.lang == "zh" else "path",
        separator="、" if options.lang == "zh" else ", ",
    )
    errors = parsed.errors
    if options.allowed_regions is not None:
        errors = _outside_regions(parsed.facts[REGION], errors, options)
    bad = errors.is_not_null()
    if bad.any():
        # A row with bad data gets its error and no verdict; the other rows are unaffected.
        decided = decided.select(
            pl.when(pl.lit(bad)).then(None).otherwise(pl.col(c)).alias(c) for c in decided.columns
        )
    if parsed.carried.width:
        decided = pl.concat([parsed.carried, decided], how="horizontal")
    out = decided.with_columns(errors.alias(ERROR_COLUMN))
    if plan.township is not None:
        area = raw[plan.township].cast(pl.String)
    else:
        area = parsed.facts[REGION].str.slice(0, 6)
    return out, area.fill_null("（未填）" if options.lang == "zh" else "(none)").alias("area")


def _outside_regions(region: pl.Series, errors: pl.Series, options: BatchOptions) -> pl.Series:
    """The row errors, with one for each row outside `options.allowed_regions`."""
    allowed = options.allowed_regions or ()
    inside = pl.any_horizontal(
        [pl.col("region").str.starts_with(prefix) for prefix in allowed] or [pl.lit(False)]
    ).fill_null(False)
    zh = options.lang == "zh"
    label = "户籍所在地区划代码（region_code）" if zh else "region_code"
    outside = (
        pl.when(pl.col("region").is_null())
        .then(
            pl.lit(
                f"{label}: "
                + (
                    "未填，无法确认在本账号的地区内"
                    if zh
                    else "not given: cannot tell it is within this key's regions"
                )
            )
        )
        .when(~inside)
        .then(
            pl.format(
                f'{label}: "{{}}" '
                + ("不在本账号的地区内" if zh else "is outside this key's regions"),
                "region",
            )
        )
    )
    return (
        pl.DataFrame({"region": region, "errors": errors})
        .select(
            pl.concat_str(["errors", outside], separator="; ", ignore_nulls=True)
            .replace("", None)
            .alias(ERROR_COLUMN)
        )
        .to_series()
    )


# ---------------------------------------------------------------------------------------------
# Summary


class Summary:
    """Counts of each verdict and total amounts, per programme and per township or county."""

    def __init__(
        self, columnar: ColumnarPolicySet, lang: Lang, as_of: dt.date | None = None
    ) -> None:
        self.columnar = columnar
        self.lang = lang
        self.as_of = as_of  # names the programmes as they read on the run's date
        self.parts: list[pl.DataFrame] = []

    def count(self, out: pl.DataFrame, area: pl.Series) -> pl.DataFrame:
        """One chunk's counts per programme and area (a small table; thread-safe, so that the
        deciding threads count their own chunks)."""
        error = out[ERROR_COLUMN].is_not_null()
        columns: dict[str, pl.Series] = {"area": area, "__error": error}
        aggregates: list[pl.Expr] = []
        for pid in self.columnar.ids:
            verdict = out[f"{pid}.verdict"]
            columns[f"{pid}.verdict"] = verdict
            columns[f"{pid}.amount"] = out[f"{pid}.amount"]
            v = pl.col(f"{pid}.verdict")
            aggregates += [
                (v == "eligible").sum().alias(f"{pid}.eligible"),
                (v == "ineligible").sum().alias(f"{pid}.ineligible"),
                (v == "needs_info").sum().alias(f"{pid}.needs_info"),
                # Money for those found eligible; needs-info rows may show an amount too.
                pl.col(f"{pid}.amount").filter(v == "eligible").sum().alias(f"{pid}.amount"),
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
            ["项目", "乡镇或县", "符合", "不符合", "待补充信息", "数据有误", "符合者金额合计（元）"]
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


# ---------------------------------------------------------------------------------------------
# Writing


class _Writer(Protocol):
    def write(self, frame: pl.DataFrame) -> None: ...

    def finish(self, summary: pl.DataFrame) -> None: ...


class _CsvWriter:
    """UTF-8 with a BOM, so that Excel and WPS open the Chinese text correctly."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.first = True

    def write(self, frame: pl.DataFrame) -> None:
        if self.first:
            self.stream.write(_BOM)
        frame.write_csv(self.stream, include_header=self.first)
        self.first = False

    def finish(self, summary: pl.DataFrame) -> None:
        del summary


class _NdjsonWriter:
    """One JSON object per line (polars' own encoder: the rows are columnar already)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def write(self, frame: pl.DataFrame) -> None:
        frame.write_ndjson(self.stream)

    def finish(self, summary: pl.DataFrame) -> None:
        del summary


class _ParquetWriter:
    """Polars' own Parquet sink, fed chunk by chunk from a queue.

    Polars writes Parquet several times faster than pyarrow's `ParquetWriter` (the reasons
    columns are categorical: each text is stored once per row group), but its writers take a
    whole frame or a lazy query.  So the sink reads a lazy frame whose source is a generator over
    a small queue (`register_io_source`), and runs in a thread of its own: `write` hands it the
    next chunk (waiting while two are queued, which bounds memory), `finish` ends the stream and
    waits for the file, `close` (on a failure or Ctrl-C) makes the generator raise so that the
    sink stops without finishing the file.  The first chunk fixes the schema; later chunks are
    cast to it.
    """

    _END = object()
    _ABORT = object()

    def __init__(self, path: Path) -> None:
        self.path = path
        self.schema: pl.Schema | None = None
        self.queue: queue.Queue[object] = queue.Queue(maxsize=2)
        self.thread: threading.Thread | None = None
        self.failure: BaseException | None = None
        self.finished = False  # the end of the stream was sent

    def _chunks(self) -> Iterator[pl.DataFrame]:
        while True:
            item = self.queue.get()
            if item is self._END:
                return
            if item is self._ABORT:
                raise BatchInputError("the batch run was stopped before the output was complete")
            assert isinstance(item, pl.DataFrame)
            yield item

    def _sink(self) -> None:
        from polars.io.plugins import register_io_source

        assert self.schema is not None
        schema = self.schema

        def source(*_: object) -> Iterator[pl.DataFrame]:
            return self._chunks()

        try:
            register_io_source(source, schema=schema).sink_parquet(
                self.path, compression="zstd", sync_on_close="data"
            )
        except BaseException as exc:  # reported to the writing thread by `finish`
            self.failure = exc

    def _put(self, item: object) -> None:
        # A sink that failed reads no more: do not wait on a full queue for it.
        while True:
            if self.thread is not None and not self.thread.is_alive():
                self._raise_failure()
                return
            try:
                self.queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def _raise_failure(self) -> None:
        if self.failure is not None:
            raise BatchInputError(f"{self.path.name}: cannot write: {self.failure}") from None
        if self.thread is not None and not self.thread.is_alive() and not self.finished:
            # Never expected: the sink ended without reading every chunk and without an error.
            raise BatchInputError(f"{self.path.name}: the writer stopped before the end")

    def write(self, frame: pl.DataFrame) -> None:
        if self.schema is None:
            self.schema = frame.schema
            self.thread = threading.Thread(target=self._sink, name="parquet-sink", daemon=True)
            self.thread.start()
        elif frame.schema != self.schema:
            frame = frame.cast(self.schema)
        self._put(frame)

    def _join(self) -> None:
        assert self.thread is not None
        # In short waits, so that Ctrl-C reaches the main thread while the file is written.
        while self.thread.is_alive():
            self.thread.join(timeout=0.2)

    def finish(self, summary: pl.DataFrame) -> None:
        del summary
        if self.thread is None:
            return
        self.finished = True
        self._put(self._END)
        self._join()
        self._raise_failure()
        self.thread = None

    def close(self) -> None:
        """Stop the sink if `finish` was never reached (the half-written file is removed)."""
        if self.thread is not None:
            with contextlib.suppress(queue.Full):
                # Make room for the abort: the chunks queued will not be written.
                while True:
                    try:
                        self.queue.get_nowait()
                    except queue.Empty:
                        break
                self.queue.put(self._ABORT, timeout=1)
            self._join()
            self.thread = None


class _XlsxWriter:
    """A results sheet written row by row in constant memory, then the 汇总 (summary) sheet."""

    def __init__(self, path: Path, lang: Lang) -> None:
        import xlsxwriter

        self.book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        self.sheet = self.book.add_worksheet("结果" if lang == "zh" else "results")
        self.bold = self.book.add_format({"bold": True})
        self.lang = lang
        self.row = 0
        self.closed = False

    def write(self, frame: pl.DataFrame) -> None:
        if self.row == 0:
            self.sheet.write_row(0, 0, frame.columns, self.bold)
            self.sheet.freeze_panes(1, 0)
            self.row = 1
        if self.row - 1 + frame.height > XLSX_MAX_ROWS:
            raise BatchInputError(
                f"more than {XLSX_MAX_ROWS} rows do not fit in an XLSX sheet; "
                "write CSV or Parquet instead"
            )
        # One typed writer per column, chosen once: `write()` would inspect every cell (and take
        # text starting with "=" or "http" for a formula or a link).
        sheet = self.sheet
        writers = []
        for dtype in frame.dtypes:
            if dtype.is_numeric():
                writers.append(sheet.write_number)
            elif dtype == pl.Boolean:
                writers.append(sheet.write_boolean)
            else:
                writers.append(sheet.write_string)
        # Dates and the like as ISO text: the sheet is for reading, not for more arithmetic.
        text = frame.with_columns(
            pl.col(c).cast(pl.String)
            for c, d in frame.schema.items()
            if not (d.is_numeric() or d == pl.Boolean or d == pl.String)
        )
        row = self.row
        for values in text.iter_rows():
            for column, value in enumerate(values):
                if value is not None:
                    writers[column](row, column, value)
            row += 1
        self.row = row

    def finish(self, summary: pl.DataFrame) -> None:
        sheet = self.book.add_worksheet("汇总")
        sheet.write_row(0, 0, summary.columns, self.bold)
        for row, values in enumerate(summary.iter_rows(), start=1):
            for column, value in enumerate(values):
                if value is not None:
                    sheet.write(row, column, value)
        sheet.set_column(0, 1, 24)
        self.book.close()
        self.closed = True

    def close(self) -> None:
        """On a failure: close the workbook all the same, or its temporary row files stay open
        (the half-written result is then removed with the rest)."""
        if not self.closed:
            self.closed = True
            with contextlib.suppress(Exception):
                self.book.close()


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """A temporary path beside `path`, renamed onto it only if the block completes.

    On any exception (KeyboardInterrupt included) the temporary file is removed and nothing
    appears under `path`; an existing file there is left as it was.
    """
    if not path.parent.is_dir():
        raise BatchInputError(f"{path.parent}: no such folder for the output")
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _synced(stream: IO[bytes]) -> None:
    stream.flush()
    os.fsync(stream.fileno())


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

    The output format follows the output's extension.  Notes (unknown headers) are passed to
    `notes` once, before the rows are read.  For formats other than XLSX the summary is also
    written beside the output as `<output>.summary.csv` (unless told not to).
    """
    suffix = output_path.suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise BatchInputError(
            f"{output_path.name}: unsupported output format {suffix or '(none)'}; "
            f"use {', '.join(OUTPUT_FORMATS)}"
        )
    if options.chunk_rows < 1:
        raise BatchInputError("chunk size must be at least one row")
    policies = policies or load_bundled()
    unknown = [p for p in options.programmes or [] if p not in policies.programmes]
    if unknown:
        raise BatchInputError(
            f"unknown programme {unknown[0]!r}; known: {', '.join(policies.programmes)}"
        )
    register = open_register(input_path, options.chunk_rows)
    try:
        if suffix == ".xlsx" and register.total is not None and register.total > XLSX_MAX_ROWS:
            raise BatchInputError(
                f"{register.total} rows do not fit in an XLSX sheet; write CSV or Parquet instead"
            )
        plan = plan_columns(register.headers, policies, options.lang)
        for note in plan.notes:
            if notes is not None:
                notes(note)
        columnar = ColumnarPolicySet(policies, options.programmes)
        summary = Summary(columnar, options.lang, options.as_of)
        rows = error_rows = 0
        with atomic_output(output_path) as temporary, contextlib.ExitStack() as stack:
            writer = _open_writer(suffix, temporary, options.lang, stack)
            if progress is not None:
                progress(0, register.total)
            for out, counts in _decided(register, plan, columnar, options, summary):
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
            writer.finish(table)
    finally:
        register.close()
    summary_path = None
    if suffix != ".xlsx" and write_summary_csv:
        summary_path = output_path.with_name(output_path.name + ".summary.csv")
        with atomic_output(summary_path) as temporary, temporary.open("wb") as stream:
            stream.write(_BOM)
            table.write_csv(stream)
            _synced(stream)
    return BatchResult(
        rows=rows,
        error_rows=error_rows,
        notes=plan.notes,
        summary=table,
        output=output_path,
        summary_path=summary_path,
    )


def _decided(
    register: Register,
    plan: ColumnPlan,
    columnar: ColumnarPolicySet,
    options: BatchOptions,
    summary: Summary,
) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """The register's chunks decided and counted, in order, by `options.workers` threads.

    Deciding a chunk keeps a core busy only part of the time (polars' queries alternate with
    Python wording and bookkeeping, which hold the interpreter), so several chunks are decided
    at once; at most one more chunk than there are threads is read ahead, bounding memory.
    """

    def decide(raw: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        out, area = decide_chunk(raw, plan, columnar, options)
        return out, summary.count(out, area)

    # One more thread than cores: while one thread holds the interpreter (wording, building
    # queries), the cores still have polars work from the others.
    workers = options.workers or min(os.cpu_count() or 1, pl.thread_pool_size()) + 1
    if workers == 1:
        for raw in register.chunks():
            yield decide(raw)
        return
    pending: deque[Future[tuple[pl.DataFrame, pl.DataFrame]]] = deque()
    with ThreadPoolExecutor(workers, thread_name_prefix="decide") as pool:
        try:
            for raw in register.chunks():
                pending.append(pool.submit(decide, raw))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _open_writer(suffix: str, path: Path, lang: Lang, stack: contextlib.ExitStack) -> _Writer:
    if suffix == ".xlsx":
        xlsx = _XlsxWriter(path, lang)
        stack.callback(xlsx.close)
        return xlsx
    if suffix == ".parquet":
        parquet = _ParquetWriter(path)
        stack.callback(parquet.close)
        return parquet
    stream = stack.enter_context(path.open("wb"))
    # Runs before the close (last in, first out): the data is on disk before the rename.
    stack.callback(_synced, stream)
    if suffix == ".csv":
        return _CsvWriter(stream)
    return _NdjsonWriter(stream)
