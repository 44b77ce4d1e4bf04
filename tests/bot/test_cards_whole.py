"""Cards and replies of #12: whole cards (nothing behind "……还有 1 条"), English never cut
mid-word, no advice against the person's own answers, and messages split only past Telegram's
limit."""

from __future__ import annotations

import datetime as dt

from bot.questionnaire import render_determination, split_message
from eligibility.determination import determine
from eligibility.facts import applicant_from_paths
from eligibility.programme import PolicySet

TODAY = dt.date(2026, 11, 23)


def _card(policies: PolicySet, programme: str, lang: str, **facts: object) -> str:
    applicant = applicant_from_paths(facts)
    (d,) = determine(applicant, policies, programmes=[programme], lang=lang, today=TODAY)  # type: ignore[arg-type]
    return render_determination(d, lang)  # type: ignore[arg-type]


def test_every_item_is_on_the_card(policies: PolicySet) -> None:
    """环江's public-post card had its last items behind "……还有 1 条"."""
    facts = {
        "household.category": "poverty_alleviated",
        "region_code": "451226",
        "person.age": 61,
        "person.employment.status": "unemployed",
        "person.labor_capacity": "weak",
        "person.willing_to_work": True,
        "person.holds_public_welfare_post": False,
    }
    applicant = applicant_from_paths(facts)
    for d in determine(applicant, policies, today=TODAY):
        card = render_determination(d, "zh")
        assert "……还有" not in card
        for item in (*d.next_steps, *d.documents):
            assert f"· {item}" in card  # whole, not shortened
    english = [
        render_determination(d, "en")
        for d in determine(applicant, policies, lang="en", today=TODAY)
    ]
    for card in english:
        assert "…" not in card  # never "as announce…"


def test_no_transport_advice_for_someone_who_cannot_work_away(policies: PolicySet) -> None:
    base = {
        "household.category": "poverty_alleviated",
        "region_code": "620823",
        "person.age": 62,
    }
    advice = "可以问问务工交通补贴"
    assert advice not in _card(
        policies, "public_welfare_post", "zh", **base, **{"person.can_work_away": False}
    )
    assert advice in _card(policies, "public_welfare_post", "zh", **base)


def test_long_messages_are_split_between_lines_and_words() -> None:
    text = "\n".join(["第一行", "word " * 300, "最后一行"])
    parts = split_message(text, limit=1000)
    assert all(len(p) <= 1000 for p in parts)
    assert "".join(p.replace(" ", "").replace("\n", "") for p in parts) == text.replace(
        " ", ""
    ).replace("\n", "")
    assert all(not p.startswith("ord") for p in parts)  # cut at spaces, not inside a word
    assert split_message("短") == ["短"]
