"""Region codes and birth dates given on the command line (issue 11, findings 7 and 8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main

REGISTER = Path(__file__).parents[2] / "examples" / "register.csv"


def test_programmes_region_in_full_width_digits_is_the_ascii_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["programmes", "--region", "140821", "--as-of", "2024-11-01", "--json"]) == 0
    ascii_listing = json.loads(capsys.readouterr().out)
    assert main(["programmes", "--region", "１４０８２１", "--as-of", "2024-11-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == ascii_listing


@pytest.mark.parametrize("region", ["١٤٠٨٢١", "14082"])
def test_programmes_region_in_other_digits_exits_2(
    capsys: pytest.CaptureFixture[str], region: str
) -> None:
    assert main(["programmes", "--region", region]) == 2
    assert "--region must be a 2, 4 or 6 digit" in capsys.readouterr().err


def test_batch_region_default_in_other_digits_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o.csv"
    assert main(["batch", str(REGISTER), "-o", str(out), "--region-default", "١٤٠٨٢١"]) == 2
    assert "--region-default must be a 2, 4 or 6 digit" in capsys.readouterr().err
    assert not out.exists()


def test_batch_region_default_in_full_width_digits_runs(tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    args = ["batch", str(REGISTER), "-o", str(out), "--no-progress"]
    assert main([*args, "--region-default", "１４０８２１"]) == 0
    assert out.stat().st_size > 0


def test_check_of_a_birth_date_after_as_of_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    applicant = tmp_path / "a.json"
    applicant.write_text(
        json.dumps({"as_of": "2024-01-01", "person": {"birth_date": "2024-01-02"}})
    )
    assert main(["check", str(applicant)]) == 2
    captured = capsys.readouterr()
    assert "person.birth_date: is after as_of (2024-01-01)" in captured.err
    assert captured.out == ""


def test_check_of_a_date_out_of_range_exits_2_and_decides_the_other_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # eligibility.as_of_range: the rules start 2021-01-01 (过渡期; policy-2026 notes).
    applicants = tmp_path / "a.ndjson"
    applicants.write_text(
        json.dumps({"as_of": "2020-12-31"}) + "\n" + json.dumps({"as_of": "2024-01-01"}) + "\n"
    )
    assert main(["check", str(applicants)]) == 2
    captured = capsys.readouterr()
    assert "line 1: invalid applicant: as_of is before 2021-01-01" in captured.err
    [line] = captured.out.splitlines()
    assert json.loads(line)["as_of"] == "2024-01-01"
    assert main(["check", str(applicants), "--as-of", "9999-01-01"]) == 2
    assert "--as-of 9999-01-01 is after" in capsys.readouterr().err
    assert main(["programmes", "--as-of", "0001-01-01"]) == 2
    assert "--as-of 0001-01-01 is before 2021-01-01" in capsys.readouterr().err


def test_batch_as_of_out_of_range_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o.csv"
    args = ["batch", str(REGISTER), "-o", str(out), "--no-progress", "--as-of", "9999-01-01"]
    assert main(args) == 2
    assert "as_of 9999-01-01 is after" in capsys.readouterr().err
    assert not out.exists()


def test_region_codes_no_region_has_exit_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Review #6: decided under the national rules alone, with no warning.
    assert main(["programmes", "--region", "999999"]) == 2
    assert "--region is not a region code in use today" in capsys.readouterr().err
    out = tmp_path / "o.csv"
    assert main(["batch", str(REGISTER), "-o", str(out), "--region-default", "330104"]) == 2
    assert "--region-default is not a region code in use today" in capsys.readouterr().err
    applicant = tmp_path / "a.json"
    employment = {"status": "employed", "work_region_code": "999999", "months_continuous": 4}
    applicant.write_text(
        json.dumps(
            {"region_code": "140821", "as_of": "2026-12-01", "person": {"employment": employment}}
        )
    )
    assert main(["check", str(applicant)]) == 2
    assert "person.employment.work_region_code: is not a region code" in capsys.readouterr().err


def test_check_of_an_age_the_id_number_contradicts_exits_2_naming_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Review #5: decided as 40 (microloan eligible, 50000) though the number says 85.
    applicant = tmp_path / "a.json"
    person = {"id_number": "140821194001011233", "age": 40}
    applicant.write_text(
        json.dumps({"region_code": "140821", "as_of": "2025-06-01", "person": person})
    )
    assert main(["check", str(applicant)]) == 2
    assert (
        "person.age: is 40, but the birth date in person.id_number (1940-01-01) gives 85"
        in capsys.readouterr().err
    )
