"""Sources by id (issue 10): one registry of documents, and which a determination names."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import msgspec
from hypothesis import given, settings

from eligibility.answer import Determination
from eligibility.determination import determine
from eligibility.facts import Applicant
from eligibility.policy import bundled_sources, load_policy_set
from eligibility.programme import PolicySet
from eligibility.sources import source_scopes

from .strategies import applicants

_POLICIES = load_policy_set(bundled_sources())

# A 临猗 (140821) worker in 杭州 (another province), 2024-11-05: 临猗县农业农村局's 2024 table
# (transport_subsidy.toml source `linyi_2024`, 省外1500元) gives the amount.
LINYI_WORKER: dict[str, Any] = {
    "as_of": "2024-11-05",
    "region_code": "140821",
    "household": {"category": "poverty_alleviated"},
    "person": {
        "age": 30,
        "employment": {
            "status": "employed",
            "work_region_code": "330106",
            "months_continuous": 3,
            "organized_transfer": False,
            "transport_subsidy_claimed_this_year": False,
        },
    },
}
# transport_subsidy.toml's sources that are other places' tables than 临猗's.
OTHER_TABLES = (
    "heilongjiang",
    "fuyuan_2024",
    "shanxi_2023_44",
    "zhongyang_2022",
    "guizhou_province",
    "baili_2025",
    "chongxin_2024",
    "huanjiang_2021",
)


def transport(policies: PolicySet, facts: dict[str, Any]) -> Determination:
    applicant = msgspec.convert(facts, Applicant)
    return determine(applicant, policies, programmes=["transport_subsidy"])[0]


def test_one_registry_entry_per_document(policies: PolicySet) -> None:
    registry = policies.registry
    # The 2022 measures (国家乡村振兴局《若干措施》) is cited by every programme file, at a
    # different article in each: one document, one entry, under its source key.
    measures = {
        registry.id_of(pid, key)
        for pid, p in policies.programmes.items()
        for key, source in p.policy.sources.items()
        if source.title == "应对新冠肺炎疫情影响持续巩固拓展脱贫攻坚成果的若干措施"
    }
    assert measures == {"measures"}
    assert registry.citations["measures"].article is None
    # 人社部发〔2022〕13号 in public_welfare_post.toml (with a link) and yulu_plan.toml (without):
    # one document, with the link one of them gives.
    assert registry.id_of("yulu_plan", "mohrss_2022_13") == "mohrss_2022_13"
    assert registry.id_of("public_welfare_post", "mohrss_2022_13") == "mohrss_2022_13"
    assert registry.citations["mohrss_2022_13"].url == "https://shui5.cn/article/f0/156677.html"
    # Every source of every file has an id, and ids are unique per document.
    titles = {(c.title, c.issuer, c.number, c.date) for c in registry.citations.values()}
    assert len(titles) == len(registry.citations)
    for pid, programme in policies.programmes.items():
        for key in programme.policy.sources:
            assert registry.id_of(pid, key) in registry.citations


def test_linyi_transport_amount_cites_linyi_table_only(policies: PolicySet) -> None:
    result = transport(policies, LINYI_WORKER)
    assert result.amount == 1500
    # Was: the benefit's every table (黑龙江, 山西, 中阳, 崇信, 贵州, 百里杜鹃, 环江) after 临猗's.
    assert result.amount_sources == ("linyi_2024",)
    linyi = policies.registry.citations["linyi_2024"]
    assert linyi.url == "http://sxly.gov.cn/doc/2024/08/29/471426.shtml"
    named = set(result.source_ids())
    assert named.isdisjoint({"chongxin_2024", "huanjiang_2021", "guizhou_province", "baili_2025"})
    assert not set(result.amount_sources) & set(OTHER_TABLES)


def test_a_county_table_is_named_where_it_is_in_force(policies: PolicySet) -> None:
    # 崇信 (620823) 2024: 甘人社通〔2024〕155号's table, 省外 600元 (chongxin_2024).
    chongxin = transport(policies, {**LINYI_WORKER, "region_code": "620823"})
    assert chongxin.amount == 600
    assert chongxin.amount_sources[0] == "chongxin_2024"
    assert "linyi_2024" not in chongxin.source_ids()
    assert "chongxin_2024" in {i for c in chongxin.criteria for i in c.sources}


def test_every_criterion_names_a_source(policies: PolicySet) -> None:
    for region in ("140821", "620823", "14", None):
        result = transport(policies, {**LINYI_WORKER, "region_code": region})
        assert all(c.sources for c in result.criteria), region
        assert all(i in policies.registry.citations for i in result.source_ids())


def _regions_and_dates(policies: PolicySet) -> tuple[list[str | None], list[dt.date]]:
    """Every region and date the loaded policies name (with their prefixes, the day before
    each date, and places no table names), so the law below is checked where answers change."""
    regions: set[str] = {"11", "1101", "110101", "330106", "5101", "510121"}
    days: set[dt.date] = {dt.date(2022, 6, 1), dt.date(2026, 12, 1)}
    for programme in policies.programmes.values():
        policy = programme.policy
        for param in policy.parameters.values():
            for entry in param.values:
                if entry.region is not None:
                    regions.add(entry.region)
                days.update(d for d in (entry.since, entry.until) if d is not None)
        regions.update(s.region for s in policy.sources.values() if s.region)
        regions.update(policy.confirmed_until_by_region)
        days.update(d for s in policy.sources.values() for d in (s.since, s.until) if d)
    regions |= {r[:n] for r in regions for n in (2, 4) if n < len(r)}
    days |= {d - dt.timedelta(days=1) for d in days}
    return [None, *sorted(regions)], sorted(d for d in days if d.year >= 2021)


def test_no_criterion_cites_another_regions_document(policies: PolicySet) -> None:
    """Over every region and date the policies name: what a criterion's result cites for region
    R is never a document whose scope is only other regions (transport_subsidy's `once_a_year`
    cited 黑龙江's 黑人社发〔2022〕18号 to every applicant, through the national value of the
    places covered), and it always cites something: on the date, the documents in force there
    and those its wording quotes as past."""
    regions, days = _regions_and_dates(policies)
    for pid, programme in policies.programmes.items():
        keys_of: dict[str, set[str]] = {}
        for (p, k), i in policies.registry.ids.items():
            if p == pid:
                keys_of.setdefault(i, set()).add(k)
        # One document may have two keys in a file (德化's 2024 table: its own rule, and the
        # highest monitoring line found, cited everywhere): the key is the one the criterion names.
        named = {c.spec.id: {*c.spec.sources, *c.spec.quotes} for c in programme.criteria}
        # Each local document's regions (`source_scopes`: its declared region, else those of
        # the values citing it); which documents a result cites is worked out apart from it.
        scopes = source_scopes(programme)
        quoted = {c.spec.id: c.spec.quotes for c in programme.criteria}
        for region in regions:
            for day in days:
                applicant = msgspec.convert(
                    {"as_of": day.isoformat(), "region_code": region}, Applicant
                )
                [result] = determine(applicant, policies, programmes=[pid])
                for criterion in result.criteria:
                    where = (pid, criterion.id, region, day.isoformat())
                    assert criterion.sources, where
                    own = named.get(criterion.id, set())
                    key_of = {i: min(keys_of[i] & own or keys_of[i]) for i in criterion.sources}
                    for source_id in criterion.sources:
                        scope = scopes.get(key_of[source_id])
                        if scope is None:
                            continue
                        code = region or ""
                        assert any(code.startswith(s) or s.startswith(code) for s in scope), (
                            *where,
                            key_of[source_id],
                        )
                    # A document no longer in force only where the line quotes it as past
                    # (`quotes`: "过渡期的规定：…"), never as the rule of the day.
                    for source_id in criterion.sources:
                        key = key_of[source_id]
                        governs = programme.policy.sources[key].governs_on(day)
                        assert governs or key in quoted[criterion.id], (*where, key)


def test_the_transport_subsidy_cites_heilongjiang_only_there(policies: PolicySet) -> None:
    # 黑人社发〔2022〕18号 / 黑乡振联〔2023〕32号 (source `heilongjiang`, 黑龙江 "23" only): named
    # for a 黑龙江 worker's `once_a_year`, never for a 临猗 (140821) or 浙江 (330106) one.
    # The national texts saying "一次性" are named everywhere: 人社部等五部门 2021 指导意见
    # ("对跨省就业的脱贫人口给予一次性交通补助", `employment_support_2021`) and the 衔接资金
    # rules (`bridging_funds`).
    national = ("measures", "employment_support_2021", "bridging_funds")
    for region, expected in (
        ("230102", (*national, "heilongjiang")),
        ("140821", (*national, "linyi_2024")),
        ("330106", national),
    ):
        result = transport(policies, {**LINYI_WORKER, "region_code": region})
        [once] = [c for c in result.criteria if c.id == "once_a_year"]
        assert once.sources == expected, region
        if region != "230102":
            assert "heilongjiang" not in result.source_ids(), region


def _post_seeker(age: int) -> dict[str, Any]:
    """A 脱贫户's weak worker of `age`, recognised as hard to employ, willing, holding no post."""
    return {
        "household": {"poverty_alleviated": True, "monitored": False},
        "person": {
            "age": age,
            "labor_capacity": "weak",
            "willing_to_work": True,
            "holds_public_welfare_post": False,
            "employment_difficulty": True,
            "employment": {"status": "unemployed"},
        },
    }


def test_the_posts_cite_guangxi_only_there(policies: PolicySet) -> None:
    # 广西's 乡村建设公益性岗位 notice (`guangxi_2022`, 人民网广西频道 2022-05-22, 广西 "45"
    # only) was the only source of `can_do_the_post` and `willing_to_work` and was cited for
    # `household_category` and `hard_to_employ` to 临猗's, 黑龙江's and 甘肃's households.  There
    # each condition now rests on a national text saying it: the 24 measures 第5条 and 人社部发
    # 〔2022〕13号 (脱贫人口、监测对象; 弱劳力、半劳力…), 就业服务与就业管理规定 第六条
    # (有劳动能力且有就业愿望); in 广西 the notice is cited beside them.
    national = {
        "household_category": ("measures", "mohrss_2022_13"),
        "hard_to_employ": ("mohrss_2022_13",),
        "can_do_the_post": ("employment_services_rule",),
        "willing_to_work": ("employment_services_rule",),
    }
    seeker = _post_seeker(66)
    for region in ("140821", "230102", "620823", "451226"):
        for as_of in ("2024-03-01", "2026-12-02"):
            facts = {**seeker, "as_of": as_of, "region_code": region}
            [result] = determine(
                msgspec.convert(facts, Applicant), policies, programmes=["public_welfare_post"]
            )
            cited = {c.id: c.sources for c in result.criteria}
            local = ("guangxi_2022",) if region.startswith("45") else ()
            for criterion, expected in national.items():
                assert cited[criterion] == (*expected, *local), (region, as_of, criterion)
            if not local:
                assert "guangxi_2022" not in result.source_ids(), (region, as_of)


def test_a_monitoring_line_cites_its_own_table(policies: PolicySet) -> None:
    # 云农办通〔2025〕1号 (yunnan_2025, via a 凤尾镇 page): 云南's 2025 line of 8,700.  The
    # line decides `risk_sign` there, so it cites that table (it cited 靖边's 2021 floor alone);
    # never 辽宁's 2022 table, nor 云南's in 辽宁.
    facts = {
        "household": {
            "category": "ordinary",
            "per_capita_net_income": 8700,
            "per_capita_net_income_previous": 9000,
            "sudden_hardship_event": "none",
        }
    }
    yunnan = msgspec.convert({**facts, "as_of": "2025-06-15", "region_code": "530323"}, Applicant)
    [result] = determine(yunnan, policies, programmes=["monitoring_referral"])
    [sign] = [c for c in result.criteria if c.id == "risk_sign"]
    assert sign.outcome == "not_met" and "8700" in sign.reason
    assert "yunnan_2025" in sign.sources and "liaoning_2022" not in sign.sources
    liaoning = msgspec.convert({**facts, "as_of": "2022-06-15", "region_code": "210100"}, Applicant)
    [result] = determine(liaoning, policies, programmes=["monitoring_referral"])
    [sign] = [c for c in result.criteria if c.id == "risk_sign"]
    assert "liaoning_2022" in sign.sources and "yunnan_2025" not in sign.sources


def test_the_posts_cite_jilin_and_qingshui_only_there(policies: PolicySet) -> None:
    # 吉林省农业农村厅《乡村公益性岗位工作措施》(2025-04-22, `jilin_2025`, 吉林 "22") and 清水县
    # 清人社发〔2022〕160号 (2022-09-30, `qingshui_2022`, 清水县 "620521") were cited for
    # `no_second_post`, `not_working_away` and the monthly subsidy to every household (a 临猗
    # 140821 one's "每月岗位补贴由县里定" cited 吉林's measures).  Where neither applies, the
    # condition and the amount cite that no national rule was found, and the 24 measures 第8条.
    seeker = _post_seeker(50)
    cases = (
        ("140821", "2025-06-01", (), ()),
        ("230102", "2026-12-02", (), ()),
        ("220102", "2024-11-05", (), ()),  # before 吉林's measures
        ("220102", "2025-06-01", ("jilin_2025",), ("jilin_2025",)),
        ("620521", "2024-11-05", ("qingshui_2022",), ()),
        ("620823", "2024-11-05", (), ()),  # 崇信, another 甘肃 county
    )
    for region, as_of, second_local, jilin in cases:
        facts = {**seeker, "as_of": as_of, "region_code": region}
        [result] = determine(
            msgspec.convert(facts, Applicant), policies, programmes=["public_welfare_post"]
        )
        cited = {c.id: c.sources for c in result.criteria}
        where = (region, as_of)
        assert cited["no_second_post"] == ("no_national_second_post_rule", *second_local), where
        assert cited["not_working_away"] == ("mohrss_2022_13", *jilin), where
        assert result.amount_sources == (*(jilin or ("no_national_subsidy_rule",)), "measures")
        others = {"jilin_2025", "qingshui_2022"} - set(second_local) - set(jilin)
        assert others.isdisjoint(result.source_ids()), where


# Sources whose issuer is a local authority and which are cited for every region: each only
# restates a national rule whose own text was not seen (so it is the witness of that rule), or
# quotes a figure as the highest found.  Any other local authority's document must carry its
# region (`Source.region`) or be cited only by that region's values.
NATIONAL_RULE_WITNESSES = {
    # 银保监发〔2021〕6号's conditions, as county pages restate them (the notice was not seen).
    ("microloan", "cancel_attention"),
    ("microloan", "shidian_2024"),
    ("microloan", "pingchuan_2024"),
    ("microloan", "qinghua_qa"),
    # the transition period's subsidy (100 % to 2023, 70 % 2024-25), as 青阳县 states it.
    ("microloan", "qingyang_2024"),
    # 衔接推进乡村振兴补助资金管理规定's article, on 达州's page.
    ("transport_subsidy", "bridging_funds"),
    # the provinces' common 雨露计划 rules (云乡振发〔2022〕51号 as an instance).
    ("yulu_plan", "yulu_rules"),
    # 中农组发〔2021〕7号's three kinds of monitored household, and its 2021 floor of 6,000 元.
    ("monitoring_referral", "dingnan_2024"),
    ("monitoring_referral", "jingbian_2021"),
    ("monitoring_referral", "yanchang_2021"),
    # 德化's 2024 line quoted as the highest line found (its own rule is `dehua_2024`).
    ("monitoring_referral", "dehua_2024_highest_seen"),
}


def test_a_local_authoritys_document_carries_its_region(policies: PolicySet) -> None:
    # 吉林省农业农村厅 (jilin_2025), 清水县人社局 (qingshui_2022) and 临泽县农业农村局's reading
    # of 甘肃's 雨露计划 rule (lingze_2025) carried no region and were cited everywhere.
    local_issuer = re.compile(r"[省市县镇区]")
    found = set()
    for pid, programme in policies.programmes.items():
        scopes = source_scopes(programme)
        for key, source in programme.policy.sources.items():
            if local_issuer.search(source.issuer.split("（")[0]) and key not in scopes:
                found.add((pid, key))
    assert found == NATIONAL_RULE_WITNESSES
    assert source_scopes(policies.programme("public_welfare_post"))["jilin_2025"] == {"22"}
    assert source_scopes(policies.programme("public_welfare_post"))["qingshui_2022"] == {"620521"}
    assert source_scopes(policies.programme("yulu_plan"))["lingze_2025"] == {"62"}


@settings(max_examples=300, deadline=None)
@given(raw=applicants())
def test_no_answer_cites_another_regions_document(raw: dict[str, Any]) -> None:
    """For random applicants (regions and dates the policies name among them), no criterion
    and no amount cites a document whose region (declared, or that of the only values citing
    it) is not a prefix of the applicant's region (nor within it, for a province's code)."""
    applicant = msgspec.convert(raw, Applicant)
    code = applicant.region_code or ""
    for result in determine(applicant, _POLICIES):
        programme = _POLICIES.programme(result.programme)
        scopes = source_scopes(programme)
        keys_of: dict[str, set[str]] = {}
        for (p, k), i in _POLICIES.registry.ids.items():
            if p == result.programme:
                keys_of.setdefault(i, set()).add(k)
        for source_id in result.source_ids():
            # A document with a general key (德化's table as the highest line) is general.
            regional = [scopes[k] for k in keys_of[source_id] if k in scopes]
            if len(regional) < len(keys_of[source_id]):
                continue
            assert any(
                code.startswith(r) or r.startswith(code) for scope in regional for r in scope
            ), (result.programme, source_id, applicant.region_code, applicant.as_of)


def test_the_work_status_refusal_cites_what_says_who_is_covered(policies: PolicySet) -> None:
    # A self-employed (自己经营) applicant's `employed_away` refusal cited only the 24 measures,
    # whose 第8条 names 脱贫劳动力、监测对象 and no work status.  What says the subsidy is for
    # 外出务工: the 衔接资金 rules ("外出务工脱贫劳动力…", `bridging_funds`) everywhere, and the
    # applicant's own region's notice: 临猗县农业农村局 2024-08-29 《外出务工一次性交通补贴政策》
    # (`linyi_2024`), 黑人社发〔2022〕18号 ("外出务工脱贫劳动力", `heilongjiang`), 甘人社通
    # 〔2024〕155号 (崇信, "务工满3个月", `chongxin_2024`); never another region's.
    national = ("measures", "bridging_funds")
    self_employed = {
        **LINYI_WORKER,
        "person": {"age": 30, "employment": {"status": "self_employed"}},
    }
    for region, local in (
        ("140821", ("linyi_2024",)),
        ("230102", ("heilongjiang",)),
        ("620823", ("chongxin_2024",)),
        ("330106", ()),
    ):
        result = transport(policies, {**self_employed, "region_code": region})
        assert result.verdict == "ineligible", region
        [status] = [c for c in result.criteria if c.id == "employed_away"]
        assert status.outcome == "not_met"
        assert status.sources == (*national, *local), region
        assert set(status.sources).isdisjoint(set(OTHER_TABLES) - set(local)), region
