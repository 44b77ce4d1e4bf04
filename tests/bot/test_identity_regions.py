"""ID numbers, region codes and birth dates typed to the bot (issue 11, findings 2, 3, 7, 8).

A phone keyboard in Chinese mode types full-width digits (`１４０８２１`); those are the same
answer as ASCII ones.  Other scripts' digits, and birth dates nobody can have, are re-asked.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from bot.questionnaire import Accepted, Conversation, Questionnaire, Rejected
from bot.redaction import IdentityNumberFilter, redact
from eligibility.identity import check_character, mask_identity_number
from eligibility.programme import PolicySet
from tests.eligibility.identity_views import MIN_CANDIDATES, candidates

TODAY = dt.date(2026, 11, 23)
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture
def questionnaire(policies: PolicySet) -> Questionnaire:
    return Questionnaire(policies, lambda: TODAY)


def asking(fact: str) -> Conversation:
    return Conversation(chat_id=1, state=f"ask:{fact}")


def make_id(region: str, birth: str, serial: str = "201") -> str:
    first17 = region + birth + serial
    return first17 + check_character(first17)


def test_the_reply_to_an_id_number_leaves_at_least_1000_numbers(
    questionnaire: Questionnaire,
) -> None:
    # Finding 2: the reply shows the mask and the age; even with the whole birth date and the
    # region known besides, at least 1,000 numbers fit.
    number = make_id("140821", "19890512")
    outcome = questionnaire.read_text(asking("person.age"), number)
    assert isinstance(outcome, Accepted) and outcome.note is not None
    masked = mask_identity_number(number)
    assert masked in outcome.note and number[-4:] not in outcome.note
    left = candidates(masked, region_code="140821", birth_date=dt.date(1989, 5, 12))
    assert left >= MIN_CANDIDATES


def test_a_full_width_id_number_gives_the_birth_date(questionnaire: Questionnaire) -> None:
    # Finding 3 at the bot's door.
    number = make_id("140821", "19890512")
    outcome = questionnaire.read_text(asking("person.age"), number.translate(FULL_WIDTH))
    assert isinstance(outcome, Accepted)
    # The birth date, and (#12) the county the number was issued in, never the number.
    assert outcome.facts == {"person.birth_date": "1989-05-12", "region_code": "140821"}
    assert outcome.note is not None and mask_identity_number(number) in outcome.note


def test_an_id_number_in_other_digits_is_re_asked(questionnaire: Questionnaire) -> None:
    number = make_id("140821", "19890512").translate(ARABIC_INDIC)
    outcome = questionnaire.read_text(asking("person.id_number"), number)
    assert isinstance(outcome, Rejected)
    assert outcome.message.startswith("这个身份证号不对")


def test_full_width_id_numbers_are_kept_out_of_the_logs() -> None:
    # The debug log of every update carried a full-width number in clear.
    number = make_id("140821", "19890512")
    wide = number.translate(FULL_WIDTH)
    assert redact(f"text={wide}!") == f"text={mask_identity_number(number)}!"
    record = logging.LogRecord("telegram.Bot", logging.DEBUG, __file__, 1, "got %s", (wide,), None)
    IdentityNumberFilter().filter(record)
    assert wide not in record.getMessage() and wide[:17] not in record.getMessage()


@pytest.mark.parametrize(
    ("typed", "code"), [("１４０８２１", "140821"), (" ６２０８ ", "6208"), ("14", "14")]
)
def test_full_width_region_codes_are_stored_in_ascii(
    questionnaire: Questionnaire, typed: str, code: str
) -> None:
    # Finding 7: kept as typed, a full-width code matched no regional amount.
    for fact in ("region_code", "person.employment.work_region_code"):
        outcome = questionnaire.read_text(asking(fact), typed)
        assert isinstance(outcome, Accepted), (fact, outcome)
        assert outcome.facts == {fact: code}


@pytest.mark.parametrize("typed", ["١٤٠٨٢١", "१४०८२१", "14082"])
def test_region_codes_in_other_digits_are_re_asked(
    questionnaire: Questionnaire, typed: str
) -> None:
    for fact in ("region_code", "person.employment.work_region_code"):
        outcome = questionnaire.read_text(asking(fact), typed)
        assert isinstance(outcome, Rejected), (fact, outcome)
        assert outcome.message.startswith("没有找到这个地方")  # names are read too (#12)


def test_an_id_number_born_after_today_is_re_asked(questionnaire: Questionnaire) -> None:
    # Finding 8: the age came out negative and was kept.
    number = make_id("140821", (TODAY + dt.timedelta(days=1)).strftime("%Y%m%d"))
    outcome = questionnaire.read_text(asking("person.age"), number)
    assert isinstance(outcome, Rejected)
    assert "出生日期不对" in outcome.message


@pytest.mark.parametrize("typed", ["1899-12-31", "2026-11-24"])
def test_birth_dates_before_1900_or_after_today_are_re_asked(
    questionnaire: Questionnaire, typed: str
) -> None:
    outcome = questionnaire.read_text(asking("person.birth_date"), typed)
    assert isinstance(outcome, Rejected)
