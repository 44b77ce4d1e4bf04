"""`eligibility check --save` and `eligibility diff BEFORE AFTER` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

# 崇信 (620823): 甘人社通〔2024〕155号 pays 300 元 for work in another prefecture of Gansu
# (兰州 620102) in 2024 only (`until = 2025-01-01` in transport_subsidy.toml).
WORKER: dict[str, Any] = {
    "as_of": "2024-06-01",
    "region_code": "620823",
    "household": {"category": "poverty_alleviated"},
    "person": {
        "id_number": None,
        "age": 35,
        "employment": {
            "status": "employed",
            "work_region_code": "620102",
            "months_continuous": 4,
            "organized_transfer": False,
            "transport_subsidy_claimed_this_year": False,
        },
    },
}


def run(args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _save(tmp_path: Path, name: str, applicant: dict[str, Any]) -> Path:
    saved = tmp_path / f"{name}.json"
    result = run(
        ["check", "--programme", "transport_subsidy", "--save", str(saved)], json.dumps(applicant)
    )
    assert result.returncode == 0, result.stderr
    # The check's own output is unchanged by --save.
    assert set(json.loads(result.stdout)) == {
        "detail",
        "as_of",
        "region_code",
        "policy_version",
        "facts_hash",
        "determinations",
        "sources",
        "questions",
    }
    return saved


def test_two_saved_checks_are_compared_in_plain_words(tmp_path: Path) -> None:
    before = _save(tmp_path, "before", WORKER)
    later = json.loads(json.dumps(WORKER))
    later["as_of"] = "2025-06-01"
    later["person"]["employment"]["months_continuous"] = 1
    after = _save(tmp_path, "after", later)

    result = run(["diff", str(before), str(after)])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "· 连续务工月数：4个月 → 1个月" in out
    assert (
        # 崇信's table (and its 3 months) ended with 2024: 1 month then waits on the county
        # (还要确认), not a refusal on a rule no longer in force (review1 F7).
        "外出务工交通补贴：从「能办」变成「还要确认」，因为您填的连续务工月数从4个月改成了1个月（事实变了）"
        in out
    )
    assert "崇信县的省内外市务工补贴（300元/人/年）只到2024年12月31日为止" in out
    assert (
        "（规定变了，见《崇信县脱贫劳动力一次性往返交通补助（依据甘人社通〔2024〕155号）》）" in out
    )

    english = run(["diff", str(before), str(after), "--lang", "en"])
    assert "changed from 4 months to 1 month (a fact changed)" in english.stdout

    as_json = run(["diff", str(before), str(after), "--json"])
    [programme] = json.loads(as_json.stdout)["programmes"]
    causes = {c["item"]: c["cause"] for c in programme["changes"]}
    assert causes["verdict"] == "both" and causes["amount"] == "both"


def test_an_id_number_is_not_saved_and_bad_files_are_refused(tmp_path: Path) -> None:
    with_id = json.loads(json.dumps(WORKER))
    with_id["person"]["id_number"] = "620823198901010020"
    with_id["person"].pop("age")
    check = run(["check", "--save", str(tmp_path / "id.json")], json.dumps(with_id))
    assert check.returncode == 0, check.stderr
    kept = (tmp_path / "id.json").read_text(encoding="utf-8")
    assert "620823198901010020" not in kept
    assert json.loads(kept)["applicant"]["person"]["birth_date"] == "1989-01-01"
    # The answer kept is the line the check printed.
    assert json.loads(kept)["answer"] == json.loads(check.stdout)

    not_saved = tmp_path / "plain.json"
    not_saved.write_text(json.dumps(WORKER), encoding="utf-8")
    before = _save(tmp_path, "before", WORKER)
    refused = run(["diff", str(not_saved), str(before)])
    assert refused.returncode == 2
    assert "plain.json: not a saved check" in refused.stderr
    missing = run(["diff", str(tmp_path / "nope.json"), str(before)])
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_a_check_saved_under_another_policy_version_is_named_not_rederived(
    tmp_path: Path,
) -> None:
    before = _save(tmp_path, "before", WORKER)
    saved = json.loads(before.read_text(encoding="utf-8"))
    saved["policy_version"] = "ps-0000000000000000"
    old = tmp_path / "old.json"
    old.write_text(json.dumps(saved), encoding="utf-8")
    result = run(["diff", str(old), str(before)])
    assert result.returncode == 0, result.stderr
    assert "! 政策版本ps-0000000000000000在这里没有" in result.stdout
    assert "没有变化" in result.stdout
