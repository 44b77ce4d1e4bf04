"""Writing results: CSV, NDJSON, Parquet and XLSX, chunk by chunk, into a file renamed into place.

The output is written to a temporary file in the same folder and renamed onto its name only when
complete, so an interrupted run (Ctrl-C, a crash, a full disk) never leaves a half-written file
under the output's name.

Spreadsheet outputs (CSV and XLSX) are opened by people in Excel or WPS, which run a cell that
starts with `=`, `+`, `-` or `@` (or a tab or carriage return before one) as a formula: a name
or a township in a register could then fetch a page or run a command on a caseworker's computer.
So, as the OWASP guidance on CSV injection says, a CSV text cell that starts so, and is not a
number, is written with a leading apostrophe (spreadsheets show the rest as text), and XLSX text
is always written as a string cell with the quote-prefix style (what Excel's own apostrophe
sets), never as a formula.  Numeric columns are never touched: a negative amount stays a number.
"""

from __future__ import annotations

import contextlib
import os
import queue
import tempfile
import threading
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import IO, Any, Protocol

import polars as pl

from batch.errors import BatchInputError
from eligibility.text import Lang

OUTPUT_FORMATS = (".csv", ".xlsx", ".parquet", ".ndjson", ".jsonl")
XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header
BOM = b"\xef\xbb\xbf"
# Leading characters a reader does not see: Unicode white space (`\s` is Unicode-aware: space,
# no-break space, ideographic space U+3000, the U+2000 spaces, ...) and the zero-width space,
# word joiner and zero-width no-break space.  A spreadsheet that trims a cell, or a user who
# deletes what looks like nothing, turns " =1+1" into a formula (review of #11, R3).
_INVISIBLE = r"[\s\x{200B}\x{2060}\x{FEFF}]"
# Text a spreadsheet would take for a formula (OWASP: = + - @, tab, carriage return), judged by
# its first visible character; a tab or carriage return anywhere before it counts as well ...
_FORMULA_START = rf"^{_INVISIBLE}*[=+\-@\t\r]"
# ... unless it is a plain number (after spaces, not tabs), which a spreadsheet reads as the
# number it is.
_NUMBER = r"^[\p{Zs}\x{200B}\x{2060}\x{FEFF}]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every text cell (and header) that a spreadsheet would run as a formula
    prefixed with an apostrophe; numeric columns, and text that is a number, as they were."""
    changes: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        column = frame[name]
        if isinstance(dtype, pl.Categorical | pl.Enum):
            # Few distinct texts: look at those, and only cast a column that has a risky one.
            # Every text its categories hold is looked at first (once, they are kept): when
            # none is risky, the column's own are not either.
            if not _any_risky(dtype, column) or not (
                column.unique().cast(pl.String).str.contains(_FORMULA_START).any()
            ):
                continue
            column = column.cast(pl.String)
        elif dtype != pl.String or not _may_be_risky(column):
            continue
        text = pl.col(name).cast(pl.String)
        risky = text.str.contains(_FORMULA_START) & ~text.str.contains(_NUMBER)
        changes.append(pl.when(risky).then(pl.lit("'") + text).otherwise(text).alias(name))
    if changes:
        frame = frame.with_columns(changes)
    renames = {c: _neutral_text(c) for c in frame.columns if _neutral_text(c) != c}
    return frame.rename(renames) if renames else frame


def _may_be_risky(column: pl.Series) -> bool:
    """Whether any cell of a text column may start like a formula: its first character is one
    that `_FORMULA_START` can start with (then the pattern itself decides), a check several
    times cheaper than the pattern on every cell of a column of names."""
    if not column.str.head(1).is_in(_RISKY_FIRST).any():
        return False
    return bool(column.str.contains(_FORMULA_START).any())


# Every character a text matching `_FORMULA_START` can begin with: the formula starts, and the
# invisible characters (Unicode white space as polars' pattern engine reads `\s`, the zero-width
# ones) before them.  A test finds them by running the pattern over every character.
RISKY_FIRST_CHARACTERS = (
    "=+-@\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200C))
    + "\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"
)
_RISKY_FIRST = list(RISKY_FIRST_CHARACTERS)


def _any_risky(dtype: pl.Categorical | pl.Enum, column: pl.Series) -> bool:
    """Whether any text of the categories behind `dtype` that `column` may hold could start like
    a formula (True when they are not looked at here).

    The global categories (results' reasons, missing facts and warnings) only grow, each text
    numbered in the order it comes, so each is looked at once, chunk after chunk; a column whose
    highest number is among those looked at already needs no look at the texts (which are
    thousands, and costly to list for every column of every chunk)."""
    categories = dtype.categories
    if isinstance(categories, pl.Series):  # an enum: its few texts
        return bool(categories.str.contains(_FORMULA_START).any())
    if not categories.is_global():
        return True
    highest = column.to_physical().max()
    global _GLOBAL_SEEN, _GLOBAL_RISKY
    with _GLOBAL_LOCK:
        if _GLOBAL_RISKY:
            return True
        if not isinstance(highest, int) or highest < _GLOBAL_SEEN:
            return False
        texts = categories.to_series()
        if texts.len() > _GLOBAL_SEEN:
            fresh = texts.slice(_GLOBAL_SEEN)
            _GLOBAL_RISKY = bool(fresh.str.contains(_FORMULA_START).any())
            _GLOBAL_SEEN = texts.len()
        return _GLOBAL_RISKY


# The global categories' texts looked at so far, and whether any of them was risky.
_GLOBAL_SEEN = 0
_GLOBAL_RISKY = False
_GLOBAL_LOCK = threading.Lock()


@cache
def _neutral_text(text: str) -> str:
    """A header as `neutralised` writes it (the same few headers come with every chunk)."""
    series = pl.Series([text])
    risky = series.str.contains(_FORMULA_START) & ~series.str.contains(_NUMBER)
    return "'" + text if risky[0] else text


class Writer(Protocol):
    """Takes the results chunk by chunk, then the summary (and the legend of reason codes)."""

    def write(self, frame: pl.DataFrame) -> None:
        """Append one chunk of results."""
        ...

    def finish(
        self,
        summary: pl.DataFrame,
        legend: pl.DataFrame | None,
        households: pl.DataFrame | None = None,
    ) -> None:
        """Complete the file (the XLSX writer adds the 汇总, legend and household-plan sheets;
        other formats have them written beside the output)."""
        ...


class _NoSheets:
    """A format with one table only: the summary, legend and household plans go beside it
    (`write_side_csv`), so finishing writes nothing more."""

    def finish(
        self,
        summary: pl.DataFrame,
        legend: pl.DataFrame | None,
        households: pl.DataFrame | None = None,
    ) -> None:
        del summary, legend, households


class _SyncAhead:
    """Puts what is written so far on disk in a thread of its own while the next chunks are
    decided, so that the sync before the rename (`synced`) waits for the last chunks only:
    hundreds of megabytes of CSV written at the end cost a run a fifth of a second or more.

    A failure of an early sync is raised by `join` (the kernel reports a write-back error to
    one sync only, which may be this one)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.thread: threading.Thread | None = None
        self.failure: OSError | None = None

    def _sync(self) -> None:
        try:
            os.fsync(self.stream.fileno())
        except OSError as exc:
            self.failure = exc

    def written(self) -> None:
        """After a chunk is written: start a sync, unless one is still running."""
        if self.thread is not None and self.thread.is_alive():
            return
        self.stream.flush()
        self.thread = threading.Thread(target=self._sync, name="sync-ahead", daemon=True)
        self.thread.start()

    def join(self) -> None:
        """Wait for the sync running, if any (before the final sync and the close)."""
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure


class _CsvWriter(_NoSheets):
    """UTF-8 with a BOM, so that Excel and WPS open the Chinese text correctly; formula-like
    text neutralised."""

    def __init__(self, stream: IO[bytes], ahead: _SyncAhead) -> None:
        self.stream = stream
        self.ahead = ahead
        self.first = True

    def write(self, frame: pl.DataFrame) -> None:
        if self.first:
            self.stream.write(BOM)
        neutralised(frame).write_csv(self.stream, include_header=self.first)
        self.first = False
        self.ahead.written()


class _NdjsonWriter(_NoSheets):
    """One JSON object per line (polars' own encoder: the rows are columnar already)."""

    def __init__(self, stream: IO[bytes], ahead: _SyncAhead) -> None:
        self.stream = stream
        self.ahead = ahead

    def write(self, frame: pl.DataFrame) -> None:
        frame.write_ndjson(self.stream)
        self.ahead.written()


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

    def finish(
        self,
        summary: pl.DataFrame,
        legend: pl.DataFrame | None,
        households: pl.DataFrame | None = None,
    ) -> None:
        del summary, legend, households
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
    """A results sheet written chunk by chunk in constant memory, then the 汇总 (summary) sheet
    and, with reason codes, the sheet that spells them out.

    Written by rust_xlsxwriter (`rvgsrust_xlsxwriter`), which takes each chunk as an Arrow table:
    several times faster than xlsxwriter's cell-by-cell Python (bench/batch.py prints the ratio).
    Text goes in as string cells with the quote-prefix style, so that none is ever a formula.
    """

    def __init__(self, path: Path, lang: Lang) -> None:
        import rvgsrust_xlsxwriter as xlsx

        self.lang = lang
        self.book: Any = xlsx.Workbook(str(path))
        # Constant-memory row data in temporary files beside the output, not in the system's
        # temp folder (often a small tmpfs): the output's folder has room for the result.
        self.book.set_tempdir(str(path.parent))
        self.bold = self.book.add_format()
        self.bold.set_bold()
        self.text = self.book.add_format()
        self.text.set_quote_prefix()
        self.sheet: Any = self.book.add_worksheet(
            "结果" if lang == "zh" else "results", constant_memory=True
        )
        self.sheet.freeze_panes(1, 0)
        self.row = 0

    def _put(self, sheet: Any, row: int, frame: pl.DataFrame) -> None:
        # Categories, enums, dates as text: the sheet is for reading, not for more arithmetic.
        table = frame.with_columns(
            pl.col(c).cast(pl.String)
            for c, d in frame.schema.items()
            if not (d.is_numeric() or d == pl.Boolean or d == pl.String)
        )
        texts = {c: self.text for c, d in table.schema.items() if d == pl.String}
        sheet.write_dataframe(
            row,
            0,
            table,
            header_format=self.bold,
            write_header=row == 0,
            column_formats=texts,
        )

    def write(self, frame: pl.DataFrame) -> None:
        start = self.row
        if max(start - 1, 0) + frame.height > XLSX_MAX_ROWS:
            raise BatchInputError(
                f"more than {XLSX_MAX_ROWS} rows do not fit in an XLSX sheet; "
                "write CSV or Parquet instead"
            )
        self._put(self.sheet, start, frame)
        self.row = (start or 1) + frame.height

    def finish(
        self,
        summary: pl.DataFrame,
        legend: pl.DataFrame | None,
        households: pl.DataFrame | None = None,
    ) -> None:
        sheet = self.book.add_worksheet("汇总")
        self._put(sheet, 0, summary)
        sheet.set_column_width(0, 24)
        sheet.set_column_width(1, 24)
        if legend is not None:
            sheet = self.book.add_worksheet("代码说明" if self.lang == "zh" else "legend")
            self._put(sheet, 0, legend)
            for column in range(legend.width):
                sheet.set_column_width(column, 16 if column < 3 else 60)
        if households is not None:
            sheet = self.book.add_worksheet("户计划" if self.lang == "zh" else "household plans")
            self._put(sheet, 0, households)
            for column in range(households.width):
                sheet.set_column_width(column, 12 if column < 3 else 60)
        self.book.close()
        self.close()

    def close(self) -> None:
        """Let the workbook go (on a failure too): its temporary row files are removed with it,
        and the half-written result with the rest."""
        self.sheet = self.book = None


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


def synced(stream: IO[bytes]) -> None:
    """Flush the stream and the file to disk."""
    stream.flush()
    os.fsync(stream.fileno())


def write_side_csv(path: Path, frame: pl.DataFrame) -> None:
    """A small table (the summary, the legend) as a CSV file beside the output, for Excel."""
    with atomic_output(path) as temporary, temporary.open("wb") as stream:
        stream.write(BOM)
        neutralised(frame).write_csv(stream)
        synced(stream)


def open_writer(suffix: str, path: Path, lang: Lang, stack: contextlib.ExitStack) -> Writer:
    """The writer for an output format, its clean-up registered on `stack`."""
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
    stack.callback(synced, stream)
    ahead = _SyncAhead(stream)
    stack.callback(ahead.join)  # before that sync, and the close
    if suffix == ".csv":
        return _CsvWriter(stream, ahead)
    return _NdjsonWriter(stream, ahead)
