"""`eligibility check` and `eligibility programmes`: the decision core from the command line."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import IO, Any

import msgspec
from msgspec.structs import replace

from eligibility.as_of_range import as_of_range
from eligibility.derive import FactError
from eligibility.determination import determine
from eligibility.facts import Applicant
from eligibility.identity import parse_identity_number
from eligibility.listing import list_programmes
from eligibility.policy import load_bundled
from eligibility.policy_file import PolicyError
from eligibility.regions import RegionCodeError, known_region_code
from eligibility.reply import DETAILS, reply_json
from eligibility.text import Lang

_decoder = msgspec.json.Decoder(Applicant)
_encoder = msgspec.json.Encoder()


class SavedCheck(msgspec.Struct, frozen=True, kw_only=True):
    """One applicant's check as `eligibility check --save` keeps it, for `eligibility diff`:
    the facts decided on (the ID number replaced by the birth date it gives, as an assessment
    stores them), the date, the policy version, the programmes asked, and the answer printed
    (as printed: `eligibility diff` decides again and reads a file saved with any shape)."""

    applicant: Applicant
    as_of: dt.date
    policy_version: str
    programmes: list[str] | None
    lang: Lang
    answer: msgspec.Raw


def saved_facts(applicant: Applicant, as_of: dt.date) -> Applicant:
    """The applicant as kept: `as_of` set, no ID number (only its birth date)."""
    person = applicant.person
    if person is not None and person.id_number is not None:
        birth = parse_identity_number(person.id_number).birth_date
        person = replace(person, id_number=None, birth_date=birth)
    return replace(applicant, as_of=as_of, person=person)


def register(commands: Any) -> None:
    """Add `check` and `programmes`."""
    check = commands.add_parser(
        "check",
        help="check one applicant (JSON) or many (NDJSON) against the programmes",
        description="Reads one applicant as a JSON object, or many as NDJSON (one per line), "
        "and writes one JSON result per applicant per line: its determinations, and the sources "
        "and questions they name.",
    )
    check.add_argument("file", nargs="?", default="-", help="JSON or NDJSON file, or - for stdin")
    check.add_argument("--programme", action="append", help="only this programme (repeatable)")
    check.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of reasons")
    check.add_argument(
        "--as-of", type=dt.date.fromisoformat, help="date for applicants without one"
    )
    check.add_argument("--pretty", action="store_true", help="indent the JSON (one applicant)")
    check.add_argument(
        "--no-suggest",
        dest="suggest",
        action="store_false",
        help="leave out what would change each answer (by default each programme carries its "
        "best suggestion: the smallest fact changes that make it eligible or pay more)",
    )
    check.add_argument(
        "--detail",
        choices=DETAILS,
        default="full",
        help="full: every criterion (default); summary: verdict, amount, the criteria not met "
        "or unknown, missing facts, next steps, documents, warnings, versions",
    )
    check.add_argument(
        "--save",
        metavar="FILE",
        help="also keep each check (facts without the ID number, date, policy version, answer) "
        "in FILE, one per line, for `eligibility diff`",
    )
    check.set_defaults(run=run_check)

    programmes = commands.add_parser(
        "programmes", help="list programmes, criteria and parameters in force"
    )
    programmes.add_argument("--region", help="GB/T 2260 code, e.g. 140821")
    programmes.add_argument("--as-of", type=dt.date.fromisoformat, help="date (default today)")
    programmes.add_argument("--lang", choices=["zh", "en"], default="zh")
    programmes.add_argument("--json", action="store_true", help="machine-readable output")
    programmes.set_defaults(run=run_programmes)


def _fail(message: str) -> int:
    print(f"eligibility: {message}", file=sys.stderr)
    return 2


def run_check(args: argparse.Namespace) -> int:
    """Decide every applicant read; exit 2 naming the line and field of the first bad one."""
    try:
        policies = load_bundled()
    except PolicyError as exc:
        return _fail(f"policy refused: {exc}")
    unknown = [p for p in args.programme or [] if p not in policies.programmes]
    if unknown:
        return _fail(f"unknown programme {unknown[0]!r}; known: {', '.join(policies.programmes)}")
    stream: IO[bytes]
    try:
        stream = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")  # noqa: SIM115
    except OSError as exc:
        return _fail(f"cannot read {args.file}: {exc.strerror}")
    with stream:
        raw = stream.read()
    documents = _split(raw)
    if not documents:
        return _fail("no applicant given (expected a JSON object or NDJSON lines)")
    lang: Lang = args.lang
    allowed = as_of_range(policies, dt.date.today())
    if args.as_of is not None and (problem := allowed.problem(args.as_of)) is not None:
        return _fail(f"--as-of {args.as_of.isoformat()} {problem}")
    today = args.as_of or dt.date.today()
    out = sys.stdout.buffer
    status = 0
    saved: list[bytes] = []
    for line_number, document in documents:
        try:
            applicant = _decoder.decode(document)
        except msgspec.ValidationError as exc:
            status = _fail(f"line {line_number}: invalid applicant: {exc}")
            continue
        except msgspec.DecodeError as exc:
            status = _fail(f"line {line_number}: not valid JSON: {exc}")
            continue
        if applicant.as_of is not None and (problem := allowed.problem(applicant.as_of)):
            status = _fail(f"line {line_number}: invalid applicant: as_of {problem}")
            continue
        try:
            determinations = determine(
                applicant,
                policies,
                programmes=args.programme,
                lang=lang,
                today=today,
                suggest=args.suggest,
            )
        except FactError as exc:
            status = _fail(f"line {line_number}: invalid applicant: {exc}")
            continue
        # The best suggestion per programme: what one line can say.
        determinations = [replace(d, suggestions=d.suggestions[:1]) for d in determinations]
        # As the API answers: sources by id and questions by fact, each table once per line.
        encoded = reply_json(determinations, policies, lang, args.detail)
        if args.save:
            as_of = applicant.as_of or today
            saved.append(
                _encoder.encode(
                    SavedCheck(
                        applicant=saved_facts(applicant, as_of),
                        as_of=as_of,
                        policy_version=policies.version,
                        programmes=args.programme,
                        lang=lang,
                        answer=msgspec.Raw(encoded),
                    )
                )
            )
        if args.pretty:
            encoded = msgspec.json.format(encoded, indent=2)
        out.write(encoded + b"\n")
    out.flush()
    if args.save:
        try:
            with open(args.save, "wb") as kept:
                kept.writelines(line + b"\n" for line in saved)
        except OSError as exc:
            return _fail(f"cannot write {args.save}: {exc.strerror}")
    return status


def _split(raw: bytes) -> list[tuple[int, bytes]]:
    """One JSON object (possibly spread over lines) or NDJSON, as numbered documents."""
    text = raw.strip()
    if not text:
        return []
    try:
        msgspec.json.decode(text)
    except msgspec.DecodeError:
        return [(i, line) for i, line in enumerate(raw.splitlines(), start=1) if line.strip()]
    return [(1, text)]


def run_programmes(args: argparse.Namespace) -> int:
    """Print what is in force for a region and date."""
    try:
        policies = load_bundled()
    except PolicyError as exc:
        return _fail(f"policy refused: {exc}")
    region = None
    if args.region:
        try:
            region = known_region_code(args.region)
        except RegionCodeError as exc:
            return _fail(f"--region {exc}")
    as_of = args.as_of or dt.date.today()
    problem = as_of_range(policies, dt.date.today()).problem(as_of)
    if problem is not None:
        return _fail(f"--as-of {as_of.isoformat()} {problem}")
    listing = list_programmes(policies, region_code=region, as_of=as_of, lang=args.lang)
    if args.json:
        sys.stdout.buffer.write(msgspec.json.format(msgspec.json.encode(listing), indent=2))
        sys.stdout.write("\n")
        return 0
    words = _value_words(policies, args.lang)
    for programme in listing:
        print(f"{programme.id} — {programme.name}")
        print(f"  {programme.summary}")
        if programme.confirmed_until is not None:
            mark = "confirmed" if programme.confirmed else "NOT confirmed"
            print(f"  rules checked until {programme.confirmed_until} ({mark} for {as_of})")
        for warning in programme.warnings:
            print(f"  ! {warning}")
        for criterion in programme.criteria:
            off = "" if criterion.in_force else "  [not in force on this date]"
            print(f"  · {criterion.text}{off}")
            print(f"      {criterion.test}")
            for citation in criterion.citations:
                print(f"      ↳ {_cite(citation)}")
        for param in programme.parameters:
            unit = param.unit or ""
            value = (
                f"{words(param.value)}{unit}" if param.value is not None else _STATE[param.state]
            )
            print(f"  = {param.name} = {value}  [{param.description}]")
            if param.citation is not None:
                print(
                    f"      ↳ {_cite(param.citation)} ({_span(param.since, param.until)}"
                    f"{', region ' + param.region if param.region else ''})"
                )
            for old in param.history:
                was = _STATE["unset"] if old.value is None else f"{words(old.value)}{unit}"
                print(
                    f"      history ({old.state}): {was} "
                    f"{_span(old.since, old.until)}"
                    f"{', region ' + old.region if old.region else ''} — {_cite(old.citation)}"
                )
        print()
    return 0


_STATE = {
    "in_force": "",
    "unset": "（未设定 / not set）",
    "not_yet": "（尚未施行 / not in force yet）",
    "ended": "（已到期，未续 / ended, not renewed）",
}


def _value_words(policies: Any, lang: str) -> Any:
    """A parameter value as a reader says it: list items joined with 、, enum values in words
    (`['other_province']` reads 外省, review9 F11)."""
    options = {
        o.value: (o.zh if lang == "zh" else o.en)
        for spec in policies.facts.values()
        if spec.kind == "enum"
        for o in spec.options
    }

    def say(value: object) -> str:
        if isinstance(value, list):
            return "、".join(say(v) for v in value) if value else "（无）"
        if isinstance(value, bool):
            return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
        return options.get(value, str(value)) if isinstance(value, str) else str(value)

    return say


def _span(since: dt.date | None, until: dt.date | None) -> str:
    """`since 2024-01-01`, or `2024-01-01 – 2024-12-31` for a value that ends (until exclusive)."""
    if until is None:
        return f"since {since}"
    return f"{since} – {until - dt.timedelta(days=1)}"


def _cite(citation: Any) -> str:
    parts = [citation.issuer, f"《{citation.title}》"]
    if citation.number:
        parts.append(citation.number)
    if citation.article:
        parts.append(citation.article)
    if citation.date:
        parts.append(str(citation.date))
    return " ".join(parts)
