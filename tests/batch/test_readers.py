"""Registers as offices make them (#11, findings 4 and 5): encodings judged on the whole file,
bad bytes flagged on their rows, and headers found below title rows, on the sheet that has them,
over two rows."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import polars as pl
import pytest
import xlsxwriter

from batch.columns import known_headers
from batch.readers import NotUtf8Error, open_register
from batch.run import BatchInputError, BatchOptions, run_batch
from cli.main import main
from eligibility.programme import PolicySet
from tests.batch.conftest import AS_OF
from tests.batch.test_run import OPTIONS, check_against_reference, english_register

MIB = 1 << 20


def many(frame: pl.DataFrame, times: int) -> pl.DataFrame:
    """The register repeated, each row numbered (序号), so that the file passes a MiB."""
    return pl.concat([frame] * times).with_columns(
        pl.int_range(pl.len()).cast(pl.String).alias("序号")
    )


# ---------------------------------------------------------------------------------------------
# Finding 4: encodings


def test_one_bad_byte_after_the_first_mib_flags_its_row_only(
    tmp_path: Path, example: ModuleType, policies: PolicySet
) -> None:
    frame = many(example.register(), 1000)  # 20,000 rows, about 2.7 MB
    bad_row = 15_000
    frame = frame.with_columns(
        pl.when(pl.col("序号") == str(bad_row))
        .then(pl.lit("BADNAME"))
        .otherwise(pl.col("姓名"))
        .alias("姓名")
    )
    text = frame.write_csv().encode("utf-8")
    assert text.index(b"BADNAME") > MIB
    clean = tmp_path / "clean.csv"
    clean.write_bytes(text)
    damaged = tmp_path / "damaged.csv"
    damaged.write_bytes(text.replace(b"BADNAME", b"\xe5\xbc\xff\xfe"))  # not UTF-8

    result = run_batch(damaged, tmp_path / "o.parquet", OPTIONS, policies=policies)
    assert result.rows == 20_000
    assert any("not utf-8 text" in note for note in result.notes)
    out = pl.read_parquet(tmp_path / "o.parquet")
    row = out.row(bad_row, named=True)
    assert "姓名: holds bytes that are not text" in row["error"]
    assert row["microloan.verdict"] is None
    # Every other row as from the clean file.
    run_batch(clean, tmp_path / "c.parquet", OPTIONS, policies=policies)
    expected = pl.read_parquet(tmp_path / "c.parquet")
    others = pl.int_range(pl.len()) != bad_row
    assert out.filter(others).equals(expected.filter(others))
    assert result.error_rows == expected["error"].is_not_null().sum() + 1


def test_a_register_read_as_utf8_at_once_stops_at_a_byte_that_is_not(
    tmp_path: Path, example: ModuleType, policies: PolicySet
) -> None:
    """Opened to check its text while reading (`utf8_while_reading`, as `run_batch` first
    does), a file that is UTF-8 at its start but not further on is not read as if it were: the
    reading stops with `NotUtf8Error`, and opened as before it is judged on the whole file."""
    frame = many(example.register(), 1000)
    text = frame.write_csv().encode("utf-8")
    cut = text.index(b"\n", 2 * MIB) + 1
    damaged = tmp_path / "damaged.csv"
    damaged.write_bytes(text[:cut] + b"\xff\xfe" + text[cut:])
    known = known_headers(policies)
    register = open_register(damaged, 1000, known=known, utf8_while_reading=True)
    assert register.utf8_unchecked and register.total == frame.height
    with pytest.raises(NotUtf8Error):
        for _ in register.read():
            pass
    again = open_register(damaged, 1000, known=known)
    assert not again.utf8_unchecked and again.damaged
    clean = tmp_path / "clean.csv"
    clean.write_bytes(text)
    read = open_register(clean, 1000, known=known, utf8_while_reading=True)
    assert read.utf8_unchecked and read.total == frame.height
    assert pl.concat(list(read.read())).equals(pl.read_csv(clean, infer_schema=False))


def test_a_byte_not_utf8_just_past_the_judged_block_starts_the_reading_again(
    tmp_path: Path, example: ModuleType, policies: PolicySet
) -> None:
    """UTF-8 for its first MiB and not a little after (within the first million characters of
    Chinese text, three bytes each): the run reads it, judged on the whole file, as a register
    that was not UTF-8 throughout — it is not refused (review of #10)."""
    frame = many(example.register(), 1000)
    text = frame.write_csv().encode("utf-8")
    cut = text.index(b"\n", MIB + MIB // 4) + 1
    assert len(text[:cut].decode("utf-8")) < MIB  # the bad byte is within a block of characters
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(text[:cut] + b"\xff\xfe" + text[cut:])
    result = run_batch(mixed, tmp_path / "o.parquet", OPTIONS, policies=policies)
    assert result.rows == frame.height


def test_gbk_file_whose_first_mib_is_ascii(
    tmp_path: Path, example: ModuleType, policies: PolicySet
) -> None:
    english = english_register(example)
    ascii_part = many(english, 700).with_columns(
        ("p" + pl.col("序号")).alias("name"),
        pl.lit("t").alias("township"),
        pl.col("person.age").replace("四十", "forty"),  # a bad cell still, in ASCII
    )
    chinese_part = many(english, 5)
    frame = pl.concat([ascii_part, chinese_part]).rename({"序号": "serial"})
    text = frame.write_csv()
    assert len(text.encode("ascii", "ignore")) > MIB and not text.isascii()
    assert text[: MIB + 1].isascii()
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(text.encode("gb18030"))
    result = run_batch(gbk, tmp_path / "o.parquet", OPTIONS, policies=policies)
    assert result.rows == frame.height
    out = pl.read_parquet(tmp_path / "o.parquet")
    assert out["name"].to_list() == frame["name"].to_list()  # the Chinese names read right
    check_against_reference(out.tail(20), example, policies)


def test_gb18030_whose_chinese_starts_early_still_reads(
    tmp_path: Path, example: ModuleType, policies: PolicySet
) -> None:
    source = tmp_path / "gbk.csv"
    source.write_bytes(example.register().write_csv().encode("gb18030"))
    result = run_batch(source, tmp_path / "o.parquet", OPTIONS, policies=policies)
    assert result.error_rows == 2  # the example's two bad rows, no damaged ones
    check_against_reference(pl.read_parquet(tmp_path / "o.parquet"), example, policies)


# ---------------------------------------------------------------------------------------------
# Finding 5: headers where offices put them


def _xlsx(
    path: Path,
    sheets: list[tuple[str, list[tuple[int, int, int, int, str]], int, pl.DataFrame | None]],
) -> None:
    """Sheets of (name, merged cells (r1, c1, r2, c2, text), first data row, rows)."""
    book = xlsxwriter.Workbook(str(path))
    for name, merges, first, frame in sheets:
        sheet = book.add_worksheet(name)
        for r1, c1, r2, c2, text in merges:
            if (r1, c1) == (r2, c2):
                sheet.write_string(r1, c1, text)
            else:
                sheet.merge_range(r1, c1, r2, c2, text)
        if frame is not None:
            for r, values in enumerate(frame.iter_rows(), start=first):
                for c, value in enumerate(values):
                    if value is not None:
                        sheet.write_string(r, c, value)
    book.close()


def _header(frame: pl.DataFrame, row: int) -> list[tuple[int, int, int, int, str]]:
    return [(row, c, row, c, name) for c, name in enumerate(frame.columns)]


TITLE = "临猗县2024年脱贫人口花名册"


def test_a_merged_title_row_above_the_headers(
    tmp_path: Path, example: ModuleType, policies: PolicySet
) -> None:
    frame = example.register()
    source = tmp_path / "register.xlsx"
    title = (0, 0, 0, frame.width - 1, TITLE)
    _xlsx(source, [("花名册", [title, *_header(frame, 1)], 2, frame)])
    result = run_batch(source, tmp_path / "o.parquet", OPTIONS, policies=policies)
    assert result.rows == 20 and result.error_rows == 2
    assert any("header in row 2" in note for note in result.notes)
    check_against_reference(pl.read_parquet(tmp_path / "o.parquet"), example, policies)


def test_the_sheet_with_the_headers_is_read_after_an_instructions_sheet(
    tmp_path: Path, example: ModuleType, policies: PolicySet
) -> None:
    frame = example.register()
    source = tmp_path / "register.xlsx"
    instructions = [(0, 0, 0, 0, "填表说明"), (1, 0, 1, 0, "户类型填：脱贫户、监测户、一般户")]
    _xlsx(
        source,
        [("填表说明", instructions, 2, None), ("花名册", _header(frame, 0), 1, frame)],
    )
    result = run_batch(source, tmp_path / "o.parquet", OPTIONS, policies=policies)
    assert result.rows == 20
    assert any("sheet '花名册'" in note for note in result.notes)
    check_against_reference(pl.read_parquet(tmp_path / "o.parquet"), example, policies)


def test_two_level_merged_headers(tmp_path: Path, example: ModuleType, policies: PolicySet) -> None:
    frame = example.register()
    columns = frame.columns
    # 劳动能力 … 连续务工月数 under one group title; every other header merged over two rows.
    group = range(columns.index("劳动能力"), columns.index("连续务工月数") + 1)
    merges = [(0, 0, 0, len(columns) - 1, TITLE)]
    merges.append((1, group.start, 1, group.stop - 1, "劳动力情况"))
    for c, name in enumerate(columns):
        merges.append((2, c, 2, c, name) if c in group else (1, c, 2, c, name))
    source = tmp_path / "register.xlsx"
    _xlsx(source, [("花名册", merges, 3, frame)])
    result = run_batch(source, tmp_path / "o.parquet", OPTIONS, policies=policies)
    assert result.rows == 20 and result.error_rows == 2
    out = pl.read_parquet(tmp_path / "o.parquet")
    check_against_reference(out, example, policies)
    assert out.columns[:4] == ["姓名", "户编号", "乡镇", "身份证号"]
    # No column was lost: every fact header was recognised (none noted as unknown).
    assert any(
        "carried through as identifying columns: 姓名, 户编号, 乡镇" in n for n in result.notes
    )
    assert not any("劳动能力" in n or "就业状态" in n for n in result.notes)


def test_a_sheet_chosen_by_name_or_number(
    tmp_path: Path, example: ModuleType, policies: PolicySet
) -> None:
    frame = example.register()
    source = tmp_path / "register.xlsx"
    first_five = frame.head(5)
    _xlsx(
        source,
        [("上月", _header(frame, 0), 1, frame), ("本月", _header(frame, 0), 1, first_five)],
    )
    for sheet, rows in [(None, 20), ("本月", 5), ("2", 5), ("1", 20)]:
        options = BatchOptions(as_of=AS_OF, lang="en", sheet=sheet)
        result = run_batch(source, tmp_path / "o.parquet", options, policies=policies)
        assert result.rows == rows, sheet
    with pytest.raises(BatchInputError, match=r"no sheet '3'; its sheets are 1\. 上月、2\. 本月"):
        run_batch(
            source,
            tmp_path / "o.parquet",
            BatchOptions(as_of=AS_OF, sheet="3"),
            policies=policies,
        )


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_no_known_header_stops_with_a_clear_message(
    tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pl.DataFrame({"姓名": ["张三", "李四"], "电话": ["1", "2"], "备注": [None, "x"]})
    source = tmp_path / f"register{suffix}"
    if suffix == ".csv":
        frame.write_csv(source)
    else:
        _xlsx(source, [("Sheet1", _header(frame, 0), 1, frame)])
    output = tmp_path / "o.csv"
    status = main(["batch", str(source), "--out", str(output), "--as-of", "2024-11-05"])
    assert status == 2
    assert "找不到已知的表头" in capsys.readouterr().err
    assert not output.exists()


def test_csv_with_title_lines_above_the_header(
    tmp_path: Path, example: ModuleType, policies: PolicySet
) -> None:
    frame = example.register()
    source = tmp_path / "register.csv"
    body = frame.write_csv()
    source.write_text(f"{TITLE}\n填表日期：2024年11月5日,,,\n{body}", encoding="utf-8-sig")
    result = run_batch(source, tmp_path / "o.parquet", OPTIONS, policies=policies)
    assert result.rows == 20 and result.error_rows == 2
    check_against_reference(pl.read_parquet(tmp_path / "o.parquet"), example, policies)


def test_cli_sheet_option(tmp_path: Path, example: ModuleType) -> None:
    frame = example.register()
    source = tmp_path / "register.xlsx"
    _xlsx(
        source,
        [("上月", _header(frame, 0), 1, frame), ("本月", _header(frame, 0), 1, frame.head(3))],
    )
    output = tmp_path / "o.csv"
    args = ["batch", str(source), "--out", str(output), "--as-of", "2024-11-05"]
    assert main([*args, "--sheet", "本月"]) == 0
    assert pl.read_csv(output, infer_schema=False).height == 3
    assert main([*args, "--sheet", "9"]) == 2
