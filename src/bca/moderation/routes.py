from __future__ import annotations

import uuid

from fastapi import APIRouter

from bca.accounts.dependencies import CurrentUser
from bca.backends.dependencies import BackendsDep, SessionDep
from bca.core.http import PageDep, problems
from bca.core.pagination import Page, time_key
from bca.moderation import service
from bca.moderation.schemas import ReportCreate, ReportRead

router = APIRouter(prefix="/v1", tags=["reports"])


@router.post(
    "/profiles/{me}/reports",
    status_code=201,
    response_model=ReportRead,
    responses=problems(429),
)
async def create_report(
    me: uuid.UUID,
    data: ReportCreate,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
) -> ReportRead:
    """Report, as my profile ``me``, a message I read (``chat_id``, ``index``), a profile or a
    card I see, with a reason and optional text. A message report keeps my copy of the
    message. 404 for anything I may not see; 429 past 20 reports a day."""
    report = await service.create_report(session, backends, user=user, my_profile_id=me, data=data)
    return ReportRead.from_row(report)


@router.get("/reports", response_model=Page[ReportRead])
async def list_reports(user: CurrentUser, session: SessionDep, page: PageDep) -> Page[ReportRead]:
    """My reports, oldest first, each with its outcome (``status``)."""
    rows = await service.list_my_reports(
        session, user=user, after=page.after, limit=page.fetch_limit
    )
    return page.cut(rows, key=time_key, item=ReportRead.from_row)


@router.get("/reports/{report_id}", response_model=ReportRead, responses=problems(404))
async def get_report(report_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> ReportRead:
    """One of my reports and its outcome."""
    return ReportRead.from_row(await service.get_my_report(session, user=user, report_id=report_id))
