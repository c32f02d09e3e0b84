"""Request-scoped dependencies shared by every domain, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from bca.backends import Backends
from bca.core.db import ON_ROLLBACK_KEY, release_after_commit, release_on_rollback
from bca.core.errors import AppError
from bca.core.pagination import PageParams, page_params
from bca.settings import Settings


# Every dependency is ``async def``: FastAPI runs a plain ``def`` in a worker thread, a thread
# hop per dependency per request.
async def get_backends(request: Request) -> Backends:
    backends: Backends = request.app.state.backends
    return backends


BackendsDep = Annotated[Backends, Depends(get_backends)]


async def get_settings(backends: BackendsDep) -> Settings:
    return backends.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_session(backends: BackendsDep) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: commit before the response leaves, rollback on error.

    An ``AppError`` whose ``commit_anyway`` is set (refresh-token reuse revokes a session and
    still answers 401) commits what the service wrote before raising.
    """
    async with backends.database.sessionmaker() as session:
        try:
            yield session
        except AppError as error:
            if error.commit_anyway:
                await _commit(session)
            else:
                await session.rollback()
                await release_on_rollback(session)
            raise
        except BaseException:
            await session.rollback()
            await release_on_rollback(session)
            raise
        await _commit(session)


async def _commit(session: AsyncSession) -> None:
    try:
        await session.commit()
    except BaseException:
        await release_on_rollback(session)
        raise
    session.info.pop(ON_ROLLBACK_KEY, None)
    await release_after_commit(session)


# scope="function": the commit happens before the response is sent, so a client never sees
# success for a write that then fails to commit.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
PageDep = Annotated[PageParams, Depends(page_params)]
