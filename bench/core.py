"""How many applicants one core decides per second, for all five programmes, in-process.

Ours is the decision core of this checkout (a plan per programme and parameter profile: the
rules generated as code bound to the profile's parameters, answers assembled once per
signature).  The baseline is the previous core, the last one before decision plans
(`PREVIOUS_CORE`, taken from this repository's history with `git archive`), deciding the same
applicants in a separate process of the same Python.  Both make full determinations (reasons,
missing facts, next steps, hashes) and both are timed over the same applicants after the same
warm-up; the ratio is from one run on this machine, nothing is asserted.  The verdicts and
amounts of both are compared.  The machine's load average is printed with the figures: the
wall-clock rate counts time the process waited for a core, the CPU-time rate does not (both
count the garbage collector's time).

    .venv/bin/python bench/core.py [--applicants N] [--previous REF]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parent.parent
# The last commit whose core decided criterion by criterion with closures and per-call wording.
PREVIOUS_CORE = "4156c3a"

REGIONS = ["140821", "230124", "620823", "520181", "451226", "410581", "510121", None]


def random_applicant(rng: random.Random) -> dict[str, Any]:
    """A plausible applicant with about a fifth of the facts unknown."""

    def maybe(value: Any) -> Any:
        return None if rng.random() < 0.2 else value

    return {
        "as_of": str(dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(900))),
        "region_code": rng.choice(REGIONS),
        "household": {
            "category": maybe(
                rng.choice(
                    [
                        "poverty_alleviated",
                        "edge_vulnerable",
                        "ordinary",
                        "unstable_alleviated",
                        "sudden_hardship",
                    ]
                )
            ),
            "risk_eliminated": maybe(rng.random() < 0.3),
            "per_capita_net_income": maybe(rng.randrange(3000, 20000)),
            "per_capita_net_income_previous": maybe(rng.randrange(3000, 20000)),
            "microloan_overdue": maybe(rng.random() < 0.05),
            "microloan_outstanding": maybe(rng.choice([0, 0, 20000, 50000])),
        },
        "person": {
            "age": maybe(rng.randrange(14, 75)),
            "labor_capacity": maybe(rng.choice(["full", "weak", "none"])),
            "full_civil_capacity": maybe(rng.random() < 0.97),
            "serious_bad_credit": maybe(rng.random() < 0.03),
            "willing_to_work": maybe(rng.random() < 0.8),
            "holds_public_welfare_post": maybe(rng.random() < 0.1),
            "employment": {
                "status": maybe(rng.choice(["employed", "unemployed", "self_employed"])),
                "work_region_code": maybe(rng.choice(["330106", "140105", "620802", "610112"])),
                "months_continuous": maybe(rng.randrange(0, 12)),
                "transport_subsidy_claimed_this_year": maybe(rng.random() < 0.2),
            },
            "education": {
                "level": maybe(rng.choice(["secondary_vocational", "undergraduate"])),
                "full_time": maybe(True),
                "registered": maybe(True),
                "suspended": maybe(False),
            },
        },
        "loan_request": {"purpose": maybe(rng.choice(["production", "wedding", "business"]))},
    }


def measure(count: int, seed: int) -> dict[str, Any]:
    """Decide `count` applicants with the core on `sys.path`: the rate and a digest of the
    verdicts and amounts."""
    from eligibility.determination import determine
    from eligibility.facts import Applicant
    from eligibility.policy import load_bundled

    policies = load_bundled()
    rng = random.Random(seed)
    applicants = [
        msgspec.convert(random_applicant(rng), Applicant) for _ in range(count + count // 4)
    ]
    warm, timed = applicants[: count // 4], applicants[count // 4 :]
    for applicant in warm:
        determine(applicant, policies)
    start = time.perf_counter()
    cpu = time.process_time()
    answers = [determine(applicant, policies) for applicant in timed]
    cpu = time.process_time() - cpu
    seconds = time.perf_counter() - start
    decided = [[[d.programme, d.verdict, d.amount] for d in answer] for answer in answers]
    digest = hashlib.sha256(json.dumps(decided).encode()).hexdigest()
    return {
        "decided": decided,
        "rate": len(timed) / seconds,
        "cpu_rate": len(timed) / cpu,
        "digest": digest,
        "programmes": len(policies.programmes),
    }


def previous_core(ref: str, into: Path) -> Path:
    """The previous core's `eligibility` package, from the repository's history."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "eligibility"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def run_with(path: Path, count: int, seed: int) -> dict[str, Any]:
    """`measure` in a fresh process importing `eligibility` from `path` first."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(path), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, __file__, "--measure", str(count), "--seed", str(seed)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=path,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--applicants", type=int, default=20_000)
    parser.add_argument("--previous", default=PREVIOUS_CORE, help="git ref of the baseline core")
    parser.add_argument("--seed", type=int, default=20221)
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args.measure, args.seed)))
        return
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        old = previous_core(args.previous, Path(tmp))
        baseline = run_with(old, args.applicants, args.seed)
        ours = run_with(ROOT, args.applicants, args.seed)
    load_after = os.getloadavg()
    print(f"applicants: {args.applicants}, programmes each: {ours['programmes']}, one process each")
    print(
        f"machine: {os.cpu_count()} cores, load average {load_before[0]:.2f} before,"
        f" {load_after[0]:.2f} after (above 1 the wall-clock figures share a core;"
        " the CPU-time ones are this process's own)"
    )
    print(
        f"ours (decision plans):          {ours['rate']:>9,.0f} applicants/s"
        f"  ({ours['cpu_rate']:,.0f}/s of CPU time)"
    )
    print(
        f"previous core ({args.previous}):      {baseline['rate']:>9,.0f} applicants/s"
        f"  ({baseline['cpu_rate']:,.0f}/s of CPU time)"
    )
    print(
        f"ratio ours / previous: {ours['rate'] / baseline['rate']:.1f}x"
        f" ({ours['cpu_rate'] / baseline['cpu_rate']:.1f}x of CPU time)"
        f"  (verdicts and amounts agree: {ours['digest'] == baseline['digest']})"
    )
    # Each core decides on the policy files of its own tree: where they differ, rules fixed
    # since the baseline (the 2026 microloan rules, a known overdue loan's amount...) differ.
    pairs = [
        (a, b)
        for x, y in zip(ours["decided"], baseline["decided"], strict=True)
        for a, b in zip(x, y, strict=True)
    ]
    differ = [(a, b) for a, b in pairs if a != b]
    if differ:
        by_programme: dict[str, int] = {}
        for a, _ in differ:
            by_programme[a[0]] = by_programme.get(a[0], 0) + 1
        print(
            f"answers that differ: {len(differ)} of {len(pairs)}"
            f" ({', '.join(f'{k} {v}' for k, v in sorted(by_programme.items()))}):"
            " each core decides on its own tree's policy files"
        )


if __name__ == "__main__":
    main()
