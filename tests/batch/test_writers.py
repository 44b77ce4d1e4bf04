"""What the writers put in a file: formula-like text neutralised (#11 finding 6), reason codes and
their legend (#10), and the XLSX sheets."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from types import ModuleType

import fastexcel
import polars as pl
import pytest

from batch.run import BatchOptions, run_batch
from batch.writers import _FORMULA_START, RISKY_FIRST_CHARACTERS, neutralised
from cli.main import main
from eligibility.programme import PolicySet
from tests.batch.conftest import AS_OF

# Cells a spreadsheet would run as formulas (OWASP's list: = + - @, tab, carriage return).
FORMULAS = [
    '=HYPERLINK("http://example.invalid/?x="&A1,"点我")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
NUMBERS = ["-12", "+3", "-0.5", "1e3"]


def injected_register(example: ModuleType) -> pl.DataFrame:
    """The example register with formula-like names, townships and a free-text column."""
    frame: pl.DataFrame = example.register().head(len(FORMULAS) + len(NUMBERS))
    cells = FORMULAS + NUMBERS
    return frame.with_columns(
        pl.Series("姓名", cells),
        pl.Series("乡镇", [FORMULAS[0]] * frame.height),
        pl.Series("=备注", cells),  # a header too
    )


def test_neutralised_prefixes_formula_text_and_leaves_numbers() -> None:
    frame = pl.DataFrame(
        {
            "text": [*FORMULAS, *NUMBERS, "张三", None],
            "amount": [-5] * (len(FORMULAS) + len(NUMBERS)) + [1, None],
            "code": pl.Series([*FORMULAS, *NUMBERS, "age!", None], dtype=pl.Categorical),
        }
    )
    out = neutralised(frame)
    expected = [*("'" + f for f in FORMULAS), *NUMBERS, "张三", None]
    assert out["text"].to_list() == expected
    assert out["code"].cast(pl.String).to_list() == [*expected[:-2], "age!", None]
    assert out["amount"].equals(frame["amount"])  # numbers stay numbers, negative ones too
    assert neutralised(pl.DataFrame({"=x": [1]})).columns == ["'=x"]


def test_a_formula_among_categories_added_after_a_chunk_was_written_is_neutralised() -> None:
    # Global categories are looked at once, as they grow: a text that comes in a later chunk
    # (a reason, a township) must still be neutralised there, and a chunk of texts looked at
    # already must not be changed.
    first = pl.DataFrame(
        {"reason": pl.Series(["第一批原因甲", "第一批原因乙"], dtype=pl.Categorical)}
    )
    assert neutralised(first)["reason"].cast(pl.String).to_list() == [
        "第一批原因甲",
        "第一批原因乙",
    ]
    later = pl.DataFrame(
        {"reason": pl.Series(["第一批原因甲", "=后来的公式()"], dtype=pl.Categorical)}
    )
    assert neutralised(later)["reason"].cast(pl.String).to_list() == [
        "第一批原因甲",
        "'=后来的公式()",
    ]
    assert neutralised(first)["reason"].cast(pl.String).to_list() == [
        "第一批原因甲",
        "第一批原因乙",
    ]


def test_csv_output_and_summary_neutralise_formulas(
    tmp_path: Path, example: ModuleType, policies: PolicySet
) -> None:
    source = tmp_path / "register.csv"
    injected_register(example).write_csv(source)
    output = tmp_path / "o.csv"
    result = run_batch(source, output, BatchOptions(as_of=AS_OF), policies=policies)
    out = pl.read_csv(output, infer_schema=False)
    assert out["姓名"].to_list() == [*("'" + f for f in FORMULAS), *NUMBERS]
    assert "'=备注" in out.columns
    assert result.summary_path is not None
    summary = pl.read_csv(result.summary_path, infer_schema=False)
    assert "'" + FORMULAS[0] in summary["乡镇或县"].to_list()
    # Numbers as numbers: an amount column is never prefixed.
    assert all(v is None or v.isdigit() for v in out["microloan.amount"].to_list())


def _cells(book: Path, sheet: int) -> tuple[str, str]:
    with zipfile.ZipFile(book) as archive:
        return archive.read(f"xl/worksheets/sheet{sheet}.xml").decode(), archive.read(
            "xl/styles.xml"
        ).decode()


def test_xlsx_output_writes_formula_text_as_strings(
    tmp_path: Path, example: ModuleType, policies: PolicySet
) -> None:
    source = tmp_path / "register.csv"
    injected_register(example).write_csv(source)
    output = tmp_path / "o.xlsx"
    run_batch(source, output, BatchOptions(as_of=AS_OF), policies=policies)
    reader = fastexcel.read_excel(output)
    assert reader.sheet_names == ["结果", "汇总"]
    # What a person reads is the text as it was, not a value computed from it ...
    results = reader.load_sheet(0, dtypes="string").to_polars()
    assert results["姓名"].to_list() == FORMULAS + NUMBERS
    assert results["=备注"].to_list() == FORMULAS + NUMBERS
    summary = reader.load_sheet(1, dtypes="string").to_polars()
    assert FORMULAS[0] in summary["乡镇或县"].to_list()
    # ... and no cell of any sheet is a formula; text cells are quote-prefixed as Excel's own
    # apostrophe makes them, so editing one does not turn it into a formula either.
    for sheet in (1, 2):
        xml, styles = _cells(output, sheet)
        assert "<f>" not in xml and "<f " not in xml
        assert 'quotePrefix="1"' in styles


def test_a_warning_code_has_one_wording_per_place_across_years(
    tmp_path: Path, example: ModuleType, policies: PolicySet
) -> None:
    """A register asked on days of two years: the warnings whose words name the year
    ("2026年的具体标准还没有核实…", "2027年…") are two codes, so the legend spells each code once
    per place (review of #10: both were `warn.unconfirmed`, scoped alike)."""
    register = example.register()
    days = pl.concat(
        [
            register.with_columns(pl.lit(day).alias("评估日期"))
            for day in ("2026-06-01", "2027-06-01")
        ]
    )
    source = tmp_path / "two_years.csv"
    days.write_csv(source)
    coded = run_batch(
        source,
        tmp_path / "codes.csv",
        BatchOptions(as_of=dt.date(2026, 6, 1), reasons="codes"),
        policies=policies,
    )
    assert coded.legend_path is not None
    legend = pl.read_csv(coded.legend_path, infer_schema=False)
    warnings = legend.filter(pl.col("代码").str.starts_with("warn."))
    assert {"warn.unconfirmed.2026", "warn.unconfirmed.2027"} <= set(warnings["代码"])
    assert not legend.select(legend.columns[:2] + legend.columns[4:5]).is_duplicated().any()


def test_reasons_as_codes_with_a_legend_file(
    tmp_path: Path, example: ModuleType, policies: PolicySet
) -> None:
    source = example.HERE / "register.csv"
    coded = run_batch(
        source,
        tmp_path / "codes.csv",
        BatchOptions(as_of=AS_OF, reasons="codes"),
        policies=policies,
    )
    run_batch(source, tmp_path / "text.csv", BatchOptions(as_of=AS_OF), policies=policies)
    codes = pl.read_csv(tmp_path / "codes.csv", infer_schema=False)
    text = pl.read_csv(tmp_path / "text.csv", infer_schema=False)
    assert codes.columns == text.columns
    assert coded.legend_path == tmp_path / "codes.csv.legend.csv"
    legend = pl.read_csv(coded.legend_path, infer_schema=False)
    assert legend.columns[:4] == ["项目", "代码", "说明", "Meaning"]
    spelled: dict[tuple[str, str], set[str]] = {}
    for row in legend.iter_rows(named=True):
        spelled.setdefault((row["项目"], row["代码"]), set()).add(row["说明"])
        # A code worded differently by place says where each wording applies.
        assert (len(spelled[(row["项目"], row["代码"])]) == 1) or row[legend.columns[4]]
    names = {pid: policies.programme(pid).policy.name.zh for pid in policies.programmes}
    used = 0
    for pid in policies.programmes:
        column = f"{pid}.reasons"
        for said, worded in zip(codes[column], text[column], strict=True):
            if said is None:
                assert worded is None
                continue
            ids = said.split(" ")
            assert all(re.fullmatch(r"[a-z_]+[!?]", code) for code in ids)
            # The codes spell out, in the legend, to the reasons the text output gives; a
            # not-met or unknown reason that names the person's own values (#9: "借款人17岁，…";
            # "您62岁；…请问村里或县里", said only where the age was given) is spelled out in the
            # criterion's general wording, the same for everyone.
            rest = worded
            for code in ids:
                said_so = [w for w in spelled[(names[pid], code)] if rest.startswith(w)]
                if said_so:
                    rest = rest.removeprefix(said_so[0]).removeprefix("；")
                    continue
                criterion = next(
                    c for c in policies.programme(pid).criteria if c.spec.id == code[:-1]
                )
                refused = code.endswith("!")
                wording = criterion.spec.outcome_text("not_met" if refused else "unknown")
                assert any("." in name for name in wording.placeholders()), (code, rest)
                assert rest.startswith("不符合：" if refused else "待确认："), rest
                # This reason runs to where the next criterion's reason begins.
                ends = [rest.find(f"；{p}") for p in ("不符合：", "待确认：")]
                cut = min((e for e in ends if e > 0), default=len(rest))
                rest = rest[cut:].removeprefix("；")
            assert rest == ""
            used += 1
    assert used > 20
    # The warnings are codes too (`warn.…`), each spelled out in the legend as the text output
    # words it, one line of the worded cell per code, in the same order.
    warned = 0
    for pid in policies.programmes:
        column = f"{pid}.warnings"
        for said, worded in zip(codes[column], text[column], strict=True):
            if said is None:
                assert worded is None
                continue
            ids = said.split(" ")
            lines = worded.split("\n")
            assert len(ids) == len(lines), (said, worded)
            for code, line in zip(ids, lines, strict=True):
                assert re.fullmatch(r"warn\.[a-z_]+(\.[a-z_0-9]+)?(\.[0-9]{4})?", code), code
                assert line in spelled[(names[pid], code)], (code, line)
            warned += 1
    assert warned > 0
    # One wording per code and place: a warning whose words name the year carries it in its
    # code, so a reader never has to guess which of two rows is meant (review of #10).
    assert not legend.select(legend.columns[:2] + legend.columns[4:5]).is_duplicated().any()
    # Every code in the legend was used (the legend is of this run).
    assert legend.height == sum(len(wordings) for wordings in spelled.values())
    assert any(len(wordings) > 1 for wordings in spelled.values())  # 临猗's own scope words


def test_reasons_none_leaves_the_column_out(
    tmp_path: Path, example: ModuleType, policies: PolicySet
) -> None:
    result = run_batch(
        example.HERE / "register.csv",
        tmp_path / "o.parquet",
        BatchOptions(as_of=AS_OF, reasons="none"),
        policies=policies,
    )
    out = pl.read_parquet(tmp_path / "o.parquet")
    assert not [c for c in out.columns if c.endswith(".reasons")]
    assert "microloan.missing" in out.columns and result.legend_path is None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cli_default_is_codes_with_a_legend_sheet_in_xlsx(
    tmp_path: Path, example: ModuleType, lang: str
) -> None:
    output = tmp_path / "o.xlsx"
    args = ["batch", str(example.HERE / "register.csv"), "--out", str(output)]
    assert main([*args, "--as-of", "2024-11-05", "--lang", lang]) == 0
    reader = fastexcel.read_excel(output)
    legend_sheet = "代码说明" if lang == "zh" else "legend"
    assert reader.sheet_names == ["结果" if lang == "zh" else "results", "汇总", legend_sheet]
    results = reader.load_sheet(0, dtypes="string").to_polars()
    legend = reader.load_sheet(2, dtypes="string").to_polars()
    used = {c for v in results["microloan.reasons"].drop_nulls() for c in v.split(" ")}
    assert used and used <= set(legend[legend.columns[1]])
    assert legend.columns[3] in ("Meaning", "meaning")
    assert legend[legend.columns[3]].drop_nulls().len() == legend.height


# Formula text behind leading whitespace (review of #11, R3): a spreadsheet that trims cells, or
# a user who deletes the space, runs it, so the first non-whitespace character is what counts.
SPACED_FORMULAS = [
    " =1+1",
    "\u00a0=1+1",  # no-break space
    "\u3000=1+1",  # ideographic space, what a Chinese input method types
    "\u2003-1+2",  # em space
    "\u200b@SUM(1+1)",  # zero-width space
    "\ufeff+1+1",  # zero-width no-break space (a stray BOM)
    '  \u00a0=HYPERLINK("http://example.invalid")',
]
SPACED_NUMBERS = [" -12", "\u00a0+3", "\u3000-0.5"]


def test_neutralised_looks_past_leading_whitespace_and_leaves_spaced_numbers() -> None:
    frame = pl.DataFrame({"text": [*SPACED_FORMULAS, *SPACED_NUMBERS, " 张三"]})
    out = neutralised(frame)
    expected = [*("'" + f for f in SPACED_FORMULAS), *SPACED_NUMBERS, " 张三"]
    assert out["text"].to_list() == expected
    assert neutralised(pl.DataFrame({"\u3000=x": [1]})).columns == ["'\u3000=x"]


def test_the_quick_first_character_screen_misses_no_formula_start() -> None:
    """The CSV writer looks at a text column's cells with the formula pattern only when one of
    them begins with a character the pattern can begin with (`RISKY_FIRST_CHARACTERS`): every
    character the pattern can start with, over all of Unicode, is in that list, and nothing
    else (OWASP's = + - @ tab and carriage return, behind any invisible characters)."""
    every = pl.Series([chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000])
    # A character starts a match if the pattern matches it followed by a formula start.
    starts = every.filter((every + "=").str.contains(_FORMULA_START))
    assert sorted(starts.to_list()) == sorted(RISKY_FIRST_CHARACTERS)
