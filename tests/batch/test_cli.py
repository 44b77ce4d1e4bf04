"""`eligibility batch` from the command line."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

from cli.main import main


def test_batch_writes_the_file_and_prints_the_summary(
    tmp_path: Path, example: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "results.csv"
    status = main(
        [
            "batch",
            str(example.HERE / "register.xlsx"),
            "--out",
            str(output),
            "--as-of",
            "2024-11-05",
            "--lang",
            "en",
        ]
    )
    assert status == 0
    out = pl.read_csv(output, infer_schema=False)
    assert out.height == 20
    assert "microloan.verdict" in out.columns
    captured = capsys.readouterr()
    assert "20 rows" in captured.out
    assert "summary written to" in captured.out
    assert "carried through as identifying columns: 姓名, 户编号, 乡镇" in captured.err
    assert "2 rows have bad data" in captured.err


def test_batch_to_xlsx_with_options(tmp_path: Path, example: ModuleType) -> None:
    output = tmp_path / "results.xlsx"
    status = main(
        [
            "batch",
            str(example.HERE / "register.csv"),
            "-o",
            str(output),
            "--programme",
            "yulu_plan",
            "--programme",
            "microloan",
            "--region-default",
            "140821",
            "--chunk-rows",
            "7",
            "--no-progress",
        ]
    )
    assert status == 0
    assert output.stat().st_size > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "no such file"),
        (["register.csv", "--programme", "lottery"], "unknown programme 'lottery'"),
        (["register.csv", "--region-default", "5101x"], "--region-default must be"),
        (["register.csv", "--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_bad_input_exits_2(
    tmp_path: Path,
    example: ModuleType,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    source = args[0] if args[0] == "missing.csv" else str(example.HERE / args[0])
    status = main(["batch", source, "--out", str(tmp_path / "o.csv"), *args[1:]])
    assert status == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


def test_an_output_folder_that_does_not_exist_exits_2(
    tmp_path: Path, example: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "missing" / "results.csv"
    status = main(["batch", str(example.HERE / "register.csv"), "--out", str(output)])
    assert status == 2
    assert "no such folder" in capsys.readouterr().err


def test_jsonl_is_ndjson(tmp_path: Path, example: ModuleType) -> None:
    output = tmp_path / "results.jsonl"
    assert main(["batch", str(example.HERE / "register.csv"), "--out", str(output)]) == 0
    lines = output.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 20
    assert lines[0].startswith('{"姓名":"张建国"')
