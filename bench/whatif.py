"""What suggestions cost: the core's time per applicant with and without them, in one process.

The same applicants (`bench/core.py`'s generator: plausible ones with a fifth of the facts
unknown) are decided for all five programmes by `determine(...)` and by
`determine(..., suggest=True)`, after the same warm-up, each round on applicants not decided
before, alternating which way goes first.  Printed: microseconds of CPU per applicant
for each, the ratio, how many programmes got a suggestion, and the machine's load (the ratio is
what to compare: both ways run in the same process on the same load).  The issue's goal is
that suggestions add at most 30 %; nothing is asserted.  Suggestions are searched once per plan
and what the search depends on (`eligibility.whatif`), so each round's new applicants share
the searches of those before them only where the facts the open criteria read agree.

    .venv/bin/python bench/whatif.py [--applicants N] [--rounds R]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.core import random_applicant  # noqa: E402
from eligibility.determination import determine  # noqa: E402
from eligibility.facts import Applicant  # noqa: E402
from eligibility.policy import load_bundled  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=2000)
    # Eight rounds: the first round's first way runs on the coldest caches of the core's
    # answers, so few rounds favour whichever way goes second there (with suggestions made
    # to cost nothing, 3 rounds measure 0.7×, 8 rounds 1.0×).
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    policies = load_bundled()
    rng = random.Random(args.seed)

    def draw(count: int) -> list[Applicant]:
        return [msgspec.convert(random_applicant(rng), Applicant) for _ in range(count)]

    # Plans built and their code generated on applicants never timed; then each round decides
    # applicants not seen before (both ways), so that neither way is timed on answers the other
    # already kept.  The order of the two alternates between rounds.
    for applicant in draw(args.applicants // 4):
        determine(applicant, policies)
        determine(applicant, policies, suggest=True)
    plain = suggested = 0.0
    offered = asked = 0
    for round_ in range(args.rounds):
        applicants = draw(args.applicants)
        for way in (False, True) if round_ % 2 == 0 else (True, False):
            # The garbage the previous way left is collected before this one is timed: a full
            # collection (about 20 ms here) otherwise falls on whichever way happens to cross
            # the collector's threshold, moving one run's ratio by about 0.05 either way.
            gc.collect()
            start = time.process_time()
            for applicant in applicants:
                answers = determine(applicant, policies, suggest=way)
                if way:
                    asked += len(answers)
                    offered += sum(1 for d in answers if d.suggestions)
            spent = time.process_time() - start
            if way:
                suggested += spent
            else:
                plain += spent

    decided = args.applicants * args.rounds
    plain_us, suggested_us = plain / decided * 1e6, suggested / decided * 1e6
    print(f"applicants: {args.applicants} × {args.rounds} rounds, 5 programmes each")
    print(f"without suggestions: {plain_us:8.1f} µs CPU per applicant")
    print(f"with suggestions:    {suggested_us:8.1f} µs CPU per applicant")
    print(f"ratio:               {suggested_us / plain_us:8.2f}× (goal ≤ 1.30×)")
    print(f"programmes with a suggestion: {offered} of {asked} ({offered / asked:.0%})")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average (1, 5, 15 min): {load} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
