"""`/v1/assessments`: decide a registered member and keep the result; re-derive it later."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from api.dependencies import LangDep, PoliciesDep, PrincipalDep, RuntimeDep, SessionDep, require_key
from api.routes import SECURITY, DetailQuery, protected
from api.schemas import AssessmentCreate, AssessmentDiff, AssessmentRead, RederiveResult
from api.services import assessments


class AssessmentsController(Controller):
    """Stored determinations, with the policy version and facts that made them."""

    path = "/v1/assessments"
    tags = ("assessments",)
    security = SECURITY
    middleware = [require_key]  # noqa: RUF012  (Litestar reads a list)

    @post("/", responses=protected(404), summary="Assess a member")
    async def create(
        self,
        data: JSONBody[AssessmentCreate],
        session: SessionDep,
        principal: PrincipalDep,
        policies: PoliciesDep,
        lang: LangDep,
        detail: DetailQuery = "full",
    ) -> AssessmentRead:
        """Decide the member with the household's current facts and store the result."""
        return await assessments.create_assessment(
            session, principal, policies, data, lang, dt.date.today(), detail
        )

    @get("/{assessment_id:str}", responses=protected(404), summary="Read an assessment")
    async def read(
        self,
        assessment_id: FromPath[str],
        session: SessionDep,
        principal: PrincipalDep,
        runtime: RuntimeDep,
        detail: DetailQuery = "full",
    ) -> AssessmentRead:
        """One stored assessment, with the sources and questions it names."""
        return await assessments.read_assessment(
            session, principal, runtime.policies, assessment_id, detail
        )

    @post(
        "/{assessment_id:str}/rederive",
        status_code=200,
        responses=protected(404, 409),
        summary="Re-derive an assessment",
    )
    async def rederive(
        self,
        assessment_id: FromPath[str],
        session: SessionDep,
        principal: PrincipalDep,
        runtime: RuntimeDep,
        detail: DetailQuery = "full",
    ) -> RederiveResult:
        """Decide the stored facts again with the stored policy version; `identical` says
        whether the result is the one stored."""
        return await assessments.rederive(
            session, principal, runtime.policies, assessment_id, detail
        )

    @get(
        "/{assessment_id:str}/diff",
        responses=protected(404, 409),
        summary="Why the answer changed",
    )
    async def diff(
        self,
        assessment_id: FromPath[str],
        against: Annotated[
            str,
            QueryParameter(
                description="the assessment to compare with (the earlier one); it must be in "
                "your regions too",
                min_length=1,
                max_length=64,
            ),
        ],
        session: SessionDep,
        principal: PrincipalDep,
        runtime: RuntimeDep,
        lang: LangDep,
    ) -> AssessmentDiff:
        """Per programme, criterion and amount: what changed from `against` to this assessment
        and why — a fact (which, from → to), the rules (which parameter or criterion, between
        which policy versions and dates, with its sources), or both.  Each is decided again with
        its own stored policy version, and each one's facts under the other's rules."""
        return await assessments.diff_assessments(
            session, principal, runtime.policies, assessment_id, against, lang
        )
