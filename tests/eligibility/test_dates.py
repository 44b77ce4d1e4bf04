"""Right for the day asked (#9): values that end, rules confirmed up to a date, warnings, rules
not in force yet, answers worded for the outcome, steps for their region only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility.determination import Determination, determine
from eligibility.facts import Applicant
from eligibility.listing import describe_programme
from eligibility.policy import (
    Parameter,
    ParameterValue,
    PolicyError,
    PolicySet,
    bundled_sources,
    load_policy_set,
    parameter_gap,
    resolve_parameter,
    select_parameter_value,
)
from eligibility.text import Text

from .strategies import applicants

_POLICIES = load_policy_set(bundled_sources())


def decide(policies: PolicySet, programme: str, data: dict[str, Any], lang: str = "zh") -> Any:
    [result] = determine(
        msgspec.convert(data, Applicant),
        policies,
        programmes=[programme],
        lang=lang,  # type: ignore[arg-type]
    )
    return result


def _worker(region: str, as_of: str, **employment: Any) -> dict[str, Any]:
    job = {
        "status": "employed",
        "months_continuous": 4,
        "organized_transfer": False,
        "transport_subsidy_claimed_this_year": False,
    }
    job.update(employment)
    return {
        "as_of": as_of,
        "region_code": region,
        "household": {"category": "poverty_alleviated"},
        "person": {"age": 40, "employment": job},
    }


# ---------------------------------------------------------------------------------------------
# `until` is exclusive


_TEXT = Text(zh="x", en="x")


def _param(*values: ParameterValue) -> Parameter:
    return Parameter(description=_TEXT, values=values)


def test_until_is_exclusive_at_both_edges() -> None:
    # A one-year table: since 2024-01-01, until 2025-01-01 covers exactly the year 2024.
    param = _param(
        ParameterValue(since=dt.date(2024, 1, 1), until=dt.date(2025, 1, 1), value=1, source="s")
    )
    assert resolve_parameter(param, None, dt.date(2023, 12, 31)) is None
    assert resolve_parameter(param, None, dt.date(2024, 1, 1)) == 1
    assert resolve_parameter(param, None, dt.date(2024, 12, 31)) == 1
    assert resolve_parameter(param, None, dt.date(2025, 1, 1)) is None
    gap = parameter_gap("p", param, None, dt.date(2025, 1, 1))
    assert gap is not None and gap.ended is not None and gap.ended.value == 1
    before = parameter_gap("p", param, None, dt.date(2023, 12, 31))
    assert before is not None and before.ended is None and before.starts == dt.date(2024, 1, 1)


def test_an_ended_regional_value_is_not_replaced_by_the_national_one() -> None:
    national = ParameterValue(since=dt.date(2021, 1, 1), value=["other_province"], source="s")
    county = ParameterValue(
        since=dt.date(2024, 1, 1),
        until=dt.date(2025, 1, 1),
        region="620823",
        value=["other_province", "other_county"],
        source="s",
    )
    param = _param(national, county)
    assert select_parameter_value(param, "620823", dt.date(2024, 6, 1)) is county
    # The county's 2025 rule is unknown: no value, not the national default.
    assert select_parameter_value(param, "620823", dt.date(2025, 6, 1)) is None
    assert select_parameter_value(param, "620802", dt.date(2025, 6, 1)) is national
    renewed = ParameterValue(since=dt.date(2025, 3, 1), region="620823", value=[], source="s")
    assert select_parameter_value(_param(national, county, renewed), "620823", dt.date(2025, 6, 1))


def test_until_must_come_after_since(policies: PolicySet) -> None:
    sources = dict(bundled_sources())
    text = sources["yulu_plan.toml"].decode()
    bad = text.replace(
        "{ since = 2021-01-01, value = 3000,",
        "{ since = 2021-01-01, until = 2021-01-01, value = 3000,",
    )
    assert bad != text
    sources["yulu_plan.toml"] = bad.encode()
    with pytest.raises(PolicyError, match="until must be after since"):
        load_policy_set(sources, run_examples=False)


# ---------------------------------------------------------------------------------------------
# One-year county tables end with their year (finding 11)


def test_chongxin_2024_table_answers_for_2024_only(policies: PolicySet) -> None:
    # 甘人社通〔2024〕155号 as restated by 崇信县人社局: "对2024年…" — 陕西、宁夏 400 元.
    last_day = decide(
        policies, "transport_subsidy", _worker("620823", "2024-12-31", work_region_code="610112")
    )
    assert (last_day.verdict, last_day.amount) == ("eligible", 400)
    next_year = decide(
        policies, "transport_subsidy", _worker("620823", "2025-01-01", work_region_code="610112")
    )
    assert next_year.verdict == "eligible"
    assert next_year.amount is None  # no 2024 figure shown as current
    assert "400" not in (next_year.amount_note or "")
    assert any("崇信县" in w and "2024年12月31日" in w for w in next_year.warnings)
    # Not also "下面按2024年的规定算": the 2024 rules are exactly what is not used.
    assert not any("下面按" in w for w in next_year.warnings)


def test_chongxin_after_its_table_ends_the_national_scope_does_not_refuse(
    policies: PolicySet,
) -> None:
    # 崇信's 2024 table covered 省内市外 work (甘人社通〔2024〕155号); the national default covers
    # only other provinces.  Once the table ends, its scope is unknown, not the national one.
    result = decide(
        policies, "transport_subsidy", _worker("620823", "2026-12-01", work_region_code="620105")
    )
    assert result.verdict == "eligible"
    assert "work_place_covered" not in {c.id for c in result.criteria}
    # Working inside the county is still not working away (measure 8: 外出务工).
    home = decide(
        policies, "transport_subsidy", _worker("620823", "2026-12-01", work_region_code="620823")
    )
    assert [c.id for c in home.criteria if c.outcome == "not_met"] == ["works_outside_county"]


def test_huanjiang_2021_age_limit_ends_with_2021(policies: PolicySet) -> None:
    # 环江 (广西日报 2021-12-21): 16至60周岁 — the 2021 table, not renewed in any source seen.
    old = _worker("451226", "2021-12-31", work_scope="other_province")
    old["person"]["age"] = 61
    refused = decide(policies, "transport_subsidy", old)
    assert [c.id for c in refused.criteria if c.outcome == "not_met"] == ["age"]
    assert refused.criteria[[c.id for c in refused.criteria].index("age")].text.startswith("您61岁")
    later = dict(old, as_of="2022-01-01")
    result = decide(policies, "transport_subsidy", later)
    assert result.verdict == "eligible"
    assert result.amount is None
    assert any("广西日报" in w and "2021年12月31日" in w for w in result.warnings)


# ---------------------------------------------------------------------------------------------
# Confirmed until a date: warnings


def test_a_date_after_confirmed_until_carries_a_warning(policies: PolicySet) -> None:
    # microloan.toml: checked to 2026-02-28, the date of 《关于做好帮扶小额信贷工作的通知》, whose
    # target and 10万 are known from reports but not its other terms (#9, content).
    data = {"as_of": "2025-12-31", "household": {"category": "poverty_alleviated"}}
    assert decide(policies, "microloan", data).warnings == ()
    data["as_of"] = "2026-12-01"
    zh = decide(policies, "microloan", data).warnings
    assert "2026年的具体标准还没有核实，下面按截至2026年2月28日的规定算，请以县里公布的为准。" in zh
    en = decide(policies, "microloan", data, lang="en").warnings
    assert any("2026" in w and "not been verified" in w for w in en)


def test_confirmed_until_by_region_overrides(policies: PolicySet) -> None:
    # public_welfare_post.toml: 广西's notice (2022-05-22) is confirmed for 2022 only.
    guangxi = {
        "as_of": "2023-03-01",
        "region_code": "451226",
        "household": {"category": "poverty_alleviated"},
    }
    sichuan = dict(guangxi, region_code="510121")
    assert any("2023年" in w for w in decide(policies, "public_welfare_post", guangxi).warnings)
    assert decide(policies, "public_welfare_post", sichuan).warnings == ()


# ---------------------------------------------------------------------------------------------
# Not in force yet (finding 13)


def test_microloan_before_its_first_date_is_not_left_open(policies: PolicySet) -> None:
    # 银保监发〔2021〕6号 (2021-03-04) gives the age, cap and term: before it, none applied.
    data = {
        "as_of": "2020-05-01",
        "household": {"category": "poverty_alleviated", "microloan_overdue": False},
        "person": {"age": 40, "full_civil_capacity": True, "serious_bad_credit": False},
        "loan_request": {"purpose": "production"},
    }
    result = decide(policies, "microloan", data)
    assert result.verdict != "needs_info"
    assert "None" not in (result.amount_note or "")
    assert any("2021年3月4日" in w for w in result.warnings)
    # Not asking about anything before: the age is not asked when no age rule is in force.
    bare = decide(
        policies,
        "microloan",
        {"as_of": "2020-05-01", "household": {"category": "poverty_alleviated"}},
    )
    assert "person.age" not in {m.fact for m in bare.missing}


# ---------------------------------------------------------------------------------------------
# No "None", nothing open with nothing to ask, over many dates and regions


def _texts(d: Determination) -> list[str]:
    texts = [d.programme_name, d.amount_unit or "", d.amount_note or "", d.verdict_label or ""]
    texts += [t for c in d.criteria for t in (c.text, c.reason)]
    texts += [m.question for m in (*d.missing, *d.request_details)]
    texts += [*d.next_steps, *d.documents, *d.warnings]
    return texts


def _policy_dates() -> list[str]:
    named = set()
    for programme in _POLICIES.programmes.values():
        for param in programme.policy.parameters.values():
            for entry in param.values:
                named |= {entry.since, *(() if entry.until is None else (entry.until,))}
    around = {d + dt.timedelta(days=k) for d in named for k in (-1, 0)}
    return sorted(str(d) for d in around | {dt.date(2020, 1, 1), dt.date(2026, 12, 1)})


@settings(max_examples=400, deadline=None)
@given(
    raw=applicants(),
    day=st.sampled_from(_policy_dates()),
    region=st.sampled_from(
        [None, "14", "140821", "620823", "451226", "45", "520181", "23", "410581", "510121"]
    ),
    lang=st.sampled_from(["zh", "en"]),
)
def test_no_text_shows_none_and_nothing_waits_on_nothing(
    raw: dict[str, Any], day: str, region: str | None, lang: str
) -> None:
    raw = dict(raw, as_of=day, region_code=region)
    for d in determine(msgspec.convert(raw, Applicant), _POLICIES, lang=lang):  # type: ignore[arg-type]
        for text in _texts(d):
            assert "None" not in text and "{" not in text, (d.programme, text)
            assert "（未定）" not in text and "(not set)" not in text, (d.programme, text)
        if d.verdict == "needs_info":
            assert any(m.affects == "verdict" for m in d.missing), (d.programme, raw)


# ---------------------------------------------------------------------------------------------
# Answers in the applicant's own terms (section 4)


def _post(**person: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "age": 50,
        "labor_capacity": "weak",
        "willing_to_work": True,
        "holds_public_welfare_post": False,
        "employment": {"status": "unemployed"},
    }
    base.update(person)
    return {
        "as_of": "2024-03-01",
        "region_code": "510121",
        "household": {"category": "poverty_alleviated"},
        "person": base,
    }


def _not_met(result: Any) -> dict[str, str]:
    return {c.id: c.text for c in result.criteria if c.outcome == "not_met"}


def test_public_welfare_post_age_says_the_age_and_the_range(policies: PolicySet) -> None:
    # 16—60周岁 (广西 乡村建设公益性岗位 notice, 2022-05-22, the policy's source for the range).
    result = decide(policies, "public_welfare_post", _post(age=62))
    assert _not_met(result) == {"age": "您62岁，公益性岗位要16到60周岁"}


def test_working_away_is_said_as_working_away(policies: PolicySet) -> None:
    # 人社部发〔2022〕13号: posts are for those who cannot go out or find work near home.  The old
    # card said "不是长期在外地打工" to a man who *is* working away.
    result = decide(
        policies,
        "public_welfare_post",
        _post(employment={"status": "employed", "work_scope": "other_province"}),
    )
    said = _not_met(result)["not_working_away"]
    assert said == "您在外省打工，公益性岗位是给在家附近就业困难的人"
    assert "不是长期在外地打工" not in said
    reason = next(c.reason for c in result.criteria if c.id == "not_working_away")
    assert reason == "不符合：" + said


def test_a_monitored_household_is_not_told_it_is_not_monitored(policies: PolicySet) -> None:
    # 中农组发〔2021〕7号 (via 定南县 2024): a monitored household whose risk remains is already
    # in monitoring; the referral's no reads "目前不需要申请监测", not "不能办".
    data = {
        "as_of": "2024-06-01",
        "household": {"category": "edge_vulnerable", "risk_eliminated": False},
    }
    result = decide(policies, "monitoring_referral", data)
    assert result.verdict == "ineligible"
    assert result.verdict_label == "目前不需要申请监测"
    said = _not_met(result)["not_yet_monitored"]
    assert "已经纳入防止返贫监测" in said and "还没有纳入" not in said
    ordinary = decide(
        policies, "microloan", {"as_of": "2024-06-01", "household": {"category": "ordinary"}}
    )
    assert ordinary.verdict_label == "不能办"


def test_a_17_year_old_is_told_the_age_not_just_the_range(policies: PolicySet) -> None:
    # 银保监发〔2021〕6号 (restated by 平川区 2024): 18周岁（含）到65周岁（含）.
    data = {
        "as_of": "2024-05-01",
        "household": {"category": "poverty_alleviated", "microloan_overdue": False},
        "person": {"age": 17, "full_civil_capacity": True, "serious_bad_credit": False},
        "loan_request": {"purpose": "production"},
    }
    said = _not_met(decide(policies, "microloan", data))["age"]
    assert said.startswith("借款人17岁")
    assert "18周岁（含）到65周岁（含）" in said
    en = _not_met(decide(policies, "microloan", data, lang="en"))["age"]
    assert en.startswith("The borrower is 17")


def test_outcome_wording_falls_back_when_a_named_fact_is_unknown(policies: PolicySet) -> None:
    # The not-met wording of the post's age names {person.age}; an age known only as "not met"
    # cannot happen, but the unknown outcome keeps the general text (no placeholder shown).
    result = decide(policies, "public_welfare_post", _post(age=None))
    [age] = [c for c in result.criteria if c.id == "age"]
    assert age.outcome == "unknown" and age.text == "年龄在16到60周岁之间"


# ---------------------------------------------------------------------------------------------
# Steps for their region only


@pytest.mark.parametrize(("region", "shown"), [("140821", True), ("520181", False), (None, False)])
def test_linyi_november_step_is_for_linyi_only(
    policies: PolicySet, region: str | None, shown: bool
) -> None:
    # 临猗县农业农村局 2024-08-29: "每年11月上旬集中申报" — 临猗's own timetable.
    data = _worker(region or "", "2024-11-05", work_region_code="330106")
    if region is None:
        del data["region_code"]
    steps = decide(policies, "transport_subsidy", data).next_steps
    assert any("11月上旬" in s for s in steps) is shown
    assert any("村委会或乡镇登记申请" in s for s in steps)


# ---------------------------------------------------------------------------------------------
# The listing: in force, confirmed until when, history


def test_listing_shows_state_confirmation_and_history(policies: PolicySet) -> None:
    programme = policies.programme("transport_subsidy")
    listing = describe_programme(
        programme, policies, region_code="620823", as_of=dt.date(2026, 12, 1), lang="zh"
    )
    assert (listing.confirmed_until, listing.confirmed) == (dt.date(2024, 12, 31), False)
    amount = next(p for p in listing.parameters if p.name == "amount_other_province")
    assert (amount.state, amount.value, amount.until) == ("ended", None, dt.date(2025, 1, 1))
    covered = next(c for c in listing.criteria if c.id == "work_place_covered")
    assert not covered.in_force
    in_2024 = describe_programme(
        programme, policies, region_code="620823", as_of=dt.date(2024, 6, 1), lang="zh"
    )
    amount = next(p for p in in_2024.parameters if p.name == "amount_other_province")
    assert (amount.state, amount.value) == ("in_force", 600)
    assert [h.state for h in amount.history] == ["superseded"]
    assert in_2024.confirmed and in_2024.warnings == ()


def test_a_criterion_left_out_by_an_unset_value_says_the_entrys_note() -> None:
    # An entry `unset = true` with a note (e.g. a rule the bank decides) explains the criterion
    # it leaves out; here the national "no age limit" entry of transport_subsidy.toml.
    sources = dict(bundled_sources())
    text = sources["transport_subsidy.toml"].decode()
    block = text.index("[parameters.min_age]")
    entry = '{ since = 2021-01-01, unset = true, source = "measures" }'
    at = text.index(entry, block)
    note = 'note = { zh = "年龄由县里定", en = "The county sets the age" }'
    noted = entry[:-2] + ", " + note + " }"
    sources["transport_subsidy.toml"] = (text[:at] + noted + text[at + len(entry) :]).encode()
    policies = load_policy_set(sources, run_examples=False)
    result = decide(
        policies, "transport_subsidy", _worker("510121", "2024-06-01", work_scope="other_province")
    )
    assert "年龄由县里定。" in result.warnings
    assert (
        "年龄由县里定"
        not in decide(
            _POLICIES,
            "transport_subsidy",
            _worker("510121", "2024-06-01", work_scope="other_province"),
        ).warnings
    )


def test_a_rule_not_in_force_gives_a_next_step_saying_who_decides(policies: PolicySet) -> None:
    # 崇信's 2024 table (甘人社通〔2024〕155号) has ended by 2025: the county decides.
    ended = decide(
        policies, "transport_subsidy", _worker("620823", "2025-06-01", work_region_code="610112")
    )
    assert any("县人社局" in s and "现在的条件和钱数" in s for s in ended.next_steps)
    in_force = decide(
        policies, "transport_subsidy", _worker("620823", "2024-06-01", work_region_code="610112")
    )
    assert not any("现在的条件和钱数" in s for s in in_force.next_steps)
