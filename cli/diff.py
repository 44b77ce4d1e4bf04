"""`eligibility diff BEFORE AFTER`: why the answer changed between two saved checks.

The files are what `eligibility check --save FILE` keeps (one applicant each).  Both are decided
again with the policy set bundled here; a file saved under another policy version is compared
under this one, and the answer names that version and says it was not re-derived (the API,
which stores every policy set it ran, compares assessments under their own).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import msgspec

from cli.check import SavedCheck
from eligibility.derive import FactError
from eligibility.diff import AnswerChange, Assessed, compare
from eligibility.policy import load_bundled
from eligibility.policy_file import PolicyError
from eligibility.programme import PolicySet
from eligibility.text import Lang

_saved = msgspec.json.Decoder(SavedCheck)


def register(commands: Any) -> None:
    """Add `diff`."""
    diff = commands.add_parser(
        "diff",
        help="why the answer changed between two saved checks (eligibility check --save)",
        description="Compares two checks saved by `eligibility check --save FILE` and says, per "
        "programme, criterion and amount, whether a fact or the rules (policy version, date) "
        "changed it, or both.",
    )
    diff.add_argument("before", help="the earlier saved check")
    diff.add_argument("after", help="the later saved check")
    diff.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the words")
    diff.add_argument("--json", action="store_true", help="the whole comparison as JSON")
    diff.set_defaults(run=run_diff)


def _fail(message: str) -> int:
    print(f"eligibility: {message}", file=sys.stderr)
    return 2


class _Refused(Exception):
    """A saved file that cannot be read; the message says which and why."""


def _read(path: str, policies: PolicySet) -> Assessed:
    try:
        with open(path, "rb") as stream:
            lines = [line for line in stream.read().splitlines() if line.strip()]
    except OSError as exc:
        raise _Refused(f"cannot read {path}: {exc.strerror}") from None
    if len(lines) != 1:
        raise _Refused(
            f"{path}: holds {len(lines)} saved checks; save one applicant per file "
            "(eligibility check --save FILE)"
        )
    try:
        saved = _saved.decode(lines[0])
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise _Refused(f"{path}: not a saved check (eligibility check --save): {exc}") from None
    unknown = [p for p in saved.programmes or [] if p not in policies.programmes]
    if unknown:
        raise _Refused(f"{path}: programme {unknown[0]!r} is not in the policies here")
    return Assessed(
        applicant=saved.applicant,
        as_of=saved.as_of,
        policy_version=saved.policy_version,
        policies=policies,
        programmes=None if saved.programmes is None else tuple(saved.programmes),
    )


def run_diff(args: argparse.Namespace) -> int:
    """Print why the answer changed; exit 2 naming the file that cannot be compared."""
    try:
        policies = load_bundled()
    except PolicyError as exc:
        return _fail(f"policy refused: {exc}")
    try:
        before, after = _read(args.before, policies), _read(args.after, policies)
    except _Refused as exc:
        return _fail(str(exc))
    lang: Lang = args.lang
    try:
        change = compare(before, after, lang=lang)
    except FactError as exc:
        return _fail(f"cannot decide these checks again: {exc}")
    if args.json:
        sys.stdout.buffer.write(msgspec.json.format(msgspec.json.encode(change), indent=2))
        sys.stdout.write("\n")
        return 0
    print(_words(change, lang))
    return 0


def _words(change: AnswerChange, lang: Lang) -> str:
    """The comparison in plain words: what each side was decided with, then per programme."""
    zh = lang == "zh"
    lines = []
    for label, side in (
        ("之前" if zh else "before", change.before),
        ("之后" if zh else "after", change.after),
    ):
        lines.append(
            f"{label}：{side.as_of.isoformat()}，地区 {side.region_code or '—'}，"
            f"政策版本 {side.policy_version}"
            if zh
            else f"{label}: {side.as_of.isoformat()}, region {side.region_code or '—'}, "
            f"policy version {side.policy_version}"
        )
    lines.extend(f"! {note}" for note in change.notes)
    for fact in change.facts:
        lines.append(
            f"· {fact.label}：{fact.said_before} → {fact.said_after}"
            if zh
            else f"· {fact.label}: {fact.said_before} → {fact.said_after}"
        )
    for programme in change.programmes:
        lines.append("")
        lines.extend(programme.says)
        shown = set(programme.says)
        lines.extend(f"  - {c.says}" for c in programme.changes if c.says not in shown)
    if change.not_compared:
        lines.append("")
        lines.append(
            "没有比较（只在一边查过）：" + "、".join(change.not_compared)
            if zh
            else "Not compared (checked on one side only): " + ", ".join(change.not_compared)
        )
    return "\n".join(lines)
