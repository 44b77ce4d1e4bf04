"""Reading registers: CSV, XLSX and Parquet, chunk by chunk, with the header where an office put it.

Parquet and CSV are read by polars' streaming reader; an XLSX sheet (at most about a million
rows) is read whole and cut into chunks.

Registers made in offices are not tidy tables.  A CSV may be UTF-8 or the GB18030 (GBK) that
Excel and WPS on Chinese Windows save, and may hold a few bytes that are neither; its encoding is
judged on the whole file, and bytes that are not text in it are replaced (U+FFFD) so that the
rows holding them can be flagged while every other row comes out.  A spreadsheet may have a
merged title row above the headers, an instructions sheet before the register, or two-level
headers (a merged group title over its sub-headers): the header row is the one among the first
`HEADER_SCAN_ROWS` rows that holds the most known fact headers, the sheet is the one whose header
row holds the most (or the one asked for), and a row beside it that completes it (headers merged
down over two rows, sub-headers under a group title) is read with it.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from batch.columns import normalise_header
from batch.errors import BatchInputError

INPUT_FORMATS = (".csv", ".xlsx", ".parquet")
DEFAULT_CHUNK_ROWS = 100_000
HEADER_SCAN_ROWS = 30  # rows looked at for the header (title and instruction rows above it)
REPLACEMENT = "\ufffd"  # what a byte that is not text in the file's encoding is read as
_BLOCK = 1 << 20


@dataclass
class Register:
    """An open register: its headers, its row count if known, and its rows chunk by chunk."""

    headers: list[str]
    counted: int | Callable[[], int] | None
    """Its rows, or how to count them (counted when first asked for, `total`), or None."""
    chunks: Callable[[Collection[str]], Iterator[pl.DataFrame]]
    """The chunks, given the headers to read as categorical where the format allows (CSV,
    Parquet)."""
    cleanup: list[Path] = field(default_factory=list)
    damaged: bool = False
    """Some bytes were not text in the file's encoding: they read as U+FFFD (`REPLACEMENT`)."""
    notes: list[str] = field(default_factory=list)
    """What was found while opening that a person should know (the sheet, the header rows)."""
    name: str = ""
    utf8_unchecked: bool = False
    """A CSV register whose start is UTF-8, read as UTF-8 without reading it all first: the
    reader checks the text as it parses it, and a byte that is not UTF-8 further on stops the
    reading with `NotUtf8Error` (the caller opens it again with the whole file judged)."""

    @property
    def total(self) -> int | None:
        """The register's rows, if known: a CSV register read as it is checked is counted only
        when this is asked for (for a progress bar, or the XLSX row limit), which is a pass
        over the file that a run without them never makes."""
        if callable(self.counted):
            self.counted = self.counted()
        return self.counted

    def read(self, categorical: Collection[str] = ()) -> Iterator[pl.DataFrame]:
        """The chunks; a reader's failure midway (a malformed row) as a `BatchInputError`.

        `categorical`: headers of columns with few distinct cells (yes/no, categories, codes),
        which the CSV and Parquet readers then read as categorical (Parquet: those stored as
        text), each with categories of its own: the reader stores each distinct cell once, and
        every cell read so far has a number that stays the same from chunk to chunk, so the
        cells can be parsed once per distinct text (`batch.columns.parse_chunk`).  XLSX gives
        text as it reads it.

        The CSV and Parquet readers start reading when this is called, in polars' threads, not
        when the first chunk is asked for: a caller that calls it before the rest of its setup
        finds the first chunks read meanwhile.
        """
        try:
            chunks = self.chunks(categorical)
        except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
            failure = self._failure(exc)
            if failure is exc:
                raise
            raise failure from exc
        return self._checked(chunks)

    def _checked(self, chunks: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        """The chunks, a reader's failure as `read` says."""
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                return
            except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
                failure = self._failure(exc)
                if failure is exc:
                    raise
                raise failure from exc
            yield chunk

    def _failure(self, exc: Exception) -> Exception:
        """A reader's failure as the error `read` raises for it."""
        if isinstance(exc, BatchInputError):
            return exc
        if self.utf8_unchecked and "utf-8" in str(exc).lower():
            return NotUtf8Error(f"{self.name}: not all UTF-8")
        return BatchInputError(f"{self.name}: cannot read: {exc}")

    def close(self) -> None:
        """Remove any temporary copy made while opening."""
        for path in self.cleanup:
            path.unlink(missing_ok=True)


class NotUtf8Error(Exception):
    """A CSV register opened with `utf8_while_reading` holds bytes that are not UTF-8 after
    its start: open it again without, so that its encoding is judged on the whole file."""


def open_register(
    path: Path,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    *,
    known: Collection[str] = (),
    sheet: str | None = None,
    utf8_while_reading: bool = False,
) -> Register:
    """Open a CSV, XLSX or Parquet register; raise `BatchInputError` saying why it cannot be.

    `known` holds the known headers (normalised, `batch.columns.known_headers`): with them the
    header row and the sheet are looked for; without, the header is the first row of the first
    sheet.  `sheet` (XLSX only) is a sheet's name or its number from 1.

    `utf8_while_reading` (CSV): a file whose first block is UTF-8 is not read through first to
    judge its encoding; polars checks every cell it reads, and a later byte that is not UTF-8
    stops `Register.read` with `NotUtf8Error`, for the caller to open the file again without
    (which judges the encoding on the whole file, `detect_encoding`).  A register is read once
    instead of twice.
    """
    suffix = path.suffix.lower()
    if suffix not in INPUT_FORMATS:
        raise BatchInputError(
            f"{path.name}: unsupported input format {suffix or '(none)'}; "
            f"use {', '.join(INPUT_FORMATS)}"
        )
    if not path.is_file():
        raise BatchInputError(f"{path}: no such file")
    if sheet is not None and suffix != ".xlsx":
        raise BatchInputError(f"{path.name}: a sheet can be chosen in XLSX registers only")
    try:
        if suffix == ".parquet":
            register = _open_parquet(path, chunk_rows)
        elif suffix == ".csv":
            register = _open_csv(path, chunk_rows, known, utf8_while_reading)
        else:
            register = _open_xlsx(path, chunk_rows, known, sheet)
    except BatchInputError:
        raise
    except Exception as exc:  # a reader's own error: the file is not what its name says
        raise BatchInputError(f"{path.name}: cannot read: {exc}") from exc
    register.name = path.name
    return register


# ---------------------------------------------------------------------------------------------
# Finding the header


@dataclass(frozen=True)
class HeaderBlock:
    """Where a register's header is: its first row, how many rows (1, or 2 for two-level
    headers), the column names read from it, and how many of them are known headers."""

    start: int
    rows: int
    names: list[str]
    score: int


def find_header(rows: Sequence[Sequence[str | None]], known: Collection[str]) -> HeaderBlock | None:
    """The header among `rows` (the first rows of a sheet), or None if no row holds a known one.

    The header row is the first of those holding the most known headers.  The row below joins
    it when it holds known headers only under its empty or unknown cells (sub-headers under a
    merged group title), else the row above when it fills the header row's empty cells
    (headers merged down over two rows, the group titles above their sub-headers).
    """

    def text(r: int, c: int) -> str | None:
        row = rows[r]
        value = row[c] if c < len(row) else None
        return value.strip() or None if isinstance(value, str) else None

    def is_known(value: str | None) -> bool:
        return value is not None and normalise_header(value) in known

    if not rows:
        return None
    width = max(len(row) for row in rows)
    scores = [sum(is_known(text(r, c)) for c in range(width)) for r in range(len(rows))]
    best = scores.index(max(scores))
    if scores[best] == 0:
        return None

    def completes_below(lower: int) -> bool:
        filled = [c for c in range(width) if text(lower, c) is not None]
        return any(is_known(text(lower, c)) for c in filled) and all(
            not is_known(text(best, c)) for c in filled
        )

    def completes_above(upper: int) -> bool:
        filled = [c for c in range(width) if text(upper, c) is not None]
        return (
            len(filled) >= 2
            and any(text(best, c) is None for c in filled)
            and all(text(best, c) is None or not is_known(text(upper, c)) for c in filled)
        )

    upper = lower = best
    if best + 1 < len(rows) and completes_below(best + 1):
        lower = best + 1
    elif best > 0 and completes_above(best - 1):
        upper = best - 1
    names: list[str] = []
    group: str | None = None  # the group title over this column (merged to the right)
    for c in range(width):
        top = text(upper, c) if upper != lower else None
        sub = text(lower, c)
        if top is not None:
            group = top
        elif sub is None:
            group = None
        if sub is not None and is_known(sub):
            name = sub
        elif top is not None and is_known(top):
            name = top
        elif sub is not None and group is not None and upper != lower:
            name = f"{group}/{sub}"
        else:
            name = sub or top or f"列{c + 1}"
        names.append(name)
    score = sum(is_known(n) for n in names)
    return HeaderBlock(start=upper, rows=lower - upper + 1, names=_unique(names), score=score)


def _unique(names: list[str]) -> list[str]:
    """The names with repeats numbered (`电话`, `电话_2`): a frame's columns must differ."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0) + 1
        seen[name] = count
        out.append(name if count == 1 else f"{name}_{count}")
    return out


def _where(block: HeaderBlock, sheet: str | None = None) -> str:
    rows = f"{block.start + 1}" if block.rows == 1 else f"{block.start + 1}–{block.start + 2}"
    place = f"工作表“{sheet}”，" if sheet is not None else ""
    english = f"sheet {sheet!r}, " if sheet is not None else ""
    return f"{place}表头在第{rows}行 ({english}header in row {rows})"


# ---------------------------------------------------------------------------------------------
# Parquet


def _open_parquet(path: Path, chunk_rows: int) -> Register:
    scan = pl.scan_parquet(path)
    # The schema and the row count come from the file's footer: nothing else is read yet (and
    # pyarrow, a tenth of a second to import, is not needed for it).
    schema = scan.collect_schema()
    total = int(scan.select(pl.len()).collect().item())

    def chunks(categorical: Collection[str]) -> Iterator[pl.DataFrame]:
        # Text columns of few distinct cells become categorical as they are read, as from CSV
        # (`Register.read`): each distinct cell is then parsed once, and looked up by number.
        wanted = [
            pl.col(h).cast(_cell_dtype(True)) for h in categorical if schema.get(h) == pl.String
        ]
        query = scan.with_columns(wanted) if wanted else scan
        # Polars' streaming reader decodes each row group once, on its own threads, while the
        # chunks before are decided, and hands them over `chunk_rows` at a time (fewer where a
        # row group ends); it holds a few row groups ahead, so memory stays bounded (about
        # 300 MB for 100,000-row groups of the bench's register, whatever its length).  It
        # starts as soon as this is called.
        return query.collect_batches(chunk_size=chunk_rows)

    return Register(headers=schema.names(), counted=total, chunks=chunks)


# ---------------------------------------------------------------------------------------------
# CSV


def _open_csv(
    path: Path, chunk_rows: int, known: Collection[str], utf8_while_reading: bool = False
) -> Register:
    cleanup: list[Path] = []
    notes: list[str] = []
    source = path
    unchecked = utf8_while_reading and _starts_utf8(path)
    # Lines to count only when the whole file is read first (else polars counts the rows).
    valid, lines = (True, -1) if unchecked else utf8_lines(path)
    encoding, bad = ("utf-8", 0) if valid else _judged(path)
    if encoding != "utf-8" or bad:
        # Excel and WPS on Chinese Windows save "CSV" in GB18030 (GBK): convert a copy, with
        # the bytes that are not text replaced.
        source = _transcoded(path, encoding)
        cleanup.append(source)
        lines = _count_lines(source)
    if bad:
        notes.append(
            f"文件中有{bad}处字节不是{_ENCODING_NAMES[encoding]}文字，已替换为“{REPLACEMENT}”，"
            f"所在行标为数据有误 ({bad} byte sequences are not {encoding} text: replaced, "
            "and their rows flagged)"
        )
    block = find_header(_first_rows(source), known) if known else None
    if block is not None and (block.start, block.rows) != (0, 1):
        skip = block.start + block.rows
        headers = list(block.names)
        total: int | None = max(lines - skip, 0)
        notes.append(_where(block))

        def scan(categorical: Collection[str]) -> pl.LazyFrame:
            return pl.scan_csv(
                source,
                has_header=False,
                skip_rows=skip,
                schema={h: _cell_dtype(h in categorical) for h in headers},
                encoding="utf8",
                truncate_ragged_lines=True,
            )
    else:
        read = pl.scan_csv(source, infer_schema=False, encoding="utf8").collect_schema().names()
        headers = [name.removeprefix("\ufeff") for name in read[:1]] + read[1:]
        total = max(lines - 1, 0)

        def scan(categorical: Collection[str]) -> pl.LazyFrame:
            wanted = {
                r: _cell_dtype(True) for r, h in zip(read, headers, strict=True) if h in categorical
            }
            frame = pl.scan_csv(
                source, infer_schema=False, encoding="utf8", schema_overrides=wanted or None
            )
            renamed = {r: h for r, h in zip(read, headers, strict=True) if r != h}
            return frame.rename(renamed) if renamed else frame

    def count() -> int:
        # Polars counts the rows without decoding them (several threads, quoted line breaks
        # understood).
        return int(scan(()).select(pl.len()).collect().item())

    def chunks(categorical: Collection[str]) -> Iterator[pl.DataFrame]:
        return scan(categorical).collect_batches(chunk_size=chunk_rows)

    return Register(
        headers=headers,
        counted=count if unchecked else total,
        chunks=chunks,
        cleanup=cleanup,
        damaged=bad > 0,
        notes=notes,
        utf8_unchecked=unchecked,
    )


def _starts_utf8(path: Path) -> bool:
    """Whether the file's first block (up to its last line end there) is UTF-8."""
    with path.open("rb") as stream:
        head = stream.read(_BLOCK)
        if stream.read(1):
            head = head[: head.rfind(b"\n") + 1]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _cell_dtype(categorical: bool) -> pl.DataType:
    """Text, or categorical with categories of its own (numbered from 0 in the order read)."""
    return pl.Categorical(pl.Categories.random()) if categorical else pl.String()


_ENCODING_NAMES = {"utf-8": "UTF-8", "gb18030": "GB18030（GBK）"}


def utf8_lines(path: Path) -> tuple[bool, int]:
    """Whether the whole file is UTF-8, and its lines (for the progress bar), in one pass.

    Arrow checks the text (several times faster than Python's decoder), block by block cut at
    line ends, which never fall inside a character.  The blocks are read into one buffer and
    checked where they lie (a new buffer per block, and copies of it, cost as much again in
    fresh memory as the check itself).
    """
    lines = 0
    last = b"\n"
    buffer = bytearray(16 * _BLOCK)
    held = 0  # bytes at the buffer's start not checked yet: the start of a line cut short
    with path.open("rb", buffering=0) as stream:
        while True:
            if held == len(buffer):
                buffer.extend(bytes(len(buffer)))  # one line longer than the buffer
            with memoryview(buffer) as view:
                read = stream.readinto(view[held:])
            end = held + read
            if read:
                lines += buffer.count(b"\n", held, end)
                last = bytes(buffer[end - 1 : end])
            cut = buffer.rfind(b"\n", 0, end) + 1 if read else end
            if cut and not _is_utf8(buffer, cut):
                return False, 0
            buffer[: end - cut] = buffer[cut:end]
            held = end - cut
            if not read:
                return True, lines + (last != b"\n")


def _is_utf8(buffer: bytearray, size: int) -> bool:
    """Whether the buffer's first `size` bytes are UTF-8 (checked in place by Arrow)."""
    import pyarrow as pa

    with memoryview(buffer) as view, view[:size] as text:
        offsets = pa.array([0, size], pa.int64()).buffers()[1]
        binary = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(text)])
        try:
            binary.cast(pa.large_string())
        except pa.ArrowInvalid:
            return False
        finally:
            del binary
        return True


def detect_encoding(path: Path) -> tuple[str, int]:
    """The file's text encoding, `utf-8` or `gb18030`, judged on the whole file, and how many
    byte sequences are not text in it.

    UTF-8 is tried first: it is the only one most other encodings' text fails.  A file that is
    not all UTF-8 is GB18030 if that reads it with fewer errors, unless it is mostly good UTF-8
    (a UTF-8 file with a few damaged bytes also decodes as GB18030 gibberish).
    """
    if utf8_lines(path)[0]:
        return "utf-8", 0
    return _judged(path)


def _judged(path: Path) -> tuple[str, int]:
    """`detect_encoding` for a file known not to be all UTF-8."""
    utf8_bad, utf8_text = _errors(path, "utf-8")
    gb_bad, _ = _errors(path, "gb18030")
    if gb_bad < utf8_bad and utf8_text < 20 * utf8_bad:
        return "gb18030", gb_bad
    return "utf-8", utf8_bad


def _errors(path: Path, encoding: str) -> tuple[int, int]:
    """Byte sequences that are not text in `encoding`, and characters beyond ASCII that are."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    bad = text = 0
    with path.open("rb") as stream:
        while True:
            block = stream.read(_BLOCK)
            decoded = decoder.decode(block, final=not block)
            replaced = decoded.count(REPLACEMENT)
            bad += replaced
            text += len(decoded) - len(decoded.encode("ascii", "ignore")) - replaced
            if not block:
                return bad, text


def _transcoded(path: Path, encoding: str) -> Path:
    # The copy holds the whole register (ID numbers in clear): beside it, where whoever owns
    # the register finds and removes it should the run be killed (an export job's folder is
    # cleared when the job is resumed or removed), not in the system's temp folder, where it
    # would stay.  A register in a folder that cannot be written is copied there after all.
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".utf8.csv", dir=path.parent)
    except OSError:
        fd, name = tempfile.mkstemp(prefix="register-", suffix=".csv")
    try:
        with (
            path.open("r", encoding=encoding, errors="replace", newline="") as source,
            os.fdopen(fd, "w", encoding="utf-8", newline="") as target,
        ):
            while block := source.read(_BLOCK):
                target.write(block)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _first_rows(path: Path) -> list[list[str | None]]:
    """The first `HEADER_SCAN_ROWS` rows of a UTF-8 CSV file, cells as text (None if empty).

    Read from the same bytes `_starts_utf8` judged (the first block, to its last line end), not
    as many characters: a block of Chinese text is three times as many bytes, and a byte that
    is not UTF-8 beyond the judged block must stop the reading where it can start again
    (`NotUtf8Error`), not here."""
    with path.open("rb") as stream:
        raw = stream.read(_BLOCK)
        whole = not stream.read(1)
    if not whole:
        raw = raw[: raw.rfind(b"\n") + 1]
    head = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(head, newline="")))
    if not whole:
        rows = rows[:-1]  # the last row read may be cut short
    return [[cell or None for cell in row] for row in rows[:HEADER_SCAN_ROWS]]


def _count_lines(path: Path) -> int:
    """Lines in the file, for the progress bar (quoted line breaks make it an estimate)."""
    count = 0
    last = b"\n"
    with path.open("rb") as stream:
        while block := stream.read(1 << 22):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


# ---------------------------------------------------------------------------------------------
# XLSX


def _open_xlsx(path: Path, chunk_rows: int, known: Collection[str], sheet: str | None) -> Register:
    import fastexcel

    reader = fastexcel.read_excel(path)
    names: list[str] = list(reader.sheet_names)
    candidates = range(len(names)) if sheet is None else [_sheet_index(sheet, names, path)]
    chosen, block = candidates[0], None
    if known:
        for index in candidates:
            # Every cell as text: numbers that are really codes (区划代码, 身份证号) keep their
            # digits, and parsing is the same as for CSV.
            head = reader.load_sheet(
                index, header_row=None, n_rows=HEADER_SCAN_ROWS, dtypes="string"
            ).to_polars()
            found = find_header(head.rows(), known)
            if found is not None and (block is None or found.score > block.score):
                chosen, block = index, found
    whole = reader.load_sheet(chosen, header_row=None, dtypes="string").to_polars()
    notes: list[str] = []
    if block is None:
        # No known header (the run stops on that) or none looked for: the first row.
        first = whole.head(1).rows()
        block = HeaderBlock(
            start=0,
            rows=1,
            names=_unique(
                [
                    (v.strip() if isinstance(v, str) and v.strip() else f"列{c + 1}")
                    for c, v in enumerate(first[0] if first else [None] * whole.width)
                ]
            ),
            score=0,
        )
    elif (chosen, block.start, block.rows) != (0, 0, 1):
        notes.append(_where(block, names[chosen]))
    names_out = block.names + [f"列{c + 1}" for c in range(len(block.names), whole.width)]
    frame = whole.slice(block.start + block.rows)
    frame.columns = _unique(names_out[: whole.width])
    if frame.width:
        # Rows with nothing in them (formatting below the register) are not people.
        frame = frame.filter(~pl.all_horizontal(pl.all().is_null()))

    def chunks(_: Collection[str]) -> Iterator[pl.DataFrame]:
        for start in range(0, frame.height, chunk_rows):
            yield frame.slice(start, chunk_rows)

    return Register(headers=frame.columns, counted=frame.height, chunks=chunks, notes=notes)


def _sheet_index(sheet: str, names: list[str], path: Path) -> int:
    """A sheet by its name, or by its number counted from 1."""
    if sheet in names:
        return names.index(sheet)
    if sheet.isdigit() and 1 <= int(sheet) <= len(names):
        return int(sheet) - 1
    listed = "、".join(f"{i}. {n}" for i, n in enumerate(names, start=1))
    raise BatchInputError(f"{path.name}: no sheet {sheet!r}; its sheets are {listed}")
