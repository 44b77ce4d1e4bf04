"""`eligibility check` and `eligibility programmes` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main

ELIGIBLE_STUDENT = {
    "as_of": "2024-09-10",
    "household": {"category": "poverty_alleviated"},
    "person": {
        "education": {
            "level": "technical_school",
            "full_time": True,
            "registered": True,
            "suspended": False,
        }
    },
}


def run(args: list[str], stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_one_applicant_gives_one_line_with_reasons_and_citations() -> None:
    result = run(["check", "--programme", "yulu_plan"], json.dumps(ELIGIBLE_STUDENT))
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    output = json.loads(line)
    [determination] = output["determinations"]
    assert determination["verdict"] == "eligible"
    assert determination["amount"] == 3000
    assert determination["criteria"][0]["reason"].startswith("符合：")
    # Sources by id, the documents in the line's one table (issue 10).
    first = determination["criteria"][0]["sources"][0]
    assert output["sources"][first]["title"]
    # Whole, as no registry is at hand beside a file: its date too.
    assert output["sources"][first]["issuer"] and output["sources"][first]["date"]
    assert output["policy_version"].startswith("ps-")


def test_ndjson_gives_one_line_per_applicant_in_english(tmp_path: Path) -> None:
    path = tmp_path / "people.ndjson"
    lines = [json.dumps(ELIGIBLE_STUDENT), "", json.dumps({"as_of": "2024-01-01"})]
    path.write_text("\n".join(lines), encoding="utf-8")
    result = run(["check", str(path), "--lang", "en"], "")
    assert result.returncode == 0, result.stderr
    outputs = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(outputs) == 2
    assert len(outputs[0]["determinations"]) == 5
    assert {d["verdict"] for d in outputs[1]["determinations"]} == {"needs_info"}
    # Questions by fact path, each once per line in its `questions` table (issue 10).
    asked = outputs[1]["determinations"][0]["missing"][0]["fact"]
    assert outputs[1]["questions"][asked]["question"].endswith("?")


def test_detail_summary_leaves_out_met_criteria() -> None:
    needs = {**ELIGIBLE_STUDENT, "person": {"age": 17}}
    lines = {}
    for detail in ("full", "summary"):
        result = run(["check", "--programme", "yulu_plan", "--detail", detail], json.dumps(needs))
        assert result.returncode == 0, result.stderr
        lines[detail] = json.loads(result.stdout)
    assert (lines["full"]["detail"], lines["summary"]["detail"]) == ("full", "summary")
    [full] = lines["full"]["determinations"]
    [short] = lines["summary"]["determinations"]
    assert short["verdict"] == full["verdict"] == "needs_info"
    assert [c for c in full["criteria"] if c["outcome"] != "met"] == short["criteria"]
    assert any(c["outcome"] == "met" for c in full["criteria"])
    assert short["missing"] == full["missing"]
    # What the amount rests on and the loan's details stay in short too (review of #13).
    assert short.get("request_details") == full.get("request_details")
    assert short["amount_sources"] == full["amount_sources"]


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"person": {"id_number": "510121198001011230"}}', "id_number"),
        ('{"person": {"agee": 3}}', "agee"),
        ('{"household": {"category": "rich"}}', "household.category"),
        ("", "no applicant"),
    ],
)
def test_malformed_input_exits_2_naming_the_problem(stdin: str, message: str) -> None:
    result = run(["check"], stdin)
    assert result.returncode == 2
    assert message in result.stderr


def test_unknown_programme_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--programme", "lottery", "/dev/null"]) == 2
    assert "lottery" in capsys.readouterr().err


def test_programmes_lists_what_is_in_force_for_a_region(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["programmes", "--region", "140821", "--as-of", "2024-11-01", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    transport = next(p for p in listing if p["id"] == "transport_subsidy")
    values = {p["name"]: p["value"] for p in transport["parameters"]}
    assert values["amount_other_county"] == 300
    assert main(["programmes", "--lang", "en", "--as-of", "2025-06-01"]) == 0
    assert "Microloans for households lifted out of poverty" in capsys.readouterr().out
    # #9: from 2026-02-28 the same programme is 帮扶小额信贷 (《关于做好帮扶小额信贷工作的通知》).
    assert main(["programmes", "--lang", "en", "--as-of", "2026-12-01"]) == 0
    assert "Support microloans (帮扶小额信贷)" in capsys.readouterr().out


def test_check_dated_after_the_confirmed_rules_carries_warnings() -> None:
    # #9: yulu_plan.toml is confirmed to 2025-12-31 (临泽县 2025-07-03 restates the rule).
    student = dict(ELIGIBLE_STUDENT, as_of="2026-12-01")
    result = run(["check", "--programme", "yulu_plan"], json.dumps(student))
    assert result.returncode == 0, result.stderr
    [determination] = json.loads(result.stdout)["determinations"]
    assert determination["warnings"] == [
        "2026年的具体标准还没有核实，下面按2025年的规定算，请以县里公布的为准。"
    ]


def test_programmes_shows_confirmation_and_history(capsys: pytest.CaptureFixture[str]) -> None:
    # #9: 崇信's 2024 table (甘人社通〔2024〕155号, "对2024年…") has ended by 2026-12-01.
    assert main(["programmes", "--as-of", "2026-12-01", "--region", "620823"]) == 0
    out = capsys.readouterr().out
    assert "rules checked until 2024-12-31 (NOT confirmed for 2026-12-01)" in out
    assert "已到期，未续 / ended, not renewed" in out
    assert "2024-01-01 – 2024-12-31, region 620823" in out
    assert "[not in force on this date]" in out
    assert "None" not in out


def test_check_gives_the_best_suggestion_per_programme() -> None:
    # 黑人社发〔2022〕18号 (source `heilongjiang`): 3 months of cross-province work; 2 worked.
    short = {
        "as_of": "2026-12-05",
        "region_code": "230124",
        "household": {"category": "poverty_alleviated"},
        "person": {
            "employment": {
                "status": "employed",
                "work_scope": "other_province",
                "months_continuous": 2,
                "transport_subsidy_claimed_this_year": False,
            }
        },
    }
    result = run(["check", "--programme", "transport_subsidy"], json.dumps(short))
    assert result.returncode == 0, result.stderr
    [determination] = json.loads(result.stdout)["determinations"]
    [best] = determination["suggestions"]
    assert best["on"] == "2027-01-05" and best["criteria"] == ["months_worked"]
    plain = run(["check", "--programme", "transport_subsidy", "--no-suggest"], json.dumps(short))
    assert "suggestions" not in json.loads(plain.stdout)["determinations"][0]


def test_without_a_county_the_suggestion_asks_for_it_and_names_no_placeholder() -> None:
    # 黑人社发〔2022〕18号 asks 3 months of work in another province, 临猗 2024 (linyi_2024) none:
    # a worker two months in, no county, in 2024: was "依据：连续稳定务工满（按当地标准）".
    worker = {
        "as_of": "2024-11-05",
        "household": {"category": "poverty_alleviated"},
        "person": {
            "age": 30,
            "employment": {
                "status": "employed",
                "work_scope": "other_province",
                "months_continuous": 2,
                "organized_transfer": False,
                "transport_subsidy_claimed_this_year": False,
            },
        },
    }
    result = run(["check", "--programme", "transport_subsidy"], json.dumps(worker))
    assert result.returncode == 0, result.stderr
    [determination] = json.loads(result.stdout)["determinations"]
    [best] = determination["suggestions"]
    assert "按当地标准" not in best["text"]
    assert best["text"].startswith(
        "外出务工交通补贴对连续务工月数的要求各县不一样，告诉我们您家在哪个县"
    )
    assert best["basis_text"] == "依据：连续务工月数要符合县里的规定。"


def test_a_worker_whose_schooling_is_unknown_is_asked_the_school_level_alone() -> None:
    # bench/answer_size.py's typical applicant.  雨露计划 (云乡振发〔2022〕51号 as restated)
    # covers full-time, registered, not suspended students of vocational schools: those three
    # are asked once the level is known to be such a school, not all four at once.
    worker = {
        "region_code": "140821",
        "as_of": "2025-06-01",
        "household": {"category": "poverty_alleviated", "size": 4},
        "person": {
            "age": 40,
            "labor_capacity": "full",
            "employment": {
                "status": "employed",
                "work_region_code": "440300",
                "months_continuous": 6,
            },
        },
    }
    result = run(["check"], json.dumps(worker))
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    [yulu] = [d for d in output["determinations"] if d["programme"] == "yulu_plan"]
    assert [m["fact"] for m in yulu["missing"]] == ["person.education.level"]
    assert "person.education.level" in output["questions"]
    assert not any(
        path.startswith("person.education.") and path != "person.education.level"
        for path in output["questions"]
    )
