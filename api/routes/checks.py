"""`POST /v1/checks` and `/v1/checks/batch`: decide applicants now, store nothing."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import anyio
import msgspec
from litestar import Controller, Request, post
from litestar.params import JSONBody, QueryParameter

from api.dependencies import LangQuery, lang_of, policies_of, require_key
from api.problems import FieldError, ProblemError, field_error, invalid
from api.routes import SECURITY, DetailQuery, protected
from api.schemas import (
    BatchCheckItem,
    BatchCheckRequest,
    BatchCheckResult,
    CheckInput,
    CheckResult,
    ProgrammeId,
    Shown,
    applicant_of_input,
    check_result,
)
from api.services.assessments import check_programmes
from eligibility.derive import FactError
from eligibility.determination import determine
from eligibility.reply import basis, full, reply, shown, tables

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
        "it satisfies; for an eligible one, the changes that raise the amount.  Off by default: "
        "working them out costs several times the decision itself."
    ),
]
AsOf = Annotated[
    dt.date | None,
    QueryParameter(description="date for applicants that give none (default today)"),
]


class ChecksController(Controller):
    """Checks: one applicant or many, decided against the policies in force.

    The hottest door of the service, so its handlers take no dependencies: they read the policies
    and the language themselves (`policies_of`, `lang_of`).  Litestar resolves two or more
    dependencies of one level concurrently in an anyio task group, which cost a check about
    70 µs, more than the decision itself; even one costs a few µs.  Any valid key may check
    (`require_key` sees to it), so no principal is taken.
    """

    path = "/v1/checks"
    tags = ("checks",)
    security = SECURITY
    middleware = [require_key]  # noqa: RUF012  (Litestar reads a list)

    @post("/", status_code=200, responses=protected(), summary="Check one applicant")
    async def check(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[CheckInput],
        lang_query: LangQuery = None,
        programme: Programmes = None,
        as_of: AsOf = None,
        suggest: Suggest = False,
        detail: DetailQuery = "full",
    ) -> CheckResult:
        """One determination per programme (all, or those asked for) for the applicant, each
        with what would change it when `suggest=true`."""
        policies, lang = policies_of(request), lang_of(request, lang_query)
        check_programmes(policies, programme, "query.programme")
        today = as_of or dt.date.today()
        applicant = applicant_of_input(data)
        try:
            determinations = determine(
                applicant, policies, programmes=programme, lang=lang, today=today, suggest=suggest
            )
        except FactError as exc:
            raise invalid([FieldError(path=f"$.{exc.path}", message=exc.message)]) from None
        return check_result(reply(determinations, policies, lang, detail))

    @post("/batch", status_code=200, responses=protected(), summary="Check many applicants")
    async def check_batch(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[BatchCheckRequest],
        lang_query: LangQuery = None,
        programme: Programmes = None,
        as_of: AsOf = None,
        suggest: Suggest = False,
        detail: DetailQuery = "full",
    ) -> BatchCheckResult:
        """One result per applicant, in order; a bad applicant gets its errors, not the call."""
        policies, lang = policies_of(request), lang_of(request, lang_query)
        check_programmes(policies, programme, "query.programme")
        today = as_of or dt.date.today()

        def run() -> BatchCheckResult:
            results = []
            everything: list[Shown] = []
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
                sent = shown((full(d) for d in determinations), detail)
                everything.extend(sent)
                on = basis(determinations)
                results.append(
                    BatchCheckItem(
                        index=index,
                        ok=True,
                        as_of=on.as_of,
                        region_code=on.region_code,
                        facts_hash=on.facts_hash,
                        determinations=sent,
                    )
                )
            sources, questions = tables(everything, policies, lang)
            return BatchCheckResult(
                detail=detail,
                policy_version=policies.version,
                results=results,
                sources=sources,
                questions=questions,
            )

        # Up to 1,000 decisions: off the event loop, so other requests keep being served.
        return await anyio.to_thread.run_sync(run)
