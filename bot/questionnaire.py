"""The questionnaire, without Telegram: what to ask next, how to read an answer, what to show.

Everything here is a pure function of the conversation, the policies and today's date, so the
handlers stay small and the same logic can be tested and benchmarked without a network.
Questions come from the core (`next_questions` over the current determinations), narrowed by the
catalogue's data (`eligibility.asking`: gates and combined questions), never from a fixed order:
a question that cannot change any verdict or amount is never asked.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import msgspec

from bot.reading import NotRead, read_number, read_yes_no
from bot.texts import SKIP_WORDS, say
from eligibility import asking, rules
from eligibility.answer import Determination, Suggestion
from eligibility.as_of_range import as_of_range
from eligibility.birth import age_problem, birth_date_problem
from eligibility.catalogue import FactSpec, QuestionSpec
from eligibility.derive import DERIVED_FACTS, age_on, flatten
from eligibility.determination import determine, next_questions
from eligibility.facts import Applicant, applicant_from_paths
from eligibility.household_plan import HouseholdPlan, MemberAnswers, PlanMember, household_plan
from eligibility.identity import IdentityNumberError, mask_identity_number, parse_identity_number
from eligibility.places import Place, gazetteer
from eligibility.programme import PolicySet
from eligibility.regions import is_region_code
from eligibility.text import Lang, with_unit

IDLE: Final = "idle"
RESULTS: Final = "results"
# Asking: "ask:<fact>", "askq:<question id>", the child's "child:<fact>" / "childq:<id>";
# an ID number or a birth date in place of the age; a choice among places of the same name.
ASK: Final = "ask:"
ASK_QUESTION: Final = "askq:"
ASK_CHILD: Final = "child:"
ASK_CHILD_QUESTION: Final = "childq:"
ASK_ID: Final = "ask_id:"
ASK_BIRTH_DATE: Final = "ask_birth:"
PICK_PLACE: Final = "pick:"
_PREFIXES: Final = (ASK, ASK_QUESTION, ASK_CHILD, ASK_CHILD_QUESTION, ASK_ID, ASK_BIRTH_DATE)

AGE: Final = "person.age"
REGION: Final = "region_code"
# Never asked as a fallback: the ID number and birth date are offered under the age question.
ID_NUMBER: Final = "person.id_number"
BIRTH_DATE: Final = "person.birth_date"
AS_OF: Final = "as_of"
_NOT_ASKED_FOR: Final = frozenset({ID_NUMBER, BIRTH_DATE})
# Facts of the household (and the region and date): shared with a child added as a person.
_HOUSEHOLD_PREFIXES: Final = ("household.", "region_code", "as_of")

_ID_SHAPE = re.compile(r"^\d{17}[\dXx]$")
_DATE_WORDS = re.compile(r"^(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*日?$")
# Several typed values for a combined question: "3万，3年", "9000 10000"; a comma followed by
# three digits is a thousands separator ("12,000"), not a separator of values.
_SEPARATORS = re.compile(r"[\s，、;；/]+|,(?!\d{3}(?:\D|$))|和|(?:去年|前年|借)")
_MAX_MESSAGE: Final = 4096  # Telegram's limit for one message
_STREAK_FOR_CADRE: Final = 3
# The household plan's keys for the two people the bot asks about.
PERSON_KEY: Final = "person"
CHILD_KEY: Final = "child"


class Step(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One answer as recorded: the facts it set or skipped, for "改上一个回答"."""

    facts: list[str]
    question: str | None = None
    child: bool = False


class Conversation(msgspec.Struct, kw_only=True):
    """One user's check: the state, the language, and the answers (never an ID number).

    `answers` maps glossary paths to JSON values; `skipped` lists facts answered "不清楚",
    which stay unknown and are not asked again.  `child` holds a child's own answers once one
    is added (None: no child).  `epoch` changes at every reset, so a button from before
    /restart is known as such.
    """

    chat_id: int
    lang: Lang = "zh"
    state: str = IDLE
    answers: dict[str, Any] = {}
    skipped: list[str] = []
    questions_done: list[str] = []
    steps: list[Step] = []
    streak: int = 0  # "不清楚" in a row
    child: dict[str, Any] | None = None
    child_skipped: list[str] = []
    places: list[str] = []  # the codes offered while a place name is ambiguous
    epoch: int = msgspec.field(default_factory=lambda: time.monotonic_ns() % 1_000_000)
    version: dt.datetime | None = None  # the stored row's `updated_at`; None: not stored yet

    @property
    def asking(self) -> str | None:
        """The fact or combined question being asked, if any."""
        for prefix in (*_PREFIXES, PICK_PLACE):
            if self.state.startswith(prefix):
                return self.state[len(prefix) :]
        return None

    @property
    def about_child(self) -> bool:
        """Whether the open question is about the child."""
        return self.state.startswith((ASK_CHILD, ASK_CHILD_QUESTION))

    @property
    def answered(self) -> int:
        """How many questions were answered (a "不清楚" counts: it was answered)."""
        return len(self.steps)

    def reset(self) -> None:
        """Forget the answers and stop asking (the language stays); old buttons go stale."""
        self.answers = {}
        self.skipped = []
        self.questions_done = []
        self.steps = []
        self.streak = 0
        self.child = None
        self.child_skipped = []
        self.places = []
        self.state = IDLE
        self.epoch = (self.epoch + 1) % 1_000_000


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


class Ambiguous(msgspec.Struct, frozen=True, kw_only=True):
    """A place name several divisions share: ask which one."""

    places: tuple[Place, ...]


Outcome = Accepted | Rejected | Skipped | SwitchTo | Ambiguous


class Pressed(msgspec.Struct, frozen=True, kw_only=True):
    """What a button press gives: a refusal shown on the button, the pressed question's new
    text, and the messages to send."""

    refusal: str | None = None
    edited: str | None = None
    replies: list[Reply] = []


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
        self._questions = {q.id: q for q in policies.questions}
        self._question_ids = [q.id for q in policies.questions]
        self._scope = {pid: asking.programme_facts(policies, pid) for pid in policies.programmes}
        self._wishes = {
            path: spec.wish_for for path, spec in policies.facts.items() if spec.wish_for
        }

    # -- deciding ---------------------------------------------------------------------------

    def _known(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers as the rules read them (ages from birth dates, scopes from codes)."""
        return flatten(applicant_of(answers), self.today())

    def child_programmes(self, conversation: Conversation) -> tuple[str, ...]:
        """The programmes decided for a child rather than the person (an adult's 雨露计划)."""
        child = self.policies.child
        if child is None:
            return ()
        holds, _ = asking.gate(self.policies, "child", self._known(conversation.answers))
        return child.programmes if holds is True else ()

    def declined(self, conversation: Conversation) -> tuple[str, ...]:
        """Programmes the household said it does not want ("不借钱"): not checked."""
        return tuple(
            pid
            for path, programmes in self._wishes.items()
            if conversation.answers.get(path) is False
            for pid in programmes
        )

    def programme_ids(self, conversation: Conversation) -> list[str]:
        """The programmes decided for the person."""
        left_out = set(self.child_programmes(conversation)) | set(self.declined(conversation))
        return [pid for pid in self.policies.programmes if pid not in left_out]

    def determinations(
        self, conversation: Conversation, *, suggest: bool = False
    ) -> list[Determination]:
        """What the core decides for the person on the answers so far (with what would change
        each answer, `suggest`: only for the results, it costs several decisions)."""
        return determine(
            applicant_of(conversation.answers),
            self.policies,
            programmes=self.programme_ids(conversation),
            lang=conversation.lang,
            today=self.today(),
            suggest=suggest,
        )

    def child_answers(self, conversation: Conversation) -> dict[str, Any]:
        """The child's facts: the household's, with the child's own."""
        shared = {
            path: value
            for path, value in conversation.answers.items()
            if path.startswith(_HOUSEHOLD_PREFIXES)
        }
        return {**shared, **(conversation.child or {})}

    def child_determinations(
        self, conversation: Conversation, *, suggest: bool = False
    ) -> list[Determination]:
        """What the core decides for the child (none while no child was added)."""
        programmes = self.child_programmes(conversation)
        if conversation.child is None or not programmes:
            return []
        return determine(
            applicant_of(self.child_answers(conversation)),
            self.policies,
            programmes=list(programmes),
            lang=conversation.lang,
            today=self.today(),
            suggest=suggest,
        )

    def plan(
        self,
        conversation: Conversation,
        mine: Sequence[Determination],
        child: Sequence[Determination],
    ) -> HouseholdPlan:
        """The household's plan (`eligibility.household_plan`) from the person's and the
        child's determinations as shown: the bot adds nothing up itself."""
        lang = conversation.lang
        members = [
            MemberAnswers(
                member=PlanMember(
                    key=PERSON_KEY,
                    name=say(lang, "member_you"),
                    applicant=applicant_of(conversation.answers),
                ),
                determinations=tuple(mine),
            )
        ]
        if conversation.child is not None:
            members.append(
                MemberAnswers(
                    member=PlanMember(
                        key=CHILD_KEY,
                        name=say(lang, "child_label"),
                        applicant=applicant_of(self.child_answers(conversation)),
                    ),
                    determinations=tuple(child),
                )
            )
        return household_plan(members, self.policies, as_of=self.today(), lang=lang)

    def next_ask(self, conversation: Conversation) -> tuple[asking.Ask | None, bool]:
        """The next question (and whether it is about the child); None when done."""
        determinations = self.determinations(conversation)
        done = set(conversation.answers) | set(conversation.skipped)
        wanted: list[str] = []
        for question in next_questions(determinations):
            sources = [s for s in DERIVED_FACTS.get(question.fact, ()) if s != question.fact]
            if any(s in done for s in sources):
                # Half of what it is worked out from is known (the place of work, typed):
                # the other half (the home county) answers it without asking it.
                wanted.extend(s for s in sources if s not in done and s not in _NOT_ASKED_FOR)
            wanted.append(question.fact)
            if question.fact in conversation.skipped:
                # "不清楚" to a fact the core can also work out (where the job is, from the
                # place of work): ask what it is worked out from instead.
                wanted.extend(
                    s
                    for s in DERIVED_FACTS.get(question.fact, ())
                    if s not in _NOT_ASKED_FOR and s != question.fact
                )
        found = asking.choose(
            self.policies,
            wanted,
            self._known(conversation.answers),
            done,
            conversation.questions_done,
        )
        if found is not None:
            return found, False
        child = self.policies.child
        if conversation.child is not None and child is not None:
            child_done = set(conversation.child) | set(conversation.child_skipped)
            child_wanted = [q.fact for q in next_questions(self.child_determinations(conversation))]
            found = asking.choose(
                self.policies,
                child_wanted,
                self._known(self.child_answers(conversation)),
                child_done,
                conversation.questions_done,
                allowed=child.facts,
            )
            if found is not None:
                return found, True
        # No verdict waits on anything: a fact that stands between a programme and the day time
        # alone brings it within reach ("今年领过吗" for someone a month short) is still worth it.
        found = asking.choose(
            self.policies,
            self.way_in_facts(conversation, determinations, check=True),
            self._known(conversation.answers),
            done,
            conversation.questions_done,
        )
        return (found, False) if found is not None else (None, False)

    def way_in_facts(
        self,
        conversation: Conversation,
        determinations: Sequence[Determination],
        *,
        check: bool,
    ) -> list[str]:
        """The unknown facts that keep a programme's time-only way in from being said: the
        programme is refused only by criteria on facts that change with time (months of work,
        age), and another criterion is unknown.  With `check`, only those for which one answer
        gives a suggestion made of time alone (`determine(..., suggest=True)`); without, every
        candidate (an upper bound, for the questions-left count)."""
        done = set(conversation.answers) | set(conversation.skipped) | _NOT_ASKED_FOR
        found: list[str] = []
        for d in determinations:
            if d.verdict != "ineligible" or d.suggestions:
                continue
            programme = self.policies.programme(d.programme)
            compiled = {c.spec.id: c for c in programme.criteria}
            if any(c.id not in compiled for c in d.criteria if c.outcome != "met"):
                continue  # refused by no criterion of its own (no policy on the date)
            not_met = [compiled[c.id] for c in d.criteria if c.outcome == "not_met"]
            unknown = [compiled[c.id] for c in d.criteria if c.outcome == "unknown"]
            read = {f for c in not_met for f in rules.fact_paths(c.test)}
            if not not_met or not unknown or not read:
                continue
            if any(self._change_of(f) != "time" for f in read):
                continue
            candidates = [
                f
                for c in unknown
                for f in sorted(rules.fact_paths(c.test), key=self.rank)
                if f in self.policies.facts and f not in done and f not in found
            ]
            if check:
                candidates = [
                    f for f in candidates if self._opens_by_time(conversation, d.programme, f)
                ]
            found.extend(candidates)
        return found

    def _change_of(self, fact: str) -> str | None:
        spec = self.policies.facts.get(fact)
        if spec is None:  # a derived fact (the age from a birth date): its sources say
            sources = DERIVED_FACTS.get(fact, ())
            kinds = {self._change_of(s) for s in sources if s != fact}
            return kinds.pop() if len(kinds) == 1 else None
        return spec.change

    def _opens_by_time(self, conversation: Conversation, programme: str, fact: str) -> bool:
        """Whether some answer to `fact` gives `programme` a suggestion of time alone."""
        spec = self.policies.facts[fact]
        values: list[object] = (
            [True, False]
            if spec.kind == "bool"
            else [o.value for o in spec.options]
            if spec.kind == "enum"
            else []
        )
        for value in values:
            try:
                applicant = applicant_of({**conversation.answers, fact: value})
            except msgspec.ValidationError:
                continue  # an answer the others rule out (a status the 户类型 contradicts)
            [d] = determine(
                applicant,
                self.policies,
                programmes=[programme],
                lang=conversation.lang,
                today=self.today(),
                suggest=True,
            )
            if any(s.changes and all(c.change == "time" for c in s.changes) for s in d.suggestions):
                return True
        return False

    def _settled_by_current(self, conversation: Conversation) -> tuple[set[str], str | None]:
        """The facts the open question settles whatever the answer, and its id if combined."""
        key = conversation.asking
        if key is None:
            return set(), None
        if conversation.state.startswith((ASK_QUESTION, ASK_CHILD_QUESTION)):
            question = self._questions[key]
            return set(asking.settled_by(question)), question.id
        settled = {key}
        if key == AGE:
            settled |= {BIRTH_DATE, ID_NUMBER}
        return settled, None

    def questions_left(self, conversation: Conversation) -> int:
        """At most how many questions may come after the open one: every fact a rule of an
        undecided programme reads (and the county, on which regional rules wait), less what
        is answered and what the open question settles whatever the answer."""
        settled, question = self._settled_by_current(conversation)
        done_questions = [*conversation.questions_done, *([question] if question else [])]
        about_child = conversation.about_child
        open_facts: set[str] = {REGION}
        determinations = self.determinations(conversation)
        for d in determinations:
            if d.verdict == "needs_info" or d.missing or d.request_details:
                open_facts |= self._scope[d.programme]
        open_facts |= set(self.way_in_facts(conversation, determinations, check=False))
        count = asking.questions_left(
            self.policies,
            open_facts,
            self._known(conversation.answers),
            set(conversation.answers)
            | set(conversation.skipped)
            | (set() if about_child else settled),
            done_questions,
        )
        child = self.policies.child
        if conversation.child is not None and child is not None:
            child_open: set[str] = set()
            for d in self.child_determinations(conversation):
                if d.verdict == "needs_info":
                    child_open |= self._scope[d.programme] & set(child.facts)
            count += asking.questions_left(
                self.policies,
                child_open,
                self._known(self.child_answers(conversation)),
                set(conversation.child)
                | set(conversation.child_skipped)
                | (settled if about_child else set()),
                done_questions,
            )
        return count

    def advance(self, conversation: Conversation) -> list[Reply]:
        """Ask the next question, or show the results when nothing is left to ask."""
        found, about_child = self.next_ask(conversation)
        conversation.places = []
        if found is None:
            conversation.state = RESULTS
            return self.results(conversation, finished=True)
        if found.question is not None:
            prefix = ASK_CHILD_QUESTION if about_child else ASK_QUESTION
            conversation.state = prefix + found.question.id
        else:
            conversation.state = (ASK_CHILD if about_child else ASK) + found.fact
        return [self.question(conversation)]

    def current(self, conversation: Conversation) -> list[Reply]:
        """Ask the current question again (after a language change, a restart, bad input)."""
        key = conversation.asking
        if key is None:
            return []
        if conversation.state.startswith((ASK_ID, ASK_BIRTH_DATE, PICK_PLACE)):
            return [self.question(conversation)]
        found, about_child = self.next_ask(conversation)
        keys = () if found is None else (found.fact, found.question.id if found.question else "")
        if about_child == conversation.about_child and key in keys:
            return [self.question(conversation)]
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

    def key(self, conversation: Conversation) -> str:
        """The open question's short name in callback data: `f<rank>` or `q<number>`."""
        asked = conversation.asking
        assert asked is not None
        if conversation.state.startswith((ASK_QUESTION, ASK_CHILD_QUESTION)):
            return f"q{self._question_ids.index(asked)}"
        return f"f{self.rank(asked)}"

    def _data(self, conversation: Conversation, kind: str, value: object = "") -> str:
        return f"{kind}|{self.key(conversation)}|{value}|{conversation.epoch}"

    def _progress(self, conversation: Conversation) -> str:
        number = conversation.answered + 1
        left = self.questions_left(conversation)
        if left <= 0:
            return say(conversation.lang, "progress_last", number=number)
        return say(conversation.lang, "progress", number=number, left=left)

    def question(self, conversation: Conversation) -> Reply:
        """The open question's message with its buttons."""
        lang = conversation.lang
        key = conversation.asking
        assert key is not None
        rows: list[tuple[tuple[str, str], ...]] = []
        skip = say(lang, "skip")
        if conversation.state.startswith(ASK_ID):
            lines = [say(lang, "ask_id")]
        elif conversation.state.startswith(ASK_BIRTH_DATE):
            lines = [say(lang, "ask_birth_date")]
        elif conversation.state.startswith(PICK_PLACE):
            lines = [say(lang, "pick_place")]
            places = [gazetteer().place(code) for code in conversation.places]
            rows.extend(
                ((p.full_name, self._data(conversation, "p", i)),)
                for i, p in enumerate(places)
                if p is not None
            )
            skip = say(lang, "none_of_these")
        elif conversation.state.startswith((ASK_QUESTION, ASK_CHILD_QUESTION)):
            question = self._questions[key]
            lines = [self._progress(conversation), question.question.in_(lang)]
            if question.note is not None:
                lines.append(question.note.in_(lang))
            rows.extend(
                ((choice.label.in_(lang), self._data(conversation, "a", i)),)
                for i, choice in enumerate(question.choices)
            )
        else:
            spec = self.policies.facts[key]
            text = spec.question
            if conversation.about_child and spec.child_question is not None:
                text = spec.child_question
            lines = [self._progress(conversation), text.in_(lang)]
            if spec.note is not None:
                lines.append(spec.note.in_(lang))
            if spec.kind == "enum":
                rows.extend(
                    ((option.zh if lang == "zh" else option.en, self._data(conversation, "a", i)),)
                    for i, option in enumerate(spec.options)
                )
            elif spec.kind == "bool":
                rows.append(
                    (
                        (say(lang, "yes"), self._data(conversation, "b", 1)),
                        (say(lang, "no"), self._data(conversation, "b", 0)),
                    )
                )
            elif key == AGE:
                rows.append(
                    (
                        (say(lang, "use_id"), self._data(conversation, "id")),
                        (say(lang, "use_birth_date"), self._data(conversation, "bd")),
                    )
                )
            if spec.kind == "region":
                skip = say(lang, "skip_region")
        rows.append(((skip, self._data(conversation, "s")),))
        if conversation.steps and not conversation.state.startswith(PICK_PLACE):
            rows.append(((say(lang, "undo"), self._data(conversation, "u")),))
        return Reply(text="\n".join(lines), buttons=tuple(rows))

    # -- reading answers --------------------------------------------------------------------

    def read_text(self, conversation: Conversation, text: str) -> Outcome:
        """Read a typed answer to the open question."""
        key = conversation.asking
        assert key is not None
        value = normalise(text)
        if value in SKIP_WORDS:
            return Skipped()
        if conversation.state.startswith(ASK_ID):
            return self._read_id(conversation, value)
        if conversation.state.startswith(ASK_BIRTH_DATE):
            return self._read_birth_date(conversation, value)
        if conversation.state.startswith(PICK_PLACE):
            return self._read_place(conversation, key, text)
        if conversation.state.startswith((ASK_QUESTION, ASK_CHILD_QUESTION)):
            return self._read_question(conversation, self._questions[key], text)
        return self._read_fact(conversation, key, text)

    def _read_fact(self, conversation: Conversation, fact: str, text: str) -> Outcome:
        lang = conversation.lang
        value = normalise(text)
        spec = self.spec(fact)
        kind = spec.kind if spec is not None else "text"
        if fact in (AGE, ID_NUMBER, BIRTH_DATE, REGION) and _ID_SHAPE.match(value):
            return self._read_id(conversation, value)
        if fact in (AGE, ID_NUMBER, BIRTH_DATE):
            if _DATE_WORDS.match(value) or fact == BIRTH_DATE:
                return self._read_birth_date(conversation, value)
            if fact == ID_NUMBER:
                return Rejected(message=say(lang, "bad_id", reason=_id_reason(lang, None)))
        if kind == "int":
            return self._read_int(conversation, fact, spec, text)
        if kind == "bool":
            answer = read_yes_no(value)
            if answer is None:
                return Rejected(message=say(lang, "bad_bool"))
            return self._accept(conversation, fact, answer, say(lang, "yes" if answer else "no"))
        if kind == "enum" and spec is not None:
            for i, option in enumerate(spec.options, start=1):
                words = {normalise(option.zh), normalise(option.en), option.value, str(i)}
                if value in words:
                    return self.read_option(conversation, fact, i - 1)
            return Rejected(message=say(lang, "bad_choice"))
        if kind == "region":
            return self._read_place(conversation, fact, text)
        if kind == "date":
            parsed = _parse_date(value)
            if parsed is None:
                return Rejected(message=say(lang, "bad_date"))
            if fact == AS_OF:
                allowed = as_of_range(self.policies, self.today())
                if allowed.problem(parsed) is not None:
                    return Rejected(
                        message=say(
                            lang,
                            "bad_as_of",
                            earliest=allowed.earliest.isoformat(),
                            latest=allowed.latest.isoformat(),
                        )
                    )
            return self._accept(conversation, fact, parsed.isoformat(), parsed.isoformat())
        return Rejected(message=say(lang, "not_understood"))

    def _read_place(self, conversation: Conversation, fact: str, text: str) -> Outcome:
        lang = conversation.lang
        value = normalise(text)
        places = gazetteer().resolve(text)
        if not places and is_region_code(value):
            # A code the data set does not know (old, or made up): not taken on trust.
            return Rejected(message=say(lang, "unknown_code", code=value))
        if not places:
            return Rejected(message=say(lang, "bad_region"))
        if conversation.state.startswith(PICK_PLACE):
            places = tuple(p for p in places if p.code in conversation.places) or places
        if len(places) > 1:
            return Ambiguous(places=places[:8])
        place = places[0]
        return self._accept(conversation, fact, place.code, place.full_name)

    def _read_question(
        self, conversation: Conversation, question: QuestionSpec, text: str
    ) -> Outcome:
        lang = conversation.lang
        value = normalise(text)
        for i, choice in enumerate(question.choices):
            if value in (normalise(choice.label.zh), normalise(choice.label.en), str(i + 1)):
                return self.read_choice(conversation, i)
        typed = question.typed
        if typed is None:
            if read_yes_no(value) is True and question.choices:
                return self.read_choice(conversation, 0)  # "对" to a confirmation
            return Rejected(message=say(lang, "bad_choice"))
        parts = [p for p in _SEPARATORS.split(text) if p and p.strip()]
        if len(typed.facts) == 1:
            parts = [text]
        if not parts or len(parts) > len(typed.facts):
            return Rejected(message=self._example(lang, typed.facts[0]))
        facts: dict[str, Any] = dict(typed.sets)
        shown: list[str] = []
        for fact, part in zip(typed.facts, parts, strict=False):
            outcome = self._read_fact(conversation, fact, part)
            if isinstance(outcome, Ambiguous):
                if len(parts) == 1:
                    return outcome
                return Rejected(message=say(lang, "bad_region"))
            if not isinstance(outcome, Accepted):
                return (
                    outcome
                    if isinstance(outcome, Rejected)
                    else Rejected(message=say(lang, "not_understood"))
                )
            facts.update(outcome.facts)
            shown.append(outcome.shown)
        return self._accept_many(conversation, facts, "，".join(shown))

    def read_choice(self, conversation: Conversation, index: int) -> Outcome:
        """A pressed choice of a combined question."""
        key = conversation.asking
        assert key is not None
        question = self._questions[key]
        if not 0 <= index < len(question.choices):
            return Rejected(message=say(conversation.lang, "bad_choice"))
        choice = question.choices[index]
        return self._accept_many(
            conversation, dict(choice.sets), choice.label.in_(conversation.lang)
        )

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

    def _example(self, lang: Lang, fact: str) -> str:
        spec = self.spec(fact)
        unit = spec.unit if spec is not None else None
        if spec is not None and spec.kind == "region":
            return say(lang, "bad_region")
        return say(lang, f"example_{unit or 'plain'}")

    def _read_int(
        self, conversation: Conversation, fact: str, spec: FactSpec | None, text: str
    ) -> Outcome:
        lang = conversation.lang
        low = spec.min if spec is not None else None
        high = spec.max if spec is not None else None
        unit = spec.unit if spec is not None else None
        zero_ok = spec is not None and spec.none_is_zero
        read = read_number(text, unit, zero_ok=zero_ok)
        if isinstance(read, NotRead):
            if read.reason == "too_big":
                return Rejected(message=say(lang, "too_big") + "\n" + self._example(lang, fact))
            if read.reason == "ambiguous":
                return Rejected(message=say(lang, "ambiguous") + "\n" + self._example(lang, fact))
            if read.reason == "not_whole":
                return Rejected(message=say(lang, "not_whole") + "\n" + self._example(lang, fact))
            if read.reason == "part_month":
                return Rejected(message=say(lang, "part_month") + "\n" + self._example(lang, fact))
            return Rejected(message=self._example(lang, fact))
        number = read.value
        if (low is not None and number < low) or (high is not None and number > high):
            return Rejected(message=say(lang, "bad_int_range", min=low, max=high))
        shown = f"{number}{say(lang, f'unit_{unit}') if unit else ''}"
        if read.approximate:
            shown += say(lang, "approximately")
        return self._accept(conversation, fact, number, shown)

    def _read_id(self, conversation: Conversation, value: str) -> Outcome:
        """An ID number gives the birth date (and, at the place question, the county); only
        those are kept, never the number."""
        lang = conversation.lang
        try:
            identity = parse_identity_number(value)
        except IdentityNumberError as exc:
            return Rejected(message=say(lang, "bad_id", reason=_id_reason(lang, exc)))
        if birth_date_problem(identity.birth_date, self.today(), "today") is not None:
            reason = say(lang, "id_reason_birth_date")
            return Rejected(message=say(lang, "bad_id", reason=reason))
        age = age_on(identity.birth_date, self.today())
        masked = mask_identity_number(identity.number)
        facts: dict[str, Any] = {BIRTH_DATE: identity.birth_date.isoformat()}
        county = gazetteer().county_of_identity_number(identity.number)
        region_open = REGION not in conversation.answers and REGION not in conversation.skipped
        if conversation.asking == REGION and county is None:
            return Rejected(message=say(lang, "id_county_unknown"))
        if region_open and county is not None and not conversation.about_child:
            # The county the number was issued in, said back with "改上一个回答" under the next
            # question: one answer for the age and the county.
            facts[REGION] = county.code
            shown = say(lang, "id_used_place", masked=masked, age=age, place=county.full_name)
        else:
            shown = say(lang, "id_used", masked=masked, age=age)
        return self._accept_many(conversation, facts, shown, note=shown)

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
        return self._accept_many(conversation, {fact: value}, shown, note=note)

    def _accept_many(
        self, conversation: Conversation, facts: dict[str, Any], shown: str, note: str | None = None
    ) -> Outcome:
        """Keep the answer only if the core's own types accept it with the other answers, and
        an age and a birth date among them can be the same person's."""
        answers = (
            self.child_answers(conversation) if conversation.about_child else conversation.answers
        )
        settled, _ = self._settled_by_current(conversation)
        merged = {**{k: v for k, v in answers.items() if k not in settled}, **facts}
        try:
            applicant_of(merged)
        except msgspec.ValidationError:
            return Rejected(message=say(conversation.lang, "not_understood"))
        age, born = merged.get(AGE), merged.get(BIRTH_DATE)
        if isinstance(age, int) and isinstance(born, str):
            # The core would refuse to decide on them (`eligibility.birth.age_problem`).
            birth = dt.date.fromisoformat(born)
            if age_problem(age, birth, self.today()) is not None:
                counted = age_on(birth, self.today())
                message = say(conversation.lang, "age_clash", age=age, counted=counted)
                return Rejected(message=message)
        return Accepted(facts=facts, shown=shown, note=note)

    def record(self, conversation: Conversation, outcome: Accepted | Skipped) -> None:
        """Store an answer (or a "不清楚") for the open question."""
        key = conversation.asking
        assert key is not None
        child = conversation.about_child
        answers = conversation.answers
        skipped = conversation.skipped
        if child:
            if conversation.child is None:
                conversation.child = {}
            answers = conversation.child
            skipped = conversation.child_skipped
        question = (
            self._questions.get(key)
            if conversation.state.startswith((ASK_QUESTION, ASK_CHILD_QUESTION))
            else None
        )
        if question is not None:
            conversation.questions_done.append(question.id)
        if isinstance(outcome, Skipped):
            facts = (
                [f for f in question.facts if f not in answers and f not in skipped]
                if question is not None
                else [key]
            )
            skipped.extend(f for f in facts if f not in skipped)
            conversation.streak += 1
            conversation.steps.append(
                Step(facts=facts, question=question.id if question else None, child=child)
            )
            return
        conversation.streak = 0
        answers.update(outcome.facts)
        conversation.steps.append(
            Step(facts=list(outcome.facts), question=question.id if question else None, child=child)
        )

    def undo(self, conversation: Conversation) -> None:
        """Take back the last answer and ask that question again."""
        if not conversation.steps:
            return
        step = conversation.steps.pop()
        answers = (conversation.child or {}) if step.child else conversation.answers
        skipped = conversation.child_skipped if step.child else conversation.skipped
        for fact in step.facts:
            answers.pop(fact, None)
            if fact in skipped:
                skipped.remove(fact)
        if step.question is not None and step.question in conversation.questions_done:
            conversation.questions_done.remove(step.question)
        conversation.streak = 0
        if step.question is not None:
            prefix = ASK_CHILD_QUESTION if step.child else ASK_QUESTION
            conversation.state = prefix + step.question
        elif step.facts:
            fact = AGE if step.facts == [BIRTH_DATE] else step.facts[0]
            if REGION in step.facts:
                fact = REGION
            conversation.state = (ASK_CHILD if step.child else ASK) + fact

    def add_child(self, conversation: Conversation) -> list[Reply]:
        """Add the household's child as a second person and ask about them."""
        if conversation.child is None:
            conversation.child = {}
        return self.advance(conversation)

    # -- the Telegram-free steps the handlers run ------------------------------------------

    def typed(self, conversation: Conversation, text: str) -> list[Reply]:
        """A typed message: read it as the answer to the open question, record, go on."""
        lang = conversation.lang
        if conversation.asking is None:
            key = "after_results" if conversation.state == RESULTS else "not_started"
            return [Reply(text=say(lang, key))]
        outcome = self.read_text(conversation, text)
        return self._after(conversation, outcome, typed=text)

    def press(self, conversation: Conversation, data: str) -> Pressed:
        """A button: an option, 是/否, 不清楚, a place, "改上一个回答", "加上孩子"."""
        lang = conversation.lang
        kind, key, value, epoch = ([*data.split("|"), "", "", ""])[:4]
        if epoch != str(conversation.epoch) or (conversation.state == IDLE and kind != "k"):
            return Pressed(refusal=say(lang, "stale_reset"))
        if kind == "k":
            if self.child_programmes(conversation) and conversation.child is None:
                return Pressed(replies=self.add_child(conversation))
            return Pressed(refusal=say(lang, "stale_button"))
        if conversation.asking is None or key != self.key(conversation):
            return Pressed(refusal=say(lang, "stale_button"))
        if kind == "u":
            self.undo(conversation)
            return Pressed(replies=[Reply(text=say(lang, "undone")), *self.current(conversation)])
        asked = conversation.asking
        outcome: Outcome
        if kind == "s":
            outcome = Skipped()
        elif kind == "p" and value.isdigit() and int(value) < len(conversation.places):
            place = gazetteer().place(conversation.places[int(value)])
            assert place is not None
            outcome = self._accept(conversation, asked, place.code, place.full_name)
        elif kind == "a" and value.isdigit():
            if conversation.state.startswith((ASK_QUESTION, ASK_CHILD_QUESTION)):
                outcome = self.read_choice(conversation, int(value))
            else:
                outcome = self.read_option(conversation, asked, int(value))
        elif kind == "b" and value in ("0", "1"):
            outcome = self.read_bool(conversation, asked, value == "1")
        elif kind in ("id", "bd"):
            conversation.state = (ASK_ID if kind == "id" else ASK_BIRTH_DATE) + asked
            return Pressed(replies=self.current(conversation))
        else:
            return Pressed(refusal=say(lang, "stale_button"))
        if isinstance(outcome, Rejected):
            return Pressed(replies=_with(outcome.message, self.current(conversation)))
        title = self._title(conversation)
        edited = (
            say(lang, "skipped", question=title)
            if isinstance(outcome, Skipped)
            else say(lang, "answered", question=title, answer=outcome.shown)
            if isinstance(outcome, Accepted)
            else None
        )
        return Pressed(edited=edited, replies=self._after(conversation, outcome))

    def _title(self, conversation: Conversation) -> str:
        key = conversation.asking
        assert key is not None
        if key in self._questions and conversation.state.startswith(
            (ASK_QUESTION, ASK_CHILD_QUESTION)
        ):
            return self._questions[key].question.in_(conversation.lang).split("\n")[0]
        spec = self.spec(key)
        return spec.question.in_(conversation.lang) if spec is not None else key

    def _after(
        self, conversation: Conversation, outcome: Outcome, typed: str | None = None
    ) -> list[Reply]:
        lang = conversation.lang
        if isinstance(outcome, Rejected):
            return _with(outcome.message, self.current(conversation))
        if isinstance(outcome, SwitchTo):
            conversation.state = outcome.state + (conversation.asking or "")
            return self.current(conversation)
        if isinstance(outcome, Ambiguous):
            fact = conversation.asking
            assert fact is not None
            if not conversation.state.startswith(PICK_PLACE):
                # The place question of a combined question fills its typed fact.
                if conversation.state.startswith(ASK_QUESTION):
                    question = self._questions[fact]
                    assert question.typed is not None
                    fact = question.typed.facts[0]
                conversation.state = PICK_PLACE + fact
            conversation.places = [p.code for p in outcome.places]
            return self.current(conversation)
        if conversation.state.startswith(PICK_PLACE) and isinstance(outcome, Accepted):
            outcome = self._with_question_sets(conversation, outcome)
        self.record(conversation, outcome)
        replies = self.advance(conversation)
        if isinstance(outcome, Skipped) and conversation.streak == _STREAK_FOR_CADRE:
            replies = [Reply(text=self._ask_cadre(conversation)), *replies]
        if isinstance(outcome, Accepted):
            if outcome.note is not None:
                return _with(outcome.note, replies)
            if typed is not None:
                # Whatever was read is said back; "改上一个回答" under the next question.
                return _with(say(lang, "noted", answer=outcome.shown), replies)
        return replies

    def _with_question_sets(self, conversation: Conversation, outcome: Accepted) -> Accepted:
        """A place picked for a combined question's typed fact also sets what that sets."""
        fact = conversation.asking
        for question in self.policies.questions:
            typed = question.typed
            if (
                typed is not None
                and fact in typed.facts
                and question.id not in (conversation.questions_done)
            ) and (fact in question.facts or set(typed.sets) & set(question.facts)):
                return Accepted(
                    facts={**typed.sets, **outcome.facts},
                    shown=outcome.shown,
                    note=outcome.note,
                )
        return outcome

    def _ask_cadre(self, conversation: Conversation) -> str:
        lang = conversation.lang
        colon = "：" if lang == "zh" else ": "
        # The programme's own word for its verdict, as on its card ("目前不需要申请监测").
        certain = [
            f"· {d.programme_name}{colon}{d.verdict_label or verdict_words(d.verdict, lang)}"
            for d in self.determinations(conversation)
            if d.verdict != "needs_info"
        ]
        text = say(lang, "ask_cadre", count=conversation.streak)
        return text + "\n" + ("\n".join(certain) if certain else say(lang, "nothing_certain"))

    # -- showing results --------------------------------------------------------------------

    def _name(self, pid: str, lang: Lang) -> str:
        """The programme's name as it reads today (帮扶小额信贷 from 2026-02-28, not its old name:
        review #14), as its answers name it."""
        name, _, _ = self.policies.programme(pid).named_on(self.today())
        return name.in_(lang)

    def results(self, conversation: Conversation, *, finished: bool = False) -> list[Reply]:
        """One message per programme (two if one is too long), between an opening and a
        closing line."""
        lang = conversation.lang
        if not conversation.steps and not finished:
            return [Reply(text=say(lang, "nothing_answered"))]
        opening = say(lang, "no_more_questions" if finished else "results_intro")
        replies = [Reply(text=opening)]
        # Nothing left to ask: the answers are final, so say what would change them (and, for a
        # household of two, the plan).  While a question is open they are not worth their cost.
        final = conversation.asking is None
        mine = self.determinations(conversation, suggest=final)
        child = self.child_determinations(conversation, suggest=final)
        for d in mine:
            replies.extend(Reply(text=part) for part in card_messages(d, lang))
        for pid in self.declined(conversation):
            replies.append(Reply(text=say(lang, "declined", name=self._name(pid, lang))))
        child_programmes = self.child_programmes(conversation)
        if child_programmes and conversation.child is None:
            names = "、".join(self._name(p, lang) for p in child_programmes)
            replies.append(
                Reply(
                    text=say(lang, "child_offer", names=names),
                    buttons=(((say(lang, "add_child"), f"k|||{conversation.epoch}"),),),
                )
            )
        for d in child:
            for part in card_messages(d, lang, who=say(lang, "child_label")):
                replies.append(Reply(text=part))
        if final:
            shown = [(d, None) for d in mine] + [(d, say(lang, "child_label")) for d in child]
            changes = self.suggestions_text(shown, lang)
            if changes is not None:
                replies.extend(Reply(text=part) for part in split_message(changes))
            if child:
                plan = self.plan(conversation, mine, child)
                replies.extend(Reply(text=part) for part in split_message(plan_text(plan, lang)))
        replies.append(Reply(text=say(lang, "results_outro")))
        return replies

    def suggestions_text(
        self, shown: Sequence[tuple[Determination, str | None]], lang: Lang
    ) -> str | None:
        """ "还可以怎么办": for each programme, its best suggestion: for one not yet to apply for
        (`Programme.can_apply`), the way in, in the core's own words; for one that is, what
        would pay more ("可以多拿…").
        Each with the documents the rules it rests on are written in (those the answer names
        for the applicant's region and date).  None when no programme has one."""
        lines = [say(lang, "what_if")]
        for d, who in shown:
            if not d.suggestions:
                continue
            best = d.suggestions[0]
            title = f"【{d.programme_name}】" + (f"（{who}）" if who else "")
            programme = self.policies.programme(d.programme)
            if not programme.answer_can_apply(d):
                said: str | None = best.text  # the way in
            elif programme.lends:
                # A higher cap to borrow is not more money: never "可以多拿".
                said = None
            else:
                said = _raised(d, best, lang)
            if said is None:
                continue
            lines.append(f"{title}{said}")
            cited = self._cited(d, best.criteria, best.sources)
            if cited:
                joined = ("；" if lang == "zh" else "; ").join(cited)
                lines.append(say(lang, "what_if_source", sources=joined))
        return "\n".join(lines) if len(lines) > 1 else None

    def _cited(self, d: Determination, criteria: Sequence[str], keys: Sequence[str]) -> list[str]:
        """The documents behind the criteria a suggestion satisfies, as the determination names
        them for its region and date; else the suggestion's own sources (registry ids too)."""
        registry = self.policies.registry
        ids: list[str] = []
        for c in d.criteria:
            if c.id in criteria:
                ids.extend(i for i in c.sources if i not in ids)
        if not ids:
            ids = list(keys)
        cited: list[str] = []
        for source_id in ids:
            citation = registry.citations.get(source_id)
            if citation is None:
                continue
            words = citation.number or f"《{citation.title}》"
            if words not in cited:
                cited.append(words)
        return cited

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


def _raised(d: Determination, best: Suggestion, lang: Lang) -> str | None:
    """An eligible answer's suggestion that pays more, said as how much more, then the changes
    and the rules they meet ("可以多拿200元，一共1000元：再过2个月…满6个月。依据：…。"): made from
    the suggestion's parts (`changes_text`, `basis_text`), as the opening says what the core's
    sentence says they give.  A suggestion without its parts (stored before they were kept)
    is said whole.  None for a suggestion that does not pay more."""
    if d.amount is None or best.amount is None or best.amount <= d.amount:
        return None
    unit = d.amount_unit or ""
    if not best.changes_text:
        changes = best.text
    elif lang == "zh":
        changes = f"{best.changes_text}。{best.basis_text}"
    else:
        changes = f"{best.changes_text}." + (f" {best.basis_text}" if best.basis_text else "")
    # The total with the programme's own unit (元/人/年, 元/学年…): how often it is paid.
    more = with_unit(best.amount - d.amount, "yuan", lang)
    amount = f"{best.amount}{unit}" if lang == "zh" else f"{best.amount} {unit}".rstrip()
    return say(lang, "what_if_more", more=more, amount=amount) + changes


VERDICT_MARK: Final = {"eligible": "✅", "ineligible": "❌", "needs_info": "❓"}


def verdict_words(verdict: str, lang: Lang) -> str:
    """能办 / 不能办 / 还要确认."""
    return say(lang, f"verdict_{verdict}")


def render_determination(d: Determination, lang: Lang, who: str | None = None) -> str:
    """One programme's whole answer: verdict, amount, why, warnings, what to bring, what to do
    next (a card too long for one message is split by `card_messages`, never cut)."""
    title = f"【{d.programme_name}】" + (f"（{who}）" if who else "")
    # The programme's own word for its verdict (a referral's no is "目前不需要申请监测").
    label = d.verdict_label or verdict_words(d.verdict, lang)
    mark = VERDICT_MARK[d.verdict]
    if d.verdict == "ineligible" and label != verdict_words(d.verdict, lang):
        # A no the programme words itself ("目前不需要申请监测", "这个日期还没有这项政策") is not a
        # refusal: ❌ beside it reads as one (review9 F13).
        mark = "ℹ️"
    lines = [f"{title}{mark} {label}"]
    if d.verdict != "ineligible":
        if d.amount is not None:
            lines.append(say(lang, "amount", amount=d.amount, unit=d.amount_unit or ""))
            if d.amount_note:
                lines.append(d.amount_note)
        elif d.amount_note:
            lines.append(say(lang, "amount_unknown", note=d.amount_note))
    if d.verdict == "eligible":
        lines.append(say(lang, "reasons_eligible"))
    else:
        wanted = "not_met" if d.verdict == "ineligible" else "unknown"
        # The heading already says "why not" / "still to confirm": drop the core's own prefix.
        reasons = [c.text for c in d.criteria if c.outcome == wanted]
        # "为什么不能办" would contradict a programme that words its verdict otherwise.
        own_words = label != verdict_words(d.verdict, lang)
        lines.append(say(lang, "reasons_own" if own_words else f"reasons_{d.verdict}"))
        lines.extend(f"· {reason}" for reason in reasons)
    if d.warnings:
        lines.append(say(lang, "warnings"))
        lines.extend(f"· {warning}" for warning in d.warnings)
    if d.documents:
        lines.append(say(lang, "documents"))
        lines.extend(f"· {item}" for item in d.documents)
    if d.next_steps:
        lines.append(say(lang, "next_steps"))
        lines.extend(f"· {item}" for item in d.next_steps)
    return "\n".join(lines)


def plan_text(plan: HouseholdPlan, lang: Lang) -> str:
    """The household plan for two or more people: the yearly total of confirmed amounts (what
    each brings), what may bring money but is not counted and why, and the one checklist."""
    zh = lang == "zh"
    colon, sep = ("：", "、") if zh else (": ", ", ")

    def money(amount: int | None, unit: str | None) -> str:
        if amount is None:
            return ""
        return f"{amount}{unit or ''}" if zh else f"{amount} {unit or ''}".rstrip()

    lines = [say(lang, "family_total", total=plan.yearly_total, unit=plan.yearly_total_unit)]
    for member in plan.members:
        for e in member.entries:
            if e.counted:
                who = e.member_name or e.member
                lines.append(f"· {who} · {e.programme_name}{colon}{money(e.amount, e.amount_unit)}")
    if plan.apart:
        lines.append(say(lang, "family_apart"))
        for e in plan.apart:
            who = e.member_name or e.member
            amount = money(e.amount, e.amount_unit)
            if amount:
                amount += "，" if zh else "; "
            lines.append(f"· {who} · {e.programme_name}{colon}{amount}{e.apart_reason}")
    if plan.checklist:
        lines.append(say(lang, "family_checklist"))
        names = {e.programme: e.programme_name for m in plan.members for e in m.entries}
        for item in plan.checklist:
            needed = sep.join(names.get(p, p) for p in item.programmes)
            lines.append(f"· {item.text}（{needed}）" if zh else f"· {item.text} ({needed})")
    # Windows and deadlines the sources give (the days time alone brings are in 还可以怎么办).
    dates = [d for d in plan.dates if d.kind in ("application", "deadline")]
    if dates:
        lines.append(say(lang, "family_dates"))
        for d in dates:
            day = "" if d.start is None else d.start.isoformat()
            if d.end is not None and d.end != d.start:
                day += f"～{d.end.isoformat()}" if zh else f" to {d.end.isoformat()}"
            when = f"{day} " if day else ""
            lines.append(f"· {when}{d.programme_name}{colon}{d.text}")
    return "\n".join(lines)


def card_messages(d: Determination, lang: Lang, who: str | None = None) -> list[str]:
    """The card as messages: one, or several cut between lines when over Telegram's limit."""
    return split_message(render_determination(d, lang, who))


def split_message(text: str, limit: int = _MAX_MESSAGE) -> list[str]:
    """`text` in parts of at most `limit` characters, cut between lines (a line longer than
    the limit between words)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def _with(first: str, replies: Sequence[Reply]) -> list[Reply]:
    """`first` put on top of the first reply (one message instead of two)."""
    if not replies:
        return [Reply(text=first)]
    head = replies[0]
    return [Reply(text=f"{first}\n\n{head.text}", buttons=head.buttons), *replies[1:]]


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
