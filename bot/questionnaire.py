"""The questionnaire, without Telegram: what to ask next, how to read an answer, what to show.

Everything here is a pure function of the conversation, the policies and today's date, so the
handlers stay small and the same logic can be tested and benchmarked without a network.
Questions come from the core (`next_questions` over the current determinations), never from a
fixed order: a question that cannot change any verdict or amount is never asked.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, Final

import msgspec

from bot.texts import NO_WORDS, SKIP_WORDS, YES_WORDS, say
from eligibility.birth import birth_date_problem
from eligibility.catalogue import FactSpec
from eligibility.derive import DERIVED_FACTS, age_on
from eligibility.determination import Determination, MissingFact, determine, next_questions
from eligibility.facts import Applicant, applicant_from_paths
from eligibility.identity import IdentityNumberError, mask_identity_number, parse_identity_number
from eligibility.policy import PolicySet
from eligibility.regions import RegionCodeError, normalise_region_code
from eligibility.text import Lang

IDLE: Final = "idle"
RESULTS: Final = "results"
# Asking a fact: "ask:<path>"; asking for an ID number or a birth date in place of the age.
ASK: Final = "ask:"
ASK_ID: Final = "ask_id:"
ASK_BIRTH_DATE: Final = "ask_birth:"

AGE: Final = "person.age"
# Never asked as a fallback: the ID number and birth date are offered under the age question.
ID_NUMBER: Final = "person.id_number"
BIRTH_DATE: Final = "person.birth_date"
_NOT_ASKED_FOR: Final = frozenset({ID_NUMBER, BIRTH_DATE})

_ID_SHAPE = re.compile(r"^\d{17}[\dXx]$")
_DATE_WORDS = re.compile(r"^(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*日?$")
_NUMBER_NOISE = re.compile(r"[,，\s元岁个月人口块万]")
_MAX_LIST: Final = 3
_MAX_CARD: Final = 900


class Conversation(msgspec.Struct, kw_only=True):
    """One user's check: the state, the language, and the answers (never an ID number).

    `answers` maps glossary paths to JSON values; `skipped` lists facts answered "不清楚",
    which stay unknown and are not asked again.
    """

    chat_id: int
    lang: Lang = "zh"
    state: str = IDLE
    answers: dict[str, Any] = {}
    skipped: list[str] = []
    version: dt.datetime | None = None  # the stored row's `updated_at`; None: not stored yet

    @property
    def asking(self) -> str | None:
        """The fact being asked, if any."""
        for prefix in (ASK, ASK_ID, ASK_BIRTH_DATE):
            if self.state.startswith(prefix):
                return self.state[len(prefix) :]
        return None

    @property
    def answered(self) -> int:
        """How many questions were answered (a "不清楚" counts: it was answered)."""
        return len(self.answers) + len(self.skipped)

    def reset(self) -> None:
        """Forget the answers and stop asking (the language stays)."""
        self.answers = {}
        self.skipped = []
        self.state = IDLE


class Reply(msgspec.Struct, frozen=True, kw_only=True):
    """One message to send: text and an optional inline keyboard of (label, callback data)."""

    text: str
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()


class Accepted(msgspec.Struct, frozen=True, kw_only=True):
    """An answer read: the facts to record (path -> JSON value) and how to show it."""

    facts: dict[str, Any]
    shown: str
    note: str | None = None  # said back after a typed answer (the age worked out, …)


class Rejected(msgspec.Struct, frozen=True, kw_only=True):
    """An answer that could not be read, and the friendly re-ask."""

    message: str


class Skipped(msgspec.Struct, frozen=True):
    """The user does not know."""


class SwitchTo(msgspec.Struct, frozen=True, kw_only=True):
    """Ask for the ID number or the birth date instead of the age."""

    state: str


Outcome = Accepted | Rejected | Skipped | SwitchTo


def applicant_of(answers: Mapping[str, Any]) -> Applicant:
    """The `Applicant` for dotted-path answers, converted (and so validated) by msgspec."""
    return applicant_from_paths(answers)


def normalise(text: str) -> str:
    """Full-width digits and letters to ASCII, trimmed, lower case."""
    return unicodedata.normalize("NFKC", text).strip().lower()


class Questionnaire:
    """Asks what the decision still needs and reads the answers."""

    def __init__(self, policies: PolicySet, today: Callable[[], dt.date] = dt.date.today) -> None:
        self.policies = policies
        self.today = today
        self._paths = list(policies.facts)

    # -- deciding ---------------------------------------------------------------------------

    def determinations(self, conversation: Conversation) -> list[Determination]:
        """What the core decides on the answers so far."""
        return determine(
            applicant_of(conversation.answers),
            self.policies,
            lang=conversation.lang,
            today=self.today(),
        )

    def next_question(
        self, conversation: Conversation, determinations: list[Determination]
    ) -> MissingFact | None:
        """The best question still open: not answered, not skipped; None when done."""
        done = set(conversation.answers) | set(conversation.skipped)
        for question in next_questions(determinations):
            if question.fact not in done:
                # The household status facts are asked with the one 户类型 question whose
                # answer gives all of them; asked on their own only after "不清楚" to it.
                spec = self.policies.facts.get(question.fact)
                if spec is not None and spec.asked_with is not None and spec.asked_with not in done:
                    return self._missing_fact(spec.asked_with, conversation.lang)
                return question
            if question.fact in conversation.skipped:
                # "不清楚" to a fact the core can also work out (where the job is, from the place
                # of work's code): ask what it is worked out from instead.
                for source in DERIVED_FACTS.get(question.fact, ()):
                    if (
                        source in done
                        or source in _NOT_ASKED_FOR
                        or source not in self.policies.facts
                    ):
                        continue
                    return self._missing_fact(source, conversation.lang)
        return None

    def _missing_fact(self, fact: str, lang: Lang) -> MissingFact:
        spec = self.policies.facts[fact]
        return MissingFact(
            fact=fact,
            question=spec.question.in_(lang),
            kind=spec.kind,
            options=tuple((o.value, o.zh if lang == "zh" else o.en) for o in spec.options),
        )

    def advance(self, conversation: Conversation) -> list[Reply]:
        """Ask the next question, or show the results when nothing is left to ask."""
        determinations = self.determinations(conversation)
        question = self.next_question(conversation, determinations)
        if question is None:
            conversation.state = RESULTS
            return self.results(conversation, determinations, finished=True)
        conversation.state = ASK + question.fact
        return [self.question(conversation, question)]

    def current(self, conversation: Conversation) -> list[Reply]:
        """Ask the current question again (after a language change, a restart, bad input)."""
        fact = conversation.asking
        if fact is None:
            return []
        if conversation.state.startswith(ASK_ID):
            return [self._id_prompt(conversation, fact)]
        if conversation.state.startswith(ASK_BIRTH_DATE):
            return [self._birth_date_prompt(conversation, fact)]
        determinations = self.determinations(conversation)
        question = self.next_question(conversation, determinations)
        if question is not None and question.fact == fact:
            return [self.question(conversation, question)]
        # The question no longer matters (e.g. the policies changed): move on.
        return self.advance(conversation)

    # -- asking -----------------------------------------------------------------------------

    def rank(self, fact: str) -> int:
        """The fact's number in the catalogue (short enough for callback data)."""
        return self.policies.fact_rank(fact)

    def fact_at(self, rank: int) -> str | None:
        """The fact with catalogue number `rank`."""
        return self._paths[rank] if 0 <= rank < len(self._paths) else None

    def spec(self, fact: str) -> FactSpec | None:
        """The catalogue entry of a fact."""
        return self.policies.facts.get(fact)

    def question(self, conversation: Conversation, question: MissingFact) -> Reply:
        """The question message with its buttons."""
        lang = conversation.lang
        progress = (
            say(lang, "progress", answered=conversation.answered)
            if conversation.answered
            else say(lang, "progress_none")
        )
        lines = [progress, question.question]
        spec = self.spec(question.fact)
        if spec is not None and spec.note is not None:
            lines.append(spec.note.in_(lang))
        rank = self.rank(question.fact)
        rows: list[tuple[tuple[str, str], ...]] = []
        if question.kind == "enum":
            rows.extend(
                ((label, f"a|{rank}|{i}"),) for i, (_value, label) in enumerate(question.options)
            )
        elif question.kind == "bool":
            rows.append(((say(lang, "yes"), f"b|{rank}|1"), (say(lang, "no"), f"b|{rank}|0")))
        elif question.fact == AGE:
            rows.append(
                ((say(lang, "use_id"), f"id|{rank}"), (say(lang, "use_birth_date"), f"bd|{rank}"))
            )
        skip = "skip_region" if question.kind == "region" else "skip"
        rows.append(((say(lang, skip), f"s|{rank}"),))
        return Reply(text="\n".join(lines), buttons=tuple(rows))

    def _id_prompt(self, conversation: Conversation, fact: str) -> Reply:
        rank = self.rank(fact)
        return Reply(
            text=say(conversation.lang, "ask_id"),
            buttons=(((say(conversation.lang, "skip"), f"s|{rank}"),),),
        )

    def _birth_date_prompt(self, conversation: Conversation, fact: str) -> Reply:
        rank = self.rank(fact)
        return Reply(
            text=say(conversation.lang, "ask_birth_date"),
            buttons=(((say(conversation.lang, "skip"), f"s|{rank}"),),),
        )

    def switch(self, conversation: Conversation, state: str) -> list[Reply]:
        """Ask the ID number or the birth date in place of the current question."""
        fact = conversation.asking
        assert fact is not None
        conversation.state = state + fact
        return self.current(conversation)

    # -- reading answers --------------------------------------------------------------------

    def read_text(self, conversation: Conversation, text: str) -> Outcome:
        """Read a typed answer to the current question."""
        fact = conversation.asking
        assert fact is not None
        lang = conversation.lang
        value = normalise(text)
        if value in SKIP_WORDS:
            return Skipped()
        if conversation.state.startswith(ASK_ID):
            return self._read_id(conversation, value)
        if conversation.state.startswith(ASK_BIRTH_DATE):
            return self._read_birth_date(conversation, value)
        spec = self.spec(fact)
        kind = spec.kind if spec is not None else "text"
        if fact in (AGE, ID_NUMBER, BIRTH_DATE):
            if _ID_SHAPE.match(value):
                return self._read_id(conversation, value)
            if _DATE_WORDS.match(value) or fact == BIRTH_DATE:
                return self._read_birth_date(conversation, value)
            if fact == ID_NUMBER:
                return Rejected(message=say(lang, "bad_id", reason=_id_reason(lang, None)))
        if kind == "int":
            return self._read_int(conversation, fact, spec, value)
        if kind == "bool":
            if value in YES_WORDS:
                return self._accept(conversation, fact, True, say(lang, "yes"))
            if value in NO_WORDS:
                return self._accept(conversation, fact, False, say(lang, "no"))
            return Rejected(message=say(lang, "bad_bool"))
        if kind == "enum" and spec is not None:
            for i, option in enumerate(spec.options, start=1):
                words = {normalise(option.zh), normalise(option.en), option.value, str(i)}
                if value in words:
                    return self.read_option(conversation, fact, i - 1)
            return Rejected(message=say(lang, "bad_choice"))
        if kind == "region":
            try:
                code = normalise_region_code(value)
            except RegionCodeError:
                return Rejected(message=say(lang, "bad_region"))
            return self._accept(conversation, fact, code, code)
        if kind == "date":
            parsed = _parse_date(value)
            if parsed is None:
                return Rejected(message=say(lang, "bad_date"))
            return self._accept(conversation, fact, parsed.isoformat(), parsed.isoformat())
        return Rejected(message=say(lang, "not_understood"))

    def read_option(self, conversation: Conversation, fact: str, index: int) -> Outcome:
        """Read a pressed (or typed) enum option."""
        spec = self.spec(fact)
        if spec is None or not 0 <= index < len(spec.options):
            return Rejected(message=say(conversation.lang, "bad_choice"))
        option = spec.options[index]
        shown = option.zh if conversation.lang == "zh" else option.en
        return self._accept(conversation, fact, option.value, shown)

    def read_bool(self, conversation: Conversation, fact: str, value: bool) -> Outcome:
        """Read a pressed 是/否."""
        return self._accept(
            conversation, fact, value, say(conversation.lang, "yes" if value else "no")
        )

    def _read_int(
        self, conversation: Conversation, fact: str, spec: FactSpec | None, value: str
    ) -> Outcome:
        lang = conversation.lang
        low = spec.min if spec is not None and spec.min is not None else None
        high = spec.max if spec is not None and spec.max is not None else None
        example = 45 if (low is None or low <= 45) and (high is None or high >= 45) else low
        cleaned = _NUMBER_NOISE.sub("", value)
        scale = 10_000 if "万" in value else 1
        try:
            number = round(float(cleaned) * scale) if "." in cleaned else int(cleaned) * scale
        except ValueError:
            return Rejected(message=say(lang, "bad_int", example=example))
        if (low is not None and number < low) or (high is not None and number > high):
            return Rejected(message=say(lang, "bad_int_range", min=low, max=high))
        return self._accept(conversation, fact, number, str(number))

    def _read_id(self, conversation: Conversation, value: str) -> Outcome:
        """An ID number gives the birth date; only the birth date is kept, never the number."""
        lang = conversation.lang
        try:
            identity = parse_identity_number(value)
        except IdentityNumberError as exc:
            return Rejected(message=say(lang, "bad_id", reason=_id_reason(lang, exc)))
        if birth_date_problem(identity.birth_date, self.today(), "today") is not None:
            reason = say(lang, "id_reason_birth_date")
            return Rejected(message=say(lang, "bad_id", reason=reason))
        age = age_on(identity.birth_date, self.today())
        shown = say(lang, "id_used", masked=mask_identity_number(identity.number), age=age)
        return self._accept(
            conversation, BIRTH_DATE, identity.birth_date.isoformat(), shown, note=shown
        )

    def _read_birth_date(self, conversation: Conversation, value: str) -> Outcome:
        lang = conversation.lang
        parsed = _parse_date(value)
        today = self.today()
        if parsed is None or birth_date_problem(parsed, today, "today") is not None:
            return Rejected(message=say(lang, "bad_date"))
        shown = say(lang, "birth_date_used", age=age_on(parsed, today))
        return self._accept(conversation, BIRTH_DATE, parsed.isoformat(), shown, note=shown)

    def _accept(
        self,
        conversation: Conversation,
        fact: str,
        value: Any,
        shown: str,
        note: str | None = None,
    ) -> Outcome:
        """Keep the answer only if the core's own types accept it with the other answers."""
        facts = {fact: value}
        try:
            applicant_of({**conversation.answers, **facts})
        except msgspec.ValidationError:
            return Rejected(message=say(conversation.lang, "not_understood"))
        return Accepted(facts=facts, shown=shown, note=note)

    def record(self, conversation: Conversation, outcome: Accepted | Skipped) -> None:
        """Store an answer (or a "不清楚") for the current question."""
        fact = conversation.asking
        assert fact is not None
        if isinstance(outcome, Skipped):
            if fact not in conversation.skipped:
                conversation.skipped.append(fact)
            return
        # An age may be answered through a birth date: the core then derives the age itself.
        conversation.answers.update(outcome.facts)

    # -- showing results --------------------------------------------------------------------

    def results(
        self,
        conversation: Conversation,
        determinations: list[Determination] | None = None,
        *,
        finished: bool = False,
    ) -> list[Reply]:
        """One message per programme, between an opening and a closing line."""
        lang = conversation.lang
        if determinations is None:
            determinations = self.determinations(conversation)
        opening = say(lang, "no_more_questions" if finished else "results_intro")
        replies = [Reply(text=opening)]
        replies.extend(Reply(text=render_determination(d, lang)) for d in determinations)
        replies.append(Reply(text=say(lang, "results_outro")))
        return replies

    def programmes(self, lang: Lang) -> list[Reply]:
        """One message per programme: name, summary (how much) and who."""
        replies = [Reply(text=say(lang, "programmes_intro", count=len(self.policies.programmes)))]
        for programme in self.policies.programmes.values():
            name, summary, who = programme.named_on(self.today())
            replies.append(
                Reply(
                    text=say(
                        lang,
                        "programme_card",
                        name=name.in_(lang),
                        summary=summary.in_(lang),
                        who=who.in_(lang),
                    )
                )
            )
        return replies


VERDICT_MARK: Final = {"eligible": "✅", "ineligible": "❌", "needs_info": "❓"}


def verdict_words(verdict: str, lang: Lang) -> str:
    """能办 / 不能办 / 还要确认."""
    return say(lang, f"verdict_{verdict}")


def render_determination(d: Determination, lang: Lang) -> str:
    """One programme's answer, short enough for one phone screen."""
    # The programme's own word for its verdict (a referral's no is "目前不需要申请监测").
    label = d.verdict_label or verdict_words(d.verdict, lang)
    lines = [f"【{d.programme_name}】{VERDICT_MARK[d.verdict]} {label}"]
    if d.verdict != "ineligible":
        if d.amount is not None:
            lines.append(say(lang, "amount", amount=d.amount, unit=d.amount_unit or ""))
            if d.amount_note:
                lines.append(_short(d.amount_note))
        elif d.amount_note:
            lines.append(say(lang, "amount_unknown", note=_short(d.amount_note)))
    if d.verdict == "eligible":
        lines.append(say(lang, "reasons_eligible"))
    else:
        wanted = "not_met" if d.verdict == "ineligible" else "unknown"
        # The heading already says "why not" / "still to confirm": drop the core's own prefix.
        reasons = [c.text for c in d.criteria if c.outcome == wanted]
        # "为什么不能办" would contradict a programme that words its verdict otherwise.
        own_words = label != verdict_words(d.verdict, lang)
        lines.append(say(lang, "reasons_own" if own_words else f"reasons_{d.verdict}"))
        lines.extend(_bullets(reasons, lang))
    if d.warnings:
        lines.append(say(lang, "warnings"))
        lines.extend(_bullets(list(d.warnings), lang))
    if d.documents:
        lines.append(say(lang, "documents"))
        lines.extend(_bullets(list(d.documents), lang))
    if d.next_steps:
        lines.append(say(lang, "next_steps"))
        lines.extend(_bullets(list(d.next_steps), lang))
    text = "\n".join(lines)
    return text if len(text) <= _MAX_CARD else text[: _MAX_CARD - 1] + "…"


def _bullets(items: list[str], lang: Lang) -> list[str]:
    shown = [f"· {_short(item)}" for item in items[:_MAX_LIST]]
    if len(items) > _MAX_LIST:
        shown.append(say(lang, "more", count=len(items) - _MAX_LIST))
    return shown


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _parse_date(value: str) -> dt.date | None:
    match = _DATE_WORDS.match(value)
    try:
        if match:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        if re.fullmatch(r"\d{8}", value):
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None
    return None


def _id_reason(lang: Lang, exc: IdentityNumberError | None) -> str:
    """Why an ID number was refused, in the user's words (the core says it in English)."""
    text = str(exc) if exc is not None else ""
    if "check digit" in text:
        return say(lang, "id_reason_check_digit")
    if "birth date" in text:
        return say(lang, "id_reason_birth_date")
    return say(lang, "id_reason_shape")
