"""`POST /v1/checks` and `/v1/checks/batch`: decide applicants now, store nothing."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import anyio
import msgspec
from litestar import Controller, post
from litestar.params import JSONBody, QueryParameter

from api.dependencies import LangDep, PoliciesDep, PrincipalDep, require_key
from api.problems import FieldError, ProblemError, field_error, invalid
from api.routes import SECURITY, protected
from api.schemas import (
    BatchCheckItem,
    BatchCheckRequest,
    BatchCheckResult,
    CheckInput,
    CheckResult,
    ProgrammeId,
    applicant_of_input,
)
from api.services.assessments import check_programmes
from eligibility.derive import FactError
from eligibility.determination import determine

Programmes = Annotated[
    list[ProgrammeId] | None,
    QueryParameter(description="only these programmes (repeatable)"),
]
Suggest = Annotated[
    bool,
    QueryParameter(
        description="with each determination, what would change it (`suggestions`): for a "
        "programme not eligible, the smallest sets of fact changes that make it eligible (for "
        "a fact that changes with time, the day it does), each citing the criteria and sources "
        "it satisfies; for an eligible one, the changes that raise the amount.  Default true "
        "for one applicant, false for a batch."
    ),
]
AsOf = Annotated[
    dt.date | None,
    QueryParameter(description="date for applicants that give none (default today)"),
]


class ChecksController(Controller):
    """Checks: one applicant or many, decided against the policies in force."""

    path = "/v1/checks"
    tags = ("checks",)
    security = SECURITY
    guards = [require_key]  # noqa: RUF012  (Litestar reads a list)

    @post("/", status_code=200, responses=protected(), summary="Check one applicant")
    async def check(
        self,
        data: JSONBody[CheckInput],
        principal: PrincipalDep,
        policies: PoliciesDep,
        lang: LangDep,
        programme: Programmes = None,
        as_of: AsOf = None,
        suggest: Suggest = True,
    ) -> CheckResult:
        """One determination per programme (all, or those asked for) for the applicant, each
        with what would change it (unless `suggest=false`)."""
        del principal  # any valid key may check
        check_programmes(policies, programme, "query.programme")
        today = as_of or dt.date.today()
        applicant = applicant_of_input(data)
        try:
            determinations = determine(
                applicant, policies, programmes=programme, lang=lang, today=today, suggest=suggest
            )
        except FactError as exc:
            raise invalid([FieldError(path=f"$.{exc.path}", message=exc.message)]) from None
        return CheckResult(determinations=determinations)

    @post("/batch", status_code=200, responses=protected(), summary="Check many applicants")
    async def check_batch(
        self,
        data: JSONBody[BatchCheckRequest],
        principal: PrincipalDep,
        policies: PoliciesDep,
        lang: LangDep,
        programme: Programmes = None,
        as_of: AsOf = None,
        suggest: Suggest = False,
    ) -> BatchCheckResult:
        """One result per applicant, in order; a bad applicant gets its errors, not the call."""
        del principal
        check_programmes(policies, programme, "query.programme")
        today = as_of or dt.date.today()

        def run() -> BatchCheckResult:
            results = []
            for index, raw in enumerate(data.applicants):
                try:
                    applicant = applicant_of_input(
                        msgspec.convert(raw, CheckInput), f"$.applicants[{index}]"
                    )
                except msgspec.ValidationError as exc:
                    error = field_error(exc, prefix=f"$.applicants[{index}]")
                    results.append(BatchCheckItem(index=index, ok=False, errors=[error]))
                    continue
                except ProblemError as exc:
                    results.append(BatchCheckItem(index=index, ok=False, errors=exc.errors))
                    continue
                try:
                    determinations = determine(
                        applicant,
                        policies,
                        programmes=programme,
                        lang=lang,
                        today=today,
                        suggest=suggest,
                    )
                except FactError as exc:
                    path = f"$.applicants[{index}].{exc.path}"
                    error = FieldError(path=path, message=exc.message)
                    results.append(BatchCheckItem(index=index, ok=False, errors=[error]))
                    continue
                results.append(BatchCheckItem(index=index, ok=True, determinations=determinations))
            return BatchCheckResult(results=results)

        # Up to 1,000 decisions: off the event loop, so other requests keep being served.
        return await anyio.to_thread.run_sync(run)
