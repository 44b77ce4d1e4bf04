"""`GET /v1/programmes`: what each programme requires and pays, in force for a region and date."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from api.dependencies import LangDep, PoliciesDep
from api.problems import asked_date, problem_responses
from api.services.households import not_found
from eligibility.listing import ProgrammeListing, describe_programme, list_programmes
from eligibility.regions import REGION_CODE_PATTERN

Region = Annotated[
    str | None,
    QueryParameter(pattern=REGION_CODE_PATTERN, description="GB/T 2260 code, e.g. 510121"),
]
AsOf = Annotated[dt.date | None, QueryParameter(description="date (default today)")]


class ProgrammeList(msgspec.Struct, frozen=True, kw_only=True):
    """Every programme, as in force."""

    programmes: list[ProgrammeListing]


class ProgrammesController(Controller):
    """Public: criteria, parameters and citations (no key needed)."""

    path = "/v1/programmes"
    tags = ("programmes",)

    @get("/", responses=problem_responses(400), summary="List programmes")
    async def list_(
        self, policies: PoliciesDep, lang: LangDep, region: Region = None, as_of: AsOf = None
    ) -> ProgrammeList:
        """Every programme's criteria and parameters in force for the region on the date."""
        return ProgrammeList(
            programmes=list_programmes(
                policies, region_code=region, as_of=asked_date(policies, as_of), lang=lang
            )
        )

    @get(
        "/{programme_id:str}",
        responses=problem_responses(400, 404),
        summary="Read a programme",
    )
    async def read(
        self,
        programme_id: FromPath[str],
        policies: PoliciesDep,
        lang: LangDep,
        region: Region = None,
        as_of: AsOf = None,
    ) -> ProgrammeListing:
        """One programme's criteria and parameters in force."""
        programme = policies.programmes.get(programme_id)
        if programme is None:
            raise not_found("programme")
        return describe_programme(
            programme, policies, region_code=region, as_of=asked_date(policies, as_of), lang=lang
        )
