"""Sources by id (issue 10): one registry of documents, and which a determination names."""

from __future__ import annotations

from typing import Any

import msgspec

from eligibility.determination import Determination, determine
from eligibility.facts import Applicant
from eligibility.programme import PolicySet

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
